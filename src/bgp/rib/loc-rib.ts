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

/**
 * The paths of one destination by source key: most destinations have one path, which is kept
 * without a Map (a Map per destination is most of a full table's memory otherwise).
 */
class PathSet implements ReadonlyMap<string, Path> {
  private onlyKey: string | undefined;
  private onlyPath: Path | undefined;
  private many: Map<string, Path> | undefined;

  get size(): number {
    if (this.many) return this.many.size;
    return this.onlyKey === undefined ? 0 : 1;
  }

  get(key: string): Path | undefined {
    if (this.many) return this.many.get(key);
    return key === this.onlyKey ? this.onlyPath : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, path: Path): void {
    if (this.many) {
      this.many.set(key, path);
    } else if (this.onlyKey === undefined || this.onlyKey === key) {
      this.onlyKey = key;
      this.onlyPath = path;
    } else {
      this.many = new Map(this.asMap());
      this.many.set(key, path);
      this.onlyKey = undefined;
      this.onlyPath = undefined;
    }
  }

  delete(key: string): boolean {
    if (this.many) return this.many.delete(key);
    if (this.onlyKey === undefined || key !== this.onlyKey) return false;
    this.onlyKey = undefined;
    this.onlyPath = undefined;
    return true;
  }

  /** The paths, in insertion order (a fresh array). */
  list(): Path[] {
    if (this.many) return [...this.many.values()];
    return this.onlyPath ? [this.onlyPath] : [];
  }

  private asMap(): Map<string, Path> {
    if (this.many) return this.many;
    const m = new Map<string, Path>();
    if (this.onlyKey !== undefined && this.onlyPath) m.set(this.onlyKey, this.onlyPath);
    return m;
  }

  forEach(cb: (value: Path, key: string, map: ReadonlyMap<string, Path>) => void): void {
    for (const [k, v] of this.asMap()) cb(v, k, this);
  }

  entries(): MapIterator<[string, Path]> {
    return this.asMap().entries();
  }

  keys(): MapIterator<string> {
    return this.asMap().keys();
  }

  values(): MapIterator<Path> {
    return this.asMap().values();
  }

  [Symbol.iterator](): MapIterator<[string, Path]> {
    return this.asMap()[Symbol.iterator]();
  }
}

interface MutableDestination {
  prefix: Prefix;
  family: Family;
  paths: PathSet;
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

/** Same source and attributes (the same object, the common case, without building keys). */
function samePath(a: Path | undefined, b: Path | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  if (a.key !== b.key) return false;
  return a.source === b.source || pathIdentity(a) === pathIdentity(b);
}

function samePaths(a: readonly Path[], b: readonly Path[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!samePath(a[i], b[i])) return false;
  return true;
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
        paths: new PathSet(),
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
      const dec = decide(d.paths.list(), this.#opts);
      const bestChanged = !samePath(dec.best, d.best);
      const multipathChanged = !samePaths(dec.multipath, d.multipath);
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
