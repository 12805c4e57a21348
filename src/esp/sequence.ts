/**
 * Outbound ESP sequence numbers (RFC 4303 §3.3.3): start at 1, never wrap. Past the soft threshold
 * the SA asks for a rekey; at the limit the SA refuses to send (the sender MUST NOT cycle the
 * counter). Thresholds, shared with the native side:
 * - 32-bit: soft at 2^32 - 2^16, last usable 2^32 - 1;
 * - ESN:    soft at 2^64 - 2^16, last usable 2^64 - 1.
 */
export const SEQ_SOFT_MARGIN = 0x1_0000n;
export const SEQ_LIMIT_32 = 0xffff_ffffn;
export const SEQ_LIMIT_64 = 0xffff_ffff_ffff_ffffn;

export type SeqOutcome =
  | { readonly kind: 'ok'; readonly seq: bigint; readonly softReached: boolean }
  | { readonly kind: 'overflow' };

export class OutboundSequence {
  readonly limit: bigint;
  readonly softAt: bigint;
  private last: bigint;
  private softDone = false;

  /** `start` is the last sequence number already used (0 for a new SA); tests set it high. */
  constructor(esn: boolean, start = 0n) {
    this.limit = esn ? SEQ_LIMIT_64 : SEQ_LIMIT_32;
    this.softAt = this.limit + 1n - SEQ_SOFT_MARGIN;
    this.last = start;
    if (start >= this.softAt) this.softDone = true;
  }

  /** Last sequence number handed out (0: none yet). */
  get current(): bigint {
    return this.last;
  }

  /**
   * Take the next sequence number. `softReached` is true exactly once, for the packet that first
   * reaches the soft threshold. After the limit every call returns overflow.
   */
  next(): SeqOutcome {
    if (this.last >= this.limit) return { kind: 'overflow' };
    this.last += 1n;
    let softReached = false;
    if (!this.softDone && this.last >= this.softAt) {
      this.softDone = true;
      softReached = true;
    }
    return { kind: 'ok', seq: this.last, softReached };
  }
}
