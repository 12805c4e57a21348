/**
 * The message side of a {@link BgpSession}: decoding a received message into the RFC 4271 §8.1
 * event it feeds the FSM (decode errors become BGPHeaderErr / BGPOpenMsgErr / UpdateMsgErr, §6),
 * the OPEN we send, the message counters (`show ip bgp neighbors`) and the logs of RFC 7606
 * outcomes and of the NOTIFICATIONs we send.
 */
import type { Logger } from '../../lib/log.js';
import { BgpNotificationError } from '../errors.js';
import type { BgpEvent } from '../fsm-types.js';
import { ErrorCode, OpenErrorSubcode } from '../wire/constants.js';
import type { BgpCodecContext } from '../wire/header.js';
import { decodeMessage, type BgpMessage, type DecodedBgpMessage } from '../wire/message.js';
import type { NotificationMessage } from '../wire/notification.js';
import { buildOpen } from '../wire/open.js';
import type { UpdateDecodeResult } from '../wire/update.js';
import { fsmErrorOf, type EventData } from './fsm-run.js';
import type { SessionConfig, SessionCounters } from './session-types.js';

export type OpenReceived = Extract<DecodedBgpMessage, { type: 'OPEN' }>;

/** A received message: an FSM event, or an OPEN / NOTIFICATION the session handles first. */
export type Inbound =
  | { readonly kind: 'event'; readonly event: BgpEvent; readonly data?: EventData }
  | { readonly kind: 'open'; readonly msg: OpenReceived }
  | { readonly kind: 'notification'; readonly notification: NotificationMessage };

export function newCounters(): SessionCounters {
  return {
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
}

/** Count a message written to the connection. */
export function countSent(c: SessionCounters, m: BgpMessage): void {
  c.msgSent += 1;
  if (m.type === 'UPDATE') c.updatesSent += 1;
  else if (m.type === 'KEEPALIVE') c.keepalivesSent += 1;
  else if (m.type === 'NOTIFICATION') c.notificationsSent += 1;
  else if (m.type === 'OPEN') c.opensSent += 1;
  else c.routeRefreshSent += 1;
}

/** Decode and count one received message (non-BGP errors are rethrown). */
export function decodeInbound(buf: Buffer, ctx: BgpCodecContext, c: SessionCounters): Inbound {
  c.msgRcvd += 1;
  let msg: DecodedBgpMessage;
  try {
    msg = decodeMessage(buf, ctx);
  } catch (e) {
    if (!(e instanceof BgpNotificationError)) throw e;
    const error = fsmErrorOf(e);
    if (e.errorCode === ErrorCode.OPEN_MESSAGE_ERROR) {
      return { kind: 'event', event: { type: 'BGPOpenMsgErr', error } };
    }
    if (e.errorCode === ErrorCode.UPDATE_MESSAGE_ERROR) {
      c.updatesRcvd += 1;
      return { kind: 'event', event: { type: 'UpdateMsgErr', error } };
    }
    return { kind: 'event', event: { type: 'BGPHeaderErr', error } };
  }
  switch (msg.type) {
    case 'OPEN':
      c.opensRcvd += 1;
      return { kind: 'open', msg };
    case 'KEEPALIVE':
      c.keepalivesRcvd += 1;
      return { kind: 'event', event: { type: 'KeepAliveMsg' } };
    case 'NOTIFICATION':
      c.notificationsRcvd += 1;
      return { kind: 'notification', notification: msg.notification };
    case 'UPDATE':
      c.updatesRcvd += 1;
      return { kind: 'event', event: { type: 'UpdateMsg' }, data: { update: msg.result } };
    case 'ROUTE_REFRESH':
      c.routeRefreshRcvd += 1;
      return {
        kind: 'event',
        event: { type: 'RouteRefreshMsg' },
        data: { routeRefresh: msg.routeRefresh },
      };
  }
}

/** A received NOTIFICATION as an FSM event (RFC 4271 §8.1.5: version errors apart). */
export function notificationEvent(n: NotificationMessage): BgpEvent {
  const verErr =
    n.errorCode === ErrorCode.OPEN_MESSAGE_ERROR &&
    n.subcode === OpenErrorSubcode.UNSUPPORTED_VERSION_NUMBER;
  return verErr
    ? { type: 'NotifMsgVerErr', notification: n }
    : { type: 'NotifMsg', notification: n };
}

/** Our OPEN for this neighbor (route refresh always offered). */
export function openFor(cfg: SessionConfig): BgpMessage {
  return {
    type: 'OPEN',
    open: buildOpen({
      localAs: cfg.open.localAs,
      holdTimeSec: cfg.fsm.holdTimeSec,
      bgpId: cfg.open.localBgpId,
      families: cfg.open.families,
      routeRefresh: true,
    }),
  };
}

/**
 * Log a NOTIFICATION we send. It means the session is being reset for an error (or stopped by
 * us: Cease). Errors are peer-caused problems an engineer must see: warn, not info.
 */
export function logNotificationSent(
  log: Logger,
  text: string,
  n: NotificationMessage,
  established: boolean,
): void {
  const isCease = n.errorCode === ErrorCode.CEASE;
  const fields = { notification: text };
  const msg = established ? 'sending NOTIFICATION' : 'sending NOTIFICATION during setup';
  if (isCease) log.info(fields, msg);
  else log.warn(fields, msg);
}

/** Log what RFC 7606 error handling did to an UPDATE (nothing when it was clean). */
export function logUpdateOutcome(log: Logger, r: UpdateDecodeResult): void {
  if (r.kind === 'treat-as-withdraw') {
    log.warn(
      { problems: r.problems.map((p) => p.reason), prefixes: r.withdrawn.length },
      'malformed UPDATE treated as withdraw (RFC 7606)',
    );
  } else if (r.discarded.length > 0) {
    log.warn(
      { problems: r.discarded.map((p) => p.reason) },
      'UPDATE attributes discarded (RFC 7606)',
    );
  }
}
