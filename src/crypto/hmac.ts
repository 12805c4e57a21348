/**
 * HMAC (RFC 2104) with the SHA-1/SHA-2 hashes IKE and ESP use, and the truncated forms ESP puts in
 * its ICV: HMAC-SHA1-96 (RFC 2404), HMAC-SHA-256-128, -384-192, -512-256 (RFC 4868 §2.1).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { INTEGRITY, type IntegrityName } from './transforms.js';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Full-length HMAC over the concatenation of `parts`. */
export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The ESP/IKE integrity transform output: HMAC truncated to the transform's ICV length. */
export function integrityIcv(alg: IntegrityName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const t = INTEGRITY[alg];
  return hmac(t.hash, key, ...parts).subarray(0, t.icvBytes);
}

/** Constant-time comparison of two MACs; different lengths compare unequal. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
