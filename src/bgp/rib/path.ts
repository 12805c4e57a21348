/**
 * The RIB's view of a route: an immutable {@link Path} with normalised attributes (RFC 4271 §5,
 * RFC 1997 communities, RFC 8092 large communities, RFC 4760 MP next hop), its source and the
 * helpers the decision process needs (RFC 4271 §9.1.2.2 a AS_PATH length).
 */
import type { IpAddr } from '../../lib/ip/addr.js';
import { formatIp } from '../../lib/ip/addr.js';
import type { Prefix } from '../../lib/ip/prefix.js';
import { formatPrefix } from '../../lib/ip/prefix.js';
import { AsPathSegmentType, Origin } from '../wire/constants.js';
import {
  asPathLength as wireAsPathLength,
  firstAs,
  formatAsPath,
} from '../wire/attributes/as-path.js';
import type {
  AsPathSegment,
  LargeCommunity,
  PathAttribute,
  UnknownAttr,
} from '../wire/attributes/types.js';

export type Family = 'ipv4-unicast' | 'ipv6-unicast';

/** RFC 4271 §9.1.2.2 step e/f default when LOCAL_PREF is absent (Catalyst `bgp default local-preference`). */
export const DEFAULT_LOCAL_PREF = 100;

/** Normalised path attributes: what the decision process, policy and export use. */
export interface PathAttrs {
  readonly origin: number;
  readonly asPath: readonly AsPathSegment[];
  /** NEXT_HOP (IPv4) or the first MP_REACH next hop; undefined for locally originated paths. */
  readonly nextHop: IpAddr | undefined;
  readonly med: number | undefined;
  readonly localPref: number | undefined;
  /** RFC 1997 values, sorted ascending without duplicates. */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly atomicAggregate: boolean;
  readonly aggregator: { readonly asn: number; readonly address: IpAddr } | undefined;
  readonly originatorId: number | undefined;
  readonly clusterList: readonly number[];
  /** Unrecognised optional transitive attributes, passed on (RFC 4271 §5). */
  readonly unknown: readonly UnknownAttr[];
}

/** Where a path came from: a neighbor session, or this router (networks, redistribution). */
export interface PathSource {
  readonly kind: 'peer' | 'local';
  /** Neighbor address in canonical text form ('0.0.0.0' / '::' for local). */
  readonly address: string;
  /** Neighbor AS (our own AS for local and iBGP paths). */
  readonly asn: number;
  /** BGP Identifier of the neighbor as an unsigned 32-bit number. */
  readonly routerId: number;
  readonly isIbgp: boolean;
  /** Routing context (VRF-like table) the session belongs to; undefined = the global one. */
  readonly routingContext: string | undefined;
}

export interface PathFlags {
  /** Locally originated by `network` (origin IGP) or `redistribute` (origin INCOMPLETE). */
  readonly local: 'network' | 'static' | 'connected' | undefined;
  /** Result of the loop check (RFC 4271 §9.1.2 / allowas-in); such paths never reach Loc-RIB. */
  readonly asLoop: boolean;
}

export interface Path {
  readonly prefix: Prefix;
  readonly family: Family;
  readonly attrs: PathAttrs;
  readonly source: PathSource;
  /** Clock time (ms) the path was received or originated; used by the "oldest eBGP" step. */
  readonly receivedAt: number;
  readonly flags: PathFlags;
  /** {@link attrKey} of `attrs`, computed once. */
  readonly key: string;
}

export function familyOfPrefix(p: Prefix): Family {
  return p.addr.family === 4 ? 'ipv4-unicast' : 'ipv6-unicast';
}

export function emptyAttrs(origin: number = Origin.IGP): PathAttrs {
  return {
    origin,
    asPath: [],
    nextHop: undefined,
    med: undefined,
    localPref: undefined,
    communities: [],
    largeCommunities: [],
    atomicAggregate: false,
    aggregator: undefined,
    originatorId: undefined,
    clusterList: [],
    unknown: [],
  };
}

function sortedUnique(xs: readonly number[]): number[] {
  return [...new Set(xs.map((x) => x >>> 0))].sort((a, b) => a - b);
}

/** Canonical community list: unsigned, sorted, unique. */
export function normaliseCommunities(xs: readonly number[]): readonly number[] {
  return sortedUnique(xs);
}

/**
 * Build normalised attributes from decoded UPDATE attributes. `family` selects the next hop:
 * NEXT_HOP for IPv4 unicast, the first MP_REACH_NLRI next hop otherwise (RFC 4760 §3, RFC 2545).
 */
export function normaliseAttrs(attrs: readonly PathAttribute[], family: Family): PathAttrs {
  // Every NLRI of one UPDATE carries the same attribute list: normalise it once per family.
  let memo = normalisedCache.get(attrs);
  if (memo === undefined) {
    memo = {};
    normalisedCache.set(attrs, memo);
  }
  let v = memo[family];
  if (v === undefined) {
    v = computeNormalisedAttrs(attrs, family);
    memo[family] = v;
  }
  return v;
}

const normalisedCache = new WeakMap<
  readonly PathAttribute[],
  { -readonly [F in Family]?: PathAttrs }
>();

function computeNormalisedAttrs(attrs: readonly PathAttribute[], family: Family): PathAttrs {
  let out = { ...emptyAttrs(Origin.INCOMPLETE) };
  let v4Hop: IpAddr | undefined;
  let mpHop: IpAddr | undefined;
  const unknown: UnknownAttr[] = [];
  for (const a of attrs) {
    switch (a.type) {
      case 'ORIGIN':
        out = { ...out, origin: a.origin };
        break;
      case 'AS_PATH':
        out = { ...out, asPath: a.segments };
        break;
      case 'NEXT_HOP':
        v4Hop = a.nextHop;
        break;
      case 'MP_REACH_NLRI':
        mpHop = a.nextHops[0];
        break;
      case 'MULTI_EXIT_DISC':
        out = { ...out, med: a.med };
        break;
      case 'LOCAL_PREF':
        out = { ...out, localPref: a.localPref };
        break;
      case 'ATOMIC_AGGREGATE':
        out = { ...out, atomicAggregate: true };
        break;
      case 'AGGREGATOR':
        out = { ...out, aggregator: { asn: a.asn, address: a.address } };
        break;
      case 'COMMUNITIES':
        out = { ...out, communities: sortedUnique(a.communities) };
        break;
      case 'LARGE_COMMUNITY':
        out = { ...out, largeCommunities: a.communities };
        break;
      case 'ORIGINATOR_ID':
        out = { ...out, originatorId: a.originatorId };
        break;
      case 'CLUSTER_LIST':
        out = { ...out, clusterList: a.clusterIds };
        break;
      case 'UNKNOWN':
        unknown.push(a);
        break;
      case 'MP_UNREACH_NLRI':
      case 'AS4_PATH':
      case 'AS4_AGGREGATOR':
        break;
    }
  }
  const nextHop = family === 'ipv4-unicast' ? (v4Hop ?? mpHop) : (mpHop ?? v4Hop);
  return { ...out, nextHop, unknown: unknown.sort((a, b) => a.code - b.code) };
}

/**
 * `attrs` with `nextHop` as the next hop: one object per (attrs, next-hop object) pair, so the NLRI
 * of one UPDATE (same normalised attributes, same next hop) share it.
 */
export function withNextHop(attrs: PathAttrs, nextHop: IpAddr | undefined): PathAttrs {
  if (attrs.nextHop === nextHop) return attrs;
  const hit = nextHopCache.get(attrs);
  if (hit && hit.nextHop === nextHop) return hit.value;
  const value: PathAttrs = { ...attrs, nextHop };
  nextHopCache.set(attrs, { nextHop, value });
  return value;
}

const nextHopCache = new WeakMap<
  PathAttrs,
  { readonly nextHop: IpAddr | undefined; readonly value: PathAttrs }
>();

/** RFC 4271 §9.1.2.2(a): AS_SEQUENCE counts each AS, AS_SET counts 1, confed segments 0. */
export function asPathLength(attrs: PathAttrs): number {
  return wireAsPathLength(attrs.asPath);
}

/** Neighbor AS for the MED comparison (RFC 4271 §9.1.2.2 c): first AS of the path, if any. */
export function neighborAs(attrs: PathAttrs): number | undefined {
  return firstAs(attrs.asPath);
}

/** How many times `asn` appears anywhere in the AS_PATH (for loop detection / allowas-in). */
export function asPathCount(attrs: PathAttrs, asn: number): number {
  let n = 0;
  for (const s of attrs.asPath) for (const a of s.asns) if (a === asn) n++;
  return n;
}

export function effectiveLocalPref(attrs: PathAttrs): number {
  return attrs.localPref ?? DEFAULT_LOCAL_PREF;
}

/** Plain-text AS_PATH rendering (also the subject of AS-path regular expressions). */
export function asPathText(attrs: PathAttrs): string {
  let t = textCache.get(attrs.asPath);
  if (t === undefined) {
    t = formatAsPath(attrs.asPath);
    textCache.set(attrs.asPath, t);
  }
  return t;
}

const textCache = new WeakMap<readonly AsPathSegment[], string>();

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Stable key for the attribute set: equal keys ⇔ the same attributes would be sent, so paths can
 * be grouped into one UPDATE and Adj-RIB-Out can tell whether anything changed.
 */
export function attrKey(a: PathAttrs): string {
  // One UPDATE's NLRI share one attrs object: compute its key once.
  let k = keyCache.get(a);
  if (k === undefined) {
    k = computeAttrKey(a);
    keyCache.set(a, k);
  }
  return k;
}

const keyCache = new WeakMap<PathAttrs, string>();

function computeAttrKey(a: PathAttrs): string {
  const segs = a.asPath.map((s) => `${s.type}:${s.asns.join('.')}`).join('/');
  const large = a.largeCommunities
    .map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`)
    .join(',');
  const unknown = a.unknown.map((u) => `${u.code}.${u.flags}.${hex(u.value)}`).join(',');
  return [
    `o${a.origin}`,
    `p${segs}`,
    `n${a.nextHop ? ipText(a.nextHop) : '-'}`,
    `m${a.med ?? '-'}`,
    `l${a.localPref ?? '-'}`,
    `c${a.communities.join(',')}`,
    `L${large}`,
    `A${a.atomicAggregate ? 1 : 0}`,
    `g${a.aggregator ? `${a.aggregator.asn}@${formatIp(a.aggregator.address)}` : '-'}`,
    `r${a.originatorId ?? '-'}`,
    `k${a.clusterList.join(',')}`,
    `u${unknown}`,
  ].join('|');
}

/** Canonical text of a prefix, the map key used by every RIB (cached per prefix object). */
export function prefixKey(p: Prefix): string {
  let k = prefixKeyCache.get(p);
  if (k === undefined) {
    const b = p.addr.bytes;
    // IPv4 (the bulk case) without formatIp's array round trip; the same text.
    k =
      p.addr.family === 4 && b.length === 4
        ? `${String(b[0])}.${String(b[1])}.${String(b[2])}.${String(b[3])}/${String(p.len)}`
        : formatPrefix(p);
    prefixKeyCache.set(p, k);
  }
  return k;
}

const prefixKeyCache = new WeakMap<Prefix, string>();

/** Canonical text of an address (cached per address object: one per UPDATE next hop). */
export function ipText(a: IpAddr): string {
  let t = ipTextCache.get(a);
  if (t === undefined) {
    t = formatIp(a);
    ipTextCache.set(a, t);
  }
  return t;
}

const ipTextCache = new WeakMap<IpAddr, string>();

/** Identity of a path's source within one destination: one path per neighbor (no ADD-PATH). */
export function sourceKey(s: PathSource): string {
  if (s.kind === 'local') return 'local';
  // One source object per session: build its key once.
  let k = sourceKeyCache.get(s);
  if (k === undefined) {
    k = `${s.routingContext ?? ''}/${s.address}`;
    sourceKeyCache.set(s, k);
  }
  return k;
}

const sourceKeyCache = new WeakMap<PathSource, string>();

export interface MakePathInput {
  readonly prefix: Prefix;
  readonly attrs: PathAttrs;
  readonly source: PathSource;
  readonly receivedAt: number;
  readonly flags?: Partial<PathFlags>;
}

/** The flags of a received path that passed the loop check (shared: paths are immutable). */
const PEER_FLAGS: PathFlags = Object.freeze({ local: undefined, asLoop: false });

export function makePath(i: MakePathInput): Path {
  const f = i.flags;
  return Object.freeze({
    prefix: i.prefix,
    family: familyOfPrefix(i.prefix),
    attrs: i.attrs,
    source: i.source,
    receivedAt: i.receivedAt,
    flags:
      f === undefined || (f.local === undefined && f.asLoop !== true)
        ? PEER_FLAGS
        : { local: f.local, asLoop: f.asLoop ?? false },
    key: attrKey(i.attrs),
  });
}

/**
 * Are two attribute sets the same by their parts (each list compared by reference, next hops by
 * value)? Cheap enough to run per route: it lets the NLRI of one UPDATE, which arrive as separate
 * but equal objects, share one attribute object (and one {@link attrKey}).
 */
export function sameAttrParts(a: PathAttrs, b: PathAttrs): boolean {
  if (a === b) return true;
  return (
    a.origin === b.origin &&
    a.asPath === b.asPath &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    a.communities === b.communities &&
    a.largeCommunities === b.largeCommunities &&
    a.atomicAggregate === b.atomicAggregate &&
    a.aggregator === b.aggregator &&
    a.originatorId === b.originatorId &&
    a.clusterList === b.clusterList &&
    a.unknown === b.unknown &&
    sameAddr(a.nextHop, b.nextHop)
  );
}

function sameAddr(a: IpAddr | undefined, b: IpAddr | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.family !== b.family) return false;
  const x = a.bytes;
  const y = b.bytes;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A copy of the path with new attributes (policy results); the key is recomputed. */
export function withAttrs(p: Path, attrs: PathAttrs): Path {
  return Object.freeze({ ...p, attrs, key: attrKey(attrs) });
}

/** Prepend `asns` to the AS_PATH (into the leading AS_SEQUENCE when there is one, RFC 4271 §5.1.2). */
export function prependAsns(
  path: readonly AsPathSegment[],
  asns: readonly number[],
): AsPathSegment[] {
  if (asns.length === 0) return path.slice();
  const first = path[0];
  if (
    first &&
    first.type === AsPathSegmentType.AS_SEQUENCE &&
    first.asns.length + asns.length <= 255
  ) {
    return [{ type: first.type, asns: [...asns, ...first.asns] }, ...path.slice(1)];
  }
  return [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [...asns] }, ...path];
}

/** Total order on prefixes: IPv4 before IPv6, then address bytes, then length ("lowest first"). */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  if (a.addr.family !== b.addr.family) return a.addr.family - b.addr.family;
  const x = a.addr.bytes;
  const y = b.addr.bytes;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.len - b.len;
}

/** Dotted-quad router id → unsigned 32-bit number (0 when unparsable). */
export function routerIdNumber(s: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return 0;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}
