/**
 * Incremental selection and FIB programming: `Rib.computeChanges()` recomputes only the routes
 * that changed when that is safe, and must always agree with a full `compute()`; the FIB
 * programmer told which routes changed must leave the kernel as a full pass would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rib, type NextHop, type SelectedRoute } from '../../../src/routing/index.js';
import { parsePrefix } from '../../../src/lib/index.js';
import { fixture } from './helpers.js';

const TUNNELS = ['T0', 'T1', 'T2'];
/** Prefixes that cover each other and the gateways below (so some changes move other routes). */
const PREFIXES = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.2.0.0/16', '20.0.0.0/24'];
const GATEWAYS = ['10.1.2.3', '10.2.0.1', '20.0.0.9', '30.0.0.1'];
const CONTEXTS = ['default', 'one'];

type Op =
  | { op: 'state'; tunnel: number; up: boolean }
  | { op: 'bgp'; ctx: number; prefix: number; hops: number[]; gwCtx: number }
  | { op: 'withdraw'; ctx: number; prefix: number }
  | { op: 'static'; ctx: number; prefix: number; tunnel: number }
  | { op: 'unstatic'; ctx: number; prefix: number }
  | { op: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('state' as const), tunnel: fc.nat(2), up: fc.boolean() }),
  fc.record({
    op: fc.constant('bgp' as const),
    ctx: fc.nat(1),
    prefix: fc.nat(PREFIXES.length - 1),
    // 0..2: tunnels, 3..6: gateways
    hops: fc.uniqueArray(fc.nat(6), { minLength: 1, maxLength: 3 }),
    gwCtx: fc.nat(2),
  }),
  fc.record({ op: fc.constant('withdraw' as const), ctx: fc.nat(1), prefix: fc.nat(4) }),
  fc.record({
    op: fc.constant('static' as const),
    ctx: fc.nat(1),
    prefix: fc.nat(PREFIXES.length - 1),
    tunnel: fc.nat(2),
  }),
  fc.record({ op: fc.constant('unstatic' as const), ctx: fc.nat(1), prefix: fc.nat(4) }),
  fc.constant({ op: 'clear' as const }),
);

function hopsOf(o: Extract<Op, { op: 'bgp' }>): NextHop[] {
  return o.hops.map((h): NextHop => {
    if (h < 3) return { kind: 'tunnel', tunnel: TUNNELS[h] ?? 'T0' };
    const address = GATEWAYS[h - 3] ?? '30.0.0.1';
    const context = CONTEXTS[o.gwCtx];
    return context === undefined
      ? { kind: 'gateway', address }
      : { kind: 'gateway', address, context };
  });
}

function applyOp(r: Rib, o: Op): void {
  const ctx = (i: number): string => CONTEXTS[i] ?? 'default';
  const pfx = (i: number): string => PREFIXES[i] ?? '10.0.0.0/8';
  switch (o.op) {
    case 'state':
      r.setTunnelState(TUNNELS[o.tunnel] ?? 'T0', o.up);
      break;
    case 'bgp': {
      const prefix = pfx(o.prefix);
      // Half the time with the binary prefix, as the BGP route sink passes it.
      const parsed = o.prefix % 2 === 0 ? (parsePrefix(prefix) ?? undefined) : undefined;
      r.set('bgp', ctx(o.ctx), prefix, { nexthops: hopsOf(o), distance: 20 }, parsed);
      break;
    }
    case 'withdraw':
      r.set('bgp', ctx(o.ctx), pfx(o.prefix), null);
      break;
    case 'static':
      r.set('static', ctx(o.ctx), pfx(o.prefix), {
        nexthops: [{ kind: 'tunnel', tunnel: TUNNELS[o.tunnel] ?? 'T0' }],
        distance: 1,
      });
      break;
    case 'unstatic':
      r.set('static', ctx(o.ctx), pfx(o.prefix), null);
      break;
    case 'clear':
      r.clearSource('bgp');
      break;
  }
}

function plain(m: ReadonlyMap<string, SelectedRoute>): Record<string, unknown> {
  return Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe('Rib.computeChanges', () => {
  it('always equals a full compute(), whatever the order of changes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 15 }),
        (batches) => {
          const r = new Rib(() => 0);
          // What a consumer keeps: the full table, then the changes applied to it.
          const table = new Map<string, SelectedRoute>();
          for (const batch of batches) {
            for (const o of batch) applyOp(r, o);
            const { selected, changed } = r.computeChanges();
            if (changed === null) {
              table.clear();
              for (const [k, v] of selected) table.set(k, v);
            } else {
              for (const k of selected.keys()) expect(changed.has(k)).toBe(true);
              for (const k of changed) {
                const v = selected.get(k);
                if (v) table.set(k, v);
                else table.delete(k);
              }
            }
            expect(plain(table)).toEqual(plain(r.compute()));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names only the changed BGP routes when no next hop resolves through them', () => {
    const r = new Rib(() => 0);
    r.setTunnelState('T0', true);
    r.set('static', 'default', '10.1.2.0/24', {
      nexthops: [{ kind: 'tunnel', tunnel: 'T0' }],
      distance: 1,
    });
    const gwHop: NextHop[] = [{ kind: 'gateway', address: '10.1.2.3' }];
    r.set('bgp', 'default', '172.16.0.0/16', { nexthops: gwHop, distance: 20 });
    expect(r.computeChanges().changed).toBeNull(); // first call: everything
    r.set('bgp', 'default', '172.17.0.0/16', { nexthops: gwHop, distance: 20 });
    const step = r.computeChanges();
    expect([...(step.changed ?? ['(all)'])]).toEqual(['default|172.17.0.0/16']);
    expect(step.selected.get('default|172.17.0.0/16')?.usable.map((n) => n.dev)).toEqual(['T0']);
    expect(step.selected.size).toBe(1);
    // The two routes share one next-hop list.
    expect(step.selected.get('default|172.17.0.0/16')?.usable).toBe(
      r.compute().get('default|172.16.0.0/16')?.usable,
    );
    // A BGP route covering the gateway can move the others: everything is recomputed.
    r.set('bgp', 'default', '10.1.0.0/16', {
      nexthops: [{ kind: 'tunnel', tunnel: 'T0' }],
      distance: 20,
    });
    expect(r.computeChanges().changed).toBeNull();
    // A tunnel state change also recomputes everything.
    r.setTunnelState('T1', true);
    expect(r.computeChanges().changed).toBeNull();
  });
});

describe('FIB programming of changed routes only', () => {
  it('leaves the kernel as a fresh full pass would (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        async (batches) => {
          const tunnels = ['Tunnel0', 'Tunnel1', 'Tunnel2'];
          const inc = fixture(tunnels);
          await inc.routing.start();
          const announced = new Map<string, NextHop[]>();
          const upSet = new Set<string>();
          for (const batch of batches) {
            for (const o of batch) {
              if (o.op === 'state') {
                const t = tunnels[o.tunnel] ?? '';
                if (o.up) upSet.add(t);
                else upSet.delete(t);
                inc.routing.setTunnelState(t, o.up);
              } else if (o.op === 'bgp' && o.ctx === 0) {
                const hops = hopsOf(o).map((h): NextHop =>
                  h.kind === 'tunnel'
                    ? { kind: 'tunnel', tunnel: `Tunnel${h.tunnel.slice(1)}` }
                    : h,
                );
                const prefix = PREFIXES[o.prefix] ?? '';
                announced.set(prefix, hops);
                inc.routing.upsertBgp('default', prefix, hops, { ebgp: true });
              } else if (o.op === 'withdraw' && o.ctx === 0) {
                const prefix = PREFIXES[o.prefix] ?? '';
                announced.delete(prefix);
                inc.routing.withdrawBgp('default', prefix);
              }
            }
            await inc.routing.settled();
          }
          // A fresh Routing given the final state in one go (one full pass).
          const full = fixture(tunnels);
          for (const t of upSet) full.routing.setTunnelState(t, true);
          for (const [prefix, hops] of announced)
            full.routing.upsertBgp('default', prefix, hops, { ebgp: true });
          await full.routing.start();
          expect(await kernelRoutes(inc)).toEqual(await kernelRoutes(full));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Routing restarts', () => {
  it('programs every route again after stop() and start(), then follows single changes', async () => {
    const f = fixture(['Tunnel0']);
    f.routing.setTunnelState('Tunnel0', true);
    await f.routing.start();
    for (let i = 0; i < 5; i++)
      f.routing.upsertBgp('default', `10.${i}.0.0/16`, [{ kind: 'tunnel', tunnel: 'Tunnel0' }], {
        ebgp: true,
      });
    await f.routing.settled();
    expect(await kernelRoutes(f)).toHaveLength(5);
    await f.routing.stop();
    expect(await f.kernel.listRoutes()).toEqual([]);
    await f.routing.start();
    expect(await kernelRoutes(f)).toEqual([
      '10.0.0.0/16 Tunnel0',
      '10.1.0.0/16 Tunnel0',
      '10.2.0.0/16 Tunnel0',
      '10.3.0.0/16 Tunnel0',
      '10.4.0.0/16 Tunnel0',
    ]);
    f.routing.withdrawBgp('default', '10.2.0.0/16');
    expect(await kernelRoutes(f)).toHaveLength(4);
  });
});

/** Routes as prefix → sorted devices of their nexthop (object ids differ between instances). */
async function kernelRoutes(f: ReturnType<typeof fixture>): Promise<string[]> {
  await f.routing.settled();
  const nhs = await f.kernel.listNexthops();
  const byId = new Map(nhs.map((n) => [n.id, n]));
  const devsOf = (id: number | undefined): string[] => {
    const n = id === undefined ? undefined : byId.get(id);
    if (!n) return [];
    if (n.group) return n.group.flatMap((g) => devsOf(g.id)).sort();
    return [`${n.dev ?? '?'}${n.via !== undefined ? ` via ${n.via}` : ''}`];
  };
  const routes = await f.kernel.listRoutes();
  return routes.map((r) => `${r.prefix} ${devsOf(r.nexthopId).join(',')}`).sort();
}
