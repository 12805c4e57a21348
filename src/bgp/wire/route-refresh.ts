/**
 * ROUTE-REFRESH: RFC 2918 §3, with the RFC 7313 §3 subtype in the former Reserved octet.
 *
 *   0       7      15      23      31
 *   +-------+-------+-------+-------+
 *   |      AFI      | Subtyp| SAFI  |
 *   +-------+-------+-------+-------+
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { BgpNotificationError } from '../errors.js';
import { ErrorCode, RouteRefreshErrorSubcode } from './constants.js';

/** RFC 7313 §3 message subtypes. */
export const RouteRefreshSubtype = {
  NORMAL: 0,
  BORR: 1,
  EORR: 2,
} as const;

export interface RouteRefreshMessage {
  readonly afi: number;
  readonly safi: number;
  /** 0 = normal route refresh (RFC 2918); 1/2 = BoRR/EoRR (RFC 7313). */
  readonly subtype: number;
}

/** `r` is bounded to the message body. */
export function decodeRouteRefresh(r: Reader): RouteRefreshMessage {
  // RFC 7313 §5: a body that is not 4 octets → ROUTE-REFRESH Message Error / Invalid Length.
  if (r.remaining !== 4) {
    throw new BgpNotificationError(
      ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR,
      RouteRefreshErrorSubcode.INVALID_MESSAGE_LENGTH,
      Uint8Array.from(r.rest()),
      { detail: `body length ${r.remaining}` },
    );
  }
  const afi = r.u16();
  const subtype = r.u8();
  const safi = r.u8();
  return { afi, safi, subtype };
}

export function encodeRouteRefresh(w: Writer, m: RouteRefreshMessage): void {
  w.u16(m.afi).u8(m.subtype).u8(m.safi);
}

export function routeRefreshLength(_m: RouteRefreshMessage): number {
  return 4;
}
