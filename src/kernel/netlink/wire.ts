/**
 * Netlink framing (linux/netlink.h, RFC 3549 §2.3.2): `struct nlmsghdr`, attribute TLVs
 * (`struct nlattr` / `struct rtattr`, identical layout) with NLA_ALIGNTO = 4 padding, nested
 * attributes, NLMSG_ERROR with extended ACK TLVs, NLMSG_DONE ending a multipart dump.
 *
 * Netlink uses host byte order; every supported host (x86_64, arm64) is little-endian, so the
 * codecs read and write little-endian. Network addresses inside attributes are big-endian bytes.
 *
 *   struct nlmsghdr {            struct nlattr {
 *     __u32 nlmsg_len;             __u16 nla_len;    // header + payload, unpadded
 *     __u16 nlmsg_type;            __u16 nla_type;   // NLA_F_NESTED | NLA_F_NET_BYTEORDER | type
 *     __u16 nlmsg_flags;         };                  // payload, then pad to 4
 *     __u32 nlmsg_seq;
 *     __u32 nlmsg_pid;           struct nlmsgerr { int error; struct nlmsghdr msg; }
 *   };                            // + original payload unless NLM_F_CAPPED, + TLVs if NLM_F_ACK_TLVS
 */
import { Writer } from '../../lib/bytes/writer.js';
import { DecodeError } from '../../lib/errors.js';
import {
  NLA_F_NESTED,
  NLA_TYPE_MASK,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NlmF,
} from './constants.js';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** A decoded netlink message; `payload` is a view into the received buffer (no copy). */
export interface NlMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

export interface NlAttr {
  /** Attribute type with NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off. */
  readonly type: number;
  readonly nested: boolean;
  readonly value: Buffer;
}

/**
 * Growable little-endian writer for netlink requests: the byte Writer of lib/bytes with host
 * (little-endian) integers. Messages and nests are opened with `beginMessage`/`beginNest` and
 * closed with `end*`, which patch the length fields, so a batch of many messages is built in one
 * buffer and handed to one send.
 */
export class NlWriter extends Writer {
  constructor(size = 1024) {
    super(size);
  }

  override u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  override u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** Zero padding up to the next 4-byte boundary. */
  pad(): this {
    return this.zeros(align4(this.pos) - this.pos);
  }

  /** Start a message; returns its offset for {@link endMessage}. */
  beginMessage(type: number, flags: number, seq: number, pid = 0): number {
    const at = this.pos;
    this.u32(0).u16(type).u16(flags).u32(seq).u32(pid);
    return at;
  }

  endMessage(at: number): void {
    this.pad();
    this.buf.writeUInt32LE(this.pos - at, at);
  }

  attr(type: number, value: Uint8Array): this {
    this.u16(NLA_HDRLEN + value.length)
      .u16(type)
      .bytes(value);
    return this.pad();
  }

  attrFlag(type: number): this {
    return this.u16(NLA_HDRLEN).u16(type);
  }

  attrU8(type: number, v: number): this {
    return this.u16(NLA_HDRLEN + 1)
      .u16(type)
      .u8(v)
      .pad();
  }

  attrU16(type: number, v: number): this {
    return this.u16(NLA_HDRLEN + 2)
      .u16(type)
      .u16(v)
      .pad();
  }

  attrU32(type: number, v: number): this {
    return this.u16(NLA_HDRLEN + 4)
      .u16(type)
      .u32(v);
  }

  /** NUL-terminated string attribute (IFLA_IFNAME and friends). */
  attrString(type: number, s: string): this {
    const b = Buffer.from(`${s}\0`, 'utf8');
    return this.attr(type, b);
  }

  beginNest(type: number): number {
    const at = this.pos;
    this.u16(0).u16(type | NLA_F_NESTED);
    return at;
  }

  endNest(at: number): void {
    this.buf.writeUInt16LE(this.pos - at, at);
    this.pad();
  }
}

/**
 * Split a received datagram (or several concatenated) into messages. Throws DecodeError when a
 * length field is impossible; trailing bytes shorter than a header are rejected too.
 */
export function decodeMessages(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < NLMSG_HDRLEN) {
      throw new DecodeError(`netlink: ${buf.length - pos} trailing bytes, short of a header`);
    }
    const len = buf.readUInt32LE(pos);
    if (len < NLMSG_HDRLEN || len > buf.length - pos) {
      throw new DecodeError(`netlink: bad nlmsg_len ${len} at offset ${pos}`);
    }
    out.push({
      type: buf.readUInt16LE(pos + 4),
      flags: buf.readUInt16LE(pos + 6),
      seq: buf.readUInt32LE(pos + 8),
      pid: buf.readUInt32LE(pos + 12),
      payload: buf.subarray(pos + NLMSG_HDRLEN, pos + len),
    });
    pos += Math.min(align4(len), buf.length - pos);
  }
  return out;
}

/** Decode a run of attributes; the last one may omit its trailing padding. */
export function decodeAttrs(buf: Buffer, start = 0, end = buf.length): NlAttr[] {
  const out: NlAttr[] = [];
  let pos = start;
  while (pos < end) {
    if (end - pos < NLA_HDRLEN) throw new DecodeError(`netlink attribute: ${end - pos} bytes left`);
    const len = buf.readUInt16LE(pos);
    const rawType = buf.readUInt16LE(pos + 2);
    if (len < NLA_HDRLEN || len > end - pos) {
      throw new DecodeError(`netlink attribute ${rawType & NLA_TYPE_MASK}: bad length ${len}`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: buf.subarray(pos + NLA_HDRLEN, pos + len),
    });
    pos += Math.min(align4(len), end - pos);
  }
  return out;
}

/** Attributes by type (the last occurrence wins, as in the kernel's nla_parse). */
export function attrMap(attrs: readonly NlAttr[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of attrs) m.set(a.type, a.value);
  return m;
}

/** Typed attribute readers; each checks the length the kernel header prescribes. */
export function attrU32(v: Buffer | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (v.length < 4) throw new DecodeError(`${what}: expected u32, got ${v.length} bytes`);
  return v.readUInt32LE(0);
}

export function attrU16(v: Buffer | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (v.length < 2) throw new DecodeError(`${what}: expected u16, got ${v.length} bytes`);
  return v.readUInt16LE(0);
}

export function attrU8(v: Buffer | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (v.length < 1) throw new DecodeError(`${what}: expected u8, got 0 bytes`);
  return v[0];
}

/** NUL-terminated (or unterminated) string. */
export function attrString(v: Buffer | undefined): string | undefined {
  if (v === undefined) return undefined;
  const nul = v.indexOf(0);
  return v.toString('utf8', 0, nul < 0 ? v.length : nul);
}

export function needBytes(buf: Buffer, n: number, what: string): void {
  if (buf.length < n) throw new DecodeError(`${what}: need ${n} bytes, have ${buf.length}`);
}

/** A decoded NLMSG_ERROR: `errno` 0 is an ACK; otherwise the positive errno. */
export interface NlError {
  readonly errno: number;
  /** Header of the request this answers. */
  readonly request: { type: number; flags: number; seq: number; pid: number };
  /** Extended ACK text (NLMSGERR_ATTR_MSG), e.g. "Nexthop device is not up". */
  readonly message: string | null;
  /** Offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  readonly offset: number | null;
}

export function decodeError(msg: NlMsg): NlError {
  const p = msg.payload;
  needBytes(p, 4 + NLMSG_HDRLEN, 'NLMSG_ERROR');
  const error = p.readInt32LE(0);
  if (error > 0) throw new DecodeError(`NLMSG_ERROR: positive error ${error}`);
  const origLen = p.readUInt32LE(4);
  const request = {
    type: p.readUInt16LE(8),
    flags: p.readUInt16LE(10),
    seq: p.readUInt32LE(12),
    pid: p.readUInt32LE(16),
  };
  let message: string | null = null;
  let offset: number | null = null;
  if ((msg.flags & NlmF.ACK_TLVS) !== 0) {
    // The original message follows the header in full unless the kernel capped it.
    const capped = (msg.flags & NlmF.CAPPED) !== 0 || error === 0;
    let tlvStart = 4 + (capped ? NLMSG_HDRLEN : align4(origLen));
    if (!capped && origLen < NLMSG_HDRLEN) throw new DecodeError('NLMSG_ERROR: bad inner length');
    tlvStart = Math.min(tlvStart, p.length);
    const attrs = attrMap(decodeAttrs(p, tlvStart));
    message = attrString(attrs.get(NLMSGERR_ATTR_MSG)) ?? null;
    offset = attrU32(attrs.get(NLMSGERR_ATTR_OFFS), 'NLMSGERR_ATTR_OFFS') ?? null;
  }
  return { errno: error === 0 ? 0 : -error, request, message, offset };
}

/** NLMSG_DONE carries an int error since Linux 4.x (0 normally; negative if the dump failed). */
export function decodeDone(msg: NlMsg): number {
  if (msg.type !== NLMSG_DONE || msg.payload.length < 4) return 0;
  const e = msg.payload.readInt32LE(0);
  return e === 0 ? 0 : -e;
}

export function isError(msg: NlMsg): boolean {
  return msg.type === NLMSG_ERROR;
}
