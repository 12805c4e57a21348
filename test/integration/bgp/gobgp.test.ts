/**
 * Interop with GoBGP 3.x as an Azure Route Server stand-in: AS 65515 (2-octet), passive; our
 * speaker uses a 4-octet ASN, so its OPEN carries AS_TRANS in My AS (RFC 6793 §4.1).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveGobgp, scratchDir, startGobgp, type GobgpPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { bgpConfig, neighbor } from '../../unit/bgp/session/harness.js';
import { SpeakerAgent } from './agent-client.js';

const PEER = '10.98.0.2';
const haveTshark = existsSync('/usr/bin/tshark') && existsSync('/usr/bin/tcpdump');

describeWithPrereqs(
  'BGP interop: GoBGP route server stand-in, 4-octet ASN on our side',
  { root: isRoot(), gobgp: haveGobgp(), 'tshark and tcpdump': haveTshark },
  () => {
    const nva = new TestNetns('bgpg');
    const rs = new TestNetns('bgpg');
    let gobgp: GobgpPeer | undefined;
    let agent: SpeakerAgent | undefined;
    const capDir = scratchDir('cap');
    const capFile = join(capDir, 'bgp.pcap');
    let capture: ChildProcess | undefined;

    beforeAll(async () => {
      nva.create();
      rs.create();
      vethPair(nva, 'nvg0', rs, 'rsg0');
      nva.addr('nvg0', '10.98.0.1/30');
      rs.addr('rsg0', `${PEER}/30`);
      gobgp = startGobgp(
        rs,
        `[global.config]
  as = 65515
  router-id = "${PEER}"
  local-address-list = ["${PEER}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.98.0.1"
    peer-as = 4200000003
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.timers.config]
    hold-time = 90
    keepalive-interval = 30
`,
      );
      await waitFor('gobgpd API', () => gobgp?.gobgp(['global']).includes('65515'), 15_000, 200);
      gobgp.gobgp(['global', 'rib', '-a', 'ipv4', 'add', '10.30.0.0/16']);
      // tcpdump + tshark as an independent oracle for the OPEN we send.
      if (haveTshark) {
        // -Z root: after dropping to the tcpdump user nothing was written here (0 packets).
        capture = rs.spawn('/usr/bin/tcpdump', [
          '-Z',
          'root',
          '--immediate-mode',
          '-i',
          'rsg0',
          '-U',
          '-w',
          capFile,
          'tcp',
          'port',
          '179',
        ]);
        await waitFor('capture file', () => existsSync(capFile), 5000, 50);
      }
    });

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        gobgp?.stop();
        capture?.kill('SIGKILL');
        execFileSync('rm', ['-rf', capDir]);
        nva.destroy();
        rs.destroy();
      }
    });

    it('establishes with AS_TRANS in our OPEN and exchanges IPv4 routes', async () => {
      const a = new SpeakerAgent(nva);
      agent = a;
      await a.start({
        bgp: bgpConfig(4200000003, '10.98.0.1', [neighbor(PEER, 65515)], ['10.10.0.0/16']),
        connectRetrySec: 2,
      });
      await waitFor(
        'Established',
        async () => (await a.summary()).neighbors[0]?.state === 'Established',
      ).catch((e: unknown) => {
        throw new Error(
          `${(e as Error).message}\n${a.stderr.slice(-2000)}\n${gobgp?.log().slice(-2000) ?? ''}`,
        );
      });
      const got = await waitFor('route from GoBGP', async () => {
        const r = await a.received(PEER);
        return r.length > 0 ? r : undefined;
      });
      expect(got).toEqual(['10.30.0.0/16 via 10.98.0.2 path 65515']);
      // GoBGP learned our 4-octet AS from the capability, not from My AS (= 23456).
      const nb = gobgp?.gobgp(['neighbor', '10.98.0.1']) ?? '';
      expect(nb).toMatch(/BGP state = ESTABLISHED/);
      expect(nb).toMatch(/remote AS 4200000003/);
      const rib = await waitFor('GoBGP has our network', () => {
        const out = gobgp?.gobgp(['global', 'rib', '-a', 'ipv4']) ?? '';
        return out.includes('10.10.0.0/16') ? out : undefined;
      });
      expect(rib).toMatch(/10\.10\.0\.0\/16\s+10\.98\.0\.1\s+4200000003/);
    });

    it('a withdrawn route at GoBGP disappears from our received routes', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      gobgp?.gobgp(['global', 'rib', '-a', 'ipv4', 'del', '10.30.0.0/16']);
      await waitFor('withdraw', async () => (await a.received(PEER)).length === 0);
      expect(
        a.events.some((e) => e.event === 'routes' && e.withdrawn?.includes('10.30.0.0/16')),
      ).toBe(true);
    });

    it('tshark decodes our OPEN: My AS = AS_TRANS, 4-octet AS capability = 4200000003', async () => {
      const c = capture;
      if (!c) throw new Error('no capture');
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGINT');
      await exited;
      const out = execFileSync(
        'tshark',
        [
          '-r',
          capFile,
          '-Y',
          'bgp.type == 1 && ip.src == 10.98.0.1',
          '-T',
          'fields',
          '-e',
          'bgp.open.myas',
          '-e',
          'bgp.cap.4as',
        ],
        { encoding: 'utf8' },
      ).trim();
      expect(out.split('\n')[0]?.split('\t')).toEqual(['23456', '4200000003']);
    });
  },
);
