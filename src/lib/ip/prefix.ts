import { formatIp, parseIp, type IpAddr, type IpFamily } from './addr.js';

/** An IP prefix with host bits cleared. */
export interface Prefix {
  readonly addr: IpAddr;
  readonly len: number;
}

export function maxLen(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Parse "a.b.c.d/n" or "x::/n" (a bare address is a host prefix). `strict` rejects host bits. */
export function parsePrefix(s: string, opts: { strict?: boolean } = {}): Prefix | null {
  const slash = s.indexOf('/');
  const addrPart = slash < 0 ? s : s.slice(0, slash);
  const addr = parseIp(addrPart);
  if (!addr) return null;
  const max = maxLen(addr.family);
  let len = max;
  if (slash >= 0) {
    const lenPart = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenPart)) return null;
    len = Number(lenPart);
    if (len > max) return null;
  }
  const masked = maskBytes(addr.bytes, len);
  if (opts.strict && !bytesEqual(masked, addr.bytes)) return null;
  return { addr: { family: addr.family, bytes: masked }, len };
}

/** Parse an interface address "a.b.c.d/n" keeping host bits (e.g. 10.0.0.1/24). */
export function parseInterfaceAddress(s: string): { addr: IpAddr; len: number } | null {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return null;
  const max = maxLen(addr.family);
  const len = slash < 0 ? max : Number(s.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  return { addr, len };
}

export function formatPrefix(p: Prefix): string {
  return `${formatIp(p.addr)}/${p.len}`;
}

export function maskBytes(bytes: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Does prefix `p` contain address `a`? */
export function prefixContains(p: Prefix, a: IpAddr): boolean {
  if (p.addr.family !== a.family) return false;
  return bytesEqual(maskBytes(a.bytes, p.len), p.addr.bytes);
}

/** Do two prefixes share any address? */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.addr.family !== b.addr.family) return false;
  const len = Math.min(a.len, b.len);
  return bytesEqual(maskBytes(a.addr.bytes, len), maskBytes(b.addr.bytes, len));
}

export function prefixEquals(a: Prefix, b: Prefix): boolean {
  return (
    a.len === b.len && a.addr.family === b.addr.family && bytesEqual(a.addr.bytes, b.addr.bytes)
  );
}
