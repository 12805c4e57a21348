/**
 * The multi-tunnel design (shared example multi-tunnel-same-gateway.yaml): two sessions to the
 * SAME neighbor address 10.0.255.254 in two routing contexts, told apart by update-source. Each
 * "gateway" is an FRR in its own namespace; policy routing by source address stands in for the
 * per-context tables, so each session can only use its own path.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { bgpConfig, neighbor } from '../../unit/bgp/session/harness.js';
import { SpeakerAgent } from './agent-client.js';

const GW = '10.0.255.254';
const SRC1 = '192.168.255.254';
const SRC2 = '172.16.1.4';

function frrConf(peer: string, network: string): string {
  return [
    'frr defaults traditional',
    'router bgp 65515',
    ` bgp router-id ${GW}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ` neighbor ${peer} remote-as 64900`,
    ` neighbor ${peer} passive`,
    ` neighbor ${peer} ebgp-multihop 5`,
    ` neighbor ${peer} update-source ${GW}`,
    ' address-family ipv4 unicast',
    `  network ${network}`,
    ' exit-address-family',
    '',
  ].join('\n');
}

describeWithPrereqs(
  'BGP: one neighbor address in two routing contexts',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgpm');
    const gw1 = new TestNetns('bgpm');
    const gw2 = new TestNetns('bgpm');
    const frrs: FrrPeer[] = [];
    let agent: SpeakerAgent | undefined;

    beforeAll(() => {
      for (const ns of [nva, gw1, gw2]) ns.create();
      vethPair(nva, 'nvm1', gw1, 'gwm1');
      vethPair(nva, 'nvm2', gw2, 'gwm2');
      nva.addr('nvm1', '10.97.1.1/30');
      gw1.addr('gwm1', '10.97.1.2/30');
      nva.addr('nvm2', '10.97.2.1/30');
      gw2.addr('gwm2', '10.97.2.2/30');
      nva.addr('lo', `${SRC1}/32`);
      nva.addr('lo', `${SRC2}/32`);
      gw1.addr('lo', `${GW}/32`);
      gw2.addr('lo', `${GW}/32`);
      // Per-context tables selected by source address.
      nva.route(`${GW}/32`, 'via', '10.97.1.2', 'src', SRC1, 'table', '101');
      nva.route(`${GW}/32`, 'via', '10.97.2.2', 'src', SRC2, 'table', '102');
      nva.ip('rule', 'add', 'from', SRC1, 'lookup', '101', 'priority', '101');
      nva.ip('rule', 'add', 'from', SRC2, 'lookup', '102', 'priority', '102');
      gw1.route(`${SRC1}/32`, 'via', '10.97.1.1');
      gw2.route(`${SRC2}/32`, 'via', '10.97.2.1');
      frrs.push(startFrr(gw1, frrConf(SRC1, '10.21.0.0/16')));
      frrs.push(startFrr(gw2, frrConf(SRC2, '10.22.0.0/16')));
    });

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        for (const f of frrs) f.stop();
        for (const ns of [nva, gw1, gw2]) ns.destroy();
      }
    });

    it('brings up both sessions and keeps their routes apart', async () => {
      const a = new SpeakerAgent(nva);
      agent = a;
      await a.start(
        {
          bgp: bgpConfig(
            64900,
            SRC1,
            [
              neighbor(GW, 65515, {
                routingContext: 'outside-one',
                updateSource: SRC1,
                ebgpMultihop: 5,
              }),
              neighbor(GW, 65515, {
                routingContext: 'outside-two',
                updateSource: SRC2,
                ebgpMultihop: 5,
              }),
            ],
            ['172.16.0.0/16'],
          ),
          connectRetrySec: 2,
          tunnels: [
            { name: 'Tunnel0', address: `${SRC1}/32` },
            { name: 'Tunnel1', address: `${SRC2}/32` },
          ],
        },
        // Loc-RIB keeps contexts apart and does not export default-context networks into them
        // (see the report); this test covers the session layer with the speaker's own origination.
        false,
      );
      await waitFor('both Established', async () =>
        (await a.summary()).neighbors.every((n) => n.state === 'Established'),
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.stderr.slice(-3000)}`);
      });
      await waitFor('routes', async () => (await a.received(`outside-two/${GW}`)).length > 0);
      expect(await a.received(`outside-one/${GW}`)).toEqual([`10.21.0.0/16 via ${GW} path 65515`]);
      expect(await a.received(`outside-two/${GW}`)).toEqual([`10.22.0.0/16 via ${GW} path 65515`]);
      for (const [i, f] of frrs.entries()) {
        const r = await waitFor(
          'gateway has our network',
          () => f.showIpBgpJson().routes?.['172.16.0.0/16'],
        );
        const p = r[0] as { nexthops?: { ip?: string }[] };
        expect(p.nexthops?.[0]?.ip).toBe(i === 0 ? SRC1 : SRC2);
      }
    });

    it("tunnelDown closes only that context's session at once; tunnelUp restores it", async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      expect(await a.call<string[]>('tunnelDown', { name: 'Tunnel1' })).toEqual([
        `outside-two/${GW}`,
      ]);
      const states = (await a.summary()).neighbors.map((n) => n.state);
      expect(states[0]).toBe('Established');
      expect(states[1]).not.toBe('Established');
      await waitFor('gateway 2 saw the session go down', () => {
        const j = JSON.parse(frrs[1]?.vtysh(`show bgp neighbors ${SRC2} json`) ?? '{}') as Record<
          string,
          { bgpState?: string }
        >;
        return j[SRC2]?.bgpState !== 'Established';
      });
      const t0 = Date.now();
      expect(await a.call<string[]>('tunnelUp', { name: 'Tunnel1' })).toEqual([
        `outside-two/${GW}`,
      ]);
      await waitFor('re-established', async () =>
        (await a.summary()).neighbors.every((n) => n.state === 'Established'),
      );
      console.info(`multi-context: re-established ${Date.now() - t0} ms after tunnelUp`);
      const again = await waitFor('routes again', async () => {
        const r = await a.received(`outside-two/${GW}`);
        return r.length > 0 ? r : undefined;
      });
      expect(again).toEqual([`10.22.0.0/16 via ${GW} path 65515`]);
    });
  },
);
