import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

/** An IP address as family + network-order bytes (4 or 16). */
export interface IpAddr {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

export function ipFamily(s: string): IpFamily | null {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return null;
}

export function parseIp(s: string): IpAddr | null {
  if (isIPv4(s)) {
    const parts = s.split('.').map(Number);
    return { family: 4, bytes: Uint8Array.from(parts) };
  }
  if (isIPv6(s)) return { family: 6, bytes: parseIpv6(s) };
  return null;
}

export function mustParseIp(s: string): IpAddr {
  const a = parseIp(s);
  if (!a) throw new Error(`not an IP address: ${s}`);
  return a;
}

function parseIpv6(s: string): Uint8Array {
  let str = s;
  const out = new Uint8Array(16);
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  const lastColon = str.lastIndexOf(':');
  const tail = str.slice(lastColon + 1);
  let tailBytes: number[] = [];
  if (tail.includes('.')) {
    tailBytes = tail.split('.').map(Number);
    str = `${str.slice(0, lastColon + 1)}0:0`;
  }
  const halves = str.split('::');
  const head = halves[0] ?? '';
  const rest = halves[1];
  const h = head === '' ? [] : head.split(':');
  const t = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tailBytes.length === 4) out.set(tailBytes, 12);
  return out;
}

export function formatIp(a: IpAddr): string {
  if (a.family === 4) return Array.from(a.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a.bytes[i] ?? 0) << 8) | (a.bytes[i + 1] ?? 0));
  // RFC 5952: compress the longest run (>= 2) of zero groups, leftmost on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hexes.join(':');
  const left = hexes.slice(0, bestStart).join(':');
  const right = hexes.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export function ipFromBytes(bytes: Uint8Array): IpAddr {
  if (bytes.length === 4) return { family: 4, bytes: Uint8Array.from(bytes) };
  if (bytes.length === 16) return { family: 6, bytes: Uint8Array.from(bytes) };
  throw new Error(`bad address length ${bytes.length}`);
}

export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  if (a.family !== b.family) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/** Canonical text form (RFC 5952 for IPv6), or null when not an address. */
export function canonicalIp(s: string): string | null {
  const a = parseIp(s);
  return a ? formatIp(a) : null;
}
