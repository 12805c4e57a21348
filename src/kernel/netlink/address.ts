/**
 * RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR body (linux/if_addr.h):
 *
 *   struct ifaddrmsg {
 *     __u8  ifa_family;     // AF_INET / AF_INET6
 *     __u8  ifa_prefixlen;
 *     __u8  ifa_flags;      // IFA_F_* (low 8 bits; IFA_FLAGS carries all 32)
 *     __u8  ifa_scope;      // RT_SCOPE_*
 *     __u32 ifa_index;
 *   };  // then IFA_* attributes
 *
 * For IPv4, IFA_LOCAL is the interface address and IFA_ADDRESS the peer (equal unless
 * point-to-point); for IPv6, IFA_ADDRESS is the address.
 */
import { DecodeError } from '../../lib/errors.js';
import { Ifa } from './constants.js';
import { attrMap, attrString, attrU32, decodeAttrs, NlWriter } from './wire.js';

export const IFADDRMSG_LEN = 8;

export interface AddressMessage {
  readonly family: number;
  readonly prefixLen: number;
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
  readonly address?: Uint8Array;
  readonly local?: Uint8Array;
  readonly label?: string;
  /** IFA_FLAGS (u32, supersedes ifa_flags). */
  readonly extFlags?: number;
}

export function encodeAddress(w: NlWriter, m: AddressMessage): void {
  w.u8(m.family)
    .u8(m.prefixLen)
    .u8(m.flags & 0xff)
    .u8(m.scope)
    .u32(m.index);
  if (m.local !== undefined) w.attr(Ifa.IFA_LOCAL, m.local);
  if (m.address !== undefined) w.attr(Ifa.IFA_ADDRESS, m.address);
  if (m.label !== undefined) w.attrString(Ifa.IFA_LABEL, m.label);
  if (m.extFlags !== undefined) w.attrU32(Ifa.IFA_FLAGS, m.extFlags);
}

export function decodeAddress(p: Buffer): AddressMessage {
  if (p.length < IFADDRMSG_LEN) throw new DecodeError(`ifaddrmsg: ${p.length} bytes`);
  const attrs = attrMap(decodeAttrs(p, IFADDRMSG_LEN));
  const out: { -readonly [K in keyof AddressMessage]: AddressMessage[K] } = {
    family: p[0] ?? 0,
    prefixLen: p[1] ?? 0,
    flags: p[2] ?? 0,
    scope: p[3] ?? 0,
    index: p.readUInt32LE(4),
  };
  const address = attrs.get(Ifa.IFA_ADDRESS);
  if (address !== undefined) out.address = Uint8Array.from(address);
  const local = attrs.get(Ifa.IFA_LOCAL);
  if (local !== undefined) out.local = Uint8Array.from(local);
  const label = attrString(attrs.get(Ifa.IFA_LABEL));
  if (label !== undefined) out.label = label;
  const ext = attrU32(attrs.get(Ifa.IFA_FLAGS), 'IFA_FLAGS');
  if (ext !== undefined) out.extFlags = ext;
  return out;
}
