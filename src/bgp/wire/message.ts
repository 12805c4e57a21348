/**
 * Whole-message framing: header + typed body (RFC 4271 §4). {@link decodeMessage} is what the
 * session calls for each framed message; it validates the header, bounds the body and dispatches.
 */
import { Reader } from '../../lib/bytes/reader.js';
import { Writer } from '../../lib/bytes/writer.js';
import { TruncatedError } from '../../lib/errors.js';
import { BgpNotificationError } from '../errors.js';
import { BGP_HEADER_LENGTH, ErrorCode, HeaderErrorSubcode, MessageType } from './constants.js';
import { decodeHeader, encodeHeader, maxMessageLength, type BgpCodecContext } from './header.js';
import { decodeKeepalive } from './keepalive.js';
import {
  decodeNotification,
  encodeNotification,
  notificationLength,
  type NotificationMessage,
} from './notification.js';
import { decodeOpen, encodeOpen, openLength, type OpenMessage } from './open.js';
import {
  decodeRouteRefresh,
  encodeRouteRefresh,
  type RouteRefreshMessage,
} from './route-refresh.js';
import {
  decodeUpdate,
  encodeUpdate,
  updateLength,
  type UpdateDecodeResult,
  type UpdateMessage,
} from './update.js';

/** A message to send. */
export type BgpMessage =
  | { readonly type: 'OPEN'; readonly open: OpenMessage }
  | { readonly type: 'UPDATE'; readonly update: UpdateMessage }
  | { readonly type: 'NOTIFICATION'; readonly notification: NotificationMessage }
  | { readonly type: 'KEEPALIVE' }
  | { readonly type: 'ROUTE_REFRESH'; readonly routeRefresh: RouteRefreshMessage };

/** A received message: UPDATE carries the RFC 7606 outcome instead of a plain update. */
export type DecodedBgpMessage =
  | { readonly type: 'OPEN'; readonly open: OpenMessage }
  | { readonly type: 'UPDATE'; readonly result: UpdateDecodeResult }
  | { readonly type: 'NOTIFICATION'; readonly notification: NotificationMessage }
  | { readonly type: 'KEEPALIVE' }
  | { readonly type: 'ROUTE_REFRESH'; readonly routeRefresh: RouteRefreshMessage };

/**
 * Decode one complete message (exactly `buf.length` octets, as framed by nextMessageLength).
 * Throws only {@link BgpNotificationError} (which says what to send and which RFC 7606 action).
 */
export function decodeMessage(buf: Uint8Array, ctx: BgpCodecContext): DecodedBgpMessage {
  const r = new Reader(buf);
  let header;
  try {
    header = decodeHeader(r, ctx);
  } catch (e) {
    if (e instanceof TruncatedError) {
      throw new BgpNotificationError(
        ErrorCode.MESSAGE_HEADER_ERROR,
        HeaderErrorSubcode.BAD_MESSAGE_LENGTH,
        undefined,
        {
          detail: 'shorter than a header',
        },
      );
    }
    throw e;
  }
  if (header.length !== buf.length) {
    throw new BgpNotificationError(
      ErrorCode.MESSAGE_HEADER_ERROR,
      HeaderErrorSubcode.BAD_MESSAGE_LENGTH,
      Uint8Array.of(header.length >> 8, header.length & 0xff),
      { detail: `header says ${header.length}, got ${buf.length}` },
    );
  }
  const body = r.sub(header.length - BGP_HEADER_LENGTH);
  switch (header.type) {
    case MessageType.OPEN:
      return { type: 'OPEN', open: decodeOpen(body) };
    case MessageType.UPDATE:
      return { type: 'UPDATE', result: decodeUpdate(body, ctx) };
    case MessageType.NOTIFICATION:
      return { type: 'NOTIFICATION', notification: decodeNotification(body) };
    case MessageType.KEEPALIVE:
      decodeKeepalive(body);
      return { type: 'KEEPALIVE' };
    case MessageType.ROUTE_REFRESH:
      return { type: 'ROUTE_REFRESH', routeRefresh: decodeRouteRefresh(body) };
    default:
      // decodeHeader already rejected unknown types.
      throw new BgpNotificationError(
        ErrorCode.MESSAGE_HEADER_ERROR,
        HeaderErrorSubcode.BAD_MESSAGE_TYPE,
        Uint8Array.of(header.type),
      );
  }
}

function bodyLength(m: BgpMessage, ctx: BgpCodecContext): number {
  switch (m.type) {
    case 'OPEN':
      return openLength(m.open);
    case 'UPDATE':
      return updateLength(m.update, ctx);
    case 'NOTIFICATION':
      return notificationLength(m.notification);
    case 'KEEPALIVE':
      return 0;
    case 'ROUTE_REFRESH':
      return 4;
  }
}

export function messageLength(m: BgpMessage, ctx: BgpCodecContext): number {
  return BGP_HEADER_LENGTH + bodyLength(m, ctx);
}

/**
 * Encode a message with its header into `w`. Throws RangeError when it would exceed the maximum
 * message size (the caller must split UPDATEs; see {@link maxMessageLength}).
 */
export function encodeMessage(w: Writer, m: BgpMessage, ctx: BgpCodecContext): void {
  const length = messageLength(m, ctx);
  if (length > maxMessageLength(ctx))
    throw new RangeError(`BGP message of ${length} octets is too long`);
  encodeHeader(w, { length, type: MessageType[m.type] });
  switch (m.type) {
    case 'OPEN':
      encodeOpen(w, m.open);
      return;
    case 'UPDATE':
      encodeUpdate(w, m.update, ctx);
      return;
    case 'NOTIFICATION':
      encodeNotification(w, m.notification);
      return;
    case 'KEEPALIVE':
      return;
    case 'ROUTE_REFRESH':
      encodeRouteRefresh(w, m.routeRefresh);
      return;
  }
}

/** Convenience: a fresh buffer holding one encoded message. */
export function encodeMessageBytes(m: BgpMessage, ctx: BgpCodecContext): Buffer {
  const w = new Writer(messageLength(m, ctx));
  encodeMessage(w, m, ctx);
  return w.finish();
}
