/**
 * The Azure active-active VPN gateway stand-in in network namespaces (root; strongSwan, FRR, BIRD,
 * iptables): see plan.ts for the addressing. `buildStandin()` creates the internet router, the
 * gateway instances (charon with kernel-libipsec + a passive BGP speaker each), the Azure VM, the
 * NVA VNet behind a 1:1 NAT router with the Route Server stand-in and VNet VMs, and empty NVA slots
 * (namespace, addresses, routes) for nvad or nva-standin.ts. `destroy()` removes everything.
 *
 * Each gateway instance is its own namespace because one libipsec charon picks the outbound SA by
 * (src, dst) only. With several NVAs a gateway has one connection per NVA in the same charon,
 * each child narrowed to that NVA's APIPA address plus the VNet prefixes: BGP reaches every NVA
 * through its own SA, but Azure -> VNet data of an instance uses the first matching SA (one NVA)
 * until DPD clears it (`gatewayDpd`: delay and retransmission decide how fast).
 */
import { startBird, startFrr } from '../bgp-peers.js';
import type { BirdPeer, FrrPeer } from '../bgp-peers.js';
import { TestNetns, vethPair, waitFor } from '../netns.js';
import { Charon } from '../strongswan.js';
import type { SwanConn } from '../strongswan.js';
import { gatewayBirdConf, gatewayFrrConf, routeServerBirdConf } from './bgp-config.js';
import { makePlan } from './plan.js';
import type { GatewayPlan, NvaPlan, StandinOptions, StandinPlan } from './plan.js';

export type BgpHandle = { kind: 'frr'; peer: FrrPeer } | { kind: 'bird'; peer: BirdPeer };

export interface GatewayInstance {
  readonly plan: GatewayPlan;
  readonly ns: TestNetns;
  readonly charon: Charon;
  readonly bgp: BgpHandle;
}

export interface NvaSlot {
  readonly plan: NvaPlan;
  readonly ns: TestNetns;
}

export interface RouteServerSpeaker {
  readonly ip: string;
  readonly ns: TestNetns;
  readonly bird: BirdPeer;
}

export interface VmHost {
  readonly ip: string;
  readonly ns: TestNetns;
}

function sysctlForward(ns: TestNetns): void {
  ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

function ecmp(vias: readonly string[], dev?: string): string[] {
  const d = dev === undefined ? [] : ['dev', dev];
  if (vias.length === 1) return ['via', vias[0]!, ...d];
  return vias.flatMap((v) => ['nexthop', 'via', v, ...d]);
}

/** BGP state word ("Established", "Active", ...) of a BIRD protocol. */
export function birdProtocolState(bird: BirdPeer, proto: string): string {
  const out = bird.birdc(`show protocols ${proto}`);
  const line = out.split('\n').find((l) => l.startsWith(`${proto} `));
  const m =
    line === undefined
      ? null
      : /\s(Established|Idle|Connect|Active|OpenSent|OpenConfirm|Close)\b/.exec(line);
  return m?.[1] ?? 'unknown';
}

/** The stand-in; build with {@link buildStandin}, always `destroy()`. */
export class AzureStandin {
  readonly plan: StandinPlan;
  readonly inet: TestNetns;
  readonly router: TestNetns;
  readonly azureVm: VmHost;
  readonly gateways: GatewayInstance[] = [];
  readonly nvas: NvaSlot[] = [];
  readonly routeServers: RouteServerSpeaker[] = [];
  readonly vnetVms: VmHost[] = [];
  private readonly namespaces: TestNetns[] = [];
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  private destroyed = false;

  constructor(plan: StandinPlan) {
    this.plan = plan;
    this.inet = this.newNs();
    this.router = this.newNs();
    this.azureVm = { ip: plan.azureVmIp, ns: this.newNs() };
  }

  private newNs(): TestNetns {
    const ns = new TestNetns(this.plan.tag);
    this.namespaces.push(ns);
    return ns;
  }

  /** Every namespace name of this stand-in (for leak checks). */
  namespaceNames(): string[] {
    return this.namespaces.map((n) => n.name);
  }

  /** Register an extra cleanup (run first, in reverse order) — e.g. for what an NVA slot runs. */
  onDestroy(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** State of the gateway instance `i`'s BGP session with NVA `k`. */
  gatewayBgpState(i: number, k: number): string {
    const gw = this.gateways[i];
    const nva = this.plan.nvas[k];
    if (gw === undefined || nva === undefined) throw new Error(`no gateway ${i} / nva ${k}`);
    if (gw.bgp.kind === 'bird') return birdProtocolState(gw.bgp.peer, `nva${k}`);
    const ip = nva.tunnels[i]!.localApipa;
    const j = JSON.parse(gw.bgp.peer.vtysh(`show bgp neighbors ${ip} json`)) as Record<
      string,
      { bgpState?: string } | undefined
    >;
    return j[ip]?.bgpState ?? 'unknown';
  }

  /** State of Route Server speaker `j`'s session with NVA `k`. */
  routeServerBgpState(j: number, k: number): string {
    const rs = this.routeServers[j];
    if (rs === undefined) throw new Error(`no route server ${j}`);
    return birdProtocolState(rs.bird, `nva${k}`);
  }

  /** Wait until every gateway instance has its session with NVA `k` Established. */
  async waitGatewaysEstablished(k: number, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `gateway BGP sessions with nva${k} Established`,
      () => this.gateways.every((g) => this.gatewayBgpState(g.plan.index, k) === 'Established'),
      timeoutMs,
      100,
    );
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep tearing down
      }
    }
    for (const g of this.gateways) {
      await g.charon.stop();
      g.bgp.peer.stop();
      g.charon.removeDir();
    }
    for (const rs of this.routeServers) rs.bird.stop();
    for (const ns of this.namespaces) ns.destroy();
  }

  /** Build everything; on failure tears down what exists and rethrows. */
  async build(options: BuildOptions): Promise<void> {
    const p = this.plan;
    this.inet.create();
    this.router.create();
    this.azureVm.ns.create();
    sysctlForward(this.inet);
    sysctlForward(this.router);

    // Internet: bridge with the public addresses.
    this.inet.ip('link', 'add', 'brpub', 'type', 'bridge');
    this.inet.addr('brpub', `${p.inetIp}/24`);
    this.inet.ip('link', 'set', 'brpub', 'up');

    // VNet router: public leg, 1:1 NAT, subnets.
    vethPair(this.inet, 'vrt', this.router, 'pub');
    this.inet.ip('link', 'set', 'vrt', 'master', 'brpub');
    this.router.addr('pub', `${p.routerPublicIp}/24`);
    this.router.route('default', 'via', p.inetIp);
    this.inet.route('198.51.100.0/24', 'via', p.routerPublicIp);
    for (const [br, ip] of [
      ['brout', p.routerOutsideIp],
      ['brin', p.routerInsideIp],
      ['brrs', p.routerRsIp],
      ['brvm', p.routerVmIp],
    ] as const) {
      this.router.ip('link', 'add', br, 'type', 'bridge');
      this.router.addr(br, `${ip}/24`);
      this.router.ip('link', 'set', br, 'up');
    }
    for (const n of p.nvas) {
      const ipt = (...a: string[]): string =>
        this.router.exec('iptables', ['-w', '-t', 'nat', ...a]);
      ipt(
        '-A',
        'PREROUTING',
        '-i',
        'pub',
        '-d',
        n.publicIp,
        '-j',
        'DNAT',
        '--to-destination',
        n.privateIp,
      );
      ipt(
        '-A',
        'POSTROUTING',
        '-o',
        'pub',
        '-s',
        n.privateIp,
        '-j',
        'SNAT',
        '--to-source',
        n.publicIp,
      );
      const ns = this.newNs().create();
      // Outside NIC (GigabitEthernet1): IKE/ESP through the 1:1 NAT, the default route.
      vethPair(this.router, `o${n.index}`, ns, 'eth0');
      this.router.ip('link', 'set', `o${n.index}`, 'master', 'brout');
      ns.addr('eth0', `${n.privateIp}/24`);
      ns.route('default', 'via', p.routerOutsideIp);
      // Inside NIC (GigabitEthernet2): the VNet, its VMs and the Route Server.
      vethPair(this.router, `i${n.index}`, ns, 'eth1');
      this.router.ip('link', 'set', `i${n.index}`, 'master', 'brin');
      ns.addr('eth1', `${n.insideIp}/24`);
      for (const pfx of p.vnetPrefixes) ns.route(pfx, 'via', p.routerInsideIp, 'dev', 'eth1');
      sysctlForward(ns);
      if (options.nvaApipaOnLo !== false) ns.addr('lo', `${n.apipa}/32`);
      this.nvas.push({ plan: n, ns });
    }
    if (p.udr && p.nvas.length > 0) {
      for (const pfx of p.azurePrefixes) {
        this.router.route(pfx, ...ecmp(p.nvas.map((n) => n.insideIp)));
      }
    }
    p.vnetVms.forEach((ip, m) => {
      const ns = this.newNs().create();
      vethPair(this.router, `m${m}`, ns, 'eth0');
      this.router.ip('link', 'set', `m${m}`, 'master', 'brvm');
      ns.addr('eth0', `${ip}/24`);
      ns.route('default', 'via', p.routerVmIp);
      this.vnetVms.push({ ip, ns });
    });
    p.routeServers.forEach((ip, j) => {
      if (j === 0) {
        // Speaker 0 lives in the VNet router and programs its table (ECMP across NVAs).
        this.router.addr('lo', `${ip}/32`);
        this.routeServers.push({
          ip,
          ns: this.router,
          bird: startBird(this.router, routeServerBirdConf(p, ip, true)),
        });
        return;
      }
      const ns = this.newNs().create();
      vethPair(this.router, `r${j}`, ns, 'eth0');
      this.router.ip('link', 'set', `r${j}`, 'master', 'brrs');
      ns.addr('eth0', `${ip}/24`);
      ns.route('default', 'via', p.routerRsIp);
      this.routeServers.push({ ip, ns, bird: startBird(ns, routeServerBirdConf(p, ip)) });
    });

    // Azure VM: bridge in its own namespace, one leg per gateway instance.
    this.azureVm.ns.ip('link', 'add', 'br0', 'type', 'bridge');
    this.azureVm.ns.addr('br0', `${p.azureVmIp}/16`);
    this.azureVm.ns.ip('link', 'set', 'br0', 'up');

    for (const g of p.gateways) await this.buildGateway(g, options);
    const vias = p.azureVmVia.map((i) => p.gateways[i]!.vnetIp);
    if (vias.length > 0) this.azureVm.ns.route('default', ...ecmp(vias));
  }

  private async buildGateway(g: GatewayPlan, options: StandinOptions): Promise<void> {
    const p = this.plan;
    const ns = this.newNs().create();
    vethPair(this.inet, `g${g.index}`, ns, 'eth0');
    this.inet.ip('link', 'set', `g${g.index}`, 'master', 'brpub');
    ns.addr('eth0', `${g.publicIp}/24`);
    ns.route('default', 'via', p.inetIp);
    ns.addr('lo', `${g.apipa}/32`);
    vethPair(ns, 'vnet', this.azureVm.ns, `g${g.index}`);
    this.azureVm.ns.ip('link', 'set', `g${g.index}`, 'master', 'br0');
    ns.addr('vnet', `${g.vnetIp}/16`);
    sysctlForward(ns);
    // One tunnel per NVA (bow-tie). libipsec picks the outbound SA by (src, dst), most specific
    // selector first: each child is narrowed to its NVA's APIPA address (so BGP to every NVA
    // uses that NVA's SA) plus the VNet prefixes (shared: the first installed SA carries the
    // data until DPD clears it).
    const conns: SwanConn[] = p.nvas.map((n) => ({
      name: `nva${n.index}`,
      localAddrs: g.publicIp,
      remoteAddrs: n.publicIp,
      localId: g.publicIp,
      remoteId: n.publicIp,
      psk: n.tunnels[g.index]!.psk,
      proposals: p.ikeProposals,
      rekeyTime: p.gatewayIkeRekeySec,
      dpdDelay: p.gatewayDpd.delaySec,
      children: [
        {
          name: `s2s-nva${n.index}`,
          espProposals: p.espProposals,
          remoteTs: [`${n.apipa}/32`, ...p.vnetPrefixes],
          rekeyTime: p.gatewayChildRekeySec,
          startAction: 'none',
          dpdAction: 'clear',
        },
      ],
    }));
    const charon = await Charon.start({
      ns: ns.name,
      name: `gw${g.index}`,
      conns,
      deadTable220: true,
      ...(p.gatewayDpd.retransmit !== undefined ? { retransmit: p.gatewayDpd.retransmit } : {}),
      ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
      ...(options.keylog !== undefined ? { keylog: options.keylog } : {}),
    });
    try {
      await waitFor('ipsec0', () => ns.ip('-o', 'link', 'show').includes('ipsec0:'), 5000, 25);
      ns.ip('link', 'set', 'ipsec0', 'up');
      for (const n of p.nvas) {
        ns.route(`${n.apipa}/32`, 'dev', 'ipsec0', 'src', g.apipa);
      }
      const bgp: BgpHandle =
        g.bgpd === 'frr'
          ? { kind: 'frr', peer: startFrr(ns, gatewayFrrConf(p, g)) }
          : { kind: 'bird', peer: startBird(ns, gatewayBirdConf(p, g)) };
      this.gateways.push({ plan: g, ns, charon, bgp });
    } catch (err) {
      await charon.stop();
      throw err;
    }
  }
}

export interface BuildOptions extends StandinOptions {
  /** Put each NVA's APIPA address on its `lo` (default true; false when nvad adds it). */
  readonly nvaApipaOnLo?: boolean;
}

/** Build a stand-in; always `await standin.destroy()` (afterAll + finally). */
export async function buildStandin(options: BuildOptions = {}): Promise<AzureStandin> {
  const s = new AzureStandin(makePlan(options));
  try {
    await s.build(options);
  } catch (err) {
    await s.destroy();
    throw err;
  }
  return s;
}
