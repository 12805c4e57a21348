import { describe, expect, it } from 'vitest';
import { IkeNotifyError } from '../../../../src/ike/errors.js';
import {
  anySelector,
  checkNarrowed,
  describeSelectors,
  narrowSelectors,
  routeBasedSelectors,
} from '../../../../src/ike/sa/ts-narrow.js';
import { NotifyType, TsType } from '../../../../src/ike/wire/constants.js';
import type { TrafficSelector } from '../../../../src/ike/wire/payloads/index.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';

function v4(start: string, end: string, proto = 0): TrafficSelector {
  return {
    tsType: TsType.TS_IPV4_ADDR_RANGE,
    ipProtocol: proto,
    startPort: 0,
    endPort: 65535,
    startAddr: mustParseIp(start),
    endAddr: mustParseIp(end),
  };
}

describe('TS narrowing (RFC 7296 §2.9)', () => {
  it('route-based selectors are any-to-any per family', () => {
    expect(describeSelectors(routeBasedSelectors(true))).toBe(
      '0.0.0.0-255.255.255.255, ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    );
  });

  it('responder narrows a wider proposal to its own config', () => {
    const out = narrowSelectors([anySelector(4)], [v4('10.0.0.0', '10.0.0.255')], 'TSi');
    expect(describeSelectors(out)).toBe('10.0.0.0-10.0.0.255');
  });

  it('responder accepts narrower selectors from the peer', () => {
    const out = narrowSelectors(
      [v4('192.168.1.0', '192.168.1.255', 6)],
      routeBasedSelectors(true),
      'TSr',
    );
    expect(describeSelectors(out)).toBe('192.168.1.0-192.168.1.255 proto 6');
  });

  it('IPv6 selectors do not match an IPv4-only config: TS_UNACCEPTABLE', () => {
    try {
      narrowSelectors([anySelector(6)], routeBasedSelectors(false), 'TSi');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IkeNotifyError);
      expect((e as IkeNotifyError).notifyType).toBe(NotifyType.TS_UNACCEPTABLE);
      expect((e as Error).message).toContain('ours: 0.0.0.0-255.255.255.255');
    }
  });

  it('initiator accepts a subset and refuses a widening', () => {
    expect(() => {
      checkNarrowed([anySelector(4)], [v4('10.0.0.0', '10.0.0.3')], 'TSr');
    }).not.toThrow();
    expect(() => {
      checkNarrowed([v4('10.0.0.0', '10.0.0.3')], [anySelector(4)], 'TSr');
    }).toThrow(/not within ours/);
    expect(() => {
      checkNarrowed([anySelector(4)], [], 'TSr');
    }).toThrow(IkeNotifyError);
  });
});
