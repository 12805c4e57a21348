/**
 * RTM_NEWNEXTHOP / RTM_DELNEXTHOP / RTM_GETNEXTHOP body (linux/nexthop.h, Linux >= 5.3):
 *
 *   struct nhmsg {
 *     unsigned char nh_family;    // AF_INET / AF_INET6; AF_UNSPEC for groups
 *     unsigned char nh_scope;
 *     unsigned char nh_protocol;  // RTPROT_*
 *     unsigned char resvd;
 *     unsigned int  nh_flags;     // RTNH_F_*
 *   };  // then NHA_* attributes
 *
 *   NHA_GROUP is an array of struct nexthop_grp { __u32 id; __u8 weight; __u8 resvd1; __u16 resvd2; }
 *   where weight is the configured weight - 1.
 */
import { DecodeError } from '../../lib/errors.js';
import { Nha } from './constants.js';
import { attrMap, attrU16, attrU32, decodeAttrs, NlWriter } from './wire.js';

export const NHMSG_LEN = 8;
const NH_GRP_LEN = 8;

export interface NexthopGroupMember {
  readonly id: number;
  /** 1..256. */
  readonly weight: number;
}

export interface NexthopMessage {
  readonly family: number;
  readonly scope: number;
  readonly protocol: number;
  readonly flags: number;
  readonly id?: number;
  readonly group?: readonly NexthopGroupMember[];
  readonly groupType?: number;
  readonly blackhole?: boolean;
  readonly oif?: number;
  readonly gateway?: Uint8Array;
}

export function encodeNexthop(w: NlWriter, m: NexthopMessage): void {
  w.u8(m.family).u8(m.scope).u8(m.protocol).u8(0).u32(m.flags);
  if (m.id !== undefined) w.attrU32(Nha.NHA_ID, m.id);
  if (m.group !== undefined) {
    const b = Buffer.alloc(m.group.length * NH_GRP_LEN);
    m.group.forEach((g, i) => {
      b.writeUInt32LE(g.id >>> 0, i * NH_GRP_LEN);
      b[i * NH_GRP_LEN + 4] = (g.weight - 1) & 0xff;
    });
    w.attr(Nha.NHA_GROUP, b);
  }
  if (m.groupType !== undefined) w.attrU16(Nha.NHA_GROUP_TYPE, m.groupType);
  if (m.blackhole === true) w.attrFlag(Nha.NHA_BLACKHOLE);
  // iproute2 order for "via GW dev DEV".
  if (m.gateway !== undefined) w.attr(Nha.NHA_GATEWAY, m.gateway);
  if (m.oif !== undefined) w.attrU32(Nha.NHA_OIF, m.oif);
}

export function decodeNexthop(p: Buffer): NexthopMessage {
  if (p.length < NHMSG_LEN) throw new DecodeError(`nhmsg: ${p.length} bytes`);
  const attrs = attrMap(decodeAttrs(p, NHMSG_LEN));
  const out: { -readonly [K in keyof NexthopMessage]: NexthopMessage[K] } = {
    family: p[0] ?? 0,
    scope: p[1] ?? 0,
    protocol: p[2] ?? 0,
    flags: p.readUInt32LE(4),
  };
  const id = attrU32(attrs.get(Nha.NHA_ID), 'NHA_ID');
  if (id !== undefined) out.id = id;
  const grp = attrs.get(Nha.NHA_GROUP);
  if (grp !== undefined) {
    if (grp.length % NH_GRP_LEN !== 0) throw new DecodeError(`NHA_GROUP: length ${grp.length}`);
    const members: NexthopGroupMember[] = [];
    for (let i = 0; i < grp.length; i += NH_GRP_LEN) {
      members.push({ id: grp.readUInt32LE(i), weight: (grp[i + 4] ?? 0) + 1 });
    }
    out.group = members;
  }
  const gt = attrU16(attrs.get(Nha.NHA_GROUP_TYPE), 'NHA_GROUP_TYPE');
  if (gt !== undefined) out.groupType = gt;
  if (attrs.has(Nha.NHA_BLACKHOLE)) out.blackhole = true;
  const oif = attrU32(attrs.get(Nha.NHA_OIF), 'NHA_OIF');
  if (oif !== undefined) out.oif = oif;
  const gw = attrs.get(Nha.NHA_GATEWAY);
  if (gw !== undefined) out.gateway = Uint8Array.from(gw);
  return out;
}
