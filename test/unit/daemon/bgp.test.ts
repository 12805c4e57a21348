/**
 * The BGP component over in-memory TCP (test/unit/bgp/session/harness.ts) with a real `Routing`
 * on the fake kernel: sessions come up, learned best paths reach the routing module (and the
 * kernel), tunnel state fans out to routing and sessions, reload restarts only on BGP changes,
 * stop withdraws everything.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, StaticRoute, TunnelConfig } from '../../../src/config/index.js';
import { diffConfig } from '../../../src/config/index.js';
import { BgpComponent, CONNECTED_SCAN_MS } from '../../../src/daemon/bgp.js';
import { formatPrefix } from '../../../src/lib/ip/prefix.js';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/lib/log.js';
import { ViewRegistry } from '../../../src/mgmt/show/context.js';
import { BGP_VIEW } from '../../../src/mgmt/show/commands/ip-bgp-view.js';
import { describeRoute, type BgpSpeaker } from '../../../src/bgp/session/speaker.js';
import { Routing } from '../../../src/routing/index.js';
import { DetRng } from '../../support/det-rng.js';
import { bgpConfig, flush, MemNet, neighbor } from '../bgp/session/harness.js';
import { testConfig } from './config-fixture.js';

const US = '169.254.21.1';
const AZ1 = '169.254.21.2';
const AZ2 = '169.254.22.2';

function hostRoute(address: string, tunnel: string): StaticRoute {
  return {
    prefix: `${address}/32`,
    via: [tunnel],
    nextHop: undefined,
    routingContext: undefined,
    distance: 1,
  };
}

function ourConfig(peers: string[], maximumPaths = 1): Config {
  const bgp = bgpConfig(
    65010,
    '10.0.0.1',
    peers.map((p) => neighbor(p, 65515)),
    ['10.0.0.0/24'],
  );
  return {
    ...testConfig(),
    staticRoutes: [hostRoute(AZ1, 'Tunnel1'), hostRoute(AZ2, 'Tunnel2')],
    bgp: { ...bgp, maximumPaths },
  };
}

interface Rig {
  net: MemNet;
  kernel: FakeKernel;
  routing: Routing;
  comp: BgpComponent;
  azure: Map<string, BgpSpeaker>;
}

const rigs: Rig[] = [];

/** What the tunnels component does on a line-protocol change: routing first, then BGP. */
function tunnelState(routing: Routing, comp: BgpComponent, name: string, up: boolean): void {
  routing.setTunnelState(name, up);
  comp.onTunnelState(name, up);
}

async function rig(config: Config, peers: string[]): Promise<Rig> {
  const net = new MemNet();
  const kernel = createFakeKernel();
  for (const t of ['Tunnel1', 'Tunnel2'])
    kernel.addLink(t, { kind: 'tun', up: true, running: true, mtu: 1400 });
  const routing = new Routing({
    kernel,
    logger: silentLogger(),
    clock: net.clock,
    importInterfaceRoutes: false,
  });
  const azure = new Map<string, BgpSpeaker>();
  for (const p of peers) {
    const s = net.add(
      p,
      bgpConfig(
        65515,
        p === AZ1 ? '10.20.0.4' : '10.20.0.5',
        [neighbor(US, 65010, { passive: true })],
        ['10.20.0.0/16'],
      ),
    );
    s.start();
    azure.set(p, s);
  }
  const comp = new BgpComponent({
    routing,
    logger: silentLogger(),
    clock: net.clock,
    rng: new DetRng('bgp-component'),
    connector: net.connector(US),
    listen: false,
  });
  routing.applyStatic(config);
  await routing.start();
  tunnelState(routing, comp, 'Tunnel1', true);
  tunnelState(routing, comp, 'Tunnel2', true);
  await comp.start(config);
  await flush(60);
  await routing.settled();
  const r = { net, kernel, routing, comp, azure };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.comp.stop();
    for (const s of r.azure.values()) s.stop();
    await r.routing.stop();
    await flush(10);
  }
});

function bgpRoutes(routing: Routing): string[] {
  return routing
    .view()
    .routes.filter((r) => r.source === 'bgp' && r.selected)
    .map((r) => `${r.prefix} ${r.nexthops.map((n) => n.via ?? '-').join(',')}`);
}

describe('BgpComponent', () => {
  it('brings the session up, installs learned routes and advertises our network', async () => {
    const { comp, routing, kernel, azure } = await rig(ourConfig([AZ1]), [AZ1]);
    const views = new ViewRegistry();
    comp.publishViews(views);
    const q = views.get(BGP_VIEW);
    expect(q).toBeDefined();
    const s = q?.summary();
    expect(s?.localAs).toBe(65010);
    expect(s?.neighbors.map((n) => [n.neighbor, n.state, n.pfxRcd, n.pfxSent])).toEqual([
      [AZ1, 'Established', 1, 1],
    ]);
    expect(bgpRoutes(routing)).toEqual([`10.20.0.0/16 ${AZ1}`]);
    const kroutes = await kernel.listRoutes({ table: 254 });
    expect(kroutes.map((r) => r.prefix)).toContain('10.20.0.0/16');
    expect(azure.get(AZ1)?.received(US).map(describeRoute)).toEqual([
      `10.0.0.0/24 via ${US} path 65010`,
    ]);
    expect(q?.receivedRoutes(AZ1)?.map((r) => [r.prefix, r.nextHop, r.asPath])).toEqual([
      ['10.20.0.0/16', AZ1, '65515'],
    ]);
    expect(q?.acceptedRoutes(AZ1)?.map((r) => r.prefix)).toEqual(['10.20.0.0/16']);
    expect(q?.advertisedRoutes(AZ1)?.map((r) => [r.prefix, r.nextHop, r.asPath])).toEqual([
      ['10.0.0.0/24', US, '65010'],
    ]);
    expect(q?.receivedRoutes('192.0.2.99')).toBeUndefined();
    const dest = q?.destinations().find((d) => d.prefix === '10.20.0.0/16');
    expect(dest?.bestReason).toBe('Only Path');
    expect(dest?.paths.map((p) => [p.from, p.best, p.valid, p.weight])).toEqual([
      [AZ1, true, true, 0],
    ]);
    const local = q?.destinations().find((d) => d.prefix === '10.0.0.0/24');
    expect(local?.paths[0]?.local).toBe(true);
    expect(local?.paths[0]?.weight).toBe(32768);
    expect(comp.status()).toEqual({
      name: 'bgp',
      state: 'running',
      detail: '1/1 neighbors Established, 2 destinations',
    });
  });

  it('installs an ECMP route from two peers with maximum-paths 2 and drops a nexthop on tunnel down', async () => {
    const { comp, routing } = await rig(ourConfig([AZ1, AZ2], 2), [AZ1, AZ2]);
    expect(bgpRoutes(routing)).toEqual([`10.20.0.0/16 ${AZ1},${AZ2}`]);
    tunnelState(routing, comp, 'Tunnel1', false);
    await flush(40);
    await routing.settled();
    expect(bgpRoutes(routing)).toEqual([`10.20.0.0/16 ${AZ2}`]);
    const sum = comp.query().summary();
    expect(sum.neighbors.find((n) => n.address === AZ1)?.established).toBe(false);
    expect(sum.neighbors.find((n) => n.address === AZ2)?.established).toBe(true);
  });

  it('tunnel up again reconnects the session through it', async () => {
    const { comp, routing, net } = await rig(ourConfig([AZ1]), [AZ1]);
    tunnelState(routing, comp, 'Tunnel1', false);
    await flush(40);
    await routing.settled();
    expect(bgpRoutes(routing)).toEqual([]);
    tunnelState(routing, comp, 'Tunnel1', true);
    net.clock.advance(60_000);
    await flush(60);
    await routing.settled();
    expect(comp.query().summary().neighbors[0]?.state).toBe('Established');
    expect(bgpRoutes(routing)).toEqual([`10.20.0.0/16 ${AZ1}`]);
  });

  it('reload without BGP changes keeps the sessions; a neighbor added leaves the others up', async () => {
    const cfg = ourConfig([AZ1]);
    const { comp, azure, routing } = await rig(cfg, [AZ1]);
    const peerCounters = (): number => azure.get(AZ1)?.summary().neighbors[0]?.msgRcvd ?? -1;
    const next: Config = { ...cfg, loopbacks: ['169.254.21.5/32'] };
    const before = azure.get(AZ1)?.session(US)?.view().counters.established;
    await comp.apply(diffConfig(cfg, next), next);
    await flush(40);
    expect(azure.get(AZ1)?.session(US)?.view().counters.established).toBe(before);
    expect(peerCounters()).toBeGreaterThan(0);

    const withTwo = ourConfig([AZ1, AZ2]);
    await comp.apply(diffConfig(next, withTwo), withTwo);
    await flush(60);
    await routing.settled();
    const names = comp
      .query()
      .summary()
      .neighbors.map((n) => `${n.neighbor} ${n.state}`);
    expect(names).toHaveLength(2);
    expect(names[0]).toBe(`${AZ1} Established`);
    expect(names[1]).toMatch(new RegExp(`^${AZ2} (Idle|Connect|Active)$`));
    // Reload in place (bgp-reload.test.ts has every case): the AZ1 session was not reset.
    expect(azure.get(AZ1)?.session(US)?.view().counters.established).toBe(before);
    expect(azure.get(AZ1)?.session(US)?.view().counters.notificationsRcvd).toBe(0);
    expect(bgpRoutes(routing)).toEqual([`10.20.0.0/16 ${AZ1}`]);
  });

  it('stop withdraws the BGP routes and closes the sessions', async () => {
    const { comp, routing, azure, kernel } = await rig(ourConfig([AZ1]), [AZ1]);
    await comp.stop();
    await flush(40);
    await routing.settled();
    expect(bgpRoutes(routing)).toEqual([]);
    expect((await kernel.listRoutes({ table: 254 })).map((r) => r.prefix)).not.toContain(
      '10.20.0.0/16',
    );
    expect(azure.get(AZ1)?.session(US)?.view().state).not.toBe('Established');
    expect(comp.status().detail).toBe('BGP not configured');
  });

  it('flags a best path the routing table does not use as RIB-failure (r>)', async () => {
    const cfg = ourConfig([AZ1]);
    const withStatic: Config = {
      ...cfg,
      staticRoutes: [...cfg.staticRoutes, { ...hostRoute(AZ1, 'Tunnel2'), prefix: '10.20.0.0/16' }],
    };
    const { comp, routing } = await rig(withStatic, [AZ1]);
    expect(bgpRoutes(routing)).toEqual([]);
    const d = comp
      .query()
      .destinations()
      .find((x) => x.prefix === '10.20.0.0/16');
    expect(d?.paths.map((p) => [p.best, p.ribFailure])).toEqual([[true, true]]);
  });

  it('exports per-neighbor metrics', async () => {
    const { comp } = await rig(ourConfig([AZ1]), [AZ1]);
    const registry = new Registry();
    comp.registerMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain(`nvad_bgp_neighbor_up{neighbor="${AZ1}",context="default"} 1`);
    expect(text).toContain(`nvad_bgp_prefixes_received{neighbor="${AZ1}",context="default"} 1`);
    expect(text).toContain(`nvad_bgp_prefixes_advertised{neighbor="${AZ1}",context="default"} 1`);
    expect(text).toMatch(
      new RegExp(
        `nvad_bgp_messages_total\\{neighbor="${AZ1}",context="default",direction="in"\\} [1-9]`,
      ),
    );
  });

  it('without a bgp section it runs idle and the view is empty', async () => {
    const net = new MemNet();
    const kernel = createFakeKernel();
    const routing = new Routing({ kernel, logger: silentLogger(), clock: net.clock });
    const comp = new BgpComponent({
      routing,
      logger: silentLogger(),
      clock: net.clock,
      rng: new DetRng('x'),
      listen: false,
    });
    await comp.start(testConfig());
    expect(comp.query().neighbors()).toEqual([]);
    expect(comp.metricSamples()).toEqual([]);
    expect(comp.status().state).toBe('running');
    await comp.stop();
  });
});

/** Only the fields routing and BGP read (name, inside address, routing context). */
function tunnel(name: string, address: string, routingContext?: string): TunnelConfig {
  return { name, address, routingContext } as unknown as TunnelConfig;
}

describe('BgpComponent: advertised routes and PfxSent from the Adj-RIB-Out', () => {
  it('a neighbor with max-prefixes-out 2 and 5 candidate routes shows 2', async () => {
    const base = ourConfig([AZ1]);
    const bgp = base.bgp;
    if (!bgp) throw new Error('no bgp');
    const cfg: Config = {
      ...base,
      bgp: {
        ...bgp,
        networks: ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24', '10.0.5.0/24'],
        neighbors: bgp.neighbors.map((n) => ({ ...n, maxPrefixesOut: 2 })),
      },
    };
    const { comp, azure } = await rig(cfg, [AZ1]);
    const q = comp.query();
    expect(q.advertisedRoutes(AZ1)?.map((r) => [r.prefix, r.nextHop, r.asPath, r.local])).toEqual([
      ['10.0.1.0/24', US, '65010', true],
      ['10.0.2.0/24', US, '65010', true],
    ]);
    expect(q.summary().neighbors[0]?.pfxSent).toBe(2);
    expect(comp.metricSamples()[0]?.prefixesAdvertised).toBe(2);
    expect(azure.get(AZ1)?.received(US).length).toBe(2);
  });
});

describe('BgpComponent: redistribute connected', () => {
  it('originates loopbacks, up tunnels of the global table and interface subnets; not contexts', async () => {
    const base = ourConfig([AZ1]);
    const bgp = base.bgp;
    if (!bgp) throw new Error('no bgp');
    const cfg: Config = {
      ...base,
      loopbacks: ['169.254.21.1/32'],
      tunnels: [tunnel('Tunnel3', '10.99.3.1/30'), tunnel('Tunnel4', '10.99.4.1/30', 'red')],
      routingContexts: { red: { name: 'red', table: 101, priority: undefined, auto: false } },
      bgp: { ...bgp, redistribute: ['connected'] },
    };
    const { comp, routing, azure, net, kernel } = await rig(cfg, [AZ1]);
    const sent = (): string[] =>
      (azure.get(AZ1)?.received(US) ?? [])
        .map((r) => {
          const o = r.attributes.find((x) => x.type === 'ORIGIN');
          return `${formatPrefix(r.prefix)} ${o?.type === 'ORIGIN' ? o.origin : -1}`;
        })
        .sort();
    expect(sent()).toEqual(['10.0.0.0/24 0', '169.254.21.1/32 2']);
    tunnelState(routing, comp, 'Tunnel3', true);
    tunnelState(routing, comp, 'Tunnel4', true);
    await flush(40);
    expect(sent()).toEqual(['10.0.0.0/24 0', '10.99.3.0/30 2', '169.254.21.1/32 2']);
    expect(
      comp
        .query()
        .advertisedRoutes(AZ1)
        ?.map((r) => [r.prefix, r.origin]),
    ).toEqual([
      ['10.0.0.0/24', 'i'],
      ['10.99.3.0/30', '?'],
      ['169.254.21.1/32', '?'],
    ]);
    tunnelState(routing, comp, 'Tunnel3', false);
    await flush(40);
    expect(sent()).toEqual(['10.0.0.0/24 0', '169.254.21.1/32 2']);

    // The periodic scan picks up a new interface subnet (no address events, like BIRD's scan).
    kernel.addLink('eth1', { up: true, running: true, mtu: 1500 });
    await kernel.addAddress('eth1', '10.77.0.5/24');
    await kernel.addAddress('eth1', 'fe80::1/64');
    net.clock.advance(CONNECTED_SCAN_MS);
    await flush(40);
    await routing.settled();
    await flush(40);
    expect(sent()).toEqual(['10.0.0.0/24 0', '10.77.0.0/24 2', '169.254.21.1/32 2']);
  });
});
