import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ENCRYPTION_NAMES,
  INTEGRITY,
  INTEGRITY_NAMES,
  espEncKeyBytes,
  isAead,
  type EncryptionName,
  type IntegrityName,
} from '../../../src/crypto/transforms.js';
import {
  espLayout,
  espOverhead,
  espPlaintext,
  openEsp,
  padLength,
  peekEspHeader,
  sealEsp,
  sealEspPlaintext,
  type EspSaKeys,
} from '../../../src/esp/wire.js';
import { isDropReason } from '../../../src/esp/drop-reason.js';
import { DetRng } from '../../support/det-rng.js';

const rng = new DetRng('esp-wire');

function keys(enc: EncryptionName, integ: IntegrityName | null, esn: boolean): EspSaKeys {
  return {
    spi: 0xc0ffee01,
    encryption: enc,
    integrity: integ,
    encKey: rng.bytes(espEncKeyBytes(enc)),
    integKey: integ === null ? null : rng.bytes(INTEGRITY[integ].keyBytes),
    esn,
  };
}

type Combo = [string, EncryptionName, IntegrityName | null];
const combos: Combo[] = ENCRYPTION_NAMES.flatMap((e): Combo[] =>
  isAead(e) ? [[e, e, null]] : INTEGRITY_NAMES.map((i): Combo => [`${e}+${i}`, e, i]),
);

function ipv4(len: number): Buffer {
  const p = rng.bytes(Math.max(20, len));
  p[0] = 0x45;
  return p;
}

describe('padding (RFC 4303 §2.4)', () => {
  it('is minimal: payload + padding + 2 is the next multiple of the alignment', () => {
    for (let n = 0; n < 64; n++) {
      for (const align of [4, 16]) {
        const pad = padLength(n, align);
        expect((n + pad + 2) % align).toBe(0);
        expect(pad).toBeLessThan(align);
      }
    }
  });

  it('pads with 1, 2, 3, … then pad length and next header', () => {
    const p = espPlaintext(Buffer.from([0xaa]), 4, 16);
    expect(p.toString('hex')).toBe('aa' + '0102030405060708090a0b0c0d' + '0d04');
  });
});

describe('sealEsp / openEsp round trips', () => {
  it.each(combos)('%s, with and without ESN, many sizes', (_name, enc, integ) => {
    for (const esn of [false, true]) {
      const sa = keys(enc, integ, esn);
      for (const size of [20, 21, 33, 64, 100, 1400, 1500]) {
        const inner = ipv4(size);
        const seq = esn ? 0x7_0000_0003n : 0x1234n;
        const iv = integ === null ? undefined : rng.bytes(16);
        const esp = sealEsp(sa, seq, inner, 4, iv);
        expect(esp.length).toBe(espOverhead(sa, inner.length) + inner.length);
        expect(peekEspHeader(esp)).toEqual({ spi: 0xc0ffee01, seqLow: Number(seq & 0xffffffffn) });
        const opened = openEsp(sa, esp, Number(seq >> 32n));
        expect(opened).toEqual({ inner, nextHeader: 4 });
      }
    }
  });

  it('GCM: the IV on the wire is the 64-bit sequence number (RFC 4106 §3.1)', () => {
    const sa = keys('aes-gcm-256', null, true);
    const esp = sealEsp(sa, 0x0102030405060708n, ipv4(40), 4);
    expect(esp.subarray(4, 16).toString('hex')).toBe('05060708' + '0102030405060708');
  });

  it('CBC requires a caller-supplied 16-byte IV', () => {
    const sa = keys('aes-cbc-128', 'sha256', false);
    expect(() => sealEsp(sa, 1n, ipv4(40), 4)).toThrow(/IV/);
    expect(() => sealEsp(sa, 1n, ipv4(40), 4, Buffer.alloc(8))).toThrow(/IV/);
  });

  it.each(combos)(
    '%s: ESN seq-high is authenticated but not sent (RFC 4303 §2.2.1)',
    (_n, enc, integ) => {
      const sa = keys(enc, integ, true);
      const iv = integ === null ? undefined : rng.bytes(16);
      const esp = sealEsp(sa, 0x5_0000_0009n, ipv4(60), 4, iv);
      expect(openEsp(sa, esp, 5)).not.toBeTypeOf('string');
      expect(openEsp(sa, esp, 4)).toBe('icv');
      expect(openEsp(sa, esp, 6)).toBe('icv');
    },
  );

  it.each(combos)('%s: every single-bit flip is rejected with icv', (_n, enc, integ) => {
    const sa = keys(enc, integ, false);
    const iv = integ === null ? undefined : rng.bytes(16);
    const esp = sealEsp(sa, 77n, ipv4(48), 4, iv);
    for (let i = 4; i < esp.length; i++) {
      const bad = Buffer.from(esp);
      bad[i] = (bad[i] ?? 0) ^ (1 << (i % 8));
      expect(openEsp(sa, bad, 0)).toBe('icv');
    }
  });

  it('a wrong SPI, a short packet and misaligned ciphertext are refused', () => {
    const sa = keys('aes-cbc-256', 'sha512', false);
    const esp = sealEsp(sa, 1n, ipv4(40), 4, rng.bytes(16));
    const other = { ...sa, spi: 1 };
    expect(openEsp(other, esp, 0)).toBe('unknown-spi');
    expect(openEsp(sa, esp.subarray(0, 30), 0)).toBe('truncated');
    expect(openEsp(sa, Buffer.concat([esp, Buffer.alloc(1)]), 0)).toBe('truncated');
  });

  it.each(combos)('%s: padding, dummy and next-header drops', (_n, enc, integ) => {
    const sa = keys(enc, integ, false);
    const iv = integ === null ? undefined : rng.bytes(16);
    const align = espLayout(sa).alignBytes;
    // payload length chosen so that padding is non-empty
    const inner = ipv4(align === 4 ? 21 : 33);
    const bad = espPlaintext(inner, 4, align);
    const pad = bad[bad.length - 2] ?? 0;
    expect(pad).toBeGreaterThan(0);
    bad[inner.length] = 9; // first padding byte must be 1
    expect(openEsp(sa, sealEspPlaintext(sa, 1n, bad, iv), 0)).toBe('padding');
    const long = espPlaintext(inner, 4, align);
    long[long.length - 2] = long.length - 1; // pad length + 2 > payload
    expect(openEsp(sa, sealEspPlaintext(sa, 1n, long, iv), 0)).toBe('padding');
    expect(openEsp(sa, sealEsp(sa, 1n, inner, 59, iv), 0)).toBe('dummy');
    expect(openEsp(sa, sealEsp(sa, 1n, inner, 6, iv), 0)).toBe('next-header');
    expect(openEsp(sa, sealEsp(sa, 1n, inner, 41, iv), 0)).toEqual({ inner, nextHeader: 41 });
  });
});

describe('openEsp never throws (fast-check)', () => {
  it.each(combos)('%s: random bytes give a drop reason', (_n, enc, integ) => {
    const sa = keys(enc, integ, true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, high) => {
        const r = openEsp(sa, bytes, high >>> 0);
        expect(typeof r === 'string' && isDropReason(r)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it.each(combos)(
    '%s: mutated valid packets never throw and never open wrongly',
    (_n, enc, integ) => {
      const sa = keys(enc, integ, false);
      const iv = integ === null ? undefined : rng.bytes(16);
      const inner = ipv4(64);
      const esp = sealEsp(sa, 9n, inner, 4, iv);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: esp.length - 1 }), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          fc.integer({ min: -8, max: 8 }),
          (edits, lengthDelta) => {
            const m = Buffer.from(esp);
            for (const [at, x] of edits) m[at] = (m[at] ?? 0) ^ x;
            const cut =
              lengthDelta < 0
                ? m.subarray(0, m.length + lengthDelta)
                : Buffer.concat([m, Buffer.alloc(lengthDelta)]);
            const r = openEsp(sa, cut, 0);
            // Any change (SPI, header, IV, ciphertext, ICV, length) must be refused.
            expect(typeof r).toBe('string');
          },
        ),
        { numRuns: 200 },
      );
    },
  );
});
