/**
 * UPDATE message: RFC 4271 §4.3 layout, RFC 4760 MP attributes, RFC 6793 §4.2.3 AS4 merge and
 * RFC 7606 revised error handling.
 *
 *  +-----------------------------------------------------+
 *  |   Withdrawn Routes Length (2 octets)                |
 *  |   Withdrawn Routes (variable)                       |
 *  |   Total Path Attribute Length (2 octets)            |
 *  |   Path Attributes (variable)                        |
 *  |   Network Layer Reachability Information (variable) |
 *  +-----------------------------------------------------+
 *
 * Path attribute: flags (1) | type (1) | length (1, or 2 with Extended Length) | value.
 *
 * {@link decodeUpdate} returns `update` (with any attribute discards) or `treat-as-withdraw`;
 * errors needing a session reset or AFI/SAFI disable are thrown as {@link BgpNotificationError}.
 */
import { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { DecodeError, TruncatedError } from '../../lib/errors.js';
import type { Prefix } from '../../lib/ip/prefix.js';
import { BgpNotificationError, strongerAction, type UpdateErrorAction } from '../errors.js';
import { AttrFlag, AttrType, attrTypeName, ErrorCode, UpdateErrorSubcode } from './constants.js';
import type { BgpCodecContext } from './header.js';
import { applyAs4 } from './attributes/as4.js';
import {
  attributeLength,
  attrSpecByCode,
  encodeAttribute,
  unknownAttribute,
} from './attributes/registry.js';
import { AttrError, findAttr, type PathAttribute } from './attributes/types.js';

export { findAttr };
import { decodePrefixes, encodePrefixes, NlriError, prefixesLength } from './nlri.js';

export interface UpdateMessage {
  /** IPv4 unicast withdrawn routes (the classic field). */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast NLRI (the classic field). */
  readonly nlri: readonly Prefix[];
}

/** One attribute-level problem found while decoding (for logs, counters and `show`). */
export interface UpdateAttrProblem {
  readonly action: UpdateErrorAction;
  /** Attribute type code, or undefined for message-level problems. */
  readonly attrCode: number | undefined;
  readonly subcode: number;
  readonly reason: string;
}

export type UpdateDecodeResult =
  | {
      readonly kind: 'update';
      readonly update: UpdateMessage;
      /** Attributes dropped by RFC 7606 attribute-discard (and AS4 handling). */
      readonly discarded: readonly UpdateAttrProblem[];
    }
  | {
      readonly kind: 'treat-as-withdraw';
      /** Every prefix (any family) the UPDATE announced or withdrew: withdraw them all. */
      readonly withdrawn: readonly Prefix[];
      readonly problems: readonly UpdateAttrProblem[];
    };

function sessionReset(subcode: number, detail: string, data?: Uint8Array): BgpNotificationError {
  return new BgpNotificationError(ErrorCode.UPDATE_MESSAGE_ERROR, subcode, data, { detail });
}

function decodeNlriField(r: Reader, what: string): Prefix[] {
  try {
    return decodePrefixes(r, 4);
  } catch (e) {
    // RFC 7606 §5.3: a syntactically incorrect NLRI field cannot be treated as withdraw.
    if (e instanceof NlriError || e instanceof TruncatedError) {
      throw sessionReset(UpdateErrorSubcode.INVALID_NETWORK_FIELD, `${what}: ${e.message}`);
    }
    throw e;
  }
}

interface AttrParse {
  readonly attrs: PathAttribute[];
  readonly problems: UpdateAttrProblem[];
  /** Raw attribute bytes per problem index (NOTIFICATION data if it escalates to a reset). */
  readonly raw: Map<UpdateAttrProblem, Uint8Array>;
}

/** RFC 7606 §4 / §3: walk the attributes, collecting problems with their actions. */
function parseAttributes(r: Reader, ctx: BgpCodecContext): AttrParse {
  const attrs: PathAttribute[] = [];
  const problems: UpdateAttrProblem[] = [];
  const raw = new Map<UpdateAttrProblem, Uint8Array>();
  const seen = new Set<number>();
  const problem = (p: UpdateAttrProblem, bytes?: Uint8Array): void => {
    problems.push(p);
    if (bytes) raw.set(p, bytes);
  };
  while (!r.atEnd) {
    const start = r.pos;
    const flags = r.remaining >= 1 ? r.peekU8() : 0;
    const headerLen = flags & AttrFlag.EXTENDED_LENGTH ? 4 : 3;
    if (r.remaining < headerLen) {
      // RFC 7606 §4, second case: too few octets left for an attribute header.
      problem({
        action: 'treat-as-withdraw',
        attrCode: undefined,
        subcode: UpdateErrorSubcode.MALFORMED_ATTRIBUTE_LIST,
        reason: `${r.remaining} stray octets at the end of the path attributes`,
      });
      break;
    }
    r.u8();
    const code = r.u8();
    const len = headerLen === 4 ? r.u16() : r.u8();
    if (len > r.remaining) {
      // RFC 7606 §4, first case: the attribute overruns Total Path Attribute Length. An MP
      // attribute that overruns cannot be located, so it needs a session reset (§7.11).
      const isMp = code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI;
      problem(
        {
          action: isMp ? 'session-reset' : 'treat-as-withdraw',
          attrCode: code,
          subcode: UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR,
          reason: `${attrTypeName(code)} length ${len} overruns the attributes (${r.remaining} left)`,
        },
        Uint8Array.from(r.buf.subarray(start, r.end)),
      );
      break;
    }
    const value = r.sub(len);
    const rawAttr = Uint8Array.from(r.buf.subarray(start, r.pos));
    if (seen.has(code)) {
      // RFC 7606 §3(g): a repeated MP_REACH/MP_UNREACH is fatal; other repeats are discarded.
      const isMp = code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI;
      problem(
        {
          action: isMp ? 'session-reset' : 'attribute-discard',
          attrCode: code,
          subcode: UpdateErrorSubcode.MALFORMED_ATTRIBUTE_LIST,
          reason: `duplicate ${attrTypeName(code)}`,
        },
        rawAttr,
      );
      continue;
    }
    seen.add(code);
    const spec = attrSpecByCode(code);
    if (!spec) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        // RFC 4271 §6.3: an unrecognized well-known attribute.
        problem(
          {
            action: 'session-reset',
            attrCode: code,
            subcode: UpdateErrorSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
            reason: `unrecognized well-known attribute ${code}`,
          },
          rawAttr,
        );
        continue;
      }
      const kept = unknownAttribute(code, flags, Uint8Array.from(value.rest()));
      if (kept) attrs.push(kept);
      continue;
    }
    const want = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
    if ((flags & want) !== spec.flags) {
      // RFC 7606 §3(c): Optional/Transitive bits conflict with the attribute's definition.
      problem(
        {
          action: spec.onFlagsError,
          attrCode: code,
          subcode: UpdateErrorSubcode.ATTRIBUTE_FLAGS_ERROR,
          reason: `${spec.type} flags 0x${flags.toString(16)}`,
        },
        rawAttr,
      );
      if (spec.onFlagsError === 'attribute-discard') continue;
    }
    try {
      attrs.push(spec.decode(value, flags, ctx));
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof TruncatedError)) throw e;
      const subcode =
        e instanceof AttrError ? e.subcode : UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR;
      const action = e instanceof AttrError && e.action ? e.action : spec.onError;
      problem({ action, attrCode: code, subcode, reason: `${spec.type}: ${e.message}` }, rawAttr);
    }
  }
  return { attrs, problems, raw };
}

/**
 * Decode an UPDATE body (`r` bounded to it). Applies RFC 7606; see the module comment for the
 * outcome. Throws {@link BgpNotificationError} with action `session-reset` or `afisafi-disable`.
 */
export function decodeUpdate(r: Reader, ctx: BgpCodecContext): UpdateDecodeResult {
  if (r.remaining < 4)
    throw sessionReset(UpdateErrorSubcode.MALFORMED_ATTRIBUTE_LIST, 'UPDATE too short');
  const wlen = r.u16();
  // RFC 4271 §6.3 / RFC 7606 §4: Withdrawn Routes Length + Total Attribute Length + 23 must fit.
  if (wlen + 2 > r.remaining) {
    throw sessionReset(
      UpdateErrorSubcode.MALFORMED_ATTRIBUTE_LIST,
      `withdrawn length ${wlen} too large`,
    );
  }
  const withdrawn = decodeNlriField(r.sub(wlen), 'withdrawn routes');
  const alen = r.u16();
  if (alen > r.remaining) {
    throw sessionReset(
      UpdateErrorSubcode.MALFORMED_ATTRIBUTE_LIST,
      `total attribute length ${alen} too large`,
    );
  }
  const attrReader = r.sub(alen);
  const nlri = decodeNlriField(r, 'NLRI');
  const parsed = parseAttributes(attrReader, ctx);
  const { problems } = parsed;
  let attrs = parsed.attrs;

  const mpReach = findAttr(attrs, 'MP_REACH_NLRI');
  const mpUnreach = findAttr(attrs, 'MP_UNREACH_NLRI');
  const reachable = nlri.length > 0 || (mpReach !== undefined && mpReach.nlri.length > 0);
  if (reachable) {
    // RFC 7606 §3(d): missing well-known mandatory attributes → treat-as-withdraw. NEXT_HOP is
    // only mandatory for the classic NLRI field (RFC 4760 §3). A present-but-malformed one was
    // already recorded, so only report the truly absent ones.
    const mandatory: number[] = [AttrType.ORIGIN, AttrType.AS_PATH];
    if (nlri.length > 0) mandatory.push(AttrType.NEXT_HOP);
    for (const code of mandatory) {
      const reported = problems.some((p) => p.attrCode === code);
      const present = attrs.some((a) => a.type === attrTypeName(code));
      if (!present && !reported) {
        problems.push({
          action: 'treat-as-withdraw',
          attrCode: code,
          subcode: UpdateErrorSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
          reason: `missing ${attrTypeName(code)}`,
        });
        parsed.raw.set(problems[problems.length - 1] as UpdateAttrProblem, Uint8Array.of(code));
      }
    }
  }
  attrs = applyAs4(attrs, ctx, problems);

  let action: UpdateErrorAction | undefined;
  for (const p of problems) action = action ? strongerAction(action, p.action) : p.action;
  if (action === 'session-reset' || action === 'afisafi-disable') {
    const first = problems.find((p) => p.action === action) as UpdateAttrProblem;
    throw new BgpNotificationError(
      ErrorCode.UPDATE_MESSAGE_ERROR,
      first.subcode,
      parsed.raw.get(first),
      {
        action,
        detail: first.reason,
      },
    );
  }
  if (action === 'treat-as-withdraw') {
    // RFC 7606 §2: withdraw everything the UPDATE carried, including parsable MP NLRI.
    const all: Prefix[] = [...withdrawn, ...nlri];
    if (mpReach) all.push(...mpReach.nlri);
    if (mpUnreach) all.push(...mpUnreach.withdrawn);
    return { kind: 'treat-as-withdraw', withdrawn: all, problems };
  }
  return { kind: 'update', update: { withdrawn, attributes: attrs, nlri }, discarded: problems };
}

/** MP_UNREACH / MP_REACH first (RFC 7606 §5.1), then the rest in the given order. */
function wireOrder(attrs: readonly PathAttribute[]): PathAttribute[] {
  const isMp = (a: PathAttribute): boolean =>
    a.type === 'MP_REACH_NLRI' || a.type === 'MP_UNREACH_NLRI';
  return attrs.filter(isMp).concat(attrs.filter((a) => !isMp(a)));
}

export function encodeUpdate(w: Writer, u: UpdateMessage, ctx: BgpCodecContext): void {
  w.u16(prefixesLength(u.withdrawn));
  encodePrefixes(w, u.withdrawn);
  let alen = 0;
  for (const a of u.attributes) alen += attributeLength(a, ctx);
  w.u16(alen);
  for (const a of wireOrder(u.attributes)) encodeAttribute(w, a, ctx);
  encodePrefixes(w, u.nlri);
}

export function updateLength(u: UpdateMessage, ctx: BgpCodecContext): number {
  let n = 4 + prefixesLength(u.withdrawn) + prefixesLength(u.nlri);
  for (const a of u.attributes) n += attributeLength(a, ctx);
  return n;
}

/** Decode a body given as bytes (tests, tools). */
export function decodeUpdateBytes(body: Uint8Array, ctx: BgpCodecContext): UpdateDecodeResult {
  return decodeUpdate(new Reader(body), ctx);
}
