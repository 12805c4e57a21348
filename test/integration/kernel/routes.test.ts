/**
 * Real kernel, real addon: nexthop objects and a group over two veths, 10k `proto bgp` routes in
 * table main and table 1000, group replace (member dropped, routes stay), nexthop deletes, rules
 * by source, route dumps filtered by protocol. `ip -j` in the namespace is the oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCallError, Netns } from './netns.js';

interface IpRouteJson {
  dst: string;
  nhid?: number;
  protocol?: string;
  gateway?: string;
  dev?: string;
  metric?: number;
}
interface IpNexthopJson {
  id: number;
  group?: { id: number; weight?: number }[];
  gateway?: string;
  dev?: string;
  protocol?: string;
}
interface IpRuleJson {
  priority: number;
  src?: string;
  srclen?: number;
  table: string;
}

const ns = new Netns('rt');
const COUNT = 10_000;

beforeAll(async () => {
  ns.create();
  ns.ip('link', 'add', 'nvr0', 'type', 'veth', 'peer', 'name', 'nvr1');
  ns.ip('link', 'add', 'nvr2', 'type', 'veth', 'peer', 'name', 'nvr3');
  for (const l of ['nvr0', 'nvr1', 'nvr2', 'nvr3']) ns.ip('link', 'set', l, 'up');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'nvr0');
  ns.ip('addr', 'add', '198.51.100.1/24', 'dev', 'nvr2');
  await ns.start();
});

afterAll(async () => {
  try {
    await ns.stop();
  } finally {
    ns.destroy();
  }
});

function routes(table: string): IpRouteJson[] {
  return ns.ipJson<IpRouteJson[]>('route', 'show', 'table', table, 'proto', 'bgp');
}

describe('nexthops, groups and bulk routes', () => {
  it('creates two gateway nexthops and an ECMP group', async () => {
    await ns.call('replaceNexthop', { id: 1, dev: 'nvr0', via: '192.0.2.2', protocol: 186 });
    await ns.call('replaceNexthop', { id: 2, dev: 'nvr2', via: '198.51.100.2', protocol: 186 });
    await ns.call('replaceNexthop', {
      id: 100,
      group: [{ id: 1 }, { id: 2, weight: 2 }],
      protocol: 186,
    });
    await ns.call('replaceNexthop', {
      id: 100,
      group: [{ id: 1 }, { id: 2, weight: 2 }],
      protocol: 186,
    });
    const nh = ns.ipJson<IpNexthopJson[]>('nexthop', 'show');
    expect(nh.find((n) => n.id === 1)).toMatchObject({
      gateway: '192.0.2.2',
      dev: 'nvr0',
      protocol: 'bgp',
    });
    expect(nh.find((n) => n.id === 100)?.group).toEqual([{ id: 1 }, { id: 2, weight: 2 }]);
    const ours = await ns.call<{ id: number; group?: unknown; dev?: string; via?: string }[]>(
      'listNexthops',
      { protocol: 186 },
    );
    expect(ours).toEqual([
      { id: 1, protocol: 186, family: 4, dev: 'nvr0', via: '192.0.2.2' },
      { id: 2, protocol: 186, family: 4, dev: 'nvr2', via: '198.51.100.2' },
      {
        id: 100,
        protocol: 186,
        group: [
          { id: 1, weight: 1 },
          { id: 2, weight: 2 },
        ],
      },
    ]);
  });

  it(`installs ${COUNT} routes on the group in table main and in table 1000`, async () => {
    const main = await ns.call<{ total: number; failed: number; ms: number }>(
      'bulkRoutes',
      COUNT,
      10,
      254,
      100,
    );
    const t1000 = await ns.call<{ total: number; failed: number }>(
      'bulkRoutes',
      COUNT,
      10,
      1000,
      100,
    );
    expect(main).toMatchObject({ total: COUNT, failed: 0 });
    expect(t1000).toMatchObject({ total: COUNT, failed: 0 });
    const m = routes('main');
    const t = routes('1000');
    expect(m).toHaveLength(COUNT);
    expect(t).toHaveLength(COUNT);
    expect(m.every((r) => r.nhid === 100)).toBe(true);
    expect(t[0]).toMatchObject({ dst: '10.0.0.0/24', nhid: 100 });
    // prefixes are 10.(i >> 8).(i & 255).0/24 for i < COUNT
    const dsts = new Set(t.map((r) => r.dst));
    expect(dsts.size).toBe(COUNT);
    expect(dsts.has('10.39.15.0/24')).toBe(true);
  });

  it('dumps routes filtered by protocol and table', async () => {
    ns.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.2', 'proto', 'static');
    const bgp = await ns.call<{ prefix: string; nexthopId?: number; table: number }[]>(
      'listRoutes',
      { protocol: 186 },
    );
    expect(bgp).toHaveLength(2 * COUNT);
    const t = await ns.call<{ prefix: string; table: number; nexthopId: number }[]>('listRoutes', {
      protocol: 186,
      table: 1000,
      family: 4,
    });
    expect(t).toHaveLength(COUNT);
    expect(t[5]).toEqual({
      family: 4,
      table: 1000,
      prefix: '10.0.5.0/24',
      protocol: 186,
      nexthopId: 100,
    });
    expect(await ns.call('listRoutes', { table: 4242, family: 4 })).toEqual([]);
    expect(await ns.call('listRoutes', { table: 4242 })).toEqual([]);
    const st = await ns.call<{ prefix: string; via: string; dev: string }[]>('listRoutes', {
      protocol: 4,
    });
    expect(st).toEqual([
      {
        family: 4,
        table: 254,
        prefix: '203.0.113.0/24',
        protocol: 4,
        dev: 'nvr0',
        via: '192.0.2.2',
      },
    ]);
  });

  it('replacing the group to drop a member keeps every route', async () => {
    await ns.call('replaceNexthop', { id: 100, group: [{ id: 2 }], protocol: 186 });
    expect(ns.ipJson<IpNexthopJson[]>('nexthop', 'show', 'id', '100')[0]?.group).toEqual([
      { id: 2 },
    ]);
    expect(routes('main')).toHaveLength(COUNT);
    expect(routes('1000')).toHaveLength(COUNT);
    // and the forwarding lookup now resolves through the remaining member
    const get = ns.ipJson<{ gateway: string; dev: string }[]>('route', 'get', '10.0.7.1');
    expect(get[0]).toMatchObject({ gateway: '198.51.100.2', dev: 'nvr2' });
  });

  it('single routes: replace, delete idempotently, and errors carry the kernel text', async () => {
    await ns.call('replaceRoute', {
      table: 1000,
      prefix: '172.16.0.0/12',
      via: '192.0.2.2',
      protocol: 186,
      metric: 10,
    });
    await ns.call('replaceRoute', {
      table: 1000,
      prefix: '172.16.0.0/12',
      via: '192.0.2.3',
      protocol: 186,
      metric: 10,
    });
    const r = routes('1000').filter((x) => x.dst === '172.16.0.0/12');
    expect(r).toEqual([expect.objectContaining({ gateway: '192.0.2.3', metric: 10 })]);
    await ns.call('deleteRoute', {
      table: 1000,
      prefix: '172.16.0.0/12',
      protocol: 186,
      metric: 10,
    });
    await ns.call('deleteRoute', {
      table: 1000,
      prefix: '172.16.0.0/12',
      protocol: 186,
      metric: 10,
    });
    expect(routes('1000').filter((x) => x.dst === '172.16.0.0/12')).toEqual([]);
    const e = await ns
      .call('replaceRoute', { table: 254, prefix: '10.99.0.0/16', nexthopId: 4242, protocol: 186 })
      .catch((x: unknown) => x);
    expect((e as AgentCallError).message).toBe(
      'replace route 10.99.0.0/16 table 254: Invalid argument (Nexthop id does not exist)',
    );
  });

  it('a batch reports each failing route by index and installs the rest', async () => {
    const specs = [
      { table: 1001, prefix: '10.50.0.0/16', nexthopId: 100, protocol: 186 },
      { table: 1001, prefix: '10.51.0.0/16', nexthopId: 4242, protocol: 186 }, // no such nexthop
      { table: 1001, prefix: '10.52.0.0/16', dev: 'nosuch0', protocol: 186 }, // no such device
      { table: 1001, prefix: '10.53.0.0/16', dev: 'nvr0', protocol: 186 },
      { table: 1001, prefix: '10.54.0.0/16', nexthopId: 4243, protocol: 186 }, // last one fails too
    ];
    const r = await ns.call<{
      total: number;
      failed: { index: number; error: { message: string; errno: number } }[];
    }>('replaceRoutes', specs);
    expect(r.total).toBe(5);
    expect(r.failed.map((f) => [f.index, f.error.errno])).toEqual([
      [1, 22],
      [2, 19],
      [4, 22],
    ]);
    expect(r.failed[0]?.error.message).toBe(
      'replace route 10.51.0.0/16 table 1001: Invalid argument (Nexthop id does not exist)',
    );
    expect(
      routes('1001')
        .map((x) => x.dst)
        .sort(),
    ).toEqual(['10.50.0.0/16', '10.53.0.0/16']);
    // (iproute2 6.1 `ip route flush` fails on nhid routes, so clean up through the batch API)
    const del = await ns.call<{ failed: unknown[] }>('deleteRoutes', specs);
    expect(del.failed).toEqual([]);
    expect(routes('1001')).toEqual([]);
  });

  it('a batch of several sends reports failures in every send by index', async () => {
    // 2,500 routes: three sends of up to 1,000, all sent before the replies are read.
    const bad = new Set([0, 999, 1000, 1777, 2499]);
    const specs = Array.from({ length: 2500 }, (_, i) => ({
      table: 1002,
      prefix: `10.${String(60 + (i >> 8))}.${String(i & 255)}.0/24`,
      nexthopId: bad.has(i) ? 4242 : 100,
      protocol: 186,
    }));
    const r = await ns.call<{
      total: number;
      failed: { index: number; error: { errno: number } }[];
    }>('replaceRoutes', specs);
    expect(r.total).toBe(2500);
    expect(r.failed.map((f) => [f.index, f.error.errno])).toEqual([...bad].map((i) => [i, 22]));
    expect(routes('1002')).toHaveLength(2495);
    const del = await ns.call<{ failed: unknown[] }>('deleteRoutes', specs);
    expect(del.failed).toEqual([]);
    expect(routes('1002')).toEqual([]);
  });

  it('batch deletes report per-route failures only for real errors', async () => {
    const specs = [
      { table: 1000, prefix: '10.0.0.0/24', protocol: 186 },
      { table: 1000, prefix: '10.0.0.0/24', protocol: 186 }, // already gone: fine
      { table: 1000, prefix: 'bogus', protocol: 186 },
    ];
    const r = await ns.call<{ total: number; failed: { index: number }[] }>('deleteRoutes', specs);
    expect(r.total).toBe(3);
    expect(r.failed.map((f) => f.index)).toEqual([2]);
    expect(routes('1000')).toHaveLength(COUNT - 1);
  });

  it('deleting the group removes its routes; deleting members is idempotent', async () => {
    await ns.call('deleteNexthop', 100);
    await ns.call('deleteNexthop', 100);
    expect(routes('main')).toHaveLength(0);
    expect(routes('1000')).toHaveLength(0);
    await ns.call('deleteNexthop', 1);
    await ns.call('deleteNexthop', 2);
    expect(ns.ipJson('nexthop', 'show')).toEqual([]);
  });
});

describe('IPv6', () => {
  it('nexthop and routes over a veth, dumped by family', async () => {
    await ns.call('addAddress', 'nvr0', '2001:db8:f::1/64');
    await ns.call('replaceNexthop', { id: 61, dev: 'nvr0', via: '2001:db8:f::2', protocol: 186 });
    await ns.call('replaceRoute', {
      table: 1000,
      prefix: '2001:db8:100::/48',
      nexthopId: 61,
      protocol: 186,
    });
    await ns.call('replaceRoute', {
      table: 1000,
      prefix: '2001:db8:200::/48',
      dev: 'nvr0',
      via: '2001:db8:f::3',
      protocol: 186,
      metric: 7,
    });
    const ip = ns.ipJson<IpRouteJson[]>('-6', 'route', 'show', 'table', '1000', 'proto', 'bgp');
    expect(ip.map((r) => r.dst).sort()).toEqual(['2001:db8:100::/48', '2001:db8:200::/48']);
    const ours = await ns.call<unknown[]>('listRoutes', { family: 6, protocol: 186 });
    expect(ours).toEqual([
      // IPv6 routes always carry a metric (1024 by default)
      {
        family: 6,
        table: 1000,
        prefix: '2001:db8:100::/48',
        protocol: 186,
        nexthopId: 61,
        metric: 1024,
      },
      {
        family: 6,
        table: 1000,
        prefix: '2001:db8:200::/48',
        protocol: 186,
        dev: 'nvr0',
        via: '2001:db8:f::3',
        metric: 7,
      },
    ]);
    await ns.call('deleteNexthop', 61);
    await ns.call('deleteRoute', {
      table: 1000,
      prefix: '2001:db8:200::/48',
      protocol: 186,
      metric: 7,
    });
    await ns.call('deleteRoute', {
      table: 1000,
      prefix: '2001:db8:200::/48',
      protocol: 186,
      metric: 7,
    });
    expect(ns.ipJson('-6', 'route', 'show', 'table', '1000', 'proto', 'bgp')).toEqual([]);
  });
});

describe('rules', () => {
  it('adds, lists and deletes a source rule idempotently', async () => {
    const rule = { family: 4, priority: 1000, table: 1000, src: '10.1.0.0/16' };
    await ns.call('addRule', rule);
    await ns.call('addRule', rule);
    const ip = ns.ipJson<IpRuleJson[]>('rule', 'show').filter((r) => r.priority === 1000);
    expect(ip).toEqual([expect.objectContaining({ src: '10.1.0.0', srclen: 16, table: '1000' })]);
    const ours = await ns.call<unknown[]>('listRules', 4);
    expect(ours).toContainEqual(rule);
    expect(ours).toContainEqual({ family: 4, priority: 32766, table: 254 });
    await ns.call('addRule', { family: 6, priority: 1000, table: 1000, src: '2001:db8::/32' });
    expect(await ns.call('listRules', 6)).toContainEqual({
      family: 6,
      priority: 1000,
      table: 1000,
      src: '2001:db8::/32',
    });
    await ns.call('deleteRule', rule);
    await ns.call('deleteRule', rule);
    expect(ns.ipJson<IpRuleJson[]>('rule', 'show').filter((r) => r.priority === 1000)).toEqual([]);
  });
});
