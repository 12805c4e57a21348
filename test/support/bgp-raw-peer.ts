/**
 * A minimal scripted BGP peer for acceptance tests: it connects from inside a test namespace to a
 * speaker (a tiny `node -e` relay child pipes the TCP stream through stdin/stdout, so the BGP
 * logic runs here), completes OPEN/KEEPALIVE, then sends whatever bytes the test crafts — including
 * malformed UPDATEs the real codecs would refuse to build. Received messages are framed and kept.
 *
 * Message layout per RFC 4271 §4.1 (16-octet marker, 2-octet length, 1-octet type).
 */
import type { ChildProcess } from 'node:child_process';
import type { TestNetns } from './netns.js';
import { waitFor } from './netns.js';

export const MsgType = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4 } as const;

export interface RawMessage {
  readonly type: number;
  /** Body after the 19-octet header. */
  readonly body: Buffer;
}

/** Header + body. */
export function bgpMessage(type: number, body: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.alloc(19, 0xff);
  h.writeUInt16BE(19 + body.length, 16);
  h.writeUInt8(type, 18);
  return Buffer.concat([h, body]);
}

function ipBytes(addr: string): number[] {
  return addr.split('.').map(Number);
}

/** OPEN (RFC 4271 §4.2) with IPv4-unicast MP (RFC 4760) and 4-octet AS (RFC 6793) capabilities. */
export function openMessage(asn: number, holdSec: number, routerId: string): Buffer {
  const as4 = Buffer.alloc(4);
  as4.writeUInt32BE(asn);
  const caps = [1, 4, 0, 1, 0, 1, 65, 4, ...as4];
  const body = Buffer.from([
    4,
    ...(asn > 0xffff ? [0x5b, 0xa0] : [asn >> 8, asn & 0xff]),
    holdSec >> 8,
    holdSec & 0xff,
    ...ipBytes(routerId),
    caps.length + 2,
    2,
    caps.length,
    ...caps,
  ]);
  return bgpMessage(MsgType.OPEN, body);
}

/** An IPv4 prefix in NLRI encoding (RFC 4271 §4.3); `len` may be invalid on purpose. */
export function nlri(prefix: string, len: number): number[] {
  const bytes = ipBytes(prefix).slice(0, Math.ceil(Math.min(len, 32) / 8));
  return len > 32 ? [len, ...ipBytes(prefix), 0] : [len, ...bytes];
}

/** One path attribute (non-extended length), value given raw so its length can be wrong. */
export function attr(
  flags: number,
  code: number,
  value: readonly number[],
  len?: number,
): number[] {
  return [flags, code, len ?? value.length, ...value];
}

export const Attr = {
  origin: (): number[] => attr(0x40, 1, [0]),
  /** AS_SEQUENCE of 4-octet ASNs (the session negotiated 4-octet AS). */
  asPath: (...asns: number[]): number[] => {
    const v = [2, asns.length];
    for (const a of asns) v.push((a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
    return attr(0x40, 2, v);
  },
  nextHop: (addr: string): number[] => attr(0x40, 3, ipBytes(addr)),
  med: (v: number): number[] =>
    attr(0x80, 4, [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]),
} as const;

/** UPDATE body (RFC 4271 §4.3) from raw withdrawn / attribute / NLRI octets. */
export function updateMessage(
  withdrawn: readonly number[],
  attrs: readonly number[],
  reach: readonly number[],
): Buffer {
  const b = Buffer.from([
    withdrawn.length >> 8,
    withdrawn.length & 0xff,
    ...withdrawn,
    attrs.length >> 8,
    attrs.length & 0xff,
    ...attrs,
    ...reach,
  ]);
  return bgpMessage(MsgType.UPDATE, b);
}

// The relay child: connect (bound to the local address), then pipe both ways; exit on close.
const RELAY = `
const net = require('node:net');
const [host, port, local] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress: local });
s.on('connect', () => process.stderr.write('connected\\n'));
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('error', (e) => { process.stderr.write('error ' + e.message + '\\n'); process.exit(2); });
s.on('close', () => process.exit(0));
`;

export class RawBgpPeer {
  readonly received: RawMessage[] = [];
  private readonly child: ChildProcess;
  private buf = Buffer.alloc(0);
  private closedFlag = false;
  private stderr = '';
  private keepaliveTimer: NodeJS.Timeout | undefined;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.frame();
    });
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.on('exit', () => {
      this.closedFlag = true;
      this.stopKeepalives();
    });
  }

  /** Open a TCP connection from `local` (inside `ns`) to `remote`:`port`. */
  static async connect(
    ns: TestNetns,
    remote: string,
    local: string,
    port = 179,
  ): Promise<RawBgpPeer> {
    const child = ns.spawn(process.execPath, ['-e', RELAY, remote, String(port), local]);
    const peer = new RawBgpPeer(child);
    await waitFor(
      `TCP connection to ${remote}`,
      () => {
        if (peer.closedFlag) throw new Error(`relay exited: ${peer.stderr}`);
        return peer.stderr.includes('connected');
      },
      10_000,
      20,
    );
    return peer;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private frame(): void {
    while (this.buf.length >= 19) {
      const len = this.buf.readUInt16BE(16);
      if (this.buf.length < len) return;
      this.received.push({ type: this.buf.readUInt8(18), body: this.buf.subarray(19, len) });
      this.buf = this.buf.subarray(len);
    }
  }

  send(msg: Uint8Array): void {
    this.child.stdin?.write(msg);
  }

  count(type: number): number {
    return this.received.filter((m) => m.type === type).length;
  }

  /** First NOTIFICATION received: error code and subcode (RFC 4271 §4.5). */
  notification(): { code: number; subcode: number } | undefined {
    const n = this.received.find((m) => m.type === MsgType.NOTIFICATION);
    return n ? { code: n.body.readUInt8(0), subcode: n.body.readUInt8(1) } : undefined;
  }

  /** OPEN, wait for the speaker's OPEN, KEEPALIVE both ways; then keepalives every `kaMs`. */
  async establish(asn: number, routerId: string, holdSec = 30, kaMs = 3000): Promise<void> {
    this.send(openMessage(asn, holdSec, routerId));
    await waitFor('OPEN from the speaker', () => this.count(MsgType.OPEN) > 0, 10_000, 20);
    this.send(bgpMessage(MsgType.KEEPALIVE));
    await waitFor(
      'KEEPALIVE from the speaker',
      () => {
        if (this.notification()) throw new Error('NOTIFICATION during setup');
        return this.count(MsgType.KEEPALIVE) > 0;
      },
      10_000,
      20,
    );
    this.keepaliveTimer = setInterval(() => {
      if (!this.closedFlag) this.send(bgpMessage(MsgType.KEEPALIVE));
    }, kaMs);
  }

  stopKeepalives(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  close(): void {
    this.stopKeepalives();
    if (!this.closedFlag) this.child.kill('SIGKILL');
  }
}
