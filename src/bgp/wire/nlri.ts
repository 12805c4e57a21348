/**
 * NLRI prefix encoding: RFC 4271 §4.3 (IPv4 NLRI / withdrawn routes) and RFC 4760 §5 (the same
 * <length, prefix> encoding inside MP_REACH_NLRI / MP_UNREACH_NLRI).
 *
 *   +---------------------------+
 *   |   Length (1 octet, bits)  |
 *   +---------------------------+
 *   |   Prefix (ceil(len/8))    |
 *   +---------------------------+
 *
 * RFC 7606 §5.3: an NLRI field is syntactically incorrect when a prefix length exceeds the
 * family's maximum or the field does not end where the last prefix ends.
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { DecodeError } from '../../lib/errors.js';
import type { IpFamily } from '../../lib/ip/addr.js';
import { maskBytes, type Prefix } from '../../lib/ip/prefix.js';

/** A syntactically incorrect NLRI / withdrawn-routes field (RFC 7606 §5.3). */
export class NlriError extends DecodeError {
  constructor(message: string) {
    super(message, 'ERR_BGP_NLRI');
  }
}

function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Decode one prefix. Host bits beyond the length are cleared (RFC 4271 §4.3: "irrelevant"). */
export function decodePrefix(r: Reader, family: IpFamily): Prefix {
  return decodePrefixInto(r, family, new Uint8Array(family === 4 ? 4 : 16));
}

/** Decode one prefix into `bytes` (zeroed, the family's size). */
function decodePrefixInto(r: Reader, family: IpFamily, bytes: Uint8Array): Prefix {
  const len = r.u8();
  if (len > familyBits(family)) {
    throw new NlriError(`prefix length ${len} exceeds ${familyBits(family)} for IPv${family}`);
  }
  const n = (len + 7) >> 3;
  if (n > r.remaining) throw new NlriError(`prefix /${len} needs ${n} octets, ${r.remaining} left`);
  // Copy, then clear the host bits (no intermediate arrays: a full table is 100k+ prefixes).
  const buf = r.buf;
  const at = r.pos;
  r.skip(n);
  for (let i = 0; i < n; i++) bytes[i] = buf[at + i] ?? 0;
  const rem = len & 7;
  if (rem !== 0) bytes[n - 1] = (bytes[n - 1] ?? 0) & ((0xff << (8 - rem)) & 0xff);
  return { addr: { family, bytes }, len };
}

/**
 * Decode every prefix up to the reader's end. Throws {@link NlriError} on any syntax error. The
 * address bytes of all the prefixes are views of one buffer (one allocation per field, not two
 * per prefix).
 */
export function decodePrefixes(r: Reader, family: IpFamily): Prefix[] {
  const size = family === 4 ? 4 : 16;
  const count = countPrefixes(r);
  const store = new ArrayBuffer(size * count);
  const out: Prefix[] = [];
  while (!r.atEnd) {
    const bytes =
      out.length < count ? new Uint8Array(store, out.length * size, size) : new Uint8Array(size);
    out.push(decodePrefixInto(r, family, bytes));
  }
  return out;
}

/** How many prefixes the length octets up to the end announce (syntax is checked on decode). */
function countPrefixes(r: Reader): number {
  const buf = r.buf;
  let n = 0;
  for (let at = r.pos; at < r.end; n++) at += 1 + (((buf[at] ?? 0) + 7) >> 3);
  return n;
}

export function prefixLength(p: Prefix): number {
  return 1 + ((p.len + 7) >> 3);
}

export function prefixesLength(ps: readonly Prefix[]): number {
  let n = 0;
  for (const p of ps) n += prefixLength(p);
  return n;
}

export function encodePrefix(w: Writer, p: Prefix): void {
  const n = (p.len + 7) >> 3;
  w.u8(p.len);
  w.bytes(maskBytes(p.addr.bytes, p.len).subarray(0, n));
}

export function encodePrefixes(w: Writer, ps: readonly Prefix[]): void {
  for (const p of ps) encodePrefix(w, p);
}
