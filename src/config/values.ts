/**
 * Leaf value parsers for the configuration schema: each turns one YAML scalar into its normalised
 * form or reports "what is wrong (what is expected)". Secrets are never echoed.
 */
import { z } from 'zod';
import { canonicalIp, ipFamily } from '../lib/ip/addr.js';
import { formatPrefix, parseInterfaceAddress, parsePrefix } from '../lib/ip/prefix.js';
import { formatIp } from '../lib/ip/addr.js';
import { resolveSecret, type Secret, type SecretSource } from './secret.js';

export type Fail = { readonly fail: string };
export const fail = (message: string): Fail => ({ fail: message });
function isFail(v: unknown): v is Fail {
  return typeof v === 'object' && v !== null && Object.hasOwn(v, 'fail') && !Array.isArray(v);
}

/** A short description of a YAML value's type for messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'object') return 'a map';
  return typeof v;
}

/** Show a user value in a message (never used for secrets). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeName(v);
}

/** Build a leaf schema from a parse function. `expected` describes valid input. */
export function leaf<T>(expected: string, parse: (v: unknown) => T | Fail) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `missing (expected ${expected})` });
      return z.NEVER;
    }
    const r = parse(v);
    if (isFail(r)) {
      ctx.addIssue({ code: 'custom', message: r.fail });
      return z.NEVER;
    }
    return r;
  });
}

function wrongType(v: unknown, expected: string): Fail {
  return fail(`wrong type: ${typeName(v)} (expected ${expected})`);
}

export const text = (expected = 'a non-empty string') =>
  leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    if (v === '') return fail(`empty string (expected ${expected})`);
    return v;
  });

const IDENT = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** A name used for references (policies, contexts, prefix lists, route maps). */
export const ident = (what = 'name') => {
  const expected = `a ${what}: letters, digits, "_", ".", ":", "-"`;
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    if (!IDENT.test(v)) return fail(`${show(v)} is not a valid ${what} (expected ${expected})`);
    return v;
  });
};

/** Linux interface name rules (dev_valid_name): 1–15 bytes, no "/", ":" or whitespace. */
export function ifnameProblem(name: string): string | null {
  const expected = 'at most 15 characters, no "/", ":" or whitespace';
  if (name === '' || name === '.' || name === '..') {
    return `${show(name)} is not a valid interface name (expected ${expected})`;
  }
  if (Buffer.byteLength(name) > 15) {
    return `${show(name)} is ${Buffer.byteLength(name)} characters long (expected an interface name of ${expected})`;
  }
  if (/[/:\s]/.test(name)) {
    return `${show(name)} is not a valid interface name (expected ${expected})`;
  }
  return null;
}

export const ifname = () =>
  leaf('an interface name', (v) => {
    if (typeof v !== 'string') return wrongType(v, 'an interface name');
    const p = ifnameProblem(v);
    return p === null ? v : fail(p);
  });

export const ip = (family?: 4 | 6) => {
  const expected =
    family === 4 ? 'an IPv4 address' : family === 6 ? 'an IPv6 address' : 'an IP address';
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    const c = canonicalIp(v);
    if (c === null || (family !== undefined && ipFamily(v) !== family)) {
      return fail(`${show(v)} is not ${expected} (expected ${expected})`);
    }
    return c;
  });
};

/** A network prefix with host bits clear, canonical text. */
export const prefix = () => {
  const expected = 'a prefix like 10.1.0.0/16 or 2001:db8::/32';
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    const loose = parsePrefix(v);
    if (!loose || !v.includes('/'))
      return fail(`${show(v)} is not a prefix (expected ${expected})`);
    const strict = parsePrefix(v, { strict: true });
    if (!strict) {
      return fail(`${show(v)} has host bits set (expected ${formatPrefix(loose)})`);
    }
    return formatPrefix(strict);
  });
};

/** An interface address with prefix length, host bits kept: "10.0.0.1/30". Bare address = host. */
export const ifaceAddr = () => {
  const expected = 'an address with prefix length like 10.0.0.1/30';
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    const a = parseInterfaceAddress(v);
    if (!a) return fail(`${show(v)} is not an interface address (expected ${expected})`);
    return `${formatIp(a.addr)}/${a.len}`;
  });
};

export const int = (min: number, max: number, expected = `an integer ${min}..${max}`) =>
  leaf(expected, (v) => {
    if (typeof v !== 'number') return wrongType(v, expected);
    if (!Number.isInteger(v)) return fail(`${v} is not an integer (expected ${expected})`);
    if (v < min || v > max) return fail(`${v} is out of range (expected ${expected})`);
    return v;
  });

export const bool = () =>
  leaf('true or false', (v) => (typeof v === 'boolean' ? v : wrongType(v, 'true or false')));

export function oneOf<const T extends string>(values: readonly T[], what = 'value') {
  const expected = `one of: ${values.join(', ')}`;
  return leaf(expected, (v): T | Fail => {
    if (typeof v !== 'string') return wrongType(v, expected);
    const hit = values.find((x) => x === v);
    if (hit === undefined) return fail(`${show(v)} is not a valid ${what} (expected ${expected})`);
    return hit;
  });
}

const UNIT_SEC: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parse "40s", "5m", "8h", "1h30m", "500ms" or a bare number of seconds; null if malformed. */
export function parseDurationSec(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.ceil(v) : null;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s));
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return null;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * (UNIT_SEC[m[2] ?? 's'] ?? 1);
  }
  // Round to milliseconds first so 0.1+0.2-style sums do not round up a whole second.
  return Math.ceil(Math.round(total * 1000) / 1000);
}

const DURATION = 'a duration like 40s, 5m, 8h, 500ms or a number of seconds';
export const duration = () =>
  leaf(DURATION, (v) => {
    if (typeof v !== 'number' && typeof v !== 'string') return wrongType(v, DURATION);
    const s = parseDurationSec(v);
    return s === null ? fail(`${show(v)} is not a duration (expected ${DURATION})`) : s;
  });

/** A secret: literal, `${env:NAME}` or `${file:PATH}`; resolved now, never echoed. */
export const secret = (src: SecretSource) =>
  leaf('a secret: a string, ${env:NAME} or ${file:PATH}', (v): Secret | Fail => {
    if (typeof v !== 'string') {
      return wrongType(v, 'a secret: a string, ${env:NAME} or ${file:PATH}');
    }
    const r = resolveSecret(v, src);
    return r.ok ? r.secret : fail(r.message);
  });

/** An ESP SPI: number or "0x..." hex, 256..2^32-1 (RFC 4303 §2.1: 1–255 are reserved). */
export const spi = () => {
  const expected = 'an SPI 256..4294967295 (number or 0x hex)';
  return leaf(expected, (v) => {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,8}$/.test(v)) n = parseInt(v.slice(2), 16);
    else return fail(`${show(v)} is not an SPI (expected ${expected})`);
    if (!Number.isInteger(n) || n < 256 || n > 0xffffffff) {
      return fail(`${show(v)} is out of range (expected ${expected})`);
    }
    return n;
  });
};

/** A 4-byte ASN; 0 and AS_TRANS (23456, RFC 6793) are rejected. */
export const asn = () => {
  const expected = 'an AS number 1..4294967295 other than 23456';
  return leaf(expected, (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      return typeof v === 'number'
        ? fail(`${v} is not an integer (expected ${expected})`)
        : wrongType(v, expected);
    }
    if (v === 23456) return fail(`23456 is AS_TRANS (expected ${expected})`);
    if (v < 1 || v > 4294967295) return fail(`${v} is out of range (expected ${expected})`);
    return v;
  });
};

const WELL_KNOWN_COMMUNITIES = ['no-export', 'no-advertise', 'no-export-subconfed', 'local-as'];
/** A standard community "ASN:VALUE" (16 bits each) or a well-known name. */
export const community = () => {
  const expected = `a community like 65000:100 or one of: ${WELL_KNOWN_COMMUNITIES.join(', ')}`;
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    if (WELL_KNOWN_COMMUNITIES.includes(v)) return v;
    const m = /^(\d{1,5}):(\d{1,5})$/.exec(v);
    if (m && Number(m[1]) <= 0xffff && Number(m[2]) <= 0xffff)
      return `${Number(m[1])}:${Number(m[2])}`;
    return fail(`${show(v)} is not a community (expected ${expected})`);
  });
};

/** A list of ASNs for prepending: [65001, 65001] or "65001 65001". */
export const asPathList = () => {
  const expected = 'a list of AS numbers like [65001, 65001] or "65001 65001"';
  return leaf(expected, (v) => {
    const items: unknown[] =
      typeof v === 'string' ? v.trim().split(/\s+/).map(Number) : Array.isArray(v) ? v : [v];
    const out: number[] = [];
    for (const x of items) {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 4294967295 || x === 23456) {
        return fail(`${show(v)} is not a list of AS numbers (expected ${expected})`);
      }
      out.push(x);
    }
    if (out.length === 0) return fail(`empty list (expected ${expected})`);
    return out;
  });
};

/** A regular expression (as-path match). */
export const regex = () =>
  leaf('a regular expression', (v) => {
    if (typeof v !== 'string') return wrongType(v, 'a regular expression');
    try {
      new RegExp(v);
    } catch {
      return fail(`${show(v)} is not a valid regular expression (expected a regular expression)`);
    }
    return v;
  });

/** An IKE identity: an IP address or an FQDN. */
export const ikeIdentity = () => {
  const expected = 'an IP address or an FQDN';
  return leaf(expected, (v) => {
    if (typeof v !== 'string') return wrongType(v, expected);
    const fam = ipFamily(v);
    const c = canonicalIp(v);
    if (fam !== null && c !== null)
      return { type: fam === 4 ? ('ipv4' as const) : ('ipv6' as const), value: c };
    if (
      /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
        v,
      )
    ) {
      return { type: 'fqdn' as const, value: v };
    }
    return fail(`${show(v)} is not an identity (expected ${expected})`);
  });
};

/** "127.0.0.1:9180", "[::1]:9180" or a bare port (127.0.0.1). */
export const listenAddress = () => {
  const expected = 'ADDRESS:PORT like 127.0.0.1:9180 or [::1]:9180';
  return leaf(expected, (v) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535) {
      return { host: '127.0.0.1', port: v };
    }
    if (typeof v !== 'string') return wrongType(v, expected);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (!m || host === undefined)
      return fail(`${show(v)} is not a listen address (expected ${expected})`);
    const c = canonicalIp(host);
    if (
      c === null ||
      (m[1] !== undefined && ipFamily(host) !== 6) ||
      (m[2] !== undefined && ipFamily(host) !== 4)
    ) {
      return fail(`${show(v)} is not a listen address (expected ${expected})`);
    }
    if (port < 1 || port > 65535) return fail(`port ${port} is out of range (expected 1..65535)`);
    return { host: c, port };
  });
};

/** Accept one item or a list of items; always yields a list. */
export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item));
}
