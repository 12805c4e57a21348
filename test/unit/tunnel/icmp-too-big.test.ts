import { describe, expect, it } from 'vitest';
import { icmpTooBig, isTooBig } from '../../../src/tunnel/icmp-too-big.js';
import { inetChecksum, pseudoHeaderSum } from '../../../src/tunnel/inet-checksum.js';
import { ipv4, ipv6, V4_SRC, V6_SRC } from './packets.js';

const INSIDE_V4 = Uint8Array.from([169, 254, 21, 1]);
const INSIDE_V6 = Buffer.from('fd00000000000000000000000000abcd', 'hex');

describe('ICMPv4 fragmentation needed (RFC 792, RFC 1191 §4)', () => {
  it('answers an oversized DF packet from the inside address with the next-hop MTU', () => {
    const p = ipv4(17, Buffer.alloc(1480, 0x5a));
    expect(isTooBig(p, 1400)).toBe(true);
    const icmp = icmpTooBig(p, 1400, INSIDE_V4);
    expect(icmp).not.toBeNull();
    const e = icmp!;
    expect(e[0]).toBe(0x45);
    expect(e.readUInt16BE(2)).toBe(e.length);
    expect(e[9]).toBe(1);
    expect(inetChecksum(e, 0, 20)).toBe(0);
    expect(e.subarray(12, 16)).toEqual(Buffer.from(INSIDE_V4));
    expect(e.subarray(16, 20)).toEqual(Buffer.from(V4_SRC));
    expect([e[20], e[21]]).toEqual([3, 4]);
    expect(e.readUInt16BE(26)).toBe(1400);
    expect(inetChecksum(e, 20, e.length)).toBe(0);
    // RFC 1812 §4.3.2.3: as much of the original as fits in 576 bytes
    expect(e.length).toBe(576);
    expect(e.subarray(28)).toEqual(p.subarray(0, 576 - 28));
  });

  it('nothing for packets that fit, lack DF, are non-first fragments or ICMP errors', () => {
    expect(icmpTooBig(ipv4(17, Buffer.alloc(100)), 1400, INSIDE_V4)).toBeNull();
    expect(icmpTooBig(ipv4(17, Buffer.alloc(1480)), 1400, INSIDE_V4)).not.toBeNull();
    expect(icmpTooBig(ipv4(17, Buffer.alloc(1480), { df: false }), 1400, INSIDE_V4)).toBeNull();
    expect(
      icmpTooBig(ipv4(17, Buffer.alloc(1480), { fragOffset: 185 }), 1400, INSIDE_V4),
    ).toBeNull();
    const unreachable = Buffer.alloc(1480);
    unreachable[0] = 3;
    expect(icmpTooBig(ipv4(1, unreachable), 1400, INSIDE_V4)).toBeNull();
    const echo = Buffer.alloc(1480);
    echo[0] = 8;
    expect(icmpTooBig(ipv4(1, echo), 1400, INSIDE_V4)).not.toBeNull();
    expect(icmpTooBig(ipv4(17, Buffer.alloc(1480)), 1400, INSIDE_V6)).toBeNull(); // family mismatch
  });

  it('quotes a short packet whole', () => {
    const p = ipv4(17, Buffer.alloc(100));
    const e = icmpTooBig(p, 80, INSIDE_V4)!;
    expect(e.length).toBe(28 + p.length);
    expect(e.subarray(28)).toEqual(p);
  });
});

describe('ICMPv6 Packet Too Big (RFC 4443 §3.2)', () => {
  it('answers any oversized packet with type 2 and the MTU, quoted within 1280 bytes', () => {
    const p = ipv6(17, Buffer.alloc(1460, 0x33));
    const e = icmpTooBig(p, 1400, INSIDE_V6)!;
    expect(e.length).toBe(1280);
    expect(e[0]! >> 4).toBe(6);
    expect(e.readUInt16BE(4)).toBe(1240);
    expect(e[6]).toBe(58);
    expect(e.subarray(8, 24)).toEqual(INSIDE_V6);
    expect(e.subarray(24, 40)).toEqual(V6_SRC);
    expect([e[40], e[41]]).toEqual([2, 0]);
    expect(e.readUInt32BE(44)).toBe(1400);
    expect(e.subarray(48)).toEqual(p.subarray(0, 1232));
    const pseudo = pseudoHeaderSum(INSIDE_V6, V6_SRC, 58, e.length - 40);
    expect(inetChecksum(e, 40, e.length, pseudo)).toBe(0);
  });

  it('nothing about ICMPv6 errors (RFC 4443 §2.4 e.1) or packets that fit', () => {
    const err = Buffer.alloc(1460);
    err[0] = 1; // destination unreachable
    expect(icmpTooBig(ipv6(58, err), 1400, INSIDE_V6)).toBeNull();
    const echo = Buffer.alloc(1460);
    echo[0] = 128;
    expect(icmpTooBig(ipv6(58, echo), 1400, INSIDE_V6)).not.toBeNull();
    expect(icmpTooBig(ipv6(17, Buffer.alloc(100)), 1400, INSIDE_V6)).toBeNull();
  });
});
