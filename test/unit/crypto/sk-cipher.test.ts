import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/crypto/errors.js';
import { createSkCipher } from '../../../src/crypto/sk-cipher.js';
import { DetRng } from '../../support/det-rng.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('AES-GCM-16 SK cipher (RFC 5282)', () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4 (AES-128, 96-bit IV
  // cafebabe|facedbaddecaf888). In RFC 5282 terms the first 4 IV bytes are the salt taken from
  // the end of SK_e (§7.1) and the last 8 are the explicit IV carried in the SK payload (§3.1).
  const key = h('feffe9928665731c6d6a8f9467308308');
  const salt = h('cafebabe');
  const iv = h('facedbaddecaf888');
  const aad = h('feedfacedeadbeeffeedfacedeadbeefabaddad2');
  const pt = h(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
      '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  );
  const ct =
    '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
    '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091';
  const tag = '5bc94fbc3221a5db94fae95ae7121a47';

  it('seals and opens GCM test case 4', () => {
    // aes-gcm-128 is not an IKE transform name here; build the 16-byte key variant directly.
    const c = createSkCipher(
      {
        encryption: 'aes-gcm-128',
        integrity: null,
        encKey: Buffer.concat([key, salt]),
        integKey: null,
      },
      new DetRng(),
    );
    expect(c.ivBytes).toBe(8);
    expect(c.icvBytes).toBe(16);
    const sealed = c.seal(aad, iv, pt);
    expect(sealed.toString('hex')).toBe(ct + tag);
    expect(c.open(aad, iv, sealed).toString('hex')).toBe(pt.toString('hex'));
    const bad = Buffer.from(sealed);
    bad[0] = (bad[0] ?? 0) ^ 1;
    expect(() => c.open(aad, iv, bad)).toThrow(IntegrityError);
    expect(() => c.open(Buffer.concat([aad, Buffer.of(0)]), iv, sealed)).toThrow(IntegrityError);
  });

  it('IVs are a counter, never repeating', () => {
    const c = createSkCipher(
      { encryption: 'aes-gcm-256', integrity: null, encKey: Buffer.alloc(36), integKey: null },
      new DetRng(),
    );
    const a = c.nextIv();
    const b = c.nextIv();
    expect(a.toString('hex')).toBe('0000000000000001');
    expect(b.toString('hex')).toBe('0000000000000002');
  });
});

describe('AES-CBC + HMAC SK cipher (RFC 7296 §3.14, RFC 3602, RFC 4868)', () => {
  // RFC 3602 §4 case #1: AES-128-CBC, 16-byte plaintext "Single block msg".
  it('encrypts RFC 3602 case 1 and appends the truncated HMAC over aad | iv | ciphertext', () => {
    const encKey = h('06a9214036b8a15b512e03d534120006');
    const iv = h('3dafba429d9eb430b422da802c9fac41');
    const integKey = Buffer.alloc(32, 0x11);
    const c = createSkCipher(
      { encryption: 'aes-cbc-128', integrity: 'sha256', encKey, integKey },
      new DetRng(),
    );
    const aad = Buffer.from('ike header and SK header');
    const sealed = c.seal(aad, iv, Buffer.from('Single block msg'));
    expect(sealed.subarray(0, 16).toString('hex')).toBe('e353779c1079aeb82708942dbe77181a');
    const icv = createHmac('sha256', integKey)
      .update(Buffer.concat([aad, iv, sealed.subarray(0, 16)]))
      .digest()
      .subarray(0, 16);
    expect(sealed.subarray(16).toString('hex')).toBe(icv.toString('hex'));
    expect(c.open(aad, iv, sealed).toString()).toBe('Single block msg');
  });

  it('rejects a bad ICV, and truncates per the integrity transform', () => {
    const c = createSkCipher(
      {
        encryption: 'aes-cbc-256',
        integrity: 'sha1',
        encKey: Buffer.alloc(32, 1),
        integKey: Buffer.alloc(20, 2),
      },
      new DetRng(),
    );
    expect(c.icvBytes).toBe(12);
    const iv = c.nextIv();
    expect(iv).toHaveLength(16);
    const sealed = c.seal(Buffer.alloc(4), iv, Buffer.alloc(32, 7));
    expect(sealed).toHaveLength(44);
    const bad = Buffer.from(sealed);
    bad[43] = (bad[43] ?? 0) ^ 0x80;
    expect(() => c.open(Buffer.alloc(4), iv, bad)).toThrow(IntegrityError);
    expect(() => c.open(Buffer.alloc(4), iv, Buffer.alloc(5))).toThrow(IntegrityError);
  });

  it('refuses keys of the wrong length', () => {
    expect(() =>
      createSkCipher(
        {
          encryption: 'aes-cbc-256',
          integrity: 'sha256',
          encKey: Buffer.alloc(16),
          integKey: Buffer.alloc(32),
        },
        new DetRng(),
      ),
    ).toThrow(/SK_e/);
    expect(() =>
      createSkCipher(
        { encryption: 'aes-cbc-256', integrity: null, encKey: Buffer.alloc(32), integKey: null },
        new DetRng(),
      ),
    ).toThrow(/integrity/);
  });
});
