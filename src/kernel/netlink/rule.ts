/**
 * RTM_NEWRULE / RTM_DELRULE / RTM_GETRULE body (linux/fib_rules.h):
 *
 *   struct fib_rule_hdr {
 *     __u8 family, dst_len, src_len, tos;
 *     __u8 table;          // ids > 255 travel in FRA_TABLE
 *     __u8 res1, res2;
 *     __u8 action;         // FR_ACT_TO_TBL = 1
 *     __u32 flags;
 *   };  // then FRA_* attributes
 */
import { DecodeError } from '../../lib/errors.js';
import { Fra } from './constants.js';
import { attrMap, attrString, attrU32, decodeAttrs, NlWriter } from './wire.js';

export const FIB_RULE_HDR_LEN = 12;

export interface RuleMessage {
  readonly family: number;
  readonly dstLen: number;
  readonly srcLen: number;
  readonly tos: number;
  readonly table: number;
  readonly action: number;
  readonly flags: number;
  readonly priority?: number;
  readonly src?: Uint8Array;
  readonly dst?: Uint8Array;
  readonly iifname?: string;
  readonly protocol?: number;
}

/** iproute2 order for "from SRC to DST table T pref P"; FRA_TABLE only for ids > 255. */
export function encodeRule(w: NlWriter, m: RuleMessage): void {
  w.u8(m.family).u8(m.dstLen).u8(m.srcLen).u8(m.tos);
  w.u8(m.table < 256 ? m.table : 0)
    .u8(0)
    .u8(0)
    .u8(m.action)
    .u32(m.flags);
  if (m.src !== undefined) w.attr(Fra.FRA_SRC, m.src);
  if (m.dst !== undefined) w.attr(Fra.FRA_DST, m.dst);
  if (m.iifname !== undefined) w.attrString(Fra.FRA_IIFNAME, m.iifname);
  if (m.table > 255) w.attrU32(Fra.FRA_TABLE, m.table);
  if (m.priority !== undefined) w.attrU32(Fra.FRA_PRIORITY, m.priority);
  if (m.protocol !== undefined) w.attrU8(Fra.FRA_PROTOCOL, m.protocol);
}

export function decodeRule(p: Buffer): RuleMessage {
  if (p.length < FIB_RULE_HDR_LEN) throw new DecodeError(`fib_rule_hdr: ${p.length} bytes`);
  const attrs = attrMap(decodeAttrs(p, FIB_RULE_HDR_LEN));
  const out: { -readonly [K in keyof RuleMessage]: RuleMessage[K] } = {
    family: p[0] ?? 0,
    dstLen: p[1] ?? 0,
    srcLen: p[2] ?? 0,
    tos: p[3] ?? 0,
    table: attrU32(attrs.get(Fra.FRA_TABLE), 'FRA_TABLE') ?? p[4] ?? 0,
    action: p[7] ?? 0,
    flags: p.readUInt32LE(8),
  };
  const prio = attrU32(attrs.get(Fra.FRA_PRIORITY), 'FRA_PRIORITY');
  if (prio !== undefined) out.priority = prio;
  const src = attrs.get(Fra.FRA_SRC);
  if (src !== undefined) out.src = Uint8Array.from(src);
  const dst = attrs.get(Fra.FRA_DST);
  if (dst !== undefined) out.dst = Uint8Array.from(dst);
  const iif = attrString(attrs.get(Fra.FRA_IIFNAME));
  if (iif !== undefined) out.iifname = iif;
  const proto = attrs.get(Fra.FRA_PROTOCOL);
  if (proto !== undefined) {
    if (proto.length < 1) throw new DecodeError('FRA_PROTOCOL: empty');
    out.protocol = proto[0] ?? 0;
  }
  return out;
}
