/**
 * ESP anti-replay window (RFC 4303 §3.4.3) kept as a ring of 32-bit blocks (RFC 6479 §2, the
 * scheme of wireguard-go's replay.go): advancing the window clears whole blocks instead of
 * shifting a bitmap. Sequence numbers are full 64-bit values (bigint) so one class serves 32-bit
 * and ESN SAs; the ESN upper half is inferred beforehand (esn.ts).
 *
 * Use: `check(seq)` before the ICV is verified (cheap rejection), `update(seq)` only after the ICV
 * passed (RFC 4303 §3.4.3: the window is updated only for authenticated packets).
 *
 * Semantics fixed for the native side: the configured size is rounded up to a multiple of 32
 * (`size`); with `top` the highest authenticated sequence number, `seq` is accepted when
 * seq > top, or top - seq < size and its bit is clear. Sequence number 0 is never valid.
 * Size 0 disables checking (every non-zero seq passes) but `top` is still tracked for ESN.
 */
import type { DropReason } from './drop-reason.js';

export const DEFAULT_REPLAY_WINDOW = 1024;

const BLOCK_BITS = 32n;
const BLOCK_SHIFT = 5n;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class ReplayWindow {
  /** Window size in packets, the configured size rounded up to a multiple of 32 (0: disabled). */
  readonly size: number;
  private readonly sizeBig: bigint;
  private readonly ring: Uint32Array;
  private readonly mask: bigint;
  private topSeq = 0n;

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`bad replay window ${size}`);
    this.size = Math.ceil(size / 32) * 32;
    this.sizeBig = BigInt(this.size);
    // One spare block so the oldest block still inside the window is never the one being cleared.
    const blocks = this.size === 0 ? 1 : nextPowerOfTwo(this.size / 32 + 1);
    this.ring = new Uint32Array(blocks);
    this.mask = BigInt(blocks - 1);
  }

  /** Highest authenticated sequence number so far (0 before the first packet). */
  get top(): bigint {
    return this.topSeq;
  }

  /** Would `seq` be accepted? Does not change state. */
  check(seq: bigint): DropReason | null {
    if (seq <= 0n) return 'replay-stale';
    if (this.size === 0 || seq > this.topSeq) return null;
    if (this.topSeq - seq >= this.sizeBig) return 'replay-stale';
    const block = this.ring[Number((seq >> BLOCK_SHIFT) & this.mask)] ?? 0;
    const bit = 1 << Number(seq & (BLOCK_BITS - 1n));
    return (block & bit) !== 0 ? 'replay' : null;
  }

  /** Record an authenticated `seq` (call `check` first). Returns false if it was a replay. */
  update(seq: bigint): boolean {
    if (this.check(seq) !== null) return false;
    if (seq > this.topSeq) {
      if (this.size !== 0) {
        const topBlock = this.topSeq >> BLOCK_SHIFT;
        let advance = (seq >> BLOCK_SHIFT) - topBlock;
        const blocks = BigInt(this.ring.length);
        if (advance > blocks) advance = blocks;
        for (let i = 1n; i <= advance; i++) this.ring[Number((topBlock + i) & this.mask)] = 0;
      }
      this.topSeq = seq;
    }
    if (this.size !== 0) {
      const idx = Number((seq >> BLOCK_SHIFT) & this.mask);
      this.ring[idx] = ((this.ring[idx] ?? 0) | (1 << Number(seq & (BLOCK_BITS - 1n)))) >>> 0;
    }
    return true;
  }

  /** Check and, if accepted, record in one step (for callers that already authenticated). */
  checkAndUpdate(seq: bigint): DropReason | null {
    const r = this.check(seq);
    if (r === null) this.update(seq);
    return r;
  }
}
