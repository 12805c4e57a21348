import { describe, expect, it } from 'vitest';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import {
  asPathCount,
  asPathLength,
  attrKey,
  comparePrefixes,
  normaliseAttrs,
  prependAsns,
  routerIdNumber,
  withNextHop,
} from '../../../../src/bgp/rib/path.js';
import { Afi, AsPathSegmentType as T, Safi } from '../../../../src/bgp/wire/constants.js';
import type { PathAttribute } from '../../../../src/bgp/wire/attributes/types.js';
import { attrs, pfx } from './helpers.js';

describe('Path helpers', () => {
  it('AS_PATH length per RFC 4271 §9.1.2.2 a: AS_SET counts 1, confederation segments 0', () => {
    const a = attrs([], {
      asPath: [
        { type: T.AS_CONFED_SEQUENCE, asns: [64512, 64513] },
        { type: T.AS_SEQUENCE, asns: [65001, 65002] },
        { type: T.AS_SET, asns: [1, 2, 3] },
        { type: T.AS_CONFED_SET, asns: [64514] },
      ],
    });
    expect(asPathLength(a)).toBe(3);
    expect(asPathCount(attrs([65000, 65001, 65000]), 65000)).toBe(2);
  });

  it('normalises decoded attributes (IPv4 NEXT_HOP, IPv6 MP_REACH next hop, sorted communities)', () => {
    const wire: PathAttribute[] = [
      { type: 'ORIGIN', flags: 0x40, origin: 0 },
      { type: 'AS_PATH', flags: 0x40, segments: [{ type: 2, asns: [65515] }] },
      { type: 'NEXT_HOP', flags: 0x40, nextHop: mustParseIp('169.254.21.2') },
      { type: 'MULTI_EXIT_DISC', flags: 0x80, med: 7 },
      { type: 'COMMUNITIES', flags: 0xc0, communities: [0xfde80002, 0xfde80001, 0xfde80002] },
      { type: 'UNKNOWN', flags: 0xe0, code: 99, value: Uint8Array.of(1, 2) },
      {
        type: 'MP_REACH_NLRI',
        flags: 0x80,
        afi: Afi.IPV6,
        safi: Safi.UNICAST,
        nextHops: [mustParseIp('fd00::2')],
        nlri: [pfx('fd01::/64')],
      },
    ];
    const v4 = normaliseAttrs(wire, 'ipv4-unicast');
    expect(v4.origin).toBe(0);
    expect(v4.med).toBe(7);
    expect(v4.localPref).toBeUndefined();
    expect(v4.communities).toEqual([0xfde80001, 0xfde80002]);
    expect(v4.nextHop && [...v4.nextHop.bytes]).toEqual([169, 254, 21, 2]);
    expect(v4.unknown.map((u) => u.code)).toEqual([99]);
    const v6 = normaliseAttrs(wire, 'ipv6-unicast');
    expect(v6.nextHop?.family).toBe(6);
  });

  it('attribute key is equal for equal sets and differs on any attribute change', () => {
    const a = attrs([65001], { communities: [1, 2] });
    expect(attrKey(a)).toBe(attrKey(attrs([65001], { communities: [1, 2] })));
    const variants = [
      attrs([65002], { communities: [1, 2] }),
      attrs([65001], { communities: [1] }),
      attrs([65001], { communities: [1, 2], med: 0 }),
      attrs([65001], { communities: [1, 2], localPref: 100 }),
      attrs([65001], { communities: [1, 2], nextHop: mustParseIp('192.0.2.2') }),
      attrs([65001], { communities: [1, 2], origin: 2 }),
    ];
    for (const v of variants) expect(attrKey(v)).not.toBe(attrKey(a));
  });

  it('prepends into the leading AS_SEQUENCE or a new one', () => {
    expect(prependAsns([{ type: 2, asns: [65515] }], [65000, 65000])).toEqual([
      { type: 2, asns: [65000, 65000, 65515] },
    ]);
    expect(prependAsns([{ type: 1, asns: [1, 2] }], [65000])).toEqual([
      { type: 2, asns: [65000] },
      { type: 1, asns: [1, 2] },
    ]);
    expect(prependAsns([], [65000])).toEqual([{ type: 2, asns: [65000] }]);
  });

  it('orders prefixes IPv4 first, then by address, then by length', () => {
    const ps = ['fd00::/8', '10.0.0.0/16', '10.0.0.0/8', '9.0.0.0/8'].map(pfx);
    expect(ps.sort(comparePrefixes).map((p) => `${p.addr.family}/${p.len}`)).toEqual([
      '4/8',
      '4/8',
      '4/16',
      '6/8',
    ]);
    expect(routerIdNumber('10.0.0.1')).toBe(0x0a000001);
    expect(routerIdNumber('255.255.255.255')).toBe(0xffffffff);
  });

  it("one UPDATE's NLRI share one attribute object per next hop (normalised once)", () => {
    const decoded: PathAttribute[] = [
      { type: 'ORIGIN', flags: 0x40, origin: 0 },
      { type: 'AS_PATH', flags: 0x40, segments: [{ type: T.AS_SEQUENCE, asns: [65515] }] },
      { type: 'NEXT_HOP', flags: 0x40, nextHop: mustParseIp('169.254.21.2') },
    ];
    const base = normaliseAttrs(decoded, 'ipv4-unicast');
    expect(normaliseAttrs(decoded, 'ipv4-unicast')).toBe(base);
    const hop = mustParseIp('169.254.21.6');
    const a = withNextHop(base, hop);
    expect(a.nextHop).toBe(hop);
    expect(a.asPath).toBe(base.asPath);
    expect(withNextHop(base, hop)).toBe(a);
    expect(withNextHop(base, base.nextHop)).toBe(base);
    const other = withNextHop(base, mustParseIp('169.254.21.10'));
    expect(other).not.toBe(a);
    expect(attrKey(other)).not.toBe(attrKey(a));
  });
});
