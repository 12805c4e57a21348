import { describe, expect, it } from 'vitest';
import { BgpNotificationError } from '../../../src/bgp/errors.js';
import {
  codecContextOf,
  formatBgpId,
  IPV4_UNICAST,
  IPV6_UNICAST,
  negotiateOpen,
  negotiateTimers,
  parseBgpId,
  type NeighborOpenConfig,
} from '../../../src/bgp/open-negotiation.js';
import { buildOpen, type Capability, type OpenMessage } from '../../../src/bgp/wire/open.js';

const CFG: NeighborOpenConfig = {
  localAs: 65002,
  localBgpId: parseBgpId('169.254.21.1')!,
  remoteAs: 65001,
  holdTimeSec: 180,
  keepaliveSec: 60,
  families: [IPV4_UNICAST, IPV6_UNICAST],
};

function azureOpen(over: Partial<OpenMessage> = {}): OpenMessage {
  return {
    ...buildOpen({
      localAs: 65001,
      holdTimeSec: 90,
      bgpId: parseBgpId('169.254.21.2')!,
      families: [IPV4_UNICAST],
    }),
    ...over,
  };
}

function openErr(f: () => unknown): BgpNotificationError {
  try {
    f();
  } catch (e) {
    if (e instanceof BgpNotificationError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('OPEN negotiation (RFC 4271 §4.2/§6.2, RFC 6793, RFC 4760 §8)', () => {
  it('negotiates hold = min, keepalive = configured (≤ hold/3), families = intersection', () => {
    const s = negotiateOpen(azureOpen(), CFG);
    expect(s).toMatchObject({
      remoteAs: 65001,
      remoteBgpId: parseBgpId('169.254.21.2'),
      as4: true,
      ibgp: false,
      holdTimeSec: 90,
      keepaliveSec: 30,
      families: [IPV4_UNICAST],
      routeRefresh: true,
      enhancedRouteRefresh: false,
    });
    expect(codecContextOf(s)).toEqual({ as4: true, extendedMessage: false });
  });

  it.each([
    [180, 180, undefined, 180, 60],
    [180, 90, undefined, 90, 30],
    [90, 180, 10, 90, 10],
    [9, 180, 60, 9, 3],
    [180, 0, 60, 0, 0],
    [3, 3, undefined, 3, 1],
  ])(
    'timers: local %i, remote %i, keepalive %s → hold %i, keepalive %i',
    (l, r, ka, hold, keep) => {
      expect(negotiateTimers(l, r, ka)).toEqual({ holdTimeSec: hold, keepaliveSec: keep });
    },
  );

  it('4-octet remote AS via capability 65 with AS_TRANS in My AS (RFC 6793 §4.1)', () => {
    const open = {
      ...buildOpen({
        localAs: 4200000001,
        holdTimeSec: 90,
        bgpId: 0x0a000001,
        families: [IPV4_UNICAST],
      }),
    };
    expect(open.myAs).toBe(23456);
    const s = negotiateOpen(open, { ...CFG, remoteAs: 4200000001 });
    expect(s.remoteAs).toBe(4200000001);
    expect(s.as4).toBe(true);
  });

  it('an OLD speaker (no capability 65, no MP capabilities) → 2-octet session, IPv4 unicast only', () => {
    const s = negotiateOpen(azureOpen({ capabilities: [] }), CFG);
    expect(s.as4).toBe(false);
    expect(s.families).toEqual([IPV4_UNICAST]);
    expect(s.routeRefresh).toBe(false);
  });

  it('recognises the Cisco pre-standard route refresh capability 128 and enhanced route refresh 70', () => {
    const caps: Capability[] = [
      { kind: 'unknown', code: 128, value: new Uint8Array(0) },
      { kind: 'enhanced-route-refresh' },
      { kind: 'four-octet-as', asn: 65001 },
    ];
    const s = negotiateOpen(azureOpen({ capabilities: caps }), {
      ...CFG,
      enhancedRouteRefresh: true,
    });
    expect(s.routeRefresh).toBe(true);
    expect(s.enhancedRouteRefresh).toBe(true);
  });

  it.each<[string, Partial<OpenMessage>, Partial<NeighborOpenConfig>, number]>([
    [
      'wrong remote AS → Bad Peer AS',
      { myAs: 65003, capabilities: [{ kind: 'four-octet-as', asn: 65003 }] },
      {},
      2,
    ],
    ['AS_TRANS without capability 65 → Bad Peer AS', { myAs: 23456, capabilities: [] }, {}, 2],
    [
      '4-octet AS in capability but My AS not AS_TRANS → Bad Peer AS',
      { myAs: 65001, capabilities: [{ kind: 'four-octet-as', asn: 4200000001 }] },
      { remoteAs: 4200000001 },
      2,
    ],
    ['BGP identifier 0 → Bad BGP Identifier', { bgpId: 0 }, {}, 3],
    [
      'iBGP peer with our own BGP identifier → Bad BGP Identifier',
      {
        myAs: 65002,
        capabilities: [{ kind: 'four-octet-as', asn: 65002 }],
        bgpId: parseBgpId('169.254.21.1')!,
      },
      { remoteAs: 65002 },
      3,
    ],
    ['hold time 1 → Unacceptable Hold Time', { holdTimeSec: 1 }, {}, 6],
    ['hold time 2 → Unacceptable Hold Time', { holdTimeSec: 2 }, {}, 6],
    [
      'hold time below configured minimum → Unacceptable Hold Time',
      { holdTimeSec: 5 },
      { minHoldTimeSec: 10 },
      6,
    ],
    [
      'unknown optional parameter → Unsupported Optional Parameter',
      { unknownParams: [{ type: 1, value: Uint8Array.of(0) }] },
      {},
      4,
    ],
  ])('%s', (_n, over, cfgOver, subcode) => {
    const e = openErr(() => negotiateOpen(azureOpen(over), { ...CFG, ...cfgOver }));
    expect(e.errorCode).toBe(2);
    expect(e.subcode).toBe(subcode);
  });

  it('eBGP peers may share our BGP identifier (RFC 6286 §2.2)', () => {
    const s = negotiateOpen(azureOpen({ bgpId: CFG.localBgpId }), CFG);
    expect(s.remoteBgpId).toBe(CFG.localBgpId);
  });

  it('hold time 0 is accepted and disables keepalives', () => {
    const s = negotiateOpen(azureOpen({ holdTimeSec: 0 }), CFG);
    expect(s.holdTimeSec).toBe(0);
    expect(s.keepaliveSec).toBe(0);
  });

  it('formats and parses BGP identifiers', () => {
    expect(formatBgpId(0xa9fe1501)).toBe('169.254.21.1');
    expect(parseBgpId('255.255.255.255')).toBe(0xffffffff);
    expect(parseBgpId('256.0.0.1')).toBeUndefined();
    expect(parseBgpId('::1')).toBeUndefined();
  });
});
