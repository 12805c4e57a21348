import { fromHex } from '../../../src/lib/bytes/index.js';
import type { Prefix } from '../../../src/lib/ip/prefix.js';
import { formatPrefix, parsePrefix } from '../../../src/lib/ip/prefix.js';

/** A whole message: 16×0xff marker, length, type, body. */
export function msg(type: number, bodyHex: string): Buffer {
  const body = fromHex(bodyHex);
  const h = Buffer.alloc(19, 0xff);
  h.writeUInt16BE(19 + body.length, 16);
  h[18] = type;
  return Buffer.concat([h, body]);
}

export function pfx(s: string): Prefix {
  const p = parsePrefix(s);
  if (!p) throw new Error(`bad prefix ${s}`);
  return p;
}

export function pfxs(ps: readonly Prefix[]): string[] {
  return ps.map(formatPrefix);
}

/** UPDATE body from withdrawn hex, attribute hex and NLRI hex (lengths computed). */
export function updateBody(withdrawnHex: string, attrsHex: string, nlriHex = ''): string {
  const w = fromHex(withdrawnHex);
  const a = fromHex(attrsHex);
  const wl = w.length.toString(16).padStart(4, '0');
  const al = a.length.toString(16).padStart(4, '0');
  return `${wl}${w.toString('hex')}${al}${a.toString('hex')}${nlriHex.replace(/\s/g, '')}`;
}
