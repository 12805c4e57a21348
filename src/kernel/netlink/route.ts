/**
 * RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE body (linux/rtnetlink.h):
 *
 *   struct rtmsg {
 *     unsigned char rtm_family, rtm_dst_len, rtm_src_len, rtm_tos;
 *     unsigned char rtm_table;     // RT_TABLE_*; ids > 255 travel in RTA_TABLE
 *     unsigned char rtm_protocol;  // RTPROT_* (186 = bgp)
 *     unsigned char rtm_scope;     // RT_SCOPE_*
 *     unsigned char rtm_type;      // RTN_*
 *     unsigned      rtm_flags;
 *   };  // then RTA_* attributes
 *
 *   RTA_MULTIPATH holds a run of
 *   struct rtnexthop { unsigned short rtnh_len; unsigned char rtnh_flags, rtnh_hops; int rtnh_ifindex; }
 *   each followed by its own RTA_* (RTA_GATEWAY) attributes; rtnh_hops is weight - 1.
 */
import { DecodeError } from '../../lib/errors.js';
import { Rta } from './constants.js';
import { align4, attrMap, attrU32, decodeAttrs, NlWriter } from './wire.js';

export const RTMSG_LEN = 12;
const RTNH_LEN = 8;

export interface MultipathHop {
  readonly ifindex: number;
  readonly flags: number;
  /** Weight 1..256 (rtnh_hops + 1). */
  readonly weight: number;
  readonly gateway?: Uint8Array;
}

export interface RouteMessage {
  readonly family: number;
  readonly dstLen: number;
  readonly srcLen: number;
  readonly tos: number;
  /** Full table id (RTA_TABLE when present, else rtm_table). */
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly flags: number;
  readonly dst?: Uint8Array;
  readonly gateway?: Uint8Array;
  readonly oif?: number;
  readonly prefsrc?: Uint8Array;
  readonly priority?: number;
  readonly nhId?: number;
  readonly multipath?: readonly MultipathHop[];
}

/**
 * Attribute order follows iproute2 (`ip route add PREFIX nhid N table T`), so requests are
 * byte-comparable with it: RTA_TABLE only for ids > 255 (rtm_table = RT_TABLE_UNSPEC then), last.
 */
export function encodeRoute(w: NlWriter, m: RouteMessage): void {
  w.u8(m.family).u8(m.dstLen).u8(m.srcLen).u8(m.tos);
  w.u8(m.table < 256 ? m.table : 0)
    .u8(m.protocol)
    .u8(m.scope)
    .u8(m.type)
    .u32(m.flags);
  if (m.dst !== undefined) w.attr(Rta.RTA_DST, m.dst);
  if (m.priority !== undefined) w.attrU32(Rta.RTA_PRIORITY, m.priority);
  if (m.prefsrc !== undefined) w.attr(Rta.RTA_PREFSRC, m.prefsrc);
  if (m.gateway !== undefined) w.attr(Rta.RTA_GATEWAY, m.gateway);
  if (m.oif !== undefined) w.attrU32(Rta.RTA_OIF, m.oif);
  if (m.nhId !== undefined) w.attrU32(Rta.RTA_NH_ID, m.nhId);
  if (m.multipath !== undefined) {
    // RTA_MULTIPATH is a plain attribute holding rtnexthop records (not NLA_F_NESTED).
    const at = w.pos;
    w.u16(0).u16(Rta.RTA_MULTIPATH);
    for (const hop of m.multipath) {
      const start = w.pos;
      w.u16(0)
        .u8(hop.flags)
        .u8(hop.weight - 1)
        .i32(hop.ifindex);
      if (hop.gateway !== undefined) w.attr(Rta.RTA_GATEWAY, hop.gateway);
      w.buf.writeUInt16LE(w.pos - start, start);
    }
    w.buf.writeUInt16LE(w.pos - at, at);
  }
  if (m.table > 255) w.attrU32(Rta.RTA_TABLE, m.table);
}

function decodeMultipath(v: Buffer): MultipathHop[] {
  const hops: MultipathHop[] = [];
  let pos = 0;
  while (pos < v.length) {
    if (v.length - pos < RTNH_LEN) throw new DecodeError('rtnexthop: truncated');
    const len = v.readUInt16LE(pos);
    if (len < RTNH_LEN || len > v.length - pos)
      throw new DecodeError(`rtnexthop: bad length ${len}`);
    const attrs = attrMap(decodeAttrs(v, pos + RTNH_LEN, pos + len));
    const gw = attrs.get(Rta.RTA_GATEWAY);
    const hop: { -readonly [K in keyof MultipathHop]: MultipathHop[K] } = {
      flags: v[pos + 2] ?? 0,
      weight: (v[pos + 3] ?? 0) + 1,
      ifindex: v.readInt32LE(pos + 4),
    };
    if (gw !== undefined) hop.gateway = Uint8Array.from(gw);
    hops.push(hop);
    pos += Math.min(align4(len), v.length - pos);
  }
  return hops;
}

export function decodeRoute(p: Buffer): RouteMessage {
  if (p.length < RTMSG_LEN) throw new DecodeError(`rtmsg: ${p.length} bytes`);
  const attrs = attrMap(decodeAttrs(p, RTMSG_LEN));
  const out: { -readonly [K in keyof RouteMessage]: RouteMessage[K] } = {
    family: p[0] ?? 0,
    dstLen: p[1] ?? 0,
    srcLen: p[2] ?? 0,
    tos: p[3] ?? 0,
    table: attrU32(attrs.get(Rta.RTA_TABLE), 'RTA_TABLE') ?? p[4] ?? 0,
    protocol: p[5] ?? 0,
    scope: p[6] ?? 0,
    type: p[7] ?? 0,
    flags: p.readUInt32LE(8),
  };
  const dst = attrs.get(Rta.RTA_DST);
  if (dst !== undefined) out.dst = Uint8Array.from(dst);
  const gw = attrs.get(Rta.RTA_GATEWAY);
  if (gw !== undefined) out.gateway = Uint8Array.from(gw);
  const oif = attrU32(attrs.get(Rta.RTA_OIF), 'RTA_OIF');
  if (oif !== undefined) out.oif = oif;
  const src = attrs.get(Rta.RTA_PREFSRC);
  if (src !== undefined) out.prefsrc = Uint8Array.from(src);
  const prio = attrU32(attrs.get(Rta.RTA_PRIORITY), 'RTA_PRIORITY');
  if (prio !== undefined) out.priority = prio;
  const nh = attrU32(attrs.get(Rta.RTA_NH_ID), 'RTA_NH_ID');
  if (nh !== undefined) out.nhId = nh;
  const mp = attrs.get(Rta.RTA_MULTIPATH);
  if (mp !== undefined) out.multipath = decodeMultipath(mp);
  return out;
}
