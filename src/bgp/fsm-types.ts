/**
 * Types for the RFC 4271 §8 BGP finite state machine (see fsm.ts). Events and states use the RFC's
 * names; actions are plain data that session.ts executes on the socket and the injected Clock.
 */
import type { NotificationMessage } from './wire/notification.js';
import type { NegotiatedSession } from './open-negotiation.js';

/** RFC 4271 §8.2.2 states. */
export type BgpState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export const BGP_STATES: readonly BgpState[] = [
  'Idle',
  'Connect',
  'Active',
  'OpenSent',
  'OpenConfirm',
  'Established',
];

/** Timers of RFC 4271 §8 (DelayOpen is not implemented; IdleHold drives automatic restart). */
export type BgpTimer = 'ConnectRetry' | 'Hold' | 'Keepalive' | 'IdleHold';

/** The error carried by BGPHeaderErr / BGPOpenMsgErr / UpdateMsgErr: what to send back. */
export interface FsmError {
  readonly errorCode: number;
  readonly subcode: number;
  readonly data?: Uint8Array;
  readonly detail?: string;
}

/** RFC 4271 §8.1 events (numbers in comments), plus RouteRefreshMsg (RFC 2918). */
export type BgpEvent =
  | { readonly type: 'ManualStart' } // 1
  | { readonly type: 'ManualStop'; readonly notification?: NotificationMessage } // 2
  | { readonly type: 'AutomaticStart' } // 3
  | { readonly type: 'ManualStart_with_PassiveTcpEstablishment' } // 4
  | { readonly type: 'AutomaticStart_with_PassiveTcpEstablishment' } // 5
  | { readonly type: 'AutomaticStop'; readonly notification?: NotificationMessage } // 8
  | { readonly type: 'ConnectRetryTimer_Expires' } // 9
  | { readonly type: 'HoldTimer_Expires' } // 10
  | { readonly type: 'KeepaliveTimer_Expires' } // 11
  | { readonly type: 'IdleHoldTimer_Expires' } // 13
  | { readonly type: 'TcpConnection_Valid' } // 14
  | { readonly type: 'Tcp_CR_Invalid' } // 15
  | { readonly type: 'Tcp_CR_Acked' } // 16
  | { readonly type: 'TcpConnectionConfirmed' } // 17
  | { readonly type: 'TcpConnectionFails' } // 18
  | { readonly type: 'BGPOpen'; readonly session: NegotiatedSession } // 19
  | { readonly type: 'BGPHeaderErr'; readonly error: FsmError } // 21
  | { readonly type: 'BGPOpenMsgErr'; readonly error: FsmError } // 22
  | { readonly type: 'OpenCollisionDump' } // 23
  | { readonly type: 'NotifMsgVerErr'; readonly notification: NotificationMessage } // 24
  | { readonly type: 'NotifMsg'; readonly notification: NotificationMessage } // 25
  | { readonly type: 'KeepAliveMsg' } // 26
  | { readonly type: 'UpdateMsg' } // 27
  | { readonly type: 'UpdateMsgErr'; readonly error: FsmError } // 28
  | { readonly type: 'RouteRefreshMsg' }; // RFC 2918

export type BgpEventType = BgpEvent['type'];

/** Counters the session exports (show / Prometheus). */
export type BgpCounter = 'connect-retry' | 'established' | 'notification-sent' | 'fsm-error';

export type BgpFsmAction =
  | { readonly type: 'connect' }
  | { readonly type: 'close' }
  | { readonly type: 'send-open' }
  | { readonly type: 'send-keepalive' }
  | { readonly type: 'send-notification'; readonly notification: NotificationMessage }
  | { readonly type: 'start-timer'; readonly timer: BgpTimer; readonly seconds: number }
  | { readonly type: 'stop-timer'; readonly timer: BgpTimer }
  /** Release BGP resources for the peer: withdraw every route learned from it (RFC 4271 §8.2.2). */
  | { readonly type: 'release-resources' }
  | { readonly type: 'process-update' }
  | { readonly type: 'process-route-refresh' }
  /** Entered Established: send the initial Adj-RIB-Out (and End-of-RIB). */
  | { readonly type: 'session-up'; readonly session: NegotiatedSession }
  | { readonly type: 'count'; readonly counter: BgpCounter };

export interface BgpFsmConfig {
  /** Connect-retry interval. SHORT by default (5 s): Azure never opens BGP from APIPA. */
  readonly connectRetrySec: number;
  /** Hold time we offer in our OPEN (0 or ≥3). */
  readonly holdTimeSec: number;
  /** RFC 4271 §8: the "large value" the Hold timer gets in OpenSent (4 minutes suggested). */
  readonly openSentHoldSec: number;
  /** Delay before an automatic restart after the session fell to Idle (0 = no auto restart). */
  readonly idleHoldSec: number;
  /** Passive neighbor: never initiate TCP, only accept. */
  readonly passive: boolean;
}

export const DEFAULT_FSM_CONFIG: BgpFsmConfig = {
  connectRetrySec: 5,
  holdTimeSec: 90,
  openSentHoldSec: 240,
  idleHoldSec: 5,
  passive: false,
};

/** Immutable FSM state (RFC 4271 §8 session attributes we need). */
export interface BgpFsmState {
  readonly state: BgpState;
  readonly connectRetryCounter: number;
  /** Set by a start event, cleared by ManualStop: when true the session restarts after IdleHold. */
  readonly autoRestart: boolean;
  /** Negotiated parameters while OpenConfirm/Established. */
  readonly session: NegotiatedSession | undefined;
  /** Why the session last went down (for `show bgp neighbor`). */
  readonly lastError: string | undefined;
}

export interface BgpFsmStep {
  readonly state: BgpFsmState;
  readonly actions: readonly BgpFsmAction[];
  /** Human-readable reason for this transition (logs and `show`). */
  readonly reason: string;
}

/** RFC 4271 §10 suggested ConnectRetryTime, used for passive neighbors. */
export const RFC_CONNECT_RETRY_SEC = 120;

/**
 * FSM configuration for a neighbor. Active neighbors retry every 5 s by default (Azure VPN Gateway
 * never opens BGP towards an APIPA address, so waiting the RFC's 120 s would delay every
 * recovery); passive ones keep the RFC value, since for them the timer only re-arms.
 */
export function fsmConfig(
  opts: {
    readonly passive?: boolean;
    readonly connectRetrySec?: number;
    readonly holdTimeSec?: number;
    readonly idleHoldSec?: number;
  } = {},
): BgpFsmConfig {
  const passive = opts.passive ?? false;
  return {
    connectRetrySec:
      opts.connectRetrySec ??
      (passive ? RFC_CONNECT_RETRY_SEC : DEFAULT_FSM_CONFIG.connectRetrySec),
    holdTimeSec: opts.holdTimeSec ?? DEFAULT_FSM_CONFIG.holdTimeSec,
    openSentHoldSec: DEFAULT_FSM_CONFIG.openSentHoldSec,
    idleHoldSec: opts.idleHoldSec ?? DEFAULT_FSM_CONFIG.idleHoldSec,
    passive,
  };
}
