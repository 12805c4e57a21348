/**
 * Interop with FRR 8.4 as the Azure VPN Gateway stand-in (peers-in-netns.md §4): AS 65515,
 * passive, APIPA 169.254.21.2 on lo, timers 60/180. Our speaker connects from 169.254.21.1
 * (update-source, multihop) and the two exchange IPv4 prefixes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { bgpConfig, neighbor } from '../../unit/bgp/session/harness.js';
import { SpeakerAgent } from './agent-client.js';

describeWithPrereqs(
  'BGP interop: FRR as Azure VPN Gateway (AS 65515, passive, APIPA)',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgpf');
    const az = new TestNetns('bgpf');
    let frr: FrrPeer | undefined;
    let agent: SpeakerAgent | undefined;

    beforeAll(() => {
      nva.create();
      az.create();
      vethPair(nva, 'nvf0', az, 'azf0');
      nva.addr('nvf0', '10.99.0.1/30');
      az.addr('azf0', '10.99.0.2/30');
      nva.addr('lo', '169.254.21.1/32');
      az.addr('lo', '169.254.21.2/32');
      az.addr('lo', '10.20.0.4/32');
      nva.route('169.254.21.2/32', 'via', '10.99.0.2', 'src', '169.254.21.1');
      az.route('169.254.21.1/32', 'via', '10.99.0.1', 'src', '169.254.21.2');
      frr = startFrr(
        az,
        [
          'frr defaults traditional',
          'router bgp 65515',
          ' bgp router-id 169.254.21.2',
          ' no bgp ebgp-requires-policy',
          ' no bgp network import-check',
          ' neighbor 169.254.21.1 remote-as 65002',
          ' neighbor 169.254.21.1 passive',
          ' neighbor 169.254.21.1 ebgp-multihop 2',
          ' neighbor 169.254.21.1 update-source 169.254.21.2',
          ' neighbor 169.254.21.1 timers 60 180',
          ' address-family ipv4 unicast',
          '  network 10.20.0.0/16',
          ' exit-address-family',
          '',
        ].join('\n'),
      );
    });

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        frr?.stop();
        nva.destroy();
        az.destroy();
      }
    });

    it('connects from the APIPA loopback, reaches Established and exchanges routes', async () => {
      const a = new SpeakerAgent(nva);
      agent = a;
      const t0 = Date.now();
      await a.start({
        bgp: bgpConfig(
          65002,
          '169.254.21.1',
          [
            neighbor('169.254.21.2', 65515, {
              updateSource: '169.254.21.1',
              ebgpMultihop: 2,
              timers: { keepaliveSec: 60, holdSec: 180 },
            }),
          ],
          ['10.10.0.0/16'],
        ),
        connectRetrySec: 2,
      });
      await waitFor('Established', async () => {
        const s = await a.summary();
        return s.neighbors[0]?.state === 'Established';
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.stderr.slice(-3000)}`);
      });
      const establishedMs = Date.now() - t0;
      const got = await waitFor('route from FRR', async () => {
        const r = await a.received('169.254.21.2');
        return r.length > 0 ? r : undefined;
      });
      expect(got).toEqual(['10.20.0.0/16 via 169.254.21.2 path 65515']);
      const frrRoutes = await waitFor('FRR has our network', () => {
        const j = frr?.showIpBgpJson();
        return j?.routes?.['10.10.0.0/16'];
      });
      const path = frrRoutes[0] as { path?: string; nexthops?: { ip?: string }[]; valid?: boolean };
      expect(path.path).toBe('65002');
      expect(path.nexthops?.[0]?.ip).toBe('169.254.21.1');
      // The routes went through Adj-RIB-In → Loc-RIB (SpeakerRib).
      expect((await a.call<string[]>('locrib')).sort()).toEqual([
        '10.10.0.0/16 0.0.0.0',
        '10.20.0.0/16 169.254.21.2',
      ]);
      const sum = await a.summary();
      const n = sum.neighbors[0];
      expect(n?.pfxRcd).toBe(1);
      expect(n?.msgRcvd).toBeGreaterThanOrEqual(3);
      const neg = await a.call<{ holdTimeSec: number; keepaliveSec: number; as4: boolean }>(
        'negotiated',
        { neighbor: '169.254.21.2' },
      );
      expect(neg.holdTimeSec).toBe(180);
      expect(neg.keepaliveSec).toBe(60);
      expect(neg.as4).toBe(true);
      // FRR sees us Established too.
      const frrNeighbor = JSON.parse(
        frr?.vtysh('show bgp neighbors 169.254.21.1 json') ?? '{}',
      ) as Record<string, { bgpState?: string }>;
      expect(frrNeighbor['169.254.21.1']?.bgpState).toBe('Established');
      console.info(`FRR: Established ${establishedMs} ms after agent start`);
    });

    it('ROUTE-REFRESH to FRR makes it re-send its table', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      const before = a.events.filter(
        (e) => e.event === 'routes' && (e.announced?.length ?? 0) > 0,
      ).length;
      expect(await a.call<number>('refresh', { neighbor: '169.254.21.2' })).toBe(1);
      await waitFor(
        're-sent routes',
        () =>
          a.events.filter((e) => e.event === 'routes' && (e.announced?.length ?? 0) > 0).length >
          before,
      );
    });

    it('FRR clearing the session (soft in) sends us ROUTE-REFRESH', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      frr?.vtysh('clear bgp ipv4 unicast 169.254.21.1 soft in');
      await waitFor('ROUTE-REFRESH from FRR', () => a.events.some((e) => e.event === 'refresh'));
    });

    it('Cease on shutdown: FRR sees Administrative Shutdown and drops our route', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      await a.stop();
      agent = undefined;
      await waitFor(
        'FRR withdrew 10.10.0.0/16',
        () => !frr?.showIpBgpJson().routes?.['10.10.0.0/16'],
      );
      const text = frr?.vtysh('show bgp neighbors 169.254.21.1') ?? '';
      expect(text).toMatch(/Administrative Shutdown|Cease/i);
    });
  },
);
