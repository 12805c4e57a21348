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
  const len = r.u8();
  if (len > familyBits(family)) {
    throw new NlriError(`prefix length ${len} exceeds ${familyBits(family)} for IPv${family}`);
  }
  const n = (len + 7) >> 3;
  if (n > r.remaining) throw new NlriError(`prefix /${len} needs ${n} octets, ${r.remaining} left`);
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  bytes.set(r.bytes(n));
  return { addr: { family, bytes: maskBytes(bytes, len) }, len };
}

/** Decode every prefix up to the reader's end. Throws {@link NlriError} on any syntax error. */
export function decodePrefixes(r: Reader, family: IpFamily): Prefix[] {
  const out: Prefix[] = [];
  while (!r.atEnd) out.push(decodePrefix(r, family));
  return out;
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
