/**
 * Path attribute data model and the registry entry shape (BIRD's bgp_attr_table with GoBGP's
 * per-attribute RFC 7606 action).
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { DecodeError } from '../../../lib/errors.js';
import type { IpAddr } from '../../../lib/ip/addr.js';
import type { Prefix } from '../../../lib/ip/prefix.js';
import type { UpdateErrorAction } from '../../errors.js';
import type { AsPathSegmentTypeCode } from '../constants.js';
import type { BgpCodecContext } from '../header.js';

export interface AsPathSegment {
  readonly type: AsPathSegmentTypeCode;
  readonly asns: readonly number[];
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

interface Base {
  /** Attribute flags as received / to be sent (Extended Length is recomputed on encode). */
  readonly flags: number;
}

export interface OriginAttr extends Base {
  readonly type: 'ORIGIN';
  readonly origin: number;
}
export interface AsPathAttr extends Base {
  readonly type: 'AS_PATH';
  readonly segments: readonly AsPathSegment[];
}
export interface NextHopAttr extends Base {
  readonly type: 'NEXT_HOP';
  readonly nextHop: IpAddr;
}
export interface MedAttr extends Base {
  readonly type: 'MULTI_EXIT_DISC';
  readonly med: number;
}
export interface LocalPrefAttr extends Base {
  readonly type: 'LOCAL_PREF';
  readonly localPref: number;
}
export interface AtomicAggregateAttr extends Base {
  readonly type: 'ATOMIC_AGGREGATE';
}
export interface AggregatorAttr extends Base {
  readonly type: 'AGGREGATOR';
  readonly asn: number;
  readonly address: IpAddr;
}
export interface CommunitiesAttr extends Base {
  readonly type: 'COMMUNITIES';
  /** RFC 1997 communities as unsigned 32-bit values (high 16 bits = AS). */
  readonly communities: readonly number[];
}
export interface OriginatorIdAttr extends Base {
  readonly type: 'ORIGINATOR_ID';
  readonly originatorId: number;
}
export interface ClusterListAttr extends Base {
  readonly type: 'CLUSTER_LIST';
  readonly clusterIds: readonly number[];
}
export interface MpReachAttr extends Base {
  readonly type: 'MP_REACH_NLRI';
  readonly afi: number;
  readonly safi: number;
  /** One next hop, or two for IPv6 (global + link-local, RFC 2545 §3). */
  readonly nextHops: readonly IpAddr[];
  readonly nlri: readonly Prefix[];
}
export interface MpUnreachAttr extends Base {
  readonly type: 'MP_UNREACH_NLRI';
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}
export interface As4PathAttr extends Base {
  readonly type: 'AS4_PATH';
  readonly segments: readonly AsPathSegment[];
}
export interface As4AggregatorAttr extends Base {
  readonly type: 'AS4_AGGREGATOR';
  readonly asn: number;
  readonly address: IpAddr;
}
export interface LargeCommunityAttr extends Base {
  readonly type: 'LARGE_COMMUNITY';
  readonly communities: readonly LargeCommunity[];
}
/** An attribute we do not interpret (optional transitive ones are passed on). */
export interface UnknownAttr extends Base {
  readonly type: 'UNKNOWN';
  readonly code: number;
  readonly value: Uint8Array;
}

export type PathAttribute =
  | OriginAttr
  | AsPathAttr
  | NextHopAttr
  | MedAttr
  | LocalPrefAttr
  | AtomicAggregateAttr
  | AggregatorAttr
  | CommunitiesAttr
  | OriginatorIdAttr
  | ClusterListAttr
  | MpReachAttr
  | MpUnreachAttr
  | As4PathAttr
  | As4AggregatorAttr
  | LargeCommunityAttr
  | UnknownAttr;

export type KnownAttrType = Exclude<PathAttribute['type'], 'UNKNOWN'>;
export type AttrOf<T extends PathAttribute['type']> = Extract<PathAttribute, { type: T }>;

/**
 * A malformed attribute. `subcode` is the UPDATE Message Error subcode for a NOTIFICATION; `action`
 * overrides the registry's default RFC 7606 action (e.g. MP_REACH next-hop length → session reset).
 */
export class AttrError extends DecodeError {
  readonly subcode: number;
  readonly action: UpdateErrorAction | undefined;
  constructor(subcode: number, message: string, action?: UpdateErrorAction) {
    super(message, 'ERR_BGP_ATTRIBUTE');
    this.subcode = subcode;
    this.action = action;
  }
}

/** One row of the attribute registry. */
export interface AttrSpec<T extends KnownAttrType> {
  readonly code: number;
  readonly type: T;
  /** Expected Optional|Transitive bits (RFC 4271 §5); Partial and Extended Length are not compared. */
  readonly flags: number;
  /** `r` is bounded to the attribute value. Throws AttrError / DecodeError / TruncatedError. */
  readonly decode: (r: Reader, flags: number, ctx: BgpCodecContext) => AttrOf<T>;
  readonly encode: (w: Writer, a: AttrOf<T>, ctx: BgpCodecContext) => void;
  readonly valueLength: (a: AttrOf<T>, ctx: BgpCodecContext) => number;
  /** RFC 7606 §7 action for a malformed value. */
  readonly onError: UpdateErrorAction;
  /** RFC 7606 §3(c) action for Optional/Transitive flag conflicts (default treat-as-withdraw). */
  readonly onFlagsError: UpdateErrorAction;
}

export function findAttr<T extends PathAttribute['type']>(
  attrs: readonly PathAttribute[],
  type: T,
): AttrOf<T> | undefined {
  return attrs.find((a): a is AttrOf<T> => a.type === type);
}
