/**
 * Configuration payload (RFC 7296 §3.15): CFG Type(1) RESERVED(3) Configuration Attributes.
 *   Attribute: R(1 bit, 0)|Attribute Type(15 bits) Length(2) Value(var)
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { malformed } from './common.js';

export interface CfgAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface CpPayload {
  readonly kind: 'cp';
  readonly cfgType: number;
  readonly attributes: readonly CfgAttribute[];
}

export function decodeCp(r: Reader): CpPayload {
  const cfgType = r.u8();
  r.skip(3);
  const attributes: CfgAttribute[] = [];
  while (!r.atEnd) {
    const t = r.u16();
    if (t & 0x8000) malformed('configuration attribute reserved bit');
    const len = r.u16();
    attributes.push({ type: t, value: Buffer.from(r.bytes(len)) });
  }
  return { kind: 'cp', cfgType, attributes };
}

export function encodeCp(w: Writer, p: CpPayload): void {
  w.u8(p.cfgType).zeros(3);
  for (const a of p.attributes)
    w.u16(a.type & 0x7fff)
      .u16(a.value.length)
      .bytes(a.value);
}

export function cpLength(p: CpPayload): number {
  return 4 + p.attributes.reduce((n, a) => n + 4 + a.value.length, 0);
}
