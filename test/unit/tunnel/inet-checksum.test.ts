import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  foldSum,
  inetChecksum,
  onesSum,
  updateChecksum,
} from '../../../src/tunnel/inet-checksum.js';

describe('Internet checksum (RFC 1071, RFC 1624)', () => {
  it('RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to ddf2', () => {
    const b = Buffer.from('0001f203f4f5f6f7', 'hex');
    expect(foldSum(onesSum(b, 0, b.length))).toBe(0xddf2);
    expect(inetChecksum(b, 0, b.length)).toBe(0x220d);
  });

  it('a known IPv4 header checksums to b861', () => {
    const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(inetChecksum(h, 0, 20)).toBe(0xb861);
    h.writeUInt16BE(0xb861, 10);
    expect(inetChecksum(h, 0, 20)).toBe(0);
  });

  it('odd lengths pad with a zero byte', () => {
    expect(onesSum(Buffer.from([0x12]), 0, 1)).toBe(0x1200);
  });

  it('RFC 1624 eqn. 3 incremental update equals recomputation (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (arr, at, word) => {
          const b = Buffer.from(arr.length % 2 === 0 ? arr : arr.subarray(1));
          const i = (at % (b.length / 2)) * 2;
          const before = inetChecksum(b, 0, b.length);
          const old = b.readUInt16BE(i);
          b.writeUInt16BE(word, i);
          const inc = updateChecksum(before, old, word);
          const full = inetChecksum(b, 0, b.length);
          // 0x0000 and 0xffff are the two representations of zero in one's complement
          expect(inc === full || (inc ^ full) === 0xffff).toBe(true);
        },
      ),
    );
  });
});
