/**
 * BGP inside the real daemon (`nvad run` through tsx, real rtnetlink) in a namespace of its own,
 * with FRR 8.4 standing in for both instances of an active-active Azure VPN Gateway (AS 65515,
 * passive, APIPA 169.254.21.2 / 169.254.21.6 on lo). Each "tunnel" is a veth; nvad reaches the
 * gateway's APIPA address through a static host route from its config, sources BGP from its
 * loopback 169.254.21.1 (update-source, multihop) and runs `maximum-paths 2`.
 *
 * Checks: both sessions Established with one prefix each (`nvad show ip bgp summary`), FRR's
 * 10.20.0.0/16 in the kernel as `proto bgp` over an ECMP nexthop group, FRR learns nvad's
 * 10.10.0.0/16, `show ip route bgp` lists the route; a SIGHUP adding a network is applied in place
 * (both FRR sessions stay up: same established count and up-since); `nvad clear ip bgp ADDR`
 * resets that session only (FRR sees Cease/Administrative Reset), `clear ip bgp * soft in` sends
 * ROUTE-REFRESH (FRR's counters); one "tunnel" going down removes its next hop from the group
 * within a second while the other keeps the route; SIGTERM removes the routes.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { routeDevs } from '../../support/kernel-routes.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';

const API = '127.0.0.1:9180';
const PREFIX = '10.20.0.0/16';

const CONFIG = `node:
  name: nva-bgp-it
loopbacks:
  - 169.254.21.1/32
static-routes:
  # the "tunnels": host routes to the gateway instances' APIPA BGP addresses
  - { prefix: 169.254.21.2/32, next-hop: 10.255.1.2 }
  - { prefix: 169.254.21.6/32, next-hop: 10.255.2.2 }
bgp:
  asn: 65010
  router-id: 169.254.21.1
  maximum-paths: 2
  timers: { keepalive: 3s, hold: 9s }
  networks:
    - 10.10.0.0/16
  neighbors:
    - address: 169.254.21.2
      remote-as: 65515
      update-source: 169.254.21.1
      ebgp-multihop: 5
    - address: 169.254.21.6
      remote-as: 65515
      update-source: 169.254.21.1
      ebgp-multihop: 5
api:
  listen: ${API}
log:
  level: info
`;

function frrConf(apipa: string, logFile: string): string {
  return [
    'frr defaults traditional',
    `log file ${logFile} informational`,
    'router bgp 65515',
    ` bgp router-id ${apipa}`,
    ' bgp log-neighbor-changes',
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' neighbor 169.254.21.1 remote-as 65010',
    ' neighbor 169.254.21.1 passive',
    ' neighbor 169.254.21.1 ebgp-multihop 5',
    ` neighbor 169.254.21.1 update-source ${apipa}`,
    ' neighbor 169.254.21.1 timers 3 9',
    ' address-family ipv4 unicast',
    `  network ${PREFIX}`,
    ' exit-address-family',
    '',
  ].join('\n');
}

interface KernelRoute {
  dst: string;
  protocol?: string;
  nhid?: number;
  gateway?: string;
  dev?: string;
}

/** The fields of FRR's `show bgp neighbors X json` used here. */
interface FrrNeighbor {
  bgpState: string;
  connectionsEstablished: number;
  connectionsDropped: number;
  bgpTimerUpEstablishedEpoch?: number;
  lastNotificationReason?: string;
  lastResetDueTo?: string;
  messageStats?: { routeRefreshRecv?: number; notificationsRecv?: number };
}

function frrNeighbor(p: FrrPeer | undefined): FrrNeighbor {
  if (!p) throw new Error('no FRR peer');
  const j = JSON.parse(p.vtysh('show bgp neighbors 169.254.21.1 json')) as Record<
    string,
    FrrNeighbor | undefined
  >;
  const n = j['169.254.21.1'];
  if (!n) throw new Error(`FRR has no neighbor 169.254.21.1: ${JSON.stringify(j)}`);
  return n;
}

describeWithPrereqs(
  'BGP in the daemon with FRR as the Azure gateway (two tunnels, ECMP)',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgd');
    const az1 = new TestNetns('bgd');
    const az2 = new TestNetns('bgd');
    const peers: FrrPeer[] = [];
    let dir = '';
    let nvad: DaemonProcess | undefined;
    const frrLog = (i: number): string => join(dir, 'frr-log', `az${i}.log`);
    const frrLogText = (i: number): string =>
      existsSync(frrLog(i)) ? readFileSync(frrLog(i), 'utf8') : '';

    function routes(...filter: string[]): KernelRoute[] {
      return JSON.parse(nva.ip('-j', 'route', 'show', ...filter)) as KernelRoute[];
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvad-it-bgpd-'));
      for (const ns of [nva, az1, az2]) ns.create();
      vethPair(nva, 'nvb1', az1, 'azb1');
      vethPair(nva, 'nvb2', az2, 'azb2');
      nva.addr('nvb1', '10.255.1.1/30');
      nva.addr('nvb2', '10.255.2.1/30');
      az1.addr('azb1', '10.255.1.2/30');
      az2.addr('azb2', '10.255.2.2/30');
      az1.addr('lo', '169.254.21.2/32');
      az2.addr('lo', '169.254.21.6/32');
      az1.route('169.254.21.1/32', 'via', '10.255.1.1', 'src', '169.254.21.2');
      az2.route('169.254.21.1/32', 'via', '10.255.2.1', 'src', '169.254.21.6');
      // Count BGP packets from nvad by their TTL (ebgp-multihop 5; no router in between).
      for (const ttl of ['5', '64']) {
        az1.exec('iptables', [
          '-w',
          '-A',
          'INPUT',
          '-p',
          'tcp',
          '--dport',
          '179',
          '-m',
          'ttl',
          '--ttl-eq',
          ttl,
        ]);
      }
      // FRR (user frr) logs neighbor changes and NOTIFICATIONs into a directory it may write.
      chmodSync(dir, 0o711);
      mkdirSync(join(dir, 'frr-log'), { mode: 0o777 });
      chmodSync(join(dir, 'frr-log'), 0o777);
      peers.push(
        startFrr(az1, frrConf('169.254.21.2', frrLog(1))),
        startFrr(az2, frrConf('169.254.21.6', frrLog(2))),
      );
      const cfg = join(dir, 'nvad.yaml');
      writeFileSync(cfg, CONFIG);
      nvad = await DaemonProcess.start(nva.name, cfg, join(dir, 'run'));
    }, 60_000);

    afterAll(async () => {
      try {
        await nvad?.kill();
      } finally {
        for (const p of peers) p.stop();
        for (const ns of [nva, az1, az2]) ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('both sessions reach Established with one prefix each (show ip bgp summary)', async () => {
      interface Summary {
        neighbors: { address: string; state: string; pfxRcd: number | null }[];
      }
      const s = await waitFor(
        'Established/PfxRcd 1 on both neighbors',
        async () => {
          const j = await nvad!.showJson<Summary>('ip bgp summary');
          return j.neighbors.every((n) => n.state === 'Established' && n.pfxRcd === 1) && j;
        },
        45_000,
        500,
      );
      expect(s.neighbors.map((n) => n.address)).toEqual(['169.254.21.2', '169.254.21.6']);
      const text = await nvad!.cli(['show', 'ip', 'bgp', 'summary']);
      expect(text.stdout).toContain('BGP router identifier 169.254.21.1, local AS number 65010');
      expect(text.stdout).toMatch(/^169\.254\.21\.2\s+4\s+65515\s.*\s1$/m);
    }, 60_000);

    it("installs FRR's prefix in the kernel as proto bgp over an ECMP group of both tunnels", async () => {
      const devs = await waitFor(
        'ECMP route',
        () => {
          const d = routeDevs(nva, PREFIX);
          return d !== undefined && d.length === 2 && d;
        },
        20_000,
      );
      expect([...devs].sort()).toEqual(['nvb1', 'nvb2']);
      expect(routes(PREFIX)[0]?.protocol).toBe('bgp');
    }, 30_000);

    it("FRR learns nvad's network", async () => {
      for (const p of peers) {
        const r = await waitFor(
          '10.10.0.0/16 at FRR',
          () => p.showIpBgpJson().routes?.['10.10.0.0/16'],
          20_000,
        );
        expect(r.length).toBeGreaterThan(0);
      }
    }, 45_000);

    it('sends BGP with the ebgp-multihop TTL (5), not the kernel default', () => {
      const counts = az1
        .exec('iptables', ['-w', '-L', 'INPUT', '-v', '-n', '-x'])
        .split('\n')
        .filter((l) => l.includes('TTL match TTL =='))
        .map((l) => {
          const f = l.trim().split(/\s+/);
          return { ttl: /TTL == (\d+)/.exec(l)?.[1], packets: Number(f[0]) };
        });
      expect(counts.find((c) => c.ttl === '5')?.packets).toBeGreaterThan(5);
      expect(counts.find((c) => c.ttl === '64')?.packets).toBe(0);
      expect(nvad!.out).not.toContain('kernel default TTL');
    });

    it('show ip route bgp lists the route with both next hops; show ip bgp PREFIX explains the choice', async () => {
      const r = await nvad!.cli(['show', 'ip', 'route', 'bgp']);
      expect(r.code).toBe(0);
      // best path first: which one is best ("Older") depends on which session came up first
      expect(r.stdout).toMatch(/^B\s+10\.20\.0\.0\/16 \[20\/0\] via 169\.254\.21\.[26], /m);
      expect(r.stdout).toMatch(/^\s+\[20\/0\] via 169\.254\.21\.[26], /m);
      expect(r.stdout).toContain('via 169.254.21.2, ');
      expect(r.stdout).toContain('via 169.254.21.6, ');
      const b = await nvad!.cli(['show', 'ip', 'bgp', PREFIX]);
      expect(b.stdout).toContain(`BGP routing table entry for ${PREFIX}`);
      expect(b.stdout).toContain('Paths: (2 available, best #1, table default)');
      expect(b.stdout).toContain('Multipath: eBGP');
      expect(b.stdout).toMatch(/Best path reason: \w+/);
      const adv = await nvad!.cli([
        'show',
        'ip',
        'bgp',
        'neighbors',
        '169.254.21.2',
        'advertised-routes',
      ]);
      expect(adv.stdout).toMatch(/^\*> 10\.10\.0\.0\/16\s+169\.254\.21\.1\s.*65010 i$/m);
    }, 30_000);

    it('exports per-neighbor BGP metrics and installed routes by source', () => {
      const m = nva.exec('curl', ['-s', `http://${API}/metrics`]);
      for (const n of ['169.254.21.2', '169.254.21.6']) {
        expect(m).toContain(`nvad_bgp_neighbor_up{neighbor="${n}",context="default"} 1`);
        expect(m).toContain(`nvad_bgp_prefixes_received{neighbor="${n}",context="default"} 1`);
        // 10.10.0.0/16, plus 10.20.0.0/16 towards the neighbor that is not its best path's source
        expect(m).toMatch(
          new RegExp(
            `nvad_bgp_prefixes_advertised\\{neighbor="${n.replaceAll('.', '\\.')}",context="default"\\} [12]\n`,
          ),
        );
        expect(m).toMatch(
          new RegExp(
            `nvad_bgp_messages_total\\{neighbor="${n.replaceAll('.', '\\.')}",context="default",direction="in"\\} [1-9]`,
          ),
        );
      }
      expect(m).toContain('nvad_routes_installed{source="bgp"} 1');
      expect(m).toContain('nvad_routes_installed{source="static"} 2');
    });

    async function ecmpBack(what: string): Promise<void> {
      const devs = await waitFor(
        what,
        () => {
          const d = routeDevs(nva, PREFIX);
          return d !== undefined && d.length === 2 && d;
        },
        30_000,
      );
      expect([...devs].sort()).toEqual(['nvb1', 'nvb2']);
    }

    it('SIGHUP with a new network is applied in place: advertised, both FRR sessions stay up', async () => {
      const before = peers.map(frrNeighbor);
      expect(before.map((n) => n.bgpState)).toEqual(['Established', 'Established']);
      writeFileSync(
        join(dir, 'nvad.yaml'),
        CONFIG.replace('    - 10.10.0.0/16\n', '    - 10.10.0.0/16\n    - 10.11.0.0/16\n'),
      );
      nvad?.signal('SIGHUP');
      for (const p of peers) {
        await waitFor(
          '10.11.0.0/16 at FRR',
          () => p.showIpBgpJson().routes?.['10.11.0.0/16'],
          30_000,
          250,
        );
      }
      await ecmpBack('ECMP route after reload');
      const after = peers.map(frrNeighbor);
      for (const [i, a] of after.entries()) {
        const b = before[i];
        expect(a.bgpState).toBe('Established');
        expect(a.connectionsEstablished).toBe(b?.connectionsEstablished);
        expect(a.connectionsDropped).toBe(b?.connectionsDropped);
        // FRR derives the epoch from the uptime: it may move by a second's rounding.
        expect(
          Math.abs((a.bgpTimerUpEstablishedEpoch ?? 0) - (b?.bgpTimerUpEstablishedEpoch ?? -9)),
        ).toBeLessThanOrEqual(1);
      }
      await waitFor('the reload log line', () =>
        nvad?.out.includes('bgp configuration applied in place'),
      );
      expect(nvad?.out).not.toContain('restarting the speaker');
    }, 70_000);

    it('clear ip bgp 169.254.21.2 resets that session only (FRR sees Cease/Administrative Reset)', async () => {
      const [a1, a2] = peers.map(frrNeighbor);
      const log2 = frrLogText(2);
      const r = await nvad!.cli(['clear', 'ip', 'bgp', '169.254.21.2']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        '169.254.21.2: reset (Cease/Administrative Reset sent, session restarting)\n',
      );
      const n = await waitFor(
        'FRR az1 Established again',
        () => {
          const x = frrNeighbor(peers[0]);
          return (
            x.connectionsEstablished === (a1?.connectionsEstablished ?? 0) + 1 &&
            x.bgpState === 'Established' &&
            x
          );
        },
        45_000,
        250,
      );
      expect(n.connectionsDropped).toBe((a1?.connectionsDropped ?? 0) + 1);
      expect(n.messageStats?.notificationsRecv).toBeGreaterThan(
        a1?.messageStats?.notificationsRecv ?? 0,
      );
      // FRR's own log of the NOTIFICATION (its JSON "last reset" is overwritten by later events).
      expect(frrLogText(1)).toMatch(
        /NOTIFICATION.*received from neighbor 169\.254\.21\.1.*Administrative Reset/,
      );
      expect(frrLogText(2).slice(log2.length)).not.toMatch(/Administrative Reset/);
      const b2 = frrNeighbor(peers[1]);
      expect(b2.messageStats?.notificationsRecv).toBe(a2?.messageStats?.notificationsRecv);
      expect(b2.bgpState).toBe('Established');
      expect(b2.connectionsEstablished).toBe(a2?.connectionsEstablished);
      expect(
        Math.abs((b2.bgpTimerUpEstablishedEpoch ?? 0) - (a2?.bgpTimerUpEstablishedEpoch ?? -9)),
      ).toBeLessThanOrEqual(1);
      await ecmpBack('ECMP route after clear');
    }, 70_000);

    it('clear ip bgp * soft in sends ROUTE-REFRESH to both (FRR counters), no reset', async () => {
      const before = peers.map(frrNeighbor);
      const r = await nvad!.cli(['clear', 'ip', 'bgp', '*', 'soft', 'in', '--json']);
      expect(r.code).toBe(0);
      const dto = JSON.parse(r.stdout) as { neighbors: { address: string; actions: string[] }[] };
      expect(dto.neighbors.map((x) => [x.address, x.actions])).toEqual([
        ['169.254.21.2', ['route-refresh']],
        ['169.254.21.6', ['route-refresh']],
      ]);
      for (const [i, p] of peers.entries()) {
        const was = before[i]?.messageStats?.routeRefreshRecv ?? 0;
        await waitFor(
          `ROUTE-REFRESH counted by FRR ${i + 1}`,
          () => (frrNeighbor(p).messageStats?.routeRefreshRecv ?? 0) > was,
          15_000,
          250,
        );
        const now = frrNeighbor(p);
        expect(now.bgpState).toBe('Established');
        expect(now.connectionsEstablished).toBe(before[i]?.connectionsEstablished);
      }
      await ecmpBack('ECMP route after soft clear');
    }, 45_000);

    it('a tunnel going down leaves the ECMP group within one second; the other keeps the route', async () => {
      expect(routeDevs(nva, PREFIX)?.length).toBe(2);
      const t0 = Date.now();
      nva.ip('link', 'set', 'nvb1', 'down');
      const devs = await waitFor(
        'one nexthop left',
        () => {
          const d = routeDevs(nva, PREFIX);
          return d !== undefined && d.length === 1 && d;
        },
        5_000,
        10,
      );
      const elapsed = Date.now() - t0;
      console.log(`[bgp-daemon] nexthop removed from the ECMP group after ${elapsed} ms`);
      expect(elapsed).toBeLessThan(1000);
      expect(devs).toEqual(['nvb2']);
      expect(routes(PREFIX)[0]?.protocol).toBe('bgp');
    }, 20_000);

    it('SIGTERM removes the BGP routes from the kernel and exits 0', async () => {
      expect(routes('proto', 'bgp').length).toBeGreaterThan(0);
      nvad?.signal('SIGTERM');
      expect(await nvad?.exited).toBe(0);
      expect(routes('proto', 'bgp')).toEqual([]);
      expect(routes(PREFIX)).toEqual([]);
    }, 30_000);
  },
);
