/**
 * Loc-RIB (RFC 4271 §3.2, §9.1): per-destination path lists, one path per source, with the best
 * path, its reason and the multipath set. Changes only mark destinations dirty; the decision runs
 * in bounded slices ({@link LocRib.processDirty}) so a full table from a neighbor never blocks
 * the event loop (BIRD's feed events).
 *
 * There is one Loc-RIB per speaker, keyed by prefix only: a routing context is the *transport* of
 * a session (its TCP connection, its peer /32, the resolution of the next hops it learns), not a
 * separate table, so paths learned in any context compete in one decision and `maximum-paths`
 * merges them as ECMP (the multi-tunnel design, shared example multi-tunnel-same-gateway.yaml).
 * Paths stay apart by source (context + neighbor address, {@link sourceKey}): the same neighbor
 * address in two contexts is two neighbors.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import {
  decide,
  DEFAULT_DECISION_OPTIONS,
  type BestPathReasonName,
  type DecisionOptions,
} from './best-path.js';
import {
  familyOfPrefix,
  prefixKey,
  sourceKey,
  type Family,
  type Path,
  type PathSource,
} from './path.js';

export interface Destination {
  readonly prefix: Prefix;
  readonly family: Family;
  /** All paths by source key. */
  readonly paths: ReadonlyMap<string, Path>;
  readonly best: Path | undefined;
  readonly reason: BestPathReasonName | undefined;
  readonly multipath: readonly Path[];
  /** Table version when best/multipath last changed (Catalyst `show ip bgp PREFIX`). */
  readonly version: number;
}

interface MutableDestination {
  prefix: Prefix;
  family: Family;
  paths: Map<string, Path>;
  best: Path | undefined;
  reason: BestPathReasonName | undefined;
  multipath: readonly Path[];
  version: number;
}

/** What changed for one destination after the decision ran (for routing and Adj-RIB-Out). */
export interface DestinationChange {
  readonly prefix: Prefix;
  readonly family: Family;
  readonly best: Path | undefined;
  readonly previousBest: Path | undefined;
  readonly reason: BestPathReasonName | undefined;
  readonly multipath: readonly Path[];
  readonly bestChanged: boolean;
  readonly multipathChanged: boolean;
  readonly version: number;
}

export function destinationKey(prefix: Prefix): string {
  return prefixKey(prefix);
}

function pathIdentity(p: Path | undefined): string {
  return p ? `${sourceKey(p.source)}#${p.key}` : '';
}

export class LocRib {
  #opts: DecisionOptions;
  readonly #dests = new Map<string, MutableDestination>();
  /** Insertion-ordered set of dirty destination keys. */
  readonly #dirty = new Set<string>();
  #version = 0;

  constructor(opts: Partial<DecisionOptions> = {}) {
    this.#opts = { ...DEFAULT_DECISION_OPTIONS, ...opts };
  }

  get options(): DecisionOptions {
    return this.#opts;
  }

  /** New decision options (e.g. `maximum-paths` changed on reload): every destination is re-run. */
  setOptions(opts: Partial<DecisionOptions>): void {
    this.#opts = { ...this.#opts, ...opts };
    for (const k of this.#dests.keys()) this.#dirty.add(k);
  }

  /** Catalyst "BGP table version": bumped once per destination whose best/multipath changed. */
  get tableVersion(): number {
    return this.#version;
  }

  get dirtyCount(): number {
    return this.#dirty.size;
  }

  get size(): number {
    return this.#dests.size;
  }

  /** Add or replace the path from `path.source`. An identical re-announcement changes nothing. */
  update(path: Path): void {
    const key = destinationKey(path.prefix);
    let d = this.#dests.get(key);
    if (!d) {
      d = {
        prefix: path.prefix,
        family: familyOfPrefix(path.prefix),
        paths: new Map(),
        best: undefined,
        reason: undefined,
        multipath: [],
        version: 0,
      };
      this.#dests.set(key, d);
    }
    const sk = sourceKey(path.source);
    const old = d.paths.get(sk);
    if (old && old.key === path.key && old.flags.local === path.flags.local) return;
    d.paths.set(sk, path);
    this.#dirty.add(key);
  }

  /** Remove the path for `prefix` from `source`; returns whether there was one. */
  withdraw(prefix: Prefix, source: PathSource): boolean {
    const key = destinationKey(prefix);
    const d = this.#dests.get(key);
    if (!d || !d.paths.delete(sourceKey(source))) return false;
    this.#dirty.add(key);
    return true;
  }

  /** Remove every path from `source` (session down). Returns how many were removed. */
  removeSource(source: PathSource): number {
    const sk = sourceKey(source);
    let n = 0;
    for (const [key, d] of this.#dests) {
      if (d.paths.delete(sk)) {
        this.#dirty.add(key);
        n++;
      }
    }
    return n;
  }

  /**
   * Run the decision process for up to `limit` dirty destinations (oldest first) and return the
   * destinations whose best path or multipath set changed.
   */
  processDirty(limit = Number.POSITIVE_INFINITY): DestinationChange[] {
    const out: DestinationChange[] = [];
    let done = 0;
    for (const key of this.#dirty) {
      if (done >= limit) break;
      done++;
      this.#dirty.delete(key);
      const d = this.#dests.get(key);
      if (!d) continue;
      const dec = decide([...d.paths.values()], this.#opts);
      const bestChanged = pathIdentity(dec.best) !== pathIdentity(d.best);
      const mpIds = (ps: readonly Path[]): string => ps.map(pathIdentity).join(',');
      const multipathChanged = mpIds(dec.multipath) !== mpIds(d.multipath);
      const previousBest = d.best;
      d.reason = dec.reason;
      if (bestChanged || multipathChanged) {
        this.#version++;
        d.version = this.#version;
      }
      d.best = dec.best;
      d.multipath = dec.multipath;
      if (d.paths.size === 0) this.#dests.delete(key);
      if (!bestChanged && !multipathChanged) continue;
      out.push({
        prefix: d.prefix,
        family: d.family,
        best: d.best,
        previousBest,
        reason: d.reason,
        multipath: d.multipath,
        bestChanged,
        multipathChanged,
        version: d.version,
      });
    }
    return out;
  }

  destination(prefix: Prefix): Destination | undefined {
    return this.#dests.get(destinationKey(prefix));
  }

  /** Every destination that has a best path (after processing), any order. */
  *destinations(): IterableIterator<Destination> {
    for (const d of this.#dests.values()) yield d;
  }
}
