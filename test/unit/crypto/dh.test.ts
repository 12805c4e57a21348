import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkEcpPoint,
  checkModpPublic,
  createKeyExchange,
  dhGroupByIanaId,
  keyExchangeFromPrivate,
  modPow,
  RFC5114_2048_256,
} from '../../../src/crypto/dh.js';
import { KeyExchangeError } from '../../../src/crypto/errors.js';
import { DH_GROUP_NAMES } from '../../../src/crypto/transforms.js';
import { DetRng } from '../../support/det-rng.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('key exchange groups', () => {
  it.each(DH_GROUP_NAMES)('%s: both sides agree and the public value has the wire length', (g) => {
    const rng = new DetRng(`dh-${g}`);
    const a = createKeyExchange(g, rng);
    const b = createKeyExchange(g, rng);
    const len = {
      modp1024: 128,
      modp2048: 256,
      modp2048s256: 256,
      ecp256: 64,
      ecp384: 96,
      x25519: 32,
    }[g];
    expect(a.publicKey).toHaveLength(len);
    const s1 = a.computeSharedSecret(b.publicKey);
    const s2 = b.computeSharedSecret(a.publicKey);
    expect(s1.toString('hex')).toBe(s2.toString('hex'));
    expect(dhGroupByIanaId(a.ianaId)).toBe(g);
  });

  it('is deterministic for a given Rng', () => {
    const a = createKeyExchange('modp2048', new DetRng('x'));
    const b = createKeyExchange('modp2048', new DetRng('x'));
    expect(a.publicKey.equals(b.publicKey)).toBe(true);
  });

  it('MODP primes equal the RFC 2409 §6.2 / RFC 3526 §3 groups shipped with OpenSSL', () => {
    const a = keyExchangeFromPrivate('modp1024', h('05'));
    const b = keyExchangeFromPrivate('modp2048', h('05'));
    // g^5 mod p over the primes of OpenSSL's own group definitions.
    for (const [k, name] of [
      [a, 'modp2'],
      [b, 'modp14'],
    ] as const) {
      const prime = BigInt(`0x${getDiffieHellman(name).getPrime('hex')}`);
      const expected = modPow(2n, 5n, prime)
        .toString(16)
        .padStart(k.publicKey.length * 2, '0');
      expect(k.publicKey.toString('hex')).toBe(expected);
    }
  });
});

describe('RFC 5114 §2.3 group 24 and RFC 6989 checks', () => {
  const p = BigInt(`0x${RFC5114_2048_256.p}`);
  const q = BigInt(`0x${RFC5114_2048_256.q}`);
  const g = BigInt(`0x${RFC5114_2048_256.g}`);

  it('parameters: 2048-bit p, 256-bit q dividing p-1, g of order q', () => {
    expect(p.toString(2)).toHaveLength(2048);
    expect(q.toString(2)).toHaveLength(256);
    expect((p - 1n) % q).toBe(0n);
    expect(modPow(g, q, p)).toBe(1n);
    expect(g).not.toBe(1n);
  });

  it('accepts a subgroup element and rejects one outside the subgroup', () => {
    const peer = createKeyExchange('modp2048s256', new DetRng('peer'));
    const me = createKeyExchange('modp2048s256', new DetRng('me'));
    expect(me.computeSharedSecret(peer.publicKey)).toHaveLength(256);
    // 2 generates a larger group: 2^q mod p != 1 (RFC 6989 §2.2 must reject it).
    const two = Buffer.alloc(256);
    two[255] = 2;
    expect(modPow(2n, q, p)).not.toBe(1n);
    expect(() => me.computeSharedSecret(two)).toThrow(KeyExchangeError);
    expect(() => {
      checkModpPublic({ p, q }, 2n);
    }).toThrow(/subgroup/);
  });

  it('range checks 1 < y < p-1 (RFC 6989 §2.1)', () => {
    const me = createKeyExchange('modp2048', new DetRng('r'));
    expect(() => me.computeSharedSecret(Buffer.alloc(256))).toThrow(/range/);
    const one = Buffer.alloc(256);
    one[255] = 1;
    expect(() => me.computeSharedSecret(one)).toThrow(/range/);
    expect(() => me.computeSharedSecret(Buffer.alloc(255, 7))).toThrow(/length/);
    const pMinus1 = (BigInt(`0x${getDiffieHellman('modp14').getPrime('hex')}`) - 1n).toString(16);
    expect(() => me.computeSharedSecret(h(pMinus1))).toThrow(/range/);
  });

  it('private values lie in [1, q-1]', () => {
    const k = createKeyExchange('modp2048s256', new DetRng('priv'));
    const y = BigInt(`0x${k.publicKey.toString('hex')}`);
    expect(modPow(y, q, p)).toBe(1n);
  });
});

describe('RFC 5903 §8.1 ECP-256 test vector', () => {
  const i = h('c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433');
  const gi = h(
    'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180' +
      '5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
  );
  const r = h('c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53');
  const gr = h(
    'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63' +
      '56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
  );
  const girx = 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de';

  it('KE data is x || y and the shared secret is x(g^ir)', () => {
    const a = keyExchangeFromPrivate('ecp256', i);
    const b = keyExchangeFromPrivate('ecp256', r);
    expect(a.publicKey.toString('hex')).toBe(gi.toString('hex'));
    expect(b.publicKey.toString('hex')).toBe(gr.toString('hex'));
    expect(a.computeSharedSecret(gr).toString('hex')).toBe(girx);
    expect(b.computeSharedSecret(gi).toString('hex')).toBe(girx);
  });

  it('rejects points off the curve, out of range coordinates and bad lengths', () => {
    const a = keyExchangeFromPrivate('ecp256', i);
    const bad = Buffer.from(gr);
    bad[63] = (bad[63] ?? 0) ^ 1;
    expect(() => a.computeSharedSecret(bad)).toThrow(/not on curve/);
    expect(() => a.computeSharedSecret(Buffer.alloc(64, 0xff))).toThrow(/range/);
    expect(() => a.computeSharedSecret(gr.subarray(0, 63))).toThrow(KeyExchangeError);
    expect(() => {
      checkEcpPoint('ecp384', Buffer.alloc(96));
    }).toThrow(/not on curve/);
  });

  it('ECP-384 generated points satisfy the curve equation', () => {
    const k = createKeyExchange('ecp384', new DetRng('384'));
    expect(() => {
      checkEcpPoint('ecp384', k.publicKey);
    }).not.toThrow();
  });
});

describe('RFC 5903 §8.2 ECP-384 test vector', () => {
  const i = h(
    '099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194',
  );
  const gi =
    '667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa' +
    '9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c';
  const r = h(
    '41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc',
  );
  const gr =
    'e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571' +
    'dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c';
  const girx =
    '11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746';

  it('KE data is x || y and the shared secret is x(g^ir)', () => {
    const a = keyExchangeFromPrivate('ecp384', i);
    const b = keyExchangeFromPrivate('ecp384', r);
    expect(a.publicKey.toString('hex')).toBe(gi);
    expect(b.publicKey.toString('hex')).toBe(gr);
    expect(a.computeSharedSecret(h(gr)).toString('hex')).toBe(girx);
    expect(b.computeSharedSecret(h(gi)).toString('hex')).toBe(girx);
  });
});

describe('RFC 7748 §6.1 X25519 (RFC 8031)', () => {
  const alicePriv = h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const alicePub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  const bobPriv = h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const bobPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  it('public keys and shared secret', () => {
    const a = keyExchangeFromPrivate('x25519', alicePriv);
    const b = keyExchangeFromPrivate('x25519', bobPriv);
    expect(a.publicKey.toString('hex')).toBe(alicePub);
    expect(b.publicKey.toString('hex')).toBe(bobPub);
    expect(a.computeSharedSecret(h(bobPub)).toString('hex')).toBe(shared);
    expect(b.computeSharedSecret(h(alicePub)).toString('hex')).toBe(shared);
  });

  it('rejects low-order points giving an all-zero secret (RFC 8031 §2)', () => {
    const a = keyExchangeFromPrivate('x25519', alicePriv);
    expect(() => a.computeSharedSecret(Buffer.alloc(32))).toThrow(KeyExchangeError);
    const one = Buffer.alloc(32);
    one[0] = 1;
    expect(() => a.computeSharedSecret(one)).toThrow(KeyExchangeError);
    expect(() => a.computeSharedSecret(Buffer.alloc(31))).toThrow(/length/);
  });
});

describe('MODP key objects sharing one OpenSSL DH per group', () => {
  it('interleaved exchanges keep their own private values', () => {
    const p = BigInt(`0x${getDiffieHellman('modp2').getPrime('hex')}`);
    const xs = [h('11'.repeat(32)), h('22'.repeat(32)), h('33'.repeat(32))];
    const ks = xs.map((x) => keyExchangeFromPrivate('modp1024', x));
    ks.forEach((k, i) => {
      const x = BigInt(`0x${xs[i]!.toString('hex')}`);
      expect(k.publicKey.toString('hex')).toBe(modPow(2n, x, p).toString(16).padStart(256, '0'));
    });
    // g^(x0 x1) computed by both sides after a third key was used in between.
    const s01 = ks[0]!.computeSharedSecret(ks[1]!.publicKey);
    ks[2]!.computeSharedSecret(ks[0]!.publicKey);
    const s10 = ks[1]!.computeSharedSecret(ks[0]!.publicKey);
    expect(s01.equals(s10)).toBe(true);
    const x0 = BigInt(`0x${xs[0]!.toString('hex')}`);
    const y1 = BigInt(`0x${ks[1]!.publicKey.toString('hex')}`);
    expect(s01.toString('hex')).toBe(modPow(y1, x0, p).toString(16).padStart(256, '0'));
  });
});
