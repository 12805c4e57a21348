import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/lib/log.js';
import { formatPrefix } from '../../../../src/lib/ip/prefix.js';
import { describeRoute } from '../../../../src/bgp/session/speaker.js';
import {
  connectRouteSink,
  sinkNextHops,
  SpeakerRib,
  type RouteSink,
} from '../../../../src/bgp/session/rib-sync.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { attrs, path, peer, pfx } from '../rib/helpers.js';
import type { Routing } from '../../../../src/routing/index.js';
import { bgpConfig, flush, MemNet, neighbor } from './harness.js';

/** Compile-time check: the routing layer satisfies the RouteSink port. */
export const routingIsASink = (r: Routing): RouteSink => r;

const A = '10.0.1.1';
const B = '10.0.1.2';
const C = '10.0.1.3';

/** A (AS 65001) — B (AS 65002, with the RIB) — C (AS 65003): B is a transit for A and C. */
async function triangle(): Promise<{
  net: MemNet;
  a: ReturnType<MemNet['add']>;
  c: ReturnType<MemNet['add']>;
  rib: SpeakerRib;
  best: string[];
}> {
  const net = new MemNet();
  const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)], ['10.10.0.0/16']));
  const c = net.add(C, bgpConfig(65003, '3.3.3.3', [neighbor(B, 65002)], ['10.30.0.0/16']));
  const bCfg = bgpConfig(
    65002,
    '2.2.2.2',
    [neighbor(A, 65001, { passive: true }), neighbor(C, 65003, { passive: true })],
    ['10.20.0.0/16'],
  );
  const b = net.add(B, bCfg, { originateNetworks: false });
  const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
  const best: string[] = [];
  rib.onBestChange((cs) => {
    for (const ch of cs) best.push(`${formatPrefix(ch.prefix)}:${ch.best ? 'up' : 'gone'}`);
  });
  rib.originate();
  b.start();
  a.start();
  c.start();
  await flush(40);
  return { net, a, c, rib, best };
}

describe('SpeakerRib: Adj-RIB-In → Loc-RIB → Adj-RIB-Out over real sessions', () => {
  it('re-advertises learned routes with our AS prepended and originates networks', async () => {
    const { a, c, best } = await triangle();
    expect(c.received(B).map(describeRoute).sort()).toEqual([
      '10.10.0.0/16 via 10.0.1.2 path 65002 65001',
      '10.20.0.0/16 via 10.0.1.2 path 65002',
    ]);
    expect(a.received(B).map(describeRoute).sort()).toEqual([
      '10.20.0.0/16 via 10.0.1.2 path 65002',
      '10.30.0.0/16 via 10.0.1.2 path 65002 65003',
    ]);
    expect(best.sort()).toEqual(['10.10.0.0/16:up', '10.20.0.0/16:up', '10.30.0.0/16:up']);
  });

  it('a neighbor going down withdraws its routes from the others', async () => {
    const { a, c, best } = await triangle();
    a.stop('bye');
    await flush(40);
    expect(c.received(B).map(describeRoute)).toEqual(['10.20.0.0/16 via 10.0.1.2 path 65002']);
    expect(best).toContain('10.10.0.0/16:gone');
  });

  it('answers ROUTE-REFRESH with the whole Adj-RIB-Out', async () => {
    const { c } = await triangle();
    let announced = 0;
    c.onRoutes((e) => (announced += e.announced.length));
    expect(c.requestRouteRefresh(B)).toBe(1);
    await flush(20);
    expect(announced).toBe(2);
  });

  it('Loc-RIB holds the learned paths with their sources', async () => {
    const { rib } = await triangle();
    const dests = [...rib.locRib.destinations()].map(
      (d) => `${formatPrefix(d.prefix)} ${d.best?.source.address ?? '-'}`,
    );
    expect(dests.sort()).toEqual([
      '10.10.0.0/16 10.0.1.1',
      '10.20.0.0/16 0.0.0.0',
      '10.30.0.0/16 10.0.1.3',
    ]);
    expect(rib.adjRibIn(A)?.receivedCount).toBe(1);
  });
});

describe('connectRouteSink', () => {
  it('installs learned best paths with their next hop and withdraws them when the peer goes', async () => {
    const { a, rib } = await triangle();
    const log: string[] = [];
    const sink: RouteSink = {
      upsertBgp: (ctx, prefix, hops, attrs) => {
        log.push(
          `+ ${ctx} ${prefix} ${hops.map((h) => `${h.address}@${h.context}`).join(',')} ${attrs.asPath ?? ''} ebgp=${attrs.ebgp}`,
        );
      },
      withdrawBgp: (ctx, prefix) => {
        log.push(`- ${ctx} ${prefix}`);
      },
    };
    connectRouteSink(rib, sink);
    a.stop('bye');
    await flush(40);
    expect(log).toEqual(['- default 10.10.0.0/16']);
  });

  it('pushes new paths as they arrive', async () => {
    const net = new MemNet();
    const bCfg = bgpConfig(65002, '2.2.2.2', [neighbor(A, 65001, { passive: true })]);
    const b = net.add(B, bCfg, { originateNetworks: false });
    const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)], ['10.10.0.0/16']));
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    const log: string[] = [];
    connectRouteSink(rib, {
      upsertBgp: (ctx, prefix, hops, attrs) => {
        log.push(
          `+ ${ctx} ${prefix} ${hops.map((h) => `${h.address}@${h.context}`).join(',')} ${attrs.asPath ?? ''} ebgp=${attrs.ebgp}`,
        );
      },
      withdrawBgp: (ctx, prefix) => {
        log.push(`- ${ctx} ${prefix}`);
      },
    });
    b.start();
    a.start();
    await flush(40);
    expect(log).toEqual([`+ default 10.10.0.0/16 ${A}@default 65001 ebgp=true`]);
  });
});

describe('redistribute static', () => {
  it('advertises static routes with origin incomplete when configured', async () => {
    const net = new MemNet();
    const bCfg = {
      ...bgpConfig(65002, '2.2.2.2', [neighbor(A, 65001, { passive: true })], ['10.20.0.0/16']),
      redistribute: ['static' as const],
    };
    const b = net.add(B, bCfg, { originateNetworks: false });
    const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)]));
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    rib.originate([{ prefix: '172.16.0.0/16', routingContext: undefined }]);
    b.start();
    a.start();
    await flush(40);
    const got = a.received(B).map((r) => {
      const o = r.attributes.find((x) => x.type === 'ORIGIN');
      return `${describeRoute(r)} origin=${o?.type === 'ORIGIN' ? o.origin : -1}`;
    });
    expect(got.sort()).toEqual([
      '10.20.0.0/16 via 10.0.1.2 path 65002 origin=0',
      '172.16.0.0/16 via 10.0.1.2 path 65002 origin=2',
    ]);
  });
});

describe('routing contexts are transport, not tables', () => {
  it('does not redistribute static routes of a routing context (a tunnel peer /32)', async () => {
    const net = new MemNet();
    const bCfg = {
      ...bgpConfig(65002, '2.2.2.2', [neighbor(A, 65001, { passive: true })]),
      redistribute: ['static' as const],
    };
    const b = net.add(B, bCfg, { originateNetworks: false });
    const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)]));
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    rib.originate([
      { prefix: '10.0.255.254/32', routingContext: 'outside-one' },
      { prefix: '172.16.0.0/16', routingContext: undefined },
    ]);
    b.start();
    a.start();
    await flush(40);
    expect(a.received(B).map(describeRoute)).toEqual(['172.16.0.0/16 via 10.0.1.2 path 65002']);
  });

  it('hands routing one next hop per (context, address) of the multipath set', () => {
    const hop = { nextHop: mustParseIp('10.0.255.254') };
    const one = peer('10.0.255.254', 65515, { routingContext: 'outside-one' });
    const two = peer('10.0.255.254', 65515, { routingContext: 'outside-two' });
    const paths = [
      path('10.1.0.0/16', attrs([65515], hop), one),
      path('10.1.0.0/16', attrs([65515], hop), two),
      path('10.1.0.0/16', attrs([65515], hop), one),
      path('10.1.0.0/16', attrs([65515]), peer('192.0.2.1', 65515)),
    ];
    expect(sinkNextHops(paths)).toEqual([
      { kind: 'gateway', address: '10.0.255.254', context: 'outside-one' },
      { kind: 'gateway', address: '10.0.255.254', context: 'outside-two' },
      { kind: 'gateway', address: '192.0.2.1', context: 'default' },
    ]);
  });
});

describe('redistribute connected', () => {
  it('originates the connected prefixes with origin incomplete and follows changes', async () => {
    const net = new MemNet();
    const bCfg = {
      ...bgpConfig(65002, '2.2.2.2', [neighbor(A, 65001, { passive: true })], ['10.20.0.0/16']),
      redistribute: ['connected' as const],
    };
    const b = net.add(B, bCfg, { originateNetworks: false });
    const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)]));
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    rib.originate();
    b.start();
    a.start();
    await flush(40);
    // 10.20.0.0/16 is also a network: originated once, as a network (origin IGP).
    expect(rib.setConnected([pfx('169.254.21.1/32'), pfx('10.20.0.0/16')])).toBe(true);
    expect(rib.setConnected([pfx('10.20.0.0/16'), pfx('169.254.21.1/32')])).toBe(false);
    await flush(40);
    const origins = (): string[] =>
      a
        .received(B)
        .map((r) => {
          const o = r.attributes.find((x) => x.type === 'ORIGIN');
          return `${describeRoute(r)} origin=${o?.type === 'ORIGIN' ? o.origin : -1}`;
        })
        .sort();
    expect(origins()).toEqual([
      '10.20.0.0/16 via 10.0.1.2 path 65002 origin=0',
      '169.254.21.1/32 via 10.0.1.2 path 65002 origin=2',
    ]);
    expect(rib.setConnected([])).toBe(true);
    await flush(40);
    expect(origins()).toEqual(['10.20.0.0/16 via 10.0.1.2 path 65002 origin=0']);
  });

  it('is ignored unless configured', () => {
    const net = new MemNet();
    const bCfg = bgpConfig(65002, '2.2.2.2', [neighbor(A, 65001, { passive: true })]);
    const b = net.add(B, bCfg, { originateNetworks: false });
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    expect(rib.setConnected([pfx('169.254.21.1/32')])).toBe(false);
    expect(rib.localRoutes()).toEqual([]);
  });
});

describe('advertised routes come from the Adj-RIB-Out', () => {
  it('a neighbor with max-prefixes-out 2 and 5 candidate routes shows (and has) 2', async () => {
    const net = new MemNet();
    const networks = ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16'];
    const bCfg = bgpConfig(
      65002,
      '2.2.2.2',
      [neighbor(A, 65001, { passive: true, maxPrefixesOut: 2 })],
      networks,
    );
    const b = net.add(B, bCfg, { originateNetworks: false });
    const a = net.add(A, bgpConfig(65001, '1.1.1.1', [neighbor(B, 65002)]));
    const rib = new SpeakerRib({ speaker: b, bgp: bCfg, clock: net.clock, log: silentLogger() });
    expect(rib.advertised(A)).toBeUndefined();
    rib.originate();
    b.start();
    a.start();
    await flush(40);
    expect(rib.localRoutes()).toHaveLength(5);
    const adv = rib.advertised(A) ?? [];
    expect(adv.map((r) => formatPrefix(r.prefix))).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(adv.every((r) => r.path?.flags.local === 'network')).toBe(true);
    expect(adv.map((r) => r.attrs.asPath)).toEqual([
      [{ type: 2, asns: [65002] }],
      [{ type: 2, asns: [65002] }],
    ]);
    expect(rib.advertisedCount(A)).toBe(2);
    expect(
      a
        .received(B)
        .map((r) => formatPrefix(r.prefix))
        .sort(),
    ).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
  });
});
