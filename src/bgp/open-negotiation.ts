/**
 * OPEN validation against the neighbor's configuration and negotiation of session parameters:
 * RFC 4271 §4.2/§6.2 (version, peer AS, BGP Identifier, hold time), RFC 6286 §2.2 (identifier
 * uniqueness only within an AS), RFC 6793 §4 (4-octet AS via capability 65 and AS_TRANS),
 * RFC 4760 §8 (families; no MP capability means IPv4 unicast), RFC 2918/7313 (route refresh),
 * RFC 8654 (extended message).
 */
import { BgpNotificationError } from './errors.js';
import { Afi, AS_TRANS, ErrorCode, familyName, OpenErrorSubcode, Safi } from './wire/constants.js';
import type { BgpCodecContext } from './wire/header.js';
import type { Capability, OpenMessage } from './wire/open.js';

export interface AddressFamily {
  readonly afi: number;
  readonly safi: number;
}

export const IPV4_UNICAST: AddressFamily = { afi: Afi.IPV4, safi: Safi.UNICAST };
export const IPV6_UNICAST: AddressFamily = { afi: Afi.IPV6, safi: Safi.UNICAST };

export interface NeighborOpenConfig {
  readonly localAs: number;
  readonly localBgpId: number;
  /** Expected remote AS (4-octet value). */
  readonly remoteAs: number;
  /** Hold time we offered (0 or ≥3). */
  readonly holdTimeSec: number;
  /** Configured keepalive; default hold/3. Never more than a third of the negotiated hold. */
  readonly keepaliveSec?: number;
  /** Refuse a peer's non-zero hold time below this (default 3, the RFC 4271 minimum). */
  readonly minHoldTimeSec?: number;
  /** Families we advertised. */
  readonly families: readonly AddressFamily[];
  readonly enhancedRouteRefresh?: boolean;
  readonly extendedMessage?: boolean;
}

export interface NegotiatedSession {
  readonly remoteAs: number;
  readonly remoteBgpId: number;
  /** Both sides support 4-octet AS numbers (RFC 6793). */
  readonly as4: boolean;
  readonly ibgp: boolean;
  readonly holdTimeSec: number;
  /** 0 when the hold time is 0 (no KEEPALIVEs, RFC 4271 §4.4). */
  readonly keepaliveSec: number;
  readonly families: readonly AddressFamily[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly remoteCapabilities: readonly Capability[];
}

function openError(subcode: number, detail: string, data?: Uint8Array): BgpNotificationError {
  return new BgpNotificationError(ErrorCode.OPEN_MESSAGE_ERROR, subcode, data, { detail });
}

/** RFC 4271 §4.2: negotiated hold = min(ours, theirs); keepalive = configured or hold/3. */
export function negotiateTimers(
  localHoldSec: number,
  remoteHoldSec: number,
  keepaliveSec?: number,
): { holdTimeSec: number; keepaliveSec: number } {
  const holdTimeSec = Math.min(localHoldSec, remoteHoldSec);
  if (holdTimeSec === 0) return { holdTimeSec, keepaliveSec: 0 };
  const third = Math.floor(holdTimeSec / 3);
  const ka =
    keepaliveSec === undefined || keepaliveSec <= 0 ? third : Math.min(keepaliveSec, third);
  return { holdTimeSec, keepaliveSec: Math.max(1, ka) };
}

/** The remote's real AS: capability 65 if present, else the My AS field (RFC 6793 §4.1). */
export function remoteAsOf(open: OpenMessage): number {
  for (const c of open.capabilities) if (c.kind === 'four-octet-as') return c.asn;
  return open.myAs;
}

function remoteFamilies(open: OpenMessage): AddressFamily[] {
  const out: AddressFamily[] = [];
  for (const c of open.capabilities) {
    if (c.kind === 'multiprotocol' && !out.some((f) => f.afi === c.afi && f.safi === c.safi)) {
      out.push({ afi: c.afi, safi: c.safi });
    }
  }
  // RFC 4760 §8 / RFC 4271: a speaker without MP capabilities speaks IPv4 unicast only.
  return out.length > 0 ? out : [IPV4_UNICAST];
}

/**
 * Validate a received OPEN and compute the session parameters. Throws
 * {@link BgpNotificationError} (OPEN Message Error) with the RFC 4271 §6.2 subcode.
 */
export function negotiateOpen(open: OpenMessage, cfg: NeighborOpenConfig): NegotiatedSession {
  const first = open.unknownParams[0];
  if (first) {
    // RFC 4271 §6.2 / RFC 5492 §4: only the Capabilities parameter is understood.
    throw openError(
      OpenErrorSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
      `optional parameter ${first.type}`,
    );
  }
  const cap4 = open.capabilities.find((c) => c.kind === 'four-octet-as');
  const remoteAs = remoteAsOf(open);
  if (cap4 && cap4.asn > 0xffff && open.myAs !== AS_TRANS) {
    // RFC 6793 §4.1: a speaker with a 4-octet-only AS must put AS_TRANS in My AS.
    throw openError(OpenErrorSubcode.BAD_PEER_AS, `My AS ${open.myAs} with 4-octet AS ${cap4.asn}`);
  }
  if (!cap4 && open.myAs === AS_TRANS) {
    throw openError(OpenErrorSubcode.BAD_PEER_AS, 'AS_TRANS without the 4-octet AS capability');
  }
  if (remoteAs !== cfg.remoteAs) {
    throw openError(
      OpenErrorSubcode.BAD_PEER_AS,
      `peer AS ${remoteAs}, expected ${cfg.remoteAs}`,
      Uint8Array.of(open.myAs >> 8, open.myAs & 0xff),
    );
  }
  const ibgp = remoteAs === cfg.localAs;
  // RFC 6286 §2.2: the identifier is a non-zero 4-octet value, unique within the AS.
  if (open.bgpId === 0 || (ibgp && open.bgpId === cfg.localBgpId)) {
    throw openError(
      OpenErrorSubcode.BAD_BGP_IDENTIFIER,
      `BGP identifier ${formatBgpId(open.bgpId)}`,
    );
  }
  // RFC 4271 §4.2: hold time is 0 or at least 3 seconds.
  const minHold = Math.max(3, cfg.minHoldTimeSec ?? 3);
  if (open.holdTimeSec !== 0 && open.holdTimeSec < minHold) {
    throw openError(OpenErrorSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${open.holdTimeSec}`);
  }
  const timers = negotiateTimers(cfg.holdTimeSec, open.holdTimeSec, cfg.keepaliveSec);
  const theirs = remoteFamilies(open);
  const families = cfg.families.filter((f) =>
    theirs.some((t) => t.afi === f.afi && t.safi === f.safi),
  );
  const has = (kind: Capability['kind']): boolean => open.capabilities.some((c) => c.kind === kind);
  const ciscoRefresh = open.capabilities.some((c) => c.kind === 'unknown' && c.code === 128);
  return {
    remoteAs,
    remoteBgpId: open.bgpId,
    as4: cap4 !== undefined,
    ibgp,
    ...timers,
    families,
    routeRefresh: has('route-refresh') || ciscoRefresh,
    enhancedRouteRefresh: (cfg.enhancedRouteRefresh ?? false) && has('enhanced-route-refresh'),
    extendedMessage: (cfg.extendedMessage ?? false) && has('extended-message'),
    remoteCapabilities: open.capabilities,
  };
}

export function codecContextOf(s: NegotiatedSession): BgpCodecContext {
  return { as4: s.as4, extendedMessage: s.extendedMessage };
}

export function familiesText(fs: readonly AddressFamily[]): string {
  return fs.map((f) => familyName(f.afi, f.safi)).join(', ');
}

/** Dotted-quad rendering of a BGP Identifier. */
export function formatBgpId(id: number): string {
  return [id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff].join('.');
}

/** Parse a dotted-quad BGP Identifier (router-id); undefined if not an IPv4 address. */
export function parseBgpId(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}
