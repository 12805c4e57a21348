import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../src/lib/bytes/index.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import { errorName } from '../../../../src/bgp/wire/constants.js';
import { decodeMessage, encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import {
  decodePrefixes,
  encodePrefix,
  NlriError,
  prefixLength,
} from '../../../../src/bgp/wire/nlri.js';
import {
  adminShutdown,
  decodeNotification,
  describeNotification,
  encodeNotification,
  notificationLength,
  shutdownCommunication,
} from '../../../../src/bgp/wire/notification.js';
import {
  decodeRouteRefresh,
  encodeRouteRefresh,
  routeRefreshLength,
} from '../../../../src/bgp/wire/route-refresh.js';
import { checkCodec } from '../../../support/codec-harness.js';
import { msg, pfx, pfxs } from '../helpers.js';

describe('KEEPALIVE (RFC 4271 §4.4)', () => {
  it('is a bare 19-octet header', () => {
    const wire = msg(4, '');
    expect(wire.toString('hex')).toBe(`${'ff'.repeat(16)}001304`);
    expect(decodeMessage(wire, { as4: true })).toEqual({ type: 'KEEPALIVE' });
    expect(encodeMessageBytes({ type: 'KEEPALIVE' }, { as4: true })).toEqual(wire);
  });
});

describe('NOTIFICATION (RFC 4271 §4.5, RFC 9003)', () => {
  it('round-trips Hold Timer Expired', () => {
    const codec = {
      encode: encodeNotification,
      decode: decodeNotification,
      length: notificationLength,
    };
    checkCodec(codec, { errorCode: 4, subcode: 0, data: new Uint8Array(0) }, '0400');
    const m = decodeNotification(new Reader(fromHex('030b0102')));
    expect(m).toEqual({ errorCode: 3, subcode: 11, data: Uint8Array.of(1, 2) });
    expect(describeNotification(m)).toBe('UPDATE_MESSAGE_ERROR/MALFORMED_AS_PATH');
  });

  it('RFC 9003 §2: carries a shutdown communication in Cease/Administrative Shutdown', () => {
    const m = adminShutdown('maintenance');
    expect(Buffer.from(m.data).toString('hex')).toBe(
      '0b' + Buffer.from('maintenance').toString('hex'),
    );
    expect(shutdownCommunication(m)).toBe('maintenance');
    expect(describeNotification(m)).toBe('CEASE/ADMINISTRATIVE_SHUTDOWN "maintenance"');
    expect(
      shutdownCommunication({ errorCode: 6, subcode: 2, data: Uint8Array.of(5, 0x41) }),
    ).toBeUndefined();
    expect(adminShutdown('x'.repeat(300)).data.length).toBe(256);
  });

  it('names unknown codes with a numeric fallback', () => {
    expect(errorName(9, 1)).toBe('ERROR_9/SUBCODE_1');
    expect(errorName(2, 0)).toBe('OPEN_MESSAGE_ERROR/UNSPECIFIC');
    expect(errorName(6, 7)).toBe('CEASE/CONNECTION_COLLISION_RESOLUTION');
  });
});

describe('ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3)', () => {
  const codec = {
    encode: encodeRouteRefresh,
    decode: decodeRouteRefresh,
    length: routeRefreshLength,
  };
  it('round-trips IPv4 unicast normal refresh and IPv6 BoRR', () => {
    checkCodec(codec, { afi: 1, safi: 1, subtype: 0 }, '00010001');
    checkCodec(codec, { afi: 2, safi: 1, subtype: 1 }, '00020101');
  });

  it('RFC 7313 §5: a body that is not 4 octets → ROUTE-REFRESH Message Error / Invalid Message Length', () => {
    let err: unknown;
    try {
      decodeMessage(msg(5, '0001000100'), { as4: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BgpNotificationError);
    expect((err as BgpNotificationError).errorCode).toBe(7);
    expect((err as BgpNotificationError).subcode).toBe(1);
  });
});

describe('NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5)', () => {
  it.each([
    ['0.0.0.0/0', '00'],
    ['10.0.0.0/8', '080a'],
    ['10.1.128.0/17', '110a0180'],
    ['192.168.1.1/32', '20c0a80101'],
  ])('%s ↔ %s', (p, hex) => {
    const codec = {
      encode: (w: Parameters<typeof encodePrefix>[0], v: ReturnType<typeof pfx>) => {
        encodePrefix(w, v);
      },
      decode: (r: Reader) => decodePrefixes(r, 4)[0]!,
      length: prefixLength,
    };
    checkCodec(codec, pfx(p), hex);
  });

  it('clears host bits beyond the prefix length on decode', () => {
    expect(pfxs(decodePrefixes(new Reader(fromHex('170a01ff')), 4))).toEqual(['10.1.254.0/23']);
  });

  it.each([
    ['IPv4 /33', '210a000000ff', 4],
    ['IPv6 /129', '81' + '00'.repeat(17), 6],
    ['truncated /24', '180a01', 4],
  ] as const)('%s → NlriError', (_n, hex, family) => {
    expect(() => decodePrefixes(new Reader(fromHex(hex)), family)).toThrow(NlriError);
  });
});

describe('decodeMessage framing', () => {
  it('rejects a buffer whose length differs from the header length', () => {
    const wire = Buffer.concat([msg(4, ''), Buffer.of(0)]);
    expect(() => decodeMessage(wire, { as4: true })).toThrow(BgpNotificationError);
  });

  it('refuses to encode an UPDATE over 4096 octets without extended messages', () => {
    const nlri = Array.from({ length: 1100 }, (_, i) => pfx(`10.${i >> 8}.${i & 255}.0/24`));
    expect(() =>
      encodeMessageBytes(
        { type: 'UPDATE', update: { withdrawn: nlri, attributes: [], nlri: [] } },
        { as4: true },
      ),
    ).toThrow(RangeError);
  });
});
