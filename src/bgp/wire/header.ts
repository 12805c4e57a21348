/**
 * RFC 4271 §4.1 message header and §6.1 header error checks.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           Marker (16)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Length               |      Type     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { BgpNotificationError } from '../errors.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MARKER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  HeaderErrorSubcode,
  MessageType,
} from './constants.js';

/** Negotiated features that change how messages are encoded (GoBGP's MarshallingOption). */
export interface BgpCodecContext {
  /** RFC 6793: both sides advertised the 4-octet AS capability (AS_PATH uses 4-byte ASNs). */
  readonly as4: boolean;
  /** RFC 8654 extended messages (max length 65535) negotiated. */
  readonly extendedMessage?: boolean;
}

export const DEFAULT_CODEC_CONTEXT: BgpCodecContext = { as4: false };

export interface BgpHeader {
  /** Total message length including the 19-octet header. */
  readonly length: number;
  readonly type: number;
}

/** RFC 4271 §6.1 / RFC 2918 / RFC 7313: the smallest legal length per message type. */
const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.OPEN]: 29,
  [MessageType.UPDATE]: 23,
  [MessageType.NOTIFICATION]: 21,
  [MessageType.KEEPALIVE]: 19,
  [MessageType.ROUTE_REFRESH]: 23,
};

export function maxMessageLength(ctx: BgpCodecContext): number {
  return ctx.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
}

function badLength(length: number): BgpNotificationError {
  // RFC 4271 §6.1: the Data field contains the erroneous Length field.
  const data = Uint8Array.of(length >> 8, length & 0xff);
  return new BgpNotificationError(
    ErrorCode.MESSAGE_HEADER_ERROR,
    HeaderErrorSubcode.BAD_MESSAGE_LENGTH,
    data,
    { detail: `length ${length}` },
  );
}

/**
 * Decode and validate a header. Throws {@link BgpNotificationError} (Message Header Error) on a
 * bad marker, length or type; throws TruncatedError when fewer than 19 octets are available.
 */
export function decodeHeader(r: Reader, ctx: BgpCodecContext = DEFAULT_CODEC_CONTEXT): BgpHeader {
  const marker = r.bytes(BGP_MARKER_LENGTH);
  const length = r.u16();
  const type = r.u8();
  for (const b of marker) {
    if (b !== 0xff) {
      // RFC 4271 §6.1: marker not all ones → Connection Not Synchronized.
      throw new BgpNotificationError(
        ErrorCode.MESSAGE_HEADER_ERROR,
        HeaderErrorSubcode.CONNECTION_NOT_SYNCHRONIZED,
        undefined,
        { detail: 'marker is not all ones' },
      );
    }
  }
  if (length < BGP_HEADER_LENGTH || length > maxMessageLength(ctx)) throw badLength(length);
  const min = MIN_LENGTH[type];
  if (min === undefined) {
    throw new BgpNotificationError(
      ErrorCode.MESSAGE_HEADER_ERROR,
      HeaderErrorSubcode.BAD_MESSAGE_TYPE,
      Uint8Array.of(type),
      { detail: `type ${type}` },
    );
  }
  // RFC 4271 §6.1: too short for its type, or a KEEPALIVE that is not exactly 19 octets.
  if (length < min || (type === MessageType.KEEPALIVE && length !== BGP_HEADER_LENGTH)) {
    throw badLength(length);
  }
  return { length, type };
}

export function encodeHeader(w: Writer, h: BgpHeader): void {
  for (let i = 0; i < BGP_MARKER_LENGTH; i++) w.u8(0xff);
  w.u16(h.length);
  w.u8(h.type);
}

/**
 * Stream framing: the length of the next message in `buf` from `offset`, or null when the header
 * is not complete yet. Validates the header (throws {@link BgpNotificationError}).
 */
export function nextMessageLength(
  buf: Uint8Array,
  offset: number,
  ctx: BgpCodecContext = DEFAULT_CODEC_CONTEXT,
): number | null {
  if (buf.length - offset < BGP_HEADER_LENGTH) return null;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < BGP_MARKER_LENGTH; i++) {
    if (b[offset + i] !== 0xff) {
      throw new BgpNotificationError(
        ErrorCode.MESSAGE_HEADER_ERROR,
        HeaderErrorSubcode.CONNECTION_NOT_SYNCHRONIZED,
      );
    }
  }
  const length = b.readUInt16BE(offset + BGP_MARKER_LENGTH);
  if (length < BGP_HEADER_LENGTH || length > maxMessageLength(ctx)) throw badLength(length);
  return length;
}
