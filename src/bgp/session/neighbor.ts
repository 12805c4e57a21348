/**
 * A neighbor as the speaker keeps it: its configuration, its {@link BgpSession}, the routes it
 * announced (an Adj-RIB-In without policy) and the inbound max-prefixes counts; plus the keys and
 * address-family names the speaker, the RIB glue (rib-sync.ts) and `show` use for it, and the
 * session configuration built from it.
 */
import { formatIp, type IpAddr } from '../../lib/ip/addr.js';
import { formatPrefix, type Prefix } from '../../lib/ip/prefix.js';
import type { BgpNeighbor } from '../../config/types.js';
import { IPV4_UNICAST, IPV6_UNICAST, type AddressFamily } from '../open-negotiation.js';
import { MAX_PREFIXES_EXCEEDED, type PrefixLimiter } from '../policy/max-prefixes.js';
import { Afi, Safi } from '../wire/constants.js';
import type { PathAttribute } from '../wire/attributes/types.js';
import { formatAsPath } from '../wire/attributes/as-path.js';
import { findAttr } from '../wire/update.js';
import { fsmConfig } from '../fsm-types.js';
import type { BgpSession } from './session.js';
import type { SessionConfig } from './session-types.js';

export type FamilyName = 'ipv4-unicast' | 'ipv6-unicast';

export interface ReceivedRoute {
  readonly prefix: Prefix;
  readonly family: FamilyName;
  /** Path attributes as received (MP_REACH/MP_UNREACH removed). */
  readonly attributes: readonly PathAttribute[];
  readonly nextHop: IpAddr | undefined;
  readonly receivedAtMs: number;
}

export interface RoutesEvent {
  /** Neighbor key (see {@link neighborKey}). */
  readonly neighbor: string;
  readonly routingContext: string | undefined;
  readonly announced: readonly ReceivedRoute[];
  readonly withdrawn: readonly Prefix[];
}

/** One configured neighbor of the speaker. */
export interface SpeakerNeighbor {
  readonly key: string;
  /** Replaced in place by a reload that changes only soft settings (see `neighborChange`). */
  cfg: BgpNeighbor;
  readonly session: BgpSession;
  readonly received: Map<string, ReceivedRoute>;
  /** Per-family counts of `received` and the inbound max-prefixes guards. */
  limiter: PrefixLimiter;
  /** IP TTL of the session's packets. */
  readonly ttl: number;
  pfxSent: number;
}

/** Compact map key for a prefix (family, length, significant octets); cheaper than its text. */
export function routeKey(p: Prefix): string {
  let s = String.fromCharCode(p.addr.family, p.len);
  const n = (p.len + 7) >> 3;
  for (let i = 0; i < n; i++) s += String.fromCharCode(p.addr.bytes[i] ?? 0);
  return s;
}

/** `address` in the default context, `context/address` in another one. */
export function neighborKey(n: Pick<BgpNeighbor, 'address' | 'routingContext'>): string {
  return n.routingContext === undefined ? n.address : `${n.routingContext}/${n.address}`;
}

export function familyOf(f: AddressFamily): FamilyName | undefined {
  if (f.safi !== Safi.UNICAST) return undefined;
  if (f.afi === Afi.IPV4) return 'ipv4-unicast';
  if (f.afi === Afi.IPV6) return 'ipv6-unicast';
  return undefined;
}

export function familiesOf(n: BgpNeighbor): AddressFamily[] {
  return n.addressFamilies.map((f) => (f === 'ipv4-unicast' ? IPV4_UNICAST : IPV6_UNICAST));
}

/** Speaker-wide settings a neighbor's session configuration is made from. */
export interface NeighborSessionDefaults {
  readonly localAs: number;
  readonly localBgpId: number;
  readonly port: number;
  readonly connectRetrySec?: number | undefined;
  readonly idleHoldSec?: number | undefined;
}

/** The {@link BgpSession} configuration of neighbor `n` (`ttl` from transport.ts `sessionTtl`). */
export function neighborSessionConfig(
  n: BgpNeighbor,
  key: string,
  ttl: number,
  d: NeighborSessionDefaults,
): SessionConfig {
  return {
    name: key,
    remoteAddress: n.address,
    port: d.port,
    updateSource: n.updateSource,
    ttl,
    open: {
      localAs: d.localAs,
      localBgpId: d.localBgpId,
      remoteAs: n.remoteAs,
      holdTimeSec: n.timers.holdSec,
      keepaliveSec: n.timers.keepaliveSec,
      families: familiesOf(n),
    },
    fsm: fsmConfig({
      passive: n.passive,
      holdTimeSec: n.timers.holdSec,
      ...(d.connectRetrySec !== undefined ? { connectRetrySec: d.connectRetrySec } : {}),
      ...(d.idleHoldSec !== undefined ? { idleHoldSec: d.idleHoldSec } : {}),
    }),
  };
}

/** The State column: Catalyst's "Idle (Admin)" and "Idle (PfxCt)" for stopped neighbors. */
export function stateText(n: SpeakerNeighbor, state: string): string {
  if (state !== 'Idle') return state;
  if (n.cfg.shutdown) return 'Idle (Admin)';
  if (n.session.stoppedFor === MAX_PREFIXES_EXCEEDED) return 'Idle (PfxCt)';
  return state;
}

/** "10.20.0.0/16 via 169.254.21.2 path 65515 i" style text for logs and tests. */
export function describeRoute(r: ReceivedRoute): string {
  const asPath = findAttr(r.attributes, 'AS_PATH');
  const nh = r.nextHop ? formatIp(r.nextHop) : '-';
  return `${formatPrefix(r.prefix)} via ${nh} path ${asPath ? formatAsPath(asPath.segments) : ''}`;
}
