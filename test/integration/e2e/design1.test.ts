/**
 * Design 1 end to end: "HA with BGP over APIPA" (/work/shared/examples/azure-active-active-bgp.yaml)
 * with two real nvad NVAs in the Azure active-active gateway stand-in (test/support/azure):
 *
 *   - each NVA's config is rendered from the shared example (only the lab's addresses, the
 *     gateway AS 65515 and the PSK variable substituted; nvad-nva.ts), PSK via ${env:...};
 *   - four tunnels (bow-tie) through the 1:1 NAT, BGP from each NVA's APIPA loopback to both
 *     gateway instances (FRR on instance 0, BIRD on instance 1) and from its inside NIC to both
 *     Route Server speakers (BIRD, AS 65515; speaker 0 programs the VNet router's table);
 *
 * checked: all tunnels and sessions up (nvad's JSON API and the peers' own views); the gateways
 * learn the NVAs' VNet prefix from both NVAs; each NVA installs the gateway's prefix as ECMP
 * over its two tunnels (one kernel route, two nexthops); the Route Server learns the Azure
 * prefix from both NVAs with 65515 overridden (AS path 65002 65002) and the VNet router routes
 * it ECMP over both NVAs' inside NICs; the Azure VM and the VNet VM reach each other; no PSK
 * in nvad's output, logs or running-config.
 *
 * Stand-in caveats (peers-in-netns.md): libipsec fakes NAT-D, picks the outbound SA by
 * (src, dst) only (each gateway's children are narrowed to one NVA's APIPA + the VNet), and
 * the identities are the public (post-NAT) addresses.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AzureStandin } from '../../support/azure/standin.js';
import { describeWithPrereqs, waitFor } from '../../support/netns.js';
import {
  design1Prereqs,
  kernelRouteDevs,
  kernelRouteVias,
  startDesign1,
  waitDesign1Up,
  type BgpSummaryDto,
  type Design1,
  type SessionDto,
} from './design1-lab.js';

const AZURE = '10.20.0.0/16';
const VNET = '10.10.0.0/16';

interface FrrRoute {
  paths?: { aspath?: { string?: string }; peer?: { peerId?: string }; valid?: boolean }[];
}

function frrPaths(s: AzureStandin, prefix: string): { from: string; asPath: string }[] {
  const gw = s.gateways[0]!;
  if (gw.bgp.kind !== 'frr') throw new Error('gateway 0 runs FRR');
  const j = JSON.parse(gw.bgp.peer.vtysh(`show bgp ipv4 unicast ${prefix} json`)) as FrrRoute;
  return (j.paths ?? []).map((p) => ({
    from: p.peer?.peerId ?? '',
    asPath: p.aspath?.string ?? '',
  }));
}

describeWithPrereqs(
  'Design 1: two nvad NVAs, bow-tie to an active-active gateway',
  design1Prereqs(),
  () => {
    let d: Design1 | undefined;
    let upSec = 0;

    beforeAll(async () => {
      d = await startDesign1({ tag: 'do' });
      upSec = await waitDesign1Up(d, 90_000);
      console.log(
        `DESIGN1 all 4 tunnels and 12 BGP sessions up ${upSec.toFixed(1)} s after nvad start`,
      );
    }, 180_000);

    afterAll(async () => {
      await d?.standin.destroy();
    }, 60_000);

    it('renders each NVA config from the shared example with only the lab addresses changed', () => {
      const [a, b] = d!.nvas;
      expect(a!.config.nodeName).toBe('nva-10');
      expect(b!.config.nodeName).toBe('nva-20');
      // NVA 0 keeps the example's addresses: underlay, loopback, peers, neighbors, networks.
      expect(a!.config.doc.underlay).toEqual({
        'local-address': '10.10.0.4',
        'public-address': '198.51.100.4',
      });
      expect(a!.config.doc.loopbacks).toEqual(['169.254.21.1/32']);
      expect(a!.config.yaml).toContain('psk: ${env:NVAD_PSK_CONN10}');
      expect(b!.config.yaml).toContain('psk: ${env:NVAD_PSK_CONN20}');
      for (const n of d!.nvas) {
        const yaml = n.config.yaml;
        for (const v of Object.values(n.config.env)) expect(yaml).not.toContain(v);
      }
    });

    it('has all four tunnels UP-ACTIVE and every BGP session Established, on both sides', () => {
      const s = d!.standin;
      for (const n of d!.nvas) {
        const sess = n.show('crypto session') as SessionDto;
        expect(sess.sessions.map((x) => [x.interface, x.status])).toEqual([
          ['Tunnel101', 'UP-ACTIVE'],
          ['Tunnel102', 'UP-ACTIVE'],
        ]);
        const sum = n.show('ip bgp summary') as BgpSummaryDto;
        expect(sum.neighbors.map((x) => [x.address, x.state])).toEqual([
          ['169.254.21.2', 'Established'],
          ['169.254.21.6', 'Established'],
          ['10.10.4.4', 'Established'],
          ['10.10.4.5', 'Established'],
        ]);
      }
      // The gateways: one IKE SA per NVA (bow-tie), each from the NVA's public address.
      for (const g of s.gateways) {
        const sas = g.charon.listSas();
        expect(sas.map((x) => x.remoteId).sort()).toEqual(['198.51.100.4', '198.51.100.5']);
        for (const sa of sas) {
          expect(sa.state).toBe('ESTABLISHED');
          expect(sa.children[0]?.state).toBe('INSTALLED');
        }
        for (const n of s.plan.nvas)
          expect(s.gatewayBgpState(g.plan.index, n.index)).toBe('Established');
      }
      for (const n of s.plan.nvas) {
        for (let j = 0; j < s.routeServers.length; j++) {
          expect(s.routeServerBgpState(j, n.index)).toBe('Established');
        }
      }
    });

    it('gives both gateway instances the VNet prefix from both NVAs', async () => {
      const s = d!.standin;
      const frr = await waitFor(
        'gw0 (FRR) paths to the VNet from both NVAs',
        () => {
          const p = frrPaths(s, VNET);
          return p.length === 2 && p;
        },
        30_000,
      );
      expect(frr.map((p) => p.from).sort()).toEqual(['169.254.21.1', '169.254.21.9']);
      for (const p of frr) expect(p.asPath).toBe('65002');
      const gw1 = s.gateways[1]!;
      if (gw1.bgp.kind !== 'bird') throw new Error('gateway 1 runs BIRD');
      const bird = gw1.bgp.peer;
      const routes = await waitFor(
        'gw1 (BIRD) routes to the VNet from both NVAs',
        () => {
          const r = bird.birdc(`show route ${VNET} all`);
          return r.includes('[nva0 ') && r.includes('[nva1 ') && r;
        },
        30_000,
      );
      expect(routes).toMatch(/BGP\.as_path: 65002\n/);
    });

    it('installs the Azure prefix on each NVA as one kernel route over both tunnels (ECMP)', async () => {
      for (const n of d!.nvas) {
        const devs = await waitFor(
          `${n.config.nodeName}: ${AZURE} over both tunnels`,
          () => {
            const x = kernelRouteDevs(n.slot.ns, AZURE);
            return x.length === 2 && x;
          },
          30_000,
        );
        expect(devs).toEqual(['Tunnel101', 'Tunnel102']);
        expect(n.slot.ns.ip('route', 'show', AZURE)).toContain('proto bgp');
      }
    });

    it('gives the Route Server the Azure prefix from both NVAs with 65515 overridden, and the VNet ECMP', async () => {
      const s = d!.standin;
      for (const rs of s.routeServers) {
        const r = await waitFor(
          `Route Server ${rs.ip}: ${AZURE} from both NVAs`,
          () => {
            const out = rs.bird.birdc(`show route ${AZURE} all`);
            return out.includes('[nva0 ') && out.includes('[nva1 ') && out;
          },
          30_000,
        );
        const paths = [...r.matchAll(/BGP\.as_path: ([\d ]*)/g)].map((m) => m[1]!.trim());
        expect(paths).toEqual(['65002 65002', '65002 65002']);
        expect(r).not.toMatch(/as_path:.*65515/);
      }
      // Azure programs what the Route Server learned into the VNet: ECMP over both NVAs.
      const vias = await waitFor(
        'VNet router ECMP over both NVAs',
        () => {
          const v = kernelRouteVias(s.router, AZURE);
          return v.length === 2 && v;
        },
        30_000,
      );
      expect(vias).toEqual(s.plan.nvas.map((n) => n.insideIp).sort());
    });

    it('lets the Azure VM reach the VNet VM and back', () => {
      const s = d!.standin;
      const vm = s.vnetVms[0]!;
      expect(s.azureVm.ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', vm.ip])).toMatch(
        /5 received/,
      );
      expect(vm.ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', s.plan.azureVmIp])).toMatch(
        /5 received/,
      );
    });

    it('never shows or logs a PSK', () => {
      for (const n of d!.nvas) {
        const cfg = n.show('running-config') as { yaml: string };
        const seen = JSON.stringify(cfg) + n.daemon.out + n.daemon.err;
        for (const v of Object.values(n.config.env)) expect(seen).not.toContain(v);
        expect(cfg.yaml).toContain('<redacted>');
      }
    });
  },
);
