/**
 * The lab's rendered nvad configurations load through the real config loader and mean Design 1:
 * a bow-tie (each NVA a tunnel to each gateway instance), BGP from the APIPA loopback, PSKs only
 * by `${file:…}` reference; the nvad gateway responds only, AS 65515, passive neighbors.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText, type Config } from '../../../src/config/index.js';
import { gatewayNvadConfig, gatewayTunnelName } from '../../../src/lab/gateway-nvad.js';
import { nvaConfig } from '../../../src/lab/nva-config.js';
import { GATEWAY_ASN, NVA_ASN, makePlan } from '../../../src/lab/plan.js';
import { routeServerBgpdConf } from '../../../src/lab/route-server.js';

const plan = makePlan('t1');
const PSKS: Record<string, string> = {
  'psk-conn10': 'first-secret-value',
  'psk-conn20': 'second-secret-value',
};

function load(text: string): Config {
  const r = loadConfigText(text, '/lab/x.yaml', {
    secrets: {
      env: () => undefined,
      readFile: (path) => {
        const v = PSKS[path];
        if (v === undefined) throw new Error('no such file');
        return `${v}\n`;
      },
    },
  });
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r.config;
}

describe('NVA configs (Design 1, azure-active-active-bgp.yaml)', () => {
  it('give each NVA a tunnel to each gateway instance and BGP to both from its APIPA loopback', () => {
    const peers = new Set<string>();
    for (const n of plan.nvas) {
      const text = nvaConfig(plan, n);
      for (const v of Object.values(PSKS)) expect(text).not.toContain(v);
      expect(text).toContain(`\${file:${n.pskFile}}`);
      const c = load(text);
      expect(c.tunnels.map((t) => t.name)).toEqual(n.tunnels.map((t) => t.name));
      expect(c.tunnels.map((t) => t.peer)).toEqual(['203.0.113.10', '203.0.113.11']);
      expect(c.tunnels.every((t) => t.initiate)).toBe(true);
      expect(c.tunnels.every((t) => t.psk?.reveal() === PSKS[n.pskFile])).toBe(true);
      expect(c.loopbacks).toEqual([`${n.apipa}/32`]);
      expect(c.bgp?.asn).toBe(NVA_ASN);
      expect(c.bgp?.maximumPaths).toBe(2);
      expect(c.bgp?.neighbors.map((x) => x.address)).toEqual(['169.254.21.2', '169.254.21.6']);
      expect(c.bgp?.neighbors.every((x) => x.updateSource === n.apipa && !x.passive)).toBe(true);
      expect(c.bgp?.neighbors.every((x) => x.remoteAs === GATEWAY_ASN)).toBe(true);
      for (const t of c.tunnels) peers.add(`${n.node}->${t.peer}`);
    }
    expect(peers.size).toBe(4); // the bow-tie
  });

  it('match the shared example for nva-10 (tunnel names and inside addresses)', () => {
    const n = plan.nvas[0]!;
    expect(n.name).toBe('nva-10');
    expect(n.apipa).toBe('169.254.21.1');
    expect(n.tunnels.map((t) => [t.name, t.address])).toEqual([
      ['Tunnel101', '10.100.10.1/32'],
      ['Tunnel102', '10.100.10.2/32'],
    ]);
  });
});

describe('nvad as gateway instance', () => {
  it('responds only, runs AS 65515 with passive neighbors on its APIPA address', () => {
    for (const g of plan.gateways) {
      const c = load(gatewayNvadConfig(plan, g));
      expect(c.tunnels.map((t) => t.name)).toEqual(plan.nvas.map(gatewayTunnelName));
      expect(c.tunnels.map((t) => t.peer)).toEqual(['198.51.100.4', '198.51.100.5']);
      expect(c.tunnels.every((t) => !t.initiate)).toBe(true);
      expect(c.loopbacks).toEqual([`${g.apipa}/32`]);
      expect(c.bgp?.asn).toBe(65515);
      expect(c.bgp?.neighbors.map((x) => x.address)).toEqual(['169.254.21.1', '169.254.22.1']);
      expect(c.bgp?.neighbors.every((x) => x.passive && x.updateSource === g.apipa)).toBe(true);
    }
  });
});

describe('with the Route Server stand-in', () => {
  it('peers each NVA with both Route Server instances as the example does (as-override)', () => {
    const withRs = makePlan('t1', { routeServer: true });
    const c = load(nvaConfig(withRs, withRs.nvas[1]!));
    const rs = c.bgp?.neighbors.filter((x) => x.address.startsWith('10.10.4.')) ?? [];
    expect(rs.map((x) => x.address)).toEqual(['10.10.4.4', '10.10.4.5']);
    expect(
      rs.every((x) => x.asOverride && x.remoteAs === 65515 && x.updateSource === undefined),
    ).toBe(true);
    expect(routeServerBgpdConf(withRs, withRs.routeServers[0]!)).toContain(
      ' neighbor 10.10.0.5 ebgp-multihop 2',
    );
  });
});
