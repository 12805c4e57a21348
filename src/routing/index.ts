/**
 * The routing module's facade: static config, tunnel state and BGP routes in; kernel routes,
 * nexthop objects, groups and policy rules out (see `rib.ts` and `fib-programmer.ts`).
 *
 * Routing contexts map to Linux policy routing: the default context is the main table (254);
 * every other context has its own table and, for each tunnel bound to it, a rule
 * `from <tunnel inside address> lookup <table>` at the context's priority (default 1000), so
 * traffic sourced from that address (e.g. its BGP session) uses the context's table.
 *
 * Changes are coalesced: any number of synchronous updates lead to one reconcile pass after the
 * current tick; `settled()` resolves when the kernel has caught up.
 */
import { maxLen, parseInterfaceAddress, parsePrefix, formatPrefix } from '../lib/index.js';
import type { Clock, Logger, Prefix } from '../lib/index.js';
import type { KernelPort, LinkEvent, LinkWatch, RuleSpec } from '../kernel/index.js';
import type { Config, TunnelConfig } from '../config/types.js';
import { FibProgrammer, MAIN_TABLE, type FibStats } from './fib-programmer.js';
import {
  AdminDistance,
  DEFAULT_CONTEXT,
  Rib,
  type BgpShowAttrs,
  type NextHop,
  type RouteViewEntry,
} from './rib.js';

export {
  AdminDistance,
  DEFAULT_CONTEXT,
  Rib,
  RouteCode,
  type BgpShowAttrs,
  type NextHop,
  type NotInstalledReason,
  type ResolvedNexthop,
  type RouteSource,
  type RouteViewEntry,
  type SelectedRoute,
} from './rib.js';
export {
  FibProgrammer,
  NEXTHOP_ID_BASE,
  NEXTHOP_ID_COUNT,
  MAIN_TABLE,
  type FibStats,
} from './fib-programmer.js';
export { formatRouteTable } from './show.js';
export {
  globalConnectedPrefixes,
  redistributableConnected,
  type ConnectedRouteRow,
} from './connected.js';

export const DEFAULT_RULE_PRIORITY = 1000;

/** What `applyStatic` reads from the configuration. */
export interface RoutingConfig extends Pick<Config, 'staticRoutes' | 'routingContexts'> {
  readonly tunnels: readonly Pick<TunnelConfig, 'name' | 'address' | 'routingContext'>[];
}

export interface RoutingOptions {
  readonly kernel: KernelPort;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Rule priority for contexts that do not set one (default 1000). */
  readonly defaultRulePriority?: number;
  /** First nexthop id of the range this daemon owns (default 0x4e560000). */
  readonly idBase?: number;
  /** Learn subnets of non-tunnel interfaces as connected routes at start (default true). */
  readonly importInterfaceRoutes?: boolean;
}

export interface BgpRouteAttrs extends BgpShowAttrs {
  /** eBGP (distance 20) or iBGP (200). */
  readonly ebgp: boolean;
  readonly metric?: number;
}

export interface RoutingContextView {
  readonly name: string;
  readonly table: number;
  readonly priority: number | null;
}

export interface RoutingView {
  readonly routes: readonly RouteViewEntry[];
  readonly contexts: readonly RoutingContextView[];
  readonly rules: readonly RuleSpec[];
  readonly fib: FibStats;
}

interface WatchableKernel {
  watchLinks?: (cb: (ev: LinkEvent) => void) => LinkWatch;
}

export class Routing {
  private readonly kernel: KernelPort & WatchableKernel;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly rib: Rib;
  private readonly fib: FibProgrammer;
  private readonly defaultPriority: number;
  private readonly importInterfaces: boolean;
  private tables = new Map<string, number>([[DEFAULT_CONTEXT, MAIN_TABLE]]);
  /** The tables of the last reconcile pass. */
  private appliedTables: ReadonlyMap<string, number> | null = null;
  private contexts: RoutingContextView[] = [];
  private rules: RuleSpec[] = [];
  private tunnels = new Set<string>();
  private tunnelConnected = new Set<string>();
  private interfaceConnected = new Set<string>();
  /** Line protocol as reported by the tunnel module. */
  private readonly declaredUp = new Map<string, boolean>();
  /** Devices seen without carrier (or admin down) by the link watch. */
  private readonly noCarrier = new Set<string>();
  private started = false;
  private dirty = false;
  private running: Promise<void> | null = null;
  private watch: LinkWatch | null = null;

  constructor(opts: RoutingOptions) {
    this.kernel = opts.kernel;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.rib = new Rib(() => this.clock.now());
    this.fib = new FibProgrammer({
      kernel: opts.kernel,
      logger: opts.logger,
      ...(opts.idBase !== undefined ? { idBase: opts.idBase } : {}),
    });
    this.defaultPriority = opts.defaultRulePriority ?? DEFAULT_RULE_PRIORITY;
    this.importInterfaces = opts.importInterfaceRoutes ?? true;
  }

  /** Replace connected (tunnel), static routes, contexts and rules from a (re)loaded config. */
  applyStatic(config: RoutingConfig): void {
    const tables = new Map<string, number>([[DEFAULT_CONTEXT, MAIN_TABLE]]);
    const contexts: RoutingContextView[] = [];
    for (const c of Object.values(config.routingContexts)) {
      tables.set(c.name, c.table);
      contexts.push({ name: c.name, table: c.table, priority: c.priority ?? this.defaultPriority });
    }
    this.tables = tables;
    this.contexts = contexts.sort((a, b) => a.table - b.table);
    this.tunnels = new Set(config.tunnels.map((t) => t.name));

    // Connected: each tunnel's inside subnet, in the tunnel's context.
    const connected = new Set<string>();
    const rules: RuleSpec[] = [];
    for (const t of config.tunnels) {
      if (t.address === undefined) continue;
      const a = parseInterfaceAddress(t.address);
      const p = parsePrefix(t.address);
      if (!a || !p) continue;
      const ctx = t.routingContext ?? DEFAULT_CONTEXT;
      const prefix = formatPrefix(p);
      connected.add(`${ctx}|${prefix}`);
      this.rib.set('connected', ctx, prefix, {
        nexthops: [{ kind: 'tunnel', tunnel: t.name }],
        distance: AdminDistance.connected,
      });
      const table = tables.get(ctx);
      if (t.routingContext !== undefined && table !== undefined) {
        const host = t.address.split('/')[0] ?? '';
        rules.push({
          family: a.addr.family,
          priority: config.routingContexts[ctx]?.priority ?? this.defaultPriority,
          table,
          src: `${host}/${maxLen(a.addr.family)}`,
        });
      }
    }
    for (const k of this.tunnelConnected) {
      if (connected.has(k)) continue;
      const [ctx, prefix] = splitKey(k);
      this.rib.set('connected', ctx, prefix, null);
    }
    this.tunnelConnected = connected;
    this.rules = rules;

    // Static: per (context, prefix) the lowest distance wins; equal distances merge (ECMP).
    const statics = new Map<string, { distance: number; nexthops: NextHop[] }>();
    for (const s of config.staticRoutes) {
      const ctx = s.routingContext ?? DEFAULT_CONTEXT;
      const p = parsePrefix(s.prefix);
      if (!p) continue;
      const key = `${ctx}|${formatPrefix(p)}`;
      const hops: NextHop[] =
        s.nextHop !== undefined
          ? [{ kind: 'gateway', address: s.nextHop }]
          : s.via.map((tunnel) => ({ kind: 'tunnel', tunnel }));
      const cur = statics.get(key);
      if (!cur || s.distance < cur.distance)
        statics.set(key, { distance: s.distance, nexthops: hops });
      else if (s.distance === cur.distance) cur.nexthops.push(...hops);
    }
    for (const k of this.rib.entriesOf('static').keys()) {
      if (statics.has(k)) continue;
      const [ctx, prefix] = splitKey(k);
      this.rib.set('static', ctx, prefix, null);
    }
    for (const [k, s] of statics) {
      const [ctx, prefix] = splitKey(k);
      this.rib.set('static', ctx, prefix, s);
    }
    this.schedule();
  }

  /** A tunnel's line protocol (child SA installed and TUN carrier up). */
  setTunnelState(name: string, up: boolean): void {
    this.declaredUp.set(name, up);
    this.updateTunnel(name);
  }

  /** Usable = declared up and not seen without carrier (the kernel refuses such nexthops). */
  private updateTunnel(name: string): void {
    const up = (this.declaredUp.get(name) ?? false) && !this.noCarrier.has(name);
    if (this.rib.setTunnelState(name, up)) this.schedule();
  }

  /**
   * Add or replace a BGP route in `context`'s table; next hops are gateway addresses or tunnels
   * (ECMP when several). A gateway may name the routing context it is resolved in (the session it
   * was learned over): `10.0.255.254` in `outside-one` and in `outside-two` gives one route over
   * both contexts' tunnels. This is the routing side of the BGP `RouteSink` port.
   */
  upsertBgp(
    context: string,
    prefix: string,
    nexthops: readonly (NextHop | string)[],
    attrs: BgpRouteAttrs,
    parsed?: Prefix,
  ): void {
    const changed = this.rib.set(
      'bgp',
      context,
      prefix,
      {
        nexthops: bgpNexthops(nexthops),
        distance: attrs.ebgp ? AdminDistance.ebgp : AdminDistance.ibgp,
        ...(attrs.metric !== undefined ? { metric: attrs.metric } : {}),
        attrs: showAttrs(attrs),
      },
      parsed,
    );
    if (changed) this.schedule();
  }

  withdrawBgp(context: string, prefix: string): void {
    if (this.rib.set('bgp', context, prefix, null)) this.schedule();
  }

  /** Drop every BGP route of a context (e.g. the session went down). */
  withdrawAllBgp(context?: string): void {
    this.rib.clearSource('bgp', context);
    this.schedule();
  }

  view(): RoutingView {
    return {
      routes: this.rib.view(),
      contexts: [{ name: DEFAULT_CONTEXT, table: MAIN_TABLE, priority: null }, ...this.contexts],
      rules: [...this.rules],
      fib: this.fib.stats(),
    };
  }

  /** Remove a previous run's leftovers, learn interface subnets, then program the kernel. */
  async start(): Promise<void> {
    if (this.started) return;
    const priorities = new Set(this.contexts.map((c) => c.priority));
    const tables = new Set(this.contexts.map((c) => c.table));
    await this.fib.cleanupStale((r) => tables.has(r.table) && priorities.has(r.priority));
    if (this.importInterfaces) await this.refreshInterfaces();
    if (this.kernel.watchLinks) {
      this.watch = this.kernel.watchLinks((ev) => {
        this.onLink(ev);
      });
    }
    this.started = true;
    this.schedule();
    await this.settled();
  }

  /** Remove every kernel object this module created. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.watch?.close();
    this.watch = null;
    await this.settled();
    await this.fib.removeAll();
    this.appliedTables = null; // a restart programs everything again
  }

  /** Resolves when every scheduled reconcile pass has finished. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Re-read the subnets of non-tunnel interfaces (connected routes for gateway resolution). */
  async refreshInterfaces(): Promise<void> {
    let links: Awaited<ReturnType<KernelPort['listLinks']>>;
    let addrs: Awaited<ReturnType<KernelPort['listAddresses']>>;
    try {
      links = await this.kernel.listLinks();
      addrs = await this.kernel.listAddresses();
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'interface scan failed');
      return;
    }
    const running = new Set(links.filter((l) => l.up && l.running).map((l) => l.name));
    const seen = new Set<string>();
    for (const a of addrs) {
      if (a.ifname === 'lo' || this.tunnels.has(a.ifname) || !running.has(a.ifname)) continue;
      if (a.prefixLen === maxLen(a.family)) continue;
      const p = parsePrefix(`${a.address}/${a.prefixLen}`);
      if (!p) continue;
      const key = `${DEFAULT_CONTEXT}|${formatPrefix(p)}`;
      seen.add(key);
      this.rib.set('connected', DEFAULT_CONTEXT, formatPrefix(p), {
        nexthops: [{ kind: 'interface', ifname: a.ifname }],
        distance: AdminDistance.connected,
      });
    }
    for (const k of this.interfaceConnected) {
      if (seen.has(k) || this.tunnelConnected.has(k)) continue;
      const [ctx, prefix] = splitKey(k);
      this.rib.set('connected', ctx, prefix, null);
    }
    this.interfaceConnected = seen;
    this.schedule();
  }

  private onLink(ev: LinkEvent): void {
    const name = ev.link.name;
    const usable = ev.type !== 'removed' && ev.link.up && ev.link.running;
    const wasUsable = ev.previous !== null && ev.previous.up && ev.previous.running;
    if (usable) this.noCarrier.delete(name);
    else this.noCarrier.add(name);
    // The kernel flushes nexthops (and their routes) on a device that loses carrier or goes down.
    if (!usable && (wasUsable || ev.type === 'removed') && this.fib.forgetDevice(name))
      this.schedule();
    if (usable && !wasUsable) this.schedule(); // retry what failed while it was down
    // A tunnel without carrier is unusable whatever its line protocol says.
    if (this.declaredUp.has(name)) this.updateTunnel(name);
  }

  private schedule(): void {
    this.dirty = true;
    this.kick();
  }

  private kick(): void {
    if (!this.started || this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.dirty) this.kick();
    });
  }

  private async loop(): Promise<void> {
    await Promise.resolve(); // coalesce synchronous bursts
    while (this.dirty && this.started) {
      this.dirty = false;
      try {
        // New context tables (a config change) need the whole selection.
        const tables = this.tables;
        const { selected, changed } = this.rib.computeChanges(tables !== this.appliedTables);
        this.appliedTables = tables;
        await this.fib.apply(selected, tables, this.rules, changed);
      } catch (e) {
        this.log.error(
          { err: e instanceof Error ? e.message : String(e) },
          'routing reconcile failed',
        );
      }
    }
  }
}

/**
 * Frozen inputs (the BGP route sink shares one next-hop list and one attribute object among all
 * routes of an UPDATE) are converted once and the result shared too, so equal routes keep
 * comparing by reference in the Rib.
 */
const hopsCache = new WeakMap<readonly (NextHop | string)[], readonly NextHop[]>();
const showCache = new WeakMap<BgpRouteAttrs, BgpShowAttrs>();

function bgpNexthops(nexthops: readonly (NextHop | string)[]): readonly NextHop[] {
  const frozen = Object.isFrozen(nexthops);
  if (frozen) {
    const hit = hopsCache.get(nexthops);
    if (hit) return hit;
  }
  const hops = nexthops.map((n): NextHop =>
    typeof n === 'string' ? { kind: 'gateway', address: n } : n,
  );
  if (!frozen) return hops;
  Object.freeze(hops);
  hopsCache.set(nexthops, hops);
  return hops;
}

function showAttrs(attrs: BgpRouteAttrs): BgpShowAttrs {
  const frozen = Object.isFrozen(attrs);
  if (frozen) {
    const hit = showCache.get(attrs);
    if (hit) return hit;
  }
  const show: BgpShowAttrs = {
    ...(attrs.asPath !== undefined ? { asPath: attrs.asPath } : {}),
    ...(attrs.med !== undefined ? { med: attrs.med } : {}),
    ...(attrs.localPref !== undefined ? { localPref: attrs.localPref } : {}),
    ...(attrs.from !== undefined ? { from: attrs.from } : {}),
  };
  if (!frozen) return show;
  Object.freeze(show);
  showCache.set(attrs, show);
  return show;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('|');
  return [k.slice(0, i), k.slice(i + 1)];
}
