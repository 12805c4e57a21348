/**
 * BGP over TCP (RFC 4271 §2, §4.1, §8.2.1.2): message framing on a byte stream, outgoing
 * connections bound to the `update-source`, listeners on port 179 and the matching of incoming
 * connections to neighbors.
 *
 * TTL (`ebgp-multihop`): node:net cannot set IP_TTL on TCP sockets, so the socket options come
 * through the {@link TcpSocketOptions} port (the native addon's sockopt.cc, injected by the
 * composition root; BGP never loads the addon itself). {@link sessionTtl} picks the value the way
 * FRR and Catalyst do: eBGP sends with TTL 1 (directly connected) unless `ebgp-multihop N` says N,
 * iBGP with 255. Outgoing connections get it before the SYN leaves ({@link ttlConnector} opens the
 * socket natively, binds it to the update-source, sets the TTL and hands the fd to
 * `new net.Socket({ fd })`); accepted ones as soon as they are matched to a neighbor (the SYN-ACK
 * still leaves with the listener's default, everything after it with the neighbor's TTL). Without
 * the port ({@link tcpConnector}) connections use the kernel default (64).
 */
import { closeSync } from 'node:fs';
import { createServer, isIPv4, Socket, type Server } from 'node:net';
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
  /** IP TTL / hop limit of every packet of the connection, SYN included ({@link sessionTtl}). */
  readonly ttl: number;
}

/** FRR's MAXTTL: what FRR (and Catalyst) send iBGP with. */
export const IBGP_TTL = 255;
/** Directly connected eBGP: TTL 1, so a peer that is not on a connected network is unreachable. */
export const EBGP_DEFAULT_TTL = 1;

/**
 * TTL of a session's packets, as FRR (`peer->ttl`) and Catalyst choose it: iBGP 255; eBGP the
 * `ebgp-multihop` value, else 1 (the single-hop check is then the network's: a TTL-1 packet
 * does not cross a router).
 */
export function sessionTtl(n: {
  readonly localAs: number;
  readonly remoteAs: number;
  readonly ebgpMultihop: number | undefined;
}): number {
  if (n.localAs === n.remoteAs) return IBGP_TTL;
  return n.ebgpMultihop ?? EBGP_DEFAULT_TTL;
}

/**
 * Socket options node:net lacks, implemented by the native addon (native/src/sockopt.cc) and
 * injected by the composition root.
 */
export interface TcpSocketOptions {
  /**
   * A new unconnected, non-blocking TCP socket bound to `localAddress` (port 0; a wildcard address
   * picks the family) that already sends with `ttl`. Returns the fd; throws on failure.
   */
  openTcpSocket(localAddress: string, ttl: number): number;
  /** IP_TTL (IPv4) / IPV6_UNICAST_HOPS (IPv6, plus IP_TTL for IPv4-mapped peers). */
  setTtl(fd: number, ttl: number): void;
}

/** The fd under a node:net socket (Linux TCPWrap exposes it), or undefined for other streams. */
export function socketFd(sock: Duplex): number | undefined {
  if (!(sock instanceof Socket)) return undefined;
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Set the TTL of an accepted connection. False (nothing done) for streams without an fd (the
 * in-memory pairs of unit tests); throws when the kernel refuses.
 */
export function applyTtl(sock: Duplex, ttl: number, opts: TcpSocketOptions): boolean {
  const fd = socketFd(sock);
  if (fd === undefined) return false;
  opts.setTtl(fd, ttl);
  return true;
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

/** Connect `sock` (fresh, or wrapping an unconnected fd) and report once. */
function dial(
  sock: Socket,
  req: ConnectRequest,
  bindLocal: boolean,
  cb: ConnectCallback,
): PendingConnect {
  let finished = false;
  sock.setNoDelay(true);
  const onError = (err: Error): void => {
    if (finished) return;
    finished = true;
    sock.destroy();
    cb(err, undefined, undefined);
  };
  sock.once('error', onError);
  sock.connect(
    {
      host: req.remoteAddress,
      port: req.port,
      family: isIPv4(req.remoteAddress) ? 4 : 6,
      ...(bindLocal && req.localAddress !== undefined ? { localAddress: req.localAddress } : {}),
    },
    () => {
      if (finished) return;
      finished = true;
      sock.off('error', onError);
      cb(undefined, sock, normalizeAddress(sock.localAddress));
    },
  );
  return {
    cancel: () => {
      finished = true;
      sock.destroy();
    },
  };
}

type ConnectCallback = Parameters<Connector>[1];

/** A connector without socket options: node:net bound to the update-source, kernel default TTL. */
export const tcpConnector: Connector = (req, cb) => dial(new Socket(), req, true, cb);

/**
 * The real connector: the socket is opened and bound natively with the request's TTL, so the SYN
 * already carries it, then wrapped by node:net and connected.
 */
export function ttlConnector(opts: TcpSocketOptions): Connector {
  return (req, cb) => {
    const local = req.localAddress ?? (isIPv4(req.remoteAddress) ? '0.0.0.0' : '::');
    let fd: number;
    try {
      fd = opts.openTcpSocket(local, req.ttl);
    } catch (e) {
      // Report asynchronously, like a failed connect (the FSM is not re-entered from here).
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) cb(e as Error, undefined, undefined);
      });
      return {
        cancel: () => {
          cancelled = true;
        },
      };
    }
    let sock: Socket;
    try {
      sock = new Socket({ fd });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return dial(sock, req, false, cb);
  };
}

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
