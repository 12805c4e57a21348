/**
 * Configuration, events, counters and the read-only view of a {@link BgpSession}, the speaker's
 * per-neighbor views built on it (`show ip bgp summary` / `neighbors`), and how a reload sorts a
 * neighbor's configuration change ({@link neighborChange}).
 */
import type { BgpNeighbor } from '../../config/types.js';
import type { BgpFsmConfig, BgpState } from '../fsm-types.js';
import { ErrorCode } from '../wire/constants.js';
import type { NotificationMessage } from '../wire/notification.js';
import type { NegotiatedSession, NeighborOpenConfig } from '../open-negotiation.js';
import type { RouteRefreshMessage } from '../wire/route-refresh.js';
import type { UpdateDecodeResult } from '../wire/update.js';

export interface SessionConfig {
  /** Display name of the neighbor ("169.254.21.2", or "outside-one/10.0.255.254"). */
  readonly name: string;
  readonly remoteAddress: string;
  readonly port: number;
  /** Bind outgoing connections to this local address. */
  readonly updateSource: string | undefined;
  /** IP TTL of the session's packets (transport.ts `sessionTtl`: eBGP 1 or ebgp-multihop, iBGP 255). */
  readonly ttl: number;
  readonly open: NeighborOpenConfig;
  readonly fsm: BgpFsmConfig;
}

export interface SessionEvents {
  established(session: NegotiatedSession, localAddress: string | undefined): void;
  /** Left Established (routes learned from the neighbor must be withdrawn). */
  down(reason: string): void;
  update(result: UpdateDecodeResult): void;
  routeRefresh(m: RouteRefreshMessage): void;
}

export interface SessionCounters {
  msgRcvd: number;
  msgSent: number;
  updatesRcvd: number;
  updatesSent: number;
  keepalivesRcvd: number;
  keepalivesSent: number;
  notificationsRcvd: number;
  notificationsSent: number;
  opensRcvd: number;
  opensSent: number;
  routeRefreshRcvd: number;
  routeRefreshSent: number;
  /** Times the session reached Established. */
  established: number;
  /** Times it dropped out of Established. */
  dropped: number;
  connectAttempts: number;
}

export interface SessionView {
  readonly name: string;
  readonly remoteAddress: string;
  readonly remoteAs: number;
  readonly state: BgpState;
  readonly passive: boolean;
  readonly counters: Readonly<SessionCounters>;
  /** Monotonic ms when the current state (up or down) started. */
  readonly sinceMs: number;
  readonly lastError: string | undefined;
  readonly lastNotificationSent: string | undefined;
  readonly lastNotificationRcvd: string | undefined;
  readonly negotiated: NegotiatedSession | undefined;
  readonly localAddress: string | undefined;
  readonly inQ: number;
  readonly outQ: number;
  readonly connectRetryCounter: number;
}

export interface NeighborSummary {
  readonly neighbor: string;
  readonly address: string;
  readonly routingContext: string | undefined;
  readonly description: string | undefined;
  readonly version: 4;
  readonly remoteAs: number;
  readonly msgRcvd: number;
  readonly msgSent: number;
  readonly tblVer: number;
  readonly inQ: number;
  readonly outQ: number;
  /** Milliseconds in the current up/down state. */
  readonly upDownMs: number;
  readonly state: string;
  /** Prefixes received while Established, else undefined (the State column shows the state). */
  readonly pfxRcd: number | undefined;
  readonly pfxSent: number;
}

export interface SpeakerSummary {
  readonly routerId: string;
  readonly localAs: number;
  readonly tableVersion: number;
  readonly neighbors: readonly NeighborSummary[];
}

export interface NeighborDetail extends SessionView {
  readonly neighbor: string;
  readonly routingContext: string | undefined;
  readonly updateSource: string | undefined;
  readonly ebgpMultihop: number | undefined;
  /** TTL our packets to the neighbor leave with (1: directly connected eBGP). */
  readonly ttl: number;
  /** Inbound limit, if configured. */
  readonly maxPrefixes:
    { readonly limit: number; readonly action: 'warn' | 'teardown' } | undefined;
  readonly configuredHoldSec: number;
  readonly configuredKeepaliveSec: number;
  readonly pfxRcd: number;
  readonly pfxSent: number;
  readonly tunnels: readonly string[];
}

/**
 * Neighbor settings a reload applies without resetting the session, as FRR and Catalyst do:
 * inbound/outbound policy (soft reconfiguration), limits, as-override, next-hop-self, allowas-in.
 */
const SOFT_SETTINGS = [
  'description',
  'routeMapIn',
  'routeMapOut',
  'prefixListIn',
  'prefixListOut',
  'maxPrefixes',
  'maxPrefixesOut',
  'asOverride',
  'nextHopSelf',
  'allowasIn',
] as const satisfies readonly (keyof BgpNeighbor)[];

/**
 * What a reload must do to a neighbor whose configuration went from `a` to `b`: nothing, apply
 * soft settings in place, `shutdown`/`no shutdown`, or reset the session (anything that is in the
 * OPEN or the transport: remote-as, timers, families, update-source, ebgp-multihop, passive).
 */
export type NeighborChange = 'none' | 'soft' | 'shutdown' | 'no-shutdown' | 'reset';

export function neighborChange(a: BgpNeighbor, b: BgpNeighbor): NeighborChange {
  const soft = new Set<string>([...SOFT_SETTINGS, 'shutdown']);
  const hard = (n: BgpNeighbor): string =>
    JSON.stringify(Object.entries(n).filter(([k]) => !soft.has(k)));
  if (hard(a) !== hard(b)) return 'reset';
  if (a.shutdown !== b.shutdown) return b.shutdown ? 'shutdown' : 'no-shutdown';
  return SOFT_SETTINGS.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]))
    ? 'none'
    : 'soft';
}

/** What {@link BgpSpeaker.reconfigure} did, by neighbor key. */
export interface NeighborReconfig {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly reset: readonly string[];
  readonly soft: readonly string[];
  readonly shutdown: readonly string[];
  readonly started: readonly string[];
}

/** The Cease NOTIFICATION with `subcode` (RFC 4486 §4) and no data. */
export function cease(subcode: number): NotificationMessage {
  return { errorCode: ErrorCode.CEASE, subcode, data: new Uint8Array(0) };
}
