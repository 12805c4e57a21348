/**
 * The read-only BGP view behind the `show ip bgp …` commands, published by the BGP component
 * (src/daemon/bgp-views.ts) under {@link BGP_VIEW}. Everything is plain data already in display units;
 * the commands only select, shape and render it. Shared text helpers for the Catalyst route
 * tables (status codes, Network / Next Hop / Metric / LocPrf / Weight / Path) live here too.
 */
import { viewKey } from '../context.js';
import { formatDuration, renderTable } from '../table.js';

/** One path as `show ip bgp` lists it (Loc-RIB, Adj-RIB-In or Adj-RIB-Out). */
export interface BgpRouteRow {
  readonly prefix: string;
  /**
   * Routing context of the session the path was learned over (where its next hop resolves);
   * null = the global table or a local path.
   */
  readonly routingContext: string | null;
  /** "0.0.0.0" (or "::") for locally originated paths. */
  readonly nextHop: string;
  /** MED, null when absent. */
  readonly metric: number | null;
  readonly localPref: number | null;
  /** Catalyst weight: 32768 for locally originated paths, else 0. */
  readonly weight: number;
  /** AS_PATH text ("65515 65020"), empty for local or iBGP-originated paths. */
  readonly asPath: string;
  /** Catalyst origin code: "i" IGP, "e" EGP, "?" incomplete. */
  readonly origin: 'i' | 'e' | '?';
  /** Usable (`*`): not rejected by loop check or policy. */
  readonly valid: boolean;
  /** The best path (`>`). */
  readonly best: boolean;
  /** Member of the multipath set other than the best (`m`). */
  readonly multipath: boolean;
  /**
   * RIB-failure (`r`): the best path is not what the routing table uses, because a route of a
   * better administrative distance (connected, static) holds the prefix.
   */
  readonly ribFailure: boolean;
  /** Neighbor the path came from; "0.0.0.0" / "::" for local paths. */
  readonly from: string;
  readonly ibgp: boolean;
  readonly local: boolean;
  /** Why a path is not valid ("as-loop", "policy"), else null. */
  readonly rejected: string | null;
  /** Seconds since the path was received or originated. */
  readonly ageSec: number;
}

/** One Loc-RIB destination with all its paths (best first). */
export interface BgpDestinationInfo {
  readonly prefix: string;
  /** Always null: Loc-RIB is one table; the paths carry their sessions' contexts. */
  readonly routingContext: string | null;
  /** Table version when best/multipath last changed. */
  readonly version: number;
  /** Why the best path won ("Only Path", "AS Path", "Router ID", …), null without one. */
  readonly bestReason: string | null;
  readonly paths: readonly BgpRouteRow[];
}

export interface BgpNeighborSummaryInfo {
  /** Neighbor key: address, or "context/address" outside the global table. */
  readonly neighbor: string;
  readonly address: string;
  readonly routingContext: string | null;
  readonly description: string | null;
  readonly remoteAs: number;
  readonly msgRcvd: number;
  readonly msgSent: number;
  readonly tblVer: number;
  readonly inQ: number;
  readonly outQ: number;
  /** Seconds in the current up/down state. */
  readonly upDownSec: number;
  /** FSM state name; "Idle (Admin)" for a neighbor that is `shutdown`. */
  readonly state: string;
  readonly established: boolean;
  /** Prefixes received (Adj-RIB-In, pre-policy) while Established, else null. */
  readonly pfxRcd: number | null;
  /** Prefixes currently advertised to the neighbor. */
  readonly pfxSent: number;
}

export interface BgpSummaryInfo {
  readonly routerId: string;
  readonly localAs: number;
  readonly tableVersion: number;
  readonly neighbors: readonly BgpNeighborSummaryInfo[];
}

export interface BgpNeighborInfo extends BgpNeighborSummaryInfo {
  readonly localAddress: string | null;
  readonly updateSource: string | null;
  readonly ebgpMultihop: number | null;
  /**
   * IP TTL the session's packets leave with (iBGP 255; eBGP `ebgp-multihop`, else 1). Optional for
   * providers that do not report it; `show ip bgp neighbors` then derives it the same way.
   */
  readonly ttl?: number;
  readonly passive: boolean;
  readonly remoteRouterId: string | null;
  readonly holdTimeSec: number | null;
  readonly keepaliveSec: number | null;
  readonly configuredHoldSec: number;
  readonly configuredKeepaliveSec: number;
  readonly families: readonly string[];
  readonly tunnels: readonly string[];
  readonly counters: {
    readonly opensSent: number;
    readonly opensRcvd: number;
    readonly updatesSent: number;
    readonly updatesRcvd: number;
    readonly keepalivesSent: number;
    readonly keepalivesRcvd: number;
    readonly notificationsSent: number;
    readonly notificationsRcvd: number;
    readonly routeRefreshSent: number;
    readonly routeRefreshRcvd: number;
    readonly established: number;
    readonly dropped: number;
  };
  readonly lastError: string | null;
  readonly lastNotificationSent: string | null;
  readonly lastNotificationRcvd: string | null;
}

/** The query the BGP component publishes. Neighbor arguments are keys or bare addresses. */
export interface BgpShowQuery {
  summary(): BgpSummaryInfo;
  neighbors(): readonly BgpNeighborInfo[];
  /** Loc-RIB destinations (any order). */
  destinations(): readonly BgpDestinationInfo[];
  /** Adj-RIB-In, pre-policy (`received-routes`); undefined for an unknown neighbor. */
  receivedRoutes(neighbor: string): readonly BgpRouteRow[] | undefined;
  /** Loc-RIB paths learned from the neighbor (`routes`). */
  acceptedRoutes(neighbor: string): readonly BgpRouteRow[] | undefined;
  /** What we send the neighbor (`advertised-routes`). */
  advertisedRoutes(neighbor: string): readonly BgpRouteRow[] | undefined;
}

export const BGP_VIEW = viewKey<BgpShowQuery>('bgp');

export const BGP_STATUS_CODES =
  'Status codes: * valid, > best, m multipath, r RIB-failure\nOrigin codes: i - IGP, e - EGP, ? - incomplete\n';

/** Catalyst's three-character status column: `*>`, `*m`, `* `, `r>`... */
export function statusCode(r: BgpRouteRow): string {
  const first = r.ribFailure ? 'r' : r.valid ? '*' : ' ';
  const second = r.best ? '>' : r.multipath ? 'm' : ' ';
  return `${first}${second}`;
}

/**
 * Network / Next Hop / Metric / LocPrf / Weight / Path table. With `blankRepeats` a path of the
 * same destination as the line above leaves Network empty, as Catalyst's `show ip bgp` does.
 */
export function renderRouteRows(rows: readonly BgpRouteRow[], blankRepeats = false): string {
  const cells = rows.map((r, i) => [
    statusCode(r),
    blankRepeats && i > 0 && rows[i - 1]?.prefix === r.prefix ? '' : r.prefix,
    r.nextHop,
    r.metric === null ? '' : String(r.metric),
    r.localPref === null ? '' : String(r.localPref),
    String(r.weight),
    `${r.asPath}${r.asPath.length > 0 ? ' ' : ''}${r.origin}`,
  ]);
  return renderTable(
    [
      { header: '', minWidth: 2 },
      { header: 'Network', minWidth: 18 },
      { header: 'Next Hop', minWidth: 19 },
      { header: 'Metric', align: 'right' },
      { header: 'LocPrf', align: 'right' },
      { header: 'Weight', align: 'right' },
      'Path',
    ],
    cells,
  );
}

/** Catalyst's Up/Down column: hh:mm:ss, or "1d02h" beyond a day. */
export function upDown(sec: number): string {
  return formatDuration(sec);
}

/** Find a neighbor by key ("ctx/addr") or bare address (first match). */
export function matchNeighbor<T extends { readonly neighbor: string; readonly address: string }>(
  list: readonly T[],
  arg: string,
): T | undefined {
  return list.find((n) => n.neighbor === arg) ?? list.find((n) => n.address === arg);
}
