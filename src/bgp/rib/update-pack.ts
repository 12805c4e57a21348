/**
 * Adj-RIB-Out batches → UPDATE messages (RFC 4271 §4.3, RFC 4760 for IPv6): withdraw-only
 * messages first, then one message per attribute set with as many NLRI as fit the maximum
 * message size (4096, RFC 4271 §4.1; 65535 with RFC 8654), measured with the wire `updateLength`.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import { AttrFlag, Afi, BGP_HEADER_LENGTH, Safi } from '../wire/constants.js';
import { maxMessageLength, type BgpCodecContext } from '../wire/header.js';
import { withAs4ForOldSpeaker } from '../wire/attributes/as4.js';
import type { PathAttribute } from '../wire/attributes/types.js';
import { prefixLength } from '../wire/nlri.js';
import { updateLength, type UpdateMessage } from '../wire/update.js';
import type { OutUpdate } from './adj-rib-out.js';
import type { Family, PathAttrs } from './path.js';

const WK = AttrFlag.TRANSITIVE;
const OT = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const ON = AttrFlag.OPTIONAL;

/** The path attributes to send for `attrs` (without MP_REACH; IPv4 gets NEXT_HOP). */
export function toWireAttributes(
  attrs: PathAttrs,
  family: Family,
  ctx: BgpCodecContext,
): PathAttribute[] {
  const out: PathAttribute[] = [
    { type: 'ORIGIN', flags: WK, origin: attrs.origin },
    { type: 'AS_PATH', flags: WK, segments: attrs.asPath },
  ];
  if (family === 'ipv4-unicast' && attrs.nextHop) {
    out.push({ type: 'NEXT_HOP', flags: WK, nextHop: attrs.nextHop });
  }
  if (attrs.med !== undefined) out.push({ type: 'MULTI_EXIT_DISC', flags: ON, med: attrs.med });
  if (attrs.localPref !== undefined) {
    out.push({ type: 'LOCAL_PREF', flags: WK, localPref: attrs.localPref });
  }
  if (attrs.atomicAggregate) out.push({ type: 'ATOMIC_AGGREGATE', flags: WK });
  if (attrs.aggregator) out.push({ type: 'AGGREGATOR', flags: OT, ...attrs.aggregator });
  if (attrs.communities.length > 0) {
    out.push({ type: 'COMMUNITIES', flags: OT, communities: attrs.communities });
  }
  if (attrs.originatorId !== undefined) {
    out.push({ type: 'ORIGINATOR_ID', flags: ON, originatorId: attrs.originatorId });
  }
  if (attrs.clusterList.length > 0) {
    out.push({ type: 'CLUSTER_LIST', flags: ON, clusterIds: attrs.clusterList });
  }
  if (attrs.largeCommunities.length > 0) {
    out.push({ type: 'LARGE_COMMUNITY', flags: OT, communities: attrs.largeCommunities });
  }
  out.push(...attrs.unknown);
  return ctx.as4 ? out : withAs4ForOldSpeaker(out);
}

function v6Reach(attrs: PathAttrs, nlri: readonly Prefix[]): PathAttribute {
  return {
    type: 'MP_REACH_NLRI',
    flags: ON,
    afi: Afi.IPV6,
    safi: Safi.UNICAST,
    nextHops: attrs.nextHop ? [attrs.nextHop] : [],
    nlri,
  };
}

function v6Unreach(withdrawn: readonly Prefix[]): PathAttribute {
  return { type: 'MP_UNREACH_NLRI', flags: ON, afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn };
}

/**
 * Greedy split of `prefixes` into messages built by `build`. `base` is the message length with no
 * prefixes; 1 octet of slack covers an attribute switching to Extended Length.
 */
function split(
  prefixes: readonly Prefix[],
  build: (ps: readonly Prefix[]) => UpdateMessage,
  ctx: BgpCodecContext,
  maxLen: number,
): UpdateMessage[] {
  const out: UpdateMessage[] = [];
  const base = BGP_HEADER_LENGTH + updateLength(build([]), ctx) + 1;
  if (base + 17 > maxLen) throw new Error(`path attributes too large for one UPDATE (${base})`);
  let chunk: Prefix[] = [];
  let size = base;
  for (const p of prefixes) {
    const n = prefixLength(p);
    if (size + n > maxLen && chunk.length > 0) {
      out.push(build(chunk));
      chunk = [];
      size = base;
    }
    chunk.push(p);
    size += n;
  }
  if (chunk.length > 0) out.push(build(chunk));
  return out;
}

/**
 * Turn one Adj-RIB-Out batch into UPDATE messages that each fit the session. Prefixes of both
 * families may be mixed: IPv4 uses the classic fields, IPv6 MP_REACH/MP_UNREACH. Every
 * withdrawal message comes before any announcement (keeps max-prefixes-out true in flight).
 */
export function packUpdates(u: OutUpdate, ctx: BgpCodecContext): UpdateMessage[];
/** Same, for callers that keep one Adj-RIB-Out per family (`family` is implied by the prefixes). */
export function packUpdates(u: OutUpdate, family: Family, ctx: BgpCodecContext): UpdateMessage[];
export function packUpdates(
  u: OutUpdate,
  a: BgpCodecContext | Family,
  b?: BgpCodecContext,
): UpdateMessage[] {
  const ctx = typeof a === 'string' ? (b ?? { as4: true }) : a;
  const maxLen = maxMessageLength(ctx);
  const out: UpdateMessage[] = [];
  const isV4 = (p: Prefix): boolean => p.addr.family === 4;
  const w4 = u.withdraw.filter(isV4);
  const w6 = u.withdraw.filter((p) => !isV4(p));
  if (w4.length > 0) {
    out.push(...split(w4, (ps) => ({ withdrawn: ps, attributes: [], nlri: [] }), ctx, maxLen));
  }
  if (w6.length > 0) {
    const build = (ps: readonly Prefix[]): UpdateMessage => ({
      withdrawn: [],
      attributes: [v6Unreach(ps)],
      nlri: [],
    });
    out.push(...split(w6, build, ctx, maxLen));
  }
  for (const g of u.announce) {
    const p4 = g.prefixes.filter(isV4);
    const p6 = g.prefixes.filter((p) => !isV4(p));
    if (p4.length > 0) {
      const attrs = toWireAttributes(g.attrs, 'ipv4-unicast', ctx);
      const build = (ps: readonly Prefix[]): UpdateMessage => ({
        withdrawn: [],
        attributes: attrs,
        nlri: ps,
      });
      out.push(...split(p4, build, ctx, maxLen));
    }
    if (p6.length > 0) {
      const attrs = toWireAttributes(g.attrs, 'ipv6-unicast', ctx);
      const build = (ps: readonly Prefix[]): UpdateMessage => ({
        withdrawn: [],
        attributes: [v6Reach(g.attrs, ps), ...attrs],
        nlri: [],
      });
      out.push(...split(p6, build, ctx, maxLen));
    }
  }
  return out;
}
