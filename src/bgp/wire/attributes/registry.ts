/**
 * The path attribute registry (BIRD's bgp_attr_table + GoBGP's per-attribute RFC 7606 action).
 *
 * | code | attribute         | flags | malformed → (RFC 7606 §7)                         |
 * |------|-------------------|-------|---------------------------------------------------|
 * | 1    | ORIGIN            | WK    | treat-as-withdraw (§7.1)                          |
 * | 2    | AS_PATH           | WK    | treat-as-withdraw (§7.2)                          |
 * | 3    | NEXT_HOP          | WK    | treat-as-withdraw (§7.3)                          |
 * | 4    | MULTI_EXIT_DISC   | ON    | treat-as-withdraw (§7.4)                          |
 * | 5    | LOCAL_PREF        | WK    | treat-as-withdraw (§7.5)                          |
 * | 6    | ATOMIC_AGGREGATE  | WK    | attribute-discard (§7.6)                          |
 * | 7    | AGGREGATOR        | OT    | attribute-discard (§7.7)                          |
 * | 8    | COMMUNITIES       | OT    | treat-as-withdraw (§7.8)                          |
 * | 9    | ORIGINATOR_ID     | ON    | treat-as-withdraw (§7.9)                          |
 * | 10   | CLUSTER_LIST      | ON    | treat-as-withdraw (§7.10)                         |
 * | 14   | MP_REACH_NLRI     | ON    | afisafi-disable / session-reset (§7.11, §5.3)     |
 * | 15   | MP_UNREACH_NLRI   | ON    | afisafi-disable / session-reset (§7.11, §5.3)     |
 * | 17   | AS4_PATH          | OT    | attribute-discard (RFC 6793 §6)                   |
 * | 18   | AS4_AGGREGATOR    | OT    | attribute-discard (RFC 6793 §6)                   |
 * | 32   | LARGE_COMMUNITY   | OT    | treat-as-withdraw (RFC 8092 §6)                   |
 *
 * WK = well-known (transitive), ON = optional non-transitive, OT = optional transitive.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import type { IpAddr } from '../../../lib/ip/addr.js';
import { AS_TRANS, AttrFlag, AttrType, Origin, UpdateErrorSubcode } from '../constants.js';
import type { BgpCodecContext } from '../header.js';
import { decodeSegments, encodeSegments, isConfedSegment, segmentsLength } from './as-path.js';
import {
  decodeMpReach,
  decodeMpUnreach,
  encodeMpReach,
  encodeMpUnreach,
  mpReachLength,
  mpUnreachLength,
} from './mp-nlri.js';
import {
  AttrError,
  type AttrSpec,
  type KnownAttrType,
  type PathAttribute,
  type UnknownAttr,
} from './types.js';

const WK = AttrFlag.TRANSITIVE;
const ON = AttrFlag.OPTIONAL;
const OT = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

function lengthIs(r: Reader, n: number, what: string): void {
  if (r.remaining !== n) {
    throw new AttrError(
      UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR,
      `${what} length ${r.remaining}, expected ${n}`,
    );
  }
}

function lengthMultiple(r: Reader, n: number, what: string): void {
  if (r.remaining === 0 || r.remaining % n !== 0) {
    throw new AttrError(
      UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR,
      `${what} length ${r.remaining} is not a non-zero multiple of ${n}`,
    );
  }
}

function ipv4(r: Reader): IpAddr {
  return { family: 4, bytes: Uint8Array.from(r.bytes(4)) };
}

/**
 * RFC 4271 §6.3 leaves "syntactically incorrect" NEXT_HOP to the implementation; we reject the
 * addresses that can never be a next hop: 0/8, 127/8, multicast 224/4 and class E / broadcast 240/4.
 */
export function isBadIpv4NextHop(a: IpAddr): boolean {
  const b0 = a.bytes[0] ?? 0;
  return b0 === 0 || b0 === 127 || b0 >= 224;
}

const asnBytes = (ctx: BgpCodecContext): 2 | 4 => (ctx.as4 ? 4 : 2);

const SPECS = [
  {
    code: AttrType.ORIGIN,
    type: 'ORIGIN',
    flags: WK,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 1, 'ORIGIN');
      const origin = r.u8();
      if (origin > Origin.INCOMPLETE) {
        throw new AttrError(UpdateErrorSubcode.INVALID_ORIGIN_ATTRIBUTE, `ORIGIN value ${origin}`);
      }
      return { type: 'ORIGIN', flags, origin };
    },
    encode: (w, a) => w.u8(a.origin),
    valueLength: () => 1,
  } satisfies AttrSpec<'ORIGIN'>,
  {
    code: AttrType.AS_PATH,
    type: 'AS_PATH',
    flags: WK,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags, ctx) => ({
      type: 'AS_PATH',
      flags,
      segments: decodeSegments(r, asnBytes(ctx)),
    }),
    encode: (w, a, ctx) => {
      encodeSegments(w, a.segments, asnBytes(ctx));
    },
    valueLength: (a, ctx) => segmentsLength(a.segments, asnBytes(ctx)),
  } satisfies AttrSpec<'AS_PATH'>,
  {
    code: AttrType.NEXT_HOP,
    type: 'NEXT_HOP',
    flags: WK,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 4, 'NEXT_HOP');
      const nextHop = ipv4(r);
      if (isBadIpv4NextHop(nextHop)) {
        throw new AttrError(
          UpdateErrorSubcode.INVALID_NEXT_HOP_ATTRIBUTE,
          `NEXT_HOP ${nextHop.bytes.join('.')}`,
        );
      }
      return { type: 'NEXT_HOP', flags, nextHop };
    },
    encode: (w, a) => w.bytes(a.nextHop.bytes),
    valueLength: () => 4,
  } satisfies AttrSpec<'NEXT_HOP'>,
  {
    code: AttrType.MULTI_EXIT_DISC,
    type: 'MULTI_EXIT_DISC',
    flags: ON,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 4, 'MULTI_EXIT_DISC');
      return { type: 'MULTI_EXIT_DISC', flags, med: r.u32() };
    },
    encode: (w, a) => w.u32(a.med),
    valueLength: () => 4,
  } satisfies AttrSpec<'MULTI_EXIT_DISC'>,
  {
    code: AttrType.LOCAL_PREF,
    type: 'LOCAL_PREF',
    flags: WK,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 4, 'LOCAL_PREF');
      return { type: 'LOCAL_PREF', flags, localPref: r.u32() };
    },
    encode: (w, a) => w.u32(a.localPref),
    valueLength: () => 4,
  } satisfies AttrSpec<'LOCAL_PREF'>,
  {
    code: AttrType.ATOMIC_AGGREGATE,
    type: 'ATOMIC_AGGREGATE',
    flags: WK,
    onError: 'attribute-discard',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 0, 'ATOMIC_AGGREGATE');
      return { type: 'ATOMIC_AGGREGATE', flags };
    },
    encode: () => undefined,
    valueLength: () => 0,
  } satisfies AttrSpec<'ATOMIC_AGGREGATE'>,
  {
    code: AttrType.AGGREGATOR,
    type: 'AGGREGATOR',
    flags: OT,
    onError: 'attribute-discard',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags, ctx) => {
      // RFC 6793 §3/§4: 8 octets between NEW speakers, 6 with an OLD speaker.
      lengthIs(r, ctx.as4 ? 8 : 6, 'AGGREGATOR');
      const asn = ctx.as4 ? r.u32() : r.u16();
      return { type: 'AGGREGATOR', flags, asn, address: ipv4(r) };
    },
    encode: (w, a, ctx) => {
      if (ctx.as4) w.u32(a.asn);
      else w.u16(a.asn > 0xffff ? AS_TRANS : a.asn);
      w.bytes(a.address.bytes);
    },
    valueLength: (_a, ctx) => (ctx.as4 ? 8 : 6),
  } satisfies AttrSpec<'AGGREGATOR'>,
  {
    code: AttrType.COMMUNITIES,
    type: 'COMMUNITIES',
    flags: OT,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthMultiple(r, 4, 'COMMUNITIES');
      const communities: number[] = [];
      while (!r.atEnd) communities.push(r.u32());
      return { type: 'COMMUNITIES', flags, communities };
    },
    encode: (w, a) => {
      for (const c of a.communities) w.u32(c);
    },
    valueLength: (a) => 4 * a.communities.length,
  } satisfies AttrSpec<'COMMUNITIES'>,
  {
    code: AttrType.ORIGINATOR_ID,
    type: 'ORIGINATOR_ID',
    flags: ON,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthIs(r, 4, 'ORIGINATOR_ID');
      return { type: 'ORIGINATOR_ID', flags, originatorId: r.u32() };
    },
    encode: (w, a) => w.u32(a.originatorId),
    valueLength: () => 4,
  } satisfies AttrSpec<'ORIGINATOR_ID'>,
  {
    code: AttrType.CLUSTER_LIST,
    type: 'CLUSTER_LIST',
    flags: ON,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthMultiple(r, 4, 'CLUSTER_LIST');
      const clusterIds: number[] = [];
      while (!r.atEnd) clusterIds.push(r.u32());
      return { type: 'CLUSTER_LIST', flags, clusterIds };
    },
    encode: (w, a) => {
      for (const c of a.clusterIds) w.u32(c);
    },
    valueLength: (a) => 4 * a.clusterIds.length,
  } satisfies AttrSpec<'CLUSTER_LIST'>,
  {
    code: AttrType.MP_REACH_NLRI,
    type: 'MP_REACH_NLRI',
    flags: ON,
    onError: 'afisafi-disable',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => decodeMpReach(r, flags),
    encode: (w, a) => {
      encodeMpReach(w, a);
    },
    valueLength: (a) => mpReachLength(a),
  } satisfies AttrSpec<'MP_REACH_NLRI'>,
  {
    code: AttrType.MP_UNREACH_NLRI,
    type: 'MP_UNREACH_NLRI',
    flags: ON,
    onError: 'afisafi-disable',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => decodeMpUnreach(r, flags),
    encode: (w, a) => {
      encodeMpUnreach(w, a);
    },
    valueLength: (a) => mpUnreachLength(a),
  } satisfies AttrSpec<'MP_UNREACH_NLRI'>,
  {
    code: AttrType.AS4_PATH,
    type: 'AS4_PATH',
    flags: OT,
    onError: 'attribute-discard',
    onFlagsError: 'attribute-discard',
    decode: (r, flags) => {
      const segments = decodeSegments(r, 4);
      // RFC 6793 §6: confederation segments in AS4_PATH make it malformed.
      if (segments.some(isConfedSegment)) {
        throw new AttrError(
          UpdateErrorSubcode.MALFORMED_AS_PATH,
          'AS4_PATH with confederation segment',
        );
      }
      return { type: 'AS4_PATH', flags, segments };
    },
    encode: (w, a) => {
      encodeSegments(w, a.segments, 4);
    },
    valueLength: (a) => segmentsLength(a.segments, 4),
  } satisfies AttrSpec<'AS4_PATH'>,
  {
    code: AttrType.AS4_AGGREGATOR,
    type: 'AS4_AGGREGATOR',
    flags: OT,
    onError: 'attribute-discard',
    onFlagsError: 'attribute-discard',
    decode: (r, flags) => {
      lengthIs(r, 8, 'AS4_AGGREGATOR');
      return { type: 'AS4_AGGREGATOR', flags, asn: r.u32(), address: ipv4(r) };
    },
    encode: (w, a) => w.u32(a.asn).bytes(a.address.bytes),
    valueLength: () => 8,
  } satisfies AttrSpec<'AS4_AGGREGATOR'>,
  {
    code: AttrType.LARGE_COMMUNITY,
    type: 'LARGE_COMMUNITY',
    flags: OT,
    onError: 'treat-as-withdraw',
    onFlagsError: 'treat-as-withdraw',
    decode: (r, flags) => {
      lengthMultiple(r, 12, 'LARGE_COMMUNITY');
      const communities = [];
      while (!r.atEnd)
        communities.push({ globalAdmin: r.u32(), localData1: r.u32(), localData2: r.u32() });
      return { type: 'LARGE_COMMUNITY', flags, communities };
    },
    encode: (w, a) => {
      for (const c of a.communities) w.u32(c.globalAdmin).u32(c.localData1).u32(c.localData2);
    },
    valueLength: (a) => 12 * a.communities.length,
  } satisfies AttrSpec<'LARGE_COMMUNITY'>,
] as const;

/** A registry row with its type parameter erased (rows are only used via their own code/type). */
export interface ErasedAttrSpec {
  readonly code: number;
  readonly type: KnownAttrType;
  readonly flags: number;
  readonly decode: (r: Reader, flags: number, ctx: BgpCodecContext) => PathAttribute;
  readonly encode: (w: Writer, a: PathAttribute, ctx: BgpCodecContext) => void;
  readonly valueLength: (a: PathAttribute, ctx: BgpCodecContext) => number;
  readonly onError: AttrSpec<KnownAttrType>['onError'];
  readonly onFlagsError: AttrSpec<KnownAttrType>['onFlagsError'];
}

const erased = SPECS as unknown as readonly ErasedAttrSpec[];
const BY_CODE = new Map<number, ErasedAttrSpec>(erased.map((s) => [s.code, s]));
const BY_TYPE = new Map<string, ErasedAttrSpec>(erased.map((s) => [s.type, s]));

export const ATTRIBUTE_REGISTRY: readonly ErasedAttrSpec[] = erased;

export function attrSpecByCode(code: number): ErasedAttrSpec | undefined {
  return BY_CODE.get(code);
}

export function attrCode(a: PathAttribute): number {
  if (a.type === 'UNKNOWN') return a.code;
  const spec = BY_TYPE.get(a.type);
  if (!spec) throw new Error(`no registry entry for ${a.type}`);
  return spec.code;
}

function valueLength(a: PathAttribute, ctx: BgpCodecContext): number {
  if (a.type === 'UNKNOWN') return a.value.length;
  const spec = BY_TYPE.get(a.type);
  return spec ? spec.valueLength(a, ctx) : 0;
}

/** Flags we send: the registry's Optional/Transitive bits (+ Partial for optional transitive). */
function wireFlags(a: PathAttribute, len: number): number {
  const spec = a.type === 'UNKNOWN' ? undefined : BY_TYPE.get(a.type);
  let f: number;
  if (spec) {
    f = spec.flags;
    if (f === OT) f |= a.flags & AttrFlag.PARTIAL;
  } else {
    f = a.flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE | AttrFlag.PARTIAL);
  }
  if (len > 255) f |= AttrFlag.EXTENDED_LENGTH;
  return f;
}

/** Full encoded length (flags, type, length field and value). */
export function attributeLength(a: PathAttribute, ctx: BgpCodecContext): number {
  const len = valueLength(a, ctx);
  return (len > 255 ? 4 : 3) + len;
}

export function encodeAttribute(w: Writer, a: PathAttribute, ctx: BgpCodecContext): void {
  const len = valueLength(a, ctx);
  const flags = wireFlags(a, len);
  w.u8(flags).u8(attrCode(a));
  if (flags & AttrFlag.EXTENDED_LENGTH) w.u16(len);
  else w.u8(len);
  if (a.type === 'UNKNOWN') {
    w.bytes(a.value);
    return;
  }
  const spec = BY_TYPE.get(a.type);
  spec?.encode(w, a, ctx);
}

/**
 * Unknown attributes (RFC 4271 §5 / §9): optional transitive ones are kept with the Partial bit
 * set (we will re-advertise them without having interpreted them); optional non-transitive ones
 * are dropped (returns undefined). Well-known unknown ones are the caller's error.
 */
export function unknownAttribute(
  code: number,
  flags: number,
  value: Uint8Array,
): UnknownAttr | undefined {
  if ((flags & AttrFlag.TRANSITIVE) === 0) return undefined;
  return {
    type: 'UNKNOWN',
    code,
    flags: (flags | AttrFlag.PARTIAL) & ~AttrFlag.EXTENDED_LENGTH,
    value,
  };
}
