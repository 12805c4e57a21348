/**
 * FRR (zebra + bgpd) in a lab namespace, as /work/shared/docs/peers-in-netns.md describes: explicit
 * config, pid and socket paths in one directory owned by `frr` (the daemons drop to that user), no
 * changes under /etc. Used by the gateway instances and the Route Server stand-in.
 */
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { waitUntil } from './daemon.js';
import { mustRun, runCommand, type CommandResult } from './exec.js';
import type { ProcessRecord } from './state.js';

export const ZEBRA_BIN = '/usr/lib/frr/zebra';
export const BGPD_BIN = '/usr/lib/frr/bgpd';

/** Read a pid file; undefined when missing or not a pid. */
export function readPidFile(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function frrIds(): Promise<[number, number]> {
  const [u, g] = await Promise.all([mustRun('id', ['-u', 'frr']), mustRun('id', ['-g', 'frr'])]);
  return [Number(u.trim()), Number(g.trim())];
}

export function frrPids(dir: string): { zebra?: number; bgpd?: number } {
  const zebra = readPidFile(join(dir, 'zebra.pid'));
  const bgpd = readPidFile(join(dir, 'bgpd.pid'));
  return { ...(zebra !== undefined ? { zebra } : {}), ...(bgpd !== undefined ? { bgpd } : {}) };
}

/**
 * Write the configs into `dir` (created, owned by frr; its parent must be traversable by frr)
 * and start zebra, then bgpd, in the namespace. Returns both processes for the lab's state.
 */
export async function startFrr(
  clock: Clock,
  netns: string,
  node: string,
  dir: string,
  bgpdConf: string,
): Promise<ProcessRecord[]> {
  const [uid, gid] = await frrIds();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, uid, gid);
  const zconf = join(dir, 'zebra.conf');
  const bconf = join(dir, 'bgpd.conf');
  // multihop peers (the Route Server's NVAs) are reached through the default route
  writeFileSync(zconf, `hostname ${node}\nip nht resolve-via-default\n`, { mode: 0o600 });
  writeFileSync(bconf, bgpdConf, { mode: 0o600 });
  for (const f of [zconf, bconf]) chownSync(f, uid, gid);
  const zsock = join(dir, 'zserv.api');
  const common = [
    '-d',
    '--vty_socket',
    dir,
    '-A',
    '127.0.0.1',
    '-P',
    '0',
    '-u',
    'frr',
    '-g',
    'frr',
  ];
  const zebra = ['-f', zconf, '-i', join(dir, 'zebra.pid'), '-z', zsock, ...common];
  await mustRun('ip', ['netns', 'exec', netns, ZEBRA_BIN, ...zebra]);
  const bgpd = ['-f', bconf, '-i', join(dir, 'bgpd.pid'), '-z', zsock, ...common];
  await mustRun('ip', ['netns', 'exec', netns, BGPD_BIN, ...bgpd]);
  await waitUntil(clock, 3_000, 50, () => {
    const p = frrPids(dir);
    return p.zebra !== undefined && p.bgpd !== undefined;
  });
  const pids = frrPids(dir);
  const procs: ProcessRecord[] = [];
  if (pids.zebra !== undefined) procs.push({ node, netns, name: 'zebra', pid: pids.zebra });
  if (pids.bgpd !== undefined) procs.push({ node, netns, name: 'bgpd', pid: pids.bgpd });
  return procs;
}

export function vtysh(netns: string, dir: string, cmd: string): Promise<CommandResult> {
  return runCommand('ip', ['netns', 'exec', netns, 'vtysh', '--vty_socket', dir, '-c', cmd], {
    timeoutMs: 10_000,
  });
}

/** BGP state per neighbor address from `show bgp summary json` (empty when bgpd does not answer). */
export async function frrNeighborStates(netns: string, dir: string): Promise<Map<string, string>> {
  const r = await vtysh(netns, dir, 'show bgp ipv4 unicast summary json');
  const states = new Map<string, string>();
  if (r.code !== 0) return states;
  try {
    const j = JSON.parse(r.stdout) as { peers?: Record<string, { state?: string }> };
    for (const [addr, p] of Object.entries(j.peers ?? {})) states.set(addr, p.state ?? 'unknown');
  } catch {
    // not JSON yet (bgpd starting)
  }
  return states;
}
