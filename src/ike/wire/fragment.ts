/**
 * IKEv2 message fragmentation (RFC 7383).
 *
 * Sending (§2.5): the inner payload chain that would go into SK is split into chunks; each
 * chunk is padded and encrypted on its own into an SKF payload carrying Fragment Number and
 * Total Fragments, as a complete IKE message with the same header fields (same Message ID).
 * Only fragment 1 carries the first inner payload type in its Next Payload.
 *
 * Receiving (§2.6): every fragment is authenticated before it is stored; fragments are
 * collected per Message ID; duplicates are ignored; a fragment with a larger Total Fragments
 * than the stored ones restarts collection, a smaller one is discarded; when all are present
 * the chunks are joined in order and the inner chain is decoded.
 */
import { Reader } from '../../lib/bytes/reader.js';
import { Writer } from '../../lib/bytes/writer.js';
import { AssertionError, DecodeError } from '../../lib/errors.js';
import type { SkCipher } from '../../crypto/sk-cipher.js';
import { IKE_HEADER_BYTES, PayloadType, SKF_HEADER_BYTES } from './constants.js';
import { encodeHeader, type HeaderFields, type IkeHeader } from './header.js';
import {
  decodePayloadChain,
  encodeInner,
  openEncrypted,
  padPlaintext,
  type DecodedMessage,
} from './message.js';
import type { Payload } from './payloads/index.js';

/**
 * Largest inner chunk that fits a datagram of `maxMessageBytes` (IKE message bytes, i.e. after
 * the IP/UDP headers and any non-ESP marker have been subtracted by the caller).
 */
export function fragmentCapacity(cipher: SkCipher, maxMessageBytes: number): number {
  const room =
    maxMessageBytes - IKE_HEADER_BYTES - SKF_HEADER_BYTES - cipher.ivBytes - cipher.icvBytes;
  const aligned = Math.floor(room / cipher.blockBytes) * cipher.blockBytes;
  return aligned - 1; // Pad Length byte
}

/** Encode `inner` as one or more SKF messages no larger than `maxMessageBytes` each. */
export function encodeFragments(
  h: HeaderFields,
  inner: readonly Payload[],
  cipher: SkCipher,
  maxMessageBytes: number,
): Buffer[] {
  const cap = fragmentCapacity(cipher, maxMessageBytes);
  if (cap < 1) throw new AssertionError(`fragment size ${maxMessageBytes} too small`);
  const { bytes, first } = encodeInner(inner);
  const total = Math.max(1, Math.ceil(bytes.length / cap));
  if (total > 0xffff) throw new AssertionError('too many fragments');
  const out: Buffer[] = [];
  for (let i = 0; i < total; i++) {
    const chunk = bytes.subarray(i * cap, Math.min(bytes.length, (i + 1) * cap));
    const padded = padPlaintext(chunk, cipher.blockBytes);
    const skfLen = SKF_HEADER_BYTES + cipher.ivBytes + padded.length + cipher.icvBytes;
    const length = IKE_HEADER_BYTES + skfLen;
    const w = new Writer(Buffer.alloc(length));
    const header: IkeHeader = {
      ...h,
      majorVersion: 2,
      minorVersion: 0,
      nextPayload: PayloadType.SKF,
      length,
    };
    encodeHeader(w, header);
    w.u8(i === 0 ? first : PayloadType.NO_NEXT_PAYLOAD)
      .u8(0)
      .u16(skfLen);
    w.u16(i + 1).u16(total);
    const aad = w.buf.subarray(0, w.pos);
    const iv = cipher.nextIv();
    w.bytes(iv).bytes(cipher.seal(aad, iv, padded));
    out.push(w.buf);
  }
  return out;
}

export interface ReassemblyLimits {
  /** Largest Total Fragments accepted. */
  readonly maxFragments: number;
  /** Largest reassembled inner size in bytes. */
  readonly maxBytes: number;
  /** Message IDs collected at once; the oldest is dropped beyond this. */
  readonly maxPending: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxFragments: 64,
  maxBytes: 64 * 1024,
  maxPending: 2,
};

interface Pending {
  total: number;
  first: number;
  bytes: number;
  readonly chunks: Map<number, Buffer>;
  header: IkeHeader | null;
}

export type ReassemblyResult =
  | { readonly status: 'complete'; readonly header: IkeHeader; readonly payloads: Payload[] }
  | { readonly status: 'pending'; readonly received: number; readonly total: number }
  | {
      readonly status: 'discarded';
      readonly reason: 'duplicate' | 'stale-total' | 'too-many-fragments' | 'too-large';
    };

/** Collects SKF fragments per Message ID (one reassembler per IKE SA and direction). */
export class FragmentReassembler {
  private readonly limits: ReassemblyLimits;
  private readonly pending = new Map<number, Pending>();

  constructor(limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {
    this.limits = limits;
  }

  /** Message IDs with fragments waiting. */
  get pendingIds(): number[] {
    return [...this.pending.keys()];
  }

  clear(messageId?: number): void {
    if (messageId === undefined) this.pending.clear();
    else this.pending.delete(messageId);
  }

  /**
   * Authenticate and store one SKF message. Throws IkeIntegrityError for a fragment that fails
   * its ICV (RFC 7383 §2.6.1: such fragments are discarded without affecting stored ones) and
   * DecodeError when the reassembled chain is malformed.
   */
  accept(msg: DecodedMessage, cipher: SkCipher): ReassemblyResult {
    const skf = msg.payloads[msg.payloads.length - 1];
    if (skf?.kind !== 'skf' || msg.ivOffset === null) {
      throw new DecodeError('not an SKF message', 'ERR_IKE_SYNTAX');
    }
    if (skf.totalFragments > this.limits.maxFragments) {
      return { status: 'discarded', reason: 'too-many-fragments' };
    }
    const id = msg.header.messageId;
    let st = this.pending.get(id);
    if (st && skf.totalFragments < st.total) return { status: 'discarded', reason: 'stale-total' };
    if (st?.chunks.has(skf.fragmentNumber) && skf.totalFragments === st.total) {
      return { status: 'discarded', reason: 'duplicate' };
    }
    // Authenticate before touching state.
    const chunk = openEncrypted(msg.raw, msg.ivOffset, cipher);
    if (!st || skf.totalFragments > st.total) {
      st = { total: skf.totalFragments, first: 0, bytes: 0, chunks: new Map(), header: null };
      this.pending.delete(id);
      this.pending.set(id, st);
      this.evict();
    }
    if (st.bytes + chunk.length > this.limits.maxBytes) {
      this.pending.delete(id);
      return { status: 'discarded', reason: 'too-large' };
    }
    st.chunks.set(skf.fragmentNumber, Buffer.from(chunk));
    st.bytes += chunk.length;
    if (skf.fragmentNumber === 1) {
      st.first = skf.innerFirst;
      st.header = msg.header;
    }
    if (st.chunks.size < st.total || st.header === null) {
      return { status: 'pending', received: st.chunks.size, total: st.total };
    }
    this.pending.delete(id);
    const parts: Buffer[] = [];
    for (let i = 1; i <= st.total; i++) {
      const c = st.chunks.get(i);
      if (c === undefined) throw new AssertionError('fragment missing');
      parts.push(c);
    }
    const { payloads, ivOffset } = decodePayloadChain(new Reader(Buffer.concat(parts)), st.first);
    if (ivOffset !== null) throw new DecodeError('nested SK payload', 'ERR_IKE_SYNTAX');
    return { status: 'complete', header: st.header, payloads };
  }

  private evict(): void {
    while (this.pending.size > this.limits.maxPending) {
      const oldest = this.pending.keys().next();
      if (oldest.done === true) return;
      this.pending.delete(oldest.value);
    }
  }
}
