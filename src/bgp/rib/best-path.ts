/**
 * RFC 4271 §9.1.2 phase 2 decision process with the §9.1.2.2 tie-breakers, Catalyst-flavoured:
 *
 *   1. highest LOCAL_PREF (missing = 100)        7. lowest IGP metric to the next hop (all 0 here)
 *   2. locally originated                        8. oldest eBGP path (optional, Catalyst default)
 *   3. shortest AS_PATH (§9.1.2.2 a)             9. lowest router id (ORIGINATOR_ID if present)
 *   4. lowest ORIGIN (§9.1.2.2 b)               10. shortest CLUSTER_LIST (RFC 4456 §9)
 *   5. lowest MED, same neighbor AS (§9.1.2.2 c) 11. lowest neighbor address (§9.1.2.2 g)
 *   6. eBGP over iBGP (§9.1.2.2 d)
 *
 * The winner is returned with the reason it beat the runner-up (GoBGP `BestPathReason`), and the
 * `maximum-paths` multipath set: paths equal to the best through step 7, of the same kind (eBGP or
 * iBGP), from other neighbors, with an identical AS_PATH (or equal length with `multipathRelax`).
 */
import { parseIp } from '../../lib/ip/addr.js';
import {
  asPathLength,
  asPathText,
  effectiveLocalPref,
  neighborAs,
  sourceKey,
  type Path,
} from './path.js';

/** Why the best path won (GoBGP `BestPathReason` strings). */
export const BestPathReason = {
  ONLY_PATH: 'Only Path',
  LOCAL_PREF: 'Local Pref',
  LOCAL_ORIGIN: 'Local Origin',
  AS_PATH: 'AS Path',
  ORIGIN: 'Origin',
  MED: 'MED',
  ASN: 'ASN',
  IGP_COST: 'IGP Cost',
  OLDER: 'Older',
  ROUTER_ID: 'Router ID',
  CLUSTER_LIST: 'Cluster List',
  NEIGHBOR_ADDR: 'Neighbor Address',
} as const;
export type BestPathReasonName = (typeof BestPathReason)[keyof typeof BestPathReason];

export interface DecisionOptions {
  /** `maximum-paths N` (1 = no multipath). */
  readonly maximumPaths: number;
  /** `bgp bestpath as-path multipath-relax`: equal AS_PATH length is enough for multipath. */
  readonly multipathRelax: boolean;
  /** Catalyst: keep the oldest of otherwise-equal eBGP paths (off = go straight to router id). */
  readonly preferOldest: boolean;
  /** `bgp always-compare-med`: compare MED across neighbor ASes. */
  readonly alwaysCompareMed: boolean;
}

export const DEFAULT_DECISION_OPTIONS: DecisionOptions = {
  maximumPaths: 1,
  multipathRelax: false,
  preferOldest: true,
  alwaysCompareMed: false,
};

export interface Comparison {
  /** < 0: `a` is better, > 0: `b` is better, 0: identical through every step. */
  readonly cmp: number;
  readonly reason: BestPathReasonName;
  /** 1-based step number that decided (0 when equal); steps ≤ 7 are multipath-relevant. */
  readonly step: number;
}

const IGP_STEP = 7;

/** Neighbor addresses are few: parse each once. */
const addrCache = new Map<string, Uint8Array>();

function addrBytes(s: string): Uint8Array {
  let b = addrCache.get(s);
  if (!b) {
    b = parseIp(s)?.bytes ?? new Uint8Array(0);
    if (addrCache.size > 4096) addrCache.clear();
    addrCache.set(s, b);
  }
  return b;
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function medComparable(a: Path, b: Path, opts: DecisionOptions): boolean {
  if (opts.alwaysCompareMed) return true;
  // An empty AS_PATH (local or iBGP-internal) counts as our own AS, as on Catalyst.
  return neighborAs(a.attrs) === neighborAs(b.attrs);
}

function effectiveRouterId(p: Path): number {
  // RFC 4456 §9: a reflected route is compared by ORIGINATOR_ID instead of the BGP Identifier.
  return p.attrs.originatorId ?? p.source.routerId;
}

/** Compare two paths for the same destination; lower `cmp` means `a` is preferred. */
export function comparePaths(a: Path, b: Path, opts: DecisionOptions): Comparison {
  const r = (cmp: number, reason: BestPathReasonName, step: number): Comparison => ({
    cmp,
    reason,
    step,
  });
  let d = effectiveLocalPref(b.attrs) - effectiveLocalPref(a.attrs);
  if (d !== 0) return r(d, BestPathReason.LOCAL_PREF, 1);
  const la = a.flags.local !== undefined ? 1 : 0;
  const lb = b.flags.local !== undefined ? 1 : 0;
  if (la !== lb) return r(lb - la, BestPathReason.LOCAL_ORIGIN, 2);
  d = asPathLength(a.attrs) - asPathLength(b.attrs);
  if (d !== 0) return r(d, BestPathReason.AS_PATH, 3);
  d = a.attrs.origin - b.attrs.origin;
  if (d !== 0) return r(d, BestPathReason.ORIGIN, 4);
  if (medComparable(a, b, opts)) {
    // Missing MED is treated as 0 (Catalyst default, no `bgp bestpath med missing-as-worst`).
    d = (a.attrs.med ?? 0) - (b.attrs.med ?? 0);
    if (d !== 0) return r(d, BestPathReason.MED, 5);
  }
  const ia = a.source.isIbgp ? 1 : 0;
  const ib = b.source.isIbgp ? 1 : 0;
  if (ia !== ib) return r(ia - ib, BestPathReason.ASN, 6);
  // Step 7 (IGP cost): every next hop is a directly attached tunnel, cost 0 — never decides.
  if (opts.preferOldest && !a.source.isIbgp && !b.source.isIbgp) {
    d = a.receivedAt - b.receivedAt;
    if (d !== 0) return r(d, BestPathReason.OLDER, 8);
  }
  d = effectiveRouterId(a) - effectiveRouterId(b);
  if (d !== 0) return r(d, BestPathReason.ROUTER_ID, 9);
  d = a.attrs.clusterList.length - b.attrs.clusterList.length;
  if (d !== 0) return r(d, BestPathReason.CLUSTER_LIST, 10);
  d = compareBytes(addrBytes(a.source.address), addrBytes(b.source.address));
  if (d !== 0) return r(d, BestPathReason.NEIGHBOR_ADDR, 11);
  return r(0, BestPathReason.NEIGHBOR_ADDR, 0);
}

export interface Decision {
  readonly best: Path | undefined;
  readonly reason: BestPathReasonName | undefined;
  /** Best first, then the other multipath members; just `[best]` without multipath. */
  readonly multipath: readonly Path[];
}

function pick(paths: readonly Path[], opts: DecisionOptions): Path | undefined {
  let best: Path | undefined;
  for (const p of paths) if (!best || comparePaths(p, best, opts).cmp < 0) best = p;
  return best;
}

/** Can `p` join `best` in the multipath set? */
export function multipathEligible(best: Path, p: Path, opts: DecisionOptions): boolean {
  if (p === best || best.flags.local !== undefined || p.flags.local !== undefined) return false;
  // One path per neighbor; the same address in two routing contexts is two neighbors (two
  // sessions, two tunnels), so their paths may be merged (multi-tunnel design).
  if (sourceKey(p.source) === sourceKey(best.source)) return false;
  if (p.source.isIbgp !== best.source.isIbgp) return false;
  if (opts.multipathRelax) {
    if (asPathLength(p.attrs) !== asPathLength(best.attrs)) return false;
  } else if (asPathText(p.attrs) !== asPathText(best.attrs)) {
    return false;
  }
  const c = comparePaths(p, best, opts);
  return c.step === 0 || c.step > IGP_STEP;
}

/**
 * Run the decision over all paths for one destination. `paths` may be in any order: they are
 * first ordered by source so the (not fully transitive) MED step gives a repeatable result.
 */
export function decide(paths: readonly Path[], opts: DecisionOptions): Decision {
  if (paths.length === 0) return { best: undefined, reason: undefined, multipath: [] };
  const ordered =
    paths.length === 1
      ? paths
      : paths
          .map((p) => ({ p, k: sourceKey(p.source) }))
          .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
          .map((x) => x.p);
  const best = pick(ordered, opts) as Path;
  if (ordered.length === 1) return { best, reason: BestPathReason.ONLY_PATH, multipath: [best] };
  const rest = ordered.filter((p) => p !== best);
  const runnerUp = pick(rest, opts) as Path;
  const reason = comparePaths(best, runnerUp, opts).reason;
  const multipath = [best];
  if (opts.maximumPaths > 1) {
    const extra = rest
      .filter((p) => multipathEligible(best, p, opts))
      .sort((a, b) => comparePaths(a, b, opts).cmp);
    multipath.push(...extra.slice(0, opts.maximumPaths - 1));
  }
  return { best, reason, multipath };
}
