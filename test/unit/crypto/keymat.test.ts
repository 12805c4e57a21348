import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deriveChildKeys,
  deriveIkeKeys,
  rekeySkeyseed,
  skeyseed,
} from '../../../src/crypto/keymat.js';
import { natDetectionHash } from '../../../src/crypto/nat-detection.js';
import {
  KEY_PAD_FOR_IKEV2,
  pskAuthData,
  signedOctets,
  verifyPskAuth,
} from '../../../src/crypto/psk-auth.js';
import { prfPlus } from '../../../src/crypto/prf-plus.js';
import { createHash } from 'node:crypto';

const hmac = (hash: string, k: Buffer, d: Buffer): Buffer => createHmac(hash, k).update(d).digest();
const ni = Buffer.alloc(32, 0xa1);
const nr = Buffer.alloc(32, 0xb2);

describe('IKE SA keys (RFC 7296 §2.14, §2.18)', () => {
  it('GCM suites have no SK_a and 4 salt bytes in SK_e (RFC 5282 §7.1)', () => {
    const k = deriveIkeKeys(
      { encryption: 'aes-gcm-128', integrity: null, prf: 'sha384' },
      Buffer.alloc(48, 1),
      ni,
      nr,
      1n,
      2n,
    );
    expect(k.skAi).toHaveLength(0);
    expect(k.skEi).toHaveLength(20);
    expect(k.skD).toHaveLength(48);
    expect(k.skPr).toHaveLength(48);
  });

  it('key order is SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr', () => {
    const seed = Buffer.alloc(20, 9);
    const spi = Buffer.from('0000000000000001fedcba9876543210', 'hex');
    const km = prfPlus('sha1', seed, Buffer.concat([ni, nr, spi]), 20 * 3 + 20 * 2 + 16 * 2);
    const k = deriveIkeKeys(
      { encryption: 'aes-cbc-128', integrity: 'sha1', prf: 'sha1' },
      seed,
      ni,
      nr,
      1n,
      0xfedcba9876543210n,
    );
    expect(Buffer.concat([k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr]).equals(km)).toBe(
      true,
    );
  });

  it('SKEYSEED = prf(Ni | Nr, g^ir); rekey SKEYSEED = prf(SK_d, g^ir | Ni | Nr)', () => {
    const gir = Buffer.alloc(256, 3);
    expect(
      skeyseed('sha256', ni, nr, gir).equals(hmac('sha256', Buffer.concat([ni, nr]), gir)),
    ).toBe(true);
    const skD = Buffer.alloc(32, 4);
    expect(
      rekeySkeyseed('sha256', skD, gir, ni, nr).equals(
        hmac('sha256', skD, Buffer.concat([gir, ni, nr])),
      ),
    ).toBe(true);
  });
});

describe('child SA KEYMAT (RFC 7296 §2.17)', () => {
  const skD = Buffer.alloc(32, 5);
  it('without PFS: prf+(SK_d, Ni | Nr), i->r enc, i->r integ, r->i enc, r->i integ', () => {
    const k = deriveChildKeys('sha256', skD, 'aes-cbc-256', 'sha256', ni, nr);
    const km = prfPlus('sha256', skD, Buffer.concat([ni, nr]), 128);
    expect(k.initiatorToResponder.encKey.equals(km.subarray(0, 32))).toBe(true);
    expect(k.initiatorToResponder.integKey.equals(km.subarray(32, 64))).toBe(true);
    expect(k.responderToInitiator.encKey.equals(km.subarray(64, 96))).toBe(true);
    expect(k.responderToInitiator.integKey.equals(km.subarray(96, 128))).toBe(true);
  });

  it('with PFS: prf+(SK_d, g^ir (new) | Ni | Nr); GCM keys carry the salt', () => {
    const gir = Buffer.alloc(32, 6);
    const k = deriveChildKeys('sha256', skD, 'aes-gcm-256', null, ni, nr, gir);
    const km = prfPlus('sha256', skD, Buffer.concat([gir, ni, nr]), 72);
    expect(k.initiatorToResponder.encKey.equals(km.subarray(0, 36))).toBe(true);
    expect(k.responderToInitiator.encKey.equals(km.subarray(36, 72))).toBe(true);
    expect(k.initiatorToResponder.integKey).toHaveLength(0);
  });
});

describe('PSK AUTH (RFC 7296 §2.15) and NAT detection (§2.23)', () => {
  it('AUTH = prf(prf(psk, "Key Pad for IKEv2"), RealMessage | Nonce | prf(SK_p, ID))', () => {
    expect(KEY_PAD_FOR_IKEV2.toString('latin1')).toBe('Key Pad for IKEv2');
    const msg = Buffer.from('message1');
    const skP = Buffer.alloc(32, 7);
    const id = Buffer.from('01000000c0000201', 'hex');
    const oct = signedOctets('sha256', msg, nr, skP, id);
    expect(oct.equals(Buffer.concat([msg, nr, hmac('sha256', skP, id)]))).toBe(true);
    const psk = Buffer.from('secret');
    const auth = pskAuthData('sha256', psk, oct);
    expect(
      auth.equals(hmac('sha256', hmac('sha256', psk, Buffer.from('Key Pad for IKEv2')), oct)),
    ).toBe(true);
    expect(verifyPskAuth('sha256', psk, oct, auth)).toBe(true);
    expect(verifyPskAuth('sha256', Buffer.from('other'), oct, auth)).toBe(false);
    expect(verifyPskAuth('sha256', psk, oct, auth.subarray(1))).toBe(false);
  });

  it('NAT-D = SHA1(SPIi | SPIr | IP | port) for IPv4 and IPv6', () => {
    const v4 = natDetectionHash(0x0102030405060708n, 0n, Uint8Array.of(192, 0, 2, 1), 4500);
    const ref = createHash('sha1')
      .update(Buffer.from('01020304050607080000000000000000c00002011194', 'hex'))
      .digest();
    expect(v4.equals(ref)).toBe(true);
    const v6 = natDetectionHash(1n, 2n, new Uint8Array(16).fill(0x20, 0, 1), 500);
    expect(v6).toHaveLength(20);
  });
});
