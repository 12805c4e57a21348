/**
 * The BGP speaker as a daemon component: the speaker (sessions, listeners), the RIB that joins
 * them (Adj-RIB-In → Loc-RIB → Adj-RIB-Out, `SpeakerRib`) and the route sink that hands best
 * paths (with their ECMP multipath set) to the routing module. Publishes the `show ip bgp …` view
 * (BGP_VIEW, built in bgp-views.ts) and the per-neighbor metrics.
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
import type { Clock, Timer } from '../lib/clock.js';
import type { Prefix } from '../lib/ip/prefix.js';
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
import { BGP_VIEW, type BgpShowQuery } from '../mgmt/show/commands/ip-bgp-view.js';
import {
  BgpSpeaker,
  connectRouteSink,
  SpeakerRib,
  type Connector,
  type RouteSink,
  type TcpSocketOptions,
  type TunnelRef,
} from '../bgp/session/index.js';
import { globalConnectedPrefixes } from '../routing/index.js';
import {
  bgpMetricSamples,
  bgpShowQuery,
  type BgpViewSource,
  type RoutingTableView,
} from './bgp-views.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';

export type { RoutingTableView } from './bgp-views.js';

/** What BGP needs from the routing module (`src/routing` `Routing` satisfies it). */
export interface BgpRoutingPort extends RouteSink {
  withdrawAllBgp(context?: string): void;
  /**
   * The routing table's candidates, to flag RIB-failures in `show ip bgp` and to find connected
   * subnets for `redistribute connected` (optional).
   */
  view?(): RoutingTableView;
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
    return bgpMetricSamples(this.viewSource());
  }

  /** The show view; reads the current speaker on every call (it is rebuilt on reload). */
  query(): BgpShowQuery {
    return bgpShowQuery(
      () => this.viewSource(),
      () => this.routing.view?.(),
      this.clock,
    );
  }

  private viewSource(): BgpViewSource {
    return { speaker: this.speaker, rib: this.rib, bgp: this.bgp };
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
}
