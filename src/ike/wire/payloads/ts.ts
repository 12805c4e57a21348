/**
 * Traffic Selector payloads TSi/TSr (RFC 7296 §3.13):
 *   Number of TSs(1) RESERVED(3) Traffic Selectors...
 *   TS: TS Type(1) IP Protocol ID(1) Selector Length(2) Start Port(2) End Port(2)
 *       Starting Address(4|16) Ending Address(4|16)
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import type { IpAddr } from '../../../lib/ip/addr.js';
import { PayloadType, TsType } from '../constants.js';
import { malformed, type PayloadContext } from './common.js';

export interface TrafficSelector {
  readonly tsType: typeof TsType.TS_IPV4_ADDR_RANGE | typeof TsType.TS_IPV6_ADDR_RANGE;
  /** 0 = any protocol. */
  readonly ipProtocol: number;
  readonly startPort: number;
  readonly endPort: number;
  readonly startAddr: IpAddr;
  readonly endAddr: IpAddr;
}

export interface TsPayload {
  readonly kind: 'tsi' | 'tsr';
  readonly selectors: readonly TrafficSelector[];
}

function addrBytes(tsType: number): number {
  return tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : 16;
}

function decodeSelector(r: Reader): TrafficSelector {
  const tsType = r.u8();
  if (tsType !== TsType.TS_IPV4_ADDR_RANGE && tsType !== TsType.TS_IPV6_ADDR_RANGE) {
    malformed(`traffic selector type ${tsType}`);
  }
  const ipProtocol = r.u8();
  const len = r.u16();
  const n = addrBytes(tsType);
  if (len !== 8 + 2 * n) malformed('traffic selector length');
  const startPort = r.u16();
  const endPort = r.u16();
  const family = tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : 6;
  const startAddr: IpAddr = { family, bytes: Uint8Array.from(r.bytes(n)) };
  const endAddr: IpAddr = { family, bytes: Uint8Array.from(r.bytes(n)) };
  return { tsType, ipProtocol, startPort, endPort, startAddr, endAddr };
}

export function decodeTs(
  r: Reader,
  ctx: PayloadContext = { payloadType: PayloadType.TSi },
): TsPayload {
  const count = r.u8();
  r.skip(3);
  const selectors: TrafficSelector[] = [];
  for (let i = 0; i < count; i++) selectors.push(decodeSelector(r));
  if (!r.atEnd) malformed('TS trailing bytes');
  return { kind: ctx.payloadType === PayloadType.TSr ? 'tsr' : 'tsi', selectors };
}

export function encodeTs(w: Writer, p: TsPayload): void {
  w.u8(p.selectors.length).zeros(3);
  for (const s of p.selectors) {
    const n = addrBytes(s.tsType);
    w.u8(s.tsType)
      .u8(s.ipProtocol)
      .u16(8 + 2 * n);
    w.u16(s.startPort).u16(s.endPort).bytes(s.startAddr.bytes).bytes(s.endAddr.bytes);
  }
}

export function tsLength(p: TsPayload): number {
  return 4 + p.selectors.reduce((n, s) => n + 8 + 2 * addrBytes(s.tsType), 0);
}
