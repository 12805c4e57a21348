/**
 * What a neighbor is sent for a Loc-RIB best path (RFC 4271 §9.1.3, §9.2, §5.1), Catalyst style:
 *
 * - never back to the neighbor address it was learned from, in any routing context (the same
 *   gateway reached through two tunnels is one router: what it sent is not echoed to it over the
 *   other tunnel), never iBGP → iBGP (no route reflection);
 * - to neighbors of every routing context: a context is a session's transport, not a separate
 *   table (Loc-RIB is one table, see loc-rib.ts);
 * - RFC 1997: NO_ADVERTISE goes to nobody, NO_EXPORT / NO_EXPORT_SUBCONFED not to eBGP;
 * - to eBGP: MED of learned paths is reset (RFC 4271 §5.1.4, non-transitive across ASes) unless
 *   the outbound route-map sets it; LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST are removed;
 * - to iBGP: LOCAL_PREF is always sent (default 100);
 * - the outbound prefix-list and route-map (matching the path as in Loc-RIB, i.e. without our AS);
 * - to eBGP: `as-override` replaces the neighbor's AS with ours, then our AS is prepended
 *   (RFC 4271 §5.1.2), and the next hop is the session's local address (next-hop-self);
 *   to iBGP the next hop is kept unless `next-hop-self` (or the path is local).
 */
import type { IpAddr } from '../../lib/ip/addr.js';
import type { RouteFilter } from '../policy/policy-set.js';
import { WellKnownCommunity } from '../wire/constants.js';
import type { AsPathSegment } from '../wire/attributes/types.js';
import { effectiveLocalPref, prependAsns, type Path, type PathAttrs } from './path.js';

/** One neighbor as the export side sees it. */
export interface ExportPeer {
  readonly address: string;
  readonly asn: number;
  readonly isIbgp: boolean;
  readonly routingContext: string | undefined;
  readonly asOverride: boolean;
  readonly nextHopSelf: boolean;
  /** Session local address used as next hop for IPv4 NLRI. */
  readonly localAddressV4: IpAddr | undefined;
  /** Global IPv6 address used as MP_REACH next hop for IPv6 NLRI. */
  readonly localAddressV6: IpAddr | undefined;
  readonly exportFilter: RouteFilter;
}

export type ExportVerdict =
  | { readonly ok: true; readonly attrs: PathAttrs }
  | {
      readonly ok: false;
      readonly reason:
        'split-horizon' | 'ibgp-to-ibgp' | 'no-advertise' | 'no-export' | 'policy' | 'no-next-hop';
    };

function overrideAs(segments: readonly AsPathSegment[], from: number, to: number): AsPathSegment[] {
  return segments.map((s) =>
    s.asns.includes(from) ? { type: s.type, asns: s.asns.map((a) => (a === from ? to : a)) } : s,
  );
}

/** Decide whether and how `path` is advertised to `peer` by a speaker in AS `localAsn`. */
export function exportPath(path: Path, peer: ExportPeer, localAsn: number): ExportVerdict {
  const src = path.source;
  const learned = src.kind === 'peer';
  if (learned && src.address === peer.address) return { ok: false, reason: 'split-horizon' };
  if (learned && src.isIbgp && peer.isIbgp) return { ok: false, reason: 'ibgp-to-ibgp' };
  const cs = path.attrs.communities;
  if (cs.includes(WellKnownCommunity.NO_ADVERTISE)) return { ok: false, reason: 'no-advertise' };
  if (
    !peer.isIbgp &&
    (cs.includes(WellKnownCommunity.NO_EXPORT) ||
      cs.includes(WellKnownCommunity.NO_EXPORT_SUBCONFED))
  ) {
    return { ok: false, reason: 'no-export' };
  }
  let base: PathAttrs = path.attrs;
  if (peer.isIbgp) {
    base = { ...base, localPref: effectiveLocalPref(base) };
  } else {
    base = {
      ...base,
      med: learned ? undefined : base.med,
      localPref: undefined,
      originatorId: undefined,
      clusterList: [],
    };
  }
  const filtered = peer.exportFilter({ prefix: path.prefix, attrs: base });
  if (!filtered) return { ok: false, reason: 'policy' };
  let out = filtered;
  if (!peer.isIbgp) {
    let segs = out.asPath;
    if (peer.asOverride) segs = overrideAs(segs, peer.asn, localAsn);
    out = { ...out, asPath: prependAsns(segs, [localAsn]) };
  }
  const self = !peer.isIbgp || peer.nextHopSelf || !learned || out.nextHop === undefined;
  if (self) {
    const nh = path.prefix.addr.family === 4 ? peer.localAddressV4 : peer.localAddressV6;
    if (!nh) return { ok: false, reason: 'no-next-hop' };
    out = { ...out, nextHop: nh };
  }
  return { ok: true, attrs: out };
}
