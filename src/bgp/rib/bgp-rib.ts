/**
 * The RIB pipeline of one BGP speaker (RFC 4271 §3.2, §9):
 *
 *   UPDATE ─► Adj-RIB-In (loop check, import policy) ─► Loc-RIB (dirty) ─► processDirty(limit)
 *          ─► best / multipath changes (routing module) ─► export policy per neighbor
 *          ─► Adj-RIB-Out (diff, max-prefixes-out) ─► flush() ─► packUpdates() ─► session
 *
 * Pure logic: the session layer calls {@link BgpRib.receive} with decoded routes, runs
 * {@link BgpRib.process} in bounded slices and sends each neighbor's {@link BgpRib.flush}.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import { AdjRibIn, type LocRibChange } from './adj-rib-in.js';
import { AdjRibOut, type CapInfo, type OutUpdate } from './adj-rib-out.js';
import type { DecisionOptions } from './best-path.js';
import { exportPath, type ExportPeer } from './export-policy.js';
import { destinationKey, LocRib, type DestinationChange } from './loc-rib.js';
import { localSource, originateNetwork, originateRedistributed } from './local-routes.js';
import { sourceKey, type Path, type PathAttrs, type PathSource } from './path.js';
import type { RouteFilter } from '../policy/policy-set.js';

/**
 * A locally originated route: a `networks` entry or a redistributed static/connected route. One
 * in a routing context is transport plumbing (a tunnel's peer /32) and is never originated
 * (Catalyst's `redistribute static` in the global address family ignores VRF statics).
 */
export interface LocalRoute {
  readonly prefix: Prefix;
  readonly kind: 'network' | 'static' | 'connected';
  readonly routingContext?: string | undefined;
}

const LOCAL_RANK = { network: 0, static: 1, connected: 2 } as const;

/**
 * The local paths to originate for `routes`, by destination key: routes in a routing context are
 * left out, and a prefix listed several times is originated once, as the highest-ranked kind
 * (network, then static, then connected).
 */
export function localPaths(
  routes: readonly LocalRoute[],
  localAsn: number,
  routerId: number,
  now: number,
): Map<string, Path> {
  const want = new Map<string, Path>();
  const src = localSource(localAsn, routerId);
  for (const r of routes) {
    if (r.routingContext !== undefined) continue;
    const k = destinationKey(r.prefix);
    const have = want.get(k);
    if (have?.flags.local !== undefined && LOCAL_RANK[have.flags.local] <= LOCAL_RANK[r.kind]) {
      continue;
    }
    want.set(
      k,
      r.kind === 'network'
        ? originateNetwork(r.prefix, src, now)
        : originateRedistributed(r.prefix, r.kind, src, now),
    );
  }
  return want;
}

export interface RibNeighborConfig {
  readonly peer: ExportPeer;
  /** Neighbor BGP Identifier (unsigned 32-bit), known once the OPEN arrived. */
  readonly routerId: number;
  readonly allowasIn: number;
  readonly importFilter?: RouteFilter;
  readonly maxPrefixesOut?: number | undefined;
}

interface NeighborState {
  peer: ExportPeer;
  readonly source: PathSource;
  readonly adjIn: AdjRibIn;
  readonly adjOut: AdjRibOut;
  established: boolean;
}

export interface BgpRibOptions {
  readonly localAsn: number;
  readonly decision?: Partial<DecisionOptions>;
  /** Told once whenever a neighbor's max-prefixes-out starts capping (log it at warn). */
  readonly onCapped?: (neighbor: string, info: CapInfo) => void;
}

export class BgpRib {
  readonly localAsn: number;
  readonly locRib: LocRib;
  readonly #neighbors = new Map<string, NeighborState>();
  readonly #onCapped: BgpRibOptions['onCapped'];
  #local = new Map<string, Path>();

  constructor(opts: BgpRibOptions) {
    this.localAsn = opts.localAsn;
    this.locRib = new LocRib(opts.decision);
    this.#onCapped = opts.onCapped;
  }

  static neighborKey(address: string, routingContext: string | undefined): string {
    return `${routingContext ?? ''}/${address}`;
  }

  #get(key: string): NeighborState {
    const n = this.#neighbors.get(key);
    if (!n) throw new Error(`unknown neighbor ${key}`);
    return n;
  }

  /** Register a neighbor (not yet established). Returns its key. */
  addNeighbor(cfg: RibNeighborConfig): string {
    const p = cfg.peer;
    const key = BgpRib.neighborKey(p.address, p.routingContext);
    const source: PathSource = {
      kind: 'peer',
      address: p.address,
      asn: p.asn,
      routerId: cfg.routerId,
      isIbgp: p.isIbgp,
      routingContext: p.routingContext,
    };
    const adjInOpts = {
      localAsn: this.localAsn,
      allowasIn: cfg.allowasIn,
      ...(cfg.importFilter ? { importFilter: cfg.importFilter } : {}),
    };
    const onCapped = this.#onCapped;
    this.#neighbors.set(key, {
      peer: p,
      source,
      adjIn: new AdjRibIn(source, adjInOpts),
      adjOut: new AdjRibOut({
        maxPrefixesOut: cfg.maxPrefixesOut,
        ...(onCapped
          ? {
              onCapped: (info: CapInfo) => {
                onCapped(key, info);
              },
            }
          : {}),
      }),
      established: false,
    });
    return key;
  }

  adjRibIn(key: string): AdjRibIn {
    return this.#get(key).adjIn;
  }

  adjRibOut(key: string): AdjRibOut {
    return this.#get(key).adjOut;
  }

  #apply(c: LocRibChange | undefined): void {
    if (!c) return;
    if (c.kind === 'update') this.locRib.update(c.path);
    else this.locRib.withdraw(c.prefix, c.source);
  }

  /** Session Established: the whole current table goes into the neighbor's Adj-RIB-Out. */
  established(key: string): void {
    const n = this.#get(key);
    n.established = true;
    for (const d of this.locRib.destinations()) {
      if (d.best) this.#export(n, d.prefix, d.best);
    }
  }

  /** Session left Established: its routes are withdrawn and its Adj-RIB-Out forgotten. */
  down(key: string): void {
    const n = this.#get(key);
    n.established = false;
    for (const c of n.adjIn.clear()) this.#apply(c);
    n.adjOut.reset();
  }

  /** Decoded routes from one UPDATE (withdrawals first, as on the wire). */
  receive(
    key: string,
    announce: readonly { prefix: Prefix; attrs: PathAttrs }[],
    withdraw: readonly Prefix[],
    now: number,
  ): void {
    const n = this.#get(key);
    for (const p of withdraw) this.#apply(n.adjIn.withdraw(p));
    for (const r of announce) this.#apply(n.adjIn.announce(r.prefix, r.attrs, now));
  }

  /** Install or replace a locally originated path (networks, redistribution). */
  originate(path: Path): void {
    this.locRib.update(path);
  }

  unoriginate(prefix: Prefix, source: PathSource): void {
    this.locRib.withdraw(prefix, source);
  }

  /**
   * Make the locally originated set equal `routes` (config `networks` + `redistribute`, on start
   * and reload): new or changed ones are originated, missing ones withdrawn, unchanged ones left
   * alone (see {@link localPaths}).
   */
  setLocalRoutes(routes: readonly LocalRoute[], routerId: number, now: number): void {
    const want = localPaths(routes, this.localAsn, routerId, now);
    for (const [k, p] of this.#local) {
      if (!want.has(k)) this.locRib.withdraw(p.prefix, p.source);
    }
    for (const [k, p] of want) {
      const old = this.#local.get(k);
      if (old && old.key === p.key && old.flags.local === p.flags.local) {
        want.set(k, old);
        continue;
      }
      this.locRib.update(p);
    }
    this.#local = want;
  }

  #export(n: NeighborState, prefix: Prefix, best: Path | undefined): void {
    if (!best) {
      n.adjOut.set(prefix, undefined);
      return;
    }
    const v = exportPath(best, n.peer, this.localAsn);
    n.adjOut.set(prefix, v.ok ? v.attrs : undefined);
  }

  /**
   * Run the decision for up to `limit` dirty destinations and feed the best-path changes into
   * every established neighbor's Adj-RIB-Out. Returns the changes for the routing module.
   */
  process(limit = Number.POSITIVE_INFINITY): DestinationChange[] {
    const changes = this.locRib.processDirty(limit);
    for (const c of changes) {
      if (!c.bestChanged) continue;
      for (const n of this.#neighbors.values()) {
        if (!n.established) continue;
        this.#export(n, c.prefix, c.best);
      }
    }
    return changes;
  }

  /** The UPDATE content owed to a neighbor since the last flush (empty when nothing changed). */
  flush(key: string): OutUpdate {
    return this.#get(key).adjOut.flush();
  }

  /** RFC 2918: the neighbor asked for a ROUTE-REFRESH; re-send its whole Adj-RIB-Out. */
  routeRefresh(key: string): OutUpdate {
    const n = this.#get(key);
    // Pending withdrawals still have to go out; pending announcements are part of the table.
    const pending = n.adjOut.flush();
    return { withdraw: pending.withdraw, announce: n.adjOut.refresh().announce };
  }

  /** Soft reconfiguration: new export settings (policy, as-override, …) re-evaluated in place. */
  reconfigureExport(key: string, peer: ExportPeer): void {
    const n = this.#get(key);
    n.peer = peer;
    if (!n.established) return;
    for (const d of this.locRib.destinations()) this.#export(n, d.prefix, d.best);
  }

  /** Soft reconfiguration inbound: new import policy / allowas-in applied to the stored routes. */
  reconfigureImport(key: string, opts: { importFilter?: RouteFilter; allowasIn?: number }): void {
    const n = this.#get(key);
    for (const c of n.adjIn.reconfigure(opts)) this.#apply(c);
  }

  /** New `max-prefixes-out` (reload); the next flush re-applies the cap. */
  setMaxPrefixesOut(key: string, limit: number | undefined): void {
    this.#get(key).adjOut.setMaxPrefixesOut(limit);
  }

  neighborKeys(): string[] {
    return [...this.#neighbors.keys()];
  }

  /** Source identity of a neighbor's paths (for tests and `show`). */
  sourceKeyOf(key: string): string {
    return sourceKey(this.#get(key).source);
  }
}
