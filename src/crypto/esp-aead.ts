/**
 * Raw cipher operations ESP is built from, on node:crypto (the reference; the fast path does the
 * same on pre-keyed OpenSSL contexts in native code):
 * - AES-GCM with a 12-byte nonce and a 16-byte tag (McGrew–Viega GCM spec; RFC 4106 §4 nonce =
 *   salt || IV is built by the caller);
 * - AES-CBC without padding (RFC 3602 §2; ESP pads itself).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const GCM_TAG_BYTES = 16;

function gcmName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new RangeError(`bad AES key length ${key.length}`);
}

function cbcName(key: Uint8Array): 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' {
  if (key.length === 16) return 'aes-128-cbc';
  if (key.length === 24) return 'aes-192-cbc';
  if (key.length === 32) return 'aes-256-cbc';
  throw new RangeError(`bad AES key length ${key.length}`);
}

/** AES-GCM encrypt: returns ciphertext || 16-byte tag. */
export function gcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Buffer {
  const c = createCipheriv(gcmName(key), key, nonce, { authTagLength: GCM_TAG_BYTES });
  c.setAAD(aad);
  const head = c.update(plaintext);
  const tail = c.final();
  return Buffer.concat([head, tail, c.getAuthTag()]);
}

/** AES-GCM decrypt of ciphertext || tag; null when the tag does not verify or input is short. */
export function gcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Buffer | null {
  if (sealed.length < GCM_TAG_BYTES) return null;
  const ctLen = sealed.length - GCM_TAG_BYTES;
  const d = createDecipheriv(gcmName(key), key, nonce, { authTagLength: GCM_TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(ctLen));
  const head = d.update(sealed.subarray(0, ctLen));
  try {
    const tail = d.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    return null;
  }
}

/** AES-CBC encrypt without padding; `plaintext` must be a multiple of 16 bytes. */
export function cbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv(cbcName(key), key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

/** AES-CBC decrypt without padding; `ciphertext` must be a multiple of 16 bytes. */
export function cbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const d = createDecipheriv(cbcName(key), key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}
