/**
 * AS_PATH (RFC 4271 §4.3, §5.1.2; RFC 5065 confederation segments) and AS4_PATH (RFC 6793 §3),
 * plus the RFC 6793 §4.2.3 reconstruction of the path received from an OLD (2-octet) speaker.
 *
 *   segment: type (1) | count (1, number of ASNs) | ASNs (2 or 4 octets each)
 *
 * RFC 7606 §7.2: AS_PATH is malformed when a segment type is unknown, a segment has count 0, a
 * segment overruns the attribute, or fewer than 2 octets remain for a segment header.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import {
  AS_TRANS,
  AsPathSegmentType,
  UpdateErrorSubcode,
  type AsPathSegmentTypeCode,
} from '../constants.js';
import { AttrError, type AsPathSegment } from './types.js';

const MAX_SEGMENT_ASNS = 255;

function isSegmentType(t: number): t is AsPathSegmentTypeCode {
  return t >= 1 && t <= 4;
}

export function isConfedSegment(s: AsPathSegment): boolean {
  return (
    s.type === AsPathSegmentType.AS_CONFED_SEQUENCE || s.type === AsPathSegmentType.AS_CONFED_SET
  );
}

/** Decode path segments with 2- or 4-octet ASNs. Throws AttrError(MALFORMED_AS_PATH). */
export function decodeSegments(r: Reader, asnBytes: 2 | 4): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  while (!r.atEnd) {
    if (r.remaining < 2) {
      throw new AttrError(UpdateErrorSubcode.MALFORMED_AS_PATH, 'truncated segment header');
    }
    const type = r.u8();
    const count = r.u8();
    if (!isSegmentType(type)) {
      throw new AttrError(UpdateErrorSubcode.MALFORMED_AS_PATH, `unknown segment type ${type}`);
    }
    if (count === 0) {
      throw new AttrError(UpdateErrorSubcode.MALFORMED_AS_PATH, 'segment with zero length');
    }
    if (count * asnBytes > r.remaining) {
      throw new AttrError(UpdateErrorSubcode.MALFORMED_AS_PATH, 'segment overruns attribute');
    }
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(asnBytes === 4 ? r.u32() : r.u16());
    out.push({ type, asns });
  }
  return out;
}

/** Segments as they go on the wire: at most 255 ASNs each (longer sequences are split). */
function wireSegments(segments: readonly AsPathSegment[]): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  for (const s of segments) {
    if (s.asns.length <= MAX_SEGMENT_ASNS) {
      if (s.asns.length > 0) out.push(s);
      continue;
    }
    for (let i = 0; i < s.asns.length; i += MAX_SEGMENT_ASNS) {
      out.push({ type: s.type, asns: s.asns.slice(i, i + MAX_SEGMENT_ASNS) });
    }
  }
  return out;
}

/** Encode; with 2-octet ASNs any AS above 65535 is written as AS_TRANS (RFC 6793 §4.2.2). */
export function encodeSegments(
  w: Writer,
  segments: readonly AsPathSegment[],
  asnBytes: 2 | 4,
): void {
  for (const s of wireSegments(segments)) {
    w.u8(s.type).u8(s.asns.length);
    for (const a of s.asns) {
      if (asnBytes === 4) w.u32(a);
      else w.u16(a > 0xffff ? AS_TRANS : a);
    }
  }
}

export function segmentsLength(segments: readonly AsPathSegment[], asnBytes: 2 | 4): number {
  let n = 0;
  for (const s of wireSegments(segments)) n += 2 + s.asns.length * asnBytes;
  return n;
}

/** RFC 4271 §9.1.2.2(a) path length: AS_SET counts 1, confederation segments count 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsPathSegmentType.AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AS_SET) n += 1;
  }
  return n;
}

/** Does any segment need 4 octets (so an OLD speaker needs AS4_PATH)? */
export function needsAs4(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((a) => a > 0xffff));
}

/**
 * RFC 6793 §4.2.3: rebuild the path from AS_PATH (2-octet, with AS_TRANS) and AS4_PATH. If
 * AS_PATH has fewer ASes than AS4_PATH, AS4_PATH is ignored. Otherwise the leading ASes of
 * AS_PATH (with adjacent confederation segments) are prepended to AS4_PATH so both count equal.
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[],
): AsPathSegment[] {
  let need = asPathLength(asPath) - asPathLength(as4Path);
  if (need < 0) return asPath.slice();
  const lead: AsPathSegment[] = [];
  for (const s of asPath) {
    if (isConfedSegment(s)) {
      // Prepended when leading or adjacent to a prepended segment.
      lead.push(s);
      continue;
    }
    if (need <= 0) break;
    if (s.type === AsPathSegmentType.AS_SET) {
      lead.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      lead.push({ type: s.type, asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  const out = lead.concat(as4Path);
  // Join a trailing prepended AS_SEQUENCE with a leading AS4_PATH AS_SEQUENCE.
  const joined: AsPathSegment[] = [];
  for (const s of out) {
    const prev = joined[joined.length - 1];
    if (
      prev &&
      prev.type === AsPathSegmentType.AS_SEQUENCE &&
      s.type === AsPathSegmentType.AS_SEQUENCE
    ) {
      joined[joined.length - 1] = { type: prev.type, asns: prev.asns.concat(s.asns) };
    } else {
      joined.push(s);
    }
  }
  return joined;
}

/** "65001 65002 {64512 64513} (65100)" — the usual show/log rendering. */
export function formatAsPath(segments: readonly AsPathSegment[]): string {
  return segments
    .map((s) => {
      const body = s.asns.join(' ');
      switch (s.type) {
        case AsPathSegmentType.AS_SEQUENCE:
          return body;
        case AsPathSegmentType.AS_SET:
          return `{${body}}`;
        case AsPathSegmentType.AS_CONFED_SEQUENCE:
          return `(${body})`;
        case AsPathSegmentType.AS_CONFED_SET:
          return `[${body}]`;
      }
    })
    .join(' ');
}

/** First AS of the path (the neighbor AS for eBGP, RFC 4271 §6.3), or undefined. */
export function firstAs(segments: readonly AsPathSegment[]): number | undefined {
  const s = segments[0];
  return s && s.type === AsPathSegmentType.AS_SEQUENCE ? s.asns[0] : undefined;
}
