/**
 * The Route Server stand-in (with the strongSwan + FRR gateway): two FRR speakers, AS 65515, in
 * the NVA VNet's RouteServerSubnet, eBGP multihop to both NVAs, advertising the VNet prefix. Like
 * Azure Route Server it drops paths with its own ASN, so the NVAs use as-override towards it.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { startFrr } from './frr.js';
import { NVA_ASN, NVA_VNET_PREFIX, ROUTE_SERVER_ASN, type LabPlan } from './plan.js';
import type { RouteServerPlan } from './plan.js';
import type { ProcessRecord } from './state.js';

/** FRR's directory of an FRR node (gateway instance or Route Server) in the lab's state dir. */
export function frrDir(labDir: string, node: string): string {
  return join(labDir, node, 'frr');
}

export function routeServerBgpdConf(plan: LabPlan, r: RouteServerPlan): string {
  const lines = [
    'frr defaults traditional',
    `hostname ${r.node}`,
    `router bgp ${ROUTE_SERVER_ASN}`,
    ` bgp router-id ${r.ip}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  ];
  for (const n of plan.nvas) {
    lines.push(
      ` neighbor ${n.privateIp} remote-as ${NVA_ASN}`,
      ` neighbor ${n.privateIp} ebgp-multihop 2`,
      ` neighbor ${n.privateIp} timers 60 180`,
    );
  }
  lines.push(' address-family ipv4 unicast', `  network ${NVA_VNET_PREFIX}`);
  lines.push(' exit-address-family', '');
  return lines.join('\n');
}

export async function startRouteServer(
  clock: Clock,
  netns: string,
  labDir: string,
  plan: LabPlan,
  r: RouteServerPlan,
): Promise<ProcessRecord[]> {
  const dir = join(labDir, r.node);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711);
  return startFrr(clock, netns, r.node, frrDir(labDir, r.node), routeServerBgpdConf(plan, r));
}
