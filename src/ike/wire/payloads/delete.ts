/**
 * Delete payload (RFC 7296 §3.11):
 *   Protocol ID(1) SPI Size(1) Num of SPIs(2) SPIs (Num × SPI Size)
 * An IKE SA delete has SPI size 0 and no SPIs; ESP/AH SPIs are 4 bytes.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { malformed } from './common.js';

export interface DeletePayload {
  readonly kind: 'delete';
  readonly protocolId: number;
  readonly spiSize: number;
  readonly spis: readonly Buffer[];
}

export function decodeDelete(r: Reader): DeletePayload {
  const protocolId = r.u8();
  const spiSize = r.u8();
  const count = r.u16();
  if (spiSize === 0 && count !== 0) malformed('delete: SPIs of size 0');
  const spis: Buffer[] = [];
  for (let i = 0; i < count; i++) spis.push(Buffer.from(r.bytes(spiSize)));
  if (!r.atEnd) malformed('delete trailing bytes');
  return { kind: 'delete', protocolId, spiSize, spis };
}

export function encodeDelete(w: Writer, p: DeletePayload): void {
  w.u8(p.protocolId).u8(p.spiSize).u16(p.spis.length);
  for (const s of p.spis) w.bytes(s);
}

export function deleteLength(p: DeletePayload): number {
  return 4 + p.spiSize * p.spis.length;
}
