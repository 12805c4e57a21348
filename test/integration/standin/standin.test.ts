/**
 * The Azure active-active VPN gateway stand-in (test/support/azure) proven on its own, with a
 * strongSwan + BIRD NVA stand-in in the NVA slot (as /work/shared/docs/peers-in-netns.md did):
 * both tunnels up through the 1:1 NAT (NAT-T, identity = public IP), BGP Established on both
 * gateway instances (FRR on instance 0, BIRD on instance 1) and on both Route Server speakers
 * (from the NVA's inside NIC; speaker 0 programs the VNet router's table from what it learns),
 * the Azure VM pings a VM behind the NVA, and teardown leaves no namespace or process behind.
 * Needs root, strongSwan (charon, swanctl), FRR, BIRD, iptables.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/netns.js';
import { startNvaStandin } from '../../support/azure/nva-standin.js';
import type { NvaStandin } from '../../support/azure/nva-standin.js';
import { buildStandin } from '../../support/azure/standin.js';
import type { AzureStandin } from '../../support/azure/standin.js';

/** Pids of every process inside namespace `ns`. */
function pidsIn(ns: string): number[] {
  return execFileSync('ip', ['netns', 'pids', ns], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

/** True while `pid` exists and is not a zombie (daemons are re-parented to init, reaped lazily). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('Azure gateway stand-in with a strongSwan + BIRD NVA', () => {
  let standin: AzureStandin | undefined;
  let nva: NvaStandin | undefined;
  let names: string[] = [];

  beforeAll(async () => {
    standin = await buildStandin({ tag: 'sti', azureVmVia: [0] });
    names = standin.namespaceNames();
    nva = await startNvaStandin(standin, 0);
  }, 60_000);

  afterAll(async () => {
    await standin?.destroy();
  });

  it('brings both tunnels up through the 1:1 NAT with the public IP as identity', async () => {
    const s = standin!;
    const sas = await nva!.charon.waitFor(
      (l) =>
        l.filter(
          (sa) => sa.state === 'ESTABLISHED' && sa.children.some((c) => c.state === 'INSTALLED'),
        ).length === 2,
    );
    for (const sa of sas) {
      expect(sa.localHost).toBe(s.plan.nvas[0]!.privateIp);
      expect(sa.localId).toBe(s.plan.nvas[0]!.publicIp);
      expect(sa.localPort).toBe(4500);
      expect(sa.natLocal).toBe(true);
      expect(sa.encrAlg).toBe('AES_GCM_16');
      expect(sa.dhGroup).toBe('ECP_384');
    }
    for (const gw of s.gateways) {
      const [sa] = gw.charon.listSas();
      expect(sa?.state).toBe('ESTABLISHED');
      expect(sa?.remoteHost).toBe(s.plan.nvas[0]!.publicIp);
      expect(sa?.remoteId).toBe(s.plan.nvas[0]!.publicIp);
      expect(sa?.children[0]?.state).toBe('INSTALLED');
      expect(sa?.children[0]?.encap).toBe(true);
    }
  });

  it('has BGP Established on both gateway instances (FRR and BIRD) and both Route Server speakers', async () => {
    const s = standin!;
    expect(s.gateways.map((g) => g.bgp.kind)).toEqual(['frr', 'bird']);
    await s.waitGatewaysEstablished(0, 20_000);
    await waitFor(
      'Route Server sessions Established',
      () => s.routeServers.every((_, j) => s.routeServerBgpState(j, 0) === 'Established'),
      20_000,
    );
    // The NVA learned the Azure VNet from both gateway instances.
    const routes = await waitFor(
      'the Azure VNet from both gateway instances',
      () => {
        const r = nva!.bird.birdc('show route 10.20.0.0/16 all');
        return r.includes('169.254.21.2') && r.includes('169.254.21.6') && r;
      },
      20_000,
    );
    expect(routes).toMatch(/169\.254\.21\.2/);
    expect(routes).toMatch(/169\.254\.21\.6/);
    expect(routes).toMatch(/65515/);
    // Gateway 0 (FRR/zebra) installed the NVA's VNet prefix into the tunnel.
    await waitFor(
      'gw0 route to the VNet',
      () => s.gateways[0]!.ns.ip('route', 'show', '10.10.0.0/16').includes('ipsec0'),
      10_000,
    );
    // The VNet router follows the Route Server: the Azure VNet via the NVA's inside NIC.
    const udr = await waitFor(
      'the VNet router route from the Route Server',
      () => {
        const r = s.router.ip('route', 'show', '10.20.0.0/16');
        return r.includes(`via ${s.plan.nvas[0]!.insideIp}`) && r;
      },
      20_000,
    );
    expect(udr).toMatch(/proto bird/);
  });

  it('lets the Azure VM ping a VM behind the NVA (through tunnel 0 and the VNet router)', async () => {
    const s = standin!;
    const vm = s.vnetVms[0]!;
    await waitFor(
      'NVA route to the Azure VNet',
      () => s.nvas[0]!.ns.ip('route', 'show', '10.20.0.0/16').includes('ipsec0'),
      10_000,
    );
    const out = s.azureVm.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', vm.ip]);
    expect(out).toMatch(/3 received/);
    const back = vm.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', s.plan.azureVmIp]);
    expect(back).toMatch(/2 received/);
    const child = s.gateways[0]!.charon.listSas()[0]!.children[0]!;
    expect(child.packetsIn).toBeGreaterThanOrEqual(5);
    expect(child.packetsOut).toBeGreaterThanOrEqual(5);
  });

  it('tears down without leaving namespaces or processes behind', async () => {
    const s = standin!;
    const ours = new Set(names);
    const procs = names.flatMap(pidsIn);
    const comms = procs.map((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim());
    // Three charons (two gateways, the NVA), FRR (zebra, bgpd), BIRD on gw1, the NVA, both RS.
    expect(comms.filter((c) => c === 'charon')).toHaveLength(3);
    expect(comms.filter((c) => c === 'bird')).toHaveLength(4);
    expect(comms).toContain('bgpd');
    await s.destroy();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => ours.has(n));
    expect(left).toEqual([]);
    await waitFor('our daemons to exit', () => procs.every((p) => !alive(p)), 5000, 50);
  });
});

describe('Azure gateway stand-in, parameterised: one instance, BIRD, custom AS and CBC proposals', () => {
  let standin: AzureStandin | undefined;
  let nva: NvaStandin | undefined;

  beforeAll(async () => {
    standin = await buildStandin({
      tag: 'stj',
      instances: 1,
      gatewayBgpd: ['bird'],
      gatewayAsn: 65100,
      nvaAsn: 65010,
      routeServers: 0,
      ikeProposals: 'aes256-sha256-modp2048',
      espProposals: 'aes256-sha256-modp2048',
      psk: (i, k) => `per-pair-psk-${i}-${k}-not-for-production`,
    });
    nva = await startNvaStandin(standin, 0);
  }, 60_000);

  afterAll(async () => {
    await standin?.destroy();
  });

  it('negotiates the configured proposals, peers with the configured AS and carries traffic', async () => {
    const s = standin!;
    expect(s.gateways).toHaveLength(1);
    expect(s.routeServers).toHaveLength(0);
    const [sa] = s.gateways[0]!.charon.listSas();
    expect(sa).toMatchObject({ state: 'ESTABLISHED', encrAlg: 'AES_CBC', dhGroup: 'MODP_2048' });
    expect(sa!.children[0]).toMatchObject({ state: 'INSTALLED', integAlg: 'HMAC_SHA2_256_128' });
    await s.waitGatewaysEstablished(0, 20_000);
    const routes = await waitFor(
      'the Azure VNet at the NVA',
      () => {
        const r = nva!.bird.birdc('show route 10.20.0.0/16 all');
        return r.includes('BGP.as_path: 65100') && r;
      },
      20_000,
    );
    expect(routes).toMatch(/gw0/);
    await waitFor(
      'NVA route to the Azure VNet',
      () => s.nvas[0]!.ns.ip('route', 'show', '10.20.0.0/16').includes('ipsec0'),
      10_000,
    );
    expect(
      s.azureVm.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', s.vnetVms[0]!.ip]),
    ).toMatch(/2 received/);
  });
});
