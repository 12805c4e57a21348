/**
 * TaskManager: the only owner of message IDs, the window (size 1), request/response matching,
 * retransmission and the queued/active/passive task lists (strongSwan task_manager_v2).
 *
 * - RFC 7296 §2.1: requests are retransmitted with exponential backoff on the injected Clock
 *   (strongSwan defaults: 4 s × 1.8^n, 5 retransmits, then the SA is declared dead); a
 *   retransmitted request is answered with the cached response; late and duplicate responses
 *   are ignored.
 * - RFC 7296 §2.3: window size 1, one request of ours outstanding at a time.
 * - RFC 7296 §2.21: the single boundary that catches IkeNotifyError (answer with the notify) and
 *   integrity failures (drop silently).
 * - RFC 7383: outgoing encrypted messages are fragmented above the configured size when the peer
 *   announced support; incoming SKF fragments are reassembled.
 */
import type { Logger } from 'pino';
import type { SkCipher } from '../crypto/sk-cipher.js';
import type { Clock, Timer } from '../lib/clock.js';
import { dispositionOf } from './errors.js';
import { ExchangeType, exchangeTypeName, HeaderFlag, notifyTypeName } from './wire/constants.js';
import { encodeFragments, FragmentReassembler } from './wire/fragment.js';
import { isResponse, type HeaderFields } from './wire/header.js';
import {
  decryptMessage,
  encodeMessage,
  encodeProtectedMessage,
  type DecodedMessage,
} from './wire/message.js';
import { notify, type Payload } from './wire/payloads/index.js';
import { checkMessageRules } from './wire/rules.js';
import { verifyPayloads } from './wire/verify.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './tasks/task.js';

/** RFC 7296 §2.1 / strongSwan charon.retransmit_* defaults. */
export const RETRANSMIT_TIMEOUT_MS = 4000;
export const RETRANSMIT_BASE = 1.8;
export const RETRANSMIT_TRIES = 5;

export function defaultRetransmitSchedule(): number[] {
  const out: number[] = [];
  for (let n = 0; n <= RETRANSMIT_TRIES; n++) {
    out.push(Math.round(RETRANSMIT_TIMEOUT_MS * RETRANSMIT_BASE ** n));
  }
  return out;
}

/** What the task manager needs from its IKE SA. */
export interface TaskManagerHost {
  readonly spiI: bigint;
  readonly spiR: bigint;
  /** We are the original initiator of this IKE SA (the I flag, §3.1). */
  readonly isOriginalInitiator: boolean;
  /** Logger bound to this SA (its bindings may change once SPIs are known). */
  readonly log: Logger;
  /** Cipher for our outgoing (`out`) or the peer's (`in`) protected messages; null before keys. */
  cipher(dir: 'in' | 'out'): SkCipher | null;
  /** Send datagrams to the peer's current endpoint. */
  sendDatagrams(datagrams: readonly Buffer[]): void;
  /** A passive task for a request, or throw IkeNotifyError. */
  responderTask(msg: InMessage): Task;
  /** Max IKE message size when the peer supports RFC 7383 fragmentation, else null. */
  fragmentSize(): number | null;
  /** An exchange we started got no answer after every retransmission. */
  onTimeout(task: Task): void;
  /** A task failed (the exchange completed with an error); `notifyType` when the peer said why. */
  onTaskFailed(task: Task, role: 'initiator' | 'responder'): void;
  /** An authenticated message arrived (DPD and NAT mapping bookkeeping). */
  onAuthenticated(msg: InMessage): void;
}

export interface TaskManagerCounters {
  exchangesInitiated: number;
  exchangesResponded: number;
  retransmits: number;
  /** Cached responses re-sent for retransmitted requests. */
  responsesResent: number;
  /** Late, duplicate or unexpected messages dropped. */
  dropped: number;
  /** Notifies sent or received as errors, by name (NO_PROPOSAL_CHOSEN…). */
  readonly failuresByNotify: Map<string, number>;
}

interface Active {
  readonly task: Task;
  readonly messageId: number;
  datagrams: Buffer[];
  tries: number;
  timer: Timer | null;
}

export class TaskManager {
  private readonly host: TaskManagerHost;
  private readonly clock: Clock;
  /** Queued initiator tasks (strongSwan `queued_tasks`). */
  readonly queued: Task[] = [];
  private active: Active | null = null;
  /** The responder task of the request being answered (strongSwan `passive_tasks`). */
  passive: Task | null = null;
  /** Our next request's Message ID. */
  private nextRequestId = 0;
  /** The peer's next expected request Message ID. */
  private nextPeerId = 0;
  private cachedResponse: { messageId: number; datagrams: Buffer[] } | null = null;
  private readonly reassembleIn = new FragmentReassembler();
  private destroyed = false;
  readonly counters: TaskManagerCounters = {
    exchangesInitiated: 0,
    exchangesResponded: 0,
    retransmits: 0,
    responsesResent: 0,
    dropped: 0,
    failuresByNotify: new Map(),
  };

  constructor(host: TaskManagerHost, clock: Clock) {
    this.host = host;
    this.clock = clock;
  }

  private get log(): Logger {
    return this.host.log;
  }

  get activeTask(): Task | null {
    return this.active?.task ?? null;
  }

  get busy(): boolean {
    return this.active !== null;
  }

  /** Message IDs (next own request, next expected peer request), for show/detail and tests. */
  get messageIds(): { nextRequest: number; nextPeerRequest: number } {
    return { nextRequest: this.nextRequestId, nextPeerRequest: this.nextPeerId };
  }

  /** Continue message IDs from an IKE_SA_INIT that was answered by another object (rekey). */
  queue(task: Task): void {
    if (this.destroyed) return;
    this.queued.push(task);
    this.initiate();
  }

  hasQueued(type: Task['type']): boolean {
    return this.queued.some((t) => t.type === type) || this.active?.task.type === type;
  }

  /** Start the next queued task when the window is free. */
  initiate(): void {
    if (this.destroyed || this.active !== null) return;
    const task = this.queued.shift();
    if (!task) return;
    this.startExchange(task, this.nextRequestId);
  }

  private startExchange(task: Task, messageId: number): void {
    const msg: OutMessage = { exchangeType: task.exchangeType, payloads: [] };
    const status = this.safeBuild(task, msg);
    if (status === 'failed') {
      this.host.onTaskFailed(task, 'initiator');
      this.initiate();
      return;
    }
    const datagrams = this.encode(msg, messageId, false);
    task.onSent?.(datagrams[0] ?? Buffer.alloc(0));
    this.active = { task, messageId, datagrams, tries: 0, timer: null };
    this.counters.exchangesInitiated++;
    this.host.sendDatagrams(datagrams);
    this.armRetransmit();
  }

  private safeBuild(task: Task, msg: OutMessage): TaskStatus {
    try {
      return task.build(msg);
    } catch (e) {
      const d = dispositionOf(e);
      if (d === null) throw e;
      this.log.warn({ task: task.type, err: (e as Error).message }, 'cannot build request');
      return 'failed';
    }
  }

  private schedule(task: Task): readonly number[] {
    return task.retransmitScheduleMs ?? defaultRetransmitSchedule();
  }

  private armRetransmit(): void {
    const a = this.active;
    if (!a) return;
    const sched = this.schedule(a.task);
    const ms = sched[Math.min(a.tries, sched.length - 1)] ?? RETRANSMIT_TIMEOUT_MS;
    a.timer = this.clock.setTimer(ms, () => {
      this.onRetransmitTimer(a);
    });
  }

  private onRetransmitTimer(a: Active): void {
    if (this.active !== a || this.destroyed) return;
    a.tries++;
    if (a.tries >= this.schedule(a.task).length) {
      this.active = null;
      this.log.info(
        { task: a.task.type, messageId: a.messageId, tries: a.tries },
        'exchange timed out',
      );
      a.task.abort?.('timeout');
      this.host.onTimeout(a.task);
      return;
    }
    this.counters.retransmits++;
    this.log.debug({ task: a.task.type, messageId: a.messageId, n: a.tries }, 'retransmit');
    this.host.sendDatagrams(a.datagrams);
    this.armRetransmit();
  }

  private encode(msg: OutMessage, messageId: number, response: boolean): Buffer[] {
    const h: HeaderFields = {
      spiI: this.host.spiI,
      spiR: this.host.spiR,
      exchangeType: msg.exchangeType,
      flags:
        (response ? HeaderFlag.RESPONSE : 0) |
        (this.host.isOriginalInitiator ? HeaderFlag.INITIATOR : 0),
      messageId,
    };
    const cipher = this.host.cipher('out');
    if (msg.exchangeType === ExchangeType.IKE_SA_INIT || cipher === null) {
      return [encodeMessage(h, msg.payloads)];
    }
    const whole = encodeProtectedMessage(h, msg.payloads, cipher);
    const max = this.host.fragmentSize();
    if (max !== null && whole.length > max) return encodeFragments(h, msg.payloads, cipher, max);
    return [whole];
  }

  private countNotify(type: number): void {
    const name = notifyTypeName(type);
    this.counters.failuresByNotify.set(name, (this.counters.failuresByNotify.get(name) ?? 0) + 1);
  }

  /**
   * Open (decrypt/reassemble) and check a message. Returns null when it must be dropped
   * (integrity failure, pending fragments). Throws IkeNotifyError for rule violations.
   */
  private open(msg: DecodedMessage): InMessage | null {
    const { header } = msg;
    if (header.exchangeType === ExchangeType.IKE_SA_INIT) {
      checkMessageRules(header.exchangeType, isResponse(header), msg.payloads, null);
      verifyPayloads(msg.payloads, isResponse(header));
      return { header, payloads: msg.payloads, raw: msg.raw };
    }
    const cipher = this.host.cipher('in');
    if (cipher === null) return null;
    const last = msg.payloads[msg.payloads.length - 1];
    let payloads: Payload[];
    if (last?.kind === 'skf') {
      const r = this.reassembleIn.accept(msg, cipher);
      if (r.status !== 'complete') return null;
      payloads = r.payloads;
    } else {
      checkMessageRules(header.exchangeType, isResponse(header), msg.payloads, null);
      payloads = decryptMessage(msg, cipher);
    }
    checkMessageRules(
      header.exchangeType,
      isResponse(header),
      [{ kind: 'sk', innerFirst: 0, data: Buffer.alloc(0) }],
      payloads,
    );
    verifyPayloads(payloads, isResponse(header));
    return { header, payloads, raw: msg.raw };
  }

  /** Handle one datagram that the SA manager routed to this SA. */
  receive(msg: DecodedMessage): void {
    if (this.destroyed) return;
    if (isResponse(msg.header)) this.receiveResponse(msg);
    else this.receiveRequest(msg);
  }

  private receiveResponse(raw: DecodedMessage): void {
    const a = this.active;
    if (
      !a ||
      raw.header.messageId !== a.messageId ||
      raw.header.exchangeType !== a.task.exchangeType
    ) {
      this.counters.dropped++;
      return; // late or duplicate response (§2.1)
    }
    let msg: InMessage | null;
    try {
      msg = this.open(raw);
    } catch (e) {
      const d = dispositionOf(e);
      if (d === null) throw e;
      this.log.warn({ task: a.task.type, err: (e as Error).message }, 'invalid response');
      if (d.action === 'drop') return;
      this.finishActive(a, 'failed');
      return;
    }
    if (msg === null) return;
    this.host.onAuthenticated(msg);
    for (const p of msg.payloads) {
      if (p.kind === 'notify' && p.notifyType < 16384) this.countNotify(p.notifyType);
    }
    let status: TaskStatus;
    try {
      status = a.task.process(msg);
    } catch (e) {
      const d = dispositionOf(e);
      if (d === null) throw e;
      this.log.warn({ task: a.task.type, err: (e as Error).message }, 'response rejected');
      if (d.action === 'notify') this.countNotify(d.notifyType);
      status = 'failed';
    }
    this.finishActive(a, status);
  }

  private finishActive(a: Active, status: TaskStatus): void {
    a.timer?.cancel();
    this.active = null;
    const isInit = a.task.exchangeType === ExchangeType.IKE_SA_INIT;
    if (status === 'more') {
      // IKE_SA_INIT retries (INVALID_KE_PAYLOAD, COOKIE) reuse Message ID 0 (§1.2, §2.6).
      if (isInit) {
        this.startExchange(a.task, 0);
        return;
      }
      this.nextRequestId = a.messageId + 1;
      this.startExchange(a.task, this.nextRequestId);
      return;
    }
    this.nextRequestId = a.messageId + 1;
    if (status === 'failed') this.host.onTaskFailed(a.task, 'initiator');
    this.initiate();
  }

  private receiveRequest(raw: DecodedMessage): void {
    const id = raw.header.messageId;
    if (this.cachedResponse !== null && id === this.cachedResponse.messageId) {
      // §2.1: a retransmitted request gets the cached response again.
      this.counters.responsesResent++;
      this.host.sendDatagrams(this.cachedResponse.datagrams);
      return;
    }
    if (id !== this.nextPeerId) {
      this.counters.dropped++;
      return;
    }
    let msg: InMessage | null;
    const out: OutMessage = { exchangeType: raw.header.exchangeType, payloads: [] };
    let task: Task | null = null;
    let status: TaskStatus;
    try {
      msg = this.open(raw);
      if (msg === null) return;
      this.host.onAuthenticated(msg);
      task = this.host.responderTask(msg);
      this.passive = task;
      status = task.process(msg);
      if (status !== 'failed') status = task.build(out);
    } catch (e) {
      const d = dispositionOf(e);
      if (d === null) throw e;
      if (d.action === 'drop') {
        this.counters.dropped++;
        return;
      }
      this.countNotify(d.notifyType);
      this.log.warn(
        { exchange: exchangeTypeName(raw.header.exchangeType), err: (e as Error).message },
        'request rejected',
      );
      out.payloads.length = 0;
      out.payloads.push(notify(d.notifyType, d.data));
      status = 'failed';
    }
    this.passive = null;
    this.nextPeerId = id + 1;
    const datagrams = this.encode(out, id, true);
    this.cachedResponse = { messageId: id, datagrams };
    this.counters.exchangesResponded++;
    this.host.sendDatagrams(datagrams);
    if (status !== 'failed') task?.onSent?.(datagrams[0] ?? Buffer.alloc(0));
    if (status === 'failed' && task !== null) this.host.onTaskFailed(task, 'responder');
    else if (status === 'failed')
      this.host.onTaskFailed(failedRequestTask(raw.header.exchangeType), 'responder');
  }

  /** Stop timers and drop all tasks. */
  destroy(reason: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.active?.timer?.cancel();
    this.active?.task.abort?.(reason);
    this.active = null;
    for (const t of this.queued) t.abort?.(reason);
    this.queued.length = 0;
  }
}

/** A stand-in task for a request that failed before a task existed (rule violations). */
function failedRequestTask(exchangeType: number): Task {
  return {
    type:
      exchangeType === ExchangeType.INFORMATIONAL
        ? 'informational'
        : exchangeType === ExchangeType.IKE_AUTH
          ? 'ike-auth'
          : exchangeType === ExchangeType.IKE_SA_INIT
            ? 'ike-init'
            : 'child-create',
    exchangeType,
    build: () => 'failed',
    process: () => 'failed',
  };
}
