import { describe, expect, it } from 'vitest';
import {
  decodeSa,
  encodeSa,
  keyLengthOf,
  saLength,
  transform,
  type SaPayload,
} from '../../../../../src/ike/wire/payloads/sa.js';
import {
  DhId,
  EncrId,
  IntegId,
  PrfId,
  ProtocolId,
  TransformType,
} from '../../../../../src/ike/wire/constants.js';
import { Reader } from '../../../../../src/lib/bytes/reader.js';
import { DecodeError } from '../../../../../src/lib/errors.js';
import { checkCodec } from '../../../../support/codec-harness.js';

const codec = { encode: encodeSa, decode: (r: Reader) => decodeSa(r), length: saLength };

const ikeProposal: SaPayload = {
  kind: 'sa',
  proposals: [
    {
      num: 1,
      protocolId: ProtocolId.IKE,
      spi: Buffer.alloc(0),
      transforms: [
        transform(TransformType.ENCR, EncrId.ENCR_AES_CBC, 256),
        transform(TransformType.PRF, PrfId.PRF_HMAC_SHA2_256),
        transform(TransformType.INTEG, IntegId.AUTH_HMAC_SHA2_256_128),
        transform(TransformType.DH, DhId.MODP_2048),
      ],
    },
  ],
};

describe('SA payload (RFC 7296 §3.3)', () => {
  it('encodes proposal/transform substructures with Last flags and KEY_LENGTH in TV format', () => {
    // Hand-built per RFC 7296 §3.3.1 (proposal), §3.3.2 (transform), §3.3.5 (attribute AF=1, type 14).
    checkCodec(
      codec,
      ikeProposal,
      '0000002c01010004' +
        '0300000c0100000c800e0100' +
        '0300000802000005' +
        '030000080300000c' +
        '000000080400000e',
    );
    expect(keyLengthOf(ikeProposal.proposals[0]!.transforms[0]!)).toBe(256);
    expect(keyLengthOf(ikeProposal.proposals[0]!.transforms[1]!)).toBeUndefined();
  });

  it('round-trips several ESP proposals with SPIs and a TLV attribute', () => {
    const p: SaPayload = {
      kind: 'sa',
      proposals: [
        {
          num: 1,
          protocolId: ProtocolId.ESP,
          spi: Buffer.from('c0ffee01', 'hex'),
          transforms: [
            transform(TransformType.ENCR, EncrId.ENCR_AES_GCM_16, 256),
            transform(TransformType.ESN, 0),
          ],
        },
        {
          num: 2,
          protocolId: ProtocolId.ESP,
          spi: Buffer.from('c0ffee01', 'hex'),
          transforms: [
            {
              type: TransformType.ENCR,
              id: EncrId.ENCR_AES_CBC,
              attributes: [{ type: 99, value: Buffer.from('abcd', 'hex') }],
            },
          ],
        },
      ],
    };
    const bytes = checkCodec(codec, p);
    expect(bytes[0]).toBe(2); // more proposals follow
  });

  it.each([
    { name: 'no proposals', hex: '' },
    { name: 'bad last byte', hex: '0100000801010000' },
    { name: 'proposal length too small', hex: '0000000401010000' },
    { name: 'transform count mismatch', hex: '0000000801010001' },
    { name: 'last transform flagged more', hex: '000000100101000103000008010000c0' },
    { name: 'proposal trailing bytes', hex: '000000090101000000' },
    { name: 'bytes after last proposal', hex: '000000080101000000' },
  ])('rejects $name', ({ hex }) => {
    expect(() => decodeSa(new Reader(Buffer.from(hex, 'hex')))).toThrow(Error);
    try {
      decodeSa(new Reader(Buffer.from(hex, 'hex')));
    } catch (e) {
      expect((e as { code?: string }).code).toMatch(/^ERR_(DECODE_TRUNCATED|IKE_SYNTAX)$/);
      if ((e as { code?: string }).code === 'ERR_IKE_SYNTAX') expect(e).toBeInstanceOf(DecodeError);
    }
  });
});
