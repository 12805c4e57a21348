/**
 * One BGP neighbor: runs the pure FSM of fsm.ts and executes its actions on the injected Clock and
 * a {@link BgpConnection}: timers (with RFC 4271 §10 jitter), OPEN/KEEPALIVE/NOTIFICATION,
 * UPDATE decoding with the RFC 7606 outcomes, ROUTE-REFRESH, and connection collision (§6.8).
 *
 * A collision runs a second FSM instance ("shadow") on the second connection until its OPEN
 * arrives; {@link collisionToDump} then decides which connection gets OpenCollisionDump. When the
 * main connection loses, the shadow becomes the main one.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Rng } from '../../lib/rng.js';
import { BgpNotificationError } from '../errors.js';
import { collisionToDump } from '../collision.js';
import { INITIAL_FSM_STATE, step } from '../fsm.js';
import type {
  BgpEvent,
  BgpFsmAction,
  BgpFsmState,
  BgpState,
  BgpTimer,
  FsmError,
} from '../fsm-types.js';
import { codecContextOf, negotiateOpen, type NegotiatedSession } from '../open-negotiation.js';
import { ErrorCode, OpenErrorSubcode } from '../wire/constants.js';
import { DEFAULT_CODEC_CONTEXT, type BgpCodecContext } from '../wire/header.js';
import {
  decodeMessage,
  encodeMessageBytes,
  type BgpMessage,
  type DecodedBgpMessage,
} from '../wire/message.js';
import {
  adminShutdown,
  describeNotification,
  type NotificationMessage,
} from '../wire/notification.js';
import { buildOpen } from '../wire/open.js';
import type { RouteRefreshMessage } from '../wire/route-refresh.js';
import type { UpdateDecodeResult, UpdateMessage } from '../wire/update.js';
import { BgpConnection, type Connector, type PendingConnect } from './transport.js';
import type {
  SessionConfig,
  SessionCounters,
  SessionEvents,
  SessionView,
} from './session-types.js';

export type {
  SessionConfig,
  SessionCounters,
  SessionEvents,
  SessionView,
} from './session-types.js';

interface FsmRun {
  fsm: BgpFsmState;
  conn: BgpConnection | undefined;
  pending: PendingConnect | undefined;
  readonly timers: Map<BgpTimer, Timer>;
  locallyInitiated: boolean;
  established: boolean;
}

interface Queued {
  readonly run: FsmRun;
  readonly event: BgpEvent;
  readonly update?: UpdateDecodeResult;
  readonly routeRefresh?: RouteRefreshMessage;
}

const JITTERED: ReadonlySet<BgpTimer> = new Set(['ConnectRetry', 'Keepalive', 'IdleHold']);

function newRun(fsm: BgpFsmState = INITIAL_FSM_STATE): FsmRun {
  return {
    fsm,
    conn: undefined,
    pending: undefined,
    timers: new Map(),
    locallyInitiated: false,
    established: false,
  };
}

function fsmErrorOf(e: BgpNotificationError): FsmError {
  return { errorCode: e.errorCode, subcode: e.subcode, data: e.data, detail: e.message };
}

export class BgpSession {
  readonly cfg: SessionConfig;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly connector: Connector;
  private readonly events: SessionEvents;
  private main: FsmRun = newRun();
  private shadow: FsmRun | undefined;
  private readonly queue: Queued[] = [];
  private draining = false;
  private current: Queued | undefined;
  private readonly counters: SessionCounters = {
    msgRcvd: 0,
    msgSent: 0,
    updatesRcvd: 0,
    updatesSent: 0,
    keepalivesRcvd: 0,
    keepalivesSent: 0,
    notificationsRcvd: 0,
    notificationsSent: 0,
    opensRcvd: 0,
    opensSent: 0,
    routeRefreshRcvd: 0,
    routeRefreshSent: 0,
    established: 0,
    dropped: 0,
    connectAttempts: 0,
  };
  private sinceMs: number;
  private lastNotificationSent: string | undefined;
  private lastNotificationRcvd: string | undefined;
  private localAddress: string | undefined;
  /** Why the session was stopped by {@link stopFor} (show and logs), until it starts again. */
  private stopReason: string | undefined;
  private restartTimer: Timer | undefined;

  constructor(opts: {
    readonly cfg: SessionConfig;
    readonly clock: Clock;
    readonly rng: Rng;
    readonly log: Logger;
    readonly connector: Connector;
    readonly events: SessionEvents;
  }) {
    this.cfg = opts.cfg;
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.log = opts.log.child({ mod: 'bgp', neighbor: opts.cfg.name });
    this.connector = opts.connector;
    this.events = opts.events;
    this.sinceMs = opts.clock.now();
  }

  get state(): BgpState {
    return this.main.fsm.state;
  }

  /** The codec context of the Established session (4-octet AS, extended messages). */
  get codecContext(): BgpCodecContext {
    const s = this.main.fsm.session;
    return s ? codecContextOf(s) : DEFAULT_CODEC_CONTEXT;
  }

  get negotiated(): NegotiatedSession | undefined {
    return this.main.fsm.state === 'Established' ? this.main.fsm.session : undefined;
  }

  start(): void {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.stopReason = undefined;
    this.dispatch(this.main, {
      type: this.cfg.fsm.passive ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart',
    });
  }

  /** ManualStop: Cease/Administrative Shutdown (RFC 9003 text), no automatic restart. */
  stop(text = 'administratively shut down'): void {
    this.stopWith(adminShutdown(text));
  }

  /**
   * ManualStop with this NOTIFICATION (sent only once OPEN was, RFC 4271 §8.2.2), no automatic
   * restart: e.g. Cease/Peer De-configured (RFC 4486 §4) for a neighbor removed on reload.
   */
  stopWith(notification: NotificationMessage): void {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    if (this.shadow) this.dispatch(this.shadow, { type: 'ManualStop', notification });
    this.dispatch(this.main, { type: 'ManualStop', notification });
  }

  /**
   * Hard reset (`clear ip bgp ADDR`, Cease/Administrative Reset): send `notification`, close,
   * and start again after IdleHold, as after an automatic stop: reconnecting at once would race
   * the peer still tearing the old session down.
   */
  reset(notification: NotificationMessage): void {
    this.log.info({ notification: describeNotification(notification) }, 'resetting the session');
    this.stopWith(notification);
    this.startAfter(this.cfg.fsm.idleHoldSec);
  }

  /** ManualStart after `sec` seconds (at once for 0); {@link stop} or {@link start} cancel it. */
  startAfter(sec: number): void {
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    if (sec <= 0) {
      this.start();
      return;
    }
    this.restartTimer = this.clock.setTimer(sec * 1000, () => {
      this.restartTimer = undefined;
      this.start();
    });
  }

  /**
   * Stop the session because of a local limit (e.g. Cease/Maximum Number of Prefixes Reached,
   * RFC 4486 §4): send `notification`, close, and stay Idle (no automatic restart, incoming
   * connections refused) until {@link start} or, when `restartAfterSec` is given, that long
   * (Catalyst `maximum-prefix N restart M`). `reason` is what `show` and the log say.
   */
  stopFor(reason: string, notification: NotificationMessage, restartAfterSec?: number): void {
    this.stopReason = reason;
    this.restartTimer?.cancel();
    this.restartTimer = undefined;
    this.log.info(
      { reason, notification: describeNotification(notification), restartAfterSec },
      'stopping the session',
    );
    if (this.shadow) this.dispatch(this.shadow, { type: 'TcpConnectionFails' });
    this.dispatch(this.main, { type: 'ManualStop', notification });
    if (restartAfterSec !== undefined) {
      this.restartTimer = this.clock.setTimer(Math.max(1, restartAfterSec * 1000), () => {
        this.restartTimer = undefined;
        this.log.info({ after: reason }, 'restarting the session');
        this.start();
      });
    }
  }

  /** Why the session is stopped ({@link stopFor}), while it is. */
  get stoppedFor(): string | undefined {
    return this.stopReason;
  }

  /**
   * Fast failover: drop the session now (the path to the neighbor is gone, e.g. its tunnel went
   * down) instead of waiting for the hold timer. The session restarts after IdleHold as usual.
   */
  closeNow(reason: string): void {
    if (this.shadow) this.dispatch(this.shadow, { type: 'TcpConnectionFails' });
    if (this.main.fsm.state === 'Idle') return;
    this.log.info({ reason }, 'closing the session at once');
    this.dispatch(this.main, { type: 'AutomaticStop', notification: adminShutdown(reason) });
  }

  /** Try at once (e.g. the tunnel to the neighbor came up) instead of waiting for a timer. */
  kick(): void {
    const st = this.main.fsm.state;
    if (st === 'Idle' && this.main.fsm.autoRestart) {
      this.stopTimer(this.main, 'IdleHold');
      this.dispatch(this.main, { type: 'IdleHoldTimer_Expires' });
    } else if ((st === 'Active' && !this.cfg.fsm.passive) || st === 'Connect') {
      this.stopTimer(this.main, 'ConnectRetry');
      this.dispatch(this.main, { type: 'ConnectRetryTimer_Expires' });
    }
  }

  /** An incoming connection matched to this neighbor. */
  accept(conn: BgpConnection): void {
    if (this.main.fsm.state === 'Idle' && this.main.fsm.autoRestart) {
      // Waiting for IdleHold after a failure: the peer is back, restart now.
      this.stopTimer(this.main, 'IdleHold');
      this.dispatch(this.main, { type: 'IdleHoldTimer_Expires' });
    }
    const st = this.main.fsm.state;
    if (st === 'Connect' || st === 'Active') {
      // Drop our own pending attempt and continue on the peer's connection.
      this.main.pending?.cancel();
      this.main.pending = undefined;
      const old = this.main.conn;
      this.main.conn = undefined;
      old?.destroy();
      this.adopt(this.main, conn, false);
      this.dispatch(this.main, { type: 'TcpConnectionConfirmed' });
      return;
    }
    if (st === 'Idle' || this.shadow) {
      this.log.debug({ state: st }, 'incoming connection refused');
      conn.destroy();
      return;
    }
    // OpenSent/OpenConfirm/Established: track it for collision detection (§6.8).
    const shadow = newRun({ ...INITIAL_FSM_STATE, state: 'Active' });
    this.shadow = shadow;
    this.adopt(shadow, conn, false);
    this.dispatch(shadow, { type: 'TcpConnectionConfirmed' });
  }

  /**
   * Send a message on the Established connection. False when not Established (nothing sent) or
   * when the socket is backlogged (the message is queued; see {@link whenDrained}).
   */
  send(m: BgpMessage): boolean {
    if (this.main.fsm.state !== 'Established' || !this.main.conn) return false;
    return this.write(this.main, m);
  }

  sendUpdate(u: UpdateMessage): boolean {
    return this.send({ type: 'UPDATE', update: u });
  }

  sendRouteRefresh(afi: number, safi: number): boolean {
    return this.send({ type: 'ROUTE_REFRESH', routeRefresh: { afi, safi, subtype: 0 } });
  }

  /** Resolves when the Established connection's send backlog has drained. */
  async whenDrained(): Promise<void> {
    await this.main.conn?.whenDrained();
  }

  view(): SessionView {
    const m = this.main;
    return {
      name: this.cfg.name,
      remoteAddress: this.cfg.remoteAddress,
      remoteAs: this.cfg.open.remoteAs,
      state: m.fsm.state,
      passive: this.cfg.fsm.passive,
      counters: { ...this.counters },
      sinceMs: this.sinceMs,
      lastError: this.stopReason ?? m.fsm.lastError,
      lastNotificationSent: this.lastNotificationSent,
      lastNotificationRcvd: this.lastNotificationRcvd,
      negotiated: m.fsm.session,
      localAddress: this.localAddress,
      inQ: m.conn?.inQueue ?? 0,
      outQ: m.conn?.outQueue ?? 0,
      connectRetryCounter: m.fsm.connectRetryCounter,
    };
  }

  // ---- event loop ----

  private dispatch(run: FsmRun, event: BgpEvent, extra: Omit<Queued, 'run' | 'event'> = {}): void {
    this.queue.push({ run, event, ...extra });
    if (this.draining) return;
    this.draining = true;
    try {
      for (let q = this.queue.shift(); q; q = this.queue.shift()) this.process(q);
    } finally {
      this.draining = false;
      this.current = undefined;
    }
  }

  private process(q: Queued): void {
    const run = q.run;
    if (run !== this.main && run !== this.shadow) return; // a run that was dropped meanwhile
    const before = run.fsm.state;
    const res = step(this.cfg.fsm, run.fsm, q.event);
    run.fsm = res.state;
    this.current = q;
    if (before !== res.state.state) {
      this.log.debug(
        { from: before, to: res.state.state, event: q.event.type, shadow: run === this.shadow },
        res.reason,
      );
    }
    for (const a of res.actions) this.exec(run, a, res.reason);
    if (res.state.state === 'Idle') this.fellIdle(run);
  }

  private fellIdle(run: FsmRun): void {
    if (run === this.shadow) {
      this.cancelTimers(run);
      this.shadow = undefined;
      return;
    }
    const sh = this.shadow;
    if (sh && run.fsm.autoRestart && sh.fsm.state !== 'Idle') {
      // The main connection lost (collision or failure): continue on the second connection.
      this.cancelTimers(run);
      sh.fsm = { ...sh.fsm, autoRestart: true, connectRetryCounter: run.fsm.connectRetryCounter };
      this.main = sh;
      this.shadow = undefined;
      this.log.debug({ state: sh.fsm.state }, 'continuing on the second connection');
    }
  }

  private exec(run: FsmRun, a: BgpFsmAction, reason: string): void {
    switch (a.type) {
      case 'connect':
        this.connect(run);
        return;
      case 'close':
        run.pending?.cancel();
        run.pending = undefined;
        run.conn?.close();
        run.conn = undefined;
        return;
      case 'send-open':
        this.write(
          run,
          {
            type: 'OPEN',
            open: buildOpen({
              localAs: this.cfg.open.localAs,
              holdTimeSec: this.cfg.fsm.holdTimeSec,
              bgpId: this.cfg.open.localBgpId,
              families: this.cfg.open.families,
              routeRefresh: true,
            }),
          },
          DEFAULT_CODEC_CONTEXT,
        );
        return;
      case 'send-keepalive':
        this.write(run, { type: 'KEEPALIVE' });
        return;
      case 'send-notification':
        this.lastNotificationSent = describeNotification(a.notification);
        {
          // A NOTIFICATION we send means the session is being reset for an error (or stopped by
          // us: Cease). Errors are peer-caused problems an engineer must see: warn, not info.
          const isCease = a.notification.errorCode === ErrorCode.CEASE;
          const fields = { notification: this.lastNotificationSent };
          const msg = run.established
            ? 'sending NOTIFICATION'
            : 'sending NOTIFICATION during setup';
          if (isCease) this.log.info(fields, msg);
          else this.log.warn(fields, msg);
        }
        this.write(run, { type: 'NOTIFICATION', notification: a.notification });
        return;
      case 'start-timer':
        this.startTimer(run, a.timer, a.seconds);
        return;
      case 'stop-timer':
        this.stopTimer(run, a.timer);
        return;
      case 'release-resources':
        if (run.established) {
          const why = this.stopReason ?? reason;
          run.established = false;
          this.counters.dropped += 1;
          this.sinceMs = this.clock.now();
          this.localAddress = undefined;
          this.log.info(
            { reason: why, state: run.fsm.state, remoteAs: this.cfg.open.remoteAs },
            'neighbor down',
          );
          this.events.down(why);
        }
        return;
      case 'process-update':
        if (this.current?.update) this.processUpdate(this.current.update);
        return;
      case 'process-route-refresh':
        if (this.current?.routeRefresh) this.events.routeRefresh(this.current.routeRefresh);
        return;
      case 'session-up':
        run.established = true;
        this.counters.established += 1;
        this.sinceMs = this.clock.now();
        this.localAddress = run.conn?.info.localAddress;
        if (run.conn) run.conn.framer.ctx = codecContextOf(a.session);
        this.log.info(
          {
            remoteAs: a.session.remoteAs,
            hold: a.session.holdTimeSec,
            as4: a.session.as4,
            families: a.session.families.length,
          },
          'neighbor up',
        );
        this.events.established(a.session, this.localAddress);
        return;
      case 'count':
        return;
    }
  }

  private processUpdate(r: UpdateDecodeResult): void {
    if (r.kind === 'treat-as-withdraw') {
      this.log.warn(
        { problems: r.problems.map((p) => p.reason), prefixes: r.withdrawn.length },
        'malformed UPDATE treated as withdraw (RFC 7606)',
      );
    } else if (r.discarded.length > 0) {
      this.log.warn(
        { problems: r.discarded.map((p) => p.reason) },
        'UPDATE attributes discarded (RFC 7606)',
      );
    }
    this.events.update(r);
  }

  private connect(run: FsmRun): void {
    run.pending?.cancel();
    run.locallyInitiated = true;
    this.counters.connectAttempts += 1;
    const pending = this.connector(
      {
        remoteAddress: this.cfg.remoteAddress,
        port: this.cfg.port,
        localAddress: this.cfg.updateSource,
        ttl: this.cfg.ttl,
      },
      (err, socket, local) => {
        if (run.pending !== pending) {
          socket?.destroy();
          return;
        }
        run.pending = undefined;
        if (err || !socket) {
          this.log.debug({ err: err?.message }, 'connect failed');
          this.dispatch(run, { type: 'TcpConnectionFails' });
          return;
        }
        const conn = new BgpConnection(
          socket,
          { localAddress: local, remoteAddress: this.cfg.remoteAddress, locallyInitiated: true },
          this.clock,
        );
        this.adopt(run, conn, true);
        this.dispatch(run, { type: 'Tcp_CR_Acked' });
      },
    );
    run.pending = pending;
  }

  private adopt(run: FsmRun, conn: BgpConnection, locallyInitiated: boolean): void {
    run.conn = conn;
    run.locallyInitiated = locallyInitiated;
    conn.attach({
      message: (buf) => {
        this.onMessage(run, conn, buf);
      },
      error: (err) => {
        if (run.conn !== conn) return;
        if (err instanceof BgpNotificationError) {
          this.dispatch(run, { type: 'BGPHeaderErr', error: fsmErrorOf(err) });
        } else {
          this.log.debug({ err: err.message }, 'connection error');
        }
      },
      closed: () => {
        if (run.conn !== conn) return;
        run.conn = undefined;
        this.dispatch(run, { type: 'TcpConnectionFails' });
      },
    });
  }

  private write(run: FsmRun, m: BgpMessage, ctx?: BgpCodecContext): boolean {
    const conn = run.conn;
    if (!conn) return false;
    const c = ctx ?? (run.fsm.session ? codecContextOf(run.fsm.session) : DEFAULT_CODEC_CONTEXT);
    const ok = conn.send(encodeMessageBytes(m, c));
    this.counters.msgSent += 1;
    if (m.type === 'UPDATE') this.counters.updatesSent += 1;
    else if (m.type === 'KEEPALIVE') this.counters.keepalivesSent += 1;
    else if (m.type === 'NOTIFICATION') this.counters.notificationsSent += 1;
    else if (m.type === 'OPEN') this.counters.opensSent += 1;
    else this.counters.routeRefreshSent += 1;
    return ok;
  }

  private onMessage(run: FsmRun, conn: BgpConnection, buf: Buffer): void {
    if (run.conn !== conn) return;
    this.counters.msgRcvd += 1;
    const ctx = run.fsm.session ? codecContextOf(run.fsm.session) : DEFAULT_CODEC_CONTEXT;
    let msg: DecodedBgpMessage;
    try {
      msg = decodeMessage(buf, ctx);
    } catch (e) {
      if (!(e instanceof BgpNotificationError)) throw e;
      const error = fsmErrorOf(e);
      if (e.errorCode === ErrorCode.OPEN_MESSAGE_ERROR) {
        this.dispatch(run, { type: 'BGPOpenMsgErr', error });
      } else if (e.errorCode === ErrorCode.UPDATE_MESSAGE_ERROR) {
        this.counters.updatesRcvd += 1;
        this.dispatch(run, { type: 'UpdateMsgErr', error });
      } else {
        this.dispatch(run, { type: 'BGPHeaderErr', error });
      }
      return;
    }
    switch (msg.type) {
      case 'OPEN':
        this.counters.opensRcvd += 1;
        this.onOpen(run, msg);
        return;
      case 'KEEPALIVE':
        this.counters.keepalivesRcvd += 1;
        this.dispatch(run, { type: 'KeepAliveMsg' });
        return;
      case 'NOTIFICATION':
        this.onNotification(run, msg.notification);
        return;
      case 'UPDATE':
        this.counters.updatesRcvd += 1;
        this.dispatch(run, { type: 'UpdateMsg' }, { update: msg.result });
        return;
      case 'ROUTE_REFRESH':
        this.counters.routeRefreshRcvd += 1;
        this.dispatch(run, { type: 'RouteRefreshMsg' }, { routeRefresh: msg.routeRefresh });
        return;
    }
  }

  private onNotification(run: FsmRun, n: NotificationMessage): void {
    this.counters.notificationsRcvd += 1;
    this.lastNotificationRcvd = describeNotification(n);
    this.log.info({ notification: this.lastNotificationRcvd }, 'NOTIFICATION received');
    const verErr =
      n.errorCode === ErrorCode.OPEN_MESSAGE_ERROR &&
      n.subcode === OpenErrorSubcode.UNSUPPORTED_VERSION_NUMBER;
    this.dispatch(
      run,
      verErr ? { type: 'NotifMsgVerErr', notification: n } : { type: 'NotifMsg', notification: n },
    );
  }

  private onOpen(run: FsmRun, msg: Extract<DecodedBgpMessage, { type: 'OPEN' }>): void {
    let session: NegotiatedSession;
    try {
      session = negotiateOpen(msg.open, this.cfg.open);
    } catch (e) {
      if (!(e instanceof BgpNotificationError)) throw e;
      this.dispatch(run, { type: 'BGPOpenMsgErr', error: fsmErrorOf(e) });
      return;
    }
    const other = run === this.main ? this.shadow : this.main;
    if (other && other.fsm.state !== 'Idle' && run.fsm.state === 'OpenSent') {
      const ids = {
        localBgpId: this.cfg.open.localBgpId,
        remoteBgpId: session.remoteBgpId,
        localAs: this.cfg.open.localAs,
        remoteAs: session.remoteAs,
      };
      let dump = collisionToDump(
        { state: other.fsm.state, locallyInitiated: other.locallyInitiated },
        { state: run.fsm.state, locallyInitiated: run.locallyInitiated },
        ids,
      );
      // Two connections opened by the peer: the newer one wins (the peer restarted).
      if (dump === 'none' && other.locallyInitiated === run.locallyInitiated) dump = 'existing';
      if (dump === 'incoming') {
        this.log.info('connection collision: dropping the new connection');
        this.dispatch(run, { type: 'OpenCollisionDump' });
        return;
      }
      if (dump === 'existing') {
        this.log.info('connection collision: dropping the older connection');
        this.dispatch(other, { type: 'OpenCollisionDump' });
      }
    }
    this.dispatch(run, { type: 'BGPOpen', session });
  }

  // ---- timers ----

  private startTimer(run: FsmRun, timer: BgpTimer, seconds: number): void {
    // RFC 4271 §10: jitter ConnectRetry/Keepalive (and our IdleHold) by a factor in [0.75, 1].
    const factor = JITTERED.has(timer) ? 0.75 + 0.25 * this.rng.fraction() : 1;
    const ms = Math.max(1, Math.round(seconds * 1000 * factor));
    const existing = run.timers.get(timer);
    if (existing) {
      existing.reschedule(ms);
      return;
    }
    run.timers.set(
      timer,
      this.clock.setTimer(ms, () => {
        this.dispatch(run, { type: `${timer}Timer_Expires` });
      }),
    );
  }

  private stopTimer(run: FsmRun, timer: BgpTimer): void {
    run.timers.get(timer)?.cancel();
  }

  private cancelTimers(run: FsmRun): void {
    for (const t of run.timers.values()) t.cancel();
  }
}
