/**
 * BIRD 2 helpers for the BGP ingest benchmark: the source and receiver configurations, the
 * benchmark prefixes, and a persistent client for BIRD's control socket (one connection, no
 * `birdc` process per query, so polling is cheap for the machine and for BIRD).
 *
 * BIRD as a source can hold its last UPDATE for up to 3 s unless it is queried
 * (peers-in-netns.md, "BGP table sources and timing"); {@link BirdControl.poke} every few ms
 * keeps it flushing while a receiver ingests.
 */
import { connect, type Socket } from 'node:net';

/** The i-th benchmark prefix: 20.0.0.0/24, 20.0.1.0/24, … (21.x after 65,536, and so on). */
export function benchPrefix(i: number): string {
  return `${20 + Math.floor(i / 65_536)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
}

export interface SourceConfig {
  readonly routerId: string;
  readonly asn: number;
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly peerAs: number;
  readonly prefixes: number;
}

/** Source: `prefixes` blackhole statics, exported to one passive eBGP session. */
export function birdSourceConfig(c: SourceConfig): string {
  const routes: string[] = [];
  for (let i = 0; i < c.prefixes; i++) routes.push(`  route ${benchPrefix(i)} blackhole;`);
  return `router id ${c.routerId};
protocol device { scan time 10; }
protocol static table_src {
  ipv4;
${routes.join('\n')}
}
protocol bgp feed {
  local ${c.localAddress} as ${String(c.asn)};
  neighbor ${c.peerAddress} as ${String(c.peerAs)};
  passive on;
  hold time 90;
  keepalive time 30;
  ipv4 { import none; export where proto = "table_src"; };
}
`;
}

export interface ReceiverConfig {
  readonly routerId: string;
  readonly asn: number;
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly peerAs: number;
}

/** Receiver: one active eBGP session importing everything, a kernel protocol exporting BGP. */
export function birdReceiverConfig(c: ReceiverConfig): string {
  return `router id ${c.routerId};
protocol device { scan time 10; }
protocol kernel fib {
  ipv4 { import none; export where source = RTS_BGP; };
  merge paths off;
}
protocol bgp upstream {
  local ${c.localAddress} as ${String(c.asn)};
  neighbor ${c.peerAddress} as ${String(c.peerAs)};
  connect delay time 1;
  connect retry time 1;
  hold time 90;
  keepalive time 30;
  ipv4 { import all; export none; };
}
`;
}

/**
 * One connection to a BIRD control socket. Queries are serialised; a reply ends with a line whose
 * 4-digit code is followed by a space (e.g. "0000 " or "1002 …" as the last line).
 */
export class BirdControl {
  private readonly sock: Socket;
  private buf = '';
  private greeted = false;
  private readonly waiters: ((reply: string) => void)[] = [];
  private readonly greeting: Promise<void>;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(path: string) {
    this.sock = connect(path);
    this.sock.setEncoding('utf8');
    let greeted: () => void = () => undefined;
    this.greeting = new Promise((r) => (greeted = r));
    this.sock.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const end = replyEnd(this.buf);
        if (end < 0) break;
        const reply = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        if (!this.greeted) {
          this.greeted = true;
          greeted();
        } else {
          this.waiters.shift()?.(reply);
        }
      }
    });
    // A dead socket answers every query with '' (callers time out with their own message).
    this.sock.on('error', () => {
      this.closed = true;
      greeted();
      for (const w of this.waiters.splice(0)) w('');
    });
  }

  /** Send one command and resolve with BIRD's full reply text. */
  query(cmd: string): Promise<string> {
    const run = async (): Promise<string> => {
      await this.greeting;
      if (this.closed) return '';
      return new Promise<string>((resolve) => {
        this.waiters.push(resolve);
        this.sock.write(`${cmd}\n`);
      });
    };
    const p = this.chain.then(run, run);
    this.chain = p;
    return p;
  }

  /** True when protocol `name` is up and Established. */
  async established(name: string): Promise<boolean> {
    const r = await this.query(`show protocols ${name}`);
    return /\bEstablished\b/.test(r);
  }

  /** Number of routes in BIRD's master table (`show route count`). */
  async routeCount(): Promise<number> {
    const r = await this.query('show route count');
    const m = /(\d+) of (\d+) routes/.exec(r);
    return m?.[1] === undefined ? 0 : Number(m[1]);
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/** Index just past the last line of a complete reply in `buf`, or -1. */
function replyEnd(buf: string): number {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf('\n', start);
    if (nl < 0) return -1;
    const line = buf.slice(start, nl);
    if (/^\d{4} /.test(line)) return nl + 1;
    start = nl + 1;
  }
}
