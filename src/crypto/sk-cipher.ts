/**
 * Encryption of the SK and SKF payloads (RFC 7296 §3.14, RFC 5282, RFC 7383 §2.5).
 *
 * - AES-CBC + HMAC: the ICV is the truncated HMAC (RFC 4868 §2.3, RFC 2404) over the message
 *   from the IKE header through the end of the ciphertext: `aad || iv || ciphertext`.
 * - AES-GCM-16 (RFC 5282): nonce = salt(4, last bytes of SK_e) || IV(8); AAD = IKE header through
 *   the SK/SKF header (everything before the IV, RFC 5282 §5.1); 16-byte tag as ICV.
 *
 * `seal`/`open` take the plaintext already padded (RFC 7296 §3.14: Padding || Pad Length);
 * padding layout is the wire's job (`message.ts`).
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { AssertionError } from '../lib/errors.js';
import type { Rng } from '../lib/rng.js';
import { IntegrityError } from './errors.js';
import { ENCRYPTION, INTEGRITY, type EncryptionName, type IntegrityName } from './transforms.js';

export interface SkCipher {
  readonly ivBytes: number;
  /** Plaintext (incl. padding and Pad Length) is a multiple of this. */
  readonly blockBytes: number;
  readonly icvBytes: number;
  /** A fresh IV: random for CBC (RFC 3602 §2.3), a counter for GCM (RFC 5282 §3.1). */
  nextIv(): Buffer;
  /** ciphertext || ICV. */
  seal(aad: Buffer, iv: Buffer, plaintext: Buffer): Buffer;
  /** The padded plaintext; throws {@link IntegrityError} when the ICV/tag does not verify. */
  open(aad: Buffer, iv: Buffer, sealed: Buffer): Buffer;
}

export interface SkCipherKeys {
  readonly encryption: EncryptionName;
  /** null for AEAD. */
  readonly integrity: IntegrityName | null;
  /** SK_e (for GCM: key || 4-byte salt, RFC 5282 §7.1). */
  readonly encKey: Buffer;
  /** SK_a; null for AEAD. */
  readonly integKey: Buffer | null;
}

function cbcCipherName(keyBytes: number): 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' {
  if (keyBytes === 16) return 'aes-128-cbc';
  if (keyBytes === 24) return 'aes-192-cbc';
  if (keyBytes === 32) return 'aes-256-cbc';
  throw new AssertionError(`bad AES key length ${keyBytes}`);
}

function gcmCipherName(keyBytes: number): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (keyBytes === 16) return 'aes-128-gcm';
  if (keyBytes === 24) return 'aes-192-gcm';
  if (keyBytes === 32) return 'aes-256-gcm';
  throw new AssertionError(`bad AES key length ${keyBytes}`);
}

export function createSkCipher(keys: SkCipherKeys, rng: Rng): SkCipher {
  const enc = ENCRYPTION[keys.encryption];
  const keyBytes = enc.keyBits / 8;
  if (keys.encKey.length !== keyBytes + enc.saltBytes) {
    throw new AssertionError(`SK_e must be ${keyBytes + enc.saltBytes} bytes`);
  }
  if (enc.aead) return gcmCipher(keys.encKey, keyBytes, enc.icvBytes);
  if (keys.integrity === null || keys.integKey === null) {
    throw new AssertionError('CBC needs an integrity transform');
  }
  const integ = INTEGRITY[keys.integrity];
  if (keys.integKey.length !== integ.keyBytes) throw new AssertionError('bad SK_a length');
  return cbcCipher(keys.encKey, keys.integKey, integ.hash, integ.icvBytes, rng);
}

function cbcCipher(
  encKey: Buffer,
  integKey: Buffer,
  hash: string,
  icvBytes: number,
  rng: Rng,
): SkCipher {
  const algo = cbcCipherName(encKey.length);
  const mac = (aad: Buffer, iv: Buffer, ct: Uint8Array): Buffer =>
    createHmac(hash, integKey).update(aad).update(iv).update(ct).digest().subarray(0, icvBytes);
  return {
    ivBytes: 16,
    blockBytes: 16,
    icvBytes,
    nextIv: () => rng.bytes(16),
    seal(aad, iv, plaintext) {
      if (plaintext.length % 16 !== 0) throw new AssertionError('CBC plaintext not aligned');
      const c = createCipheriv(algo, encKey, iv).setAutoPadding(false);
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([ct, mac(aad, iv, ct)]);
    },
    open(aad, iv, sealed) {
      if (sealed.length < icvBytes) throw new IntegrityError('SK payload too short');
      const ct = sealed.subarray(0, sealed.length - icvBytes);
      const icv = sealed.subarray(sealed.length - icvBytes);
      if (!timingSafeEqual(icv, mac(aad, iv, ct))) throw new IntegrityError();
      if (ct.length === 0 || ct.length % 16 !== 0 || iv.length !== 16) {
        throw new IntegrityError('ciphertext not block aligned');
      }
      const d = createDecipheriv(algo, encKey, iv).setAutoPadding(false);
      return Buffer.concat([d.update(ct), d.final()]);
    },
  };
}

function gcmCipher(encKey: Buffer, keyBytes: number, icvBytes: number): SkCipher {
  const algo = gcmCipherName(keyBytes);
  const key = encKey.subarray(0, keyBytes);
  const salt = encKey.subarray(keyBytes);
  let counter = 0n;
  const nonce = (iv: Buffer): Buffer => Buffer.concat([salt, iv]);
  return {
    ivBytes: 8,
    blockBytes: 4,
    icvBytes,
    nextIv() {
      counter += 1n;
      const iv = Buffer.alloc(8);
      iv.writeBigUInt64BE(counter);
      return iv;
    },
    seal(aad, iv, plaintext) {
      const c = createCipheriv(algo, key, nonce(iv), { authTagLength: icvBytes });
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([ct, c.getAuthTag()]);
    },
    open(aad, iv, sealed) {
      if (sealed.length < icvBytes || iv.length !== 8) {
        throw new IntegrityError('SK payload too short');
      }
      const ct = sealed.subarray(0, sealed.length - icvBytes);
      const d = createDecipheriv(algo, key, nonce(iv), { authTagLength: icvBytes });
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - icvBytes));
      try {
        return Buffer.concat([d.update(ct), d.final()]);
      } catch {
        throw new IntegrityError();
      }
    },
  };
}
