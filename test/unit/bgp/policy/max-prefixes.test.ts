import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLD_PERCENT,
  familyAfiSafi,
  MaxPrefixGuard,
  maxPrefixesNotification,
  PrefixLimiter,
} from '../../../../src/bgp/policy/max-prefixes.js';
import { encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import { describeNotification } from '../../../../src/bgp/wire/notification.js';

describe('MaxPrefixGuard', () => {
  it('warns once at the 75 % threshold (Catalyst default), re-arms below it', () => {
    expect(DEFAULT_THRESHOLD_PERCENT).toBe(75);
    const g = new MaxPrefixGuard({ limit: 10, action: 'teardown' });
    expect(g.threshold).toBe(8); // ceil(7.5)
    expect(g.update(7)).toBeUndefined();
    expect(g.update(8)).toEqual({ kind: 'threshold', count: 8, limit: 10 });
    expect(g.update(9)).toBeUndefined();
    expect(g.update(10)).toBeUndefined(); // at the limit is not over it
    expect(g.update(7)).toBeUndefined();
    expect(g.update(8)).toEqual({ kind: 'threshold', count: 8, limit: 10 });
  });

  it('reports exceeding once with the configured action, again only after falling back', () => {
    const g = new MaxPrefixGuard({ limit: 4, action: 'warn' });
    expect(g.update(5)).toEqual({ kind: 'exceeded', count: 5, limit: 4, action: 'warn' });
    expect(g.update(6)).toBeUndefined();
    expect(g.update(4)).toBeUndefined(); // threshold already warned for this excursion
    expect(g.update(5)).toEqual({ kind: 'exceeded', count: 5, limit: 4, action: 'warn' });
    g.reset();
    expect(g.update(3)).toEqual({ kind: 'threshold', count: 3, limit: 4 });
  });

  it('takes a threshold percentage from the policy', () => {
    const g = new MaxPrefixGuard({ limit: 100, action: 'teardown', thresholdPercent: 90 });
    expect(g.threshold).toBe(90);
    expect(g.update(89)).toBeUndefined();
    expect(g.update(90)?.kind).toBe('threshold');
  });
});

describe('Cease/Maximum Number of Prefixes Reached (RFC 4486 §4)', () => {
  it('carries AFI (2), SAFI (1) and the upper bound (4) as data: exact message bytes', () => {
    const { afi, safi } = familyAfiSafi('ipv4-unicast');
    const n = maxPrefixesNotification(afi, safi, 100);
    const bytes = encodeMessageBytes({ type: 'NOTIFICATION', notification: n }, { as4: true });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      `${'ff'.repeat(16)}001c03` + // marker, length 28, type NOTIFICATION
        '0601' + // Cease, subcode 1
        '0001' + // AFI 1 (IPv4)
        '01' + // SAFI 1 (unicast)
        '00000064', // upper bound 100
    );
    expect(describeNotification(n)).toBe('CEASE/MAXIMUM_NUMBER_OF_PREFIXES_REACHED');
  });

  it('IPv6 unicast and a 32-bit bound', () => {
    const { afi, safi } = familyAfiSafi('ipv6-unicast');
    const n = maxPrefixesNotification(afi, safi, 0xfffffffe);
    expect(Buffer.from(n.data).toString('hex')).toBe('000201fffffffe');
  });
});

describe('PrefixLimiter', () => {
  it('counts and guards each family separately', () => {
    const l = new PrefixLimiter({ limit: 4, action: 'teardown' });
    l.add('ipv4-unicast', 5);
    l.add('ipv6-unicast', 3);
    expect(l.check(['ipv4-unicast', 'ipv6-unicast'])).toEqual([
      {
        family: 'ipv4-unicast',
        event: { kind: 'exceeded', count: 5, limit: 4, action: 'teardown' },
      },
      { family: 'ipv6-unicast', event: { kind: 'threshold', count: 3, limit: 4 } },
    ]);
    l.add('ipv4-unicast', -2);
    expect(l.count('ipv4-unicast')).toBe(3);
    l.reset();
    expect(l.count('ipv6-unicast')).toBe(0);
    expect(l.check(['ipv6-unicast'])).toEqual([]);
  });

  it('without a policy reports nothing', () => {
    const l = new PrefixLimiter(undefined);
    l.add('ipv4-unicast', 1000);
    expect(l.check(['ipv4-unicast'])).toEqual([]);
  });
});
