/**
 * One BGP neighbor: runs the pure FSM of fsm.ts and executes its actions on the injected Clock and
 * a {@link BgpConnection}: timers (with RFC 4271 §10 jitter), OPEN/KEEPALIVE/NOTIFICATION,
 * UPDATE decoding with the RFC 7606 outcomes, ROUTE-REFRESH, and connection collision (§6.8).
 *
 * A collision runs a second FSM instance ("shadow", fsm-run.ts) on the second connection until its
 * OPEN arrives; `collisionLoser` then decides which connection gets OpenCollisionDump. When the
 * main connection loses, the shadow becomes the main one. Decoding, counters and the OPEN we send:
 * session-messages.ts.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import type { Rng } from '../../lib/rng.js';
import { BgpNotificationError } from '../errors.js';
import { INITIAL_FSM_STATE, step } from '../fsm.js';
import type { BgpEvent, BgpFsmAction, BgpState } from '../fsm-types.js';
import { codecContextOf, negotiateOpen, type NegotiatedSession } from '../open-negotiation.js';
import { DEFAULT_CODEC_CONTEXT, type BgpCodecContext } from '../wire/header.js';
import { encodeMessageBytes, type BgpMessage } from '../wire/message.js';
import {
  adminShutdown,
  describeNotification,
  type NotificationMessage,
} from '../wire/notification.js';
import type { UpdateMessage } from '../wire/update.js';
import {
  cancelRunTimers,
  collisionLoser,
  fsmErrorOf,
  newRun,
  startRunTimer,
  stopRunTimer,
  type EventData,
  type FsmRun,
  type QueuedEvent,
} from './fsm-run.js';
import {
  countSent,
  decodeInbound,
  logNotificationSent,
  logUpdateOutcome,
  newCounters,
  notificationEvent,
  openFor,
  type OpenReceived,
} from './session-messages.js';
import { adoptConnection, connectRun, type RunConnectionHost } from './run-connection.js';
import type { BgpConnection, Connector } from './transport.js';
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

export class BgpSession {
  readonly cfg: SessionConfig;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly connector: Connector;
  private readonly events: SessionEvents;
  private main: FsmRun = newRun();
  private shadow: FsmRun | undefined;
  private readonly queue: QueuedEvent[] = [];
  private draining = false;
  private current: QueuedEvent | undefined;
  private readonly counters: SessionCounters = newCounters();
  private sinceMs: number;
  private lastNotificationSent: string | undefined;
  private lastNotificationRcvd: string | undefined;
  private localAddress: string | undefined;
  /** Why the session was stopped by {@link stopFor} (show and logs), until it starts again. */
  private stopReason: string | undefined;
  private restartTimer: Timer | undefined;
  /** What the run connections (run-connection.ts) use of this session. */
  private readonly io: RunConnectionHost;

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
    this.io = {
      cfg: this.cfg,
      clock: this.clock,
      log: this.log,
      connector: this.connector,
      counters: this.counters,
      dispatch: (run, event) => {
        this.dispatch(run, event);
      },
      message: (run, conn, buf) => {
        this.onMessage(run, conn, buf);
      },
    };
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
      stopRunTimer(this.main, 'IdleHold');
      this.dispatch(this.main, { type: 'IdleHoldTimer_Expires' });
    } else if ((st === 'Active' && !this.cfg.fsm.passive) || st === 'Connect') {
      stopRunTimer(this.main, 'ConnectRetry');
      this.dispatch(this.main, { type: 'ConnectRetryTimer_Expires' });
    }
  }

  /** An incoming connection matched to this neighbor. */
  accept(conn: BgpConnection): void {
    if (this.main.fsm.state === 'Idle' && this.main.fsm.autoRestart) {
      // Waiting for IdleHold after a failure: the peer is back, restart now.
      stopRunTimer(this.main, 'IdleHold');
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
      adoptConnection(this.main, conn, false, this.io);
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
    adoptConnection(shadow, conn, false, this.io);
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

  private dispatch(run: FsmRun, event: BgpEvent, extra: EventData = {}): void {
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

  private process(q: QueuedEvent): void {
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
      cancelRunTimers(run);
      this.shadow = undefined;
      return;
    }
    const sh = this.shadow;
    if (sh && run.fsm.autoRestart && sh.fsm.state !== 'Idle') {
      // The main connection lost (collision or failure): continue on the second connection.
      cancelRunTimers(run);
      sh.fsm = { ...sh.fsm, autoRestart: true, connectRetryCounter: run.fsm.connectRetryCounter };
      this.main = sh;
      this.shadow = undefined;
      this.log.debug({ state: sh.fsm.state }, 'continuing on the second connection');
    }
  }

  private exec(run: FsmRun, a: BgpFsmAction, reason: string): void {
    switch (a.type) {
      case 'connect':
        connectRun(run, this.io);
        return;
      case 'close':
        run.pending?.cancel();
        run.pending = undefined;
        run.conn?.close();
        run.conn = undefined;
        return;
      case 'send-open':
        this.write(run, openFor(this.cfg), DEFAULT_CODEC_CONTEXT);
        return;
      case 'send-keepalive':
        this.write(run, { type: 'KEEPALIVE' });
        return;
      case 'send-notification':
        this.lastNotificationSent = describeNotification(a.notification);
        logNotificationSent(this.log, this.lastNotificationSent, a.notification, run.established);
        this.write(run, { type: 'NOTIFICATION', notification: a.notification });
        return;
      case 'start-timer':
        startRunTimer(run, a.timer, a.seconds, this.clock, this.rng, () => {
          this.dispatch(run, { type: `${a.timer}Timer_Expires` });
        });
        return;
      case 'stop-timer':
        stopRunTimer(run, a.timer);
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
        if (this.current?.update) {
          logUpdateOutcome(this.log, this.current.update);
          this.events.update(this.current.update);
        }
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

  private write(run: FsmRun, m: BgpMessage, ctx?: BgpCodecContext): boolean {
    const conn = run.conn;
    if (!conn) return false;
    const c = ctx ?? (run.fsm.session ? codecContextOf(run.fsm.session) : DEFAULT_CODEC_CONTEXT);
    const ok = conn.send(encodeMessageBytes(m, c));
    countSent(this.counters, m);
    return ok;
  }

  private onMessage(run: FsmRun, conn: BgpConnection, buf: Buffer): void {
    if (run.conn !== conn) return;
    const ctx = run.fsm.session ? codecContextOf(run.fsm.session) : DEFAULT_CODEC_CONTEXT;
    const m = decodeInbound(buf, ctx, this.counters);
    if (m.kind === 'open') {
      this.onOpen(run, m.msg);
    } else if (m.kind === 'notification') {
      this.lastNotificationRcvd = describeNotification(m.notification);
      this.log.info({ notification: this.lastNotificationRcvd }, 'NOTIFICATION received');
      this.dispatch(run, notificationEvent(m.notification));
    } else {
      this.dispatch(run, m.event, m.data);
    }
  }

  private onOpen(run: FsmRun, msg: OpenReceived): void {
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
      const dump = collisionLoser(other, run, ids);
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
}
