/**
 * Native inner-packet processing (native/src/datapath_inner.cc, datapath_gso.cc) against the
 * TypeScript references: MSS clamping (RFC 9293 §3.7.1, RFC 1624 checksum update), ICMP
 * fragmentation-needed (RFC 792 / RFC 1191) and ICMPv6 Packet Too Big (RFC 4443 §3.2), and the
 * splitting of TSO/USO super-packets read with a virtio_net_hdr.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampMss } from '../../../src/tunnel/mss-clamp.js';
import { icmpTooBig } from '../../../src/tunnel/icmp-too-big.js';
import { inetChecksum, pseudoHeaderSum } from '../../../src/tunnel/inet-checksum.js';
import {
  nativeClampMss,
  nativeGsoSplit,
  nativeIcmpTooBig,
} from '../../../src/tunnel/native-inner.js';

const SRC4 = Buffer.from([10, 0, 0, 1]);
const DST4 = Buffer.from([10, 0, 0, 2]);
const SRC6 = Buffer.from('fd000000000000000000000000000001', 'hex');
const DST6 = Buffer.from('fd000000000000000000000000000002', 'hex');

/** IPv4 or IPv6 header + TCP header (with `options`) + payload, all checksums correct. */
function tcpPacket(
  family: 4 | 6,
  options: number[],
  payload: Buffer,
  flags = 0x02,
  seq = 1000,
): Buffer {
  const optLen = Math.ceil(options.length / 4) * 4;
  const tcpLen = 20 + optLen;
  const ipLen = family === 4 ? 20 : 40;
  const p = Buffer.alloc(ipLen + tcpLen + payload.length);
  if (family === 4) {
    p[0] = 0x45;
    p.writeUInt16BE(p.length, 2);
    p.writeUInt16BE(0x1234, 4);
    p.writeUInt16BE(0x4000, 6);
    p[8] = 64;
    p[9] = 6;
    SRC4.copy(p, 12);
    DST4.copy(p, 16);
    p.writeUInt16BE(inetChecksum(p, 0, 20), 10);
  } else {
    p[0] = 0x60;
    p.writeUInt16BE(tcpLen + payload.length, 4);
    p[6] = 6;
    p[7] = 64;
    SRC6.copy(p, 8);
    DST6.copy(p, 24);
  }
  const t = ipLen;
  p.writeUInt16BE(40000, t);
  p.writeUInt16BE(443, t + 2);
  p.writeUInt32BE(seq, t + 4);
  p[t + 12] = (tcpLen / 4) << 4;
  p[t + 13] = flags;
  p.writeUInt16BE(65535, t + 14);
  Buffer.from(options).copy(p, t + 20);
  payload.copy(p, t + tcpLen);
  const [s, d] = family === 4 ? [SRC4, DST4] : [SRC6, DST6];
  const pseudo = pseudoHeaderSum(s, d, 6, p.length - t);
  p.writeUInt16BE(inetChecksum(p, t, p.length, pseudo), t + 16);
  return p;
}

function transportValid(p: Buffer, l4: number, proto: number): boolean {
  const v6 = p[0]! >> 4 === 6;
  const s = v6 ? p.subarray(8, 24) : p.subarray(12, 16);
  const d = v6 ? p.subarray(24, 40) : p.subarray(16, 20);
  return inetChecksum(p, l4, p.length, pseudoHeaderSum(s, d, proto, p.length - l4)) === 0;
}

describe('native MSS clamping equals src/tunnel/mss-clamp.ts', () => {
  it('clamps a plain IPv4 SYN and keeps the checksum valid', () => {
    const p = tcpPacket(4, [2, 4, 0x05, 0xb4], Buffer.alloc(0));
    const n = Buffer.from(p);
    expect(nativeClampMss(n, 1360)).toBe(true);
    expect(n.readUInt16BE(42)).toBe(1360);
    expect(transportValid(n, 20, 6)).toBe(true);
    const t = Buffer.from(p);
    clampMss(t, 1360);
    expect(n.equals(t)).toBe(true);
  });

  it('matches the reference on random SYN/non-SYN packets, IPv4 and IPv6, odd option offsets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 6>(4, 6),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 500, max: 1460 }),
        fc.constantFrom(0x02, 0x12, 0x10, 0x18),
        fc.uint8Array({ maxLength: 40 }),
        (family, nops, mss, max, flags, payload) => {
          const opts = [...Array<number>(nops).fill(1), 2, 4, mss >> 8, mss & 0xff, 3, 3, 7];
          const p = tcpPacket(family, opts, Buffer.from(payload), flags);
          const t = Buffer.from(p);
          const n = Buffer.from(p);
          expect(nativeClampMss(n, max)).toBe(clampMss(t, max));
          expect(n.toString('hex')).toBe(t.toString('hex'));
          expect(transportValid(n, family === 4 ? 20 : 40, 6)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves random bytes as the reference does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 120 }),
        fc.integer({ min: 0, max: 2000 }),
        (bytes, max) => {
          const t = Buffer.from(bytes);
          const n = Buffer.from(bytes);
          expect(nativeClampMss(n, max)).toBe(clampMss(t, max));
          expect(n.equals(t)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('native ICMP too-big equals src/tunnel/icmp-too-big.ts', () => {
  it('matches the reference for IPv4 (DF / no DF) and IPv6 packets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 6>(4, 6),
        fc.integer({ min: 1000, max: 1500 }),
        fc.integer({ min: 1280, max: 1400 }),
        fc.boolean(),
        (family, len, mtu, df) => {
          const p = tcpPacket(family, [], Buffer.alloc(len - (family === 4 ? 40 : 60), 0x5a), 0x10);
          if (family === 4 && !df) p.writeUInt16BE(0, 6);
          const src = family === 4 ? Buffer.from([172, 31, 0, 1]) : SRC6;
          const t = icmpTooBig(p, mtu, src);
          const n = nativeIcmpTooBig(p, mtu, src);
          expect(n?.toString('hex') ?? null).toBe(t?.toString('hex') ?? null);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers an oversized IPv6 packet with a valid Packet Too Big', () => {
    const p = tcpPacket(6, [], Buffer.alloc(1400), 0x10);
    const n = nativeIcmpTooBig(p, 1300, SRC6);
    expect(n).not.toBeNull();
    expect(n![40]).toBe(2);
    expect(n!.readUInt32BE(44)).toBe(1300);
    expect(n!.length).toBe(1280);
    expect(transportValid(n!, 40, 58)).toBe(true);
  });
});

/** virtio_net_hdr (little-endian): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
function vnetHeader(
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOff: number,
) {
  const h = Buffer.alloc(10);
  h[0] = 1; // VIRTIO_NET_HDR_F_NEEDS_CSUM
  h[1] = gsoType;
  h.writeUInt16LE(hdrLen, 2);
  h.writeUInt16LE(gsoSize, 4);
  h.writeUInt16LE(csumStart, 6);
  h.writeUInt16LE(csumOff, 8);
  return h;
}

describe('native GSO split of TUN super-packets', () => {
  for (const family of [4, 6] as const) {
    it(`splits an IPv${family} TSO packet into MSS segments with valid checksums`, () => {
      const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
      const p = tcpPacket(family, [], payload, 0x18 | 0x01, 7_000_000);
      const ipLen = family === 4 ? 20 : 40;
      const segs = nativeGsoSplit(
        Buffer.concat([vnetHeader(family === 4 ? 1 : 4, ipLen + 20, 1400, ipLen, 16), p]),
      );
      expect(segs.map((s) => s.length - ipLen - 20)).toEqual([1400, 1400, 1400, 800]);
      const joined = Buffer.concat(segs.map((s) => s.subarray(ipLen + 20)));
      expect(joined.equals(payload)).toBe(true);
      segs.forEach((s, i) => {
        expect(s.readUInt32BE(ipLen + 4)).toBe(7_000_000 + i * 1400);
        expect(transportValid(s, ipLen, 6)).toBe(true);
        const last = i === segs.length - 1;
        expect(s[ipLen + 13]! & 0x09).toBe(last ? 0x09 : 0);
        if (family === 4) {
          expect(s.readUInt16BE(2)).toBe(s.length);
          expect(inetChecksum(s, 0, 20)).toBe(0);
          expect(s.readUInt16BE(4)).toBe(0x1234 + i);
        } else {
          expect(s.readUInt16BE(4)).toBe(s.length - 40);
        }
      });
    });
  }

  it('splits a USO (UDP_L4) packet into datagrams with their own lengths and checksums', () => {
    const payload = Buffer.alloc(3000, 7);
    const p = Buffer.alloc(28 + payload.length);
    p[0] = 0x45;
    p.writeUInt16BE(p.length, 2);
    p[8] = 64;
    p[9] = 17;
    SRC4.copy(p, 12);
    DST4.copy(p, 16);
    p.writeUInt16BE(5000, 20);
    p.writeUInt16BE(5001, 22);
    payload.copy(p, 28);
    const segs = nativeGsoSplit(Buffer.concat([vnetHeader(5, 28, 1200, 20, 6), p]));
    expect(segs.map((s) => s.readUInt16BE(24))).toEqual([1208, 1208, 608]);
    for (const s of segs) {
      expect(transportValid(s, 20, 17)).toBe(true);
      expect(inetChecksum(s, 0, 20)).toBe(0);
    }
  });

  it('completes a partial checksum on a single packet (NEEDS_CSUM, no GSO)', () => {
    const p = tcpPacket(4, [], Buffer.from('hello world'), 0x18);
    // What the kernel hands over: the field holds only the pseudo-header sum.
    const partial = Buffer.from(p);
    const pseudo = pseudoHeaderSum(SRC4, DST4, 6, p.length - 20);
    partial.writeUInt16BE(~inetChecksum(Buffer.alloc(0), 0, 0, pseudo) & 0xffff, 36);
    const [seg] = nativeGsoSplit(Buffer.concat([vnetHeader(0, 0, 0, 20, 16), partial]));
    expect(seg?.toString('hex')).toBe(p.toString('hex'));
  });

  it('rejects malformed headers without reading past the buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
        const segs = nativeGsoSplit(Buffer.from(bytes));
        expect(Array.isArray(segs)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
