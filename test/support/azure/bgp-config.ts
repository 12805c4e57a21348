/**
 * BGP daemon configurations for the Azure stand-in: the gateway instance's passive eBGP speaker
 * (FRR bgpd or BIRD, AS 65515 by default, on its APIPA address, one neighbour per NVA over the
 * tunnel) and the Route Server stand-in (BIRD, AS 65515, eBGP multihop to the NVAs).
 * Peer names: gateway BIRD `nva<k>`, Route Server BIRD `nva<k>`.
 */
import type { GatewayPlan, StandinPlan } from './plan.js';

/** FRR bgpd.conf for gateway instance `g`. */
export function gatewayFrrConf(plan: StandinPlan, g: GatewayPlan): string {
  const [keepalive, hold] = plan.bgpTimers;
  const lines = [
    'frr defaults traditional',
    `hostname gw${g.index}`,
    `router bgp ${g.asn}`,
    ` bgp router-id ${g.apipa}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  ];
  for (const nva of plan.nvas) {
    const t = nva.tunnels[g.index]!;
    lines.push(
      ` neighbor ${t.localApipa} remote-as ${plan.nvaAsn}`,
      ` neighbor ${t.localApipa} passive`,
      ` neighbor ${t.localApipa} ebgp-multihop 2`,
      ` neighbor ${t.localApipa} update-source ${g.apipa}`,
      ` neighbor ${t.localApipa} timers ${keepalive} ${hold}`,
    );
  }
  lines.push(' address-family ipv4 unicast');
  for (const p of plan.azurePrefixes) lines.push(`  network ${p}`);
  lines.push(' exit-address-family', '');
  return lines.join('\n');
}

/** BIRD 2 config for gateway instance `g` (exports learned routes to the kernel via ipsec0). */
export function gatewayBirdConf(plan: StandinPlan, g: GatewayPlan): string {
  const [keepalive, hold] = plan.bgpTimers;
  const statics = plan.azurePrefixes.map((p) => `  route ${p} unreachable;`).join('\n');
  const tunnel = plan.nvas
    .map((n) => `  route ${n.tunnels[g.index]!.localApipa}/32 via "ipsec0";`)
    .join('\n');
  const peers = plan.nvas
    .map((n) => {
      const t = n.tunnels[g.index]!;
      return `protocol bgp nva${n.index} {
  local ${g.apipa} as ${g.asn};
  neighbor ${t.localApipa} as ${plan.nvaAsn};
  multihop 2;
  passive on;
  hold time ${hold};
  keepalive time ${keepalive};
  ipv4 { import all; export where proto = "adv"; next hop self; };
}`;
    })
    .join('\n');
  return `router id ${g.apipa};
protocol device { scan time 2; }
protocol static adv {
  ipv4;
${statics}
}
protocol static tunnel {
  ipv4;
${tunnel}
}
protocol kernel {
  ipv4 { import none; export where source = RTS_BGP; };
}
${peers}
`;
}

/**
 * BIRD 2 config for Route Server stand-in speaker at `ip` (peers with every NVA's inside NIC).
 * With `programVnet` (speaker 0, which runs in the VNet router's namespace) it also writes what
 * it learns into the router's table, ECMP across NVAs (`merge paths`), as Azure programs
 * Route-Server-learned routes into the VNet: an NVA that withdraws stops receiving VNet traffic.
 */
export function routeServerBirdConf(plan: StandinPlan, ip: string, programVnet = false): string {
  const statics = plan.vnetPrefixes.map((p) => `  route ${p} unreachable;`).join('\n');
  const peers = plan.nvas
    .map(
      (n) => `protocol bgp nva${n.index} {
  local ${ip} as ${plan.routeServerAsn};
  neighbor ${n.insideIp} as ${plan.nvaAsn};
  multihop 2;
  connect delay time 1;
  connect retry time 5;
  ipv4 { import all; export where proto = "adv"; next hop self; };
}`,
    )
    .join('\n');
  const vnet = programVnet
    ? `protocol direct {
  ipv4;
  interface "brin";
}
protocol kernel {
  merge paths on;
  ipv4 { import none; export where source = RTS_BGP; };
}
`
    : '';
  return `router id ${ip};
protocol device { scan time 2; }
protocol static adv {
  ipv4;
${statics}
}
${vnet}${peers}
`;
}
