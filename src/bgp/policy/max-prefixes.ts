/**
 * Inbound `maximum-prefix N [threshold] [restart M] [warning-only]` (Catalyst/FRR) as a pure counter
 * helper: given the number of prefixes a neighbor has for one address family it says whether a
 * warning (threshold crossed, once) or the limit action (warn, or tear the session down with
 * Cease/Maximum Number of Prefixes Reached, RFC 4486 §4) is due. The speaker (session/inbound-routes.ts)
 * owns the counting and the teardown.
 */
import type { MaxPrefixes } from '../../config/types.js';
import { Afi, CeaseSubcode, ErrorCode, Safi } from '../wire/constants.js';
import type { NotificationMessage } from '../wire/notification.js';

/** Catalyst default warning threshold: 75 % of the limit. */
export const DEFAULT_THRESHOLD_PERCENT = 75;

/** What show and the log say about a session torn down by the limit. */
export const MAX_PREFIXES_EXCEEDED = 'maximum prefixes exceeded';

/**
 * The limit as the speaker applies it. `restartSec` is Catalyst's `restart M` (undefined: stay
 * Idle until the session is restarted by configuration), `thresholdPercent` its threshold.
 */
export interface MaxPrefixPolicy extends MaxPrefixes {
  readonly restartSec?: number | undefined;
  readonly thresholdPercent?: number | undefined;
}

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
  /** Count at which the threshold warning is due. */
  readonly threshold: number;
  #warned = false;
  #exceeded = false;

  constructor(cfg: MaxPrefixPolicy, thresholdPercent?: number) {
    this.limit = cfg.limit;
    this.action = cfg.action;
    const pct = thresholdPercent ?? cfg.thresholdPercent ?? DEFAULT_THRESHOLD_PERCENT;
    this.threshold = Math.max(1, Math.ceil((cfg.limit * pct) / 100));
  }

  /**
   * Report the current count. Returns an event only on a transition (threshold crossed upwards,
   * limit exceeded); falling back below re-arms them.
   */
  update(count: number): MaxPrefixEvent | undefined {
    if (count > this.limit) {
      if (this.#exceeded) return undefined;
      this.#exceeded = true;
      this.#warned = true;
      return { kind: 'exceeded', count, limit: this.limit, action: this.action };
    }
    this.#exceeded = false;
    if (count >= this.threshold) {
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

/**
 * RFC 4486 §4: Cease, subcode 1 (Maximum Number of Prefixes Reached), with the optional data
 * AFI (2 octets), SAFI (1 octet) and the prefix upper bound (4 octets).
 */
export function maxPrefixesNotification(
  afi: number,
  safi: number,
  limit: number,
): NotificationMessage {
  const data = new Uint8Array(7);
  const v = new DataView(data.buffer);
  v.setUint16(0, afi);
  v.setUint8(2, safi);
  v.setUint32(3, limit);
  return {
    errorCode: ErrorCode.CEASE,
    subcode: CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED,
    data,
  };
}

/** AFI/SAFI of a unicast family name. */
export function familyAfiSafi(family: 'ipv4-unicast' | 'ipv6-unicast'): {
  readonly afi: number;
  readonly safi: number;
} {
  return { afi: family === 'ipv4-unicast' ? Afi.IPV4 : Afi.IPV6, safi: Safi.UNICAST };
}

export type UnicastFamily = 'ipv4-unicast' | 'ipv6-unicast';

/**
 * Per-family counts of the prefixes a neighbor has announced and not withdrawn, each family with
 * its own {@link MaxPrefixGuard} (the configured limit applies to every family, like Catalyst's
 * per-address-family `maximum-prefix`).
 */
export class PrefixLimiter {
  readonly policy: MaxPrefixPolicy | undefined;
  readonly #counts = new Map<UnicastFamily, number>();
  readonly #guards = new Map<UnicastFamily, MaxPrefixGuard>();

  constructor(policy: MaxPrefixPolicy | undefined) {
    this.policy = policy;
  }

  count(family: UnicastFamily): number {
    return this.#counts.get(family) ?? 0;
  }

  add(family: UnicastFamily, n = 1): void {
    this.#counts.set(family, this.count(family) + n);
  }

  /** Session down: the Adj-RIB-In is empty again and the guards re-arm. */
  reset(): void {
    this.#counts.clear();
    for (const g of this.#guards.values()) g.reset();
  }

  /** Transitions due for these families (those an UPDATE touched), in the given order. */
  check(
    families: Iterable<UnicastFamily>,
  ): { readonly family: UnicastFamily; readonly event: MaxPrefixEvent }[] {
    const policy = this.policy;
    if (!policy) return [];
    const out: { family: UnicastFamily; event: MaxPrefixEvent }[] = [];
    for (const family of families) {
      let g = this.#guards.get(family);
      if (!g) {
        g = new MaxPrefixGuard(policy);
        this.#guards.set(family, g);
      }
      const event = g.update(this.count(family));
      if (event) out.push({ family, event });
    }
    return out;
  }
}
