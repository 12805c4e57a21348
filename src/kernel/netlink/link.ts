/**
 * RTM_NEWLINK / RTM_GETLINK / RTM_DELLINK body (linux/rtnetlink.h, linux/if_link.h):
 *
 *   struct ifinfomsg {
 *     unsigned char  ifi_family;   // AF_UNSPEC
 *     unsigned char  __ifi_pad;
 *     unsigned short ifi_type;     // ARPHRD_*
 *     int            ifi_index;
 *     unsigned       ifi_flags;    // IFF_*
 *     unsigned       ifi_change;   // mask of ifi_flags to change
 *   };  // then IFLA_* attributes; IFLA_LINKINFO nests IFLA_INFO_KIND
 */
import { DecodeError } from '../../lib/errors.js';
import { IFLA_INFO_KIND, Ifla, RTEXT_FILTER_SKIP_STATS } from './constants.js';
import { attrMap, attrString, attrU32, attrU8, decodeAttrs, NlWriter } from './wire.js';

export const IFINFOMSG_LEN = 16;

export interface LinkMessage {
  readonly family: number;
  /** ARPHRD_* (1 ether, 772 loopback, 65534 none/TUN). */
  readonly type: number;
  readonly index: number;
  readonly flags: number;
  readonly change: number;
  readonly name?: string;
  readonly mtu?: number;
  /** IFLA_OPERSTATE (IF_OPER_*). */
  readonly operstate?: number;
  /** IFLA_LINKINFO / IFLA_INFO_KIND. */
  readonly kind?: string;
  /** IFLA_EXT_MASK, only meaningful in GETLINK requests. */
  readonly extMask?: number;
}

export function encodeLink(w: NlWriter, m: LinkMessage): void {
  w.u8(m.family).u8(0).u16(m.type).i32(m.index).u32(m.flags).u32(m.change);
  if (m.name !== undefined) w.attrString(Ifla.IFLA_IFNAME, m.name);
  if (m.mtu !== undefined) w.attrU32(Ifla.IFLA_MTU, m.mtu);
  if (m.operstate !== undefined) w.attrU8(Ifla.IFLA_OPERSTATE, m.operstate);
  if (m.kind !== undefined) {
    const nest = w.beginNest(Ifla.IFLA_LINKINFO);
    w.attrString(IFLA_INFO_KIND, m.kind);
    w.endNest(nest);
  }
  if (m.extMask !== undefined) w.attrU32(Ifla.IFLA_EXT_MASK, m.extMask);
}

export function decodeLink(p: Buffer): LinkMessage {
  if (p.length < IFINFOMSG_LEN) throw new DecodeError(`ifinfomsg: ${p.length} bytes`);
  const attrs = attrMap(decodeAttrs(p, IFINFOMSG_LEN));
  const out: {
    -readonly [K in keyof LinkMessage]: LinkMessage[K];
  } = {
    family: p[0] ?? 0,
    type: p.readUInt16LE(2),
    index: p.readInt32LE(4),
    flags: p.readUInt32LE(8),
    change: p.readUInt32LE(12),
  };
  const name = attrString(attrs.get(Ifla.IFLA_IFNAME));
  if (name !== undefined) out.name = name;
  const mtu = attrU32(attrs.get(Ifla.IFLA_MTU), 'IFLA_MTU');
  if (mtu !== undefined) out.mtu = mtu;
  const oper = attrU8(attrs.get(Ifla.IFLA_OPERSTATE), 'IFLA_OPERSTATE');
  if (oper !== undefined) out.operstate = oper;
  const linkinfo = attrs.get(Ifla.IFLA_LINKINFO);
  if (linkinfo !== undefined) {
    const kind = attrString(attrMap(decodeAttrs(linkinfo)).get(IFLA_INFO_KIND));
    if (kind !== undefined) out.kind = kind;
  }
  const ext = attrU32(attrs.get(Ifla.IFLA_EXT_MASK), 'IFLA_EXT_MASK');
  if (ext !== undefined) out.extMask = ext;
  return out;
}

/** A GETLINK body asking for one link by name (or a dump, with no name), without stats. */
export function linkQuery(name?: string): LinkMessage {
  const base = {
    family: 0,
    type: 0,
    index: 0,
    flags: 0,
    change: 0,
    extMask: RTEXT_FILTER_SKIP_STATS,
  };
  return name === undefined ? base : { ...base, name };
}
