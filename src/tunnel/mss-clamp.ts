/**
 * TCP MSS clamping for packets crossing a tunnel (Catalyst `ip tcp adjust-mss`): in SYN and SYN-ACK
 * segments, lower the MSS option (RFC 9293 §3.7.1, kind 2 length 4) to what fits the tunnel MTU, and
 * fix the TCP checksum incrementally (RFC 1624). IPv4 and IPv6 (walking the usual extension
 * headers). Packets are modified in place; anything unexpected is left untouched.
 */
import { updateChecksum } from './inet-checksum.js';

const PROTO_TCP = 6;
const TCP_SYN = 0x02;
const TCP_OPT_END = 0;
const TCP_OPT_NOP = 1;
const TCP_OPT_MSS = 2;

/** Largest MSS for a tunnel MTU: MTU minus the minimal IP and TCP headers. */
export function mssForMtu(mtu: number, family: 4 | 6): number {
  return mtu - (family === 4 ? 20 : 40) - 20;
}

/** Offset of the TCP header in an IPv4/IPv6 packet, or -1 when it is not a (first) TCP segment. */
export function tcpOffset(p: Uint8Array): number {
  if (p.length < 20) return -1;
  const version = (p[0] ?? 0) >> 4;
  if (version === 4) {
    const ihl = ((p[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20 || p.length < ihl) return -1;
    if ((p[9] ?? 0) !== PROTO_TCP) return -1;
    const fragOffset = (((p[6] ?? 0) & 0x1f) << 8) | (p[7] ?? 0);
    return fragOffset === 0 ? ihl : -1;
  }
  if (version !== 6 || p.length < 40) return -1;
  let next = p[6] ?? 0;
  let off = 40;
  for (let hops = 0; hops < 8; hops++) {
    if (next === PROTO_TCP) return off;
    if (off + 8 > p.length) return -1;
    if (next === 0 || next === 43 || next === 60) {
      // hop-by-hop, routing, destination options: (Hdr Ext Len + 1) * 8
      const len = ((p[off + 1] ?? 0) + 1) * 8;
      next = p[off] ?? 0;
      off += len;
    } else if (next === 44) {
      // fragment header: only the first fragment carries the TCP header
      const fragOffset = (((p[off + 2] ?? 0) << 8) | (p[off + 3] ?? 0)) >> 3;
      if (fragOffset !== 0) return -1;
      next = p[off] ?? 0;
      off += 8;
    } else {
      return -1;
    }
  }
  return -1;
}

/**
 * Clamp the MSS option of a SYN or SYN-ACK to `maxMss`. Returns true when the packet was changed.
 */
export function clampMss(packet: Buffer, maxMss: number): boolean {
  const off = tcpOffset(packet);
  if (off < 0 || off + 20 > packet.length) return false;
  if (((packet[off + 13] ?? 0) & TCP_SYN) === 0) return false;
  const dataOffset = ((packet[off + 12] ?? 0) >> 4) * 4;
  if (dataOffset < 20 || off + dataOffset > packet.length) return false;
  let i = off + 20;
  const end = off + dataOffset;
  while (i < end) {
    const kind = packet[i] ?? 0;
    if (kind === TCP_OPT_END) return false;
    if (kind === TCP_OPT_NOP) {
      i += 1;
      continue;
    }
    const len = packet[i + 1] ?? 0;
    if (len < 2 || i + len > end) return false;
    if (kind === TCP_OPT_MSS && len === 4) {
      const mss = packet.readUInt16BE(i + 2);
      if (mss <= maxMss) return false;
      rewriteWord(packet, off, i + 2, maxMss);
      return true;
    }
    i += len;
  }
  return false;
}

/** Write a 16-bit value at `at` and update the TCP checksum (at tcp+16) word by word. */
function rewriteWord(p: Buffer, tcp: number, at: number, value: number): void {
  // The field may straddle two checksum words when options put it at an odd offset.
  const first = tcp + ((at - tcp) & ~1);
  const last = tcp + ((at + 1 - tcp) & ~1);
  const oldFirst = wordAt(p, first);
  const oldLast = wordAt(p, last);
  p.writeUInt16BE(value, at);
  let csum = p.readUInt16BE(tcp + 16);
  csum = updateChecksum(csum, oldFirst, wordAt(p, first));
  if (last !== first) csum = updateChecksum(csum, oldLast, wordAt(p, last));
  p.writeUInt16BE(csum, tcp + 16);
}

function wordAt(p: Uint8Array, i: number): number {
  return ((p[i] ?? 0) << 8) | (p[i + 1] ?? 0);
}
