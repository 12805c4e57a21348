/** Test packet builders with correct checksums (IPv4/IPv6 + TCP). */
import { inetChecksum, pseudoHeaderSum } from '../../../src/tunnel/inet-checksum.js';

export const V4_SRC = Uint8Array.from([10, 1, 0, 5]);
export const V4_DST = Uint8Array.from([10, 2, 0, 9]);
export const V6_SRC = Buffer.from('fd000000000000000000000000000005', 'hex');
export const V6_DST = Buffer.from('fd000000000000000000000000000009', 'hex');

/** TCP header with the given options (padded to 4 bytes) and flags, plus payload. */
export function tcpSegment(flags: number, options: number[], payload = Buffer.alloc(0)): Buffer {
  const optLen = Math.ceil(options.length / 4) * 4;
  const t = Buffer.alloc(20 + optLen + payload.length);
  t.writeUInt16BE(40000, 0);
  t.writeUInt16BE(443, 2);
  t.writeUInt32BE(0x01020304, 4);
  t[12] = ((20 + optLen) / 4) << 4;
  t[13] = flags;
  t.writeUInt16BE(64240, 14);
  t.set(options, 20);
  payload.copy(t, 20 + optLen);
  return t;
}

export function ipv4(
  protocol: number,
  body: Buffer,
  opts: { df?: boolean; fragOffset?: number } = {},
): Buffer {
  const p = Buffer.alloc(20 + body.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(0xbeef, 4);
  p.writeUInt16BE((opts.df === false ? 0 : 0x4000) | (opts.fragOffset ?? 0), 6);
  p[8] = 64;
  p[9] = protocol;
  p.set(V4_SRC, 12);
  p.set(V4_DST, 16);
  body.copy(p, 20);
  p.writeUInt16BE(inetChecksum(p, 0, 20), 10);
  if (protocol === 6) fixTcpChecksum(p, 20, V4_SRC, V4_DST);
  return p;
}

/** IPv6 packet; `ext` are extension headers given as [nextHeaderAfter, bytes] in order. */
export function ipv6(protocol: number, body: Buffer, ext: Buffer[] = []): Buffer {
  const extBytes = Buffer.concat(ext);
  const p = Buffer.alloc(40 + extBytes.length + body.length);
  p[0] = 0x60;
  p.writeUInt16BE(extBytes.length + body.length, 4);
  p[6] = ext.length > 0 ? 0 : protocol; // callers chain hop-by-hop first
  p[7] = 64;
  p.set(V6_SRC, 8);
  p.set(V6_DST, 24);
  extBytes.copy(p, 40);
  body.copy(p, 40 + extBytes.length);
  if (protocol === 6) fixTcpChecksum(p, 40 + extBytes.length, V6_SRC, V6_DST);
  return p;
}

export function fixTcpChecksum(p: Buffer, off: number, src: Uint8Array, dst: Uint8Array): void {
  p.writeUInt16BE(0, off + 16);
  const len = p.length - off;
  p.writeUInt16BE(inetChecksum(p, off, p.length, pseudoHeaderSum(src, dst, 6, len)), off + 16);
}

/** True when the TCP checksum of the segment at `off` verifies. */
export function tcpChecksumOk(p: Buffer, off: number, src: Uint8Array, dst: Uint8Array): boolean {
  return inetChecksum(p, off, p.length, pseudoHeaderSum(src, dst, 6, p.length - off)) === 0;
}
