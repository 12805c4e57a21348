/**
 * Two network namespaces joined by a veth pair with a strongSwan charon (kernel-libipsec) in each:
 * IKEv2 PSK, AES-256-GCM-16 ESP, UDP-encapsulated (libipsec always encapsulates), one CHILD_SA
 * between inner addresses on `lo`. The reference point for the end-to-end ESP benchmark
 * (performance.md §1f: about 0.46 Gbps). Always call `close()`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Charon } from '../../test/support/strongswan.js';

function run(args: readonly string[]): string {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new Error('empty command');
  return execFileSync(cmd, rest, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

export interface IperfFigures {
  readonly gbps: number;
  readonly retransmits: number;
}

export class StrongswanPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly outerA = '10.204.0.1';
  readonly outerB = '10.204.0.2';
  readonly innerA = '172.30.4.1';
  readonly innerB = '172.30.4.2';
  private readonly charons: Charon[] = [];

  private constructor(prefix: string) {
    this.nsA = `${prefix}a`;
    this.nsB = `${prefix}b`;
  }

  /** Namespaces, veth, two charons, tunnel initiated from B; resolves once it carries a ping. */
  static async start(prefix: string, espProposals = 'aes256gcm16'): Promise<StrongswanPair> {
    const pair = new StrongswanPair(prefix);
    try {
      await pair.setup(espProposals);
    } catch (err) {
      await pair.close();
      throw err;
    }
    return pair;
  }

  exec(ns: string, args: readonly string[]): string {
    return run(['ip', 'netns', 'exec', ns, ...args]);
  }

  private async setup(espProposals: string): Promise<void> {
    const va = `${this.nsA}v`;
    const vb = `${this.nsB}v`;
    run(['ip', 'netns', 'add', this.nsA]);
    run(['ip', 'netns', 'add', this.nsB]);
    run(['ip', 'link', 'add', va, 'netns', this.nsA, 'type', 'veth', 'peer', 'name', vb]);
    run(['ip', 'link', 'set', vb, 'netns', this.nsB]);
    const sides = [
      [this.nsA, va, this.outerA, this.innerA],
      [this.nsB, vb, this.outerB, this.innerB],
    ] as const;
    for (const [ns, dev, outer, inner] of sides) {
      this.exec(ns, ['ip', 'addr', 'add', `${outer}/24`, 'dev', dev]);
      this.exec(ns, ['ip', 'addr', 'add', `${inner}/32`, 'dev', 'lo']);
      this.exec(ns, ['ip', 'link', 'set', dev, 'up']);
      this.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    const psk = randomBytes(24).toString('base64');
    for (const [ns, , outer, inner] of sides) {
      const peer = sides.find((s) => s[0] !== ns)!;
      this.charons.push(
        await Charon.start({
          ns,
          name: ns,
          // Table 220 as usual: its route `<peer inner> dev ipsec0 src <inner>` is the data path.
          deadTable220: false,
          conns: [
            {
              name: 'bench',
              localAddrs: outer,
              remoteAddrs: peer[2],
              psk,
              encap: true,
              dpdDelay: 0,
              children: [
                {
                  name: 'bench',
                  localTs: [`${inner}/32`],
                  remoteTs: [`${peer[3]}/32`],
                  espProposals,
                },
              ],
            },
          ],
        }),
      );
    }
    const b = this.charons[1]!;
    b.initiate('bench', 'bench');
    this.exec(this.nsB, ['ping', '-c', '1', '-W', '2', '-I', this.innerB, this.innerA]);
  }

  /** The charon in namespace A (0) or B (1). */
  charon(i: 0 | 1): Charon {
    const c = this.charons[i];
    if (c === undefined) throw new Error('charon not started');
    return c;
  }

  /** Stop both charons (pid-file + namespace checked), delete the namespaces and run dirs. */
  async close(): Promise<void> {
    for (const c of this.charons) {
      await c.stop();
      c.removeDir();
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

/** One TCP stream from `clientNs` to `serverAddr` (in `serverNs`) for `seconds`, iperf3 -J. */
export async function iperfOneStream(
  serverNs: string,
  serverAddr: string,
  clientNs: string,
  clientAddr: string,
  seconds: number,
): Promise<IperfFigures> {
  const server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', serverAddr], {
    stdio: 'ignore',
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const out = run([
      'ip',
      'netns',
      'exec',
      clientNs,
      'iperf3',
      '-c',
      serverAddr,
      '-B',
      clientAddr,
      '-t',
      String(seconds),
      '-J',
    ]);
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
