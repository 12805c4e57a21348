/**
 * Reload in place and `clear ip bgp` on the BGP component, over in-memory TCP
 * (test/unit/bgp/session/harness.ts) with a real `Routing` on the fake kernel. Every case checks
 * that the neighbors the change does not concern keep their session (no NOTIFICATION, same
 * Established count and up-since at the peer) and that only the difference is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BgpNeighbor, Config, StaticRoute } from '../../../src/config/index.js';
import { diffConfig } from '../../../src/config/index.js';
import { BgpComponent } from '../../../src/daemon/bgp.js';
import { formatPrefix } from '../../../src/lib/ip/prefix.js';
import { createFakeKernel } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/lib/log.js';
import { ACTIONS_VIEW, ViewRegistry } from '../../../src/mgmt/show/context.js';
import { CLEAR_IP_BGP } from '../../../src/mgmt/api/clear-bgp.js';
import { neighborChange, type BgpSpeaker } from '../../../src/bgp/session/speaker.js';
import { Routing } from '../../../src/routing/index.js';
import { DetRng } from '../../support/det-rng.js';
import { documentedFields, fieldPaths } from '../../support/json-contract.js';
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

function ourConfig(peers: BgpNeighbor[], o: Partial<NonNullable<Config['bgp']>> = {}): Config {
  const bgp = bgpConfig(65010, '10.0.0.1', peers, ['10.0.0.0/24']);
  return {
    ...testConfig(),
    staticRoutes: [hostRoute(AZ1, 'Tunnel1'), hostRoute(AZ2, 'Tunnel2')],
    bgp: { ...bgp, ...o },
  };
}

const both = (): BgpNeighbor[] => [neighbor(AZ1, 65515), neighbor(AZ2, 65515)];

interface Rig {
  net: MemNet;
  routing: Routing;
  comp: BgpComponent;
  azure: Map<string, BgpSpeaker>;
  config: Config;
}

const rigs: Rig[] = [];

async function rig(config: Config): Promise<Rig> {
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
  for (const p of [AZ1, AZ2]) {
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
    rng: new DetRng('bgp-reload'),
    connector: net.connector(US),
    listen: false,
  });
  routing.applyStatic(config);
  await routing.start();
  for (const t of ['Tunnel1', 'Tunnel2']) {
    routing.setTunnelState(t, true);
    comp.onTunnelState(t, true);
  }
  await comp.start(config);
  await settle({ net, routing });
  const r = { net, routing, comp, azure, config };
  rigs.push(r);
  return r;
}

async function settle(r: Pick<Rig, 'net' | 'routing'>, advanceMs = 0): Promise<void> {
  await flush(60);
  if (advanceMs > 0) {
    r.net.clock.advance(advanceMs);
    await flush(60);
  }
  await r.routing.settled();
}

/** Apply a reload from the rig's current config to `next`. */
async function reload(r: Rig, next: Config): Promise<void> {
  await r.comp.apply(diffConfig(r.config, next), next);
  r.config = next;
  await settle(r);
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.comp.stop();
    for (const s of r.azure.values()) s.stop();
    await r.routing.stop();
    await flush(10);
  }
});

/** The peer's view of its session with us: what must not move for an untouched neighbor. */
function peerSide(
  r: Rig,
  peer: string,
): {
  state: string;
  established: number;
  sinceMs: number;
  notificationsRcvd: number;
  updatesRcvd: number;
  routeRefreshRcvd: number;
  lastNotificationRcvd: string | undefined;
} {
  const v = r.azure.get(peer)?.session(US)?.view();
  if (!v) throw new Error(`no peer ${peer}`);
  return {
    state: v.state,
    established: v.counters.established,
    sinceMs: v.sinceMs,
    notificationsRcvd: v.counters.notificationsRcvd,
    updatesRcvd: v.counters.updatesRcvd,
    routeRefreshRcvd: v.counters.routeRefreshRcvd,
    lastNotificationRcvd: v.lastNotificationRcvd,
  };
}

/** The identity of an untouched session (not its message counters). */
function sessionId(r: Rig, peer: string): unknown {
  const p = peerSide(r, peer);
  return [p.state, p.established, p.sinceMs, p.notificationsRcvd];
}

function sentTo(r: Rig, peer: string): string[] {
  return (r.azure.get(peer)?.received(US) ?? []).map((x) => formatPrefix(x.prefix)).sort();
}

function bgpRoutes(routing: Routing): string[] {
  return routing
    .view()
    .routes.filter((x) => x.source === 'bgp' && x.selected)
    .map((x) => `${x.prefix} ${x.nexthops.map((n) => n.via ?? '-').join(',')}`);
}

function withBgp(c: Config, o: Partial<NonNullable<Config['bgp']>>): Config {
  const bgp = c.bgp;
  if (!bgp) throw new Error('no bgp');
  return { ...c, bgp: { ...bgp, ...o } };
}

describe('neighborChange', () => {
  const n = neighbor(AZ1, 65515);
  it.each([
    ['identical', n, 'none'],
    ['route-map out', { ...n, routeMapOut: 'X' }, 'soft'],
    ['prefix-list in', { ...n, prefixListIn: 'X' }, 'soft'],
    ['max-prefixes-out', { ...n, maxPrefixesOut: 5 }, 'soft'],
    ['allowas-in', { ...n, allowasIn: 1 }, 'soft'],
    ['description', { ...n, description: 'x' }, 'soft'],
    ['shutdown', { ...n, shutdown: true }, 'shutdown'],
    ['remote-as', { ...n, remoteAs: 65516 }, 'reset'],
    ['timers', { ...n, timers: { keepaliveSec: 10, holdSec: 30 } }, 'reset'],
    ['families', { ...n, addressFamilies: ['ipv4-unicast', 'ipv6-unicast'] as const }, 'reset'],
    ['update-source', { ...n, updateSource: US }, 'reset'],
    ['passive', { ...n, passive: true }, 'reset'],
  ] as const)('%s → %s', (_name, b, want) => {
    expect(neighborChange(n, b)).toBe(want);
  });
  it('no shutdown', () => {
    expect(neighborChange({ ...n, shutdown: true }, n)).toBe('no-shutdown');
  });
});

describe('BgpComponent reload in place', () => {
  it('a neighbor added starts alone; the other session is untouched', async () => {
    const r = await rig(ourConfig([neighbor(AZ1, 65515)]));
    r.net.clock.advance(5000);
    const before = sessionId(r, AZ1);
    const updates = peerSide(r, AZ1).updatesRcvd;
    await reload(r, ourConfig(both()));
    await settle(r, 1000);
    expect(sessionId(r, AZ1)).toEqual(before);
    // AZ2's path is not better than AZ1's (maximum-paths 1): nothing new for AZ1.
    expect(peerSide(r, AZ1).updatesRcvd).toBe(updates);
    expect(peerSide(r, AZ2).state).toBe('Established');
    const sum = r.comp.query().summary().neighbors;
    expect(sum.map((n) => [n.neighbor, n.state])).toEqual([
      [AZ1, 'Established'],
      [AZ2, 'Established'],
    ]);
    expect(sum[0]?.upDownSec).toBeGreaterThanOrEqual(5);
  });

  it('a neighbor removed gets Cease/Peer De-configured and its routes go', async () => {
    const r = await rig(ourConfig(both(), { maximumPaths: 2 }));
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ1},${AZ2}`]);
    const before = sessionId(r, AZ1);
    await reload(r, ourConfig([neighbor(AZ1, 65515)], { maximumPaths: 2 }));
    expect(peerSide(r, AZ2).lastNotificationRcvd).toBe('CEASE/PEER_DE_CONFIGURED');
    expect(peerSide(r, AZ2).state).not.toBe('Established');
    expect(sessionId(r, AZ1)).toEqual(before);
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ1}`]);
    expect(
      r.comp
        .query()
        .summary()
        .neighbors.map((n) => n.neighbor),
    ).toEqual([AZ1]);
  });

  it('a session parameter change resets only that neighbor (Cease/Other Configuration Change)', async () => {
    const r = await rig(ourConfig(both()));
    const before = sessionId(r, AZ1);
    const az2 = peerSide(r, AZ2).established;
    await reload(
      r,
      ourConfig([
        neighbor(AZ1, 65515),
        neighbor(AZ2, 65515, { timers: { keepaliveSec: 20, holdSec: 60 } }),
      ]),
    );
    await settle(r, 5000);
    expect(peerSide(r, AZ2).lastNotificationRcvd).toBe('CEASE/OTHER_CONFIGURATION_CHANGE');
    expect(peerSide(r, AZ2).established).toBe(az2 + 1);
    expect(peerSide(r, AZ2).state).toBe('Established');
    expect(r.azure.get(AZ2)?.session(US)?.negotiated?.holdTimeSec).toBe(60);
    expect(sessionId(r, AZ1)).toEqual(before);
  });

  it('outbound policy changes are applied without a reset, sending only the withdrawal', async () => {
    const base = ourConfig(both(), { networks: ['10.0.0.0/24', '10.0.1.0/24'] });
    const r = await rig(base);
    expect(sentTo(r, AZ1)).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    const u1 = peerSide(r, AZ1).updatesRcvd;
    const u2 = peerSide(r, AZ2).updatesRcvd;
    const next = withBgp(base, {
      prefixLists: {
        'NO-ONE': [
          { seq: 5, action: 'deny', prefix: '10.0.1.0/24', ge: undefined, le: undefined },
          { seq: 10, action: 'permit', prefix: '0.0.0.0/0', ge: undefined, le: 32 },
        ],
      },
      neighbors: [neighbor(AZ1, 65515, { prefixListOut: 'NO-ONE' }), neighbor(AZ2, 65515)],
    });
    await reload(r, next);
    expect(sentTo(r, AZ1)).toEqual(['10.0.0.0/24']);
    expect(peerSide(r, AZ1).updatesRcvd).toBe(u1 + 1);
    expect(sentTo(r, AZ2)).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    expect(peerSide(r, AZ2).updatesRcvd).toBe(u2);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);

    // The prefix-list's content changes (same name): re-evaluated for AZ1, still no reset.
    const again = withBgp(next, {
      prefixLists: {
        'NO-ONE': [
          { seq: 5, action: 'deny', prefix: '10.0.0.0/24', ge: undefined, le: undefined },
          { seq: 10, action: 'permit', prefix: '0.0.0.0/0', ge: undefined, le: 32 },
        ],
      },
    });
    await reload(r, again);
    expect(sentTo(r, AZ1)).toEqual(['10.0.1.0/24']);
    expect(peerSide(r, AZ1).updatesRcvd).toBe(u1 + 3); // one withdrawal, one announcement
    expect(peerSide(r, AZ2).updatesRcvd).toBe(u2);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('an inbound prefix-list is re-run over the stored Adj-RIB-In (soft reconfiguration)', async () => {
    const base = ourConfig(both(), { maximumPaths: 2 });
    const r = await rig(base);
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    const deny = withBgp(base, {
      prefixLists: {
        'NO-AZ': [{ seq: 5, action: 'deny', prefix: '10.20.0.0/16', ge: undefined, le: undefined }],
      },
      neighbors: [neighbor(AZ1, 65515, { prefixListIn: 'NO-AZ' }), neighbor(AZ2, 65515)],
    });
    await reload(r, deny);
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ2}`]);
    expect(peerSide(r, AZ1).routeRefreshRcvd).toBe(0);
    await reload(r, base);
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ1},${AZ2}`]);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('networks added or removed are re-originated as a difference, no reset', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    const u1 = peerSide(r, AZ1).updatesRcvd;
    await reload(r, withBgp(base, { networks: ['10.0.0.0/24', '10.0.9.0/24'] }));
    expect(sentTo(r, AZ1)).toEqual(['10.0.0.0/24', '10.0.9.0/24']);
    expect(sentTo(r, AZ2)).toEqual(['10.0.0.0/24', '10.0.9.0/24']);
    expect(peerSide(r, AZ1).updatesRcvd).toBe(u1 + 1);
    await reload(r, withBgp(base, { networks: ['10.0.9.0/24'] }));
    expect(sentTo(r, AZ1)).toEqual(['10.0.9.0/24']);
    expect(peerSide(r, AZ1).updatesRcvd).toBe(u1 + 2);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('redistribute static and a new static route: originated without a reset', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    const withStatic: Config = {
      ...withBgp(base, { redistribute: ['static'] }),
      staticRoutes: [
        ...base.staticRoutes,
        { ...hostRoute('0.0.0.0', 'Tunnel1'), prefix: '10.50.0.0/16' },
      ],
    };
    await reload(r, withStatic);
    expect(sentTo(r, AZ1)).toEqual(['10.0.0.0/24', '10.50.0.0/16', `${AZ1}/32`, `${AZ2}/32`]);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('maximum-paths recomputes best paths in place', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    expect(bgpRoutes(r.routing)).toHaveLength(1);
    expect(bgpRoutes(r.routing)[0]).not.toContain(',');
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    await reload(r, withBgp(base, { maximumPaths: 2 }));
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ1},${AZ2}`]);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('shutdown stops only that neighbor; no shutdown starts it again', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    const id1 = sessionId(r, AZ1);
    const down = ourConfig([neighbor(AZ1, 65515), neighbor(AZ2, 65515, { shutdown: true })]);
    await reload(r, down);
    expect(peerSide(r, AZ2).lastNotificationRcvd).toMatch(/^CEASE\/ADMINISTRATIVE_SHUTDOWN/);
    expect(r.comp.query().summary().neighbors[1]?.state).toBe('Idle (Admin)');
    expect(r.comp.clear({ neighbor: AZ2 })?.neighbors[0]?.actions).toEqual(['skipped']);
    expect(r.comp.clear({ neighbor: AZ2, soft: 'both' })?.neighbors[0]?.actions).toEqual([
      'skipped',
    ]);
    await reload(r, base);
    await settle(r, 5000);
    expect(peerSide(r, AZ2).state).toBe('Established');
    expect(sessionId(r, AZ1)).toEqual(id1);
  });

  it('allowas-in raised: a ROUTE-REFRESH instead of a reset (routes with our AS were not kept)', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    await reload(r, ourConfig([neighbor(AZ1, 65515, { allowasIn: 1 }), neighbor(AZ2, 65515)]));
    expect(peerSide(r, AZ1).routeRefreshRcvd).toBe(1);
    expect(peerSide(r, AZ2).routeRefreshRcvd).toBe(0);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
  });

  it('max-prefixes lowered below the count tears that neighbor down; clear or a new limit restarts it', async () => {
    const base = ourConfig(both(), { maximumPaths: 2 });
    const r = await rig(base);
    const id2 = sessionId(r, AZ2);
    const limited = (limit: number): Config =>
      ourConfig(
        [
          neighbor(AZ1, 65515, { maxPrefixes: { limit, action: 'teardown' } }),
          neighbor(AZ2, 65515),
        ],
        { maximumPaths: 2 },
      );
    const state = (): string | undefined => r.comp.query().summary().neighbors[0]?.state;
    await reload(r, limited(0));
    expect(peerSide(r, AZ1).lastNotificationRcvd).toBe('CEASE/MAXIMUM_NUMBER_OF_PREFIXES_REACHED');
    expect(state()).toBe('Idle (PfxCt)');
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ2}`]);
    // `clear ip bgp`: restarted at once; the same limit stops it again.
    const established = peerSide(r, AZ1).established;
    expect(r.comp.clear({ neighbor: AZ1 })?.neighbors[0]?.actions).toEqual(['restart']);
    await settle(r, 1000);
    expect(peerSide(r, AZ1).established).toBe(established + 1);
    expect(state()).toBe('Idle (PfxCt)');
    // A new limit on reload restarts a neighbor held by the old one (no clear needed).
    await reload(r, limited(10));
    await settle(r, 1000);
    expect(state()).toBe('Established');
    // AZ2's path is now the older one: best first.
    expect(bgpRoutes(r.routing)).toEqual([`10.20.0.0/16 ${AZ2},${AZ1}`]);
    expect(sessionId(r, AZ2)).toEqual(id2);
  });

  it('an asn change still restarts the speaker', async () => {
    const base = ourConfig(both());
    const r = await rig(base);
    const before = peerSide(r, AZ1).established;
    await reload(r, withBgp(base, { asn: 65011 }));
    expect(peerSide(r, AZ1).lastNotificationRcvd).toMatch(/^CEASE\//);
    expect(r.comp.query().summary().localAs).toBe(65011);
    await settle(r, 60_000);
    // The peer expects AS 65010 (OPEN error) — the point is that the old session went down.
    expect(peerSide(r, AZ1).established).toBe(before);
    expect(
      r.comp
        .query()
        .summary()
        .neighbors.every((n) => n.state !== 'Established'),
    ).toBe(true);
  });
});

describe('BgpComponent clear ip bgp', () => {
  it('a hard clear resets only that neighbor with Cease/Administrative Reset', async () => {
    const r = await rig(ourConfig(both()));
    const id2 = sessionId(r, AZ2);
    const before = peerSide(r, AZ1).established;
    const views = new ViewRegistry();
    r.comp.publishViews(views);
    const clear = views.get(ACTIONS_VIEW)?.get(CLEAR_IP_BGP);
    expect(clear).toBeDefined();
    const answer = await clear?.({ neighbor: AZ1 });
    expect(answer).toEqual({
      neighbors: [{ neighbor: AZ1, address: AZ1, routingContext: null, actions: ['reset'] }],
    });
    // docs/show-json.md "POST /v1/clear/ip/bgp" contract.
    expect(fieldPaths([answer], { needItems: true })).toEqual(documentedFields('clear-ip-bgp'));
    await settle(r, 5000);
    expect(peerSide(r, AZ1).lastNotificationRcvd).toMatch(
      /^CEASE\/ADMINISTRATIVE_RESET "clear ip bgp"/,
    );
    expect(peerSide(r, AZ1).established).toBe(before + 1);
    expect(peerSide(r, AZ1).state).toBe('Established');
    expect(sessionId(r, AZ2)).toEqual(id2);
    expect(await clear?.({ neighbor: '192.0.2.9' })).toBeUndefined();
    // Routing context filter: neither neighbor is in "red".
    expect(r.comp.clear({ neighbor: AZ1, context: 'red', soft: 'in' })).toBeUndefined();
    expect(r.comp.clear({ neighbor: '*', context: 'red', soft: 'in' })).toEqual({ neighbors: [] });
  });

  it('soft in sends ROUTE-REFRESH; soft out re-advertises the table; no reset', async () => {
    const r = await rig(ourConfig(both()));
    const ids = [sessionId(r, AZ1), sessionId(r, AZ2)];
    const rr = [peerSide(r, AZ1).routeRefreshRcvd, peerSide(r, AZ2).routeRefreshRcvd];
    const res = r.comp.clear({ neighbor: '*', soft: 'in' });
    expect(res?.neighbors.map((n) => n.actions)).toEqual([['route-refresh'], ['route-refresh']]);
    await settle(r);
    expect([peerSide(r, AZ1).routeRefreshRcvd, peerSide(r, AZ2).routeRefreshRcvd]).toEqual([
      (rr[0] ?? 0) + 1,
      (rr[1] ?? 0) + 1,
    ]);
    const u1 = peerSide(r, AZ1).updatesRcvd;
    const u2 = peerSide(r, AZ2).updatesRcvd;
    expect(r.comp.clear({ neighbor: AZ1, soft: 'out' })?.neighbors[0]?.actions).toEqual([
      'soft-out',
    ]);
    await settle(r);
    expect(peerSide(r, AZ1).updatesRcvd).toBeGreaterThan(u1);
    expect(peerSide(r, AZ2).updatesRcvd).toBe(u2);
    expect(sentTo(r, AZ1)).toEqual(['10.0.0.0/24']);
    expect([sessionId(r, AZ1), sessionId(r, AZ2)]).toEqual(ids);
    expect(bgpRoutes(r.routing)).toHaveLength(1);
  });
});
