/**
 * prf+ (RFC 7296 §2.13):
 *   prf+ (K,S) = T1 | T2 | T3 | ...
 *   T1 = prf (K, S | 0x01), T2 = prf (K, T1 | S | 0x02), ...
 * The counter is one octet, so at most 255 × prf output bytes can be produced.
 */
import { createHmac } from 'node:crypto';
import { AssertionError } from '../lib/errors.js';
import { PRF, type PrfName } from './transforms.js';

export function prfPlus(name: PrfName, key: Uint8Array, seed: Uint8Array, length: number): Buffer {
  const { hash, outBytes } = PRF[name];
  const rounds = Math.ceil(length / outBytes);
  if (rounds > 255) throw new AssertionError(`prf+ cannot produce ${length} bytes`);
  const out = Buffer.alloc(rounds * outBytes);
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 1; i <= rounds; i++) {
    prev = createHmac(hash, key).update(prev).update(seed).update(Uint8Array.of(i)).digest();
    prev.copy(out, (i - 1) * outBytes);
  }
  return out.subarray(0, length);
}
