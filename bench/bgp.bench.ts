/**
 * BGP ingest benchmark (a program, not a test; needs root):
 *
 *   npm run bench:bgp -- [--prefixes 100000] [--runs 1] [--only nvad|bird] [--timeout 180]
 *   BENCH_BGP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:bgp -- --only nvad
 *   BENCH_BGP_HEAP_SNAPSHOT=/tmp/nvad.heapsnapshot npm run bench:bgp -- --only nvad
 *
 * For each run and receiver, a fresh pair of namespaces joined by a veth: a source namespace with
 * BIRD 2 holding `--prefixes` IPv4 /24 statics and exporting them over eBGP, and a receiver
 * namespace with either
 *   nvad — our speaker + SpeakerRib + Routing + netlink kernel, as its own node process, or
 *   BIRD — a BGP protocol plus a kernel protocol exporting BGP routes into the main table.
 * Measured: from Established (seen on the source's control socket) until the receiver's main FIB
 * table holds every prefix (fib_triestat of its namespace); the receiver's peak RSS (VmHWM) and
 * its CPU seconds during that window (and in total). BIRD is the source because it sends fastest
 * and, queried every few ms on one persistent control connection, flushes its final UPDATE at
 * once (peers-in-netns.md: otherwise it may hold it 3 s).
 *
 * Namespaces are `nvbs<pid><n>` / `nvbr<pid><n>`; everything is removed at the end, on errors and
 * on Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { haveBird, startBird, type BirdPeer } from '../test/support/bgp-peers.js';
import { isRoot, TestNetns, vethPair } from '../test/support/netns.js';
import { BirdControl, benchPrefix, birdReceiverConfig, birdSourceConfig } from './lib/bgp-bird.js';
import { mainTablePrefixes, procCpuSeconds, procMemory } from './lib/bgp-proc.js';
import type { NvadAgentOptions } from './lib/bgp-nvad-agent.js';

type Receiver = 'nvad' | 'bird';

interface Options {
  readonly prefixes: number;
  readonly runs: number;
  readonly receivers: readonly Receiver[];
  readonly timeoutSec: number;
}

interface Result {
  readonly receiver: Receiver;
  readonly converged: boolean;
  /** Established → all prefixes in the FIB, seconds. */
  readonly seconds: number;
  readonly installed: number;
  readonly peakMb: number;
  /** RSS just before the session came up (process baseline), MiB. */
  readonly idleMb: number;
  /** CPU seconds between Established and convergence. */
  readonly cpuIngest: number;
  /** CPU seconds since the receiver process started (includes start-up, e.g. tsx for nvad). */
  readonly cpuTotal: number;
  /** Routes via the source address found by a full `ip route` dump after the measurement. */
  readonly verified: number;
  /** RSS 300 ms after convergence, MiB. */
  readonly endMb: number;
  /** Time between the last two FIB reads: convergence happened within this window. */
  readonly resolutionMs: number;
  /** nvad: Established → every best path handed to Routing (the rest is FIB programming). */
  readonly ribSeconds?: number;
  /** nvad: V8 heap in use after a full GC once converged, MiB (what the table retains). */
  readonly heapMb?: number;
}

const SRC_ADDR = '10.201.0.1';
const RCV_ADDR = '10.201.0.2';
const SRC_AS = 65100;
const RCV_AS = 65002;
const POLL_MS = 5;
/** FIB reads are spaced by this many times their own duration. */
const FIB_POLL_FACTOR = 9;
const FIB_POLL_MAX_MS = 50;

function parseOptions(argv: readonly string[]): Options {
  let prefixes = 100_000;
  let runs = 1;
  let receivers: Receiver[] = ['nvad', 'bird'];
  let timeoutSec = 180;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${String(a)} needs a positive integer`);
      i++;
      return n;
    };
    if (a === '--prefixes') prefixes = num();
    else if (a === '--runs') runs = num();
    else if (a === '--timeout') timeoutSec = num();
    else if (a === '--only' && (v === 'nvad' || v === 'bird')) {
      receivers = [v];
      i++;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench:bgp -- [--prefixes N] [--runs N] [--only nvad|bird] [--timeout S]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${String(a)}`);
  }
  if (prefixes > 60 * 65_536) throw new Error('--prefixes: at most 3,932,160');
  return { prefixes, runs, receivers, timeoutSec };
}

// ---- cleanup, also on Ctrl-C and errors ----

const cleanups = new Set<() => void>();

function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
    fn();
  };
}

function cleanupAll(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // keep cleaning
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    cleanupAll();
    process.exit(130);
  });
}

// ---- helpers ----

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  timeoutMs: number,
  fn: () => Promise<boolean> | boolean,
  stepMs = POLL_MS,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** BIRD daemonises; its pid file appears (and is filled) shortly after `bird` returns. */
async function birdPid(peer: BirdPeer): Promise<number> {
  let pid = 0;
  await until('the BIRD pid file', 10_000, () => {
    try {
      pid = Number(readFileSync(`${peer.dir}/bird.pid`, 'utf8').trim());
    } catch {
      pid = 0;
    }
    return Number.isInteger(pid) && pid > 1;
  });
  return pid;
}

/** Routes in the receiver's main table whose gateway is the source (full dump, untimed). */
function verifyRoutes(ns: TestNetns): number {
  const out = execFileSync('ip', ['-n', ns.name, '-4', 'route', 'show', 'table', 'main'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  let n = 0;
  for (const line of out.split('\n')) if (line.includes(`via ${SRC_ADDR}`)) n++;
  return n;
}

/** `BENCH_BGP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"`: extra node flags for the nvad agent. */
function extraNodeArgs(): string[] {
  return (process.env.BENCH_BGP_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

interface Started {
  readonly pid: number;
  /** Ask the receiver to exit and wait for it (up to 10 s; profiles are written on exit). */
  readonly stop: () => Promise<void>;
  /** Write one line to the agent's stdin (nvad only). */
  readonly send: (line: string) => void;
}

function startNvad(
  ns: TestNetns,
  prefixes: number,
  onLine: (l: Record<string, unknown>) => void,
): Promise<Started> {
  const agent = fileURLToPath(new URL('./lib/bgp-nvad-agent.ts', import.meta.url));
  const opts: NvadAgentOptions = {
    asn: RCV_AS,
    routerId: '10.255.0.2',
    localAddress: RCV_ADDR,
    peerAddress: SRC_ADDR,
    peerAs: SRC_AS,
    expect: prefixes,
  };
  const child: ChildProcess = ns.spawn(process.execPath, [
    '--import',
    import.meta.resolve('tsx'),
    '--expose-gc',
    ...extraNodeArgs(),
    agent,
    JSON.stringify(opts),
  ]);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let ev: Record<string, unknown>;
        try {
          ev = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        onLine(ev);
        if (ev.event === 'ready' && child.pid !== undefined)
          resolve({
            pid: child.pid,
            stop: () => {
              if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
              const exited = new Promise<void>((r) => {
                child.once('exit', () => {
                  r();
                });
                setTimeout(r, 10_000).unref();
              });
              child.kill('SIGTERM');
              return exited;
            },
            send: (l) => child.stdin?.write(`${l}\n`),
          });
      }
    });
    child.on('exit', (code, sig) => {
      reject(new Error(`nvad agent exited (${String(code ?? sig)}): ${stderr}`));
    });
    setTimeout(() => {
      reject(new Error(`nvad agent not ready after 60 s: ${stderr}`));
    }, 60_000).unref();
  });
}

async function measure(kind: Receiver, o: Options): Promise<Result> {
  const src = new TestNetns('bs');
  const rcv = new TestNetns('br');
  const undoNs = onCleanup(() => {
    rcv.destroy();
    src.destroy();
  });
  const peers: BirdPeer[] = [];
  const undoPeers = onCleanup(() => {
    for (const p of peers) p.stop();
  });
  let ctl: BirdControl | undefined;
  let receiver: Started | undefined;
  try {
    src.create();
    rcv.create();
    const tag = String(process.pid).slice(-6);
    vethPair(src, `nvbs${tag}`, rcv, `nvbr${tag}`);
    src.addr(`nvbs${tag}`, `${SRC_ADDR}/30`);
    rcv.addr(`nvbr${tag}`, `${RCV_ADDR}/30`);

    const source = startBird(
      src,
      birdSourceConfig({
        routerId: '10.255.0.1',
        asn: SRC_AS,
        localAddress: SRC_ADDR,
        peerAddress: RCV_ADDR,
        peerAs: RCV_AS,
        prefixes: o.prefixes,
      }),
    );
    peers.push(source);
    const c = new BirdControl(`${source.dir}/bird.ctl`);
    ctl = c;
    await until(
      'the source to load its table',
      120_000,
      async () => (await c.routeCount()) >= o.prefixes,
      100, // `show route count` walks the table: don't slow the loading down
    );

    let started: Started;
    let agentEstablished: number | undefined;
    let ribAt: number | undefined;
    let heapMb: number | undefined;
    if (kind === 'nvad') {
      started = await startNvad(rcv, o.prefixes, (ev) => {
        if (ev.event === 'session' && ev.up === true && typeof ev.at === 'number')
          agentEstablished ??= ev.at;
        if (ev.event === 'rib' && typeof ev.at === 'number') ribAt = ev.at;
        if (ev.event === 'mem' && typeof ev.heapUsed === 'number') heapMb = ev.heapUsed / 1048576;
      });
    } else {
      const r = startBird(
        rcv,
        birdReceiverConfig({
          routerId: '10.255.0.2',
          asn: RCV_AS,
          localAddress: RCV_ADDR,
          peerAddress: SRC_ADDR,
          peerAs: SRC_AS,
        }),
      );
      peers.push(r);
      started = {
        pid: await birdPid(r),
        stop: () => Promise.resolve(),
        send: () => undefined,
      };
    }
    receiver = started;
    const pid = started.pid;
    const baseline = mainTablePrefixes(pid);

    // Established, as seen by the source (the same event for both receivers).
    await until('Established', 60_000, () => c.established('feed'));
    const t0 = now();
    const cpu0 = procCpuSeconds(pid);
    const idleMb = procMemory(pid).rssMb;

    // fib_triestat walks the whole trie (about 5 ms of kernel time at 100k routes), so it is read
    // at most every POLL_MS and at most ~10% of one CPU; the source is poked every POLL_MS.
    let installed = 0;
    let t1 = 0;
    let lastRead = t0;
    let nextRead = t0;
    let resolutionMs = 0;
    let cpuBefore = process.cpuUsage();
    const deadline = t0 + o.timeoutSec * 1000;
    for (;;) {
      const t = now();
      if (t >= nextRead) {
        cpuBefore = process.cpuUsage();
        installed = mainTablePrefixes(pid) - baseline;
        const done = now();
        const cost = process.cpuUsage(cpuBefore);
        if (installed >= o.prefixes) {
          t1 = done;
          resolutionMs = done - lastRead;
          break;
        }
        lastRead = done;
        // Our own CPU for the read (not wall time, which the loaded machine inflates).
        const costMs = (cost.user + cost.system) / 1000;
        nextRead = done + Math.min(FIB_POLL_MAX_MS, Math.max(POLL_MS, FIB_POLL_FACTOR * costMs));
      }
      if (t > deadline) break;
      await c.query('show status'); // keeps the source flushing its UPDATEs
      await sleep(POLL_MS);
    }
    const converged = t1 > 0;
    const cpu1 = procCpuSeconds(pid);
    await sleep(300);
    const mem = procMemory(pid);
    const cpuTotal = procCpuSeconds(pid);
    const verified = verifyRoutes(rcv);
    if (kind === 'nvad') {
      started.send('mem');
      await until('heap figures from the agent', 60_000, () => heapMb !== undefined).catch(
        () => undefined,
      );
    }
    if (kind === 'nvad' && agentEstablished !== undefined) {
      const skew = Math.abs(agentEstablished - t0);
      if (skew > 50)
        process.stderr.write(`note: nvad saw Established ${skew.toFixed(0)} ms from the source\n`);
    }
    return {
      receiver: kind,
      converged,
      seconds: ((converged ? t1 : now()) - t0) / 1000,
      installed,
      peakMb: mem.peakMb,
      endMb: mem.rssMb,
      resolutionMs,
      idleMb,
      ...(ribAt !== undefined ? { ribSeconds: (ribAt - t0) / 1000 } : {}),
      ...(heapMb !== undefined ? { heapMb } : {}),
      cpuIngest: cpu1 - cpu0,
      cpuTotal,
      verified,
    };
  } finally {
    ctl?.close();
    await receiver?.stop();
    undoPeers();
    undoNs();
  }
}

// ---- report ----

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function row(cells: readonly string[]): string {
  const widths = [16, 18, 10, 10, 10, 14, 12, 10];
  return cells.map((c, i) => pad(c, widths[i] ?? 10)).join('');
}

function summary(rs: readonly Result[]): { s: number; mb: number; cpu: number } {
  return {
    s: median(rs.map((r) => r.seconds)),
    mb: median(rs.map((r) => r.peakMb)),
    cpu: median(rs.map((r) => r.cpuIngest)),
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (!isRoot()) throw new Error('needs root (network namespaces)');
  if (!haveBird()) throw new Error('needs BIRD 2 (apt-get install bird2)');
  // `bird --version` prints to stderr.
  const v = spawnSync('/usr/sbin/bird', ['--version'], { encoding: 'utf8' });
  const birdVersion = `${v.stdout}${v.stderr}`.trim();
  const load = loadavg().map((l) => l.toFixed(2));
  process.stdout.write(
    `BGP ingest: ${o.prefixes.toLocaleString('en')} IPv4 /24s (${benchPrefix(0)} … ${benchPrefix(o.prefixes - 1)}) ` +
      `from ${birdVersion || 'BIRD'} over eBGP; Established → all in the kernel FIB\n` +
      `node ${process.version}, load average ${load.join(' ')}, runs ${String(o.runs)}\n\n`,
  );
  process.stdout.write(
    `${row(['run/receiver', 'converge s (res)', 'peak MB', 'idle MB', 'end MB', 'CPU-s ingest', 'CPU-s all', 'routes'])}\n`,
  );
  const results: Result[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const kind of o.receivers) {
      const r = await measure(kind, o);
      results.push(r);
      process.stdout.write(
        `${row([
          `${String(run)} ${kind === 'nvad' ? 'nvad' : 'BIRD'}`,
          r.converged
            ? `${r.seconds.toFixed(3)} (${r.resolutionMs.toFixed(0)}ms)`
            : `>${r.seconds.toFixed(1)} (${String(r.installed)})`,
          r.peakMb.toFixed(1),
          r.idleMb.toFixed(1),
          r.endMb.toFixed(1),
          r.cpuIngest.toFixed(2),
          r.cpuTotal.toFixed(2),
          String(r.verified),
        ])}\n`,
      );
      await sleep(1000); // let the machine settle between measurements
    }
  }
  process.stdout.write(
    '(res: convergence fell within this window before the reading; idle MB: RSS at Established,\n' +
      ' for nvad node + tsx loader; CPU-s ingest: Established → converged; routes: checked by a\n' +
      ' full `ip route` dump afterwards)\n',
  );
  const nv = results.filter((r) => r.receiver === 'nvad');
  for (const [i, r] of nv.entries()) {
    if (r.ribSeconds === undefined && r.heapMb === undefined) continue;
    process.stdout.write(
      `nvad #${String(i + 1)}: all best paths handed to Routing at ${r.ribSeconds?.toFixed(3) ?? '?'} s ` +
        `(FIB programming took the rest); V8 heap after GC ${r.heapMb?.toFixed(1) ?? '?'} MB\n`,
    );
  }
  const bd = results.filter((r) => r.receiver === 'bird');
  if (nv.length > 0 && bd.length > 0) {
    const a = summary(nv);
    const b = summary(bd);
    const label = o.runs > 1 ? `median of ${String(o.runs)}` : 'result';
    process.stdout.write(`\n${label}:\n${row(['', 'converge s', 'peak MB', 'CPU-s ingest'])}\n`);
    process.stdout.write(`${row(['nvad', a.s.toFixed(3), a.mb.toFixed(1), a.cpu.toFixed(2)])}\n`);
    process.stdout.write(`${row(['BIRD', b.s.toFixed(3), b.mb.toFixed(1), b.cpu.toFixed(2)])}\n`);
    const ratio = (x: number, y: number): string => (y > 0 ? `${(x / y).toFixed(1)}x` : '-');
    process.stdout.write(
      `${row(['nvad / BIRD', ratio(a.s, b.s), ratio(a.mb, b.mb), ratio(a.cpu, b.cpu)])}\n`,
    );
  }
  const bad = results.filter((r) => !r.converged || r.verified < o.prefixes);
  if (bad.length > 0) {
    process.stdout.write(`\n${String(bad.length)} measurement(s) did not converge or verify\n`);
    process.exitCode = 1;
  }
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`bench:bgp failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanupAll();
  });
