/**
 * BGP next hops resolved in the routing context of the session that learned them (the
 * multi-tunnel design, shared example multi-tunnel-same-gateway.yaml): one gateway address,
 * 10.0.255.254, reached through Tunnel0 in `outside-one` and through Tunnel1 in `outside-two`;
 * the learned route goes to the MAIN table over a nexthop group with one member per tunnel.
 */
import { describe, expect, it } from 'vitest';
import { Rib } from '../../../src/routing/index.js';
import { config, down, fixture, ours, route, up } from './helpers.js';

const GW = '10.0.255.254';
const CONTEXTS = {
  'outside-one': { name: 'outside-one', table: 101, priority: undefined, auto: false },
  'outside-two': { name: 'outside-two', table: 102, priority: undefined, auto: false },
};
const TUNNELS = [
  { name: 'Tunnel0', address: '192.168.255.254/32', routingContext: 'outside-one' },
  { name: 'Tunnel1', address: '172.16.1.4/32', routingContext: 'outside-two' },
];
const STATICS = [
  route(`${GW}/32`, ['Tunnel0'], { routingContext: 'outside-one' }),
  route(`${GW}/32`, ['Tunnel1'], { routingContext: 'outside-two' }),
];
const HOPS = [
  { kind: 'gateway', address: GW, context: 'outside-one' },
  { kind: 'gateway', address: GW, context: 'outside-two' },
] as const;

describe('BGP next hops resolved per routing context', () => {
  it('the Rib resolves each gateway in its own context and keeps the route in its own', () => {
    const r = new Rib(() => 0);
    r.set('static', 'outside-one', `${GW}/32`, {
      nexthops: [{ kind: 'tunnel', tunnel: 'T0' }],
      distance: 1,
    });
    r.set('static', 'outside-two', `${GW}/32`, {
      nexthops: [{ kind: 'tunnel', tunnel: 'T1' }],
      distance: 1,
    });
    r.set('bgp', 'default', '10.1.0.0/16', {
      nexthops: [
        { kind: 'gateway', address: GW, context: 'outside-one' },
        { kind: 'gateway', address: GW, context: 'outside-two' },
      ],
      distance: 20,
    });
    r.setTunnelState('T0', true);
    r.setTunnelState('T1', true);
    const sel = r.compute().get('default|10.1.0.0/16');
    expect(sel?.candidates.map((n) => n.key)).toEqual(['dev|4|T0', 'dev|4|T1']);
    expect(sel?.usable.map((n) => n.dev)).toEqual(['T0', 'T1']);
    // Without a context the gateway is looked up in the route's own (default) table: unresolved.
    r.set('bgp', 'default', '10.2.0.0/16', {
      nexthops: [{ kind: 'gateway', address: GW }],
      distance: 20,
    });
    expect(r.compute().has('default|10.2.0.0/16')).toBe(false);
    const row = r.view().find((v) => v.prefix === '10.1.0.0/16');
    expect(row?.nexthops).toEqual([
      { via: GW, interface: 'T0', usable: true, context: 'outside-one' },
      { via: GW, interface: 'T1', usable: true, context: 'outside-two' },
    ]);
    // One tunnel down: the candidate set (the group's identity) stays, the usable subset shrinks.
    r.setTunnelState('T1', false);
    const after = r.compute().get('default|10.1.0.0/16');
    expect(after?.candidates.map((n) => n.dev)).toEqual(['T0', 'T1']);
    expect(after?.usable.map((n) => n.dev)).toEqual(['T0']);
  });

  it('installs one main-table route over a group of both tunnels; a tunnel down leaves one', async () => {
    const f = fixture();
    f.routing.applyStatic(config(STATICS, TUNNELS, CONTEXTS));
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    f.routing.upsertBgp('default', '10.1.0.0/16', HOPS, { ebgp: true, from: GW });
    await f.routing.settled();

    const main = await f.kernel.listRoutes({ table: 254 });
    expect(main).toEqual([expect.objectContaining({ prefix: '10.1.0.0/16', protocol: 186 })]);
    const members = async (): Promise<string[]> => {
      const nhs = await f.kernel.listNexthops();
      const g = nhs.find((n) => n.id === main[0]?.nexthopId);
      const ids = g?.group?.map((m) => m.id) ?? (g ? [g.id] : []);
      return ids.map((id) => nhs.find((n) => n.id === id)?.dev ?? '?').sort();
    };
    expect(await members()).toEqual(['Tunnel0', 'Tunnel1']);
    // The per-context peer /32s stay in their own tables.
    expect(await f.kernel.listRoutes({ table: 101 })).toHaveLength(1);
    expect(await f.kernel.listRoutes({ table: 102 })).toHaveLength(1);

    await down(f, 'Tunnel1');
    expect(await members()).toEqual(['Tunnel0']);
    await down(f, 'Tunnel0');
    expect(await f.kernel.listRoutes({ table: 254 })).toEqual([]);
    await up(f, 'Tunnel0', 'Tunnel1');
    expect((await f.kernel.listRoutes({ table: 254 })).map((r) => r.prefix)).toEqual([
      '10.1.0.0/16',
    ]);

    // The session in outside-two lost its path: BGP re-sends a one-hop set.
    f.routing.upsertBgp('default', '10.1.0.0/16', [HOPS[0]], { ebgp: true, from: GW });
    await f.routing.settled();
    const nhs = await f.kernel.listNexthops();
    const route = (await f.kernel.listRoutes({ table: 254 }))[0];
    const nh = nhs.find((n) => n.id === route?.nexthopId);
    expect(nh?.group === undefined ? nh?.dev : nh.group.length).toBe('Tunnel0');
    expect(nhs.filter(ours).every((n) => n.dev !== undefined || n.group !== undefined)).toBe(true);
  });
});
