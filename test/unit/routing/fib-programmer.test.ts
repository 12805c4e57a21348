/**
 * The FIB programmer through the Routing facade against the in-memory kernel: nexthop objects,
 * shared ECMP groups, tunnel failover as group updates, stale cleanup, shutdown, retries.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../../src/kernel/index.js';
import { NEXTHOP_ID_BASE } from '../../../src/routing/index.js';
import { config, down, fixture, mutations, ours, route, up } from './helpers.js';

describe('static ECMP over two tunnels', () => {
  it('installs 2 member nexthops, 1 group and 1 route (proto static)', async () => {
    const f = fixture();
    f.routing.applyStatic(config([route('10.1.0.0/24', ['Tunnel0', 'Tunnel1'])]));
    f.routing.setTunnelState('Tunnel0', true);
    f.routing.setTunnelState('Tunnel1', true);
    await f.routing.start();

    const nhs = await f.kernel.listNexthops();
    const members = nhs.filter((n) => n.group === undefined);
    const groups = nhs.filter((n) => n.group !== undefined);
    expect(members.map((m) => m.dev).sort()).toEqual(['Tunnel0', 'Tunnel1']);
    expect(members.every((m) => m.family === 4 && ours(m))).toBe(true);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.group?.map((g) => g.id).sort()).toEqual(members.map((m) => m.id).sort());
    const routes = await f.kernel.listRoutes({ table: 254 });
    expect(routes).toEqual([
      expect.objectContaining({ prefix: '10.1.0.0/24', nexthopId: groups[0]?.id, protocol: 4 }),
    ]);
    expect(f.routing.view().fib).toMatchObject({ nexthops: 2, groups: 1, routes: 1, failures: 0 });
  });

  it('tunnel down shrinks the group in one call; both down withdraws; up restores', async () => {
    const f = fixture();
    f.routing.applyStatic(config([route('10.1.0.0/24', ['Tunnel0', 'Tunnel1'])]));
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    const groupId = (await f.kernel.listRoutes())[0]?.nexthopId;
    const t1 = (await f.kernel.listNexthops()).find((n) => n.dev === 'Tunnel1');

    let mark = f.kernel.calls.length;
    await down(f, 'Tunnel1');
    // One group replace (the kernel refuses nexthops on a carrier-down device, so the member goes too).
    expect(mutations(f.kernel, mark)).toEqual(['replaceNexthop', 'deleteNexthop']);
    expect(f.kernel.calls[mark]?.args[0]).toMatchObject({
      id: groupId,
      group: [{ id: expect.any(Number) }],
    });
    expect(f.kernel.calls[mark + 1]?.args[0]).toBe(t1?.id);
    const g = (await f.kernel.listNexthops()).find((n) => n.id === groupId);
    expect(g?.group).toHaveLength(1);
    expect(await f.kernel.listRoutes()).toEqual([expect.objectContaining({ nexthopId: groupId })]);

    await down(f, 'Tunnel0');
    expect(await f.kernel.listRoutes()).toEqual([]);
    expect((await f.kernel.listNexthops()).filter(ours)).toEqual([]);
    expect(f.routing.view().routes).toEqual([
      expect.objectContaining({
        prefix: '10.1.0.0/24',
        selected: false,
        reason: 'no usable next hop',
      }),
    ]);

    mark = f.kernel.calls.length;
    await up(f, 'Tunnel0', 'Tunnel1');
    expect(mutations(f.kernel, mark)).toEqual([
      'replaceNexthop',
      'replaceNexthop',
      'replaceNexthop',
      'replaceRoute',
    ]);
    const routes = await f.kernel.listRoutes();
    expect(routes).toHaveLength(1);
    const restored = (await f.kernel.listNexthops()).find((n) => n.id === routes[0]?.nexthopId);
    expect(restored?.group).toHaveLength(2);
  });

  it('IPv6 routes over tunnels use IPv6-family device nexthops', async () => {
    const f = fixture();
    f.routing.applyStatic(
      config([
        route('10.1.0.0/24', ['Tunnel0', 'Tunnel1']),
        route('2001:db8:1::/48', ['Tunnel0', 'Tunnel1']),
      ]),
    );
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    const nhs = (await f.kernel.listNexthops()).filter((n) => n.group === undefined);
    expect(nhs.map((n) => `${n.dev}/${n.family}`).sort()).toEqual([
      'Tunnel0/4',
      'Tunnel0/6',
      'Tunnel1/4',
      'Tunnel1/6',
    ]);
    const v6 = (await f.kernel.listRoutes({ family: 6 }))[0];
    const g6 = (await f.kernel.listNexthops()).find((n) => n.id === v6?.nexthopId);
    const famOf = new Map(nhs.map((n) => [n.id, n.family]));
    expect(g6?.group?.map((m) => famOf.get(m.id))).toEqual([6, 6]);
  });
});

describe('BGP ECMP', () => {
  it('100 prefixes share one group, updated once when a tunnel is lost', async () => {
    const f = fixture(['Tunnel101', 'Tunnel102']);
    f.routing.applyStatic(
      config([route('169.254.21.2/32', ['Tunnel101']), route('169.254.21.6/32', ['Tunnel102'])]),
    );
    await f.routing.start();
    await up(f, 'Tunnel101', 'Tunnel102');
    for (let i = 0; i < 100; i++) {
      f.routing.upsertBgp('default', `10.${i}.0.0/16`, ['169.254.21.2', '169.254.21.6'], {
        ebgp: true,
        asPath: '65515',
      });
    }
    await f.routing.settled();
    const bgpRoutes = await f.kernel.listRoutes({ protocol: 186 });
    expect(bgpRoutes).toHaveLength(100);
    const ids = new Set(bgpRoutes.map((r) => r.nexthopId));
    expect(ids.size).toBe(1);
    const groups = (await f.kernel.listNexthops()).filter((n) => n.group !== undefined);
    expect(groups).toHaveLength(1);
    expect(f.routing.view().fib).toMatchObject({ nexthops: 2, groups: 1, routes: 102 });

    const mark = f.kernel.calls.length;
    await down(f, 'Tunnel102');
    const muts = mutations(f.kernel, mark);
    // The group and the /32 via Tunnel102 (its single-member nexthop) go; no BGP route is touched.
    expect(muts.filter((m) => m === 'replaceNexthop')).toHaveLength(1);
    expect(muts.some((m) => m.includes('Route'))).toBe(false);
    expect(await f.kernel.listRoutes({ protocol: 186 })).toHaveLength(100);
    expect((await f.kernel.listRoutes({ protocol: 4 })).map((r) => r.prefix)).toEqual([
      '169.254.21.2/32',
    ]);

    f.routing.withdrawBgp('default', '10.0.0.0/16');
    await f.routing.settled();
    expect(await f.kernel.listRoutes({ protocol: 186 })).toHaveLength(99);
  });

  it('static wins over eBGP by distance; a floating static (250) only backs BGP up', async () => {
    const f = fixture(['Tunnel0', 'Tunnel1']);
    f.routing.applyStatic(
      config([
        route('10.5.0.0/16', ['Tunnel0']),
        route('10.6.0.0/16', ['Tunnel0'], { distance: 250 }),
      ]),
    );
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    f.routing.upsertBgp('default', '10.5.0.0/16', [{ kind: 'tunnel', tunnel: 'Tunnel1' }], {
      ebgp: true,
    });
    f.routing.upsertBgp('default', '10.6.0.0/16', [{ kind: 'tunnel', tunnel: 'Tunnel1' }], {
      ebgp: true,
    });
    await f.routing.settled();
    const proto = async (p: string) =>
      (await f.kernel.listRoutes()).find((r) => r.prefix === p)?.protocol;
    expect(await proto('10.5.0.0/16')).toBe(4);
    expect(await proto('10.6.0.0/16')).toBe(186);
    await down(f, 'Tunnel0'); // static's tunnel down: BGP takes 10.5/16
    expect(await proto('10.5.0.0/16')).toBe(186);
    f.routing.withdrawBgp('default', '10.6.0.0/16');
    await up(f, 'Tunnel0');
    expect(await proto('10.6.0.0/16')).toBe(4);
  });
});

describe('gateway next hops', () => {
  it('resolve recursively through tunnel routes; unresolvable ones are reported, not installed', async () => {
    const f = fixture(['Tunnel101']);
    f.routing.applyStatic(
      config([
        route('169.254.21.2/32', ['Tunnel101']),
        route('10.9.0.0/16', '10.2.0.1'), // via a BGP route, via a static /32, via Tunnel101
        route('10.8.0.0/16', '192.0.2.1'), // nothing covers it
      ]),
    );
    await f.routing.start();
    await up(f, 'Tunnel101');
    f.routing.upsertBgp('default', '10.2.0.0/16', ['169.254.21.2'], { ebgp: true });
    await f.routing.settled();
    const member = (await f.kernel.listNexthops()).find((n) => n.dev === 'Tunnel101');
    const routes = await f.kernel.listRoutes();
    expect(routes.map((r) => `${r.prefix}:${r.nexthopId === member?.id}`).sort()).toEqual([
      '10.2.0.0/16:true',
      '10.9.0.0/16:true',
      '169.254.21.2/32:true',
    ]);
    const row = f.routing.view().routes.find((r) => r.prefix === '10.8.0.0/16');
    expect(row).toMatchObject({ code: 'S', selected: false, reason: 'unresolved next hop' });

    f.routing.withdrawBgp('default', '10.2.0.0/16');
    await f.routing.settled();
    expect((await f.kernel.listRoutes()).map((r) => r.prefix)).toEqual(['169.254.21.2/32']);
  });

  it('through a connected subnet of another interface becomes via <gw> dev <ifname>', async () => {
    const f = fixture(['Tunnel0']);
    f.kernel.addLink('eth1', { up: true, running: true });
    await f.kernel.addAddress('eth1', '172.16.2.4/24');
    f.routing.applyStatic(config([route('172.16.0.0/16', '172.16.2.1')]));
    await f.routing.start();
    const nh = (await f.kernel.listNexthops()).find(ours);
    expect(nh).toMatchObject({ dev: 'eth1', via: '172.16.2.1', family: 4 });
    expect(await f.kernel.listRoutes()).toEqual([
      expect.objectContaining({ prefix: '172.16.0.0/16', nexthopId: nh?.id, protocol: 4 }),
    ]);
  });
});

describe('routing contexts', () => {
  it('put routes in their own tables and add source rules', async () => {
    const f = fixture();
    f.routing.applyStatic(
      config(
        [
          route('10.0.255.254/32', ['Tunnel0'], { routingContext: 'outside-one' }),
          route('10.0.255.254/32', ['Tunnel1'], { routingContext: 'outside-two' }),
        ],
        [
          { name: 'Tunnel0', address: '192.168.255.254/32', routingContext: 'outside-one' },
          { name: 'Tunnel1', address: '172.16.1.4/32', routingContext: 'outside-two' },
        ],
        {
          'outside-one': { name: 'outside-one', table: 101, priority: 100, auto: false },
          'outside-two': { name: 'outside-two', table: 102, priority: undefined, auto: true },
        },
      ),
    );
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    const t101 = await f.kernel.listRoutes({ table: 101 });
    const t102 = await f.kernel.listRoutes({ table: 102 });
    const devOf = new Map((await f.kernel.listNexthops()).map((n) => [n.id, n.dev]));
    expect(t101.map((r) => `${r.prefix} ${devOf.get(r.nexthopId ?? 0)}`)).toEqual([
      '10.0.255.254/32 Tunnel0',
    ]);
    expect(t102.map((r) => `${r.prefix} ${devOf.get(r.nexthopId ?? 0)}`)).toEqual([
      '10.0.255.254/32 Tunnel1',
    ]);
    expect(await f.kernel.listRoutes({ table: 254 })).toEqual([]);
    expect(await f.kernel.listRules(4)).toEqual([
      { family: 4, priority: 100, table: 101, src: '192.168.255.254/32' },
      { family: 4, priority: 1000, table: 102, src: '172.16.1.4/32' },
    ]);
    // Connected routes are shown per context but never programmed (the kernel owns them).
    const rows = f.routing.view().routes.filter((r) => r.code === 'C');
    expect(rows.map((r) => `${r.context} ${r.prefix}`)).toEqual([
      'outside-one 192.168.255.254/32',
      'outside-two 172.16.1.4/32',
    ]);
  });
});

describe('lifecycle', () => {
  it('removes stale objects of a previous run at start, keeps foreign ones', async () => {
    const f = fixture();
    await f.kernel.replaceNexthop({
      id: NEXTHOP_ID_BASE + 7,
      dev: 'Tunnel0',
      family: 4,
      protocol: 186,
    });
    await f.kernel.replaceNexthop({
      id: NEXTHOP_ID_BASE + 9,
      group: [{ id: NEXTHOP_ID_BASE + 7 }],
      protocol: 186,
    });
    await f.kernel.replaceRoute({
      table: 254,
      prefix: '10.77.0.0/16',
      nexthopId: NEXTHOP_ID_BASE + 9,
      protocol: 186,
    });
    await f.kernel.replaceNexthop({ id: 5, dev: 'Tunnel0', family: 4 });
    await f.kernel.replaceRoute({ table: 254, prefix: '10.55.0.0/16', nexthopId: 5, protocol: 4 });
    await f.kernel.addRule({ family: 4, priority: 100, table: 101, src: '10.99.0.1/32' });
    await f.kernel.addRule({ family: 4, priority: 200, table: 50, src: '10.98.0.1/32' });
    f.routing.applyStatic(
      config([], [{ name: 'Tunnel0', address: '192.168.255.254/32', routingContext: 'one' }], {
        one: { name: 'one', table: 101, priority: 100, auto: false },
      }),
    );
    await f.routing.start();
    expect((await f.kernel.listNexthops()).map((n) => n.id)).toEqual([5]);
    expect((await f.kernel.listRoutes()).map((r) => r.prefix)).toEqual(['10.55.0.0/16']);
    expect((await f.kernel.listRules(4)).map((r) => r.src).sort()).toEqual([
      '10.98.0.1/32',
      '192.168.255.254/32',
    ]);
  });

  it('stop removes everything it created', async () => {
    const f = fixture();
    f.routing.applyStatic(
      config(
        [
          route('10.1.0.0/24', ['Tunnel0', 'Tunnel1']),
          route('10.2.0.0/24', ['Tunnel0'], { routingContext: 'one' }),
        ],
        [{ name: 'Tunnel0', address: '10.100.0.1/30', routingContext: 'one' }],
        { one: { name: 'one', table: 101, priority: 100, auto: false } },
      ),
    );
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    expect((await f.kernel.listRoutes()).length).toBe(2);
    expect((await f.kernel.listRules(4)).length).toBe(1);
    await f.routing.stop();
    expect(await f.kernel.listNexthops()).toEqual([]);
    expect(await f.kernel.listRoutes()).toEqual([]);
    expect(await f.kernel.listRules(4)).toEqual([]);
    expect(f.routing.view().fib).toMatchObject({ nexthops: 0, groups: 0, routes: 0, rules: 0 });
  });

  it('makes no kernel call when nothing changed', async () => {
    const f = fixture();
    const cfg = config([route('10.1.0.0/24', ['Tunnel0', 'Tunnel1'])]);
    f.routing.applyStatic(cfg);
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    f.routing.upsertBgp('default', '10.3.0.0/16', [{ kind: 'tunnel', tunnel: 'Tunnel0' }], {
      ebgp: true,
    });
    await f.routing.settled();
    const mark = f.kernel.calls.length;
    f.routing.applyStatic(cfg);
    await up(f, 'Tunnel0', 'Tunnel1');
    f.routing.upsertBgp('default', '10.3.0.0/16', [{ kind: 'tunnel', tunnel: 'Tunnel0' }], {
      ebgp: true,
    });
    await f.routing.settled();
    expect(f.kernel.calls.length).toBe(mark);
  });

  it('logs, counts and retries a failed kernel call on the next change', async () => {
    const f = fixture();
    f.routing.applyStatic(config([route('10.1.0.0/24', ['Tunnel0'])]));
    await f.routing.start();
    f.kernel.failNext('replaceNexthop', Errno.ENETDOWN);
    await up(f, 'Tunnel0');
    expect(await f.kernel.listRoutes()).toEqual([]);
    expect(f.routing.view().fib.failures).toBe(1);
    await up(f, 'Tunnel1'); // any change triggers a new pass
    expect((await f.kernel.listRoutes()).map((r) => r.prefix)).toEqual(['10.1.0.0/24']);
  });

  it('re-creates nexthops the kernel flushed when a device lost carrier', async () => {
    const f = fixture();
    f.routing.applyStatic(config([route('10.1.0.0/24', ['Tunnel0'])]));
    await f.routing.start();
    await up(f, 'Tunnel0');
    const before = (await f.kernel.listRoutes())[0];
    // The kernel flushes the nexthop (and its routes) on carrier loss; emulate that.
    await f.kernel.deleteNexthop(before?.nexthopId ?? 0);
    f.kernel.setCarrier('Tunnel0', false);
    f.kernel.setCarrier('Tunnel0', true);
    await f.routing.settled();
    expect((await f.kernel.listRoutes()).map((r) => r.prefix)).toEqual(['10.1.0.0/24']);
  });

  it('treats a tunnel device without carrier as down until carrier returns', async () => {
    const f = fixture();
    f.routing.applyStatic(config([route('10.1.0.0/24', ['Tunnel0', 'Tunnel1'])]));
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    const groupId = (await f.kernel.listRoutes())[0]?.nexthopId;
    f.kernel.setCarrier('Tunnel1', false);
    await f.routing.settled();
    const devOf = new Map((await f.kernel.listNexthops()).map((n) => [n.id, n.dev]));
    const g = (await f.kernel.listNexthops()).find((n) => n.id === groupId);
    expect(g?.group?.map((m) => devOf.get(m.id))).toEqual(['Tunnel0']);
    expect(f.routing.view().fib.failures).toBe(0);
    f.kernel.setCarrier('Tunnel1', true);
    await f.routing.settled();
    expect((await f.kernel.listNexthops()).find((n) => n.id === groupId)?.group).toHaveLength(2);
  });

  it('a config reload removes dropped static routes and rules', async () => {
    const f = fixture();
    const ctx = { one: { name: 'one', table: 101, priority: 100, auto: false } };
    const tun = [{ name: 'Tunnel0', address: '10.100.0.1/30', routingContext: 'one' }];
    f.routing.applyStatic(
      config([route('10.1.0.0/24', ['Tunnel0']), route('10.2.0.0/24', ['Tunnel1'])], tun, ctx),
    );
    await f.routing.start();
    await up(f, 'Tunnel0', 'Tunnel1');
    expect((await f.kernel.listRoutes()).length).toBe(2);
    f.routing.applyStatic(config([route('10.2.0.0/24', ['Tunnel1'])]));
    await f.routing.settled();
    expect((await f.kernel.listRoutes()).map((r) => r.prefix)).toEqual(['10.2.0.0/24']);
    expect(await f.kernel.listRules(4)).toEqual([]);
    expect((await f.kernel.listNexthops()).map((n) => n.dev)).toEqual(['Tunnel1']);
  });
});
