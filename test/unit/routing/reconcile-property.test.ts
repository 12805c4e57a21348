/**
 * Property: after any sequence of tunnel flaps and BGP announcements/withdrawals, the kernel holds
 * exactly one route per announced prefix with an up tunnel, its nexthop (or group) spans exactly
 * the up tunnels of its ECMP set, and no nexthop object of ours is left unreferenced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, ours } from './helpers.js';

const TUNNELS = ['Tunnel0', 'Tunnel1', 'Tunnel2'];

type Op =
  | { op: 'state'; tunnel: number; up: boolean }
  | { op: 'announce'; prefix: number; tunnels: number[] }
  | { op: 'withdraw'; prefix: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('state' as const), tunnel: fc.nat(2), up: fc.boolean() }),
  fc.record({
    op: fc.constant('announce' as const),
    prefix: fc.nat(5),
    tunnels: fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ op: fc.constant('withdraw' as const), prefix: fc.nat(5) }),
);

describe('reconcile property', () => {
  it('kernel state always matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        async (batches) => {
          const f = fixture(TUNNELS);
          await f.routing.start();
          const upSet = new Set<string>();
          const announced = new Map<string, string[]>();
          for (const batch of batches) {
            for (const o of batch) {
              if (o.op === 'state') {
                const t = TUNNELS[o.tunnel] ?? '';
                if (o.up) upSet.add(t);
                else upSet.delete(t);
                f.routing.setTunnelState(t, o.up);
              } else if (o.op === 'announce') {
                const ts = o.tunnels.map((i) => TUNNELS[i] ?? '');
                announced.set(`10.${o.prefix}.0.0/16`, ts);
                f.routing.upsertBgp(
                  'default',
                  `10.${o.prefix}.0.0/16`,
                  ts.map((tunnel) => ({ kind: 'tunnel', tunnel })),
                  { ebgp: true },
                );
              } else {
                announced.delete(`10.${o.prefix}.0.0/16`);
                f.routing.withdrawBgp('default', `10.${o.prefix}.0.0/16`);
              }
            }
            await f.routing.settled();

            const nhs = await f.kernel.listNexthops();
            const byId = new Map(nhs.map((n) => [n.id, n]));
            const devsOf = (id: number | undefined): string[] => {
              const n = id === undefined ? undefined : byId.get(id);
              if (!n) return [];
              if (n.group) return n.group.flatMap((g) => devsOf(g.id)).sort();
              return [n.dev ?? '?'];
            };
            const expected = [...announced]
              .map(([p, ts]) => [p, ts.filter((t) => upSet.has(t)).sort()] as const)
              .filter(([, ts]) => ts.length > 0)
              .map(([p, ts]) => `${p} ${ts.join(',')}`)
              .sort();
            const routes = await f.kernel.listRoutes();
            const actual = routes.map((r) => `${r.prefix} ${devsOf(r.nexthopId).join(',')}`).sort();
            expect(actual).toEqual(expected);
            const referenced = new Set(routes.map((r) => r.nexthopId));
            for (const n of nhs.filter((x) => x.group !== undefined))
              for (const g of n.group ?? []) referenced.add(g.id);
            expect(nhs.filter((n) => ours(n) && !referenced.has(n.id))).toEqual([]);
          }
          await f.routing.stop();
          expect(await f.kernel.listNexthops()).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
