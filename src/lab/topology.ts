/**
 * The lab's topology as data, and the code that builds and removes it. Every lab object lives in
 * namespaces named `nvlab-<lab>-<node>`, so removing a lab is removing the namespaces with its
 * prefix (veths, bridges and TUN devices inside go with them).
 *
 * The foundation lab is one node: the appliance ("nva") with only its loopback. The end-to-end
 * lab grows this by adding nodes (an Azure gateway stand-in per instance, a NAT router) and links
 * (veth pairs, a bridge) to `LabTopology`, each built by a small function next to `addNode`.
 */
import { addNetns, deleteNetns, listNetns } from './netns.js';

/** One machine of the lab, in its own network namespace. */
export interface LabNode {
  /** Role name, unique in the lab: "nva", later "azure0", "inet", … */
  readonly name: string;
  readonly netns: string;
  /** Set when nvad runs on this node: its configuration (YAML) and where its API answers. */
  readonly nvad?: { readonly config: string; readonly apiUrl: string };
}

export interface LabTopology {
  readonly lab: string;
  readonly nodes: readonly LabNode[];
}

/** Lab names: short, lowercase letters and digits (no "-", so one lab's prefix never matches another's). */
export const LAB_NAME_RE = /^[a-z0-9]{1,16}$/;

export function netnsPrefix(lab: string): string {
  return `nvlab-${lab}-`;
}

export function nodeNetns(lab: string, node: string): string {
  return `${netnsPrefix(lab)}${node}`;
}

/** Create whatever of the topology is missing (idempotent). */
export async function buildTopology(t: LabTopology): Promise<void> {
  for (const node of t.nodes) await addNetns(node.netns);
}

/** Remove every namespace of the lab, including ones a topology change left behind. */
export async function teardownTopology(lab: string): Promise<string[]> {
  const names = listNetns(netnsPrefix(lab));
  for (const name of names) await deleteNetns(name);
  return names;
}
