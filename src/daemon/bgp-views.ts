/**
 * The read-only views of the BGP component: the `show ip bgp …` query (BGP_VIEW: summary,
 * neighbors, Loc-RIB destinations, received/accepted/advertised routes, FRR/Catalyst columns)
 * and the per-neighbor metric samples. Everything is read from the current speaker and RIB on
 * each call (src/daemon/bgp.ts rebuilds them on some reloads).
 */
import type { BgpConfig } from '../config/index.js';
import type { Clock } from '../lib/clock.js';
import { formatIp } from '../lib/ip/addr.js';
import { formatPrefix } from '../lib/ip/prefix.js';
import type { BgpNeighborMetricsSample } from '../mgmt/api/metrics.js';
import {
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
  neighborKey,
  SINK_DEFAULT_CONTEXT,
  type AdvertisedRoute,
  type BgpSpeaker,
  type SpeakerRib,
} from '../bgp/session/index.js';

/** The routing table's candidates as the views read them (`Routing.view().routes`). */
export interface RoutingTableView {
  readonly routes: readonly {
    readonly source: string;
    readonly context: string;
    readonly prefix: string;
    readonly selected: boolean;
    readonly nexthops?: readonly { readonly usable: boolean }[];
  }[];
}

/** What the views read, current at the time of the call. */
export interface BgpViewSource {
  readonly speaker: BgpSpeaker | null;
  readonly rib: SpeakerRib | null;
  readonly bgp: BgpConfig | undefined;
}

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

/** One row of `show ip bgp` for a path (Catalyst/FRR columns). */
export function pathRow(p: Path, now: number, f: RowFlags = {}): BgpRouteRow {
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

/** A row of `advertised-routes`: the attributes as sent, the rest from the Loc-RIB path. */
export function advertisedRow(r: AdvertisedRoute, now: number): BgpRouteRow {
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

/** Prefixes in a neighbor's Adj-RIB-In (accepted or not: `show … summary` PfxRcd). */
export function receivedCount(rib: SpeakerRib | null, key: string): number {
  let n = 0;
  for (const _ of rib?.adjRibIn(key)?.entries() ?? []) n += 1;
  return n;
}

/** Per-neighbor metric samples (src/mgmt/api/metrics.ts). */
export function bgpMetricSamples(src: BgpViewSource): BgpNeighborMetricsSample[] {
  if (!src.speaker) return [];
  return src.speaker.summary().neighbors.map((n) => ({
    neighbor: n.address,
    context: n.routingContext ?? SINK_DEFAULT_CONTEXT,
    up: n.state === 'Established',
    prefixesReceived: receivedCount(src.rib, n.neighbor),
    prefixesAdvertised: src.rib?.advertisedCount(n.neighbor) ?? 0,
    messagesIn: n.msgRcvd,
    messagesOut: n.msgSent,
  }));
}

/**
 * The BGP_VIEW query. `source` is called on every query: the speaker and RIB are rebuilt on
 * some reloads. `routingView` gives the routing table's candidates (RIB-failure flags).
 */
export function bgpShowQuery(
  source: () => BgpViewSource,
  routingView: () => RoutingTableView | undefined,
  clock: Clock,
): BgpShowQuery {
  const summary = (): BgpSummaryInfo => {
    const { speaker, rib, bgp } = source();
    const s = speaker?.summary();
    const version = rib?.locRib.tableVersion ?? s?.tableVersion ?? 1;
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
          pfxRcd: established ? receivedCount(rib, n.neighbor) : null,
          pfxSent: rib?.advertisedCount(n.neighbor) ?? 0,
        };
      }),
    };
  };

  const familiesOf = (key: string): string[] => {
    const n = source().bgp?.neighbors.find((x) => neighborKey(x) === key);
    return n ? [...n.addressFamilies] : [];
  };

  const neighborInfos = (): BgpNeighborInfo[] => {
    const speaker = source().speaker;
    if (!speaker) return [];
    const byKey = new Map(summary().neighbors.map((n) => [n.neighbor, n]));
    return speaker.neighborDetails().flatMap((d) => {
      const s = byKey.get(d.neighbor);
      if (!s) return [];
      const c = d.counters;
      return [
        {
          ...s,
          localAddress: d.localAddress ?? null,
          updateSource: d.updateSource ?? null,
          ebgpMultihop: d.ebgpMultihop ?? null,
          ttl: d.ttl,
          passive: d.passive,
          remoteRouterId: d.negotiated ? formatBgpId(d.negotiated.remoteBgpId) : null,
          holdTimeSec: d.negotiated?.holdTimeSec ?? null,
          keepaliveSec: d.negotiated?.keepaliveSec ?? null,
          configuredHoldSec: d.configuredHoldSec,
          configuredKeepaliveSec: d.configuredKeepaliveSec,
          families: familiesOf(d.neighbor),
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
  };

  /** `context|prefix` of BGP routes the routing table holds with another source instead. */
  const ribFailures = (): Set<string> => {
    const routes = routingView()?.routes ?? [];
    const selectedOther = new Set(
      routes.filter((r) => r.selected && r.source !== 'bgp').map((r) => `${r.context}|${r.prefix}`),
    );
    return new Set(
      routes
        .filter((r) => r.source === 'bgp' && !r.selected)
        .map((r) => `${r.context}|${r.prefix}`)
        .filter((k) => selectedOther.has(k)),
    );
  };

  const destinations = (): BgpDestinationInfo[] => {
    const rib = source().rib;
    if (!rib) return [];
    const now = clock.now();
    const failed = ribFailures();
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
  };

  const resolveKey = (arg: string): string | undefined => {
    const ns = source().speaker?.summary().neighbors ?? [];
    return matchNeighbor(ns, arg)?.neighbor;
  };

  const receivedRoutes = (arg: string): BgpRouteRow[] | undefined => {
    const key = resolveKey(arg);
    if (key === undefined) return undefined;
    const now = clock.now();
    const rows: BgpRouteRow[] = [];
    for (const e of source().rib?.adjRibIn(key)?.entries() ?? []) {
      rows.push(pathRow(e.pre, now, { rejected: e.rejected }));
    }
    return rows;
  };

  const acceptedRoutes = (arg: string): BgpRouteRow[] | undefined => {
    const key = resolveKey(arg);
    if (key === undefined) return undefined;
    const adj = source().rib?.adjRibIn(key);
    if (!adj) return [];
    const src = adj.source;
    return destinations().flatMap((d) =>
      d.paths.filter(
        (p) =>
          !p.local && p.from === src.address && p.routingContext === (src.routingContext ?? null),
      ),
    );
  };

  /** What the neighbor has from us: its Adj-RIB-Out (export policy and the cap applied). */
  const advertisedRoutes = (arg: string): BgpRouteRow[] | undefined => {
    const key = resolveKey(arg);
    if (key === undefined) return undefined;
    const now = clock.now();
    return (source().rib?.advertised(key) ?? []).map((r) => advertisedRow(r, now));
  };

  return {
    summary,
    neighbors: neighborInfos,
    destinations,
    receivedRoutes,
    acceptedRoutes,
    advertisedRoutes,
  };
}
