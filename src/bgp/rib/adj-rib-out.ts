/**
 * Adj-RIB-Out (RFC 4271 §3.2, §9.2) for one neighbor: what we want to advertise (after export
 * policy) and what we last advertised, prefix → attribute key.
 *
 * {@link AdjRibOut.flush} produces only the difference: a prefix is announced when its attribute
 * key changed, withdrawn only if it was advertised. Nothing unchanged is ever re-sent (Azure Route
 * Server counts re-sent routes against its limit and resets the session). The one intended full
 * re-send is {@link AdjRibOut.refresh} (RFC 2918 ROUTE-REFRESH from the neighbor).
 *
 * `max-prefixes-out N`: at most N prefixes are advertised, the N lowest (IPv4 before IPv6, then
 * by address and length) of the exportable ones; withdrawals are listed first so that sending the
 * result in order never exceeds N at the neighbor.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import { attrKey, comparePrefixes, prefixKey, type PathAttrs } from './path.js';

export interface AnnounceGroup {
  readonly attrs: PathAttrs;
  readonly key: string;
  readonly prefixes: readonly Prefix[];
}

/** One batch of changes for a neighbor, as plain data; see `packUpdates` for wire messages. */
export interface OutUpdate {
  readonly withdraw: readonly Prefix[];
  /** One group per distinct attribute set (one UPDATE each, split only for size). */
  readonly announce: readonly AnnounceGroup[];
}

interface Entry {
  readonly prefix: Prefix;
  readonly attrs: PathAttrs;
  readonly key: string;
}

export interface CapInfo {
  readonly exportable: number;
  readonly limit: number;
}

export interface AdjRibOutOptions {
  readonly maxPrefixesOut?: number | undefined;
  /** Called once each time the cap starts limiting (log it); not again until it stops. */
  readonly onCapped?: (info: CapInfo) => void;
}

export function isEmptyUpdate(u: OutUpdate): boolean {
  return u.withdraw.length === 0 && u.announce.length === 0;
}

function groupAnnouncements(entries: readonly Entry[]): AnnounceGroup[] {
  const groups = new Map<string, { attrs: PathAttrs; key: string; prefixes: Prefix[] }>();
  for (const e of entries) {
    let g = groups.get(e.key);
    if (!g) {
      g = { attrs: e.attrs, key: e.key, prefixes: [] };
      groups.set(e.key, g);
    }
    g.prefixes.push(e.prefix);
  }
  for (const g of groups.values()) g.prefixes.sort(comparePrefixes);
  return [...groups.values()];
}

export class AdjRibOut {
  #limit: number | undefined;
  readonly #onCapped: ((info: CapInfo) => void) | undefined;
  /** Exportable routes (post export policy), the input to the cap. */
  readonly #desired = new Map<string, Entry>();
  /** What the neighbor has from us. */
  readonly #advertised = new Map<string, Entry>();
  /** Prefix keys changed in #desired since the last flush. */
  readonly #pending = new Map<string, Prefix>();
  #capped = false;
  /** Compare everything on the next flush (limit changed). */
  #fullDiff = false;

  constructor(opts: AdjRibOutOptions = {}) {
    this.#limit = opts.maxPrefixesOut;
    this.#onCapped = opts.onCapped;
  }

  get advertisedCount(): number {
    return this.#advertised.size;
  }

  get exportableCount(): number {
    return this.#desired.size;
  }

  /** True while `max-prefixes-out` keeps some exportable prefixes back. */
  get isCapped(): boolean {
    return this.#capped;
  }

  setMaxPrefixesOut(limit: number | undefined): void {
    this.#limit = limit;
    this.#fullDiff = true;
  }

  /** Set what should be advertised for `prefix` (undefined = nothing, i.e. withdraw). */
  set(prefix: Prefix, attrs: PathAttrs | undefined): void {
    const k = prefixKey(prefix);
    if (attrs) this.#desired.set(k, { prefix, attrs, key: attrKey(attrs) });
    else if (!this.#desired.delete(k)) {
      if (!this.#advertised.has(k)) return;
    }
    this.#pending.set(k, prefix);
  }

  /**
   * Forget everything (session down): the next session starts from an empty Adj-RIB-Out and the
   * owner re-exports the current table into it when the session is Established again.
   */
  reset(): void {
    this.#advertised.clear();
    this.#desired.clear();
    this.#pending.clear();
    this.#capped = false;
    this.#fullDiff = false;
  }

  #target(): Map<string, Entry> | undefined {
    const limit = this.#limit;
    if (limit === undefined || this.#desired.size <= limit) return undefined;
    const sorted = [...this.#desired.values()].sort((a, b) => comparePrefixes(a.prefix, b.prefix));
    const out = new Map<string, Entry>();
    for (const e of sorted.slice(0, limit)) out.set(prefixKey(e.prefix), e);
    return out;
  }

  /** The changes since the last flush; the Adj-RIB-Out then records them as advertised. */
  flush(): OutUpdate {
    const target = this.#target();
    const wasCapped = this.#capped;
    this.#capped = target !== undefined;
    if (this.#capped && !wasCapped && this.#onCapped && this.#limit !== undefined) {
      this.#onCapped({ exportable: this.#desired.size, limit: this.#limit });
    }
    let keys: Iterable<string>;
    if (target || wasCapped || this.#fullDiff) {
      keys = new Set([...this.#advertised.keys(), ...this.#desired.keys()]);
    } else {
      keys = this.#pending.keys();
    }
    const want = target ?? this.#desired;
    const withdraw: Prefix[] = [];
    const announce: Entry[] = [];
    for (const k of keys) {
      const w = want.get(k);
      const have = this.#advertised.get(k);
      if (w) {
        if (have?.key === w.key) continue;
        announce.push(w);
        this.#advertised.set(k, w);
      } else if (have) {
        withdraw.push(have.prefix);
        this.#advertised.delete(k);
      }
    }
    this.#pending.clear();
    this.#fullDiff = false;
    withdraw.sort(comparePrefixes);
    return { withdraw, announce: groupAnnouncements(announce) };
  }

  /** RFC 2918 route refresh: everything currently advertised, grouped, to be re-sent. */
  refresh(): OutUpdate {
    return { withdraw: [], announce: groupAnnouncements([...this.#advertised.values()]) };
  }

  /** Advertised routes, lowest prefix first (`show ip bgp neighbors X advertised-routes`). */
  advertised(): { prefix: Prefix; attrs: PathAttrs }[] {
    return [...this.#advertised.values()]
      .sort((a, b) => comparePrefixes(a.prefix, b.prefix))
      .map((e) => ({ prefix: e.prefix, attrs: e.attrs }));
  }

  advertisedKey(prefix: Prefix): string | undefined {
    return this.#advertised.get(prefixKey(prefix))?.key;
  }
}
