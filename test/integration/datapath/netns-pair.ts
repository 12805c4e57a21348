/**
 * Two network namespaces joined by a veth pair, each running one native tunnel end
 * (peer.ts: TUN + native datapath + manual AES-256-GCM SAs, ESP in UDP 4500 or raw protocol 50).
 * Used by raw-esp.test.ts and the end-to-end section of bench/esp.bench.ts; always call `close()`.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PEER = fileURLToPath(new URL('./peer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function run(args: readonly string[]): string {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new Error('empty command');
  return execFileSync(cmd, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PeerCounters {
  readonly global: Record<string, number>;
  readonly out: { packets: number; bytes: number };
  readonly in: { packets: number; bytes: number };
  readonly unknownSpi: number;
  readonly ike: string[];
}

export interface NetnsPairOptions {
  /** Open side B's TUN with IFF_VNET_HDR (TSO/USO super-packets split natively). */
  readonly vnetHdr: boolean;
  /** ESP as IP protocol 50 (raw sockets) instead of UDP 4500. */
  readonly rawEsp?: boolean;
  /** Namespace name prefix (unique per caller). */
  readonly prefix: string;
}

export class NetnsPair {
  readonly nsA: string;
  readonly nsB: string;
  /** Inner addresses: A is 172.31.0.1, B is 172.31.0.2. */
  readonly innerA = '172.31.0.1';
  readonly innerB = '172.31.0.2';
  private readonly procs: ChildProcessWithoutNullStreams[] = [];
  private readonly pending: ((line: string) => void)[][] = [];

  private constructor(prefix: string) {
    this.nsA = `${prefix}a`;
    this.nsB = `${prefix}b`;
  }

  /** Set up namespaces, veth and both tunnel ends; resolves once both print "ready". */
  static async start(options: NetnsPairOptions): Promise<NetnsPair> {
    const pair = new NetnsPair(options.prefix);
    try {
      await pair.setup(options);
    } catch (err) {
      pair.close();
      throw err;
    }
    return pair;
  }

  exec(ns: string, args: readonly string[]): string {
    return run(['ip', 'netns', 'exec', ns, ...args]);
  }

  private async setup(options: NetnsPairOptions): Promise<void> {
    const va = `${this.nsA}v`;
    const vb = `${this.nsB}v`;
    run(['ip', 'netns', 'add', this.nsA]);
    run(['ip', 'netns', 'add', this.nsB]);
    run([
      'ip',
      'link',
      'add',
      va,
      'netns',
      this.nsA,
      'type',
      'veth',
      'peer',
      'name',
      vb,
      'netns',
      this.nsB,
    ]);
    this.exec(this.nsA, ['ip', 'addr', 'add', '10.202.0.1/24', 'dev', va]);
    this.exec(this.nsB, ['ip', 'addr', 'add', '10.202.0.2/24', 'dev', vb]);
    for (const [ns, dev] of [
      [this.nsA, va],
      [this.nsB, vb],
    ] as const) {
      this.exec(ns, ['ip', 'link', 'set', dev, 'up']);
      this.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    const keyAB = randomBytes(36).toString('hex');
    const keyBA = randomBytes(36).toString('hex');
    const common = { mtu: 1400, mss4: 1360, rawEsp: options.rawEsp ?? false };
    const ready = [
      this.spawnPeer(this.nsA, {
        ...common,
        vnetHdr: options.vnetHdr,
        tun: 'tunA',
        inner4: `${this.innerA}/30`,
        inner6: 'fd00:98::1/64',
        local: '10.202.0.1',
        remote: '10.202.0.2',
        spiIn: 0xb0000002,
        spiOut: 0xa0000002,
        keyInHex: keyBA,
        keyOutHex: keyAB,
      }),
      this.spawnPeer(this.nsB, {
        ...common,
        vnetHdr: options.vnetHdr,
        tun: 'tunB',
        inner4: `${this.innerB}/30`,
        inner6: 'fd00:98::2/64',
        local: '10.202.0.2',
        remote: '10.202.0.1',
        spiIn: 0xa0000002,
        spiOut: 0xb0000002,
        keyInHex: keyAB,
        keyOutHex: keyBA,
      }),
    ];
    await Promise.all(ready);
  }

  private spawnPeer(ns: string, cfg: object): Promise<void> {
    const proc = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PEER, JSON.stringify(cfg)],
      { cwd: ROOT },
    );
    this.procs.push(proc);
    const waiters: ((line: string) => void)[] = [];
    this.pending.push(waiters);
    const stderr: string[] = [];
    proc.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    createInterface({ input: proc.stdout }).on('line', (l) => {
      waiters.shift()?.(l);
    });
    return new Promise((resolve, reject) => {
      waiters.push((l) => {
        if (l.startsWith('ready')) resolve();
        else reject(new Error(`peer said ${l}`));
      });
      proc.once('exit', (code) => {
        reject(new Error(`peer exited ${code}: ${stderr.join('')}`));
      });
    });
  }

  /** A peer's counters ("a" or "b"), as printed by peer.ts. */
  counters(side: 'a' | 'b'): Promise<PeerCounters> {
    const i = side === 'a' ? 0 : 1;
    const proc = this.procs[i];
    const waiters = this.pending[i];
    if (proc === undefined || waiters === undefined) throw new Error('peer not started');
    return new Promise((resolve) => {
      waiters.push((l) => {
        resolve(JSON.parse(l) as PeerCounters);
      });
      proc.stdin.write('counters\n');
    });
  }

  /** Stop the peers and delete both namespaces. */
  close(): void {
    for (const p of this.procs) {
      p.stdin.end();
      p.kill('SIGTERM');
    }
    for (const ns of [this.nsA, this.nsB]) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        // not created or already gone
      }
    }
  }
}

export interface IperfResult {
  readonly gbps: number;
  readonly retransmits: number;
}

/** One TCP stream from B to A through the tunnel for `seconds`. */
export function iperfThroughTunnel(pair: NetnsPair, seconds: number): IperfResult {
  const server = spawn('ip', ['netns', 'exec', pair.nsA, 'iperf3', '-s', '-1', '-B', pair.innerA]);
  try {
    run(['sleep', '0.5']);
    const out = pair.exec(pair.nsB, ['iperf3', '-c', pair.innerA, '-t', String(seconds), '-J']);
    const r = JSON.parse(out) as {
      end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } };
    };
    return {
      gbps: r.end.sum_received.bits_per_second / 1e9,
      retransmits: r.end.sum_sent.retransmits ?? 0,
    };
  } finally {
    server.kill('SIGTERM');
  }
}
