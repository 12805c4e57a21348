/**
 * OPEN message: RFC 4271 §4.2, capabilities optional parameter RFC 5492 §4, Multiprotocol
 * capability RFC 4760 §8, route refresh RFC 2918 §2 (+ RFC 7313 enhanced), 4-octet AS RFC 6793 §3,
 * extended message RFC 8654, extended optional parameters length RFC 9072 (decode only; we
 * always send the classic format, our OPEN never needs more than 255 octets of parameters).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+
 *  |    Version    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     My Autonomous System      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Hold Time           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         BGP Identifier                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Opt Parm Len  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |             Optional Parameters (variable)                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Optional parameter: type (1) | length (1) | value. Capability: code (1) | length (1) | value.
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { TruncatedError } from '../../lib/errors.js';
import { BgpNotificationError } from '../errors.js';
import {
  AS_TRANS,
  BGP_VERSION,
  CapabilityCode,
  ErrorCode,
  OpenErrorSubcode,
  OptParamType,
} from './constants.js';

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  /** Any other capability, kept verbatim (e.g. graceful restart, add-path, FQDN). */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTimeSec: number;
  /** BGP Identifier as an unsigned 32-bit integer (network order). */
  readonly bgpId: number;
  /** All capabilities, in order, flattened over all Capabilities optional parameters. */
  readonly capabilities: readonly Capability[];
  /** Optional parameters other than Capabilities (RFC 4271 §6.2 makes them an error on receipt). */
  readonly unknownParams: readonly { readonly type: number; readonly value: Uint8Array }[];
}

function openError(subcode: number, detail: string, data?: Uint8Array): BgpNotificationError {
  return new BgpNotificationError(ErrorCode.OPEN_MESSAGE_ERROR, subcode, data, { detail });
}

function fixedLength(code: number, value: Uint8Array, want: number): void {
  if (value.length !== want) {
    // RFC 5492 §3 leaves malformed capabilities to the OPEN Message Error "unspecific" subcode.
    throw openError(0, `capability ${code} length ${value.length}, expected ${want}`);
  }
}

function decodeCapability(code: number, value: Buffer): Capability {
  switch (code) {
    case CapabilityCode.MULTIPROTOCOL:
      // RFC 4760 §8: AFI (2) | Reserved (1) | SAFI (1).
      fixedLength(code, value, 4);
      return { kind: 'multiprotocol', afi: value.readUInt16BE(0), safi: value[3] ?? 0 };
    case CapabilityCode.ROUTE_REFRESH:
      fixedLength(code, value, 0);
      return { kind: 'route-refresh' };
    case CapabilityCode.ENHANCED_ROUTE_REFRESH:
      fixedLength(code, value, 0);
      return { kind: 'enhanced-route-refresh' };
    case CapabilityCode.EXTENDED_MESSAGE:
      fixedLength(code, value, 0);
      return { kind: 'extended-message' };
    case CapabilityCode.FOUR_OCTET_AS:
      // RFC 6793 §3: the value is the 4-octet AS number.
      fixedLength(code, value, 4);
      return { kind: 'four-octet-as', asn: value.readUInt32BE(0) };
    default:
      return { kind: 'unknown', code, value: Uint8Array.from(value) };
  }
}

function decodeCapabilities(r: Reader, out: Capability[]): void {
  while (!r.atEnd) {
    if (r.remaining < 2) throw openError(0, 'truncated capability header');
    const code = r.u8();
    const len = r.u8();
    if (len > r.remaining) throw openError(0, `capability ${code} overruns its parameter`);
    out.push(decodeCapability(code, r.bytes(len)));
  }
}

/** Decode an OPEN body (`r` bounded to it). Throws {@link BgpNotificationError} (OPEN Message Error). */
export function decodeOpen(r: Reader): OpenMessage {
  try {
    const version = r.u8();
    if (version !== BGP_VERSION) {
      // RFC 4271 §6.2: Data = the largest locally supported version number (2 octets).
      throw openError(
        OpenErrorSubcode.UNSUPPORTED_VERSION_NUMBER,
        `version ${version}`,
        Uint8Array.of(0, BGP_VERSION),
      );
    }
    const myAs = r.u16();
    const holdTimeSec = r.u16();
    const bgpId = r.u32();
    let optLen = r.u8();
    // RFC 9072 §2: Non-Ext OP Len 255 + Non-Ext OP Type 255 → 2-octet lengths follow.
    const extended = optLen === 255 && r.remaining >= 1 && r.peekU8() === 255;
    if (extended) {
      r.u8();
      optLen = r.u16();
    }
    if (optLen !== r.remaining) {
      throw openError(0, `optional parameters length ${optLen}, ${r.remaining} octets present`);
    }
    const capabilities: Capability[] = [];
    const unknownParams: { type: number; value: Uint8Array }[] = [];
    while (!r.atEnd) {
      if (r.remaining < (extended ? 3 : 2)) throw openError(0, 'truncated optional parameter');
      const type = r.u8();
      const len = extended ? r.u16() : r.u8();
      if (len > r.remaining) throw openError(0, `optional parameter ${type} overruns`);
      const value = r.sub(len);
      if (type === OptParamType.CAPABILITIES) decodeCapabilities(value, capabilities);
      else unknownParams.push({ type, value: Uint8Array.from(value.rest()) });
    }
    return { version, myAs, holdTimeSec, bgpId, capabilities, unknownParams };
  } catch (e) {
    if (e instanceof TruncatedError) throw openError(0, 'truncated OPEN');
    throw e;
  }
}

function capabilityValueLength(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol':
    case 'four-octet-as':
      return 4;
    case 'route-refresh':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return 0;
    case 'unknown':
      return c.value.length;
  }
}

function capabilityCode(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol':
      return CapabilityCode.MULTIPROTOCOL;
    case 'four-octet-as':
      return CapabilityCode.FOUR_OCTET_AS;
    case 'route-refresh':
      return CapabilityCode.ROUTE_REFRESH;
    case 'enhanced-route-refresh':
      return CapabilityCode.ENHANCED_ROUTE_REFRESH;
    case 'extended-message':
      return CapabilityCode.EXTENDED_MESSAGE;
    case 'unknown':
      return c.code;
  }
}

function encodeCapability(w: Writer, c: Capability): void {
  w.u8(capabilityCode(c)).u8(capabilityValueLength(c));
  switch (c.kind) {
    case 'multiprotocol':
      w.u16(c.afi).u8(0).u8(c.safi);
      return;
    case 'four-octet-as':
      w.u32(c.asn);
      return;
    case 'route-refresh':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return;
    case 'unknown':
      w.bytes(c.value);
      return;
  }
}

/**
 * RFC 5492 §4 allows one Capabilities parameter to carry many capabilities (what BIRD and FRR
 * send); we do the same and start a new parameter only when one would exceed 255 octets.
 */
function capabilityGroups(caps: readonly Capability[]): Capability[][] {
  const groups: Capability[][] = [];
  let cur: Capability[] = [];
  let size = 0;
  for (const c of caps) {
    const n = 2 + capabilityValueLength(c);
    if (size + n > 255 && cur.length > 0) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(c);
    size += n;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

function optParamsLength(m: OpenMessage): number {
  let n = 0;
  for (const g of capabilityGroups(m.capabilities)) {
    n += 2;
    for (const c of g) n += 2 + capabilityValueLength(c);
  }
  for (const p of m.unknownParams) n += 2 + p.value.length;
  return n;
}

export function encodeOpen(w: Writer, m: OpenMessage): void {
  w.u8(m.version).u16(m.myAs).u16(m.holdTimeSec).u32(m.bgpId);
  w.u8(optParamsLength(m));
  for (const g of capabilityGroups(m.capabilities)) {
    let len = 0;
    for (const c of g) len += 2 + capabilityValueLength(c);
    w.u8(OptParamType.CAPABILITIES).u8(len);
    for (const c of g) encodeCapability(w, c);
  }
  for (const p of m.unknownParams) w.u8(p.type).u8(p.value.length).bytes(p.value);
}

export function openLength(m: OpenMessage): number {
  return 10 + optParamsLength(m);
}

/** The 2-octet My AS field for a local AS (RFC 6793 §4.1: AS_TRANS when it needs 4 octets). */
export function myAsField(asn: number): number {
  return asn > 0xffff ? AS_TRANS : asn;
}

/** Build our OPEN: version 4, AS_TRANS for 4-byte ASNs, capability 65 always included. */
export function buildOpen(opts: {
  readonly localAs: number;
  readonly holdTimeSec: number;
  readonly bgpId: number;
  readonly families: readonly { readonly afi: number; readonly safi: number }[];
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  readonly extra?: readonly Capability[];
}): OpenMessage {
  const capabilities: Capability[] = opts.families.map((f) => ({
    kind: 'multiprotocol' as const,
    afi: f.afi,
    safi: f.safi,
  }));
  if (opts.routeRefresh ?? true) capabilities.push({ kind: 'route-refresh' });
  if (opts.enhancedRouteRefresh) capabilities.push({ kind: 'enhanced-route-refresh' });
  capabilities.push({ kind: 'four-octet-as', asn: opts.localAs });
  if (opts.extra) capabilities.push(...opts.extra);
  return {
    version: BGP_VERSION,
    myAs: myAsField(opts.localAs),
    holdTimeSec: opts.holdTimeSec,
    bgpId: opts.bgpId,
    capabilities,
    unknownParams: [],
  };
}
