import { describe, expect, it } from 'vitest';
import primitives from '../../vectors/esp/primitives.json' with { type: 'json' };
import { cbcDecrypt, cbcEncrypt, gcmOpen, gcmSeal } from '../../../src/crypto/esp-aead.js';
import { hmac, integrityIcv, macEqual, type HashName } from '../../../src/crypto/hmac.js';
import type { IntegrityName } from '../../../src/crypto/transforms.js';
import { decryptEsp, openEsp, parseTrailer } from '../../../src/esp/wire.js';

interface Vector {
  name: string;
  source: string;
  kind: string;
  [k: string]: unknown;
}
const vectors = primitives.vectors as Vector[];
const hex = (v: Vector, k: string): Buffer => Buffer.from(v[k] as string, 'hex');
const ofKind = (kind: string): [string, Vector][] =>
  vectors.filter((v) => v.kind === kind).map((v) => [v.source, v]);

describe('AES-CBC (RFC 3602 §4)', () => {
  it.each(ofKind('aes-cbc'))('%s', (_src, v) => {
    const ct = cbcEncrypt(hex(v, 'keyHex'), hex(v, 'ivHex'), hex(v, 'plaintextHex'));
    expect(ct.toString('hex')).toBe(v.ciphertextHex);
    expect(cbcDecrypt(hex(v, 'keyHex'), hex(v, 'ivHex'), ct).toString('hex')).toBe(v.plaintextHex);
  });
});

describe('HMAC (RFC 2202 §3, RFC 4868 §2.7.1)', () => {
  it.each(ofKind('hmac'))('%s', (_src, v) => {
    const mac = hmac(v.hash as HashName, hex(v, 'keyHex'), hex(v, 'dataHex'));
    expect(mac.toString('hex')).toBe(v.macHex);
  });

  it('RFC 2404 §2: HMAC-SHA1-96 is the first 96 bits of RFC 2202 §3 test_case 2', () => {
    const icv = integrityIcv(
      'sha1',
      Buffer.from('Jefe'),
      Buffer.from('what do ya want for nothing?'),
    );
    expect(icv.toString('hex')).toBe('effcdf6ae5eb2fa2d27416d5');
  });

  it('macEqual compares in constant time and rejects different lengths', () => {
    expect(macEqual(Buffer.from('abcd'), Buffer.from('abcd'))).toBe(true);
    expect(macEqual(Buffer.from('abcd'), Buffer.from('abce'))).toBe(false);
    expect(macEqual(Buffer.from('abcd'), Buffer.from('abc'))).toBe(false);
  });
});

describe('ESP integrity ICVs (RFC 4868 §2.7.2)', () => {
  it.each(ofKind('integrity'))('%s', (_src, v) => {
    const icv = integrityIcv(v.integrity as IntegrityName, hex(v, 'keyHex'), hex(v, 'dataHex'));
    expect(icv.toString('hex')).toBe(v.icvHex);
  });
});

describe('AES-GCM (McGrew & Viega GCM spec, Appendix B)', () => {
  it.each(ofKind('aes-gcm'))('%s', (_src, v) => {
    const sealed = gcmSeal(
      hex(v, 'keyHex'),
      hex(v, 'nonceHex'),
      hex(v, 'aadHex'),
      hex(v, 'plaintextHex'),
    );
    expect(sealed.toString('hex')).toBe(v.sealedHex);
    const opened = gcmOpen(hex(v, 'keyHex'), hex(v, 'nonceHex'), hex(v, 'aadHex'), sealed);
    expect(opened?.toString('hex')).toBe(v.plaintextHex);
    const bad = Buffer.from(sealed);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x80;
    expect(gcmOpen(hex(v, 'keyHex'), hex(v, 'nonceHex'), hex(v, 'aadHex'), bad)).toBeNull();
  });
});

describe('AES-GCM in ESP (draft-mcgrew-gcm-test-01 §4)', () => {
  it.each(ofKind('esp-gcm-draft'))('%s', (_src, v) => {
    const key = hex(v, 'keyHex');
    const aad = hex(v, 'aadHex');
    const esn = aad.length === 12;
    const spi = aad.readUInt32BE(0);
    const seqHigh = esn ? aad.readUInt32BE(4) : 0;
    const seqLow = aad.readUInt32BE(esn ? 8 : 4);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(spi, 0);
    header.writeUInt32BE(seqLow, 4);
    const esp = Buffer.concat([header, hex(v, 'ivHex'), hex(v, 'sealedHex')]);
    const sa = {
      spi,
      encryption: key.length === 16 ? ('aes-gcm-128' as const) : ('aes-gcm-256' as const),
      integrity: null,
      encKey: Buffer.concat([key, hex(v, 'saltHex')]),
      integKey: null,
      esn,
    };
    // Our RFC 4106 construction (nonce = salt || IV, AAD from the header and seq-high) verifies
    // and decrypts the draft's packets exactly.
    const plain = decryptEsp(sa, esp, seqHigh);
    expect(Buffer.isBuffer(plain) ? plain.toString('hex') : plain).toBe(v.plaintextHex);
    // The draft's packets carry an IPv4 packet with next header 1, which tunnel mode refuses.
    expect(openEsp(sa, esp, seqHigh)).toBe('next-header');
    const trailer = parseTrailer(Buffer.from(v.plaintextHex as string, 'hex'));
    expect(trailer).toBe('next-header');
    if (esn) expect(decryptEsp(sa, esp, seqHigh ^ 1)).toBe('icv');
  });
});
