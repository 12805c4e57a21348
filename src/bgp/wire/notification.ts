/**
 * RFC 4271 §4.5 NOTIFICATION (body after the header).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Error code    | Error subcode |   Data (variable)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 9003: a Cease with subcode Administrative Shutdown/Reset may carry a UTF-8 "shutdown
 * communication" (1 length octet, up to 255 octets); {@link shutdownCommunication} extracts it.
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import type { BgpNotificationError } from '../errors.js';
import { CeaseSubcode, ErrorCode, errorName } from './constants.js';

export interface NotificationMessage {
  readonly errorCode: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export function decodeNotification(r: Reader): NotificationMessage {
  const errorCode = r.u8();
  const subcode = r.u8();
  return { errorCode, subcode, data: Uint8Array.from(r.rest()) };
}

export function encodeNotification(w: Writer, m: NotificationMessage): void {
  w.u8(m.errorCode).u8(m.subcode).bytes(m.data);
}

export function notificationLength(m: NotificationMessage): number {
  return 2 + m.data.length;
}

export function notificationFromError(e: BgpNotificationError): NotificationMessage {
  return { errorCode: e.errorCode, subcode: e.subcode, data: e.data };
}

/** RFC 9003 §2: the shutdown communication text, if present and well formed. */
export function shutdownCommunication(m: NotificationMessage): string | undefined {
  if (m.errorCode !== ErrorCode.CEASE) return undefined;
  if (
    m.subcode !== CeaseSubcode.ADMINISTRATIVE_SHUTDOWN &&
    m.subcode !== CeaseSubcode.ADMINISTRATIVE_RESET
  ) {
    return undefined;
  }
  const len = m.data[0];
  if (len === undefined || len === 0 || len + 1 > m.data.length) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(m.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}

/** RFC 9003 §2: build a Cease/Administrative Shutdown with a (truncated to 255 octets) message. */
export function adminShutdown(
  text: string,
  subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
): NotificationMessage {
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > 255) bytes = bytes.subarray(0, 255);
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return { errorCode: ErrorCode.CEASE, subcode, data };
}

/** "CEASE/ADMINISTRATIVE_SHUTDOWN" text for logs and `show`. */
export function describeNotification(m: NotificationMessage): string {
  const text = shutdownCommunication(m);
  const base = errorName(m.errorCode, m.subcode);
  return text === undefined ? base : `${base} "${text}"`;
}
