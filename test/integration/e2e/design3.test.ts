/**
 * Design 3 end to end: several tunnels from ONE appliance to the SAME gateway address
 * (/work/shared/examples/multi-tunnel-same-gateway.yaml, loaded as written; only the PSK comes
 * from the environment, as the file says). nvad runs the real daemon in a namespace; the gateway
 * is strongSwan (kernel-libipsec) + FRR (AS 65515, one BGP address 10.0.255.254) in another.
 *
 *   lan (172.16.2.1, host 172.16.10.4) ── eth2 172.16.2.5 ┐
 *                                                           nva ── eth0 172.16.0.5 ┐
 *                                                               ── eth1 172.16.1.4 ┴ nat (1:1 NAT to
 *   198.51.100.30 / .31) ── gw 203.0.113.30 (charon, FRR on lo 10.0.255.254) ── azvm 10.1.0.4
 *
 * Host plumbing the example assumes (as on a multi-NIC VM): each outside address leaves through its
 * own NIC (source rules after nvad's routing-context rules), and L4 ECMP hashing
 * (net.ipv4.fib_multipath_hash_policy=1) so the streams of one host pair spread over the tunnels.
 *
 * Checks: both tunnels and both BGP sessions (same neighbor address, two routing contexts) up; the
 * gateway's prefix merged from both contexts into ONE main-table route with a nexthop per tunnel;
 * the context statics are not redistributed, the inside static is; a multi-stream iperf3 transfer
 * uses both tunnels (per-tunnel ESP counters); a tunnel going away leaves the other carrying traffic.
 *
 * Caveat (peers-in-netns.md): one libipsec charon sends everything through its first 0/0 child
 * SA, so gateway→NVA traffic arrives on one tunnel only; the NVA→gateway direction is nvad's ECMP.
 * Needs root, strongSwan (charon, swanctl), FRR, iperf3, iptables.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { kernelRoutes, routeDevs } from '../../support/kernel-routes.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { Charon, CHARON_BIN } from '../../support/strongswan.js';

const REPO = resolve(import.meta.dirname, '../../..');
const EXAMPLE = join(REPO, 'test/fixtures/config/shared-examples/multi-tunnel-same-gateway.yaml');
const GW_BGP = '10.0.255.254';
const AZ_PREFIX = '10.1.0.0/24';
const AZ_VM = '10.1.0.4';
const LAN_HOST = '172.16.10.4';
const PSK = `d3-${process.pid}-${Date.now().toString(36)}-shared-secret`;

function have(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function frrConf(): string {
  const lines = [
    'frr defaults traditional',
    'hostname gw',
    'router bgp 65515',
    ` bgp router-id ${GW_BGP}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  ];
  for (const n of ['192.168.255.254', '172.16.1.4']) {
    lines.push(
      ` neighbor ${n} remote-as 64900`,
      ` neighbor ${n} passive`,
      ` neighbor ${n} ebgp-multihop 5`,
      ` neighbor ${n} update-source ${GW_BGP}`,
      ` neighbor ${n} timers 10 30`,
    );
  }
  lines.push(' address-family ipv4 unicast', `  network ${AZ_PREFIX}`, ' exit-address-family', '');
  return lines.join('\n');
}

interface TunnelSa {
  interface: string;
  lineProtocolUp: boolean;
  pktsEncaps: number;
  pktsDecaps: number;
}

interface BgpSummary {
  neighbors: { address: string; routingContext: string | null; state: string }[];
}

describeWithPrereqs(
  'Design 3: two tunnels, two routing contexts, one gateway address, ECMP',
  {
    root: isRoot(),
    frr: haveFrr(),
    strongswan: existsSync(CHARON_BIN),
    iperf3: have('iperf3'),
    iptables: have('iptables'),
  },
  () => {
    const nva = new TestNetns('d3');
    const nat = new TestNetns('d3');
    const gw = new TestNetns('d3');
    const azvm = new TestNetns('d3');
    const lan = new TestNetns('d3');
    let dir = '';
    let charon: Charon | undefined;
    let frr: FrrPeer | undefined;
    let nvad: DaemonProcess | undefined;

    const showJson = <T>(words: string): Promise<T> => nvad!.showJson<T>(words);

    async function tunnels(): Promise<Map<string, TunnelSa>> {
      const j = await showJson<{ tunnels: TunnelSa[] }>('crypto ipsec sa');
      return new Map(j.tunnels.map((t) => [t.interface, t]));
    }

    const devs = (): string[] => routeDevs(nva, AZ_PREFIX) ?? [];

    function ping(from: TestNetns, src: string, dst: string): boolean {
      try {
        from.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '-I', src, dst]);
        return true;
      } catch {
        return false;
      }
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvd3-'));
      for (const ns of [nva, nat, gw, azvm, lan]) ns.create();

      // NVA outside NICs behind the 1:1 NAT, inside NIC to the LAN.
      vethPair(nva, 'eth0', nat, 'outa');
      vethPair(nva, 'eth1', nat, 'outb');
      vethPair(nva, 'eth2', lan, 'eth0');
      nva.addr('eth0', '172.16.0.5/24');
      nva.addr('eth1', '172.16.1.4/24');
      nva.addr('eth2', '172.16.2.5/24');
      nva.route('default', 'via', '172.16.0.1');
      for (const [src, gwIp, dev, table] of [
        ['172.16.0.5', '172.16.0.1', 'eth0', '100'],
        ['172.16.1.4', '172.16.1.1', 'eth1', '101'],
      ] as const) {
        nva.route('default', 'via', gwIp, 'dev', dev, 'table', table);
        nva.ip('rule', 'add', 'from', src, 'lookup', table, 'priority', '1100');
      }
      nva.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      nva.exec('sysctl', ['-qw', 'net.ipv4.fib_multipath_hash_policy=1']);

      lan.addr('eth0', '172.16.2.1/24');
      lan.addr('lo', `${LAN_HOST}/32`);
      lan.route('default', 'via', '172.16.2.5');

      nat.addr('outa', '172.16.0.1/24');
      nat.addr('outb', '172.16.1.1/24');
      vethPair(nat, 'pub', gw, 'eth0');
      nat.addr('pub', '198.51.100.1/24');
      nat.addr('pub', '198.51.100.30/32');
      nat.addr('pub', '198.51.100.31/32');
      nat.route('203.0.113.0/24', 'dev', 'pub');
      nat.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      for (const [priv, pub] of [
        ['172.16.0.5', '198.51.100.30'],
        ['172.16.1.4', '198.51.100.31'],
      ] as const) {
        const ipt = (...a: string[]): string => nat.exec('iptables', ['-w', '-t', 'nat', ...a]);
        ipt('-A', 'PREROUTING', '-i', 'pub', '-d', pub, '-j', 'DNAT', '--to-destination', priv);
        ipt('-A', 'POSTROUTING', '-o', 'pub', '-s', priv, '-j', 'SNAT', '--to-source', pub);
      }

      gw.addr('eth0', '203.0.113.30/24');
      gw.route('198.51.100.0/24', 'dev', 'eth0');
      gw.addr('lo', `${GW_BGP}/32`);
      vethPair(gw, 'vm', azvm, 'eth0');
      gw.addr('vm', '10.1.0.1/24');
      gw.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      azvm.addr('eth0', `${AZ_VM}/24`);
      azvm.route('default', 'via', '10.1.0.1');

      charon = await Charon.start({
        ns: gw.name,
        name: 'd3gw',
        baseDir: dir,
        conns: (['198.51.100.30', '198.51.100.31'] as const).map((peer, i) => ({
          name: `t${i}`,
          localAddrs: '203.0.113.30',
          remoteAddrs: peer,
          localId: '203.0.113.30',
          remoteId: peer,
          psk: PSK,
          proposals: 'aes256-sha1-modp1024',
          rekeyTime: 28800,
          dpdDelay: 0,
          children: [{ name: `t${i}c`, espProposals: 'aes256-sha1', rekeyTime: 3600 }],
        })),
      });
      await waitFor('ipsec0', () => gw.ip('-o', 'link', 'show').includes('ipsec0:'), 5000, 25);
      gw.ip('link', 'set', 'ipsec0', 'up');
      for (const p of ['192.168.255.254/32', '172.16.1.4/32', '172.16.0.0/16']) {
        gw.route(p, 'dev', 'ipsec0', 'src', GW_BGP);
      }
      frr = startFrr(gw, frrConf());

      nvad = await DaemonProcess.start(nva.name, EXAMPLE, join(dir, 'run'), { NVAD_PSK: PSK });
    }, 90_000);

    afterAll(async () => {
      await nvad?.kill();
      await charon?.stop();
      charon?.removeDir();
      frr?.stop();
      for (const ns of [lan, azvm, gw, nat, nva]) ns.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('brings both tunnels to the one gateway address up, each from its own outside address', async () => {
      await waitFor(
        'both tunnels up',
        async () => {
          const t = await tunnels();
          return t.get('Tunnel0')?.lineProtocolUp === true && t.get('Tunnel1')?.lineProtocolUp;
        },
        40_000,
        250,
      );
      const sas = charon!.listSas().filter((s) => s.state === 'ESTABLISHED');
      expect(sas.map((s) => s.remoteHost).sort()).toEqual(['198.51.100.30', '198.51.100.31']);
    }, 60_000);

    it('has one BGP session per routing context to the same neighbor address', async () => {
      const s = await waitFor(
        'both sessions Established',
        async () => {
          const j = await showJson<BgpSummary>('ip bgp summary');
          return j.neighbors.filter((n) => n.state === 'Established').length === 2 ? j : false;
        },
        60_000,
        500,
      );
      expect(
        s.neighbors.map((n) => `${n.address}@${n.routingContext ?? 'default'}`).sort(),
      ).toEqual([`${GW_BGP}@outside-one`, `${GW_BGP}@outside-two`]);
    }, 70_000);

    it('merges the routes learned in both contexts into one main-table ECMP route', async () => {
      const both = await waitFor(
        'ECMP route over both tunnels',
        () => {
          const d = devs();
          return d.length === 2 ? d : false;
        },
        20_000,
        250,
      );
      expect(both).toEqual(['Tunnel0', 'Tunnel1']);
      expect(kernelRoutes(nva, AZ_PREFIX)[0]?.protocol).toBe('bgp');
    }, 30_000);

    it('redistributes the inside static but not the routing contexts’ peer routes', async () => {
      const learned = await waitFor(
        'gateway learns 172.16.0.0/16',
        () => {
          const r = frr!.showIpBgpJson().routes ?? {};
          return r['172.16.0.0/16'] !== undefined ? r : false;
        },
        20_000,
        250,
      );
      expect(learned[`${GW_BGP}/32`]).toBeUndefined();
      // Learned over both sessions (one path per context).
      expect(learned['172.16.0.0/16']).toHaveLength(2);
    }, 30_000);

    it('spreads a multi-stream transfer over both tunnels', async () => {
      expect(ping(lan, LAN_HOST, AZ_VM)).toBe(true);
      const before = await tunnels();
      const server = azvm.spawn('iperf3', ['-s', '-1', '-B', AZ_VM]);
      try {
        await waitFor(
          'iperf3 server',
          () => azvm.exec('ss', ['-ltn']).includes(`${AZ_VM}:5201`),
          5000,
          50,
        );
        lan.exec('iperf3', ['-c', AZ_VM, '-B', LAN_HOST, '-P', '8', '-t', '3', '-J'], {
          timeoutMs: 30_000,
        });
      } finally {
        server.kill('SIGKILL');
      }
      const after = await tunnels();
      const sent = (n: string): number =>
        (after.get(n)?.pktsEncaps ?? 0) - (before.get(n)?.pktsEncaps ?? 0);
      console.log(
        `DESIGN3 iperf3 -P 8: Tunnel0 +${sent('Tunnel0')} pkts, Tunnel1 +${sent('Tunnel1')} pkts`,
      );
      expect(sent('Tunnel0')).toBeGreaterThan(200);
      expect(sent('Tunnel1')).toBeGreaterThan(200);
    }, 60_000);

    it('keeps forwarding over the other tunnel when one goes away', async () => {
      // The gateway deletes tunnel 0's IKE SA (as in maintenance): nvad takes Tunnel0 down at once.
      const t0 = charon!.listSas().find((s) => s.remoteHost === '198.51.100.30');
      expect(t0).toBeDefined();
      charon!.terminateIke(t0!.uniqueId);
      const one = await waitFor(
        'route via Tunnel1 only',
        () => {
          const d = devs();
          return d.length === 1 ? d : false;
        },
        10_000,
        100,
      );
      expect(one).toEqual(['Tunnel1']);
      expect(ping(lan, LAN_HOST, AZ_VM)).toBe(true);
      // nvad re-initiates; both come back without manual action.
      await waitFor('ECMP again', () => devs().length === 2, 60_000, 500);
    }, 90_000);
  },
);
