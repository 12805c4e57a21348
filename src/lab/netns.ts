/**
 * Network namespace operations through iproute2 (`ip netns`). Namespace names live in /run/netns;
 * a process belongs to a namespace when its /proc/PID/ns/net is the same nsfs inode.
 */
import { readdirSync, statSync } from 'node:fs';
import { mustRun, runCommand } from './exec.js';

export const NETNS_DIR = '/run/netns';

export function netnsExists(name: string): boolean {
  try {
    statSync(`${NETNS_DIR}/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Names of the namespaces that start with `prefix`. */
export function listNetns(prefix: string): string[] {
  try {
    return readdirSync(NETNS_DIR)
      .filter((n) => n.startsWith(prefix))
      .sort();
  } catch {
    return [];
  }
}

/** Create the namespace (if missing) with its loopback interface up. */
export async function addNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await mustRun('ip', ['netns', 'add', name]);
  await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<void> {
  if (netnsExists(name)) await mustRun('ip', ['netns', 'delete', name]);
}

/** PIDs of the processes running in the namespace. */
export async function netnsPids(name: string): Promise<number[]> {
  if (!netnsExists(name)) return [];
  const r = await runCommand('ip', ['netns', 'pids', name]);
  return r.stdout
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** True when process `pid` exists and runs in namespace `name`. */
export function pidInNetns(pid: number, name: string): boolean {
  try {
    const ns = statSync(`${NETNS_DIR}/${name}`);
    const own = statSync(`/proc/${pid}/ns/net`);
    return ns.ino === own.ino && ns.dev === own.dev;
  } catch {
    return false;
  }
}

/** Addresses (CIDR text) on one interface of the namespace. */
export async function interfaceAddresses(name: string, ifname: string): Promise<string[]> {
  const r = await runCommand('ip', ['-n', name, '-j', 'addr', 'show', 'dev', ifname]);
  if (r.code !== 0) return [];
  const links = JSON.parse(r.stdout) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  return links.flatMap((l) =>
    (l.addr_info ?? []).map((a) => `${a.local ?? '?'}/${a.prefixlen ?? '?'}`),
  );
}
