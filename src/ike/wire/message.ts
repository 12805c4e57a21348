/**
 * IKE message: header + payload chain (RFC 7296 §3.1, §3.2), and the SK{} wrap/unwrap
 * (RFC 7296 §3.14; RFC 5282 for AEAD).
 *
 *   Generic payload header: Next Payload(1) C(1 bit)|RESERVED(7) Payload Length(2)
 *
 * The SK payload is always last (§3.14); its Next Payload names the first inner payload.
 * Protected messages are built as header || [outer payloads] || SK header || IV ||
 * E(inner || padding || pad length) || ICV.
 */
import { Reader } from '../../lib/bytes/reader.js';
import { Writer } from '../../lib/bytes/writer.js';
import { DecodeError } from '../../lib/errors.js';
import type { SkCipher } from '../../crypto/sk-cipher.js';
import { IntegrityError } from '../../crypto/errors.js';
import { IkeIntegrityError } from '../errors.js';
import { GENERIC_PAYLOAD_HEADER_BYTES, IKE_HEADER_BYTES, PayloadType } from './constants.js';
import { decodeHeader, encodeHeader, type HeaderFields, type IkeHeader } from './header.js';
import {
  decodePayloadBody,
  encodePayloadBody,
  payloadBodyLength,
  payloadTypeOf,
  type Payload,
} from './payloads/index.js';

const CRITICAL = 0x80;

export interface DecodedMessage {
  readonly header: IkeHeader;
  /** Plaintext payloads; a trailing `sk`/`skf` payload is still encrypted. */
  readonly payloads: readonly Payload[];
  /** The datagram, kept for AUTH (RealMessage1/2) and for the SK integrity check. */
  readonly raw: Buffer;
  /** Offset in `raw` of the IV of a trailing SK/SKF payload, or null. */
  readonly ivOffset: number | null;
}

/** Decode a payload chain starting with `first` until NO_NEXT_PAYLOAD or an SK/SKF payload. */
export function decodePayloadChain(
  r: Reader,
  first: number,
): { payloads: Payload[]; ivOffset: number | null } {
  const payloads: Payload[] = [];
  let next = first;
  while (next !== PayloadType.NO_NEXT_PAYLOAD) {
    const type = next;
    next = r.u8();
    const critical = (r.u8() & CRITICAL) !== 0;
    const len = r.u16();
    if (len < GENERIC_PAYLOAD_HEADER_BYTES) {
      throw new DecodeError(`payload length ${len}`, 'ERR_IKE_SYNTAX');
    }
    const bodyStart = r.pos;
    const p = decodePayloadBody(type, critical, r.sub(len - GENERIC_PAYLOAD_HEADER_BYTES), next);
    payloads.push(p);
    if (p.kind === 'sk' || p.kind === 'skf') {
      // RFC 7296 §3.14: the Encrypted payload MUST be the last payload in the message.
      if (!r.atEnd) throw new DecodeError('data after SK payload', 'ERR_IKE_SYNTAX');
      return { payloads, ivOffset: bodyStart + (p.kind === 'skf' ? 4 : 0) };
    }
  }
  if (!r.atEnd) throw new DecodeError('data after last payload', 'ERR_IKE_SYNTAX');
  return { payloads, ivOffset: null };
}

function chainLength(payloads: readonly Payload[]): number {
  return payloads.reduce((n, p) => n + GENERIC_PAYLOAD_HEADER_BYTES + payloadBodyLength(p), 0);
}

/** The Next Payload value for the generic header of `payloads[i]`. */
function nextOf(payloads: readonly Payload[], i: number): number {
  const p = payloads[i];
  if (p?.kind === 'sk' || p?.kind === 'skf') return p.innerFirst;
  const n = payloads[i + 1];
  return n === undefined ? PayloadType.NO_NEXT_PAYLOAD : payloadTypeOf(n);
}

export function encodePayloadChain(w: Writer, payloads: readonly Payload[]): void {
  payloads.forEach((p, i) => {
    w.u8(nextOf(payloads, i));
    w.u8(p.kind === 'unknown' && p.critical ? CRITICAL : 0);
    w.u16(GENERIC_PAYLOAD_HEADER_BYTES + payloadBodyLength(p));
    encodePayloadBody(w, p);
  });
}

/** Decode a whole datagram. The header's Length must equal the datagram size (§3.1). */
export function decodeMessage(raw: Buffer): DecodedMessage {
  const r = new Reader(raw);
  const header = decodeHeader(r);
  if (header.length !== raw.length || header.length < IKE_HEADER_BYTES) {
    throw new DecodeError(
      `IKE length ${header.length} != datagram ${raw.length}`,
      'ERR_IKE_SYNTAX',
    );
  }
  const { payloads, ivOffset } = decodePayloadChain(r, header.nextPayload);
  return { header, payloads, raw, ivOffset };
}

function fullHeader(h: HeaderFields, nextPayload: number, length: number): IkeHeader {
  return { ...h, majorVersion: 2, minorVersion: 0, nextPayload, length };
}

/** Encode an unprotected message (IKE_SA_INIT, or one with a pre-built SK payload). */
export function encodeMessage(h: HeaderFields, payloads: readonly Payload[]): Buffer {
  const length = IKE_HEADER_BYTES + chainLength(payloads);
  const first = payloads[0];
  const w = new Writer(Buffer.alloc(length));
  encodeHeader(w, fullHeader(h, first ? payloadTypeOf(first) : 0, length));
  encodePayloadChain(w, payloads);
  return w.buf;
}

/** Plaintext || Padding || Pad Length, aligned to the cipher's block (RFC 7296 §3.14). */
export function padPlaintext(inner: Buffer, blockBytes: number): Buffer {
  const padLen = (blockBytes - ((inner.length + 1) % blockBytes)) % blockBytes;
  const out = Buffer.alloc(inner.length + padLen + 1);
  inner.copy(out);
  out[out.length - 1] = padLen;
  return out;
}

/** Strip Padding and Pad Length; inconsistent padding is an integrity failure. */
export function unpadPlaintext(padded: Buffer): Buffer {
  const padLen = padded[padded.length - 1];
  if (padLen === undefined || padLen + 1 > padded.length) {
    throw new IkeIntegrityError('bad SK padding');
  }
  return padded.subarray(0, padded.length - padLen - 1);
}

export function encodeInner(payloads: readonly Payload[]): { bytes: Buffer; first: number } {
  const w = new Writer(Buffer.alloc(chainLength(payloads)));
  encodePayloadChain(w, payloads);
  const first = payloads[0];
  return { bytes: w.buf, first: first ? payloadTypeOf(first) : PayloadType.NO_NEXT_PAYLOAD };
}

/**
 * Build a protected message: `outer` plaintext payloads (usually none) then SK{inner}.
 * The IV comes from `cipher.nextIv()`.
 */
export function encodeProtectedMessage(
  h: HeaderFields,
  inner: readonly Payload[],
  cipher: SkCipher,
  outer: readonly Payload[] = [],
): Buffer {
  const { bytes, first } = encodeInner(inner);
  const padded = padPlaintext(bytes, cipher.blockBytes);
  const skBody = cipher.ivBytes + padded.length + cipher.icvBytes;
  const outerLen = chainLength(outer);
  const length = IKE_HEADER_BYTES + outerLen + GENERIC_PAYLOAD_HEADER_BYTES + skBody;
  const w = new Writer(Buffer.alloc(length));
  const firstOuter = outer[0];
  encodeHeader(w, fullHeader(h, firstOuter ? payloadTypeOf(firstOuter) : PayloadType.SK, length));
  if (outer.length > 0) {
    // The last outer payload's Next Payload is SK.
    encodePayloadChain(w, outer);
    const lastHeaderAt = IKE_HEADER_BYTES + outerLen - lastPayloadSize(outer);
    w.buf[lastHeaderAt] = PayloadType.SK;
  }
  w.u8(first)
    .u8(0)
    .u16(GENERIC_PAYLOAD_HEADER_BYTES + skBody);
  const aad = w.buf.subarray(0, w.pos);
  const iv = cipher.nextIv();
  const sealed = cipher.seal(aad, iv, padded);
  w.bytes(iv).bytes(sealed);
  return w.buf;
}

function lastPayloadSize(payloads: readonly Payload[]): number {
  const last = payloads[payloads.length - 1];
  return last ? GENERIC_PAYLOAD_HEADER_BYTES + payloadBodyLength(last) : 0;
}

/**
 * Verify and decrypt the encrypted part of `raw` starting at `ivOffset` (an SK body, or the IV
 * inside an SKF body); returns the unpadded inner bytes. Any failure is an
 * {@link IkeIntegrityError} (RFC 7296 §2.21.2: drop silently).
 */
export function openEncrypted(raw: Buffer, ivOffset: number, cipher: SkCipher): Buffer {
  if (raw.length - ivOffset < cipher.ivBytes + cipher.icvBytes + 1) {
    throw new IkeIntegrityError('SK payload too short');
  }
  const aad = raw.subarray(0, ivOffset);
  const iv = raw.subarray(ivOffset, ivOffset + cipher.ivBytes);
  const sealed = raw.subarray(ivOffset + cipher.ivBytes);
  let padded: Buffer;
  try {
    padded = cipher.open(aad, iv, sealed);
  } catch (e) {
    if (e instanceof IntegrityError) throw new IkeIntegrityError(e.message);
    throw e;
  }
  return unpadPlaintext(padded);
}

/**
 * Decrypt the SK payload of a decoded message and decode the inner payload chain. Returns the
 * plaintext payloads that preceded SK followed by the inner ones.
 */
export function decryptMessage(msg: DecodedMessage, cipher: SkCipher): Payload[] {
  const sk = msg.payloads[msg.payloads.length - 1];
  if (sk?.kind !== 'sk' || msg.ivOffset === null) {
    throw new DecodeError('message has no SK payload', 'ERR_IKE_SYNTAX');
  }
  const inner = openEncrypted(msg.raw, msg.ivOffset, cipher);
  const r = new Reader(inner);
  const { payloads, ivOffset } = decodePayloadChain(r, sk.innerFirst);
  if (ivOffset !== null) throw new DecodeError('nested SK payload', 'ERR_IKE_SYNTAX');
  return [...msg.payloads.slice(0, -1), ...payloads];
}
