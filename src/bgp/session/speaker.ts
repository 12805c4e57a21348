/**
 * The BGP speaker: one {@link BgpSession} per configured neighbor, the listeners that feed them
 * incoming connections, the routes received from each neighbor and the origination of the
 * configured `networks`, plus the read-only views behind `show ip bgp summary` / `neighbors`.
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
import { formatIp, mustParseIp, type IpAddr } from '../../lib/ip/addr.js';
import {
  formatPrefix,
  parseInterfaceAddress,
  parsePrefix,
  prefixContains,
  type Prefix,
} from '../../lib/ip/prefix.js';
import type { BgpConfig, BgpNeighbor, StaticRoute } from '../../config/types.js';
import { DEFAULT_FSM_CONFIG, fsmConfig } from '../fsm-types.js';
import {
  IPV4_UNICAST,
  IPV6_UNICAST,
  parseBgpId,
  type AddressFamily,
  type NegotiatedSession,
} from '../open-negotiation.js';
import { Afi, BGP_PORT, CeaseSubcode, Safi } from '../wire/constants.js';
import { adminShutdown } from '../wire/notification.js';
import type { RouteRefreshMessage } from '../wire/route-refresh.js';
import { findAttr, type UpdateDecodeResult, type UpdateMessage } from '../wire/update.js';
import type { PathAttribute } from '../wire/attributes/types.js';
import { formatAsPath } from '../wire/attributes/as-path.js';
import { buildOriginUpdates, endOfRib } from './originate.js';
import {
  familyAfiSafi,
  MAX_PREFIXES_EXCEEDED,
  maxPrefixesNotification,
  PrefixLimiter,
  type MaxPrefixEvent,
} from '../policy/max-prefixes.js';
import { BgpSession } from './session.js';
import {
  cease,
  neighborChange,
  type NeighborDetail,
  type NeighborReconfig,
  type SpeakerSummary,
} from './session-types.js';

export type {
  NeighborChange,
  NeighborDetail,
  NeighborReconfig,
  NeighborSummary,
  SpeakerSummary,
} from './session-types.js';
export { cease, neighborChange } from './session-types.js';
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

export type FamilyName = 'ipv4-unicast' | 'ipv6-unicast';

export interface ReceivedRoute {
  readonly prefix: Prefix;
  readonly family: FamilyName;
  /** Path attributes as received (MP_REACH/MP_UNREACH removed). */
  readonly attributes: readonly PathAttribute[];
  readonly nextHop: IpAddr | undefined;
  readonly receivedAtMs: number;
}

export interface RoutesEvent {
  /** Neighbor key (see {@link neighborKey}). */
  readonly neighbor: string;
  readonly routingContext: string | undefined;
  readonly announced: readonly ReceivedRoute[];
  readonly withdrawn: readonly Prefix[];
}

export interface TunnelRef {
  readonly name: string;
  /** Inside address with length, e.g. `169.254.21.1/32`. */
  readonly address: string | undefined;
}

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

/** Compact map key for a prefix (family, length, significant octets); cheaper than its text. */
function routeKey(p: Prefix): string {
  let s = String.fromCharCode(p.addr.family, p.len);
  const n = (p.len + 7) >> 3;
  for (let i = 0; i < n; i++) s += String.fromCharCode(p.addr.bytes[i] ?? 0);
  return s;
}

function parseNetworks(networks: readonly string[]): Prefix[] {
  return networks.map((n) => parsePrefix(n)).filter((p): p is Prefix => p !== null);
}

/** `address` in the default context, `context/address` in another one. */
export function neighborKey(n: Pick<BgpNeighbor, 'address' | 'routingContext'>): string {
  return n.routingContext === undefined ? n.address : `${n.routingContext}/${n.address}`;
}

function familyOf(f: AddressFamily): FamilyName | undefined {
  if (f.safi !== Safi.UNICAST) return undefined;
  if (f.afi === Afi.IPV4) return 'ipv4-unicast';
  if (f.afi === Afi.IPV6) return 'ipv6-unicast';
  return undefined;
}

function familiesOf(n: BgpNeighbor): AddressFamily[] {
  return n.addressFamilies.map((f) => (f === 'ipv4-unicast' ? IPV4_UNICAST : IPV6_UNICAST));
}

interface Neighbor {
  readonly key: string;
  /** Replaced in place by a reload that changes only soft settings (see {@link neighborChange}). */
  cfg: BgpNeighbor;
  readonly session: BgpSession;
  readonly received: Map<string, ReceivedRoute>;
  /** Per-family counts of `received` and the inbound max-prefixes guards. */
  limiter: PrefixLimiter;
  /** IP TTL of the session's packets. */
  readonly ttl: number;
  pfxSent: number;
}

export class BgpSpeaker {
  private readonly opts: SpeakerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** The running `bgp` section (neighbors and networks change on reload; asn/router-id never). */
  private bgp: BgpConfig;
  private readonly bgpId: number;
  private readonly connector: Connector;
  private readonly neighbors = new Map<string, Neighbor>();
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

  private createNeighbor(n: BgpNeighbor): Neighbor {
    const opts = this.opts;
    const key = neighborKey(n);
    const ttl = sessionTtl({
      localAs: this.bgp.asn,
      remoteAs: n.remoteAs,
      ebgpMultihop: n.ebgpMultihop,
    });
    const session = new BgpSession({
      cfg: {
        name: key,
        remoteAddress: n.address,
        port: opts.port ?? BGP_PORT,
        updateSource: n.updateSource,
        ttl,
        open: {
          localAs: this.bgp.asn,
          localBgpId: this.bgpId,
          remoteAs: n.remoteAs,
          holdTimeSec: n.timers.holdSec,
          keepaliveSec: n.timers.keepaliveSec,
          families: familiesOf(n),
        },
        fsm: fsmConfig({
          passive: n.passive,
          holdTimeSec: n.timers.holdSec,
          ...(opts.connectRetrySec !== undefined ? { connectRetrySec: opts.connectRetrySec } : {}),
          ...(opts.idleHoldSec !== undefined ? { idleHoldSec: opts.idleHoldSec } : {}),
        }),
      },
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
    const candidates = [...this.neighbors.values()].filter(
      (n) => n.cfg.address === c.remoteAddress,
    );
    const match =
      candidates.find(
        (n) => n.cfg.updateSource !== undefined && n.cfg.updateSource === c.localAddress,
      ) ?? candidates.find((n) => n.cfg.updateSource === undefined);
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
   * ({@link neighborChange}). Removed neighbors get Cease/Peer De-configured, neighbors whose
   * session parameters changed Cease/Other Configuration Change (RFC 4486 §4) and a new session;
   * the others keep their session. The AS number and router-id cannot change here (rebuild the
   * speaker).
   */
  reconfigure(bgp: BgpConfig): NeighborReconfig {
    if (bgp.asn !== this.bgp.asn || bgp.routerId !== this.bgp.routerId) {
      throw new Error('asn or router-id changed: the speaker must be rebuilt');
    }
    this.bgp = bgp;
    this.networks = parseNetworks(bgp.networks);
    const r = { added: [], removed: [], reset: [], soft: [], shutdown: [], started: [] } as {
      [K in keyof NeighborReconfig]: string[];
    };
    const wanted = new Map(bgp.neighbors.map((n) => [neighborKey(n), n]));
    for (const [key, n] of [...this.neighbors]) {
      if (wanted.has(key)) continue;
      n.session.stopWith(cease(CeaseSubcode.PEER_DE_CONFIGURED));
      this.neighbors.delete(key);
      r.removed.push(key);
    }
    for (const [key, cfg] of wanted) {
      const n = this.neighbors.get(key);
      if (!n) {
        this.addNeighbor(cfg);
        r.added.push(key);
        continue;
      }
      const change = neighborChange(n.cfg, cfg);
      if (change === 'none') continue;
      if (change === 'reset') {
        n.session.stopWith(cease(CeaseSubcode.OTHER_CONFIGURATION_CHANGE));
        this.neighbors.delete(key);
        // After IdleHold, as after a hard clear: the peer is still tearing the old session down.
        this.addNeighbor(cfg, this.opts.idleHoldSec ?? DEFAULT_FSM_CONFIG.idleHoldSec);
        r.reset.push(key);
        continue;
      }
      this.applySoft(n, cfg);
      if (change === 'shutdown') {
        n.session.stop('neighbor shutdown');
        r.shutdown.push(key);
      } else if (change === 'no-shutdown') {
        if (this.started) n.session.start();
        r.started.push(key);
      } else {
        r.soft.push(key);
      }
    }
    return r;
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

  /** Soft settings in place; the RIB re-runs policy (rib-sync.ts `reconfigure`). */
  private applySoft(n: Neighbor, cfg: BgpNeighbor): void {
    const old = n.cfg;
    n.cfg = cfg;
    if (JSON.stringify(old.maxPrefixes) !== JSON.stringify(cfg.maxPrefixes)) {
      const wasHeld = n.session.stoppedFor === MAX_PREFIXES_EXCEEDED;
      const limiter = new PrefixLimiter(cfg.maxPrefixes);
      for (const r of n.received.values()) limiter.add(r.family);
      n.limiter = limiter;
      const families = new Set([...n.received.values()].map((r) => r.family));
      for (const { family, event } of limiter.check(families)) {
        if (this.onMaxPrefixEvent(n, family, event)) break;
      }
      // Held Idle (PfxCt) by the old limit: the operator changed it, so try again.
      if (wasHeld && !cfg.shutdown && this.started) {
        n.session.start();
      }
    }
    if (cfg.allowasIn > old.allowasIn && n.session.negotiated) {
      // Routes with our AS were dropped on receipt (not kept): ask for them again.
      if (this.requestRouteRefresh(n.key) === 0) {
        this.log.info(
          { neighbor: n.key },
          'allowas-in raised but the neighbor has no route refresh: routes arrive on the next reset',
        );
      }
    }
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
  neighborsVia(tunnel: string): Neighbor[] {
    const t = this.opts.tunnels?.find((x) => x.name === tunnel);
    const tunnelAddr = t?.address ? parseInterfaceAddress(t.address) : null;
    const routes = (this.opts.staticRoutes ?? []).filter((r) => r.via.includes(tunnel));
    return [...this.neighbors.values()].filter((n) => {
      if (tunnelAddr && n.cfg.updateSource === formatIp(tunnelAddr.addr)) return true;
      const addr = mustParseIp(n.cfg.address);
      return routes.some((r) => {
        if (r.routingContext !== n.cfg.routingContext) return false;
        const p = parsePrefix(r.prefix);
        return p !== null && prefixContains(p, addr);
      });
    });
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

  private advertiseNetworks(n: Neighbor, s: NegotiatedSession, local: string | undefined): void {
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
    const now = this.clock.now();
    const withdrawn: Prefix[] = [];
    const announced: ReceivedRoute[] = [];
    const drop = (p: Prefix): void => {
      const k = routeKey(p);
      const had = n.received.get(k);
      if (!had) return;
      n.received.delete(k);
      n.limiter.add(had.family, -1);
      withdrawn.push(p);
    };
    if (r.kind === 'treat-as-withdraw') {
      for (const p of r.withdrawn) drop(p);
    } else {
      const u = r.update;
      for (const p of u.withdrawn) drop(p);
      const unreach = findAttr(u.attributes, 'MP_UNREACH_NLRI');
      if (unreach) for (const p of unreach.withdrawn) drop(p);
      const attrs = u.attributes.filter(
        (a) => a.type !== 'MP_REACH_NLRI' && a.type !== 'MP_UNREACH_NLRI',
      );
      const nh = findAttr(u.attributes, 'NEXT_HOP');
      for (const p of u.nlri) {
        announced.push({
          prefix: p,
          family: 'ipv4-unicast',
          attributes: attrs,
          nextHop: nh?.nextHop,
          receivedAtMs: now,
        });
      }
      const reach = findAttr(u.attributes, 'MP_REACH_NLRI');
      const fam = reach ? familyOf(reach) : undefined;
      if (reach && fam) {
        for (const p of reach.nlri) {
          announced.push({
            prefix: p,
            family: fam,
            attributes: attrs,
            nextHop: reach.nextHops[0],
            receivedAtMs: now,
          });
        }
      }
      const asPath = findAttr(attrs, 'AS_PATH');
      const own = asPath
        ? asPath.segments.reduce((c, sg) => c + sg.asns.filter((x) => x === this.bgp.asn).length, 0)
        : 0;
      if (own > n.cfg.allowasIn) {
        // RFC 4271 §9.1.2: a route carrying our own AS is a loop; it replaces (withdraws) any
        // earlier route for the prefix.
        for (const a of announced) drop(a.prefix);
        announced.length = 0;
      }
      const added: ReceivedRoute[] = [];
      for (const a of announced) {
        const k = routeKey(a.prefix);
        if (!n.received.has(k)) {
          n.limiter.add(a.family);
          added.push(a);
        }
        n.received.set(k, a);
      }
      if (this.checkMaxPrefixes(n, announced)) {
        // Torn down: what this UPDATE added was never published; the rest is withdrawn when the
        // session goes down (onDown), right after this UPDATE.
        for (const a of added) {
          n.received.delete(routeKey(a.prefix));
          n.limiter.add(a.family, -1);
        }
        announced.length = 0;
      }
    }
    if (announced.length === 0 && withdrawn.length === 0) return;
    this.tableVersion += 1;
    this.emit(n, announced, withdrawn);
  }

  /** Inbound max-prefixes after an UPDATE; true when the session is being torn down. */
  private checkMaxPrefixes(n: Neighbor, announced: readonly ReceivedRoute[]): boolean {
    if (!n.limiter.policy || announced.length === 0) return false;
    const families = new Set(announced.map((a) => a.family));
    for (const { family, event } of n.limiter.check(families)) {
      if (this.onMaxPrefixEvent(n, family, event)) return true;
    }
    return false;
  }

  private onMaxPrefixEvent(n: Neighbor, family: FamilyName, e: MaxPrefixEvent): boolean {
    const fields = { neighbor: n.key, family, count: e.count, limit: e.limit };
    if (e.kind === 'threshold') {
      this.log.warn(fields, 'maximum prefixes threshold reached');
      return false;
    }
    this.log.warn({ ...fields, action: e.action }, MAX_PREFIXES_EXCEEDED);
    if (e.action === 'warn') return false;
    const { afi, safi } = familyAfiSafi(family);
    n.session.stopFor(
      MAX_PREFIXES_EXCEEDED,
      maxPrefixesNotification(afi, safi, e.limit),
      n.limiter.policy?.restartSec,
    );
    return true;
  }

  private emit(n: Neighbor, announced: ReceivedRoute[], withdrawn: Prefix[]): void {
    const e: RoutesEvent = {
      neighbor: n.key,
      routingContext: n.cfg.routingContext,
      announced,
      withdrawn,
    };
    for (const fn of this.routeListeners) fn(e);
  }
}

/** The State column: Catalyst's "Idle (Admin)" and "Idle (PfxCt)" for stopped neighbors. */
function stateText(n: Neighbor, state: string): string {
  if (state !== 'Idle') return state;
  if (n.cfg.shutdown) return 'Idle (Admin)';
  if (n.session.stoppedFor === MAX_PREFIXES_EXCEEDED) return 'Idle (PfxCt)';
  return state;
}

/** "10.20.0.0/16 via 169.254.21.2 path 65515 i" style text for logs and tests. */
export function describeRoute(r: ReceivedRoute): string {
  const asPath = findAttr(r.attributes, 'AS_PATH');
  const nh = r.nextHop ? formatIp(r.nextHop) : '-';
  return `${formatPrefix(r.prefix)} via ${nh} path ${asPath ? formatAsPath(asPath.segments) : ''}`;
}
