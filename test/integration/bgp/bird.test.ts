/**
 * Interop with BIRD 2.0: IPv6 over MP-BGP (RFC 4760) on an IPv6 session, a 4-octet-ASN peer
 * (RFC 6793), and ROUTE-REFRESH (RFC 2918) in both directions.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveBird, startBird, type BirdPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { bgpConfig, neighbor } from '../../unit/bgp/session/harness.js';
import { SpeakerAgent } from './agent-client.js';

const PEER = 'fd99::2';

describeWithPrereqs(
  'BGP interop: BIRD, IPv6 MP-BGP, 4-octet AS peer, route refresh',
  { root: isRoot(), bird: haveBird() },
  () => {
    const nva = new TestNetns('bgpb');
    const peerNs = new TestNetns('bgpb');
    let bird: BirdPeer | undefined;
    let agent: SpeakerAgent | undefined;

    beforeAll(() => {
      nva.create();
      peerNs.create();
      vethPair(nva, 'nvb0', peerNs, 'brb0');
      nva.addr('nvb0', 'fd99::1/64');
      peerNs.addr('brb0', 'fd99::2/64');
      bird = startBird(
        peerNs,
        `router id 10.255.0.20;
protocol device { scan time 1; }
protocol static adv6 { ipv6; route 2001:db8:20::/48 blackhole; }
protocol bgp nva {
  local ${PEER} as 4200000020;
  neighbor fd99::1 as 65002;
  passive on;
  hold time 90;
  keepalive time 30;
  ipv6 { import all; export where proto = "adv6"; };
}
`,
      );
    });

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        bird?.stop();
        nva.destroy();
        peerNs.destroy();
      }
    });

    it('exchanges IPv6 prefixes with a 4-octet-ASN peer', async () => {
      const a = new SpeakerAgent(nva);
      agent = a;
      await a.start({
        bgp: bgpConfig(
          65002,
          '10.255.0.1',
          [
            neighbor(PEER, 4200000020, {
              updateSource: 'fd99::1',
              addressFamilies: ['ipv6-unicast'],
            }),
          ],
          ['2001:db8:10::/48'],
        ),
        connectRetrySec: 2,
      });
      await waitFor(
        'Established',
        async () => (await a.summary()).neighbors[0]?.state === 'Established',
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.stderr.slice(-3000)}`);
      });
      const neg = await a.call<{
        as4: boolean;
        families: { afi: number; safi: number }[];
        remoteAs: number;
      }>('negotiated', { neighbor: PEER });
      expect(neg.as4).toBe(true);
      expect(neg.remoteAs).toBe(4200000020);
      expect(neg.families).toEqual([{ afi: 2, safi: 1 }]);
      const got = await waitFor('IPv6 route from BIRD', async () => {
        const r = await a.received(PEER);
        return r.length > 0 ? r : undefined;
      });
      expect(got).toEqual(['2001:db8:20::/48 via fd99::2 path 4200000020']);
      const shown = await waitFor('BIRD has our prefix', () => {
        bird?.birdc('show status'); // BIRD may hold its last UPDATE; a query flushes it
        const out = bird?.birdc('show route protocol nva all') ?? '';
        return out.includes('2001:db8:10::/48') ? out : undefined;
      });
      expect(shown).toMatch(/BGP\.as_path: 65002/);
      expect(shown).toMatch(/BGP\.next_hop: fd99::1/);
    });

    it('our ROUTE-REFRESH makes BIRD re-send its IPv6 routes', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      const count = (): number =>
        a.events.filter(
          (e) =>
            e.event === 'routes' &&
            e.announced?.includes('2001:db8:20::/48 via fd99::2 path 4200000020'),
        ).length;
      const before = count();
      expect(await a.call<number>('refresh', { neighbor: PEER })).toBe(1);
      await waitFor('re-sent routes', () => {
        bird?.birdc('show status');
        return count() > before;
      });
    });

    it('BIRD "reload in" sends us ROUTE-REFRESH for IPv6 unicast', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      bird?.birdc('reload in nva');
      const ev = await waitFor('ROUTE-REFRESH from BIRD', () =>
        a.events.find((e) => e.event === 'refresh'),
      );
      expect([ev.afi, ev.safi]).toEqual([2, 1]);
    });
  },
);
