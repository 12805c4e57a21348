/**
 * Certificate and Certificate Request payloads (RFC 7296 §3.6, §3.7):
 *   Cert Encoding(1) Certificate Data / Certification Authority (opaque here).
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { PayloadType } from '../constants.js';
import type { PayloadContext } from './common.js';

export interface CertPayload {
  readonly kind: 'cert' | 'certreq';
  readonly encoding: number;
  readonly data: Buffer;
}

export function decodeCert(
  r: Reader,
  ctx: PayloadContext = { payloadType: PayloadType.CERT },
): CertPayload {
  const encoding = r.u8();
  return {
    kind: ctx.payloadType === PayloadType.CERTREQ ? 'certreq' : 'cert',
    encoding,
    data: Buffer.from(r.rest()),
  };
}

export function encodeCert(w: Writer, p: CertPayload): void {
  w.u8(p.encoding).bytes(p.data);
}

export function certLength(p: CertPayload): number {
  return 1 + p.data.length;
}
