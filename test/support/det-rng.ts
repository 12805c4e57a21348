import { createHash } from 'node:crypto';
import type { Rng } from '../../src/lib/rng.js';

/** Deterministic Rng: SHA-256 in counter mode over a seed. */
export class DetRng implements Rng {
  private counter = 0;
  private readonly seed: string;
  constructor(seed = 'nvad-test') {
    this.seed = seed;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      off += block.copy(out, off, 0, Math.min(block.length, n - off));
    }
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  fraction(): number {
    return this.uint32() / 2 ** 32;
  }
}
