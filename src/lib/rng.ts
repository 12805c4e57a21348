import { randomBytes, randomInt } from 'node:crypto';

/** The Rng port: nonces, SPIs and jitter come from here so tests can be deterministic. */
export interface Rng {
  bytes(n: number): Buffer;
  /** Uniform integer in [0, 2^32). */
  uint32(): number;
  /** Uniform float in [0, 1). */
  fraction(): number;
}

export const systemRng: Rng = {
  bytes: (n) => randomBytes(n),
  uint32: () => randomBytes(4).readUInt32BE(0),
  fraction: () => randomInt(0, 2 ** 48 - 1) / 2 ** 48,
};
