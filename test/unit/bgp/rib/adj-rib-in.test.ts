import { describe, expect, it } from 'vitest';
import { PolicySet } from '../../../../src/bgp/policy/policy-set.js';
import { AdjRibIn } from '../../../../src/bgp/rib/adj-rib-in.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { attrs, peer, pfx } from './helpers.js';

const LOCAL_AS = 65000;
const GW = peer('169.254.21.2', 65515);

describe('AdjRibIn', () => {
  it('rejects paths carrying our ASN (RFC 4271 §9.1.2) unless allowas-in permits the count', () => {
    const strict = new AdjRibIn(GW, { localAsn: LOCAL_AS, allowasIn: 0 });
    expect(strict.announce(pfx('10.0.0.0/8'), attrs([65515, 65000, 65010]), 0)).toBeUndefined();
    expect(strict.get(pfx('10.0.0.0/8'))?.rejected).toBe('as-loop');
    expect(strict.get(pfx('10.0.0.0/8'))?.pre.flags.asLoop).toBe(true);
    expect(strict.receivedCount).toBe(1);
    expect(strict.acceptedCount).toBe(0);

    const allow1 = new AdjRibIn(GW, { localAsn: LOCAL_AS, allowasIn: 1 });
    expect(allow1.announce(pfx('10.0.0.0/8'), attrs([65515, 65000]), 0)?.kind).toBe('update');
    expect(allow1.announce(pfx('10.1.0.0/16'), attrs([65515, 65000, 65000]), 0)).toBeUndefined();
    expect(allow1.acceptedCount).toBe(1);

    const allow2 = new AdjRibIn(GW, { localAsn: LOCAL_AS, allowasIn: 2 });
    expect(allow2.announce(pfx('10.1.0.0/16'), attrs([65515, 65000, 65000]), 0)?.kind).toBe(
      'update',
    );
  });

  it('keeps pre- and post-policy paths; the import route-map rewrites and filters', () => {
    const policy = new PolicySet({
      prefixLists: {
        AZ: [{ seq: 5, action: 'permit', prefix: '10.0.0.0/8', ge: undefined, le: 24 }],
      },
      routeMaps: {
        IN: [
          {
            seq: 10,
            action: 'permit',
            match: { prefixList: 'AZ', community: undefined, asPath: undefined },
            set: {
              asPathPrepend: undefined,
              med: undefined,
              localPref: 200,
              community: undefined,
              communityAdditive: false,
            },
          },
        ],
      },
    });
    const rib = new AdjRibIn(GW, {
      localAsn: LOCAL_AS,
      allowasIn: 0,
      importFilter: policy.importFilter({ prefixListIn: undefined, routeMapIn: 'IN' }),
    });
    const c = rib.announce(pfx('10.2.0.0/16'), attrs([65515]), 0);
    expect(c?.kind === 'update' && c.path.attrs.localPref).toBe(200);
    expect(rib.get(pfx('10.2.0.0/16'))?.pre.attrs.localPref).toBeUndefined();
    expect(rib.announce(pfx('192.168.0.0/16'), attrs([65515]), 0)).toBeUndefined();
    expect(rib.get(pfx('192.168.0.0/16'))?.rejected).toBe('policy');
    expect([rib.receivedCount, rib.acceptedCount]).toEqual([2, 1]);

    // Implicit withdraw by a re-announcement the policy now rejects.
    const w = rib.announce(pfx('10.2.0.0/16'), attrs([65515], { localPref: 5 }), 1);
    expect(w?.kind).toBe('update');
    expect(rib.announce(pfx('10.2.0.0/16'), attrs([65515], { localPref: 5 }), 2)).toBeUndefined();

    // Soft reconfiguration inbound: permit everything now.
    const changes = rib.reconfigure({ importFilter: (r) => r.attrs });
    expect(changes.map((x) => x.kind)).toEqual(['update', 'update']);
    expect(rib.acceptedCount).toBe(2);
  });

  it('withdraws only what was accepted and clears on session down', () => {
    const rib = new AdjRibIn(GW, { localAsn: LOCAL_AS, allowasIn: 0 });
    rib.announce(pfx('10.0.0.0/8'), attrs([65515]), 0);
    rib.announce(pfx('10.1.0.0/16'), attrs([65515, 65000]), 0);
    expect(rib.withdraw(pfx('10.1.0.0/16'))).toBeUndefined();
    expect(rib.withdraw(pfx('10.9.0.0/16'))).toBeUndefined();
    expect(rib.withdraw(pfx('10.0.0.0/8'))?.kind).toBe('withdraw');
    rib.announce(pfx('10.3.0.0/16'), attrs([65515]), 0);
    expect(rib.clear()).toHaveLength(1);
    expect([rib.receivedCount, rib.acceptedCount]).toEqual([0, 0]);
  });

  it('keeps one attribute object for the NLRI of one UPDATE (equal parts), apart otherwise', () => {
    const rib = new AdjRibIn(GW, { localAsn: LOCAL_AS, allowasIn: 0 });
    const base = attrs([65515, 65010]);
    // As the session layer hands them over: one object per route, the same parts, equal next
    // hops in separate objects.
    const one = { ...base, nextHop: mustParseIp('169.254.21.2') };
    const two = { ...base, nextHop: mustParseIp('169.254.21.2') };
    const other = { ...base, nextHop: mustParseIp('169.254.21.6') };
    rib.announce(pfx('10.1.0.0/16'), one, 0);
    rib.announce(pfx('10.2.0.0/16'), two, 0);
    rib.announce(pfx('10.3.0.0/16'), other, 0);
    const a1 = rib.get(pfx('10.1.0.0/16'))?.pre.attrs;
    expect(a1).toBe(one);
    expect(rib.get(pfx('10.2.0.0/16'))?.pre.attrs).toBe(one);
    expect(rib.get(pfx('10.3.0.0/16'))?.pre.attrs).toBe(other);
    expect(rib.get(pfx('10.3.0.0/16'))?.pre.attrs.nextHop).toEqual(mustParseIp('169.254.21.6'));
    // Re-announcing with equal attributes changes nothing.
    expect(rib.announce(pfx('10.2.0.0/16'), { ...two }, 5)).toBeUndefined();
  });
});
