/**
 * The lab's Design 1 ("HA with BGP over APIPA", /work/shared/examples/azure-active-active-bgp.yaml)
 * as pure data: namespaces, addresses, ASNs. Every namespace is `nvlab-<lab>-<node>`.
 *
 *   azvm 10.20.0.4/16 (bridge br0) ── gw0 vnet 10.20.255.10 / gw1 vnet 10.20.255.11
 *   gw<i>: eth0 203.0.113.(10+i)/24, lo 169.254.21.(2+4i) (APIPA BGP), AS 65515 passive
 *   inet: br0 203.0.113.1/24 (gateways), vnet 100.64.0.1/30 ── nat wan 100.64.0.2/30
 *   nat (VNet router): 1:1 NAT 10.10.0.(4+k) <-> 198.51.100.(4+k); br0 10.10.0.1/24 (NVAs),
 *        vm0 10.10.2.1/24 (VM); UDR: the Azure prefix via both NVAs (ECMP)
 *   nva10 / nva20: eth0 10.10.0.4 / 10.10.0.5, APIPA loopback 169.254.21.1 / 169.254.22.1, AS 65002,
 *        a tunnel to each gateway instance (bow-tie of four), BGP to both instances
 *   vm: 10.10.2.4/24 (a host in the NVA's VNet)
 *   rs0 / rs1 (with the strongSwan + FRR gateway only): the Route Server stand-in, FRR AS 65515 at
 *        10.10.4.4 / 10.10.4.5 on the nat router's vrs 10.10.4.1/24, eBGP multihop to both NVAs
 */

export const GATEWAY_ASN = 65515;
export const NVA_ASN = 65002;
export const ROUTE_SERVER_ASN = 65515;

/** The Azure VNet behind the gateway, and the NVA's VNet. */
export const AZURE_PREFIX = '10.20.0.0/16';
export const NVA_VNET_PREFIX = '10.10.0.0/16';

export const INET_GATEWAY_SIDE = '203.0.113.1';
export const INET_WAN = '100.64.0.1';
export const NAT_WAN = '100.64.0.2';
export const NAT_NVA_SIDE = '10.10.0.1';
export const NAT_VM_SIDE = '10.10.2.1';
export const NAT_RS_SIDE = '10.10.4.1';
export const PUBLIC_NAT_PREFIX = '198.51.100.0/24';

export const AZURE_VM = '10.20.0.4';
export const NVA_VM = '10.10.2.4';

/** API address of every nvad in the lab (each in its own namespace). */
export const API_LISTEN = '127.0.0.1:9180';

export interface GatewayInstancePlan {
  readonly index: number;
  /** Node name, also the namespace suffix. */
  readonly node: string;
  readonly publicIp: string;
  /** Custom APIPA BGP address (Azure's "custom BGP IP address" of this instance). */
  readonly apipa: string;
  /** Address on the Azure VNet side (the link to the Azure VM's bridge). */
  readonly vnetIp: string;
}

export interface NvaTunnelPlan {
  /** Interface name on the NVA, as in the example (Tunnel101, Tunnel102, Tunnel201, …). */
  readonly name: string;
  readonly gateway: number;
  /** Inside address of the tunnel interface (/32). */
  readonly address: string;
}

export interface NvaPlan {
  readonly index: number;
  readonly node: string;
  /** The appliance name (nva-10, nva-20). */
  readonly name: string;
  readonly privateIp: string;
  readonly publicIp: string;
  /** APIPA loopback used as BGP update-source (and router-id). */
  readonly apipa: string;
  /** PSK file name in the lab's state directory (one secret per NVA "connection"). */
  readonly pskFile: string;
  readonly tunnels: readonly NvaTunnelPlan[];
}

export interface RouteServerPlan {
  readonly index: number;
  readonly node: string;
  readonly ip: string;
}

export interface LabPlan {
  readonly lab: string;
  readonly gateways: readonly GatewayInstancePlan[];
  readonly nvas: readonly NvaPlan[];
  /** Empty when the lab runs without a Route Server stand-in. */
  readonly routeServers: readonly RouteServerPlan[];
}

/** Lab names: short, lowercase letters and digits (no "-", so one lab's prefix never matches another's). */
export const LAB_NAME_RE = /^[a-z0-9]{1,16}$/;

export function netnsPrefix(lab: string): string {
  return `nvlab-${lab}-`;
}

export function nodeNetns(lab: string, node: string): string {
  return `${netnsPrefix(lab)}${node}`;
}

export function makePlan(lab: string, opts: { routeServer?: boolean } = {}): LabPlan {
  const gateways = [0, 1].map((i): GatewayInstancePlan => ({
    index: i,
    node: `gw${i}`,
    publicIp: `203.0.113.${10 + i}`,
    apipa: `169.254.21.${2 + 4 * i}`,
    vnetIp: `10.20.255.${10 + i}`,
  }));
  const nvas = [0, 1].map((k): NvaPlan => {
    const id = 10 * (k + 1);
    return {
      index: k,
      node: `nva${id}`,
      name: `nva-${id}`,
      privateIp: `10.10.0.${4 + k}`,
      publicIp: `198.51.100.${4 + k}`,
      apipa: `169.254.${21 + k}.1`,
      pskFile: `psk-conn${id}`,
      tunnels: gateways.map((g) => ({
        name: `Tunnel${id}${g.index + 1}`,
        gateway: g.index,
        address: `10.100.${id}.${g.index + 1}/32`,
      })),
    };
  });
  const routeServers =
    opts.routeServer === true
      ? [0, 1].map((j): RouteServerPlan => ({ index: j, node: `rs${j}`, ip: `10.10.4.${4 + j}` }))
      : [];
  return { lab, gateways, nvas, routeServers };
}

/** Names of every node of the lab, in build order. */
export function labNodes(plan: LabPlan): string[] {
  return [
    'inet',
    'nat',
    'azvm',
    'vm',
    ...plan.gateways.map((g) => g.node),
    ...plan.nvas.map((n) => n.node),
    ...plan.routeServers.map((r) => r.node),
  ];
}
