/**
 * Adj-RIB-In (RFC 4271 §3.2, §9.1.1) for one neighbor, kept pre- and post-policy (Catalyst
 * `soft-reconfiguration inbound`: `show ip bgp neighbors X received-routes` vs `routes`).
 *
 * Order per announced prefix: AS loop check (our ASN more than `allowas-in` times → rejected,
 * RFC 4271 §9.1.2) → import filter (prefix-list, then route-map) → post-policy path. Each call
 * returns the Loc-RIB change it implies, so callers feed {@link LocRib} directly.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import type { RouteFilter } from '../policy/policy-set.js';
import { PERMIT_ALL } from '../policy/policy-set.js';
import {
  asPathCount,
  makePath,
  prefixKey,
  sameAttrParts,
  withAttrs,
  type Path,
  type PathAttrs,
  type PathSource,
} from './path.js';

export type RejectReason = 'as-loop' | 'policy';

export interface AdjRibInEntry {
  /** As received (pre-policy). */
  readonly pre: Path;
  /** After the import filter; undefined when rejected. */
  readonly post: Path | undefined;
  readonly rejected: RejectReason | undefined;
}

/** What Loc-RIB must do: install `path`, or remove this neighbor's path for `prefix`. */
export type LocRibChange =
  | { readonly kind: 'update'; readonly path: Path }
  | { readonly kind: 'withdraw'; readonly prefix: Prefix; readonly source: PathSource };

export interface AdjRibInOptions {
  readonly localAsn: number;
  /** Accept paths with our ASN up to this many times (0 = reject any occurrence). */
  readonly allowasIn: number;
  readonly importFilter?: RouteFilter;
}

export class AdjRibIn {
  readonly source: PathSource;
  readonly #localAsn: number;
  #allowasIn: number;
  #filter: RouteFilter;
  /** An accepted path the filter left unchanged is kept as the Path alone (most of a table). */
  readonly #entries = new Map<string, AdjRibInEntry | Path>();
  #accepted = 0;
  /** The last attribute set announced, as given and as kept (see {@link sameAttrParts}). */
  #lastGiven: PathAttrs | undefined;
  #lastKept: PathAttrs | undefined;

  constructor(source: PathSource, opts: AdjRibInOptions) {
    this.source = source;
    this.#localAsn = opts.localAsn;
    this.#allowasIn = opts.allowasIn;
    this.#filter = opts.importFilter ?? PERMIT_ALL;
  }

  /** Prefixes received (pre-policy), Catalyst "PfxRcd" with soft-reconfiguration. */
  get receivedCount(): number {
    return this.#entries.size;
  }

  /** Prefixes accepted after loop check and policy (counted against `maximum-prefix`). */
  get acceptedCount(): number {
    return this.#accepted;
  }

  #evaluate(pre: Path): AdjRibInEntry {
    if (asPathCount(pre.attrs, this.#localAsn) > this.#allowasIn) {
      return { pre, post: undefined, rejected: 'as-loop' };
    }
    const attrs = this.#filter({ prefix: pre.prefix, attrs: pre.attrs });
    if (!attrs) return { pre, post: undefined, rejected: 'policy' };
    return { pre, post: attrs === pre.attrs ? pre : withAttrs(pre, attrs), rejected: undefined };
  }

  #store(key: string, e: AdjRibInEntry): LocRibChange | undefined {
    const stored = this.#entries.get(key);
    const old = stored && entryOf(stored);
    this.#entries.set(key, e.post === e.pre && e.rejected === undefined ? e.pre : e);
    if (old?.post) this.#accepted--;
    if (e.post) {
      this.#accepted++;
      return { kind: 'update', path: e.post };
    }
    return old?.post ? { kind: 'withdraw', prefix: e.pre.prefix, source: this.source } : undefined;
  }

  /**
   * A route announced by the neighbor (an implicit withdraw of any earlier one, RFC 4271 §3.1).
   * `now` is the Clock time; an identical re-announcement keeps the original receive time.
   */
  announce(prefix: Prefix, given: PathAttrs, now: number): LocRibChange | undefined {
    // The NLRI of one UPDATE share their attributes: keep one object for all of them.
    let attrs = given;
    if (this.#lastGiven !== undefined && sameAttrParts(this.#lastGiven, given))
      attrs = this.#lastKept ?? given;
    else {
      this.#lastGiven = given;
      this.#lastKept = given;
    }
    const key = prefixKey(prefix);
    const stored = this.#entries.get(key);
    const old = stored && entryOf(stored);
    const fresh = makePath({ prefix, attrs, source: this.source, receivedAt: now });
    const pre = old && old.pre.key === fresh.key ? old.pre : fresh;
    if (old && old.pre === pre) return undefined;
    const e = this.#evaluate(pre);
    return this.#store(
      key,
      e.rejected === 'as-loop'
        ? { ...e, pre: withLoopFlag(pre) }
        : e.pre === pre
          ? e
          : { ...e, pre },
    );
  }

  /** A withdrawn route (including RFC 7606 treat-as-withdraw). */
  withdraw(prefix: Prefix): LocRibChange | undefined {
    const key = prefixKey(prefix);
    const stored = this.#entries.get(key);
    if (!stored) return undefined;
    this.#entries.delete(key);
    if (!entryOf(stored).post) return undefined;
    this.#accepted--;
    return { kind: 'withdraw', prefix, source: this.source };
  }

  /** Session down: drop everything; returns the withdrawals for Loc-RIB. */
  clear(): LocRibChange[] {
    const out: LocRibChange[] = [];
    for (const v of this.#entries.values()) {
      const e = entryOf(v);
      if (e.post) out.push({ kind: 'withdraw', prefix: e.pre.prefix, source: this.source });
    }
    this.#entries.clear();
    this.#accepted = 0;
    return out;
  }

  /**
   * New import policy or allowas-in (soft reconfiguration inbound): re-run the pre-policy table
   * and return only the Loc-RIB changes that result.
   */
  reconfigure(opts: { importFilter?: RouteFilter; allowasIn?: number }): LocRibChange[] {
    if (opts.importFilter) this.#filter = opts.importFilter;
    if (opts.allowasIn !== undefined) this.#allowasIn = opts.allowasIn;
    const out: LocRibChange[] = [];
    for (const [key, v] of [...this.#entries]) {
      const old = entryOf(v);
      const e = this.#evaluate(old.pre);
      if (e.post?.key === old.post?.key && e.rejected === old.rejected) continue;
      const c = this.#store(key, e);
      if (c) out.push(c);
    }
    return out;
  }

  get(prefix: Prefix): AdjRibInEntry | undefined {
    const v = this.#entries.get(prefixKey(prefix));
    return v && entryOf(v);
  }

  *entries(): IterableIterator<AdjRibInEntry> {
    for (const v of this.#entries.values()) yield entryOf(v);
  }
}

function entryOf(v: AdjRibInEntry | Path): AdjRibInEntry {
  return 'pre' in v ? v : { pre: v, post: v, rejected: undefined };
}

function withLoopFlag(p: Path): Path {
  return Object.freeze({ ...p, flags: { ...p.flags, asLoop: true } });
}
