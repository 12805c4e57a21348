import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from '../../../src/esp/replay.js';

/** Straightforward reference model of RFC 4303 §3.4.3 over a Set. */
class ModelWindow {
  top = 0n;
  seen = new Set<bigint>();
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  accept(seq: bigint): boolean {
    if (seq <= 0n) return false;
    if (seq > this.top) {
      this.top = seq;
      this.seen.add(seq);
      return true;
    }
    if (this.top - seq >= BigInt(this.size)) return false;
    if (this.seen.has(seq)) return false;
    this.seen.add(seq);
    return true;
  }
}

describe('ReplayWindow (RFC 4303 §3.4.3, RFC 6479 ring of blocks)', () => {
  it('rounds the size up to a multiple of 32 and defaults to 1024', () => {
    expect(new ReplayWindow().size).toBe(1024);
    expect(new ReplayWindow(64).size).toBe(64);
    expect(new ReplayWindow(65).size).toBe(96);
    expect(new ReplayWindow(1).size).toBe(32);
  });

  it('accepts in-order packets and rejects duplicates', () => {
    const w = new ReplayWindow(64);
    for (let i = 1n; i <= 200n; i++) {
      expect(w.check(i)).toBeNull();
      expect(w.update(i)).toBe(true);
      expect(w.check(i)).toBe('replay');
    }
    expect(w.top).toBe(200n);
  });

  it('sequence number 0 is never valid', () => {
    expect(new ReplayWindow(64).check(0n)).toBe('replay-stale');
  });

  it('window edges: top - size + 1 is inside, top - size is stale', () => {
    const w = new ReplayWindow(64);
    w.update(1000n);
    expect(w.check(1000n - 63n)).toBeNull();
    expect(w.check(1000n - 64n)).toBe('replay-stale');
    expect(w.checkAndUpdate(937n)).toBeNull();
    expect(w.check(937n)).toBe('replay');
  });

  it('out-of-order packets inside the window are accepted once', () => {
    const w = new ReplayWindow(128);
    w.update(100n);
    for (const s of [99n, 50n, 27n, 98n]) expect(w.checkAndUpdate(s)).toBeNull();
    for (const s of [99n, 50n, 27n, 98n, 100n]) expect(w.check(s)).toBe('replay');
    expect(w.check(97n)).toBeNull();
  });

  it('a far-future jump clears the whole ring', () => {
    const w = new ReplayWindow(64);
    for (let i = 1n; i <= 64n; i++) w.update(i);
    w.update(1_000_000n);
    expect(w.check(999_999n)).toBeNull();
    expect(w.check(1_000_000n - 63n)).toBeNull();
    expect(w.check(64n)).toBe('replay-stale');
  });

  it('a jump landing in a reused block does not leave stale bits (RFC 6479 §2 clear on advance)', () => {
    const w = new ReplayWindow(32); // a ring of 2 blocks
    w.update(5n);
    w.update(70n); // block 2 reuses the ring slot of block 0
    expect(w.check(64n + 5n)).toBeNull(); // same ring bit as 5, must read as clear
    expect(w.check(70n)).toBe('replay');
  });

  it('works across the 32-bit boundary (64-bit ESN values)', () => {
    const w = new ReplayWindow(64);
    w.update(0xffff_fff0n);
    w.update(0x1_0000_0005n);
    expect(w.check(0xffff_fff0n)).toBe('replay');
    expect(w.check(0xffff_fff1n)).toBeNull();
    expect(w.check(0x1_0000_0004n)).toBeNull();
    expect(w.check(0x1_0000_0005n)).toBe('replay');
  });

  it('size 0 disables checking but still tracks the top', () => {
    const w = new ReplayWindow(0);
    w.update(10n);
    expect(w.check(10n)).toBeNull();
    expect(w.check(1n)).toBeNull();
    expect(w.top).toBe(10n);
  });

  it('matches a set-based model on random traffic (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 100, 1024),
        fc.array(fc.bigInt({ min: 1n, max: 3000n }), { maxLength: 300 }),
        (size, seqs) => {
          const w = new ReplayWindow(size);
          const m = new ModelWindow(w.size);
          for (const s of seqs) expect(w.checkAndUpdate(s) === null).toBe(m.accept(s));
        },
      ),
      { numRuns: 300 },
    );
  });
});
