/**
 * Cheap, non-perturbing probes for the BGP ingest benchmark, all read from /proc by the parent:
 * a process's peak and current RSS, its CPU seconds, and the number of IPv4 prefixes in the main
 * FIB table of the network namespace that process lives in (`/proc/<pid>/net/fib_triestat`, a
 * few hundred bytes computed in the kernel, instead of dumping 100k routes through `ip`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;

function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcMemory {
  /** Peak resident set (VmHWM), MiB. */
  readonly peakMb: number;
  /** Current resident set (VmRSS), MiB. */
  readonly rssMb: number;
}

export function procMemory(pid: number): ProcMemory {
  const s = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (k: string): number =>
    Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** User + system CPU seconds of `pid` (all its threads). */
export function procCpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11] ?? 0);
  const stime = Number(rest[12] ?? 0);
  return (utime + stime) / clockTicks();
}

/**
 * IPv4 prefixes in the main table (254) of `pid`'s network namespace, from fib_triestat's "Main:"
 * section ("Prefixes: N"); 0 when the table does not exist yet.
 */
export function mainTablePrefixes(pid: number): number {
  const s = readFileSync(`/proc/${String(pid)}/net/fib_triestat`, 'utf8');
  const i = s.indexOf('\nMain:');
  if (i < 0) return 0;
  const m = /Prefixes:\s+(\d+)/.exec(s.slice(i));
  return m?.[1] === undefined ? 0 : Number(m[1]);
}
