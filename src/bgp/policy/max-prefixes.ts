/**
 * Inbound `maximum-prefix N [threshold] [warning-only]` as a pure counter helper: given the
 * accepted prefix count it says whether a warning (threshold crossed, once) or the limit action
 * (warn or tear the session down, Cease/Maximum Number of Prefixes Reached, RFC 4486 §4) is due.
 */
import type { MaxPrefixes } from '../../config/types.js';

/** Catalyst default warning threshold: 75 % of the limit. */
export const DEFAULT_THRESHOLD_PERCENT = 75;

export type MaxPrefixEvent =
  | { readonly kind: 'threshold'; readonly count: number; readonly limit: number }
  | {
      readonly kind: 'exceeded';
      readonly count: number;
      readonly limit: number;
      readonly action: 'warn' | 'teardown';
    };

export class MaxPrefixGuard {
  readonly limit: number;
  readonly action: 'warn' | 'teardown';
  readonly #threshold: number;
  #warned = false;
  #exceeded = false;

  constructor(cfg: MaxPrefixes, thresholdPercent = DEFAULT_THRESHOLD_PERCENT) {
    this.limit = cfg.limit;
    this.action = cfg.action;
    this.#threshold = Math.ceil((cfg.limit * thresholdPercent) / 100);
  }

  /**
   * Report the current accepted count. Returns an event only on a transition (threshold crossed
   * upwards, limit exceeded); falling back below re-arms them.
   */
  update(count: number): MaxPrefixEvent | undefined {
    if (count > this.limit) {
      if (this.#exceeded) return undefined;
      this.#exceeded = true;
      this.#warned = true;
      return { kind: 'exceeded', count, limit: this.limit, action: this.action };
    }
    this.#exceeded = false;
    if (count >= this.#threshold) {
      if (this.#warned) return undefined;
      this.#warned = true;
      return { kind: 'threshold', count, limit: this.limit };
    }
    this.#warned = false;
    return undefined;
  }

  /** After a teardown the session restarts with an empty Adj-RIB-In. */
  reset(): void {
    this.#warned = false;
    this.#exceeded = false;
  }
}
