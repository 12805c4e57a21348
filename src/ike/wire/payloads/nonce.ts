/** Nonce payload (RFC 7296 §3.9): the nonce data only (16–256 bytes, checked in verify). */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface NoncePayload {
  readonly kind: 'nonce';
  readonly nonce: Buffer;
}

export function decodeNonce(r: Reader): NoncePayload {
  return { kind: 'nonce', nonce: Buffer.from(r.rest()) };
}

export function encodeNonce(w: Writer, p: NoncePayload): void {
  w.bytes(p.nonce);
}

export function nonceLength(p: NoncePayload): number {
  return p.nonce.length;
}
