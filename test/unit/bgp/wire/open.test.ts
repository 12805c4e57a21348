import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../src/lib/bytes/index.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import { decodeMessage, encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import {
  buildOpen,
  decodeOpen,
  encodeOpen,
  myAsField,
  openLength,
  type OpenMessage,
} from '../../../../src/bgp/wire/open.js';
import { checkCodec } from '../../../support/codec-harness.js';
import { msg } from '../helpers.js';

const codec = { encode: encodeOpen, decode: decodeOpen, length: openLength };

// RFC 4271 §4.2 fixed part + RFC 5492 §4 Capabilities parameter holding: MP IPv4 unicast
// (RFC 4760 §8: 01 04 0001 00 01), route refresh (RFC 2918 §2: 02 00), 4-octet AS 65001
// (RFC 6793 §3: 41 04 0000fde9).
const OPEN_HEX = '04 fde9 005a c0a80001 10 02 0e 01040001 0001 0200 41040000fde9';

describe('OPEN (RFC 4271 §4.2, RFC 5492, RFC 4760 §8, RFC 6793 §3)', () => {
  it('decodes version, AS, hold time, BGP id and capabilities', () => {
    const m = decodeOpen(new Reader(fromHex(OPEN_HEX)));
    expect(m).toEqual({
      version: 4,
      myAs: 65001,
      holdTimeSec: 90,
      bgpId: 0xc0a80001,
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: 65001 },
      ],
      unknownParams: [],
    });
    checkCodec(codec, m, OPEN_HEX.replace(/\s/g, ''));
  });

  it('buildOpen uses AS_TRANS for a 4-octet AS (RFC 6793 §4.1) and always sends capability 65', () => {
    const m = buildOpen({
      localAs: 4200000001,
      holdTimeSec: 180,
      bgpId: 0x0a000001,
      families: [
        { afi: 1, safi: 1 },
        { afi: 2, safi: 1 },
      ],
    });
    expect(m.myAs).toBe(23456);
    expect(myAsField(65002)).toBe(65002);
    const bytes = checkCodec(codec, m);
    // 4-octet AS 4200000001 = 0xfa56ea01 inside capability 65.
    expect(bytes.toString('hex')).toContain('4104fa56ea01');
    expect(bytes.toString('hex')).toContain('010400020001');
  });

  it('keeps unknown capabilities verbatim (graceful restart 64) and recognises enhanced route refresh 70', () => {
    // RFC 7313 §4: capability 70, length 0. RFC 4724 §3: capability 64 kept as unknown.
    const h = '04fde900b40a000001' + '0c' + '020a' + '4600' + '4006007800010180';
    const m = decodeOpen(new Reader(fromHex(h)));
    expect(m.capabilities).toEqual([
      { kind: 'enhanced-route-refresh' },
      { kind: 'unknown', code: 64, value: Uint8Array.from(fromHex('007800010180')) },
    ]);
    checkCodec(codec, m, h);
  });

  it('flattens several Capabilities parameters (one capability per parameter, as some peers send)', () => {
    const h = '04fde9005a0a000001' + '10' + '0206010400020001' + '0202' + '0200' + '0202' + '4600';
    const m = decodeOpen(new Reader(fromHex(h)));
    expect(m.capabilities.map((c) => c.kind)).toEqual([
      'multiprotocol',
      'route-refresh',
      'enhanced-route-refresh',
    ]);
  });

  it('RFC 9072 §2: decodes the extended optional parameters format (255, 255, 2-octet lengths)', () => {
    const h = '04fde9005a0a000001' + 'ff' + 'ff' + '000b' + '02' + '0008' + '0200' + '41040000fde9';
    const m = decodeOpen(new Reader(fromHex(h)));
    expect(m.capabilities).toEqual([
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', asn: 65001 },
    ]);
  });

  it('keeps non-capability optional parameters for the negotiation step to reject', () => {
    const m = decodeOpen(new Reader(fromHex('04fde9005a0a000001' + '03' + '0101ff')));
    expect(m.unknownParams).toEqual([{ type: 1, value: Uint8Array.of(0xff) }]);
  });

  it.each([
    ['version 3 → Unsupported Version Number, data = 0004', '03fde9005a0a00000100', 1, '0004'],
    ['opt param length larger than present', '04fde9005a0a00000105', 0, ''],
    ['opt param length smaller than present', '04fde9005a0a000001000200', 0, ''],
    ['capability overruns parameter', '04fde9005a0a0000010402020104', 0, ''],
    ['MP capability of length 3', '04fde9005a0a0000010702050103000100', 0, ''],
    ['4-octet AS capability of length 2', '04fde9005a0a00000106020441020000', 0, ''],
    ['truncated fixed part', '04fde9005a0a00', 0, ''],
  ])('%s → OPEN Message Error', (_n, hex, subcode, data) => {
    let err: unknown;
    try {
      decodeOpen(new Reader(fromHex(hex)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BgpNotificationError);
    const e = err as BgpNotificationError;
    expect(e.errorCode).toBe(2);
    expect(e.subcode).toBe(subcode);
    expect(Buffer.from(e.data).toString('hex')).toBe(data);
  });

  it('decodes and encodes a whole OPEN message with its header', () => {
    const wire = msg(1, OPEN_HEX);
    const d = decodeMessage(wire, { as4: false });
    expect(d.type).toBe('OPEN');
    if (d.type !== 'OPEN') return;
    const open: OpenMessage = d.open;
    expect(encodeMessageBytes({ type: 'OPEN', open }, { as4: false }).toString('hex')).toBe(
      wire.toString('hex'),
    );
  });
});
