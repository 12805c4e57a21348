/**
 * Addressing plan of the Azure active-active VPN gateway stand-in (pure data, no side effects),
 * after /work/shared/docs/peers-in-netns.md, with the addresses of the shared example
 * /work/shared/examples/azure-active-active-bgp.yaml (NVA 0 is that file's nva-10):
 *
 *   azvm (Azure-side VM 10.20.0.4/16 on br0) --veth-- gw<i> (vnet 10.20.255.(10+i))
 *   gw<i>: public 203.0.113.(10+i) on eth0, APIPA 169.254.21.(2+4i) on lo,
 *        charon (kernel-libipsec) + FRR|BIRD AS 65515, one tunnel per NVA (bow-tie)
 *   inet: bridge brpub 203.0.113.1/24, 198.51.100.0/24 via the VNet router
 *   vrt (VNet router): pub 203.0.113.2/24; 1:1 NAT 10.10.0.(4+k) <-> 198.51.100.(4+k);
 *        bridges brout 10.10.0.1/24 (NVA outside NICs), brin 10.10.1.1/24 (NVA inside NICs),
 *        brvm 10.10.2.1/24 (VMs), brrs 10.10.4.1/24 (Route Server);
 *        Route Server speaker 0 (10.10.4.4 on lo) runs HERE and programs what it learns into the
 *        router's table with merge paths (ECMP across NVAs), as Azure programs Route-Server-learned
 *        routes into the VNet; a static UDR only when there is no Route Server
 *   nva<k>: eth0 (outside, "GigabitEthernet1") 10.10.0.(4+k)/24, default route; eth1 (inside,
 *        "GigabitEthernet2") 10.10.1.(4+k)/24, the VNet prefixes via 10.10.1.1;
 *        one APIPA BGP address 169.254.21.(1+8k) for both gateway instances
 *   rs<j>: Route Server speaker 10.10.4.(4+j), BIRD AS 65515, eBGP multihop to every NVA's inside NIC
 *   vm<m>: VNet VMs 10.10.2.(4+m)/24
 */
import { randomBytes } from 'node:crypto';

export type BgpDaemon = 'frr' | 'bird';

/** Gateway dead-peer detection: charon `dpd_delay` and retransmission (strongswan.conf). */
export interface GatewayDpd {
  /** Seconds without traffic before a probe; Azure's default 45 (configurable 9..3600). */
  readonly delaySec: number;
  /** Probe retransmissions: tries, first timeout (s), backoff base. */
  readonly retransmit?: {
    readonly tries: number;
    readonly timeout: number;
    readonly base?: number;
  };
}

export interface StandinOptions {
  /** Namespace tag (short, letters): names are `nv<tag><pid><n>`; default 'az'. */
  readonly tag?: string;
  /** Gateway instances (1 or 2); default 2 (active-active). */
  readonly instances?: number;
  /** BGP daemon per gateway instance; default ['frr', 'bird']. */
  readonly gatewayBgpd?: readonly BgpDaemon[];
  /** Gateway (and Route Server) AS; default 65515. */
  readonly gatewayAsn?: number;
  readonly routeServerAsn?: number;
  /** The NVAs' AS as configured on the gateway and Route Server; default 65002. */
  readonly nvaAsn?: number;
  /** Number of NVA slots; default 1. */
  readonly nvas?: number;
  /** Number of VNet VMs behind the NVAs; default 1. */
  readonly vnetVms?: number;
  /** Route Server stand-in speakers (0 or 2); default 2. */
  readonly routeServers?: number;
  /** PSK per (instance, nva); default a random one per NVA (both of its tunnels). */
  readonly psk?: string | ((instance: number, nva: number) => string);
  /** Gateway IKE proposals; default aes256gcm16-prfsha384-ecp384. */
  readonly ikeProposals?: string;
  /** Gateway ESP proposals; default aes256gcm16. */
  readonly espProposals?: string;
  /** Prefixes the gateways advertise (the Azure VNet); default ['10.20.0.0/16']. */
  readonly azurePrefixes?: readonly string[];
  /** The NVAs' VNet (Route Server advertises it, gateways narrow to it); default ['10.10.0.0/16']. */
  readonly vnetPrefixes?: readonly string[];
  /** Gateway BGP timers (keepalive, hold); default Azure's 60/180. */
  readonly bgpTimers?: readonly [number, number];
  /** Gateway instances the Azure VM routes through (ECMP); default all. */
  readonly azureVmVia?: readonly number[];
  /** Static UDR `azurePrefixes via NVAs` in the VNet router; default only without Route Server. */
  readonly udr?: boolean;
  /** Gateway DPD; default Azure's 45 s with charon's default retransmission. */
  readonly gatewayDpd?: GatewayDpd;
  /** Gateway child SA rekey time (s); default 27000 (Azure). */
  readonly gatewayChildRekeySec?: number;
  /** Gateway IKE SA rekey time (s); default 28800 (Azure). */
  readonly gatewayIkeRekeySec?: number;
  /** Parent directory for run dirs; default os.tmpdir(). */
  readonly baseDir?: string;
  /** Key log for tshark on the gateways' charons. */
  readonly keylog?: boolean;
}

export interface GatewayPlan {
  readonly index: number;
  readonly publicIp: string;
  readonly apipa: string;
  /** Address on the link to the Azure VM bridge. */
  readonly vnetIp: string;
  readonly bgpd: BgpDaemon;
  readonly asn: number;
}

export interface NvaPlan {
  readonly index: number;
  /** Outside NIC (IKE/ESP, behind the 1:1 NAT). */
  readonly privateIp: string;
  readonly publicIp: string;
  /** Inside NIC (Route Server sessions, VNet traffic). */
  readonly insideIp: string;
  /** The NVA's APIPA BGP address (loopback), the same towards every gateway instance. */
  readonly apipa: string;
  /** Per gateway instance: the NVA's APIPA BGP address, the gateway's, its public IP, the PSK. */
  readonly tunnels: readonly NvaTunnelPlan[];
}

export interface NvaTunnelPlan {
  readonly instance: number;
  readonly localApipa: string;
  readonly remoteApipa: string;
  readonly remotePublic: string;
  readonly psk: string;
}

export interface StandinPlan {
  readonly tag: string;
  readonly gatewayAsn: number;
  readonly routeServerAsn: number;
  readonly nvaAsn: number;
  readonly ikeProposals: string;
  readonly espProposals: string;
  readonly azurePrefixes: readonly string[];
  readonly vnetPrefixes: readonly string[];
  readonly bgpTimers: readonly [number, number];
  readonly azureVmIp: string;
  readonly azureVmVia: readonly number[];
  readonly udr: boolean;
  readonly gatewayDpd: GatewayDpd;
  readonly gatewayChildRekeySec: number;
  readonly gatewayIkeRekeySec: number;
  readonly inetIp: string;
  readonly routerPublicIp: string;
  readonly routerOutsideIp: string;
  readonly routerInsideIp: string;
  readonly routerRsIp: string;
  readonly routerVmIp: string;
  readonly gateways: readonly GatewayPlan[];
  readonly nvas: readonly NvaPlan[];
  /** Route Server speakers; index 0 runs in the VNet router's namespace. */
  readonly routeServers: readonly string[];
  readonly vnetVms: readonly string[];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Resolve options to concrete addresses and secrets. */
export function makePlan(o: StandinOptions = {}): StandinPlan {
  const instances = o.instances ?? 2;
  const nvas = o.nvas ?? 1;
  if (instances < 1 || instances > 2) throw new Error('instances must be 1 or 2');
  if (nvas < 1 || nvas > 30) throw new Error('nvas must be 1..30');
  const routeServers = o.routeServers ?? 2;
  if (routeServers !== 0 && routeServers !== 2) throw new Error('routeServers must be 0 or 2');
  const gatewayAsn = o.gatewayAsn ?? 65515;
  const bgpd = o.gatewayBgpd ?? ['frr', 'bird'];
  const randomPsk = new Map<number, string>();
  const psk = (i: number, k: number): string => {
    if (typeof o.psk === 'string') return o.psk;
    if (typeof o.psk === 'function') return o.psk(i, k);
    let v = randomPsk.get(k);
    if (v === undefined) {
      v = randomBytes(24).toString('base64');
      randomPsk.set(k, v);
    }
    return v;
  };
  const gateways = range(instances).map((i): GatewayPlan => ({
    index: i,
    publicIp: `203.0.113.${10 + i}`,
    apipa: `169.254.21.${2 + 4 * i}`,
    vnetIp: `10.20.255.${10 + i}`,
    bgpd: bgpd[i] ?? 'bird',
    asn: gatewayAsn,
  }));
  return {
    tag: o.tag ?? 'az',
    gatewayAsn,
    routeServerAsn: o.routeServerAsn ?? 65515,
    nvaAsn: o.nvaAsn ?? 65002,
    ikeProposals: o.ikeProposals ?? 'aes256gcm16-prfsha384-ecp384',
    espProposals: o.espProposals ?? 'aes256gcm16',
    azurePrefixes: o.azurePrefixes ?? ['10.20.0.0/16'],
    vnetPrefixes: o.vnetPrefixes ?? ['10.10.0.0/16'],
    bgpTimers: o.bgpTimers ?? [60, 180],
    azureVmIp: '10.20.0.4',
    azureVmVia: o.azureVmVia ?? gateways.map((g) => g.index),
    udr: o.udr ?? routeServers === 0,
    gatewayDpd: o.gatewayDpd ?? { delaySec: 45 },
    gatewayChildRekeySec: o.gatewayChildRekeySec ?? 27000,
    gatewayIkeRekeySec: o.gatewayIkeRekeySec ?? 28800,
    inetIp: '203.0.113.1',
    routerPublicIp: '203.0.113.2',
    routerOutsideIp: '10.10.0.1',
    routerInsideIp: '10.10.1.1',
    routerRsIp: '10.10.4.1',
    routerVmIp: '10.10.2.1',
    gateways,
    nvas: range(nvas).map((k): NvaPlan => {
      const apipa = `169.254.21.${1 + 8 * k}`;
      return {
        index: k,
        privateIp: `10.10.0.${4 + k}`,
        publicIp: `198.51.100.${4 + k}`,
        insideIp: `10.10.1.${4 + k}`,
        apipa,
        tunnels: gateways.map((g) => ({
          instance: g.index,
          localApipa: apipa,
          remoteApipa: g.apipa,
          remotePublic: g.publicIp,
          psk: psk(g.index, k),
        })),
      };
    }),
    routeServers: range(routeServers).map((j) => `10.10.4.${4 + j}`),
    vnetVms: range(o.vnetVms ?? 1).map((m) => `10.10.2.${4 + m}`),
  };
}
