/**
 * Path MTU signalling for packets too big for a tunnel:
 * - IPv4 with DF: ICMP Destination Unreachable, code 4 "fragmentation needed and DF set", with the
 *   next-hop MTU (RFC 792, RFC 1191 §4), quoting as much of the packet as fits in 576 bytes
 *   (RFC 1812 §4.3.2.3);
 * - IPv6: ICMPv6 Packet Too Big, type 2 code 0, with the MTU, quoting as much as fits in the
 *   minimum MTU of 1280 (RFC 4443 §3.2).
 * The error goes from the tunnel's inside address to the packet's source. No error is built about
 * an ICMP error, a non-first fragment, or a packet from an unspecified/multicast source
 * (RFC 1122 §3.2.2, RFC 4443 §2.4).
 */
import { inetChecksum, pseudoHeaderSum } from './inet-checksum.js';

const IPV4_MAX_ERROR = 576;
const IPV6_MIN_MTU = 1280;
const ICMPV4_ERROR_TYPES = new Set([3, 4, 5, 11, 12]);
const TTL = 64;

/** Whether `packet` (IPv4 or IPv6) exceeds `mtu` and must be answered instead of sent. */
export function isTooBig(packet: Uint8Array, mtu: number): boolean {
  return packet.length > mtu;
}

/**
 * Build the ICMP error for an oversized packet, or null when none must be sent (fits, IPv4 without
 * DF, malformed, or an excluded case above). `source` is the tunnel's inside address of the same
 * family as the packet (4 or 16 bytes).
 */
export function icmpTooBig(packet: Buffer, mtu: number, source: Uint8Array): Buffer | null {
  if (packet.length <= mtu || packet.length < 20) return null;
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4 && source.length === 4) return icmpv4(packet, mtu, source);
  if (version === 6 && source.length === 16 && packet.length >= 40) {
    return icmpv6(packet, mtu, source);
  }
  return null;
}

function icmpv4(p: Buffer, mtu: number, source: Uint8Array): Buffer | null {
  const ihl = ((p[0] ?? 0) & 0x0f) * 4;
  if (ihl < 20 || p.length < ihl) return null;
  const flagsFrag = p.readUInt16BE(6);
  if ((flagsFrag & 0x4000) === 0) return null; // no DF: the kernel may fragment
  if ((flagsFrag & 0x1fff) !== 0) return null; // non-first fragment
  const src = p.subarray(12, 16);
  if (src.every((b) => b === 0) || (src[0] ?? 0) >= 224) return null;
  if ((p[9] ?? 0) === 1 && p.length > ihl && ICMPV4_ERROR_TYPES.has(p[ihl] ?? 0)) return null;

  const quoted = Math.min(p.length, IPV4_MAX_ERROR - 28);
  const out = Buffer.alloc(28 + quoted);
  out[0] = 0x45;
  out.writeUInt16BE(out.length, 2);
  out[8] = TTL;
  out[9] = 1; // ICMP
  out.set(source, 12);
  out.set(src, 16);
  out.writeUInt16BE(inetChecksum(out, 0, 20), 10);
  out[20] = 3; // Destination Unreachable
  out[21] = 4; // fragmentation needed and DF set
  out.writeUInt16BE(Math.min(mtu, 0xffff), 26); // RFC 1191 §4: Next-Hop MTU
  p.copy(out, 28, 0, quoted);
  out.writeUInt16BE(inetChecksum(out, 20, out.length), 22);
  return out;
}

function icmpv6(p: Buffer, mtu: number, source: Uint8Array): Buffer | null {
  const src = p.subarray(8, 24);
  if (src.every((b) => b === 0) || src[0] === 0xff) return null;
  // RFC 4443 §2.4 (e.1): no error about an ICMPv6 error message (types 0–127).
  if ((p[6] ?? 0) === 58 && p.length > 40 && (p[40] ?? 0) < 128) return null;

  const quoted = Math.min(p.length, IPV6_MIN_MTU - 48);
  const icmpLen = 8 + quoted;
  const out = Buffer.alloc(40 + icmpLen);
  out[0] = 0x60;
  out.writeUInt16BE(icmpLen, 4);
  out[6] = 58; // ICMPv6
  out[7] = TTL;
  out.set(source, 8);
  out.set(src, 24);
  out[40] = 2; // Packet Too Big
  out[41] = 0;
  out.writeUInt32BE(mtu >>> 0, 44);
  p.copy(out, 48, 0, quoted);
  const pseudo = pseudoHeaderSum(source, src, 58, icmpLen);
  out.writeUInt16BE(inetChecksum(out, 40, out.length, pseudo), 42);
  return out;
}
