/**
 * IKEv2 pseudo-random functions (RFC 7296 §2.13): PRF_HMAC_SHA1 (RFC 2104) and
 * PRF_HMAC_SHA2_256/384/512 (RFC 4868 §2.1). HMAC takes keys of any length, so no key
 * padding/truncation rules apply.
 */
import { createHmac } from 'node:crypto';
import { PRF, type PrfName } from './transforms.js';

export function prf(name: PrfName, key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac(PRF[name].hash, key).update(data).digest();
}

/** Output length of the PRF in bytes (also the length of SK_d, SK_pi, SK_pr). */
export function prfOutBytes(name: PrfName): number {
  return PRF[name].outBytes;
}
