/** Codec round trips of the simple payloads, hand-built per the RFC 7296 §3 layouts. */
import { describe, expect, it } from 'vitest';
import {
  AuthMethod,
  CertEncoding,
  IdType,
  NotifyType,
  PayloadType,
  ProtocolId,
} from '../../../../../src/ike/wire/constants.js';
import { authLength, decodeAuth, encodeAuth } from '../../../../../src/ike/wire/payloads/auth.js';
import { certLength, decodeCert, encodeCert } from '../../../../../src/ike/wire/payloads/cert.js';
import { cpLength, decodeCp, encodeCp } from '../../../../../src/ike/wire/payloads/cp.js';
import {
  decodeDelete,
  deleteLength,
  encodeDelete,
} from '../../../../../src/ike/wire/payloads/delete.js';
import { decodeSkf, encodeSkf, skfLength } from '../../../../../src/ike/wire/payloads/encrypted.js';
import { decodeId, encodeId, idLength } from '../../../../../src/ike/wire/payloads/id.js';
import { decodeKe, encodeKe, keLength } from '../../../../../src/ike/wire/payloads/ke.js';
import {
  decodeNonce,
  encodeNonce,
  nonceLength,
} from '../../../../../src/ike/wire/payloads/nonce.js';
import {
  decodeNotify,
  encodeNotify,
  notify,
  notifyLength,
} from '../../../../../src/ike/wire/payloads/notify.js';
import {
  decodeVendor,
  encodeVendor,
  vendorLength,
} from '../../../../../src/ike/wire/payloads/vendor.js';
import { Reader } from '../../../../../src/lib/bytes/reader.js';
import { checkCodec } from '../../../../support/codec-harness.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('simple payload codecs', () => {
  it('KE (§3.4): group, reserved, data', () => {
    checkCodec(
      { encode: encodeKe, decode: (r: Reader) => decodeKe(r), length: keLength },
      { kind: 'ke', group: 19, data: h('aa'.repeat(64)) },
      '00130000' + 'aa'.repeat(64),
    );
  });

  it('Nonce (§3.9)', () => {
    checkCodec(
      { encode: encodeNonce, decode: (r: Reader) => decodeNonce(r), length: nonceLength },
      { kind: 'nonce', nonce: h('01'.repeat(32)) },
      '01'.repeat(32),
    );
  });

  it('Notify (§3.10): protocol, SPI size, type, SPI, data', () => {
    const codec = {
      encode: encodeNotify,
      decode: (r: Reader) => decodeNotify(r),
      length: notifyLength,
    };
    checkCodec(codec, notify(NotifyType.INVALID_KE_PAYLOAD, h('000e')), '00000011000e');
    checkCodec(
      codec,
      {
        kind: 'notify',
        protocolId: ProtocolId.ESP,
        notifyType: NotifyType.REKEY_SA,
        spi: h('01020304'),
        data: Buffer.alloc(0),
      },
      '0304400901020304',
    );
    expect(() => decodeNotify(new Reader(h('0308400901020304')))).toThrow(/need 8/);
  });

  it('Delete (§3.11): IKE has no SPIs; ESP has 4-byte SPIs', () => {
    const codec = {
      encode: encodeDelete,
      decode: (r: Reader) => decodeDelete(r),
      length: deleteLength,
    };
    checkCodec(
      codec,
      { kind: 'delete', protocolId: ProtocolId.IKE, spiSize: 0, spis: [] },
      '01000000',
    );
    checkCodec(
      codec,
      {
        kind: 'delete',
        protocolId: ProtocolId.ESP,
        spiSize: 4,
        spis: [h('11111111'), h('22222222')],
      },
      '030400021111111122222222',
    );
    expect(() => decodeDelete(new Reader(h('01000001')))).toThrow(/size 0/);
    expect(() => decodeDelete(new Reader(h('0304000111111111ff')))).toThrow(/trailing/);
  });

  it('ID (§3.5) keeps IDi/IDr apart by payload type', () => {
    const codec = {
      encode: encodeId,
      decode: (r: Reader) => decodeId(r, { payloadType: PayloadType.IDr }),
      length: idLength,
    };
    checkCodec(
      codec,
      { kind: 'idr', idType: IdType.ID_IPV4_ADDR, data: h('c0000201') },
      '01000000c0000201',
    );
    checkCodec(codec, { kind: 'idr', idType: IdType.ID_FQDN, data: Buffer.from('vpn.example') });
  });

  it('AUTH (§3.8)', () => {
    checkCodec(
      { encode: encodeAuth, decode: (r: Reader) => decodeAuth(r), length: authLength },
      { kind: 'auth', method: AuthMethod.SHARED_KEY_MIC, data: h('ab'.repeat(32)) },
      '02000000' + 'ab'.repeat(32),
    );
  });

  it('CERT/CERTREQ (§3.6, §3.7) are opaque', () => {
    const codec = {
      encode: encodeCert,
      decode: (r: Reader) => decodeCert(r, { payloadType: PayloadType.CERTREQ }),
      length: certLength,
    };
    checkCodec(
      codec,
      { kind: 'certreq', encoding: CertEncoding.X509_SIGNATURE, data: h('0102') },
      '040102',
    );
  });

  it('Vendor ID (§3.12)', () => {
    checkCodec(
      { encode: encodeVendor, decode: (r: Reader) => decodeVendor(r), length: vendorLength },
      { kind: 'vendor', data: Buffer.from('nvad') },
      '6e766164',
    );
  });

  it('CP (§3.15) attributes; the R bit must be zero', () => {
    const codec = { encode: encodeCp, decode: (r: Reader) => decodeCp(r), length: cpLength };
    checkCodec(
      codec,
      {
        kind: 'cp',
        cfgType: 1,
        attributes: [
          { type: 1, value: Buffer.alloc(0) },
          { type: 3, value: h('08080808') },
        ],
      },
      '01000000' + '00010000' + '0003000408080808',
    );
    expect(() => decodeCp(new Reader(h('0100000080010000')))).toThrow(/reserved/);
  });

  it('SKF (RFC 7383 §2.5): fragment number and total, next payload only in fragment 1', () => {
    const codec = { encode: encodeSkf, decode: (r: Reader) => decodeSkf(r, 35), length: skfLength };
    checkCodec(
      codec,
      { kind: 'skf', innerFirst: 35, fragmentNumber: 1, totalFragments: 3, data: h('deadbeef') },
      '00010003deadbeef',
    );
    expect(() => decodeSkf(new Reader(h('00000003')))).toThrow(/fragment number/);
    expect(() => decodeSkf(new Reader(h('00040003')))).toThrow(/fragment number/);
    expect(() => decodeSkf(new Reader(h('00020003')), 35)).toThrow(/next payload/);
  });
});
