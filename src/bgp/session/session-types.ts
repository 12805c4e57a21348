/**
 * Configuration, events, counters and the read-only view of a {@link BgpSession}, and the speaker's
 * per-neighbor views built on it (`show ip bgp summary` / `neighbors`).
 */
import type { BgpFsmConfig, BgpState } from '../fsm-types.js';
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
