import { describe, expect, it } from 'vitest';
import { formatIp } from '../../../../src/lib/ip/addr.js';
import { PolicySet } from '../../../../src/bgp/policy/policy-set.js';
import { exportPath } from '../../../../src/bgp/rib/export-policy.js';
import { localSource } from '../../../../src/bgp/rib/local-routes.js';
import { WellKnownCommunity } from '../../../../src/bgp/wire/constants.js';
import { attrs, exportPeer, path, peer } from './helpers.js';

const LOCAL_AS = 65000;
const GW = peer('169.254.21.2', 65515);
const RS = exportPeer('10.0.255.4', 65515, { asOverride: true });
const FIRST_AS = (v: ReturnType<typeof exportPath>): number[] =>
  v.ok ? v.attrs.asPath.flatMap((s) => s.asns) : [];

describe('export policy', () => {
  it('as-override replaces the neighbor AS 65515 with ours, then prepends ours (eBGP)', () => {
    const p = path('10.1.0.0/16', attrs([65515, 65010]), GW);
    const v = exportPath(p, RS, LOCAL_AS);
    expect(FIRST_AS(v)).toEqual([65000, 65000, 65010]);
    const plain = exportPath(p, exportPeer('10.0.255.4', 65515), LOCAL_AS);
    expect(FIRST_AS(plain)).toEqual([65000, 65515, 65010]);
  });

  it('as-override with a 4-byte local ASN', () => {
    const p = path('10.1.0.0/16', attrs([65515]), GW);
    expect(FIRST_AS(exportPath(p, RS, 4200000001))).toEqual([4200000001, 4200000001]);
  });

  it('next-hop-self toward eBGP, and for local paths toward iBGP; iBGP keeps learned next hops', () => {
    const learned = path('10.1.0.0/16', attrs([65515]), GW);
    const v = exportPath(learned, RS, LOCAL_AS);
    expect(v.ok && v.attrs.nextHop && formatIp(v.attrs.nextHop)).toBe('169.254.21.1');
    const ibgp = exportPeer('10.9.0.1', LOCAL_AS, { isIbgp: true });
    const vi = exportPath(learned, ibgp, LOCAL_AS);
    expect(vi.ok && vi.attrs.nextHop && formatIp(vi.attrs.nextHop)).toBe('192.0.2.1');
    const nhs = exportPath(learned, { ...ibgp, nextHopSelf: true }, LOCAL_AS);
    expect(nhs.ok && nhs.attrs.nextHop && formatIp(nhs.attrs.nextHop)).toBe('169.254.21.1');
    const local = path(
      'fd10::/48',
      attrs([], { nextHop: undefined }),
      localSource(LOCAL_AS, 1),
      0,
      {
        local: 'network',
      },
    );
    const v6 = exportPath(local, ibgp, LOCAL_AS);
    expect(v6.ok && v6.attrs.nextHop && formatIp(v6.attrs.nextHop)).toBe('fd00::1');
    expect(exportPath(local, { ...ibgp, localAddressV6: undefined }, LOCAL_AS)).toEqual({
      ok: false,
      reason: 'no-next-hop',
    });
  });

  it('MED is reset toward eBGP unless local or set by route-map; LOCAL_PREF only to iBGP', () => {
    const p = path('10.1.0.0/16', attrs([65515], { med: 50, localPref: 300 }), GW);
    const e = exportPath(p, RS, LOCAL_AS);
    expect(e.ok && [e.attrs.med, e.attrs.localPref]).toEqual([undefined, undefined]);
    const i = exportPath(p, exportPeer('10.9.0.1', LOCAL_AS, { isIbgp: true }), LOCAL_AS);
    expect(i.ok && [i.attrs.med, i.attrs.localPref]).toEqual([50, 300]);
    const noLp = path('10.1.0.0/16', attrs([65515]), GW);
    const i2 = exportPath(noLp, exportPeer('10.9.0.1', LOCAL_AS, { isIbgp: true }), LOCAL_AS);
    expect(i2.ok && i2.attrs.localPref).toBe(100);

    const policy = new PolicySet({
      prefixLists: {},
      routeMaps: {
        OUT: [
          {
            seq: 10,
            action: 'permit',
            match: { prefixList: undefined, community: undefined, asPath: '^65515$' },
            set: {
              asPathPrepend: [65000, 65000],
              med: 20,
              localPref: undefined,
              community: ['65000:1'],
              communityAdditive: true,
            },
          },
        ],
      },
    });
    const rm = exportPath(
      p,
      {
        ...RS,
        exportFilter: policy.exportFilter({ prefixListOut: undefined, routeMapOut: 'OUT' }),
      },
      LOCAL_AS,
    );
    expect(rm.ok && rm.attrs.med).toBe(20);
    expect(rm.ok && rm.attrs.communities).toEqual([65000 * 65536 + 1]);
    // Route-map prepend, then as-override, then our own AS.
    expect(FIRST_AS(rm)).toEqual([65000, 65000, 65000, 65000]);
    const local = path('10.5.0.0/16', attrs([], { med: 5 }), localSource(LOCAL_AS, 1), 0, {
      local: 'network',
    });
    const lv = exportPath(local, RS, LOCAL_AS);
    expect(lv.ok && lv.attrs.med).toBe(5);
  });

  it('split horizon, no iBGP to iBGP, every routing context, NO_ADVERTISE and NO_EXPORT (RFC 1997)', () => {
    const p = path('10.1.0.0/16', attrs([65515]), GW);
    expect(exportPath(p, exportPeer('169.254.21.2', 65515), LOCAL_AS)).toEqual({
      ok: false,
      reason: 'split-horizon',
    });
    const fromIbgp = path('10.1.0.0/16', attrs([]), peer('10.9.0.2', LOCAL_AS, { isIbgp: true }));
    const ibgp = exportPeer('10.9.0.1', LOCAL_AS, { isIbgp: true });
    expect(exportPath(fromIbgp, ibgp, LOCAL_AS)).toEqual({ ok: false, reason: 'ibgp-to-ibgp' });
    expect(exportPath(fromIbgp, RS, LOCAL_AS).ok).toBe(true);
    // A routing context is a session's transport: routes go to neighbors in every context…
    expect(exportPath(p, { ...RS, routingContext: 'red' }, LOCAL_AS).ok).toBe(true);
    // …but never back to the address they came from, whatever context it is reached in.
    expect(
      exportPath(p, exportPeer('169.254.21.2', 65515, { routingContext: 'outside-two' }), LOCAL_AS),
    ).toEqual({ ok: false, reason: 'split-horizon' });

    const noExport = path(
      '10.1.0.0/16',
      attrs([65515], { communities: [WellKnownCommunity.NO_EXPORT] }),
      GW,
    );
    expect(exportPath(noExport, RS, LOCAL_AS)).toEqual({ ok: false, reason: 'no-export' });
    expect(exportPath(noExport, ibgp, LOCAL_AS).ok).toBe(true);
    const noAdv = path(
      '10.1.0.0/16',
      attrs([65515], { communities: [WellKnownCommunity.NO_ADVERTISE] }),
      GW,
    );
    expect(exportPath(noAdv, ibgp, LOCAL_AS)).toEqual({ ok: false, reason: 'no-advertise' });
    expect(exportPath(noAdv, RS, LOCAL_AS).ok).toBe(false);
  });

  it('outbound prefix-list filters (policy reason)', () => {
    const policy = new PolicySet({
      prefixLists: {
        ONLY10: [{ seq: 5, action: 'permit', prefix: '10.0.0.0/8', ge: undefined, le: 32 }],
      },
      routeMaps: {},
    });
    const peerOut = {
      ...RS,
      exportFilter: policy.exportFilter({ prefixListOut: 'ONLY10', routeMapOut: undefined }),
    };
    expect(exportPath(path('10.1.0.0/16', attrs([65515]), GW), peerOut, LOCAL_AS).ok).toBe(true);
    expect(exportPath(path('172.16.0.0/12', attrs([65515]), GW), peerOut, LOCAL_AS)).toEqual({
      ok: false,
      reason: 'policy',
    });
  });
});
