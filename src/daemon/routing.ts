/**
 * The routing module as a daemon component: static routes, tunnel-connected subnets and routing
 * contexts from the configuration (`Routing.applyStatic`), kernel programming on start, cleanup on
 * stop, and the `show ip route` view plus `nvad_routes_installed{source}`.
 *
 * The tunnels component drives the same `Routing` instance (it also calls applyStatic/start/stop
 * and reports line protocol); those calls are idempotent, so whichever component comes first
 * programs the kernel and the other one is a no-op. List this component before tunnels and BGP:
 * it stops last, after BGP has withdrawn its routes.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../lib/log.js';
import { registerRoutingMetrics } from '../mgmt/api/metrics.js';
import type { ComponentStatus, ViewRegistry } from '../mgmt/show/context.js';
import { ROUTING_VIEW, type RouteShowEntry } from '../mgmt/show/commands/ip-route.js';
import type { RoutingConfig, RoutingView } from '../routing/index.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';

/** What this component needs from `src/routing`'s `Routing` (which satisfies it). */
export interface RoutingPort {
  applyStatic(config: RoutingConfig): void;
  setTunnelState(name: string, up: boolean): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  settled(): Promise<void>;
  view(): RoutingView;
}

/** Prometheus registry as the metrics module takes it. */
type MetricsRegistry = Parameters<typeof registerRoutingMetrics>[0];

export interface RoutingComponentOptions {
  readonly routing: RoutingPort;
  readonly logger: Logger;
}

/** Count selected routes with at least one usable next hop, per source. */
export function installedBySource(
  routes: readonly Pick<RouteShowEntry, 'source' | 'selected' | 'nexthops'>[],
): Record<string, number> {
  const out: Record<string, number> = { connected: 0, static: 0, bgp: 0 };
  for (const r of routes) {
    if (!r.selected || !r.nexthops.some((n) => n.usable)) continue;
    out[r.source] = (out[r.source] ?? 0) + 1;
  }
  return out;
}

export class RoutingComponent implements Component {
  readonly name = 'routing';
  private readonly routing: RoutingPort;
  private readonly log: Logger;
  private state: ComponentStatus['state'] = 'stopped';
  private lastError = '';

  constructor(opts: RoutingComponentOptions) {
    this.routing = opts.routing;
    this.log = opts.logger.child({ mod: 'routing' });
  }

  async start(config: Config): Promise<void> {
    this.state = 'starting';
    try {
      this.routing.applyStatic(config);
      await this.routing.start();
      this.state = 'running';
      this.log.info(
        {
          staticRoutes: config.staticRoutes.length,
          contexts: Object.keys(config.routingContexts).length,
        },
        'routing started',
      );
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      await this.routing.stop().catch(() => undefined);
      throw err;
    }
  }

  async apply(diff: ConfigDiff, next: Config): Promise<void> {
    const touched =
      diff.staticRoutes.added.length > 0 ||
      diff.staticRoutes.removed.length > 0 ||
      diff.routingContexts.added.length + diff.routingContexts.removed.length > 0 ||
      diff.routingContexts.changed.length > 0 ||
      diff.tunnels.added.length + diff.tunnels.removed.length + diff.tunnels.changed.length > 0;
    if (!touched) {
      this.log.debug('routing unchanged');
      return;
    }
    this.routing.applyStatic(next);
    await this.routing.settled();
    this.log.info(
      {
        staticAdded: diff.staticRoutes.added.length,
        staticRemoved: diff.staticRoutes.removed.length,
      },
      'routing reconfigured',
    );
  }

  async stop(): Promise<void> {
    await this.routing.stop();
    this.state = 'stopped';
  }

  status(): ComponentStatus {
    if (this.state === 'failed')
      return { name: this.name, state: this.state, detail: this.lastError };
    const v = this.routing.view();
    const n = installedBySource(v.routes);
    const detail = `${n.connected ?? 0} connected, ${n.static ?? 0} static, ${n.bgp ?? 0} BGP routes installed; ${v.fib.failures} kernel failures`;
    return { name: this.name, state: this.state, detail };
  }

  interfaces(): readonly string[] {
    return [];
  }

  publishViews(views: ViewRegistry): void {
    views.provide(ROUTING_VIEW, this.routing);
  }

  /** `nvad_routes_installed{source}` (duck-typed optional Component method, like tunnels). */
  registerMetrics(registry: MetricsRegistry): void {
    registerRoutingMetrics(registry, {
      installedRoutes: () => installedBySource(this.routing.view().routes),
    });
  }
}
