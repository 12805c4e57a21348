import { describe, expect, it } from 'vitest';
import type { RouteMapEntry } from '../../../../src/config/types.js';
import { AsPathRegex } from '../../../../src/bgp/policy/as-path-regex.js';
import { formatCommunity, parseCommunity } from '../../../../src/bgp/policy/community.js';
import { MaxPrefixGuard } from '../../../../src/bgp/policy/max-prefixes.js';
import { PolicySet } from '../../../../src/bgp/policy/policy-set.js';
import { WellKnownCommunity } from '../../../../src/bgp/wire/constants.js';
import { attrs, pfx } from '../rib/helpers.js';

function entry(
  seq: number,
  action: 'permit' | 'deny',
  match: Partial<RouteMapEntry['match']> = {},
  set: Partial<RouteMapEntry['set']> = {},
): RouteMapEntry {
  return {
    seq,
    action,
    match: { prefixList: undefined, community: undefined, asPath: undefined, ...match },
    set: {
      asPathPrepend: undefined,
      med: undefined,
      localPref: undefined,
      community: undefined,
      communityAdditive: false,
      ...set,
    },
  };
}

const policy = new PolicySet({
  prefixLists: {
    VNET: [{ seq: 5, action: 'permit', prefix: '10.0.0.0/8', ge: undefined, le: 24 }],
  },
  routeMaps: {
    RM: [
      entry(30, 'permit', {}, { med: 99 }),
      entry(10, 'deny', { community: 'no-export' }),
      entry(
        20,
        'permit',
        { prefixList: 'VNET', asPath: '^65515_' },
        {
          asPathPrepend: [65010, 65010],
          localPref: 150,
          community: ['65010:1', '65010:2'],
          communityAdditive: true,
        },
      ),
      entry(25, 'permit', { community: '65000:7' }, { community: ['65010:9'] }),
    ],
    EMPTY: [],
  },
});
const rm = policy.routeMap('RM');

describe('route-map', () => {
  it('evaluates entries in sequence order: deny by community first', () => {
    const r = rm.apply({
      prefix: pfx('10.1.0.0/16'),
      attrs: attrs([65515], { communities: [WellKnownCommunity.NO_EXPORT] }),
    });
    expect(r).toEqual({ action: 'deny', seq: 10 });
  });

  it('match prefix-list AND as-path; sets prepend, local-pref and additive communities', () => {
    const r = rm.apply({
      prefix: pfx('10.1.0.0/16'),
      attrs: attrs([65515, 65020], { communities: [5] }),
    });
    expect(r.action).toBe('permit');
    if (r.action !== 'permit') return;
    expect(r.seq).toBe(20);
    expect(r.attrs.asPath).toEqual([{ type: 2, asns: [65010, 65010, 65515, 65020] }]);
    expect(r.attrs.localPref).toBe(150);
    expect(r.attrs.communities).toEqual([5, parseCommunity('65010:1'), parseCommunity('65010:2')]);
  });

  it('community replace (not additive), catch-all entry and implicit deny', () => {
    const rep = rm.apply({
      prefix: pfx('172.16.0.0/12'),
      attrs: attrs([65001], { communities: [parseCommunity('65000:7'), 1] }),
    });
    expect(rep.action === 'permit' && rep.attrs.communities).toEqual([parseCommunity('65010:9')]);
    // Prefix outside VNET, no community: only the catch-all seq 30 matches.
    const all = rm.apply({ prefix: pfx('172.16.0.0/12'), attrs: attrs([65515]) });
    expect(all.action === 'permit' && [all.seq, all.attrs.med]).toEqual([30, 99]);
    expect(policy.routeMap('EMPTY').apply({ prefix: pfx('10.0.0.0/8'), attrs: attrs([]) })).toEqual(
      {
        action: 'deny',
        seq: undefined,
      },
    );
  });

  it('a referenced but undefined route-map or prefix-list denies everything', () => {
    expect(policy.routeMap('NOPE').defined).toBe(false);
    const f = policy.filter(undefined, 'NOPE');
    expect(f({ prefix: pfx('10.0.0.0/8'), attrs: attrs([65001]) })).toBeUndefined();
    const g = policy.filter('NOPE', undefined);
    expect(g({ prefix: pfx('10.0.0.0/8'), attrs: attrs([65001]) })).toBeUndefined();
    const none = policy.filter(undefined, undefined);
    const a = attrs([65001]);
    expect(none({ prefix: pfx('10.0.0.0/8'), attrs: a })).toBe(a);
  });
});

describe('Cisco AS-path regular expressions', () => {
  it.each([
    ['_65515_', '65515', true],
    ['_65515_', '65001 65515 65020', true],
    ['_65515_', '165515 65020', false],
    ['_65515_', '{65515,65001}', true],
    ['_65515_', '65001 {65515 65002}', true],
    ['^$', '', true],
    ['^$', '65001', false],
    ['^65001_', '65001 65002', true],
    ['^65001_', '65002 65001', false],
    ['^65001$', '65001', true],
    ['_65020$', '65515 65020', true],
    ['^65515_[0-9]+$', '65515 65020', true],
    ['^65515_[0-9]+$', '65515 65020 65021', false],
  ])('%s on "%s" → %s', (re, path, expected) => {
    expect(new AsPathRegex(re).test(path)).toBe(expected);
  });

  it('rejects an invalid expression with a clear error', () => {
    expect(() => new AsPathRegex('(65001')).toThrow(/bad as-path regex/);
  });
});

describe('communities (RFC 1997)', () => {
  it('parses and formats AS:value and well-known names', () => {
    expect(parseCommunity('65535:65282')).toBe(WellKnownCommunity.NO_ADVERTISE);
    expect(parseCommunity('no-export')).toBe(0xffffff01);
    expect(parseCommunity('local-as')).toBe(0xffffff03);
    expect(formatCommunity(parseCommunity('65000:100'))).toBe('65000:100');
    expect(formatCommunity(0xffffff02)).toBe('no-advertise');
    expect(() => parseCommunity('65536:1')).toThrow();
  });
});

describe('maximum-prefix guard', () => {
  it('warns once at 75 %, reports exceeding once with the configured action, re-arms below', () => {
    const g = new MaxPrefixGuard({ limit: 100, action: 'teardown' });
    expect(g.update(10)).toBeUndefined();
    expect(g.update(75)).toEqual({ kind: 'threshold', count: 75, limit: 100 });
    expect(g.update(90)).toBeUndefined();
    expect(g.update(100)).toBeUndefined();
    expect(g.update(101)).toEqual({ kind: 'exceeded', count: 101, limit: 100, action: 'teardown' });
    expect(g.update(150)).toBeUndefined();
    expect(g.update(10)).toBeUndefined();
    expect(g.update(80)?.kind).toBe('threshold');
    g.reset();
    expect(new MaxPrefixGuard({ limit: 4, action: 'warn' }, 50).update(2)?.kind).toBe('threshold');
  });
});
