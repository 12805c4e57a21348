import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prf } from '../../../src/crypto/prf.js';
import { prfPlus } from '../../../src/crypto/prf-plus.js';
import { PRF_NAMES, type PrfName } from '../../../src/crypto/transforms.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('prf (HMAC)', () => {
  // RFC 2202 §3, test cases 1 and 2 (HMAC-SHA-1).
  it.each([
    {
      key: '0b'.repeat(20),
      data: Buffer.from('Hi There'),
      mac: 'b617318655057264e28bc0b6fb378c8ef146be00',
    },
    {
      key: Buffer.from('Jefe').toString('hex'),
      data: Buffer.from('what do ya want for nothing?'),
      mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    },
  ])('RFC 2202 HMAC-SHA-1 $mac', ({ key, data, mac }) => {
    expect(prf('sha1', h(key), data).toString('hex')).toBe(mac);
  });

  // RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
  const tc1 = { key: h('0b'.repeat(20)), data: Buffer.from('Hi There') };
  const tc2 = { key: Buffer.from('Jefe'), data: Buffer.from('what do ya want for nothing?') };
  it.each<[PrfName, typeof tc1, string]>([
    ['sha256', tc1, 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      'sha384',
      tc1,
      'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
    ],
    [
      'sha512',
      tc1,
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    ],
    ['sha256', tc2, '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
  ])('RFC 4231 HMAC-%s', (name, tc, mac) => {
    expect(prf(name, tc.key, tc.data).toString('hex')).toBe(mac);
  });
});

/** Second, independent construction of prf+ straight from the RFC 7296 §2.13 text. */
function referencePrfPlus(name: PrfName, key: Buffer, seed: Buffer, len: number): Buffer {
  const hash = { sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' }[name];
  const ts: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(ts).length < len; i++) {
    t = createHmac(hash, key)
      .update(Buffer.concat([t, seed, Buffer.of(i)]))
      .digest();
    ts.push(t);
  }
  return Buffer.concat(ts).subarray(0, len);
}

describe('prf+ (RFC 7296 §2.13)', () => {
  it.each(PRF_NAMES)('%s agrees with the reference construction for many lengths', (name) => {
    const key = h('00112233445566778899aabbccddeeff');
    const seed = Buffer.from('Ni | Nr | SPIi | SPIr');
    for (const len of [1, 20, 32, 33, 64, 100, 300]) {
      expect(prfPlus(name, key, seed, len).toString('hex')).toBe(
        referencePrfPlus(name, key, seed, len).toString('hex'),
      );
    }
  });

  it('first block is prf(K, S | 0x01)', () => {
    const key = Buffer.from('k');
    const seed = Buffer.from('s');
    expect(prfPlus('sha1', key, seed, 20).toString('hex')).toBe(
      createHmac('sha1', key).update(Buffer.from('s\x01', 'latin1')).digest('hex'),
    );
  });

  it('refuses more than 255 blocks', () => {
    expect(() => prfPlus('sha1', Buffer.of(1), Buffer.of(2), 255 * 20 + 1)).toThrow(/prf\+/);
    expect(prfPlus('sha1', Buffer.of(1), Buffer.of(2), 255 * 20)).toHaveLength(5100);
  });
});
