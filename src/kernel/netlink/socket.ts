/**
 * A netlink socket on the native transport with request/reply matching by sequence number.
 * Replies arrive through the addon's uv_poll watcher (never blocking the event loop). A request
 * ends at its NLMSG_ERROR (ACK when errno is 0) or, for dumps, at NLMSG_DONE.
 *
 * The watcher is ref'd only while requests are outstanding, so an idle socket does not keep the
 * process alive.
 */
import { native } from '../../native.js';
import { KernelError } from '../errors.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NlmF } from './constants.js';
import { decodeDone, decodeError, decodeMessages, NlWriter, type NlMsg } from './wire.js';

/** The functions native/src/netlink.cc exports. */
export interface NetlinkTransport {
  netlinkOpen(protocol?: number, groups?: number): number;
  netlinkSend(fd: number, buf: Uint8Array): number;
  netlinkRecv(fd: number, maxBytes: number, timeoutMs: number): Buffer | null;
  netlinkAddMembership(fd: number, group: number): void;
  netlinkPortId(fd: number): number;
  netlinkWatch(fd: number, cb: (data: Buffer | null, errno: number) => void): void;
  netlinkWatchRef(fd: number, ref: boolean): void;
  netlinkUnwatch(fd: number): void;
  netlinkClose(fd: number): void;
}

const FUNCTIONS = [
  'netlinkOpen',
  'netlinkSend',
  'netlinkRecv',
  'netlinkAddMembership',
  'netlinkPortId',
  'netlinkWatch',
  'netlinkWatchRef',
  'netlinkUnwatch',
  'netlinkClose',
] as const;

/** The addon's netlink functions, checked to be present. */
export function nativeTransport(): NetlinkTransport {
  const addon = native();
  for (const f of FUNCTIONS) {
    if (typeof addon[f] !== 'function') {
      throw new Error(`native addon lacks ${f}; rebuild with "npm run build:native"`);
    }
  }
  return addon as unknown as NetlinkTransport;
}

export const NETLINK_ROUTE = 0;

/** Outcome of one request: the data messages, or the kernel's errno and extended ACK text. */
export type Reply =
  | { readonly ok: true; readonly msgs: NlMsg[] }
  | { readonly ok: false; readonly errno: number; readonly extAck: string | null };

/** A failed message of a batch: its sequence number, errno and extended ACK text. */
export interface BatchError {
  readonly seq: number;
  readonly errno: number;
  readonly extAck: string | null;
}

interface PendingRange {
  readonly first: number;
  readonly last: number;
  readonly errors: BatchError[];
  readonly resolve: (errors: BatchError[]) => void;
  readonly reject: (e: Error) => void;
}

interface Pending {
  readonly msgs: NlMsg[];
  readonly resolve: (r: Reply) => void;
  readonly reject: (e: Error) => void;
}

export interface NetlinkSocketOptions {
  transport?: NetlinkTransport;
  /** RTNLGRP_* groups to join; their notifications go to `onNotification`. */
  groups?: readonly number[];
  onNotification?: (msg: NlMsg) => void;
  /** Called when the socket fails as a whole (ENOBUFS, undecodable data). */
  onError?: (err: KernelError) => void;
}

export class NetlinkSocket {
  readonly fd: number;
  readonly portId: number;
  private readonly t: NetlinkTransport;
  private readonly pending = new Map<number, Pending>();
  private readonly ranges = new Set<PendingRange>();
  private readonly onNotification: ((msg: NlMsg) => void) | undefined;
  private readonly onError: ((err: KernelError) => void) | undefined;
  private seq: number;
  private closed = false;
  private refd = false;
  private dumpTail: Promise<void> = Promise.resolve();

  constructor(opts: NetlinkSocketOptions = {}) {
    this.t = opts.transport ?? nativeTransport();
    this.onNotification = opts.onNotification;
    this.onError = opts.onError;
    this.fd = this.t.netlinkOpen(NETLINK_ROUTE, 0);
    try {
      for (const g of opts.groups ?? []) this.t.netlinkAddMembership(this.fd, g);
      this.portId = this.t.netlinkPortId(this.fd);
      this.t.netlinkWatch(this.fd, (data, errno) => {
        this.onData(data, errno);
      });
      this.t.netlinkWatchRef(this.fd, false);
    } catch (e) {
      this.t.netlinkClose(this.fd);
      throw e;
    }
    // Distinct sockets in one process start at distinct points; any start works.
    this.seq = (this.fd * 0x10000) >>> 0;
  }

  get outstanding(): number {
    return this.pending.size + this.ranges.size;
  }

  /** Allocate a sequence number (never 0: kernel notifications use 0). */
  nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    if (this.seq === 0) this.seq = 1;
    return this.seq;
  }

  /**
   * Send one request; `build` writes the body. Non-dump requests get NLM_F_ACK so success is
   * confirmed too. Resolves with the reply (errors from the kernel are a `Reply`, not a throw).
   */
  request(type: number, flags: number, build: (w: NlWriter) => void): Promise<Reply> {
    const isDump = (flags & NlmF.DUMP) === NlmF.DUMP && type % 4 === 2;
    if (!isDump) return this.sendRequest(type, flags | NlmF.ACK, build);
    // The kernel runs one dump per socket at a time (EBUSY otherwise): queue dumps.
    const run = async (): Promise<Reply> => {
      // NLM_F_DUMP_INTR: the table changed during the dump; the result may be inconsistent.
      for (let attempt = 1; ; attempt++) {
        const r = await this.sendRequest(type, flags, build);
        if (!r.ok || attempt >= 3 || !r.msgs.some((m) => (m.flags & NlmF.DUMP_INTR) !== 0)) {
          return r;
        }
      }
    };
    const p = this.dumpTail.then(run, run);
    this.dumpTail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  private sendRequest(type: number, flags: number, build: (w: NlWriter) => void): Promise<Reply> {
    const w = new NlWriter(256);
    const seq = this.nextSeq();
    const at = w.beginMessage(type, flags | NlmF.REQUEST, seq);
    build(w);
    w.endMessage(at);
    const p = this.expect(seq);
    this.send(w.buf.subarray(0, w.pos));
    return p;
  }

  /**
   * Allocate `count` consecutive sequence numbers (no wrap inside the range); returns the first.
   */
  nextSeqRange(count: number): number {
    if (this.seq + count >= 0xffffffff) this.seq = 0;
    const first = this.seq + 1;
    this.seq += count;
    return first;
  }

  /**
   * Register a batch whose messages carry seqs first..last, where only the message with seq
   * `last` asks for an ACK. The kernel handles a send's messages in order and reports every
   * failure (NLMSG_ERROR is sent even without NLM_F_ACK), so once `last` is answered all errors
   * of the batch have arrived. Resolves with the failures.
   */
  expectRange(first: number, last: number): Promise<BatchError[]> {
    if (this.closed) {
      return Promise.reject(new KernelError('netlink request', 0, null, 'socket closed'));
    }
    return new Promise<BatchError[]>((resolve, reject) => {
      this.ranges.add({ first, last, errors: [], resolve, reject });
      this.ref();
    });
  }

  private ref(): void {
    if (!this.refd) {
      this.refd = true;
      this.t.netlinkWatchRef(this.fd, true);
    }
  }

  /** Register interest in `seq` before sending it. */
  expect(seq: number): Promise<Reply> {
    if (this.closed)
      return Promise.reject(new KernelError('netlink request', 0, null, 'socket closed'));
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(seq, { msgs: [], resolve, reject });
      this.ref();
    });
  }

  /** Send already-encoded messages (one or many); a send failure fails every outstanding request. */
  send(buf: Uint8Array): void {
    if (this.closed) return;
    try {
      this.t.netlinkSend(this.fd, buf);
    } catch (e) {
      const errno = (e as { errno?: number }).errno ?? 0;
      this.failAll(new KernelError('netlink send', errno, null, (e as Error).message));
    }
  }

  private settle(seq: number, reply: Reply): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    this.maybeUnref();
    p.resolve(reply);
  }

  private maybeUnref(): void {
    if (this.pending.size === 0 && this.ranges.size === 0 && this.refd && !this.closed) {
      this.refd = false;
      this.t.netlinkWatchRef(this.fd, false);
    }
  }

  private failAll(err: KernelError, notify = true): void {
    const all: { reject: (e: Error) => void }[] = [...this.pending.values(), ...this.ranges];
    this.pending.clear();
    this.ranges.clear();
    this.maybeUnref();
    for (const p of all) p.reject(err);
    if (notify) this.onError?.(err);
  }

  private onData(data: Buffer | null, errno: number): void {
    if (data === null) {
      // ENOBUFS: the receive queue overflowed and messages (maybe ACKs) were lost.
      this.failAll(new KernelError('netlink receive', errno));
      return;
    }
    let msgs: NlMsg[];
    try {
      msgs = decodeMessages(data);
    } catch (e) {
      this.failAll(new KernelError('netlink receive', 0, null, (e as Error).message));
      return;
    }
    for (const m of msgs) this.dispatch(m);
  }

  private dispatch(m: NlMsg): void {
    const mine = m.seq !== 0 && m.pid === this.portId;
    const p = mine ? this.pending.get(m.seq) : undefined;
    if (!p && mine && this.ranges.size > 0 && this.dispatchRange(m)) return;
    if (!p) {
      if (m.type !== NLMSG_NOOP && m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE) {
        this.onNotification?.(m);
      }
      return;
    }
    switch (m.type) {
      case NLMSG_NOOP:
        return;
      case NLMSG_OVERRUN:
        this.settle(m.seq, { ok: false, errno: 105, extAck: 'netlink overrun' });
        return;
      case NLMSG_ERROR: {
        let e;
        try {
          e = decodeError(m);
        } catch (err) {
          this.settle(m.seq, { ok: false, errno: 0, extAck: (err as Error).message });
          return;
        }
        this.settle(
          m.seq,
          e.errno === 0
            ? { ok: true, msgs: p.msgs }
            : { ok: false, errno: e.errno, extAck: e.message },
        );
        return;
      }
      case NLMSG_DONE: {
        const errno = decodeDone(m);
        this.settle(
          m.seq,
          errno === 0 ? { ok: true, msgs: p.msgs } : { ok: false, errno, extAck: null },
        );
        return;
      }
      default:
        // The addon hands over a fresh Buffer per readable event, so views into it are safe.
        p.msgs.push(m);
    }
  }

  /** A reply for a batch range: record a failure, settle on the range's last seq. */
  private dispatchRange(m: NlMsg): boolean {
    for (const r of this.ranges) {
      if (m.seq < r.first || m.seq > r.last) continue;
      if (m.type === NLMSG_ERROR) {
        try {
          const e = decodeError(m);
          // errno 0 is the final ACK (possibly with a warning text): not a failure.
          if (e.errno !== 0) r.errors.push({ seq: m.seq, errno: e.errno, extAck: e.message });
        } catch (err) {
          r.errors.push({ seq: m.seq, errno: 0, extAck: (err as Error).message });
        }
      }
      if (m.seq === r.last && (m.type === NLMSG_ERROR || m.type === NLMSG_DONE)) {
        this.ranges.delete(r);
        this.maybeUnref();
        r.resolve(r.errors);
      }
      return true;
    }
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.failAll(new KernelError('netlink request', 0, null, 'socket closed'), false);
    this.closed = true;
    this.t.netlinkClose(this.fd);
  }
}
