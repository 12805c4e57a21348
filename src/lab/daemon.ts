/**
 * Starting, probing and stopping `nvad run` inside a lab namespace. The lab runs the daemon with
 * the same node, node options and entry script as the `nvad` that was invoked, so a development
 * checkout (tsx) and an installed build behave the same.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { netnsPids, pidInNetns } from './netns.js';

/** How to run this same nvad: `node [execArgv] entry <args>`. */
export interface NvadInvocation {
  readonly node: string;
  readonly execArgv: readonly string[];
  readonly entry: string;
}

export function currentInvocation(): NvadInvocation {
  return {
    node: process.execPath,
    execArgv: process.execArgv,
    entry: process.argv[1] ?? 'nvad',
  };
}

/** How a user would type this nvad in a shell started in the current directory. */
export function displayCommand(inv: NvadInvocation, cwd: string = process.cwd()): string {
  if (basename(inv.entry) === 'nvad') return 'nvad';
  const rel = relative(cwd, inv.entry);
  const entry = rel.startsWith('..') ? inv.entry : rel;
  return ['node', ...inv.execArgv, entry].join(' ');
}

function nvadArgs(inv: NvadInvocation, args: readonly string[]): string[] {
  return [inv.node, ...inv.execArgv, inv.entry, ...args];
}

/** Start `nvad run --config FILE` in the namespace, detached, output appended to the log file. */
export function startDaemon(
  inv: NvadInvocation,
  netns: string,
  configPath: string,
  logPath: string,
): number {
  const fd = openSync(logPath, 'a', 0o600);
  try {
    // `ip netns exec` execs the command after setns(), so the child's pid is the daemon's.
    const child = spawn(
      'ip',
      ['netns', 'exec', netns, ...nvadArgs(inv, ['run', '--config', configPath])],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    // a spawn failure (no pid) is reported by the throw below, not as an unhandled 'error' event
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start "ip netns exec" for ${netns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True when the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state letter follows the last ")"
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/** Poll `probe` every `intervalMs` until it holds, `stillAlive` turns false, or time runs out. */
export async function waitUntil(
  clock: Clock,
  timeoutMs: number,
  intervalMs: number,
  probe: () => Promise<boolean> | boolean,
  stillAlive: () => boolean = () => true,
): Promise<'ok' | 'timeout' | 'exited'> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    if (await probe()) return 'ok';
    if (!stillAlive()) return 'exited';
    if (clock.now() >= deadline) return 'timeout';
    await sleep(clock, intervalMs);
  }
}

export type StopOutcome = 'stopped' | 'killed' | 'not-running';

/**
 * SIGTERM the process if it runs in `netns` (never signals a pid that was reused elsewhere), wait
 * up to `graceMs` for it to exit, then SIGKILL it.
 */
export async function stopProcess(
  clock: Clock,
  pid: number,
  netns: string,
  graceMs: number,
): Promise<StopOutcome> {
  if (!isRunning(pid) || !pidInNetns(pid, netns)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  if ((await waitUntil(clock, graceMs, 50, () => !isRunning(pid))) === 'ok') return 'stopped';
  process.kill(pid, 'SIGKILL');
  await waitUntil(clock, 2_000, 50, () => !isRunning(pid));
  return 'killed';
}

/** Stop every process left in the namespace (all were started by the lab). */
export async function stopAllIn(clock: Clock, netns: string, graceMs: number): Promise<number[]> {
  const pids = await netnsPids(netns);
  await Promise.all(pids.map((pid) => stopProcess(clock, pid, netns, graceMs)));
  return pids;
}

/** The last `n` lines of a log file ('' when it cannot be read). */
export function logTail(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}
