import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KernelError } from '../../../src/kernel/errors.js';
import { RtScope } from '../../../src/kernel/netlink/constants.js';
import { decodeRoute, encodeRoute } from '../../../src/kernel/netlink/route.js';
import { NlWriter } from '../../../src/kernel/netlink/wire.js';
import { buildRouteMessage, routeInfoOf, routeMessage } from '../../../src/kernel/route-spec.js';
import type { RouteSpec } from '../../../src/kernel/port.js';

function viaObject(spec: RouteSpec, oif: number | undefined, mode: 'replace' | 'delete'): string {
  const w = new NlWriter();
  encodeRoute(w, routeMessage(spec, oif === undefined ? {} : { oif }, mode));
  return w.finish().toString('hex');
}

function fast(spec: RouteSpec, oif: number | undefined, mode: 'replace' | 'delete'): string {
  const w = new NlWriter();
  buildRouteMessage(w, spec, oif === undefined ? {} : { oif }, mode);
  return w.finish().toString('hex');
}

describe('route specs → rtmsg', () => {
  it('the bulk fast path encodes the same bytes as the general path', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.option(fc.integer({ min: 1, max: 1 << 20 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 9999 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
        fc.constantFrom('replace' as const, 'delete' as const),
        (ip, len, table, nh, metric, oif, mode) => {
          const spec: RouteSpec = {
            table,
            prefix: `${ip}/${len}`,
            protocol: 186,
            ...(nh !== undefined ? { nexthopId: nh } : {}),
            ...(metric !== undefined ? { metric } : {}),
          };
          expect(fast(spec, oif, mode)).toBe(viaObject(spec, oif, mode));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('clears host bits, picks scope like iproute2, and carries the table', () => {
    const m = decodeRoute(
      Buffer.from(
        fast(
          { table: 1000, prefix: '10.1.2.3/16', protocol: 186, nexthopId: 7 },
          undefined,
          'replace',
        ),
        'hex',
      ),
    );
    expect(Array.from(m.dst!)).toEqual([10, 1, 0, 0]);
    expect(m.table).toBe(1000);
    expect(m.scope).toBe(RtScope.RT_SCOPE_UNIVERSE);
    expect(m.nhId).toBe(7);
    expect(
      routeMessage({ table: 254, prefix: '10.0.0.0/8', protocol: 4 }, { oif: 3 }, 'replace').scope,
    ).toBe(RtScope.RT_SCOPE_LINK);
    expect(
      routeMessage({ table: 254, prefix: '10.0.0.0/8', protocol: 4 }, {}, 'delete').scope,
    ).toBe(RtScope.RT_SCOPE_NOWHERE);
  });

  it('handles IPv6, gateways and preferred sources through the general path', () => {
    const spec: RouteSpec = {
      table: 254,
      prefix: '2001:db8:1::/48',
      via: 'fe80::1',
      src: '2001:db8::1',
      protocol: 186,
      metric: 5,
    };
    const m = decodeRoute(Buffer.from(fast(spec, 4, 'replace'), 'hex'));
    expect(routeInfoOf(m, new Map([[4, 'eth0']]))).toEqual({
      family: 6,
      table: 254,
      prefix: '2001:db8:1::/48',
      protocol: 186,
      dev: 'eth0',
      via: 'fe80::1',
      src: '2001:db8::1',
      metric: 5,
    });
  });

  it('rejects malformed prefixes with a KernelError naming the route', () => {
    for (const prefix of ['10.0.0.0/33', '10.0.0/8', 'nope', '1.2.3.256/8']) {
      const w = new NlWriter();
      expect(() => {
        buildRouteMessage(w, { table: 254, prefix, protocol: 186 }, {}, 'replace');
      }).toThrow(KernelError);
    }
    try {
      routeMessage({ table: 254, prefix: 'x/1', protocol: 186 }, {}, 'replace');
    } catch (e) {
      expect((e as Error).message).toBe('replace route x/1 table 254: not a prefix: x/1');
    }
  });

  it('skips non-unicast and cloned routes in dumps', () => {
    const base = {
      family: 2,
      dstLen: 8,
      srcLen: 0,
      tos: 0,
      table: 255,
      protocol: 2,
      scope: 254,
      flags: 0,
    };
    expect(routeInfoOf({ ...base, type: 2 }, new Map())).toBeNull(); // RTN_LOCAL
    expect(routeInfoOf({ ...base, type: 1, flags: 0x200 }, new Map())).toBeNull(); // RTM_F_CLONED
    expect(routeInfoOf({ ...base, type: 1 }, new Map())?.prefix).toBe('0.0.0.0/8');
  });
});
