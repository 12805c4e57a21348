/**
 * Key Exchange payload (RFC 7296 §3.4): DH Group Num(2) RESERVED(2) Key Exchange Data.
 * The data format per group is RFC 7296 §3.4 (MODP, zero-padded to the prime length),
 * RFC 5903 §7 (ECP: x || y) and RFC 8031 §3 (Curve25519: 32 bytes).
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface KePayload {
  readonly kind: 'ke';
  readonly group: number;
  readonly data: Buffer;
}

export function decodeKe(r: Reader): KePayload {
  const group = r.u16();
  r.skip(2);
  return { kind: 'ke', group, data: Buffer.from(r.rest()) };
}

export function encodeKe(w: Writer, p: KePayload): void {
  w.u16(p.group).u16(0).bytes(p.data);
}

export function keLength(p: KePayload): number {
  return 4 + p.data.length;
}
