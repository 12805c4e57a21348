/**
 * The BGP speaker as a daemon component: the speaker (sessions, listeners), the RIB that joins
 * them (Adj-RIB-In → Loc-RIB → Adj-RIB-Out, `SpeakerRib`) and the route sink that hands best
 * paths (with their ECMP multipath set) to the routing module. Publishes the `show ip bgp …` view
 * (BGP_VIEW) and the per-neighbor metrics.
 *
 * Reload (SIGHUP) in place, touching only what changed (Catalyst/FRR behaviour):
 * - a neighbor added starts; one removed gets Cease/Peer De-configured (RFC 4486 §4) and its
 *   routes go; one whose session parameters changed (remote-as, timers, address families,
 *   update-source, ebgp-multihop, passive) gets Cease/Other Configuration Change and a new session;
 *   `shutdown` / no `shutdown` stop or start it;
 * - policy-only neighbor changes (route-maps, prefix-lists, max-prefixes, max-prefixes-out,
 *   as-override, next-hop-self, allowas-in) and prefix-list/route-map content are applied with no
 *   reset: import policy re-run over the stored Adj-RIB-In, Adj-RIB-Out re-exported, only the
 *   difference sent (a raised allowas-in asks the neighbor for a ROUTE-REFRESH);
 * - `networks`, `redistribute` and (redistributed) static routes: local routes re-originated as a
 *   difference; `maximum-paths`: best paths recomputed;
 * - `asn` or `router-id` changed, or the `bgp` section added/removed: the speaker is rebuilt
 *   (every session closes with Cease), as a Catalyst refuses or resets.
 * Tunnel and static-route changes that only affect which sessions ride on which tunnel are
 * applied in place (the speaker reads them on each event).
 *
 * Operations: publishes the `clear ip bgp` action (src/mgmt/api/clear-bgp.ts) next to the view.
 *
 * Tunnel line protocol: `onTunnelState(name, up)` closes the sessions through a tunnel that went
 * down at once and reconnects them when it comes back; hand it to the tunnels component as its
 * `onTunnelState` callback (that component updates the routing module's nexthop groups itself).
 *
 * Routing contexts: Loc-RIB is one table; learned routes go to the main table with each next hop
 * resolved in the routing context of the session it was learned over (see rib-sync.ts).
 *
 * `redistribute connected` (Catalyst/FRR; what it covers: src/routing/connected.ts) is
 * re-evaluated on tunnel state changes, on reload and every {@link CONNECTED_SCAN_MS} (BIRD's
 * `scan time`: interface addresses have no events here).
 */
import type { BgpConfig, Config, StaticRoute } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { formatIp } from '../lib/ip/addr.js';
import { formatPrefix, type Prefix } from '../lib/ip/prefix.js';
import type { Timer } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { Rng } from '../lib/rng.js';
import { registerBgpMetrics, type BgpNeighborMetricsSample } from '../mgmt/api/metrics.js';
import { actionsOf, type ComponentStatus, type ViewRegistry } from '../mgmt/show/context.js';
import {
  CLEAR_IP_BGP,
  type ClearBgpAction,
  type ClearBgpDto,
  type ClearBgpRequest,
} from '../mgmt/api/clear-bgp.js';
import {
  BGP_VIEW,
  matchNeighbor,
  type BgpDestinationInfo,
  type BgpNeighborInfo,
  type BgpRouteRow,
  type BgpShowQuery,
  type BgpSummaryInfo,
} from '../mgmt/show/commands/ip-bgp-view.js';
import { formatBgpId } from '../bgp/open-negotiation.js';
import { asPathText, type Path, type PathAttrs } from '../bgp/rib/path.js';
import {
  BgpSpeaker,
  connectRouteSink,
  neighborKey,
  SpeakerRib,
  SINK_DEFAULT_CONTEXT,
  type AdvertisedRoute,
  type Connector,
  type RouteSink,
  type TcpSocketOptions,
  type TunnelRef,
} from '../bgp/session/index.js';
import { globalConnectedPrefixes } from '../routing/index.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';

/** What BGP needs from the routing module (`src/routing` `Routing` satisfies it). */
export interface BgpRoutingPort extends RouteSink {
  withdrawAllBgp(context?: string): void;
  /**
   * The routing table's candidates, to flag RIB-failures in `show ip bgp` and to find connected
   * subnets for `redistribute connected` (optional).
   */
  view?(): {
    readonly routes: readonly {
      readonly source: string;
      readonly context: string;
      readonly prefix: string;
      readonly selected: boolean;
      readonly nexthops?: readonly { readonly usable: boolean }[];
    }[];
  };
  /** Re-read the kernel's interface addresses (the periodic connected scan; optional). */
  refreshInterfaces?(): Promise<void>;
}

/** How often `redistribute connected` re-reads interface addresses. */
export const CONNECTED_SCAN_MS = 10_000;

export interface BgpComponentOptions {
  readonly routing: BgpRoutingPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rng: Rng;
  /** TCP port to listen on and connect to (default 179; tests use a high port). */
  readonly port?: number;
  readonly connector?: Connector;
  /** Open listeners (default true). */
  readonly listen?: boolean;
  readonly connectRetrySec?: number;
  readonly idleHoldSec?: number;
  /** Per-socket TTL (ebgp-multihop) from the native addon; without it sockets keep TTL 64. */
  readonly socketOptions?: TcpSocketOptions;
}

/** Prometheus registry as the metrics module takes it. */
type MetricsRegistry = Parameters<typeof registerBgpMetrics>[0];

const ORIGIN_CODES = ['i', 'e', '?'] as const;

function originCode(o: number): BgpRouteRow['origin'] {
  return ORIGIN_CODES[o] ?? '?';
}

function zeroFor(p: Path): string {
  return p.family === 'ipv6-unicast' ? '::' : '0.0.0.0';
}

interface RowFlags {
  readonly best?: boolean;
  readonly multipath?: boolean;
  readonly ribFailure?: boolean;
  readonly rejected?: string | undefined;
  readonly attrs?: PathAttrs;
}

function pathRow(p: Path, now: number, f: RowFlags = {}): BgpRouteRow {
  const a = f.attrs ?? p.attrs;
  const local = p.source.kind === 'local';
  return {
    prefix: formatPrefix(p.prefix),
    routingContext: p.source.routingContext ?? null,
    nextHop: a.nextHop ? formatIp(a.nextHop) : zeroFor(p),
    metric: a.med ?? null,
    localPref: a.localPref ?? null,
    weight: local ? 32768 : 0,
    asPath: asPathText(a),
    origin: originCode(a.origin),
    valid: f.rejected === undefined && !p.flags.asLoop,
    best: f.best ?? false,
    multipath: f.multipath ?? false,
    ribFailure: f.ribFailure ?? false,
    from: local ? zeroFor(p) : p.source.address,
    ibgp: p.source.isIbgp,
    local,
    rejected: f.rejected ?? (p.flags.asLoop ? 'as-loop' : null),
    ageSec: Math.max(0, Math.floor((now - p.receivedAt) / 1000)),
  };
}

/** Why a reload must rebuild the speaker instead of changing it in place; undefined: in place. */
function rebuildReason(
  prev: BgpConfig | undefined,
  next: BgpConfig | undefined,
  running: boolean,
): string | undefined {
  if (!prev && next) return 'bgp section added';
  if (prev && !next) return 'bgp section removed';
  if (!prev || !next) return undefined;
  if (prev.asn !== next.asn) return `asn changed (${prev.asn} → ${next.asn})`;
  if (prev.routerId !== next.routerId) {
    return `router-id changed (${prev.routerId} → ${next.routerId})`;
  }
  if (!running) return 'speaker not running';
  return undefined;
}

function sameRef(a: readonly unknown[], b: readonly unknown[]): void {
  // Replace the contents of `a` (shared with the speaker) with `b`.
  (a as unknown[]).splice(0, a.length, ...b);
}

export class BgpComponent implements Component {
  readonly name = 'bgp';
  private readonly opts: BgpComponentOptions;
  private readonly routing: BgpRoutingPort;
  private readonly log: Logger;
  private readonly clock: Clock;
  private speaker: BgpSpeaker | null = null;
  private rib: SpeakerRib | null = null;
  private bgp: BgpConfig | undefined;
  private config: Config | undefined;
  private scanTimer: Timer | null = null;
  /** Shared with the speaker (it reads them per event), updated in place on reload. */
  private readonly tunnelRefs: TunnelRef[] = [];
  private readonly staticRefs: StaticRoute[] = [];
  /** Bumped on every rebuild: late events of a torn-down speaker must not touch routes. */
  private generation = 0;
  private state: ComponentStatus['state'] = 'stopped';
  private lastError = '';

  constructor(opts: BgpComponentOptions) {
    this.opts = opts;
    this.routing = opts.routing;
    this.log = opts.logger.child({ mod: 'bgp' });
    this.clock = opts.clock;
  }

  async start(config: Config): Promise<void> {
    this.state = 'starting';
    this.updateRefs(config);
    try {
      await this.build(config);
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      this.teardown('nvad start failed');
      throw err;
    }
  }

  async apply(diff: ConfigDiff, next: Config): Promise<void> {
    this.updateRefs(next);
    const prev = this.bgp;
    this.config = next;
    const b = diff.bgp;
    const bgpChanged =
      b.added ||
      b.removed ||
      b.global ||
      b.policy ||
      b.neighbors.added.length + b.neighbors.removed.length + b.neighbors.changed.length > 0;
    const staticChanged =
      diff.staticRoutes.added.length + diff.staticRoutes.removed.length > 0 &&
      (next.bgp?.redistribute.includes('static') ?? false);
    if (!bgpChanged && !staticChanged) {
      this.log.debug('bgp unchanged');
      this.refreshConnected(); // loopbacks or tunnels may have changed
      return;
    }
    const rebuild = rebuildReason(prev, next.bgp, this.speaker !== null);
    if (rebuild === undefined && next.bgp && this.speaker && this.rib) {
      this.reconfigure(next.bgp, next);
      return;
    }
    this.log.info({ reason: rebuild }, 'bgp configuration changed; restarting the speaker');
    this.teardown('nvad configuration change');
    try {
      await this.build(next);
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      this.teardown('nvad reload failed');
      throw err;
    }
  }

  /** Reload in place (see the file header); the speaker first, then the RIB. */
  private reconfigure(bgp: BgpConfig, next: Config): void {
    const speaker = this.speaker;
    const rib = this.rib;
    if (!speaker || !rib) return;
    const hadConnected = this.bgp?.redistribute.includes('connected') ?? false;
    const n = speaker.reconfigure(bgp);
    this.bgp = bgp;
    const soft = rib.reconfigure(bgp, next.staticRoutes);
    const hasConnected = bgp.redistribute.includes('connected');
    if (hasConnected && !hadConnected) this.armScan();
    if (!hasConnected && hadConnected) {
      this.scanTimer?.cancel();
      this.scanTimer = null;
    }
    this.refreshConnected();
    this.log.info(
      {
        neighborsAdded: n.added,
        neighborsRemoved: n.removed,
        neighborsReset: n.reset,
        neighborsShutdown: n.shutdown,
        neighborsStarted: n.started,
        softReconfigured: soft,
        localRoutes: rib.localRoutes().length,
        maximumPaths: bgp.maximumPaths,
      },
      'bgp configuration applied in place',
    );
  }

  /**
   * `clear ip bgp {*|ADDR} [soft in|out|both]` (see src/mgmt/api/clear-bgp.ts). Undefined when a
   * named neighbor does not exist.
   */
  clear(req: ClearBgpRequest): ClearBgpDto | undefined {
    const speaker = this.speaker;
    const ns = speaker?.summary().neighbors ?? [];
    const targets = ns.filter(
      (n) =>
        (req.neighbor === '*' || n.address === req.neighbor) &&
        (req.context === undefined || (n.routingContext ?? 'default') === req.context),
    );
    if (targets.length === 0 && req.neighbor !== '*') return undefined;
    const out: ClearBgpDto['neighbors'][number][] = [];
    for (const t of targets) {
      const actions = this.clearOne(t.neighbor, t.state, req.soft);
      this.log.info({ neighbor: t.neighbor, soft: req.soft ?? 'hard', actions }, 'clear ip bgp');
      out.push({
        neighbor: t.neighbor,
        address: t.address,
        routingContext: t.routingContext ?? null,
        actions,
      });
    }
    return { neighbors: out };
  }

  private clearOne(key: string, state: string, soft: ClearBgpRequest['soft']): ClearBgpAction[] {
    const speaker = this.speaker;
    const rib = this.rib;
    if (!speaker || !rib) return ['skipped'];
    if (soft === undefined) {
      const wasPfxCt = state === 'Idle (PfxCt)';
      if (!speaker.resetNeighbor(key, 'clear ip bgp')) return ['skipped'];
      return [wasPfxCt ? 'restart' : 'reset'];
    }
    const actions: ClearBgpAction[] = [];
    if (soft === 'in' || soft === 'both') {
      if (speaker.requestRouteRefresh(key) > 0) actions.push('route-refresh');
      else if (rib.softIn(key)) actions.push('soft-in');
    }
    if ((soft === 'out' || soft === 'both') && rib.softOut(key)) actions.push('soft-out');
    return actions.length > 0 ? actions : ['skipped'];
  }

  async stop(): Promise<void> {
    this.teardown('nvad shutting down');
    this.state = 'stopped';
    await Promise.resolve();
  }

  status(): ComponentStatus {
    if (this.state === 'failed')
      return { name: this.name, state: 'failed', detail: this.lastError };
    if (!this.speaker) return { name: this.name, state: this.state, detail: 'BGP not configured' };
    const ns = this.speaker.summary().neighbors;
    const up = ns.filter((n) => n.state === 'Established').length;
    return {
      name: this.name,
      state: this.state,
      detail: `${up}/${ns.length} neighbors Established, ${this.rib?.locRib.size ?? 0} destinations`,
    };
  }

  interfaces(): readonly string[] {
    return [];
  }

  publishViews(views: ViewRegistry): void {
    views.provide(BGP_VIEW, this.query());
    actionsOf(views).provide(CLEAR_IP_BGP, (req) => this.clear(req));
  }

  /** Per-neighbor metrics (duck-typed optional Component method, like tunnels). */
  registerMetrics(registry: MetricsRegistry): void {
    registerBgpMetrics(registry, { metricSamples: () => this.metricSamples() });
  }

  /**
   * Tunnel line protocol changed: close or reopen the sessions through it at once. The tunnels
   * component has already told the routing module (it owns the line protocol).
   */
  onTunnelState(name: string, up: boolean): void {
    if (!this.speaker) return;
    const hit = up ? this.speaker.tunnelUp(name) : this.speaker.tunnelDown(name);
    if (hit.length > 0) {
      this.log.info({ tunnel: name, up, neighbors: hit }, 'tunnel state changed BGP sessions');
    }
    this.refreshConnected();
  }

  /** `redistribute connected`: the connected prefixes of the global table now. */
  connectedPrefixes(): Prefix[] {
    return globalConnectedPrefixes(
      this.config?.loopbacks ?? [],
      this.routing.view?.().routes ?? [],
    );
  }

  /** Re-evaluate `redistribute connected` (no-op unless configured). */
  refreshConnected(): void {
    const rib = this.rib;
    if (!rib || !this.bgp?.redistribute.includes('connected')) return;
    if (rib.setConnected(this.connectedPrefixes())) {
      this.log.info(
        { prefixes: rib.localRoutes().filter((p) => p.flags.local === 'connected').length },
        'redistributed connected prefixes changed',
      );
    }
  }

  private armScan(): void {
    if (!this.bgp?.redistribute.includes('connected')) return;
    const gen = this.generation;
    this.scanTimer = this.clock.setTimer(CONNECTED_SCAN_MS, () => {
      void (this.routing.refreshInterfaces?.() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          if (gen !== this.generation) return;
          this.refreshConnected();
          this.scanTimer?.reschedule(CONNECTED_SCAN_MS);
        });
    });
  }

  metricSamples(): BgpNeighborMetricsSample[] {
    if (!this.speaker) return [];
    return this.speaker.summary().neighbors.map((n) => ({
      neighbor: n.address,
      context: n.routingContext ?? SINK_DEFAULT_CONTEXT,
      up: n.state === 'Established',
      prefixesReceived: this.receivedCount(n.neighbor),
      prefixesAdvertised: this.rib?.advertisedCount(n.neighbor) ?? 0,
      messagesIn: n.msgRcvd,
      messagesOut: n.msgSent,
    }));
  }

  /** The show view; reads the current speaker on every call (it is rebuilt on reload). */
  query(): BgpShowQuery {
    return {
      summary: () => this.summary(),
      neighbors: () => this.neighborInfos(),
      destinations: () => this.destinations(),
      receivedRoutes: (n) => this.receivedRoutes(n),
      acceptedRoutes: (n) => this.acceptedRoutes(n),
      advertisedRoutes: (n) => this.advertisedRoutes(n),
    };
  }

  // ---- lifecycle ----

  private updateRefs(config: Config): void {
    sameRef(
      this.tunnelRefs,
      config.tunnels.map((t) => ({ name: t.name, address: t.address })),
    );
    sameRef(this.staticRefs, config.staticRoutes);
  }

  private async build(config: Config): Promise<void> {
    this.bgp = config.bgp;
    this.config = config;
    if (!config.bgp) {
      this.log.info('no bgp section; BGP not started');
      return;
    }
    const o = this.opts;
    const speaker = new BgpSpeaker({
      bgp: config.bgp,
      clock: o.clock,
      rng: o.rng,
      log: o.logger,
      tunnels: this.tunnelRefs,
      staticRoutes: this.staticRefs,
      originateNetworks: false,
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.connector !== undefined ? { connector: o.connector } : {}),
      ...(o.listen !== undefined ? { listen: o.listen } : {}),
      ...(o.connectRetrySec !== undefined ? { connectRetrySec: o.connectRetrySec } : {}),
      ...(o.idleHoldSec !== undefined ? { idleHoldSec: o.idleHoldSec } : {}),
      ...(o.socketOptions !== undefined ? { socketOptions: o.socketOptions } : {}),
    });
    const rib = new SpeakerRib({ speaker, bgp: config.bgp, clock: o.clock, log: o.logger });
    const gen = ++this.generation;
    const live = (): boolean => gen === this.generation;
    connectRouteSink(rib, {
      upsertBgp: (ctx, prefix, hops, attrs, parsed) => {
        if (live()) this.routing.upsertBgp(ctx, prefix, hops, attrs, parsed);
      },
      withdrawBgp: (ctx, prefix) => {
        if (live()) this.routing.withdrawBgp(ctx, prefix);
      },
    });
    speaker.onSessionChange((key, up, reason) => {
      if (live())
        this.log.info({ neighbor: key, up, reason }, up ? 'BGP neighbor up' : 'BGP neighbor down');
    });
    rib.originate(config.staticRoutes);
    this.speaker = speaker;
    this.rib = rib;
    this.refreshConnected();
    this.armScan();
    speaker.start();
    await speaker.ready();
    this.log.info(
      {
        asn: config.bgp.asn,
        routerId: config.bgp.routerId,
        neighbors: config.bgp.neighbors.length,
      },
      'BGP speaker started',
    );
  }

  private teardown(reason: string): void {
    const speaker = this.speaker;
    this.generation += 1;
    this.speaker = null;
    this.rib = null;
    this.scanTimer?.cancel();
    this.scanTimer = null;
    if (!speaker) return;
    speaker.stop(reason);
    this.routing.withdrawAllBgp();
  }

  // ---- views ----

  private summary(): BgpSummaryInfo {
    const s = this.speaker?.summary();
    const bgp = this.bgp;
    const version = this.rib?.locRib.tableVersion ?? s?.tableVersion ?? 1;
    return {
      routerId: s?.routerId ?? bgp?.routerId ?? '0.0.0.0',
      localAs: s?.localAs ?? bgp?.asn ?? 0,
      tableVersion: version,
      neighbors: (s?.neighbors ?? []).map((n) => {
        const established = n.state === 'Established';
        return {
          neighbor: n.neighbor,
          address: n.address,
          routingContext: n.routingContext ?? null,
          description: n.description ?? null,
          remoteAs: n.remoteAs,
          msgRcvd: n.msgRcvd,
          msgSent: n.msgSent,
          tblVer: version,
          inQ: n.inQ,
          outQ: n.outQ,
          upDownSec: Math.max(0, Math.floor(n.upDownMs / 1000)),
          state: n.state,
          established,
          pfxRcd: established ? this.receivedCount(n.neighbor) : null,
          pfxSent: this.rib?.advertisedCount(n.neighbor) ?? 0,
        };
      }),
    };
  }

  private neighborInfos(): BgpNeighborInfo[] {
    if (!this.speaker) return [];
    const byKey = new Map(this.summary().neighbors.map((n) => [n.neighbor, n]));
    return this.speaker.neighborDetails().flatMap((d) => {
      const s = byKey.get(d.neighbor);
      if (!s) return [];
      const c = d.counters;
      return [
        {
          ...s,
          localAddress: d.localAddress ?? null,
          updateSource: d.updateSource ?? null,
          ebgpMultihop: d.ebgpMultihop ?? null,
          passive: d.passive,
          remoteRouterId: d.negotiated ? formatBgpId(d.negotiated.remoteBgpId) : null,
          holdTimeSec: d.negotiated?.holdTimeSec ?? null,
          keepaliveSec: d.negotiated?.keepaliveSec ?? null,
          configuredHoldSec: d.configuredHoldSec,
          configuredKeepaliveSec: d.configuredKeepaliveSec,
          families: this.familiesOf(d.neighbor),
          tunnels: d.tunnels,
          counters: {
            opensSent: c.opensSent,
            opensRcvd: c.opensRcvd,
            updatesSent: c.updatesSent,
            updatesRcvd: c.updatesRcvd,
            keepalivesSent: c.keepalivesSent,
            keepalivesRcvd: c.keepalivesRcvd,
            notificationsSent: c.notificationsSent,
            notificationsRcvd: c.notificationsRcvd,
            routeRefreshSent: c.routeRefreshSent,
            routeRefreshRcvd: c.routeRefreshRcvd,
            established: c.established,
            dropped: c.dropped,
          },
          lastError: d.lastError ?? null,
          lastNotificationSent: d.lastNotificationSent ?? null,
          lastNotificationRcvd: d.lastNotificationRcvd ?? null,
        },
      ];
    });
  }

  private familiesOf(key: string): string[] {
    const n = this.bgp?.neighbors.find((x) => neighborKey(x) === key);
    return n ? [...n.addressFamilies] : [];
  }

  private destinations(): BgpDestinationInfo[] {
    const rib = this.rib;
    if (!rib) return [];
    const now = this.clock.now();
    const failed = this.ribFailures();
    const out: BgpDestinationInfo[] = [];
    for (const d of rib.locRib.destinations()) {
      if (d.paths.size === 0) continue;
      const multi = new Set(d.multipath.filter((p) => p !== d.best));
      const prefix = formatPrefix(d.prefix);
      const ribFailure = failed.has(`${SINK_DEFAULT_CONTEXT}|${prefix}`);
      out.push({
        prefix,
        // One Loc-RIB for every context: each path carries its session's context.
        routingContext: null,
        version: d.version,
        bestReason: d.best ? (d.reason ?? null) : null,
        paths: [...d.paths.values()].map((p) =>
          pathRow(p, now, {
            best: p === d.best,
            multipath: multi.has(p),
            ribFailure: ribFailure && p === d.best,
          }),
        ),
      });
    }
    return out;
  }

  /** `context|prefix` of BGP routes the routing table holds with another source instead. */
  private ribFailures(): Set<string> {
    const routes = this.routing.view?.().routes ?? [];
    const selectedOther = new Set(
      routes.filter((r) => r.selected && r.source !== 'bgp').map((r) => `${r.context}|${r.prefix}`),
    );
    return new Set(
      routes
        .filter((r) => r.source === 'bgp' && !r.selected)
        .map((r) => `${r.context}|${r.prefix}`)
        .filter((k) => selectedOther.has(k)),
    );
  }

  private resolveKey(arg: string): string | undefined {
    const ns = this.speaker?.summary().neighbors ?? [];
    return matchNeighbor(ns, arg)?.neighbor;
  }

  private receivedCount(key: string): number {
    let n = 0;
    for (const _ of this.rib?.adjRibIn(key)?.entries() ?? []) n += 1;
    return n;
  }

  private receivedRoutes(arg: string): BgpRouteRow[] | undefined {
    const key = this.resolveKey(arg);
    if (key === undefined) return undefined;
    const now = this.clock.now();
    const rows: BgpRouteRow[] = [];
    for (const e of this.rib?.adjRibIn(key)?.entries() ?? []) {
      rows.push(pathRow(e.pre, now, { rejected: e.rejected }));
    }
    return rows;
  }

  private acceptedRoutes(arg: string): BgpRouteRow[] | undefined {
    const key = this.resolveKey(arg);
    if (key === undefined) return undefined;
    const adj = this.rib?.adjRibIn(key);
    if (!adj) return [];
    const src = adj.source;
    return this.destinations().flatMap((d) =>
      d.paths.filter(
        (p) =>
          !p.local && p.from === src.address && p.routingContext === (src.routingContext ?? null),
      ),
    );
  }

  /** What the neighbor has from us: its Adj-RIB-Out (export policy and the cap applied). */
  private advertisedRoutes(arg: string): BgpRouteRow[] | undefined {
    const key = this.resolveKey(arg);
    if (key === undefined) return undefined;
    const now = this.clock.now();
    return (this.rib?.advertised(key) ?? []).map((r) => advertisedRow(r, now));
  }
}

/** A row of `advertised-routes`: the attributes as sent, the rest from the Loc-RIB path. */
function advertisedRow(r: AdvertisedRoute, now: number): BgpRouteRow {
  if (r.path) return pathRow(r.path, now, { best: true, attrs: r.attrs });
  const zero = r.family === 'ipv6-unicast' ? '::' : '0.0.0.0';
  return {
    prefix: formatPrefix(r.prefix),
    routingContext: null,
    nextHop: r.attrs.nextHop ? formatIp(r.attrs.nextHop) : zero,
    metric: r.attrs.med ?? null,
    localPref: r.attrs.localPref ?? null,
    weight: 0,
    asPath: asPathText(r.attrs),
    origin: originCode(r.attrs.origin),
    valid: true,
    best: true,
    multipath: false,
    ribFailure: false,
    from: zero,
    ibgp: false,
    local: false,
    rejected: null,
    ageSec: 0,
  };
}
