/**
 * The routing RIB's vocabulary: route sources, next hops as configured and as resolved, and what
 * the RIB hands the FIB programmer and `show ip route` (see `rib.ts`).
 */
import type { IpFamily, Prefix } from '../lib/index.js';

export type RouteSource = 'connected' | 'static' | 'bgp';

/** The name of the default routing context (the main table). */
export const DEFAULT_CONTEXT = 'default';

/** Administrative distances (Catalyst defaults). */
export const AdminDistance = {
  connected: 0,
  static: 1,
  ebgp: 20,
  ibgp: 200,
} as const;

/** Catalyst `show ip route` codes per source. */
export const RouteCode = { connected: 'C', static: 'S', bgp: 'B' } as const;

export type NextHop =
  | { readonly kind: 'tunnel'; readonly tunnel: string }
  | {
      readonly kind: 'gateway';
      readonly address: string;
      /** Routing context to resolve the address in; default: the route's own context. */
      readonly context?: string;
    }
  /** A non-tunnel interface; used for connected subnets of other interfaces (underlay). */
  | { readonly kind: 'interface'; readonly ifname: string };

/** BGP attributes kept for `show` only. */
export interface BgpShowAttrs {
  readonly asPath?: string;
  readonly med?: number;
  readonly localPref?: number;
  /** Peer the route was learned from. */
  readonly from?: string;
}

export interface RouteInput {
  readonly nexthops: readonly NextHop[];
  readonly distance: number;
  /** Metric shown as the second number of [distance/metric]. */
  readonly metric?: number;
  readonly attrs?: BgpShowAttrs;
}

export interface Candidate {
  readonly source: RouteSource;
  readonly nexthops: readonly NextHop[];
  readonly distance: number;
  readonly metric: number;
  readonly attrs: BgpShowAttrs | undefined;
  /** Clock ms when this candidate last changed. */
  readonly sinceMs: number;
}

export interface Slot {
  /** `context|prefix`. */
  readonly key: string;
  readonly context: string;
  readonly prefix: string;
  readonly parsed: Prefix;
  readonly family: IpFamily;
  /** At most one per source, in the order they were first set (a Map's order, without a Map). */
  candidates: Candidate[];
}

/** A resolved kernel-level next hop: a device (tunnel) or a gateway on an interface. */
export interface ResolvedNexthop {
  /** Stable identity: `dev|<family>|<dev>` or `gw|<family>|<dev>|<via>`. */
  readonly key: string;
  readonly family: IpFamily;
  readonly dev: string;
  readonly via: string | undefined;
  /** The tunnel this next hop rides on, if any. */
  readonly tunnel: string | undefined;
}

export interface Resolution {
  readonly candidates: readonly ResolvedNexthop[];
  readonly usable: readonly ResolvedNexthop[];
}

/** A route the FIB should carry. */
export interface SelectedRoute {
  readonly context: string;
  readonly prefix: string;
  readonly family: IpFamily;
  readonly source: RouteSource;
  /** All resolved next hops (names the ECMP set), sorted by key. */
  readonly candidates: readonly ResolvedNexthop[];
  /** The members currently usable (tunnel up), sorted by key; never empty. */
  readonly usable: readonly ResolvedNexthop[];
}

export type NotInstalledReason = 'unresolved next hop' | 'no usable next hop';

/** One line of `show ip route` (a candidate of one source for one prefix). */
export interface RouteViewEntry {
  readonly code: 'C' | 'S' | 'B';
  readonly source: RouteSource;
  readonly context: string;
  readonly prefix: string;
  readonly distance: number;
  readonly metric: number;
  /** True for the candidate chosen for the prefix. */
  readonly selected: boolean;
  readonly nexthops: readonly {
    readonly via: string | undefined;
    readonly interface: string | undefined;
    readonly usable: boolean;
    /** The routing context a gateway is resolved in, when not the route's own. */
    readonly context?: string;
  }[];
  readonly ageMs: number;
  /** Why a candidate without usable next hops is not selected; null otherwise. */
  readonly reason: NotInstalledReason | null;
  readonly attrs: BgpShowAttrs | undefined;
}
