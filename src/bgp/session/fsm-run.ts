/**
 * One running instance of the RFC 4271 §8 FSM inside a {@link BgpSession}: its state, its TCP
 * connection (or pending connect), its timers and whether it was locally initiated. A session has
 * a main run and, during a connection collision (§6.8), a second "shadow" run; this file holds
 * what concerns a run alone: its timers (with the RFC 4271 §10 jitter) and the collision decision
 * between two runs.
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { Rng } from '../../lib/rng.js';
import { collisionToDump } from '../collision.js';
import type { BgpNotificationError } from '../errors.js';
import { INITIAL_FSM_STATE } from '../fsm.js';
import type { BgpEvent, BgpFsmState, BgpTimer, FsmError } from '../fsm-types.js';
import type { RouteRefreshMessage } from '../wire/route-refresh.js';
import type { UpdateDecodeResult } from '../wire/update.js';
import type { BgpConnection, PendingConnect } from './transport.js';

export interface FsmRun {
  fsm: BgpFsmState;
  conn: BgpConnection | undefined;
  pending: PendingConnect | undefined;
  readonly timers: Map<BgpTimer, Timer>;
  locallyInitiated: boolean;
  established: boolean;
}

/** An FSM event waiting to be processed, with the message it came with. */
export interface QueuedEvent {
  readonly run: FsmRun;
  readonly event: BgpEvent;
  readonly update?: UpdateDecodeResult;
  readonly routeRefresh?: RouteRefreshMessage;
}

/** The message data that travels with an event. */
export type EventData = Omit<QueuedEvent, 'run' | 'event'>;

const JITTERED: ReadonlySet<BgpTimer> = new Set(['ConnectRetry', 'Keepalive', 'IdleHold']);

export function newRun(fsm: BgpFsmState = INITIAL_FSM_STATE): FsmRun {
  return {
    fsm,
    conn: undefined,
    pending: undefined,
    timers: new Map(),
    locallyInitiated: false,
    established: false,
  };
}

export function fsmErrorOf(e: BgpNotificationError): FsmError {
  return { errorCode: e.errorCode, subcode: e.subcode, data: e.data, detail: e.message };
}

/** Start (or restart) a timer of `run`; `expired` runs when it fires. */
export function startRunTimer(
  run: FsmRun,
  timer: BgpTimer,
  seconds: number,
  clock: Clock,
  rng: Rng,
  expired: () => void,
): void {
  // RFC 4271 §10: jitter ConnectRetry/Keepalive (and our IdleHold) by a factor in [0.75, 1].
  const factor = JITTERED.has(timer) ? 0.75 + 0.25 * rng.fraction() : 1;
  const ms = Math.max(1, Math.round(seconds * 1000 * factor));
  const existing = run.timers.get(timer);
  if (existing) {
    existing.reschedule(ms);
    return;
  }
  run.timers.set(timer, clock.setTimer(ms, expired));
}

export function stopRunTimer(run: FsmRun, timer: BgpTimer): void {
  run.timers.get(timer)?.cancel();
}

export function cancelRunTimers(run: FsmRun): void {
  for (const t of run.timers.values()) t.cancel();
}

/**
 * RFC 4271 §6.8: an OPEN arrived on `run` (in OpenSent) while `other` is alive; which of the two
 * gets OpenCollisionDump, if either.
 */
export function collisionLoser(
  other: FsmRun,
  run: FsmRun,
  ids: {
    readonly localBgpId: number;
    readonly remoteBgpId: number;
    readonly localAs: number;
    readonly remoteAs: number;
  },
): 'incoming' | 'existing' | 'none' {
  const dump = collisionToDump(
    { state: other.fsm.state, locallyInitiated: other.locallyInitiated },
    { state: run.fsm.state, locallyInitiated: run.locallyInitiated },
    ids,
  );
  // Two connections opened by the peer: the newer one wins (the peer restarted).
  if (dump === 'none' && other.locallyInitiated === run.locallyInitiated) return 'existing';
  return dump;
}
