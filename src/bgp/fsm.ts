/**
 * The BGP-4 finite state machine of RFC 4271 §8.2.2 as a pure function:
 * `step(config, state, event) → { state, actions, reason }`. No I/O and no clock: timers are
 * start/stop actions that session.ts runs on the injected Clock, and the TCP connection is
 * opened/closed by `connect`/`close` actions.
 *
 * Deviations, all optional in the RFC: no DelayOpen timer (DelayOpen = FALSE), no
 * SendNOTIFICATIONwithoutOPEN, no DampPeerOscillations; a NOTIFICATION received in OpenSent closes
 * the connection without answering it with an FSM error; instead an IdleHold timer restarts the
 * session automatically after it fell to Idle (unless stopped with ManualStop). A passive neighbor
 * never initiates TCP, not even when the ConnectRetry timer expires in Active.
 *
 * Connection collisions (§6.8) are resolved by the session with {@link collisionToDump}; it then
 * feeds OpenCollisionDump to the losing connection's FSM.
 */
import { assertNever } from '../lib/errors.js';
import type { NegotiatedSession } from './open-negotiation.js';
import { CeaseSubcode, ErrorCode, errorName, FsmErrorSubcode } from './wire/constants.js';
import { describeNotification, type NotificationMessage } from './wire/notification.js';
import type {
  BgpEvent,
  BgpFsmAction,
  BgpFsmConfig,
  BgpFsmState,
  BgpFsmStep,
  BgpState,
  FsmError,
} from './fsm-types.js';

export * from './fsm-types.js';
export * from './collision.js';

export const INITIAL_FSM_STATE: BgpFsmState = {
  state: 'Idle',
  connectRetryCounter: 0,
  autoRestart: false,
  session: undefined,
  lastError: undefined,
};

const START_TIMER = (
  timer: 'ConnectRetry' | 'Hold' | 'Keepalive' | 'IdleHold',
  seconds: number,
): BgpFsmAction => ({
  type: 'start-timer',
  timer,
  seconds,
});
const STOP_TIMER = (timer: 'ConnectRetry' | 'Hold' | 'Keepalive' | 'IdleHold'): BgpFsmAction => ({
  type: 'stop-timer',
  timer,
});

function notif(
  errorCode: number,
  subcode: number,
  data: Uint8Array = new Uint8Array(0),
): NotificationMessage {
  return { errorCode, subcode, data };
}

function fromError(e: FsmError): NotificationMessage {
  return notif(e.errorCode, e.subcode, e.data);
}

const CEASE_ADMIN_SHUTDOWN = notif(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN);
const HOLD_EXPIRED = notif(ErrorCode.HOLD_TIMER_EXPIRED, 0);

/** RFC 6608 §4: the FSM error subcode names the state that got the unexpected event. */
function fsmError(state: BgpState): NotificationMessage {
  const sub =
    state === 'OpenSent'
      ? FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT
      : state === 'OpenConfirm'
        ? FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM
        : state === 'Established'
          ? FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED
          : FsmErrorSubcode.UNSPECIFIED;
  return notif(ErrorCode.FINITE_STATE_MACHINE_ERROR, sub);
}

function stay(s: BgpFsmState, reason: string, actions: BgpFsmAction[] = []): BgpFsmStep {
  return { state: s, actions, reason };
}

interface IdleOpts {
  /** NOTIFICATION to send before closing. */
  readonly send: NotificationMessage | undefined;
  /** RFC 4271: ManualStop resets the ConnectRetryCounter; errors increment it. */
  readonly counter: 'reset' | 'increment' | 'keep';
  /** Whether the TCP connection is open and must be dropped. */
  readonly close: boolean;
  /** ManualStop turns automatic restart off. */
  readonly stopAuto?: boolean;
  readonly error?: string;
}

/** The common "go to Idle" bundle of RFC 4271 §8.2.2. */
function toIdle(cfg: BgpFsmConfig, s: BgpFsmState, reason: string, o: IdleOpts): BgpFsmStep {
  const actions: BgpFsmAction[] = [];
  if (o.send) {
    actions.push({ type: 'send-notification', notification: o.send });
    actions.push({ type: 'count', counter: 'notification-sent' });
    if (o.send.errorCode === ErrorCode.FINITE_STATE_MACHINE_ERROR)
      actions.push({ type: 'count', counter: 'fsm-error' });
  }
  actions.push(STOP_TIMER('ConnectRetry'), STOP_TIMER('Hold'), STOP_TIMER('Keepalive'));
  actions.push({ type: 'release-resources' });
  if (o.close) actions.push({ type: 'close' });
  let counter = s.connectRetryCounter;
  if (o.counter === 'reset') counter = 0;
  if (o.counter === 'increment') {
    counter += 1;
    actions.push({ type: 'count', counter: 'connect-retry' });
  }
  const autoRestart = o.stopAuto ? false : s.autoRestart;
  if (autoRestart && cfg.idleHoldSec > 0) actions.push(START_TIMER('IdleHold', cfg.idleHoldSec));
  return {
    state: {
      state: 'Idle',
      connectRetryCounter: counter,
      autoRestart,
      session: undefined,
      lastError: o.error ?? s.lastError,
    },
    actions,
    reason,
  };
}

function start(cfg: BgpFsmConfig, s: BgpFsmState, passive: boolean, why: string): BgpFsmStep {
  const base = { ...s, connectRetryCounter: 0, autoRestart: true, session: undefined };
  const actions: BgpFsmAction[] = [
    STOP_TIMER('IdleHold'),
    START_TIMER('ConnectRetry', cfg.connectRetrySec),
  ];
  if (passive || cfg.passive) {
    return {
      state: { ...base, state: 'Active' },
      actions,
      reason: `${why}: waiting for the peer to connect`,
    };
  }
  actions.push({ type: 'connect' });
  return { state: { ...base, state: 'Connect' }, actions, reason: `${why}: connecting` };
}

/** TCP is up (Connect/Active, events 16/17): send OPEN, Hold timer = large value → OpenSent. */
function tcpUp(cfg: BgpFsmConfig, s: BgpFsmState, why: string): BgpFsmStep {
  return {
    state: { ...s, state: 'OpenSent' },
    actions: [
      STOP_TIMER('ConnectRetry'),
      { type: 'send-open' },
      START_TIMER('Hold', cfg.openSentHoldSec),
    ],
    reason: `${why}: OPEN sent`,
  };
}

function errText(e: FsmError): string {
  return e.detail
    ? `${errorName(e.errorCode, e.subcode)}: ${e.detail}`
    : errorName(e.errorCode, e.subcode);
}

function negotiatedTimers(session: NegotiatedSession, restartHold: boolean): BgpFsmAction[] {
  if (session.holdTimeSec === 0) return [STOP_TIMER('Hold'), STOP_TIMER('Keepalive')];
  const out: BgpFsmAction[] = [START_TIMER('Keepalive', session.keepaliveSec)];
  if (restartHold) out.push(START_TIMER('Hold', session.holdTimeSec));
  return out;
}

function holdRestart(s: BgpFsmState): BgpFsmAction[] {
  return s.session && s.session.holdTimeSec > 0 ? [START_TIMER('Hold', s.session.holdTimeSec)] : [];
}

type Counter = 'reset' | 'increment' | 'keep';

/** Down to Idle: `why` is both the transition reason and the recorded lastError. */
function down(
  cfg: BgpFsmConfig,
  s: BgpFsmState,
  why: string,
  counter: Counter = 'increment',
  send?: NotificationMessage,
): BgpFsmStep {
  return toIdle(cfg, s, why, { send, counter, close: true, error: why });
}

/** ManualStop (event 2): Cease once OPEN was sent, counter reset, no automatic restart. */
function manualStop(
  cfg: BgpFsmConfig,
  s: BgpFsmState,
  e: { readonly notification?: NotificationMessage },
  sendCease: boolean,
): BgpFsmStep {
  return toIdle(cfg, s, 'ManualStop', {
    send: sendCease ? (e.notification ?? CEASE_ADMIN_SHUTDOWN) : undefined,
    counter: 'reset',
    close: true,
    stopAuto: true,
    error: 'administratively stopped',
  });
}

const received = (n: NotificationMessage): string => `received ${describeNotification(n)}`;
const COLLISION = notif(ErrorCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION);
const COLLISION_WHY = 'connection collision resolution: this connection dumped';

function stepIdle(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
      return start(cfg, s, false, e.type);
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return start(cfg, s, true, e.type);
    case 'IdleHoldTimer_Expires':
      if (s.autoRestart) return start(cfg, s, false, 'automatic restart');
      return stay(s, 'IdleHold expired without automatic restart: ignored');
    case 'ManualStop':
      // Also cancels a pending automatic restart.
      return stay({ ...s, autoRestart: false }, 'ManualStop in Idle', [STOP_TIMER('IdleHold')]);
    case 'TcpConnection_Valid':
      // Idle refuses incoming connections (RFC 4271 §8.2.2).
      return stay(s, 'connection refused in Idle', [{ type: 'close' }]);
    case 'AutomaticStop':
    case 'ConnectRetryTimer_Expires':
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'Tcp_CR_Invalid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
    case 'TcpConnectionFails':
    case 'BGPOpen':
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
    case 'OpenCollisionDump':
    case 'NotifMsgVerErr':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // RFC 4271 §8.2.2: events 8-12, 15-28 do not change the Idle state.
      return stay(s, `${e.type} ignored in Idle`);
  }
}

/** Connect and Active share most of their handling. */
function stepConnectActive(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  const st = s.state;
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in ${st}`);
    case 'ManualStop':
      return manualStop(cfg, s, e, false);
    case 'ConnectRetryTimer_Expires':
      if (st === 'Active' && cfg.passive) {
        return stay(s, 'passive: still waiting for the peer', [
          START_TIMER('ConnectRetry', cfg.connectRetrySec),
        ]);
      }
      // Connect: drop the attempt and retry; Active: initiate → Connect.
      return {
        state: { ...s, state: 'Connect' },
        actions: [
          ...(st === 'Connect' ? [{ type: 'close' } as const] : []),
          START_TIMER('ConnectRetry', cfg.connectRetrySec),
          { type: 'connect' },
        ],
        reason: 'ConnectRetry timer expired: connecting',
      };
    case 'TcpConnection_Valid':
      return stay(s, 'incoming connection accepted');
    case 'Tcp_CR_Invalid':
      return stay(s, 'incoming connection rejected', [{ type: 'close' }]);
    case 'Tcp_CR_Acked':
      return tcpUp(cfg, s, 'connected');
    case 'TcpConnectionConfirmed':
      return tcpUp(cfg, s, 'peer connected');
    case 'TcpConnectionFails':
      // RFC 4271 §8.2.2 Connect/18 (no DelayOpen) keeps the counter; IdleHold restarts us quickly.
      return down(cfg, s, 'TCP connection failed', st === 'Connect' ? 'keep' : 'increment');
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return down(cfg, s, errText(e.error));
    case 'NotifMsgVerErr':
      return down(cfg, s, received(e.notification));
    case 'AutomaticStop':
    case 'HoldTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'IdleHoldTimer_Expires':
    case 'BGPOpen':
    case 'OpenCollisionDump':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // Events 8, 10, 11, 13, 19, 23, 25-28.
      return down(cfg, s, `${e.type} in ${st}`);
  }
}

function stepOpenSent(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in OpenSent`);
    case 'ManualStop':
      return manualStop(cfg, s, e, true);
    case 'AutomaticStop':
      return down(cfg, s, 'AutomaticStop', 'increment', e.notification ?? CEASE_ADMIN_SHUTDOWN);
    case 'HoldTimer_Expires':
      return down(cfg, s, 'hold timer expired', 'increment', HOLD_EXPIRED);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return stay(s, 'second connection tracked for collision detection');
    case 'Tcp_CR_Invalid':
      return stay(s, 'incoming connection rejected');
    case 'TcpConnectionFails':
      // RFC 4271 §8.2.2 OpenSent/18: close, restart ConnectRetry, → Active.
      return {
        state: { ...s, state: 'Active' },
        actions: [
          { type: 'close' },
          STOP_TIMER('Hold'),
          START_TIMER('ConnectRetry', cfg.connectRetrySec),
        ],
        reason: 'TCP connection failed in OpenSent',
      };
    case 'BGPOpen':
      return {
        state: { ...s, state: 'OpenConfirm', session: e.session },
        actions: [
          STOP_TIMER('ConnectRetry'),
          { type: 'send-keepalive' },
          ...negotiatedTimers(e.session, true),
        ],
        reason: `OPEN received (hold ${e.session.holdTimeSec}s, keepalive ${e.session.keepaliveSec}s)`,
      };
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return down(cfg, s, errText(e.error), 'increment', fromError(e.error));
    case 'OpenCollisionDump':
      return down(cfg, s, COLLISION_WHY, 'increment', COLLISION);
    case 'NotifMsgVerErr':
      return down(cfg, s, received(e.notification), 'keep');
    case 'NotifMsg':
      // The peer already gave up; answering a NOTIFICATION with an FSM error helps nobody.
      return down(cfg, s, received(e.notification));
    case 'ConnectRetryTimer_Expires':
    case 'KeepaliveTimer_Expires':
    case 'IdleHoldTimer_Expires':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // Events 9, 11-13, 20, 26-28: FSM error.
      return down(cfg, s, `unexpected ${e.type} in OpenSent`, 'increment', fsmError('OpenSent'));
  }
}

function stepOpenConfirm(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in OpenConfirm`);
    case 'ManualStop':
      return manualStop(cfg, s, e, true);
    case 'AutomaticStop':
      return down(cfg, s, 'AutomaticStop', 'increment', e.notification ?? CEASE_ADMIN_SHUTDOWN);
    case 'HoldTimer_Expires':
      return down(cfg, s, 'hold timer expired', 'increment', HOLD_EXPIRED);
    case 'KeepaliveTimer_Expires':
      return stay(s, 'keepalive sent', [
        { type: 'send-keepalive' },
        ...(s.session ? negotiatedTimers(s.session, false) : []),
      ]);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return stay(s, 'second connection tracked for collision detection');
    case 'Tcp_CR_Invalid':
      return stay(s, 'incoming connection rejected');
    case 'TcpConnectionFails':
      return down(cfg, s, 'TCP connection failed');
    case 'NotifMsg':
      return down(cfg, s, received(e.notification));
    case 'NotifMsgVerErr':
      return down(cfg, s, received(e.notification), 'keep');
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return down(cfg, s, errText(e.error), 'increment', fromError(e.error));
    case 'OpenCollisionDump':
      return down(cfg, s, COLLISION_WHY, 'increment', COLLISION);
    case 'KeepAliveMsg': {
      const session = s.session;
      const actions: BgpFsmAction[] = [
        ...holdRestart(s),
        { type: 'count', counter: 'established' },
      ];
      if (session) actions.push({ type: 'session-up', session });
      return {
        state: { ...s, state: 'Established', lastError: undefined },
        actions,
        reason: 'KEEPALIVE received: session established',
      };
    }
    case 'ConnectRetryTimer_Expires':
    case 'IdleHoldTimer_Expires':
    case 'BGPOpen':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
    case 'RouteRefreshMsg':
      // Events 9, 12-13, 19 (a second OPEN on this connection), 20, 27-28: FSM error.
      return down(
        cfg,
        s,
        `unexpected ${e.type} in OpenConfirm`,
        'increment',
        fsmError('OpenConfirm'),
      );
  }
}

function stepEstablished(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  switch (e.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'ManualStart_with_PassiveTcpEstablishment':
    case 'AutomaticStart_with_PassiveTcpEstablishment':
      return stay(s, `${e.type} ignored in Established`);
    case 'ManualStop':
      return manualStop(cfg, s, e, true);
    case 'AutomaticStop':
      return down(cfg, s, 'AutomaticStop', 'increment', e.notification ?? CEASE_ADMIN_SHUTDOWN);
    case 'HoldTimer_Expires':
      return down(cfg, s, 'hold timer expired', 'increment', HOLD_EXPIRED);
    case 'KeepaliveTimer_Expires':
      return stay(s, 'keepalive sent', [
        { type: 'send-keepalive' },
        ...(s.session ? negotiatedTimers(s.session, false) : []),
      ]);
    case 'TcpConnection_Valid':
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return stay(s, 'second connection tracked (the Established one wins collisions)');
    case 'Tcp_CR_Invalid':
      return stay(s, 'incoming connection rejected');
    case 'OpenCollisionDump':
      return down(cfg, s, COLLISION_WHY, 'increment', COLLISION);
    case 'TcpConnectionFails':
      return down(cfg, s, 'TCP connection failed');
    case 'NotifMsg':
    case 'NotifMsgVerErr':
      return down(cfg, s, received(e.notification));
    case 'KeepAliveMsg':
      return stay(s, 'KEEPALIVE received', holdRestart(s));
    case 'UpdateMsg':
      return stay(s, 'UPDATE received', [{ type: 'process-update' }, ...holdRestart(s)]);
    case 'RouteRefreshMsg':
      return stay(s, 'ROUTE-REFRESH received', [
        { type: 'process-route-refresh' },
        ...holdRestart(s),
      ]);
    case 'UpdateMsgErr':
    case 'BGPHeaderErr':
      return down(cfg, s, errText(e.error), 'increment', fromError(e.error));
    case 'ConnectRetryTimer_Expires':
    case 'IdleHoldTimer_Expires':
    case 'BGPOpen':
    case 'BGPOpenMsgErr':
      // Events 9, 12-13, 19-20, 22: FSM error.
      return down(
        cfg,
        s,
        `unexpected ${e.type} in Established`,
        'increment',
        fsmError('Established'),
      );
  }
}

/** One FSM step. Pure: the same inputs always give the same outputs. */
export function step(cfg: BgpFsmConfig, s: BgpFsmState, e: BgpEvent): BgpFsmStep {
  switch (s.state) {
    case 'Idle':
      return stepIdle(cfg, s, e);
    case 'Connect':
    case 'Active':
      return stepConnectActive(cfg, s, e);
    case 'OpenSent':
      return stepOpenSent(cfg, s, e);
    case 'OpenConfirm':
      return stepOpenConfirm(cfg, s, e);
    case 'Established':
      return stepEstablished(cfg, s, e);
    default:
      return assertNever(s.state, 'BGP state');
  }
}
