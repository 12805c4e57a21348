/**
 * Extended sequence numbers, receive side: infer the upper 32 bits of a packet's sequence number
 * from the low 32 bits on the wire and the window state (RFC 4303 Appendix A.2.2). The guess is
 * then confirmed by the ICV, which covers seq-high (RFC 4303 §2.2.1).
 */

const TWO32 = 0x1_0000_0000;

/** Window assumed for the inference when anti-replay is disabled (window 0). */
export const ESN_INFERENCE_WINDOW_WHEN_DISABLED = 1024;

/**
 * RFC 4303 App. A.2.2. `top` is the highest authenticated sequence number (Th:Tl), `window` the
 * replay window W in packets (0: replay checking disabled, the inference then assumes W = 1024 so
 * reordered packets still get the right seq-high), `seqLow` the received low half. Returns
 * seq-high; it never goes below 0 or above 2^32 - 1 (such packets then fail the ICV or replay).
 */
export function inferSeqHigh(top: bigint, window: number, seqLow: number): number {
  const th = Number(top >> 32n);
  const tl = Number(top & 0xffffffffn);
  const w = window > 0 ? window : ESN_INFERENCE_WINDOW_WHEN_DISABLED;
  const seq = seqLow >>> 0;
  if (tl >= w - 1) {
    // Case A: the window lies within one sequence-number subspace.
    if (seq >= tl - w + 1) return th;
    return th === TWO32 - 1 ? th : th + 1; // wrapped into the next subspace
  }
  // Case B: the window spans two subspaces.
  if (seq >= tl - w + 1 + TWO32) return th === 0 ? 0 : th - 1; // the older subspace
  return th;
}

/** The full 64-bit sequence number from its halves. */
export function fullSeq(seqHigh: number, seqLow: number): bigint {
  return (BigInt(seqHigh >>> 0) << 32n) | BigInt(seqLow >>> 0);
}
