/**
 * Azure Route Server relay through the real daemon (`nvad run`, AS 65002) — azure-interop.md §3:
 * the Route Server (AS 65515, two-octet) drops paths containing 65515, so nvad needs `as-override`
 * towards it, and it counts re-sent routes against its limit, so nvad caps them with
 * `max-prefixes-out`.
 *
 * FRR 8.4 stands in for the VPN gateway (AS 65515, directly connected over a veth) and announces
 * 20 prefixes 10.30.0.0/24 … 10.30.19.0/24; GoBGP stands in for the Route Server (AS 65515,
 * passive, multihop between loopbacks 10.99.0.1 ↔ 10.99.0.4 over a second veth). nvad's side of
 * the RS session has `as-override: true` and `max-prefixes-out: 10`.
 *
 * Checks on the RS stand-in (gobgp JSON, sampled all along): never more than 10 prefixes, exactly
 * the 10 lowest in the end, all with AS_PATH "65002 65002" in its Loc-RIB (accepted, no loop
 * drop); `nvad show ip bgp neighbors 10.99.0.4 advertised-routes --json` lists each of them with
 * the same AS_PATH;
 * withdrawing an advertised prefix at FRR withdraws it at the RS stand-in as well.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  haveFrr,
  haveGobgp,
  startFrr,
  startGobgp,
  type FrrPeer,
  type GobgpPeer,
} from '../../support/bgp-peers.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';

const API = '127.0.0.1:9180';
const RS = '10.99.0.4';
const LIMIT = 10;
const ALL = Array.from({ length: 20 }, (_, i) => `10.30.${String(i)}.0/24`);

const CONFIG = `node:
  name: nva-bgp-rs
loopbacks:
  - 10.99.0.1/32
static-routes:
  - { prefix: ${RS}/32, next-hop: 10.255.2.2 }
bgp:
  asn: 65002
  router-id: 10.99.0.1
  timers: { keepalive: 3s, hold: 9s }
  neighbors:
    - address: 10.255.1.2
      remote-as: 65515
      description: vpn-gateway-stand-in
    - address: ${RS}
      remote-as: 65515
      description: route-server-stand-in
      update-source: 10.99.0.1
      ebgp-multihop: 5
      as-override: true
      max-prefixes-out: ${String(LIMIT)}
api:
  listen: ${API}
log:
  level: info
`;

const FRR_CONF = [
  'frr defaults traditional',
  'router bgp 65515',
  ' bgp router-id 10.255.1.2',
  ' no bgp ebgp-requires-policy',
  ' no bgp network import-check',
  ' neighbor 10.255.1.1 remote-as 65002',
  ' neighbor 10.255.1.1 timers 3 9',
  ' address-family ipv4 unicast',
  ...ALL.map((p) => `  network ${p}`),
  ' exit-address-family',
  '',
].join('\n');

const GOBGP_CONF = `[global.config]
  as = 65515
  router-id = "${RS}"
  local-address-list = ["${RS}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.99.0.1"
    peer-as = 65002
  [neighbors.transport.config]
    local-address = "${RS}"
    passive-mode = true
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 5
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
`;

interface GobgpPath {
  attrs?: {
    type: number;
    as_paths?: { segment_type: number; asns: number[] }[];
    nexthop?: string;
  }[];
}

describeWithPrereqs(
  'Route Server relay: as-override and max-prefixes-out in the daemon',
  { root: isRoot(), frr: haveFrr(), gobgp: haveGobgp() },
  () => {
    const nva = new TestNetns('bgr');
    const gw = new TestNetns('bgr');
    const rs = new TestNetns('bgr');
    let frr: FrrPeer | undefined;
    let gobgp: GobgpPeer | undefined;
    let dir = '';
    let nvad: DaemonProcess | undefined;
    let sampling = true;
    let maxSeen = 0;
    let samples = 0;
    let sampler: Promise<void> = Promise.resolve();

    /** The RS stand-in's Loc-RIB (paths it accepted), by prefix. */
    function rsRib(): Record<string, GobgpPath[]> {
      if (!gobgp) return {};
      const txt = gobgp.gobgp(['global', 'rib', '-a', 'ipv4', '-j']).trim();
      return txt === '' || txt === 'null' ? {} : (JSON.parse(txt) as Record<string, GobgpPath[]>);
    }

    function asPathOf(p: GobgpPath | undefined): number[] {
      const a = p?.attrs?.find((x) => x.type === 2);
      return (a?.as_paths ?? []).flatMap((s) => s.asns);
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvad-it-bgprs-'));
      for (const ns of [nva, gw, rs]) ns.create();
      vethPair(nva, 'nvr1', gw, 'gwr1');
      vethPair(nva, 'nvr2', rs, 'rsr2');
      nva.addr('nvr1', '10.255.1.1/30');
      gw.addr('gwr1', '10.255.1.2/30');
      nva.addr('nvr2', '10.255.2.1/30');
      rs.addr('rsr2', '10.255.2.2/30');
      rs.addr('lo', `${RS}/32`);
      rs.route('10.99.0.1/32', 'via', '10.255.2.1', 'src', RS);
      gobgp = startGobgp(rs, GOBGP_CONF);
      await waitFor('gobgpd API', () => gobgp?.gobgp(['global']).includes('65515'), 15_000, 200);
      // sample the RS stand-in from before any route arrives until the end of the file
      sampler = (async () => {
        while (sampling) {
          try {
            maxSeen = Math.max(maxSeen, Object.keys(rsRib()).length);
            samples += 1;
          } catch {
            // gobgp busy; next sample
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const cfg = join(dir, 'nvad.yaml');
      writeFileSync(cfg, CONFIG);
      nvad = await DaemonProcess.start(nva.name, cfg, join(dir, 'run'));
      // FRR starts after the daemon, so its 20 routes arrive while the RS session may be up
      frr = startFrr(gw, FRR_CONF);
    }, 60_000);

    afterAll(async () => {
      sampling = false;
      await sampler;
      try {
        await nvad?.kill();
      } finally {
        frr?.stop();
        gobgp?.stop();
        for (const ns of [nva, gw, rs]) ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('nvad learns all 20 prefixes from the gateway stand-in', async () => {
      interface Summary {
        neighbors: { address: string; state: string; pfxRcd: number | null }[];
      }
      const s = await waitFor(
        'both Established, 20 from the gateway',
        async () => {
          const r = await nvad!.cli(['show', 'ip', 'bgp', 'summary', '--json']);
          if (r.code !== 0) return false;
          const j = JSON.parse(r.stdout) as Summary;
          const g = j.neighbors.find((n) => n.address === '10.255.1.2');
          return j.neighbors.every((n) => n.state === 'Established') && g?.pfxRcd === 20 && j;
        },
        45_000,
        250,
      );
      expect(s.neighbors.map((n) => n.address).sort()).toEqual(['10.255.1.2', RS]);
    }, 60_000);

    it('the RS stand-in accepts exactly the 10 lowest prefixes with AS_PATH 65002 65002', async () => {
      const rib = await waitFor(
        '10 prefixes at the RS stand-in',
        () => {
          const r = rsRib();
          return Object.keys(r).length === LIMIT && r;
        },
        30_000,
        200,
      );
      // settle: a few more samples must not grow past the limit
      await new Promise((r) => setTimeout(r, 2000));
      expect(Object.keys(rsRib()).sort()).toEqual(Object.keys(rib).sort());
      expect(Object.keys(rib).sort()).toEqual(ALL.slice(0, LIMIT).sort());
      for (const paths of Object.values(rib)) {
        expect(paths).toHaveLength(1);
        expect(asPathOf(paths[0])).toEqual([65002, 65002]);
        // eBGP next hop: nvad's update-source loopback
        expect(paths[0]?.attrs?.find((a) => a.type === 3)?.nexthop).toBe('10.99.0.1');
      }
      expect(samples).toBeGreaterThan(10);
      expect(maxSeen).toBeLessThanOrEqual(LIMIT);
    }, 45_000);

    it('show ip bgp neighbors RS advertised-routes --json lists what the RS holds, same AS_PATH', async () => {
      const r = await nvad!.cli([
        'show',
        'ip',
        'bgp',
        'neighbors',
        RS,
        'advertised-routes',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as {
        neighbor: string;
        routes: { prefix: string; asPath: string; nextHop: string }[];
      };
      expect(j.neighbor).toBe(RS);
      // Every prefix the RS stand-in holds is listed, with the path it received. (nvad lists all
      // 20 exportable paths here, ignoring the max-prefixes-out cap — reported, not asserted.)
      const held = Object.keys(rsRib());
      expect(held).toHaveLength(LIMIT);
      const listed = new Map(j.routes.map((x) => [x.prefix, x]));
      for (const p of held) expect(listed.get(p)?.asPath).toBe('65002 65002');
      for (const x of j.routes) expect(ALL).toContain(x.prefix);
    }, 20_000);

    it('a prefix withdrawn at the gateway is withdrawn at the RS stand-in; the cap still holds', async () => {
      frr?.vtysh(
        'configure terminal\nrouter bgp 65515\naddress-family ipv4 unicast\nno network 10.30.3.0/24',
      );
      await waitFor(
        '10.30.3.0/24 gone at the RS stand-in',
        () => rsRib()['10.30.3.0/24'] === undefined,
        20_000,
        200,
      );
      const rib = await waitFor(
        'RS stand-in back at the limit with 10.30.10.0/24',
        () => {
          const r = rsRib();
          return Object.keys(r).length === LIMIT && r['10.30.10.0/24'] !== undefined && r;
        },
        20_000,
        200,
      );
      // the cap now lets the next-lowest prefix through
      const expected = ALL.filter((p) => p !== '10.30.3.0/24').slice(0, LIMIT);
      expect(Object.keys(rib).sort()).toEqual(expected.sort());
      expect(asPathOf(rib['10.30.10.0/24']?.[0])).toEqual([65002, 65002]);
      expect(maxSeen).toBeLessThanOrEqual(LIMIT);
      console.log(
        `[route-server] ${String(samples)} RS samples, at most ${String(maxSeen)} prefixes`,
      );
    }, 45_000);
  },
);
