/**
 * Identification payloads IDi/IDr (RFC 7296 §3.5): ID Type(1) RESERVED(3) Identification Data.
 * The body (type, reserved, data) is what RFC 7296 §2.15 MACs as RestOfInitIDPayload.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { PayloadType } from '../constants.js';
import type { PayloadContext } from './common.js';

export interface IdPayload {
  readonly kind: 'idi' | 'idr';
  readonly idType: number;
  readonly data: Buffer;
}

export function decodeId(
  r: Reader,
  ctx: PayloadContext = { payloadType: PayloadType.IDi },
): IdPayload {
  const idType = r.u8();
  r.skip(3);
  return {
    kind: ctx.payloadType === PayloadType.IDr ? 'idr' : 'idi',
    idType,
    data: Buffer.from(r.rest()),
  };
}

export function encodeId(w: Writer, p: IdPayload): void {
  w.u8(p.idType).zeros(3).bytes(p.data);
}

export function idLength(p: IdPayload): number {
  return 4 + p.data.length;
}
