/**
 * Catalyst-style `ip prefix-list`: entries in sequence order, permit/deny, `ge`/`le` length
 * ranges and an implicit deny at the end. A prefix matches an entry when it lies inside the
 * entry's prefix and its length is in range: exactly the entry length without ge/le, `ge..max`
 * with ge only, `len..le` with le only, `ge..le` with both.
 */
import { maxLen, parsePrefix, prefixContains, type Prefix } from '../../lib/ip/prefix.js';
import type { PrefixListEntry } from '../../config/types.js';

export type PolicyAction = 'permit' | 'deny';

interface CompiledEntry {
  readonly seq: number;
  readonly action: PolicyAction;
  readonly prefix: Prefix;
  readonly minLen: number;
  readonly maxLen: number;
}

export interface PrefixListResult {
  readonly action: PolicyAction;
  /** Matching sequence number, or undefined for the implicit deny. */
  readonly seq: number | undefined;
}

export class PrefixList {
  readonly name: string;
  readonly #entries: readonly CompiledEntry[];

  constructor(name: string, entries: readonly PrefixListEntry[]) {
    this.name = name;
    const compiled: CompiledEntry[] = [];
    for (const e of entries) {
      const prefix = parsePrefix(e.prefix);
      if (!prefix) throw new Error(`prefix-list ${name} seq ${e.seq}: bad prefix ${e.prefix}`);
      const max = maxLen(prefix.addr.family);
      let lo = prefix.len;
      let hi = prefix.len;
      if (e.ge !== undefined) {
        lo = e.ge;
        hi = e.le ?? max;
      } else if (e.le !== undefined) {
        hi = e.le;
      }
      compiled.push({ seq: e.seq, action: e.action, prefix, minLen: lo, maxLen: hi });
    }
    this.#entries = compiled.sort((a, b) => a.seq - b.seq);
  }

  evaluate(p: Prefix): PrefixListResult {
    for (const e of this.#entries) {
      if (e.prefix.addr.family !== p.addr.family) continue;
      if (p.len < e.prefix.len || p.len < e.minLen || p.len > e.maxLen) continue;
      if (!prefixContains(e.prefix, p.addr)) continue;
      return { action: e.action, seq: e.seq };
    }
    return { action: 'deny', seq: undefined };
  }

  permits(p: Prefix): boolean {
    return this.evaluate(p).action === 'permit';
  }
}
