/**
 * BGP over TCP (RFC 4271 §2, §4.1, §8.2.1.2): message framing on a byte stream, outgoing
 * connections bound to the `update-source`, listeners on port 179 and the matching of incoming
 * connections to neighbors.
 *
 * TTL: node:net has no IP_TTL for TCP sockets, so every connection leaves with the kernel default
 * (64). That is what `ebgp-multihop` needs; for single-hop eBGP it means we do not send TTL 1 and
 * do not check that the peer is directly connected (peers do not require TTL 1 unless GTSM /
 * ttl-security is configured on their side). TTL 1 / GTSM (RFC 5082) needs a small native helper
 * and is a later item.
 */
import { connect as netConnect, createServer, isIPv4, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { BGP_PORT } from '../wire/constants.js';
import { DEFAULT_CODEC_CONTEXT, nextMessageLength, type BgpCodecContext } from '../wire/header.js';

/**
 * Splits a TCP byte stream into whole BGP messages. Header checks (marker, 19..4096 length) throw
 * BgpNotificationError (Message Header Error), which the session turns into BGPHeaderErr.
 */
export class MessageFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Switched to the negotiated context after OPEN (extended messages raise the maximum). */
  ctx: BgpCodecContext = DEFAULT_CODEC_CONTEXT;

  /** Octets received but not yet framed (InQ). */
  get pending(): number {
    return this.buf.length;
  }

  /** Append a chunk and return the complete messages it finishes, in order. */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let off = 0;
    for (;;) {
      const len = nextMessageLength(this.buf, off, this.ctx);
      if (len === null || this.buf.length - off < len) break;
      out.push(this.buf.subarray(off, off + len));
      off += len;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return out;
  }
}

/** What the session needs from a TCP connection (a net.Socket or an in-memory duplex in tests). */
export interface BgpConnectionInfo {
  readonly localAddress: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly locallyInitiated: boolean;
}

export interface BgpConnectionHandlers {
  message(buf: Buffer): void;
  /** Framing error (BgpNotificationError) or socket error. */
  error(err: Error): void;
  /** The connection is gone (peer closed, reset, or we destroyed it). Called once. */
  closed(): void;
}

/** Grace period for a NOTIFICATION to leave before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * One established TCP connection carrying BGP. Writes are queued by the socket; `outQueue` exposes
 * the backlog (OutQ) and `whenDrained` lets producers of large tables wait for the socket
 * (backpressure). Reading is paused while the write backlog is above `maxOutQueue`, so a peer
 * that floods us with ROUTE-REFRESH cannot make us buffer without bound.
 */
export class BgpConnection {
  readonly info: BgpConnectionInfo;
  readonly framer = new MessageFramer();
  private readonly socket: Duplex;
  private readonly clock: Clock;
  private handlers: BgpConnectionHandlers | undefined;
  private done = false;
  private graceTimer: Timer | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly maxOutQueue: number;

  constructor(
    socket: Duplex,
    info: BgpConnectionInfo,
    clock: Clock,
    opts: { readonly maxOutQueue?: number } = {},
  ) {
    this.socket = socket;
    this.info = info;
    this.clock = clock;
    this.maxOutQueue = opts.maxOutQueue ?? 4 << 20;
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('error', (err: Error) => {
      this.handlers?.error(err);
      this.destroy();
    });
    socket.on('close', () => {
      this.finish();
    });
    socket.on('end', () => {
      this.destroy();
    });
    socket.on('drain', () => {
      if (this.socket.isPaused()) this.socket.resume();
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    });
    socket.pause();
  }

  /** Start delivering messages. */
  attach(handlers: BgpConnectionHandlers): void {
    this.handlers = handlers;
    if (!this.done) this.socket.resume();
  }

  get closed(): boolean {
    return this.done;
  }

  /** Octets queued for sending (OutQ). */
  get outQueue(): number {
    return this.socket.writableLength;
  }

  /** Octets received and not yet framed (InQ). */
  get inQueue(): number {
    return this.framer.pending;
  }

  send(bytes: Uint8Array): boolean {
    if (this.done || this.socket.writableEnded) return false;
    const ok = this.socket.write(bytes);
    if (!ok && this.socket.writableLength > this.maxOutQueue) this.socket.pause();
    return ok;
  }

  /** Resolves when the write backlog has drained (at once if it is empty). */
  whenDrained(): Promise<void> {
    if (this.done || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Flush what was written (e.g. a NOTIFICATION), then close; destroy after a grace period. */
  close(): void {
    if (this.done) return;
    this.handlers = undefined;
    this.socket.end();
    this.graceTimer = this.clock.setTimer(CLOSE_GRACE_MS, () => {
      this.destroy();
    });
    this.finish();
  }

  /** Drop at once (RST semantics as far as node allows). */
  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const h = this.handlers;
    this.handlers = undefined;
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
    if (this.socket.destroyed) this.graceTimer?.cancel();
    h?.closed();
  }

  private onData(chunk: Buffer): void {
    let msgs: Buffer[];
    try {
      msgs = this.framer.push(chunk);
    } catch (e) {
      this.handlers?.error(e as Error);
      return;
    }
    for (const m of msgs) {
      if (this.done || !this.handlers) return;
      this.handlers.message(m);
    }
  }
}

/** Strip the IPv4-mapped prefix a dual-stack socket reports ("::ffff:10.0.0.1" → "10.0.0.1"). */
export function normalizeAddress(a: string | undefined): string | undefined {
  if (a === undefined) return undefined;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a.toLowerCase();
}

export interface ConnectRequest {
  readonly remoteAddress: string;
  readonly port: number;
  /** `update-source`: bind the local end to this address. */
  readonly localAddress: string | undefined;
}

export interface PendingConnect {
  /** Abort the attempt (no callback afterwards). */
  cancel(): void;
}

/** Opens outgoing TCP connections; injectable so unit tests use in-memory pairs. */
export type Connector = (
  req: ConnectRequest,
  cb: (err: Error | undefined, socket: Duplex | undefined, local: string | undefined) => void,
) => PendingConnect;

/** The real connector: node:net bound to the update-source (kernel default TTL, see header). */
export const tcpConnector: Connector = (req, cb) => {
  let finished = false;
  const sock: Socket = netConnect({
    host: req.remoteAddress,
    port: req.port,
    family: isIPv4(req.remoteAddress) ? 4 : 6,
    ...(req.localAddress !== undefined ? { localAddress: req.localAddress } : {}),
  });
  sock.setNoDelay(true);
  const onError = (err: Error): void => {
    if (finished) return;
    finished = true;
    sock.destroy();
    cb(err, undefined, undefined);
  };
  sock.once('error', onError);
  sock.once('connect', () => {
    if (finished) return;
    finished = true;
    sock.off('error', onError);
    cb(undefined, sock, normalizeAddress(sock.localAddress));
  });
  return {
    cancel: () => {
      finished = true;
      sock.destroy();
    },
  };
};

/** An accepted connection handed to the speaker for matching. */
export interface IncomingConnection {
  readonly socket: Duplex;
  readonly localAddress: string | undefined;
  readonly remoteAddress: string | undefined;
}

/**
 * Passive side: one server per local address (the neighbors' update-sources), or a single
 * wildcard server when some neighbor has no update-source (Linux refuses a wildcard listener next
 * to specific ones on the same port). A bind that fails (the address is not configured yet, e.g. a
 * tunnel interface still down) is retried every `retryMs`.
 */
export class BgpListeners {
  private readonly servers = new Map<string, Server>();
  private readonly retry = new Map<string, Timer>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly port: number;
  private readonly retryMs: number;
  private readonly onConnection: (c: IncomingConnection) => void;
  private stopped = false;

  constructor(opts: {
    readonly clock: Clock;
    readonly log: Logger;
    readonly port?: number;
    readonly retryMs?: number;
    readonly onConnection: (c: IncomingConnection) => void;
  }) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.port = opts.port ?? BGP_PORT;
    this.retryMs = opts.retryMs ?? 5000;
    this.onConnection = opts.onConnection;
  }

  /** Which addresses to listen on for these neighbors' update-sources. */
  static addressesFor(updateSources: readonly (string | undefined)[]): string[] {
    if (updateSources.some((u) => u === undefined)) return ['::'];
    return [...new Set(updateSources as string[])];
  }

  listen(addresses: readonly string[]): void {
    for (const a of addresses) this.open(a);
  }

  /** Bound addresses (for tests and `show`). */
  get bound(): string[] {
    return [...this.servers.entries()].filter(([, s]) => s.listening).map(([a]) => a);
  }

  /** Resolves once every requested address is bound (or a retry is pending). */
  async ready(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.listening) {
              resolve();
              return;
            }
            s.once('listening', () => {
              resolve();
            });
            s.once('error', () => {
              resolve();
            });
          }),
      ),
    );
  }

  close(): void {
    this.stopped = true;
    for (const t of this.retry.values()) t.cancel();
    this.retry.clear();
    for (const s of this.servers.values()) s.close();
    this.servers.clear();
  }

  private open(address: string): void {
    if (this.stopped || this.servers.has(address)) return;
    const server = createServer({ pauseOnConnect: true }, (sock) => {
      sock.setNoDelay(true);
      this.onConnection({
        socket: sock,
        localAddress: normalizeAddress(sock.localAddress),
        remoteAddress: normalizeAddress(sock.remoteAddress),
      });
    });
    this.servers.set(address, server);
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server.listening) {
        this.log.warn({ mod: 'bgp', address, err: err.message }, 'BGP listener error');
        return;
      }
      this.servers.delete(address);
      if (this.stopped) return;
      this.log.warn(
        { mod: 'bgp', address, port: this.port, code: err.code },
        'cannot listen for BGP yet; retrying',
      );
      this.retry.set(
        address,
        this.clock.setTimer(this.retryMs, () => {
          this.retry.delete(address);
          this.open(address);
        }),
      );
    });
    server.listen({ host: address, port: this.port });
  }
}
