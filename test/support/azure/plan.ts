/**
 * Addressing plan of the Azure active-active VPN gateway stand-in (pure data, no side effects),
 * after /work/shared/docs/peers-in-netns.md:
 *
 *   azvm (Azure-side VM 10.20.0.4/16 on br0) --veth-- gw<i> (vnet 10.20.255.(10+i))
 *   gw<i>: public 198.51.100.(10+i) on eth0, APIPA 169.254.(21+i).2 on lo, charon + FRR|BIRD AS 65515
 *   inet: bridge brpub 198.51.100.1/24, 203.0.113.0/24 via the VNet router
 *   vrt (VNet router): pub 198.51.100.2/24; 1:1 NAT 10.0.0.(4+k) <-> 203.0.113.(4+k);
 *        bridges brnva 10.0.0.1/24 (NVAs), brrs 10.0.1.1/24 (Route Server), brvm 10.0.2.1/24 (VMs);
 *        UDR: the Azure prefixes via the NVAs (ECMP)
 *   nva<k>: eth0 10.0.0.(4+k)/24 (slot for nvad or a strongSwan+BIRD stand-in);
 *        APIPA 169.254.(21+i).(1+4k) towards gateway instance i
 *   rs<j>: Route Server stand-in 10.0.1.(4+j), BIRD AS 65515, eBGP multihop to every NVA
 *   vm<m>: VNet VMs 10.0.2.(4+m)/24
 */
import { randomBytes } from 'node:crypto';

export type BgpDaemon = 'frr' | 'bird';

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
  /** PSK per (instance, nva); default a random one per pair. */
  readonly psk?: string | ((instance: number, nva: number) => string);
  /** Gateway IKE proposals; default aes256gcm16-prfsha384-ecp384. */
  readonly ikeProposals?: string;
  /** Gateway ESP proposals; default aes256gcm16. */
  readonly espProposals?: string;
  /** Prefixes the gateways advertise (the Azure VNet); default ['10.20.0.0/16']. */
  readonly azurePrefixes?: readonly string[];
  /** Prefixes the Route Server stand-in advertises (the NVA's VNet); default ['10.0.0.0/16']. */
  readonly vnetPrefixes?: readonly string[];
  /** Gateway BGP timers (keepalive, hold); default Azure's 60/180. */
  readonly bgpTimers?: readonly [number, number];
  /** Gateway instances the Azure VM routes through (ECMP); default all. */
  readonly azureVmVia?: readonly number[];
  /** Add the UDR `azurePrefixes via NVAs` in the VNet router; default true. */
  readonly udr?: boolean;
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
  readonly privateIp: string;
  readonly publicIp: string;
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
  readonly inetIp: string;
  readonly routerPublicIp: string;
  readonly routerNvaIp: string;
  readonly routerRsIp: string;
  readonly routerVmIp: string;
  readonly gateways: readonly GatewayPlan[];
  readonly nvas: readonly NvaPlan[];
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
  if (nvas < 1 || nvas > 60) throw new Error('nvas must be 1..60');
  const gatewayAsn = o.gatewayAsn ?? 65515;
  const bgpd = o.gatewayBgpd ?? ['frr', 'bird'];
  const randomPsk = new Map<string, string>();
  const psk = (i: number, k: number): string => {
    if (typeof o.psk === 'string') return o.psk;
    if (typeof o.psk === 'function') return o.psk(i, k);
    const key = `${i}/${k}`;
    let v = randomPsk.get(key);
    if (v === undefined) {
      v = randomBytes(24).toString('base64');
      randomPsk.set(key, v);
    }
    return v;
  };
  const gateways = range(instances).map((i): GatewayPlan => ({
    index: i,
    publicIp: `198.51.100.${10 + i}`,
    apipa: `169.254.${21 + i}.2`,
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
    vnetPrefixes: o.vnetPrefixes ?? ['10.0.0.0/16'],
    bgpTimers: o.bgpTimers ?? [60, 180],
    azureVmIp: '10.20.0.4',
    azureVmVia: o.azureVmVia ?? gateways.map((g) => g.index),
    udr: o.udr ?? true,
    inetIp: '198.51.100.1',
    routerPublicIp: '198.51.100.2',
    routerNvaIp: '10.0.0.1',
    routerRsIp: '10.0.1.1',
    routerVmIp: '10.0.2.1',
    gateways,
    nvas: range(nvas).map((k): NvaPlan => ({
      index: k,
      privateIp: `10.0.0.${4 + k}`,
      publicIp: `203.0.113.${4 + k}`,
      tunnels: gateways.map((g) => ({
        instance: g.index,
        localApipa: `169.254.${21 + g.index}.${1 + 4 * k}`,
        remoteApipa: g.apipa,
        remotePublic: g.publicIp,
        psk: psk(g.index, k),
      })),
    })),
    routeServers: range(o.routeServers ?? 2).map((j) => `10.0.1.${4 + j}`),
    vnetVms: range(o.vnetVms ?? 1).map((m) => `10.0.2.${4 + m}`),
  };
}
