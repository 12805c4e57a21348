/**
 * RFC 6793 4-octet AS transition attributes.
 *
 * Receiving (§4.2.3, §4.1, §6): {@link applyAs4} folds AS4_PATH / AS4_AGGREGATOR into AS_PATH /
 * AGGREGATOR when the peer is an OLD (2-octet) speaker, and discards them from a NEW speaker.
 * Sending (§4.2.2): {@link withAs4ForOldSpeaker} adds AS4_PATH / AS4_AGGREGATOR for an OLD peer
 * when the path or aggregator needs 4 octets (the encoder already writes AS_TRANS in their place).
 */
import { AS_TRANS, AttrFlag, AttrType } from '../constants.js';
import type { BgpCodecContext } from '../header.js';
import { isConfedSegment, mergeAs4Path, needsAs4 } from './as-path.js';
import { findAttr, type PathAttribute } from './types.js';

/** A problem record as used by the UPDATE decoder (kept structural to avoid an import cycle). */
interface As4Problem {
  readonly action: 'attribute-discard';
  readonly attrCode: number;
  readonly subcode: number;
  readonly reason: string;
}

/**
 * RFC 6793 §4.2.3 (from an OLD speaker) and §4.1 (from a NEW speaker): fold AS4_PATH and
 * AS4_AGGREGATOR into AS_PATH/AGGREGATOR, or discard them. Returns the new attribute list.
 */
export function applyAs4(
  attrs: PathAttribute[],
  ctx: BgpCodecContext,
  problems: { push(p: As4Problem): unknown },
): PathAttribute[] {
  const as4Path = findAttr(attrs, 'AS4_PATH');
  const as4Agg = findAttr(attrs, 'AS4_AGGREGATOR');
  if (!as4Path && !as4Agg) return attrs;
  const drop = (reason: string): void => {
    problems.push({ action: 'attribute-discard', attrCode: AttrType.AS4_PATH, subcode: 0, reason });
  };
  let out: PathAttribute[] = attrs.filter(
    (a) => a.type !== 'AS4_PATH' && a.type !== 'AS4_AGGREGATOR',
  );
  if (ctx.as4) {
    // RFC 6793 §4.1: a NEW speaker receiving AS4_PATH/AS4_AGGREGATOR from a NEW speaker discards them.
    drop('AS4_PATH/AS4_AGGREGATOR from a 4-octet speaker');
    return out;
  }
  const agg = findAttr(attrs, 'AGGREGATOR');
  if (agg && agg.asn !== AS_TRANS) {
    // RFC 6793 §4.2.3: AGGREGATOR not AS_TRANS → ignore AS4_AGGREGATOR and AS4_PATH.
    drop('AGGREGATOR is not AS_TRANS: AS4_PATH and AS4_AGGREGATOR ignored');
    return out;
  }
  if (agg && as4Agg) {
    out = out.map((a) =>
      a.type === 'AGGREGATOR' ? { ...a, asn: as4Agg.asn, address: as4Agg.address } : a,
    );
  }
  const asPath = findAttr(attrs, 'AS_PATH');
  if (as4Path && asPath) {
    out = out.map((a) =>
      a.type === 'AS_PATH'
        ? { ...a, segments: mergeAs4Path(asPath.segments, as4Path.segments) }
        : a,
    );
  }
  return out;
}

/**
 * RFC 6793 §4.2.2: attributes to send to an OLD speaker. AS4_PATH carries the real path (without
 * confederation segments) when any AS needs 4 octets; AS4_AGGREGATOR the real aggregator AS.
 * Any AS4_* attributes already present are replaced. To a NEW speaker, send `attrs` unchanged.
 */
export function withAs4ForOldSpeaker(attrs: readonly PathAttribute[]): PathAttribute[] {
  const out: PathAttribute[] = attrs.filter(
    (a) => a.type !== 'AS4_PATH' && a.type !== 'AS4_AGGREGATOR',
  );
  const OT = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
  const asPath = findAttr(out, 'AS_PATH');
  if (asPath && needsAs4(asPath.segments)) {
    const segments = asPath.segments.filter((sg) => !isConfedSegment(sg));
    out.push({ type: 'AS4_PATH', flags: OT, segments });
  }
  const agg = findAttr(out, 'AGGREGATOR');
  if (agg && agg.asn > 0xffff) {
    out.push({ type: 'AS4_AGGREGATOR', flags: OT, asn: agg.asn, address: agg.address });
  }
  return out;
}
