/**
 * nvad as an Azure gateway instance, for hosts without strongSwan and FRR: responder only
 * (`initiate: false`) for one tunnel per NVA, AS 65515, passive BGP neighbors on the instance's
 * APIPA address, the Azure VNet prefix originated. Same crypto policy as the NVAs.
 */
import { nodeConfig } from './nva-config.js';
import {
  AZURE_PREFIX,
  GATEWAY_ASN,
  NVA_ASN,
  type GatewayInstancePlan,
  type LabPlan,
  type NvaPlan,
} from './plan.js';

/** Tunnel name on gateway instance side for NVA `nva` ("Conn10", "Conn20"). */
export function gatewayTunnelName(nva: NvaPlan): string {
  return `Conn${nva.node.slice('nva'.length)}`;
}

/** nvad as gateway instance `g`: responder only, AS 65515, passive BGP on its APIPA address. */
export function gatewayNvadConfig(plan: LabPlan, g: GatewayInstancePlan): string {
  const tunnels = plan.nvas.map(
    (n) => `  - name: ${gatewayTunnelName(n)}
    peer: ${n.publicIp}            # ${n.name} as the gateway sees it (after its NAT)
    psk: \${file:${n.pskFile}}
    initiate: false
    ike-policy: azure-custom
    ipsec-policy: azure-custom
    mtu: 1400
    dpd: { interval: 45s, retries: 3 }
`,
  );
  const routes = plan.nvas.map(
    (n) => `  - { prefix: ${n.apipa}/32, via: ${gatewayTunnelName(n)} }\n`,
  );
  const neighbors = plan.nvas.map(
    (n) => `    - address: ${n.apipa}
      remote-as: ${NVA_ASN}
      update-source: ${g.apipa}
      ebgp-multihop: 5
      passive: true
`,
  );
  return nodeConfig({
    comment: `Azure gateway instance ${g.index} stand-in (nvad as responder).`,
    name: `azgw-in${g.index}`,
    underlay: [`local-address: ${g.publicIp}`],
    loopback: g.apipa,
    tunnels,
    routes,
    asn: GATEWAY_ASN,
    network: AZURE_PREFIX,
    neighbors,
  });
}
