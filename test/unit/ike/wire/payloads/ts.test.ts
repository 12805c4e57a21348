import { describe, expect, it } from 'vitest';
import { PayloadType, TsType } from '../../../../../src/ike/wire/constants.js';
import {
  decodeTs,
  encodeTs,
  tsLength,
  type TsPayload,
} from '../../../../../src/ike/wire/payloads/ts.js';
import { Reader } from '../../../../../src/lib/bytes/reader.js';
import { mustParseIp } from '../../../../../src/lib/ip/addr.js';
import { checkCodec } from '../../../../support/codec-harness.js';

const codec = {
  encode: encodeTs,
  decode: (r: Reader) => decodeTs(r, { payloadType: PayloadType.TSr }),
  length: tsLength,
};

describe('TS payload (RFC 7296 §3.13)', () => {
  it('encodes an IPv4 0/0 selector and an IPv6 TCP range', () => {
    const p: TsPayload = {
      kind: 'tsr',
      selectors: [
        {
          tsType: TsType.TS_IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: 0,
          endPort: 65535,
          startAddr: mustParseIp('0.0.0.0'),
          endAddr: mustParseIp('255.255.255.255'),
        },
        {
          tsType: TsType.TS_IPV6_ADDR_RANGE,
          ipProtocol: 6,
          startPort: 179,
          endPort: 179,
          startAddr: mustParseIp('2001:db8::'),
          endAddr: mustParseIp('2001:db8::ffff'),
        },
      ],
    };
    // §3.13.1: type 7, protocol 0, length 16, ports 0..65535, 0.0.0.0..255.255.255.255.
    const bytes = checkCodec(codec, p);
    expect(bytes.subarray(0, 20).toString('hex')).toBe(
      '02000000' + '07000010' + '0000ffff' + '00000000' + 'ffffffff',
    );
    expect(bytes.subarray(20, 24).toString('hex')).toBe('08060028');
  });

  it('decodes TSi by context and rejects unknown selector types and bad lengths', () => {
    const ok = Buffer.from('010000000700001000000000' + '0a0000000affffff', 'hex');
    expect(decodeTs(new Reader(ok), { payloadType: PayloadType.TSi }).kind).toBe('tsi');
    expect(() =>
      decodeTs(new Reader(Buffer.from('01000000090000100000000000000000ffffffff', 'hex'))),
    ).toThrow(/type 9/);
    expect(() =>
      decodeTs(new Reader(Buffer.from('01000000070000140000000000000000ffffffff00000000', 'hex'))),
    ).toThrow(/length/);
    expect(() =>
      decodeTs(new Reader(Buffer.from('0200000007000010000000000000000000ffffffff', 'hex'))),
    ).toThrow();
  });
});
