/**
 * Building and removing the lab's network (addresses in ./plan.ts). Every object lives in
 * namespaces named `nvlab-<lab>-<node>`, so removing a lab is removing the namespaces with its
 * prefix (veths, bridges and TUN devices inside go with them).
 *
 * The build runs on fresh namespaces only (`lab up` removes leftovers first), with `ip` and
 * `iptables`; it never touches the host's own namespace except to create the veth pairs, which
 * are moved into the lab's namespaces at once.
 */
import { mustRun } from './exec.js';
import { addNetns, deleteNetns, listNetns } from './netns.js';
import {
  AZURE_PREFIX,
  AZURE_VM,
  INET_GATEWAY_SIDE,
  INET_WAN,
  NAT_NVA_SIDE,
  NAT_RS_SIDE,
  NAT_VM_SIDE,
  NAT_WAN,
  NVA_VM,
  PUBLIC_NAT_PREFIX,
  labNodes,
  netnsPrefix,
  nodeNetns,
  type LabPlan,
} from './plan.js';

export { LAB_NAME_RE, netnsPrefix, nodeNetns } from './plan.js';

type Ns = (node: string) => string;

function ip(ns: string, ...args: string[]): Promise<string> {
  return mustRun('ip', ['-n', ns, ...args]);
}

/** A veth pair between two namespaces, both ends up. */
async function veth(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
  await mustRun('ip', [
    'link',
    'add',
    ifA,
    'netns',
    nsA,
    'type',
    'veth',
    'peer',
    'name',
    ifB,
    'netns',
    nsB,
  ]);
  await ip(nsA, 'link', 'set', ifA, 'up');
  await ip(nsB, 'link', 'set', ifB, 'up');
}

async function bridge(ns: string, name: string, cidr: string): Promise<void> {
  await ip(ns, 'link', 'add', name, 'type', 'bridge');
  await ip(ns, 'addr', 'add', cidr, 'dev', name);
  await ip(ns, 'link', 'set', name, 'up');
}

async function forward(ns: string): Promise<void> {
  await mustRun('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

function ecmp(vias: readonly string[]): string[] {
  return vias.length === 1 ? ['via', vias[0] ?? ''] : vias.flatMap((v) => ['nexthop', 'via', v]);
}

/** Create the namespaces, links, addresses, routes and the 1:1 NAT of Design 1. */
export async function buildNetwork(plan: LabPlan): Promise<void> {
  const ns: Ns = (node) => nodeNetns(plan.lab, node);
  for (const node of labNodes(plan)) await addNetns(ns(node));
  const inet = ns('inet');
  const nat = ns('nat');
  const azvm = ns('azvm');
  const vm = ns('vm');

  // The internet: a bridge for the gateways' public addresses, a link to the NVA VNet's router.
  await bridge(inet, 'br0', `${INET_GATEWAY_SIDE}/24`);
  await forward(inet);
  await veth(inet, 'vnet', nat, 'wan');
  await ip(inet, 'addr', 'add', `${INET_WAN}/30`, 'dev', 'vnet');
  await ip(nat, 'addr', 'add', `${NAT_WAN}/30`, 'dev', 'wan');
  await ip(inet, 'route', 'add', PUBLIC_NAT_PREFIX, 'via', NAT_WAN);

  // Azure side: the VM's bridge with one leg per gateway instance.
  await bridge(azvm, 'br0', `${AZURE_VM}/16`);
  for (const g of plan.gateways) {
    const gw = ns(g.node);
    await veth(inet, g.node, gw, 'eth0');
    await ip(inet, 'link', 'set', g.node, 'master', 'br0');
    await ip(gw, 'addr', 'add', `${g.publicIp}/24`, 'dev', 'eth0');
    await ip(gw, 'route', 'add', 'default', 'via', INET_GATEWAY_SIDE);
    await veth(gw, 'vnet', azvm, g.node);
    await ip(azvm, 'link', 'set', g.node, 'master', 'br0');
    await ip(gw, 'addr', 'add', `${g.vnetIp}/16`, 'dev', 'vnet');
    await forward(gw);
  }
  await ip(azvm, 'route', 'add', 'default', ...ecmp(plan.gateways.map((g) => g.vnetIp)));

  // The NVA VNet: router with 1:1 NAT for each NVA, the NVA subnet, the VM subnet, the UDR.
  await forward(nat);
  await ip(nat, 'route', 'add', 'default', 'via', INET_WAN);
  await bridge(nat, 'br0', `${NAT_NVA_SIDE}/24`);
  for (const n of plan.nvas) {
    const nva = ns(n.node);
    await veth(nat, n.node, nva, 'eth0');
    await ip(nat, 'link', 'set', n.node, 'master', 'br0');
    await ip(nva, 'addr', 'add', `${n.privateIp}/24`, 'dev', 'eth0');
    await ip(nva, 'route', 'add', 'default', 'via', NAT_NVA_SIDE);
    await forward(nva);
    const ipt = (...a: string[]): Promise<string> =>
      mustRun('ip', ['netns', 'exec', nat, 'iptables', '-w', '-t', 'nat', ...a]);
    await ipt(
      '-A',
      'PREROUTING',
      '-i',
      'wan',
      '-d',
      n.publicIp,
      '-j',
      'DNAT',
      '--to-destination',
      n.privateIp,
    );
    await ipt(
      '-A',
      'POSTROUTING',
      '-o',
      'wan',
      '-s',
      n.privateIp,
      '-j',
      'SNAT',
      '--to-source',
      n.publicIp,
    );
  }
  await ip(nat, 'route', 'add', AZURE_PREFIX, ...ecmp(plan.nvas.map((n) => n.privateIp)));
  if (plan.routeServers.length > 0) await bridge(nat, 'vrs', `${NAT_RS_SIDE}/24`);
  for (const r of plan.routeServers) {
    const rs = ns(r.node);
    await veth(nat, r.node, rs, 'eth0');
    await ip(nat, 'link', 'set', r.node, 'master', 'vrs');
    await ip(rs, 'addr', 'add', `${r.ip}/24`, 'dev', 'eth0');
    await ip(rs, 'route', 'add', 'default', 'via', NAT_RS_SIDE);
  }
  await veth(nat, 'vm0', vm, 'eth0');
  await ip(nat, 'addr', 'add', `${NAT_VM_SIDE}/24`, 'dev', 'vm0');
  await ip(vm, 'addr', 'add', `${NVA_VM}/24`, 'dev', 'eth0');
  await ip(vm, 'route', 'add', 'default', 'via', NAT_VM_SIDE);
}

/** True when every namespace of the plan exists. */
export function networkComplete(plan: LabPlan): boolean {
  const present = new Set(listNetns(netnsPrefix(plan.lab)));
  return labNodes(plan).every((node) => present.has(nodeNetns(plan.lab, node)));
}

/** Remove every namespace of the lab, including ones an older lab version left behind. */
export async function teardownNetwork(lab: string): Promise<string[]> {
  const names = listNetns(netnsPrefix(lab));
  for (const name of names) await deleteNetns(name);
  return names;
}
