/**
 * The BGP speaker: one {@link BgpSession} per configured neighbor, the listeners that feed them
 * incoming connections (matched in neighbor-match.ts), the routes received from each neighbor
 * (inbound-routes.ts) and the origination of the configured `networks`, plus the read-only views
 * behind `show ip bgp summary` / `neighbors`. Reload in place: neighbor-reconfig.ts.
 *
 * Received routes are kept per neighbor (an Adj-RIB-In without policy) and published with
 * {@link BgpSpeaker.onRoutes}; the RIB (src/bgp/rib) subscribes there and sends its Adj-RIB-Out
 * diffs back with {@link BgpSpeaker.sendUpdate}.
 *
 * Inbound `max-prefixes` counts, per address family, the prefixes the neighbor has announced and
 * not withdrawn, before inbound policy (route-maps and prefix-lists run later, in the RIB); routes
 * rejected as AS loops are not kept and not counted. Catalyst and FRR count what their inbound
 * policy accepted (FRR's `maximum-prefix N force` counts everything received, as we do), so with a
 * filtering policy our count can only be higher. Exceeding the limit logs once, then either keeps
 * the session (`action: warn`) or sends Cease/Maximum Number of Prefixes Reached (RFC 4486 §4),
 * withdraws the neighbor's routes and keeps the session Idle ("Idle (PfxCt)") until it is
 * restarted: by a configuration change, {@link BgpSpeaker.clearNeighbor}, or the policy's
 * `restartSec` when it has one.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Rng } from '../../lib/rng.js';
import { parsePrefix, type Prefix } from '../../lib/ip/prefix.js';
import type { BgpConfig, BgpNeighbor, StaticRoute } from '../../config/types.js';
import { DEFAULT_FSM_CONFIG } from '../fsm-types.js';
import { parseBgpId, type NegotiatedSession } from '../open-negotiation.js';
import { BGP_PORT, CeaseSubcode } from '../wire/constants.js';
import { adminShutdown } from '../wire/notification.js';
import type { RouteRefreshMessage } from '../wire/route-refresh.js';
import type { UpdateDecodeResult, UpdateMessage } from '../wire/update.js';
import { PrefixLimiter } from '../policy/max-prefixes.js';
import { receiveUpdate } from './inbound-routes.js';
import {
  familyOf,
  neighborKey,
  neighborSessionConfig,
  stateText,
  type FamilyName,
  type ReceivedRoute,
  type RoutesEvent,
  type SpeakerNeighbor,
} from './neighbor.js';
import { matchIncoming, neighborsVia, type TunnelRef } from './neighbor-match.js';
import { reconfigureNeighbors, type ReconfigHost } from './neighbor-reconfig.js';
import { buildOriginUpdates, endOfRib } from './originate.js';
import { BgpSession } from './session.js';
import type { NeighborDetail, NeighborReconfig, SpeakerSummary } from './session-types.js';
import {
  applyTtl,
  BgpConnection,
  BgpListeners,
  sessionTtl,
  tcpConnector,
  ttlConnector,
  type Connector,
  type IncomingConnection,
  type TcpSocketOptions,
} from './transport.js';

export type {
  NeighborChange,
  NeighborDetail,
  NeighborReconfig,
  NeighborSummary,
  SpeakerSummary,
} from './session-types.js';
export { cease, neighborChange } from './session-types.js';
export type { FamilyName, ReceivedRoute, RoutesEvent, SpeakerNeighbor } from './neighbor.js';
export { describeRoute, neighborKey } from './neighbor.js';
export type { TunnelRef } from './neighbor-match.js';

export interface SpeakerOptions {
  readonly bgp: BgpConfig;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly log: Logger;
  /** For `tunnelDown`/`tunnelUp`: which neighbors are reached through which tunnel. */
  readonly tunnels?: readonly TunnelRef[];
  readonly staticRoutes?: readonly StaticRoute[];
  /** TCP port (179; tests use a high port). */
  readonly port?: number;
  readonly connector?: Connector;
  /**
   * Socket options (TTL) from the native addon. Without them connections use the kernel's default
   * TTL (64) and `ebgp-multihop` is not enforced.
   */
  readonly socketOptions?: TcpSocketOptions;
  /** Open listeners (default true). */
  readonly listen?: boolean;
  readonly connectRetrySec?: number;
  readonly idleHoldSec?: number;
  /**
   * Send `networks` (and End-of-RIB) from the speaker itself (default true). Set false when a
   * {@link SpeakerRib} drives the Adj-RIB-Out.
   */
  readonly originateNetworks?: boolean;
}

function parseNetworks(networks: readonly string[]): Prefix[] {
  return networks.map((n) => parsePrefix(n)).filter((p): p is Prefix => p !== null);
}

export class BgpSpeaker {
  private readonly opts: SpeakerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** The running `bgp` section (neighbors and networks change on reload; asn/router-id never). */
  private bgp: BgpConfig;
  private readonly bgpId: number;
  private readonly connector: Connector;
  private readonly neighbors = new Map<string, SpeakerNeighbor>();
  private networks: Prefix[] = [];
  private listeners: BgpListeners | undefined;
  private started = false;
  private tableVersion = 1;
  private readonly routeListeners: ((e: RoutesEvent) => void)[] = [];
  private readonly refreshListeners: ((neighbor: string, m: RouteRefreshMessage) => void)[] = [];
  private readonly stateListeners: ((neighbor: string, up: boolean, reason: string) => void)[] = [];

  constructor(opts: SpeakerOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.log = opts.log.child({ mod: 'bgp' });
    this.bgp = opts.bgp;
    const bgpId = parseBgpId(opts.bgp.routerId);
    if (bgpId === undefined) throw new Error(`router-id ${opts.bgp.routerId} is not IPv4`);
    this.bgpId = bgpId;
    this.networks = parseNetworks(opts.bgp.networks);
    this.connector =
      opts.connector ?? (opts.socketOptions ? ttlConnector(opts.socketOptions) : tcpConnector);
    for (const n of opts.bgp.neighbors) this.neighbors.set(neighborKey(n), this.createNeighbor(n));
  }

  private createNeighbor(n: BgpNeighbor): SpeakerNeighbor {
    const opts = this.opts;
    const key = neighborKey(n);
    const ttl = sessionTtl({
      localAs: this.bgp.asn,
      remoteAs: n.remoteAs,
      ebgpMultihop: n.ebgpMultihop,
    });
    const session = new BgpSession({
      cfg: neighborSessionConfig(n, key, ttl, {
        localAs: this.bgp.asn,
        localBgpId: this.bgpId,
        port: opts.port ?? BGP_PORT,
        connectRetrySec: opts.connectRetrySec,
        idleHoldSec: opts.idleHoldSec,
      }),
      clock: opts.clock,
      rng: opts.rng,
      log: opts.log,
      connector: this.connector,
      events: {
        established: (s, local) => {
          this.onEstablished(key, s, local);
        },
        down: (reason) => {
          this.onDown(key, reason);
        },
        update: (r) => {
          this.onUpdate(key, r);
        },
        routeRefresh: (m) => {
          this.handleRouteRefresh(key, m);
        },
      },
    });
    return {
      key,
      cfg: n,
      session,
      received: new Map(),
      limiter: new PrefixLimiter(n.maxPrefixes),
      ttl,
      pfxSent: 0,
    };
  }

  /** Open the listeners and start every neighbor that is not `shutdown`. */
  start(): void {
    if (!this.opts.socketOptions && !this.opts.connector) {
      this.log.warn('no socket options: BGP sessions use the kernel default TTL (ebgp-multihop)');
    }
    this.started = true;
    if (this.opts.listen ?? true) {
      this.listeners = new BgpListeners({
        clock: this.clock,
        log: this.log,
        port: this.opts.port ?? BGP_PORT,
        onConnection: (c) => {
          this.handleIncoming(c);
        },
      });
      this.listeners.listen(
        BgpListeners.addressesFor([...this.neighbors.values()].map((n) => n.cfg.updateSource)),
      );
    }
    for (const n of this.neighbors.values()) if (!n.cfg.shutdown) n.session.start();
  }

  /** Resolves when the listeners are bound (or waiting to retry). */
  async ready(): Promise<void> {
    await this.listeners?.ready();
  }

  /** Cease/Administrative Shutdown to every neighbor and close the listeners. */
  stop(text = 'nvad shutting down'): void {
    this.started = false;
    this.listeners?.close();
    this.listeners = undefined;
    for (const n of this.neighbors.values()) n.session.stop(text);
  }

  onRoutes(fn: (e: RoutesEvent) => void): void {
    this.routeListeners.push(fn);
  }

  onRouteRefresh(fn: (neighbor: string, m: RouteRefreshMessage) => void): void {
    this.refreshListeners.push(fn);
  }

  onSessionChange(fn: (neighbor: string, up: boolean, reason: string) => void): void {
    this.stateListeners.push(fn);
  }

  /** Match an accepted TCP connection to a neighbor by remote address (+ local address). */
  handleIncoming(c: IncomingConnection): void {
    const match = matchIncoming(this.neighbors.values(), c);
    const conn = new BgpConnection(
      c.socket,
      { localAddress: c.localAddress, remoteAddress: c.remoteAddress, locallyInitiated: false },
      this.clock,
    );
    if (!match) {
      this.log.info(
        { remote: c.remoteAddress, local: c.localAddress },
        'BGP connection from an unknown neighbor refused',
      );
      conn.destroy();
      return;
    }
    if (this.opts.socketOptions) {
      try {
        applyTtl(c.socket, match.ttl, this.opts.socketOptions);
      } catch (e) {
        this.log.warn({ neighbor: match.key, err: (e as Error).message }, 'cannot set the TTL');
      }
    }
    match.session.accept(conn);
  }

  /**
   * `clear ip bgp NEIGHBOR`: restart a neighbor that was stopped by a limit (max-prefixes); a
   * running session is left alone. False when there is no such neighbor or it is `shutdown`.
   */
  clearNeighbor(neighbor: string): boolean {
    const n = this.neighbors.get(neighbor);
    if (!n || n.cfg.shutdown) return false;
    if (n.session.stoppedFor !== undefined) n.session.start();
    return true;
  }

  /**
   * Hard `clear ip bgp NEIGHBOR`: Cease/Administrative Reset (RFC 4486 §4, with an RFC 9003
   * communication), then the session starts again; a neighbor held "Idle (PfxCt)" just restarts.
   * False when there is no such neighbor or it is `shutdown`.
   */
  resetNeighbor(neighbor: string, text = 'cleared by the operator'): boolean {
    const n = this.neighbors.get(neighbor);
    if (!n || n.cfg.shutdown) return false;
    if (n.session.stoppedFor !== undefined) n.session.start();
    else n.session.reset(adminShutdown(text, CeaseSubcode.ADMINISTRATIVE_RESET));
    return true;
  }

  /** The configuration a neighbor runs with (after reloads). */
  neighborConfig(neighbor: string): BgpNeighbor | undefined {
    return this.neighbors.get(neighbor)?.cfg;
  }

  /**
   * Reload in place: make the neighbors and `networks` those of `bgp` touching only what changed
   * (`neighborChange`; neighbor-reconfig.ts). Removed neighbors get Cease/Peer De-configured,
   * neighbors whose session parameters changed Cease/Other Configuration Change (RFC 4486 §4) and
   * a new session; the others keep their session. The AS number and router-id cannot change here (rebuild the
   * speaker).
   */
  reconfigure(bgp: BgpConfig): NeighborReconfig {
    if (bgp.asn !== this.bgp.asn || bgp.routerId !== this.bgp.routerId) {
      throw new Error('asn or router-id changed: the speaker must be rebuilt');
    }
    this.bgp = bgp;
    this.networks = parseNetworks(bgp.networks);
    return reconfigureNeighbors(this.reconfigHost(), bgp);
  }

  private reconfigHost(): ReconfigHost {
    return {
      neighbors: this.neighbors,
      started: this.started,
      log: this.log,
      idleHoldSec: this.opts.idleHoldSec ?? DEFAULT_FSM_CONFIG.idleHoldSec,
      addNeighbor: (cfg, delaySec) => {
        this.addNeighbor(cfg, delaySec);
      },
      requestRouteRefresh: (key) => this.requestRouteRefresh(key),
    };
  }

  private addNeighbor(cfg: BgpNeighbor, delaySec = 0): void {
    const n = this.createNeighbor(cfg);
    this.neighbors.set(n.key, n);
    if (!this.started) return;
    if (this.listeners && !this.listeners.bound.includes('::')) {
      this.listeners.listen(BgpListeners.addressesFor([cfg.updateSource]));
    }
    if (!cfg.shutdown) n.session.startAfter(delaySec);
  }

  /** Routes received from a neighbor (key from {@link neighborKey}). */
  received(neighbor: string): ReceivedRoute[] {
    return [...(this.neighbors.get(neighbor)?.received.values() ?? [])];
  }

  session(neighbor: string): BgpSession | undefined {
    return this.neighbors.get(neighbor)?.session;
  }

  /** Send an UPDATE (Adj-RIB-Out output) to an Established neighbor. */
  sendUpdate(neighbor: string, u: UpdateMessage): boolean {
    return this.neighbors.get(neighbor)?.session.sendUpdate(u) ?? false;
  }

  /** Ask a neighbor to re-send its routes (RFC 2918), for one family or all negotiated ones. */
  requestRouteRefresh(neighbor: string, family?: FamilyName): number {
    const n = this.neighbors.get(neighbor);
    const s = n?.session.negotiated;
    if (!n || !s?.routeRefresh) return 0;
    let sent = 0;
    for (const f of s.families) {
      if (family !== undefined && familyOf(f) !== family) continue;
      if (n.session.sendRouteRefresh(f.afi, f.safi)) sent += 1;
    }
    return sent;
  }

  /** Tunnel `name` went down: close the sessions routed through it at once. */
  tunnelDown(name: string): string[] {
    const hit = this.neighborsVia(name);
    for (const n of hit) n.session.closeNow(`tunnel ${name} down`);
    return hit.map((n) => n.key);
  }

  /** Tunnel `name` came up: reconnect its sessions now. */
  tunnelUp(name: string): string[] {
    const hit = this.neighborsVia(name);
    for (const n of hit) n.session.kick();
    return hit.map((n) => n.key);
  }

  /** Neighbors reached through a tunnel: update-source on it, or a static route via it. */
  neighborsVia(tunnel: string): SpeakerNeighbor[] {
    return neighborsVia(this.neighbors.values(), this.opts.tunnels, this.opts.staticRoutes, tunnel);
  }

  summary(): SpeakerSummary {
    const now = this.clock.now();
    return {
      routerId: this.bgp.routerId,
      localAs: this.bgp.asn,
      tableVersion: this.tableVersion,
      neighbors: [...this.neighbors.values()].map((n) => {
        const v = n.session.view();
        return {
          neighbor: n.key,
          address: n.cfg.address,
          routingContext: n.cfg.routingContext,
          description: n.cfg.description,
          version: 4,
          remoteAs: n.cfg.remoteAs,
          msgRcvd: v.counters.msgRcvd,
          msgSent: v.counters.msgSent,
          tblVer: this.tableVersion,
          inQ: v.inQ,
          outQ: v.outQ,
          upDownMs: now - v.sinceMs,
          state: stateText(n, v.state),
          pfxRcd: v.state === 'Established' ? n.received.size : undefined,
          pfxSent: n.pfxSent,
        };
      }),
    };
  }

  neighborDetails(): NeighborDetail[] {
    return [...this.neighbors.values()].map((n) => ({
      ...n.session.view(),
      neighbor: n.key,
      routingContext: n.cfg.routingContext,
      updateSource: n.cfg.updateSource,
      ebgpMultihop: n.cfg.ebgpMultihop,
      ttl: n.ttl,
      maxPrefixes: n.cfg.maxPrefixes,
      configuredHoldSec: n.cfg.timers.holdSec,
      configuredKeepaliveSec: n.cfg.timers.keepaliveSec,
      pfxRcd: n.received.size,
      pfxSent: n.pfxSent,
      tunnels: (this.opts.tunnels ?? [])
        .filter((t) => this.neighborsVia(t.name).includes(n))
        .map((t) => t.name),
    }));
  }

  // ---- session events ----

  private onEstablished(key: string, s: NegotiatedSession, local: string | undefined): void {
    const n = this.neighbors.get(key);
    if (!n) return;
    for (const fn of this.stateListeners) fn(key, true, 'established');
    if (this.opts.originateNetworks ?? true) this.advertiseNetworks(n, s, local);
  }

  private advertiseNetworks(
    n: SpeakerNeighbor,
    s: NegotiatedSession,
    local: string | undefined,
  ): void {
    n.pfxSent = 0;
    for (const f of s.families) {
      const fam = familyOf(f);
      if (!fam) continue;
      const prefixes = this.networks.filter(
        (p) => (p.addr.family === 4) === (fam === 'ipv4-unicast'),
      );
      const updates = buildOriginUpdates({
        family: fam,
        prefixes,
        localAs: this.bgp.asn,
        ibgp: s.ibgp,
        as4: s.as4,
        localAddress: local,
      });
      for (const u of updates) n.session.sendUpdate(u);
      n.pfxSent += updates.length > 0 ? prefixes.length : 0;
      // RFC 4724 §2: End-of-RIB marks the end of the initial table.
      n.session.sendUpdate(endOfRib(fam));
    }
  }

  private onDown(key: string, reason: string): void {
    const n = this.neighbors.get(key);
    if (!n) return;
    n.pfxSent = 0;
    const withdrawn = [...n.received.values()].map((r) => r.prefix);
    n.received.clear();
    n.limiter.reset();
    if (withdrawn.length > 0) this.tableVersion += 1;
    for (const fn of this.stateListeners) fn(key, false, reason);
    this.emit(n, [], withdrawn);
  }

  private handleRouteRefresh(key: string, m: RouteRefreshMessage): void {
    const n = this.neighbors.get(key);
    if (!n) return;
    this.log.info({ neighbor: key, afi: m.afi, safi: m.safi }, 'ROUTE-REFRESH received');
    for (const fn of this.refreshListeners) fn(key, m);
    const s = n.session.negotiated;
    if (s && (this.opts.originateNetworks ?? true)) {
      const fams = s.families.filter((f) => f.afi === m.afi && f.safi === m.safi);
      this.advertiseNetworks(n, { ...s, families: fams }, n.session.view().localAddress);
    }
  }

  private onUpdate(key: string, r: UpdateDecodeResult): void {
    const n = this.neighbors.get(key);
    if (!n) return;
    const { announced, withdrawn } = receiveUpdate(n, r, {
      nowMs: this.clock.now(),
      localAs: this.bgp.asn,
      log: this.log,
    });
    if (announced.length === 0 && withdrawn.length === 0) return;
    this.tableVersion += 1;
    this.emit(n, announced, withdrawn);
  }

  private emit(n: SpeakerNeighbor, announced: ReceivedRoute[], withdrawn: Prefix[]): void {
    const e: RoutesEvent = {
      neighbor: n.key,
      routingContext: n.cfg.routingContext,
      announced,
      withdrawn,
    };
    for (const fn of this.routeListeners) fn(e);
  }
}
