/**
 * `show ip bgp neighbors [ADDR] [routes|advertised-routes|received-routes]`: session details per
 * neighbor (Catalyst layout: remote AS, link type, state and uptime, timers, message statistics),
 * or one neighbor's routes: `routes` = paths from it accepted into the BGP table, `received-routes`
 * = everything it sent before import policy (the Adj-RIB-In, as with soft-reconfiguration
 * inbound), `advertised-routes` = what we send it.
 */
import { ShowError, type ShowCommand } from '../registry.js';
import {
  BGP_STATUS_CODES,
  matchNeighbor,
  renderRouteRows,
  upDown,
  type BgpNeighborInfo,
  type BgpRouteRow,
} from './ip-bgp-view.js';
import { bgpView } from './ip-bgp-summary.js';

export const NEIGHBOR_ROUTE_KINDS = ['routes', 'advertised-routes', 'received-routes'] as const;
export type NeighborRouteKind = (typeof NEIGHBOR_ROUTE_KINDS)[number];

/** A neighbor in the DTO: the session TTL is always given. */
export type BgpNeighborDetailDto = BgpNeighborInfo & { readonly ttl: number };

/** JSON contract: docs/show-json.md#show-ip-bgp-neighbors (stable). */
export interface BgpNeighborsDto {
  readonly routerId: string;
  readonly localAs: number;
  readonly tableVersion: number;
  /** "detail" without a route keyword. */
  readonly kind: 'detail' | NeighborRouteKind;
  /** Detail mode: the neighbors asked for (all, or the one named). Empty in route modes. */
  readonly neighbors: readonly BgpNeighborDetailDto[];
  /** Route modes: the neighbor key; null in detail mode. */
  readonly neighbor: string | null;
  /** Route modes: the routes; empty in detail mode. */
  readonly routes: readonly BgpRouteRow[];
}

function routeKind(word: string): NeighborRouteKind {
  const hits = NEIGHBOR_ROUTE_KINDS.filter((k) => k.startsWith(word.toLowerCase()));
  const exact = hits.find((k) => k === word.toLowerCase());
  if (exact) return exact;
  const [only, other] = hits;
  if (only === undefined || other !== undefined) {
    throw new ShowError(
      400,
      `"show ip bgp neighbors": expected ${NEIGHBOR_ROUTE_KINDS.join('|')}, got "${word}"`,
    );
  }
  return only;
}

/** The session TTL as the speaker chooses it (transport.ts sessionTtl) when the view lacks it. */
function withTtl(n: BgpNeighborInfo, localAs: number): BgpNeighborDetailDto {
  const ttl = n.ttl ?? (n.remoteAs === localAs ? 255 : (n.ebgpMultihop ?? 1));
  return { ...n, ttl };
}

/**
 * Catalyst's TTL line: an eBGP neighbor reached with TTL > 1 "may be up to N hops away"; a
 * single-hop one is held to connected checks; nothing for iBGP.
 */
function ttlLine(n: BgpNeighborDetailDto, ibgp: boolean): string | null {
  if (ibgp) return null;
  if (n.ttl > 1) return `  External BGP neighbor may be up to ${n.ttl} hops away.`;
  return '  External BGP neighbor configured for connected checks (single-hop no-disable-connected-check)';
}

function renderNeighbor(n: BgpNeighborDetailDto, localAs: number): string {
  const c = n.counters;
  const ibgp = n.remoteAs === localAs;
  const link = ibgp
    ? 'internal link'
    : n.ebgpMultihop !== null
      ? 'external link (multihop)'
      : 'external link';
  const lines = [
    `BGP neighbor is ${n.address},${n.routingContext !== null ? `  vrf ${n.routingContext},` : ''}  remote AS ${n.remoteAs}, ${link}`,
  ];
  if (n.description !== null) lines.push(` Description: ${n.description}`);
  lines.push(`  BGP version 4, remote router ID ${n.remoteRouterId ?? '0.0.0.0'}`);
  lines.push(
    `  BGP state = ${n.state}${n.established ? `, up for ${upDown(n.upDownSec)}` : `, down for ${upDown(n.upDownSec)}`}`,
  );
  lines.push(
    `  Last read, hold time is ${n.holdTimeSec ?? n.configuredHoldSec}, keepalive interval is ${n.keepaliveSec ?? n.configuredKeepaliveSec} seconds`,
  );
  lines.push(
    `  Configured hold time is ${n.configuredHoldSec}, keepalive interval is ${n.configuredKeepaliveSec} seconds`,
  );
  if (n.families.length > 0) lines.push(`  Address families: ${n.families.join(', ')}`);
  lines.push('  Message statistics:');
  lines.push(`    InQ depth is ${n.inQ}`, `    OutQ depth is ${n.outQ}`);
  const stat = (label: string, sent: number, rcvd: number): string =>
    `    ${label.padEnd(18)}${String(sent).padStart(10)}${String(rcvd).padStart(11)}`;
  lines.push(`    ${''.padEnd(18)}${'Sent'.padStart(10)}${'Rcvd'.padStart(11)}`);
  lines.push(stat('Opens:', c.opensSent, c.opensRcvd));
  lines.push(stat('Notifications:', c.notificationsSent, c.notificationsRcvd));
  lines.push(stat('Updates:', c.updatesSent, c.updatesRcvd));
  lines.push(stat('Keepalives:', c.keepalivesSent, c.keepalivesRcvd));
  lines.push(stat('Route Refresh:', c.routeRefreshSent, c.routeRefreshRcvd));
  lines.push(stat('Total:', n.msgSent, n.msgRcvd));
  lines.push(`  Prefixes received ${n.pfxRcd ?? 0}, advertised ${n.pfxSent}`);
  lines.push(`  Connections established ${c.established}; dropped ${c.dropped}`);
  if (n.lastError !== null) lines.push(`  Last reset: ${n.lastError}`);
  if (n.lastNotificationSent !== null)
    lines.push(`  Last notification sent: ${n.lastNotificationSent}`);
  if (n.lastNotificationRcvd !== null)
    lines.push(`  Last notification received: ${n.lastNotificationRcvd}`);
  const hops = ttlLine(n, ibgp);
  if (hops !== null) lines.push(hops);
  if (n.updateSource !== null) lines.push(`  Update source: ${n.updateSource}`);
  if (n.localAddress !== null) lines.push(`  Local host: ${n.localAddress}`);
  lines.push(`  Outgoing TTL ${n.ttl}`);
  if (n.tunnels.length > 0) lines.push(`  Via tunnel: ${n.tunnels.join(', ')}`);
  lines.push(`  Passive: ${n.passive ? 'yes' : 'no'}`);
  return lines.join('\n') + '\n';
}

export const showIpBgpNeighbors: ShowCommand<BgpNeighborsDto> = {
  name: 'ip bgp neighbors',
  summary: "BGP neighbor details, or one neighbor's routes",
  params: [
    { name: 'ADDRESS', summary: 'neighbor address (or context/address)', optional: true },
    { name: 'routes|advertised-routes|received-routes', summary: 'which routes', optional: true },
  ],
  collect(ctx, args) {
    const bgp = bgpView(ctx);
    const s = bgp.summary();
    const base = { routerId: s.routerId, localAs: s.localAs, tableVersion: s.tableVersion };
    const [addr, word] = args;
    const all = bgp.neighbors().map((n) => withTtl(n, s.localAs));
    if (addr === undefined) {
      return { ...base, kind: 'detail', neighbors: all, neighbor: null, routes: [] };
    }
    const n = matchNeighbor(all, addr);
    if (!n) throw new ShowError(404, `% No such neighbor ${addr}`);
    if (word === undefined) {
      return { ...base, kind: 'detail', neighbors: [n], neighbor: null, routes: [] };
    }
    const kind = routeKind(word);
    const routes =
      kind === 'routes'
        ? bgp.acceptedRoutes(n.neighbor)
        : kind === 'received-routes'
          ? bgp.receivedRoutes(n.neighbor)
          : bgp.advertisedRoutes(n.neighbor);
    return { ...base, kind, neighbors: [], neighbor: n.neighbor, routes: routes ?? [] };
  },
  render(dto) {
    if (dto.kind === 'detail') {
      if (dto.neighbors.length === 0) return 'No neighbors configured\n';
      return dto.neighbors.map((n) => renderNeighbor(n, dto.localAs)).join('\n');
    }
    const head = `BGP table version is ${dto.tableVersion}, local router ID is ${dto.routerId}\n${BGP_STATUS_CODES}\n`;
    const total = `\nTotal number of prefixes ${dto.routes.length}\n`;
    return head + renderRouteRows(dto.routes) + total;
  },
};
