/**
 * Small helpers for the throughput benchmarks: timed loops, the `openssl speed` anchor and a
 * plain-text table. Benchmarks are programs (run with tsx), not tests.
 */
import { execFileSync } from 'node:child_process';

export interface Rate {
  readonly packets: number;
  readonly seconds: number;
  readonly pps: number;
  /** Gigabits per second of inner (plaintext) bytes. */
  readonly gbps: number;
}

/**
 * Run `step` (which processes some packets and returns how many) repeatedly for `seconds` after a
 * short warm-up; the rate counts inner bytes of `packetBytes` each.
 */
export function timeLoop(step: () => number, packetBytes: number, seconds = 1): Rate {
  const warmEnd = performance.now() + 100;
  while (performance.now() < warmEnd) step();
  let packets = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    packets += step();
    now = performance.now();
  }
  const elapsed = (now - start) / 1000;
  const pps = packets / elapsed;
  return { packets, seconds: elapsed, pps, gbps: (pps * packetBytes * 8) / 1e9 };
}

export interface OpensslSpeed {
  readonly command: string;
  /** null when openssl is missing or its output could not be parsed. */
  readonly gbps: number | null;
  readonly raw: string;
}

/** `openssl speed -elapsed -seconds 1 -bytes N -evp cipher`, parsed to Gbps. */
export function opensslSpeed(cipher: string, bytes: number): OpensslSpeed {
  const args = ['speed', '-elapsed', '-seconds', '1', '-bytes', String(bytes), '-evp', cipher];
  const command = `openssl ${args.join(' ')}`;
  let raw: string;
  try {
    raw = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return { command, gbps: null, raw: String(err) };
  }
  // "AES-256-GCM    2282795.20k": thousands of bytes per second.
  const line = raw.split('\n').find((l) => l.toUpperCase().startsWith(cipher.toUpperCase()));
  const m = line === undefined ? null : /([\d.]+)k\s*$/.exec(line.trim());
  if (m?.[1] === undefined) return { command, gbps: null, raw };
  return { command, gbps: (Number(m[1]) * 1000 * 8) / 1e9, raw };
}

export interface Row {
  readonly path: string;
  readonly rate: Rate;
}

/** Fixed-width table with the ratio of each row to `anchorGbps`. */
export function formatTable(rows: readonly Row[], anchorGbps: number | null): string {
  const head = ['path', 'kpps', 'Gbps', 'x openssl'];
  const lines = rows.map((r) => [
    r.path,
    (r.rate.pps / 1000).toFixed(0),
    r.rate.gbps.toFixed(2),
    anchorGbps === null ? 'n/a' : (r.rate.gbps / anchorGbps).toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cols: readonly string[]) =>
    cols
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
