/**
 * `show ip route [bgp|static|connected]`: the routes the routing module selected, in the layout
 * of Catalyst's `show ip route` (codes C/S/B, `[distance/metric]`, one line per next hop, BGP
 * age). Routes of other routing contexts follow under `Routing Table: <name>`. The data is the
 * routing module's view (`Routing.view()` satisfies {@link RoutingShowQuery}).
 */
import { viewKey } from '../context.js';
import { ShowError, type ShowCommand } from '../registry.js';
import { formatDuration } from '../table.js';

export const ROUTE_SOURCES = ['connected', 'static', 'bgp'] as const;
export type RouteSourceName = (typeof ROUTE_SOURCES)[number];

/** One candidate route as the routing module shows it (src/routing RouteViewEntry). */
export interface RouteShowEntry {
  readonly code: 'C' | 'S' | 'B';
  readonly source: RouteSourceName;
  readonly context: string;
  readonly prefix: string;
  readonly distance: number;
  readonly metric: number;
  readonly selected: boolean;
  readonly nexthops: readonly {
    readonly via: string | undefined;
    readonly interface: string | undefined;
    readonly usable: boolean;
    /** The routing context the gateway is resolved in, when not the route's own (Design 3). */
    readonly context?: string;
  }[];
  readonly ageMs: number;
  readonly reason: string | null;
  readonly attrs:
    | {
        readonly asPath?: string;
        readonly med?: number;
        readonly localPref?: number;
        readonly from?: string;
      }
    | undefined;
}

export interface RoutingShowQuery {
  view(): { readonly routes: readonly RouteShowEntry[] };
}

export const ROUTING_VIEW = viewKey<RoutingShowQuery>('routing');

export interface RouteNexthopDto {
  /** Gateway address; null for a directly connected (device) next hop. */
  readonly via: string | null;
  readonly interface: string | null;
  /** False when the next hop's tunnel or interface is down (shown as `(!)`). */
  readonly usable: boolean;
  /**
   * The routing context `via` is resolved in when it is not the route's own (a route merged from
   * another context: `via 10.0.255.254 (outside-one)`); null otherwise.
   */
  readonly context: string | null;
}

export interface RouteDto {
  readonly code: 'C' | 'S' | 'B';
  readonly source: RouteSourceName;
  readonly routingContext: string;
  readonly prefix: string;
  readonly distance: number;
  readonly metric: number;
  readonly nexthops: readonly RouteNexthopDto[];
  readonly ageSec: number;
  /** BGP routes: AS path text and the neighbor the best path came from; null otherwise. */
  readonly bgp: { readonly asPath: string; readonly from: string | null } | null;
}

/** JSON contract: docs/show-json.md#show-ip-route (stable). */
export interface RouteTableDto {
  /** The source asked for, or null for all. */
  readonly source: RouteSourceName | null;
  readonly routes: readonly RouteDto[];
}

function sourceArg(word: string): RouteSourceName {
  const w = word.toLowerCase();
  const hits = ROUTE_SOURCES.filter((s) => s.startsWith(w));
  const [only, other] = hits;
  if (only === undefined || other !== undefined) {
    throw new ShowError(400, `"show ip route": expected bgp|static|connected, got "${word}"`);
  }
  return only;
}

function toDto(r: RouteShowEntry): RouteDto {
  return {
    code: r.code,
    source: r.source,
    routingContext: r.context,
    prefix: r.prefix,
    distance: r.distance,
    metric: r.metric,
    nexthops: r.nexthops.map((n) => ({
      via: n.via ?? null,
      interface: n.interface ?? null,
      usable: n.usable,
      context: n.context !== undefined && n.context !== r.context ? n.context : null,
    })),
    ageSec: Math.floor(r.ageMs / 1000),
    bgp: r.source === 'bgp' ? { asPath: r.attrs?.asPath ?? '', from: r.attrs?.from ?? null } : null,
  };
}

const HEADER = [
  'Codes: C - connected, S - static, B - BGP',
  '       * - candidate default, (!) - no usable next hop',
];

function routeLines(r: RouteDto): string[] {
  const star = r.prefix === '0.0.0.0/0' || r.prefix === '::/0' ? '*' : ' ';
  const head = `${r.code}${star}  ${r.prefix}`;
  const pad = ' '.repeat(head.length);
  if (r.source === 'connected') {
    return [`${head} is directly connected, ${r.nexthops[0]?.interface ?? '?'}`];
  }
  const hops: readonly RouteNexthopDto[] =
    r.nexthops.length > 0
      ? r.nexthops
      : [{ via: null, interface: null, usable: false, context: null }];
  return hops.map((n, i) => {
    const where = n.context !== null ? ` (${n.context})` : '';
    const parts = [n.via !== null ? `via ${n.via}${where}` : 'is directly connected'];
    if (r.source === 'bgp') parts.push(formatDuration(r.ageSec));
    if (n.interface !== null) parts.push(n.interface);
    return `${i === 0 ? head : pad} [${r.distance}/${r.metric}] ${parts.join(', ')}${n.usable ? '' : ' (!)'}`;
  });
}

export const showIpRoute: ShowCommand<RouteTableDto> = {
  name: 'ip route',
  summary: 'selected routes (connected, static, BGP) per routing context',
  params: [{ name: 'bgp|static|connected', summary: 'only routes of this source', optional: true }],
  collect(ctx, args) {
    const routing = ctx.view(ROUTING_VIEW);
    if (!routing) throw new ShowError(404, 'routing not active');
    const arg = args[0];
    const source = arg === undefined ? null : sourceArg(arg);
    const routes = routing
      .view()
      .routes.filter((r) => r.selected && (source === null || r.source === source))
      .map(toDto);
    return { source, routes };
  },
  render(dto) {
    const out: string[] = [];
    const contexts = [...new Set(dto.routes.map((r) => r.routingContext))];
    if (!contexts.includes('default')) contexts.unshift('default');
    for (const ctx of contexts) {
      if (ctx !== 'default') out.push(`Routing Table: ${ctx}`);
      out.push(...HEADER, '');
      for (const r of dto.routes) if (r.routingContext === ctx) out.push(...routeLines(r));
      out.push('');
    }
    return out.join('\n');
  },
};
