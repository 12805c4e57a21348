import { describe, expect, it } from 'vitest';
import { IkeNotifyError } from '../../../../src/ike/errors.js';
import { IdType, NotifyType, ProtocolId, TsType } from '../../../../src/ike/wire/constants.js';
import { notify, transform, type Payload } from '../../../../src/ike/wire/payloads/index.js';
import { verifyPayload } from '../../../../src/ike/wire/verify.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';

const bad = (p: Payload): void => {
  expect(() => {
    verifyPayload(p);
  }).toThrow(IkeNotifyError);
};
const good = (p: Payload): void => {
  expect(() => {
    verifyPayload(p);
  }).not.toThrow();
};

describe('payload verify (RFC 7296 §3)', () => {
  it('notify data lengths: INVALID_KE_PAYLOAD 2, COOKIE 1-64, NAT-D 20', () => {
    good(notify(NotifyType.INVALID_KE_PAYLOAD, Buffer.alloc(2)));
    bad(notify(NotifyType.INVALID_KE_PAYLOAD, Buffer.alloc(3)));
    good(notify(NotifyType.COOKIE, Buffer.alloc(1)));
    good(notify(NotifyType.COOKIE, Buffer.alloc(64)));
    bad(notify(NotifyType.COOKIE, Buffer.alloc(0)));
    bad(notify(NotifyType.COOKIE, Buffer.alloc(65)));
    good(notify(NotifyType.NAT_DETECTION_SOURCE_IP, Buffer.alloc(20)));
    bad(notify(NotifyType.NAT_DETECTION_DESTINATION_IP, Buffer.alloc(19)));
    bad({
      kind: 'notify',
      protocolId: 3,
      notifyType: NotifyType.REKEY_SA,
      spi: Buffer.alloc(0),
      data: Buffer.alloc(0),
    });
    bad({
      kind: 'notify',
      protocolId: 3,
      notifyType: 16384,
      spi: Buffer.alloc(3),
      data: Buffer.alloc(0),
    });
  });

  it('nonce is 16-256 bytes (§2.10)', () => {
    good({ kind: 'nonce', nonce: Buffer.alloc(16) });
    good({ kind: 'nonce', nonce: Buffer.alloc(256) });
    bad({ kind: 'nonce', nonce: Buffer.alloc(15) });
    bad({ kind: 'nonce', nonce: Buffer.alloc(257) });
  });

  it('KE data length matches the group', () => {
    good({ kind: 'ke', group: 14, data: Buffer.alloc(256) });
    bad({ kind: 'ke', group: 19, data: Buffer.alloc(65) });
    good({ kind: 'ke', group: 1234, data: Buffer.alloc(7) });
    bad({ kind: 'ke', group: 1234, data: Buffer.alloc(0) });
  });

  it('SA proposal numbering and SPI sizes (§3.3.1)', () => {
    const t = [transform(1, 12, 128)];
    good({
      kind: 'sa',
      proposals: [
        { num: 1, protocolId: ProtocolId.IKE, spi: Buffer.alloc(0), transforms: t },
        { num: 2, protocolId: ProtocolId.IKE, spi: Buffer.alloc(8), transforms: t },
      ],
    });
    bad({
      kind: 'sa',
      proposals: [{ num: 2, protocolId: ProtocolId.IKE, spi: Buffer.alloc(0), transforms: t }],
    });
    bad({
      kind: 'sa',
      proposals: [{ num: 1, protocolId: ProtocolId.ESP, spi: Buffer.alloc(0), transforms: t }],
    });
    bad({
      kind: 'sa',
      proposals: [{ num: 1, protocolId: 9, spi: Buffer.alloc(4), transforms: t }],
    });
    bad({
      kind: 'sa',
      proposals: [
        {
          num: 1,
          protocolId: ProtocolId.ESP,
          spi: Buffer.alloc(4),
          transforms: [transform(3, 12, 128)],
        },
      ],
    });
  });

  it('a response keeps the number of the proposal it chose, and carries only one (§3.3.1)', () => {
    const t = [transform(1, 12, 128)];
    const chosen2: Payload = {
      kind: 'sa',
      proposals: [{ num: 2, protocolId: ProtocolId.IKE, spi: Buffer.alloc(0), transforms: t }],
    };
    expect(() => {
      verifyPayload(chosen2, true);
    }).not.toThrow();
    expect(() => {
      verifyPayload(chosen2);
    }).toThrow(IkeNotifyError);
    const two: Payload = {
      kind: 'sa',
      proposals: [
        { num: 1, protocolId: ProtocolId.IKE, spi: Buffer.alloc(0), transforms: t },
        { num: 2, protocolId: ProtocolId.IKE, spi: Buffer.alloc(0), transforms: t },
      ],
    };
    expect(() => {
      verifyPayload(two, true);
    }).toThrow(IkeNotifyError);
  });

  it('delete SPI rules (§3.11)', () => {
    good({ kind: 'delete', protocolId: ProtocolId.IKE, spiSize: 0, spis: [] });
    bad({ kind: 'delete', protocolId: ProtocolId.IKE, spiSize: 4, spis: [Buffer.alloc(4)] });
    good({ kind: 'delete', protocolId: ProtocolId.ESP, spiSize: 4, spis: [Buffer.alloc(4)] });
    bad({ kind: 'delete', protocolId: ProtocolId.ESP, spiSize: 4, spis: [] });
  });

  it('traffic selectors are ordered ranges (§3.13.1)', () => {
    const ts = (a: string, b: string, sp = 0, ep = 65535): Payload => ({
      kind: 'tsi',
      selectors: [
        {
          tsType: TsType.TS_IPV4_ADDR_RANGE,
          ipProtocol: 0,
          startPort: sp,
          endPort: ep,
          startAddr: mustParseIp(a),
          endAddr: mustParseIp(b),
        },
      ],
    });
    good(ts('10.0.0.0', '10.0.0.255'));
    bad(ts('10.0.0.255', '10.0.0.0'));
    bad(ts('10.0.0.0', '10.0.0.255', 100, 99));
    good(ts('10.0.0.0', '10.0.0.255', 65535, 0));
    bad({ kind: 'tsr', selectors: [] });
  });

  it('ID data matches the ID type (§3.5)', () => {
    good({ kind: 'idi', idType: IdType.ID_IPV4_ADDR, data: Buffer.alloc(4) });
    bad({ kind: 'idi', idType: IdType.ID_IPV4_ADDR, data: Buffer.alloc(5) });
    bad({ kind: 'idr', idType: IdType.ID_IPV6_ADDR, data: Buffer.alloc(4) });
    bad({ kind: 'idr', idType: IdType.ID_FQDN, data: Buffer.alloc(0) });
    bad({ kind: 'auth', method: 2, data: Buffer.alloc(0) });
  });
});
