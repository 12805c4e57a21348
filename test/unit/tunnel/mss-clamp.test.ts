import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clampMss, mssForMtu, tcpOffset } from '../../../src/tunnel/mss-clamp.js';
import {
  ipv4,
  ipv6,
  tcpChecksumOk,
  tcpSegment,
  V4_DST,
  V4_SRC,
  V6_DST,
  V6_SRC,
} from './packets.js';

const SYN = 0x02;
const ACK = 0x10;
const mssOpt = (v: number): number[] => [2, 4, v >> 8, v & 0xff];

describe('MSS clamping (RFC 9293 §3.7.1 option, RFC 1624 checksum update)', () => {
  it('mssForMtu subtracts minimal IP + TCP headers', () => {
    expect(mssForMtu(1400, 4)).toBe(1360);
    expect(mssForMtu(1400, 6)).toBe(1340);
  });

  it('IPv4 SYN: MSS 1460 → 1360, checksum still valid', () => {
    const p = ipv4(6, tcpSegment(SYN, [...mssOpt(1460), 1, 3, 3, 7, 4, 2, 0, 0]));
    expect(clampMss(p, 1360)).toBe(true);
    expect(p.readUInt16BE(20 + 22)).toBe(1360);
    expect(tcpChecksumOk(p, 20, V4_SRC, V4_DST)).toBe(true);
  });

  it('IPv4 SYN-ACK with the MSS option at an odd offset (after one NOP)', () => {
    const p = ipv4(6, tcpSegment(SYN | ACK, [1, ...mssOpt(8960), 0, 0, 0]));
    expect(clampMss(p, 1360)).toBe(true);
    expect(p.readUInt16BE(20 + 23)).toBe(1360);
    expect(tcpChecksumOk(p, 20, V4_SRC, V4_DST)).toBe(true);
  });

  it('leaves smaller MSS, non-SYN segments, non-first fragments and non-TCP alone', () => {
    const small = ipv4(6, tcpSegment(SYN, mssOpt(1200)));
    expect(clampMss(small, 1360)).toBe(false);
    expect(small.readUInt16BE(42)).toBe(1200);
    expect(clampMss(ipv4(6, tcpSegment(ACK, mssOpt(1460))), 1360)).toBe(false);
    expect(clampMss(ipv4(6, tcpSegment(SYN, mssOpt(1460)), { fragOffset: 100 }), 1360)).toBe(false);
    expect(clampMss(ipv4(17, tcpSegment(SYN, mssOpt(1460))), 1360)).toBe(false);
    expect(clampMss(ipv4(6, tcpSegment(SYN, [1, 1, 1, 0])), 1360)).toBe(false);
  });

  it('IPv6 SYN directly after the fixed header', () => {
    const p = ipv6(6, tcpSegment(SYN, mssOpt(1440)));
    expect(tcpOffset(p)).toBe(40);
    expect(clampMss(p, 1340)).toBe(true);
    expect(p.readUInt16BE(40 + 22)).toBe(1340);
    expect(tcpChecksumOk(p, 40, V6_SRC, V6_DST)).toBe(true);
  });

  it('IPv6 SYN-ACK behind a hop-by-hop options header', () => {
    const hbh = Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]); // next header TCP, PadN
    const p = ipv6(6, tcpSegment(SYN | ACK, mssOpt(1440)), [hbh]);
    expect(tcpOffset(p)).toBe(48);
    expect(clampMss(p, 1340)).toBe(true);
    expect(tcpChecksumOk(p, 48, V6_SRC, V6_DST)).toBe(true);
  });

  it('never throws on random packets and keeps valid checksums valid (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.integer({ min: 500, max: 1500 }),
        (bytes, mss) => {
          clampMss(Buffer.from(bytes), mss);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant([1]), fc.constant([4, 2]), fc.constant([3, 3, 7])), {
          maxLength: 5,
        }),
        fc.integer({ min: 536, max: 9000 }),
        fc.boolean(),
        (pre, mss, v6) => {
          const opts = [...pre.flat(), ...mssOpt(mss)];
          const seg = tcpSegment(SYN, opts, Buffer.from('payload'));
          const p = v6 ? ipv6(6, seg) : ipv4(6, seg);
          const changed = clampMss(p, 1300);
          expect(changed).toBe(mss > 1300);
          expect(tcpChecksumOk(p, v6 ? 40 : 20, v6 ? V6_SRC : V4_SRC, v6 ? V6_DST : V4_DST)).toBe(
            true,
          );
        },
      ),
    );
  });
});
