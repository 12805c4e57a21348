/** Authentication payload (RFC 7296 §3.8): Auth Method(1) RESERVED(3) Authentication Data. */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface AuthPayload {
  readonly kind: 'auth';
  readonly method: number;
  readonly data: Buffer;
}

export function decodeAuth(r: Reader): AuthPayload {
  const method = r.u8();
  r.skip(3);
  return { kind: 'auth', method, data: Buffer.from(r.rest()) };
}

export function encodeAuth(w: Writer, p: AuthPayload): void {
  w.u8(p.method).zeros(3).bytes(p.data);
}

export function authLength(p: AuthPayload): number {
  return 4 + p.data.length;
}
