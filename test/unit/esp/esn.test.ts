import { describe, expect, it } from 'vitest';
import { fullSeq, inferSeqHigh } from '../../../src/esp/esn.js';

const T = (high: number, low: number): bigint => fullSeq(high, low);

describe('seq-high inference (RFC 4303 Appendix A.2.2)', () => {
  const W = 64;

  it('Case A, packet inside or right of the window: same subspace', () => {
    expect(inferSeqHigh(T(7, 1000), W, 1000 - 63)).toBe(7);
    expect(inferSeqHigh(T(7, 1000), W, 5000)).toBe(7);
  });

  it('Case A, packet below the window: it wrapped into the next subspace', () => {
    expect(inferSeqHigh(T(7, 1000), W, 3)).toBe(8);
    expect(inferSeqHigh(T(0, 0xffff_fff0), W, 2)).toBe(1);
  });

  it('Case B, window spans two subspaces: a large seq-low is from the older one', () => {
    expect(inferSeqHigh(T(8, 10), W, 0xffff_fff0)).toBe(7);
    expect(inferSeqHigh(T(8, 10), W, 5)).toBe(8);
    expect(inferSeqHigh(T(8, 10), W, 0x1000)).toBe(8);
  });

  it('seq-high rollover: the first packets after 2^32 infer the next seq-high', () => {
    let top = T(0, 0xffff_fffe);
    for (const low of [0xffff_ffff, 0, 1, 2]) {
      const high = inferSeqHigh(top, W, low);
      const seq = fullSeq(high, low);
      expect(seq).toBe(top + 1n);
      top = seq;
    }
    expect(top).toBe(0x1_0000_0002n);
    // a late packet from before the rollover is still placed in subspace 0
    expect(inferSeqHigh(top, W, 0xffff_fff0)).toBe(0);
  });

  it('window 0 (anti-replay disabled) infers with W = 1024', () => {
    expect(inferSeqHigh(T(3, 5000), 0, 5000 - 1023)).toBe(3);
    expect(inferSeqHigh(T(3, 5000), 0, 5000 - 1024)).toBe(4);
  });

  it('never goes below 0 at the very start', () => {
    expect(inferSeqHigh(0n, W, 0xffff_ff00)).toBe(0);
  });
});
