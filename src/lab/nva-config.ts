/**
 * The NVAs' nvad configurations, rendered from the structure of the shared Design 1 example
 * (azure-active-active-bgp.yaml): a tunnel to each gateway instance (initiator), host routes to
 * the gateway's APIPA BGP addresses, BGP from the APIPA loopback to both instances and, when the
 * lab has the Route Server stand-in, to both Route Server instances (as-override). PSKs are
 * never in a config: `${file:NAME}` names a 0600 file next to it in the lab's state directory.
 */
import {
  API_LISTEN,
  GATEWAY_ASN,
  NVA_ASN,
  NVA_VNET_PREFIX,
  ROUTE_SERVER_ASN,
  type GatewayInstancePlan,
  type LabPlan,
  type NvaPlan,
} from './plan.js';

/** The custom IPsec/IKE policy of the example (both ends identical, as Azure requires). */
export const CRYPTO = `crypto:
  ike-policies:
    azure-custom:
      proposals:
        - encryption: [aes-gcm-256]
          prf: [sha384]
          dh-group: [ecp384]
      lifetime: 28800s
  ipsec-policies:
    azure-custom:
      proposals:
        - encryption: [aes-gcm-256]
          pfs-group: ecp384
      lifetime: 27000s
      lifetime-kilobytes: 102400000
`;

export const TAIL = `api:
  listen: ${API_LISTEN}
log:
  level: info
`;

export function gatewayOf(plan: LabPlan, index: number): GatewayInstancePlan {
  const g = plan.gateways[index];
  if (g === undefined) throw new Error(`lab plan has no gateway instance ${index}`);
  return g;
}

/** NVA `nva`: one tunnel to each gateway instance, BGP to both instances (active-open). */
export function nvaConfig(plan: LabPlan, nva: NvaPlan): string {
  const tunnels = nva.tunnels.map((t) => {
    const g = gatewayOf(plan, t.gateway);
    return `  - name: ${t.name}
    peer: ${g.publicIp}            # gateway instance ${g.index} public IP
    psk: \${file:${nva.pskFile}}
    ike-policy: azure-custom
    ipsec-policy: azure-custom
    address: ${t.address}
    mtu: 1400
    tcp-mss: 1350
    dpd: { interval: 40s, retries: 2, mode: on-demand }
`;
  });
  const routes = nva.tunnels.map(
    (t) => `  - { prefix: ${gatewayOf(plan, t.gateway).apipa}/32, via: ${t.name} }\n`,
  );
  const neighbors = plan.gateways.map(
    (g) => `    - address: ${g.apipa}
      remote-as: ${GATEWAY_ASN}
      update-source: ${nva.apipa}
      ebgp-multihop: 5
`,
  );
  // Azure Route Server: two instances, identical routes to both; as-override because Route
  // Server drops paths that contain its own ASN 65515 (the gateway's).
  const routeServers = plan.routeServers.map(
    (r) => `    - address: ${r.ip}
      remote-as: ${ROUTE_SERVER_ASN}
      ebgp-multihop: 2
      as-override: true
      max-prefixes-out: 1000
`,
  );
  return nodeConfig({
    comment: `${nva.name}, Design 1 (azure-active-active-bgp.yaml).`,
    name: nva.name,
    underlay: [`local-address: ${nva.privateIp}`, `public-address: ${nva.publicIp}`],
    loopback: nva.apipa,
    tunnels,
    routes,
    asn: NVA_ASN,
    network: NVA_VNET_PREFIX,
    neighbors: [...neighbors, ...routeServers],
  });
}

/** The parts in which a lab node's config differs (NVA or nvad gateway). */
export interface NodeConfigParts {
  readonly comment: string;
  readonly name: string;
  readonly underlay: readonly string[];
  /** APIPA loopback: BGP source and router ID. */
  readonly loopback: string;
  readonly tunnels: readonly string[];
  readonly routes: readonly string[];
  readonly asn: number;
  readonly network: string;
  readonly neighbors: readonly string[];
}

/** A lab node's YAML: the shared crypto policy, its tunnels, host routes and BGP. */
export function nodeConfig(p: NodeConfigParts): string {
  return `# Written by "nvad lab up": ${p.comment}
node:
  name: ${p.name}

underlay:
${p.underlay.map((l) => `  ${l}`).join('\n')}

loopbacks:
  - ${p.loopback}/32

${CRYPTO}
tunnels:
${p.tunnels.join('')}
static-routes:
${p.routes.join('')}
bgp:
  asn: ${p.asn}
  router-id: ${p.loopback}
  maximum-paths: 2
  timers: { keepalive: 60s, hold: 180s }
  networks:
    - ${p.network}
  neighbors:
${p.neighbors.join('')}
${TAIL}`;
}
