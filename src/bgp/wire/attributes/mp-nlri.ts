/**
 * MP_REACH_NLRI / MP_UNREACH_NLRI: RFC 4760 §3–4, IPv6 next hops RFC 2545 §3 (16 or 32 octets:
 * global, or global + link-local), IPv6 next hop for IPv4 NLRI RFC 8950 §3.
 *
 *   MP_REACH_NLRI:   AFI (2) | SAFI (1) | NH len (1) | Next Hop | Reserved (1) | NLRI ...
 *   MP_UNREACH_NLRI: AFI (2) | SAFI (1) | Withdrawn Routes ...
 *
 * RFC 7606 §7.11: when the next hop length is inconsistent the NLRI cannot be located reliably,
 * so the action is AFI/SAFI disable (or session reset); RFC 7606 §5.3 the same for bad NLRI.
 * A family we do not support is skipped (attribute discard) rather than failing the UPDATE.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { TruncatedError } from '../../../lib/errors.js';
import type { IpAddr, IpFamily } from '../../../lib/ip/addr.js';
import { Afi, familyName, Safi, UpdateErrorSubcode } from '../constants.js';
import { decodePrefixes, encodePrefixes, NlriError, prefixesLength } from '../nlri.js';
import { AttrError, type MpReachAttr, type MpUnreachAttr } from './types.js';

/** Families whose NLRI we can parse. */
export function familyIp(afi: number, safi: number): IpFamily | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 4;
  if (afi === Afi.IPV6) return 6;
  return undefined;
}

function mpError(message: string): AttrError {
  return new AttrError(UpdateErrorSubcode.OPTIONAL_ATTRIBUTE_ERROR, message, 'afisafi-disable');
}

function decodeNextHops(nh: Buffer, family: IpFamily): IpAddr[] {
  const len = nh.length;
  // RFC 4760 §3 / RFC 2545 §3 / RFC 8950 §3.
  if (family === 4 && len === 4) return [{ family: 4, bytes: Uint8Array.from(nh) }];
  if (len === 16) return [{ family: 6, bytes: Uint8Array.from(nh) }];
  if (len === 32) {
    return [
      { family: 6, bytes: Uint8Array.from(nh.subarray(0, 16)) },
      { family: 6, bytes: Uint8Array.from(nh.subarray(16, 32)) },
    ];
  }
  throw mpError(`next hop length ${len} invalid for IPv${family}`);
}

export function decodeMpReach(r: Reader, flags: number): MpReachAttr {
  // Less than AFI+SAFI+NH len+Reserved: nothing is locatable → session reset.
  if (r.remaining < 5) {
    throw new AttrError(
      UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR,
      'MP_REACH_NLRI too short',
      'session-reset',
    );
  }
  const afi = r.u16();
  const safi = r.u8();
  const nhLen = r.u8();
  if (nhLen + 1 > r.remaining) throw mpError(`next hop length ${nhLen} overruns the attribute`);
  const family = familyIp(afi, safi);
  if (family === undefined) {
    throw new AttrError(
      UpdateErrorSubcode.OPTIONAL_ATTRIBUTE_ERROR,
      `unsupported family ${familyName(afi, safi)} ignored`,
      'attribute-discard',
    );
  }
  const nextHops = decodeNextHops(r.bytes(nhLen), family);
  r.u8(); // Reserved: RFC 4760 §3 "SHOULD be ignored upon receipt".
  try {
    return { type: 'MP_REACH_NLRI', flags, afi, safi, nextHops, nlri: decodePrefixes(r, family) };
  } catch (e) {
    if (e instanceof NlriError || e instanceof TruncatedError) throw mpError(`NLRI: ${e.message}`);
    throw e;
  }
}

export function encodeMpReach(w: Writer, a: MpReachAttr): void {
  let nhLen = 0;
  for (const nh of a.nextHops) nhLen += nh.bytes.length;
  w.u16(a.afi).u8(a.safi).u8(nhLen);
  for (const nh of a.nextHops) w.bytes(nh.bytes);
  w.u8(0);
  encodePrefixes(w, a.nlri);
}

export function mpReachLength(a: MpReachAttr): number {
  let nhLen = 0;
  for (const nh of a.nextHops) nhLen += nh.bytes.length;
  return 5 + nhLen + prefixesLength(a.nlri);
}

export function decodeMpUnreach(r: Reader, flags: number): MpUnreachAttr {
  if (r.remaining < 3) {
    throw new AttrError(
      UpdateErrorSubcode.ATTRIBUTE_LENGTH_ERROR,
      'MP_UNREACH_NLRI too short',
      'session-reset',
    );
  }
  const afi = r.u16();
  const safi = r.u8();
  const family = familyIp(afi, safi);
  if (family === undefined) {
    throw new AttrError(
      UpdateErrorSubcode.OPTIONAL_ATTRIBUTE_ERROR,
      `unsupported family ${familyName(afi, safi)} ignored`,
      'attribute-discard',
    );
  }
  try {
    return { type: 'MP_UNREACH_NLRI', flags, afi, safi, withdrawn: decodePrefixes(r, family) };
  } catch (e) {
    if (e instanceof NlriError || e instanceof TruncatedError)
      throw mpError(`withdrawn: ${e.message}`);
    throw e;
  }
}

export function encodeMpUnreach(w: Writer, a: MpUnreachAttr): void {
  w.u16(a.afi).u8(a.safi);
  encodePrefixes(w, a.withdrawn);
}

export function mpUnreachLength(a: MpUnreachAttr): number {
  return 3 + prefixesLength(a.withdrawn);
}
