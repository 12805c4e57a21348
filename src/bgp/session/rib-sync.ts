/**
 * Joins the speaker's sessions to the RIB (RFC 4271 §3.2, §9): received routes go through each
 * neighbor's Adj-RIB-In (loop check + import policy) into Loc-RIB; Loc-RIB best-path changes go
 * through export policy into each Established neighbor's Adj-RIB-Out, whose diffs are packed into
 * UPDATEs and sent. Locally originated `networks`, redistributed static routes and connected
 * prefixes enter Loc-RIB as local paths. A new session gets the whole table followed by
 * End-of-RIB (RFC 4724 §2); a ROUTE-REFRESH re-sends it.
 *
 * Routing contexts: Loc-RIB is one table. A neighbor's routing context is the transport of its
 * session; what it learns competes with every other neighbor's paths (multipath across contexts)
 * and the route sink hands each next hop to routing with the context to resolve it in.
 *
 * Listeners on {@link SpeakerRib.onBestChange} (the routing layer) see every best/multipath
 * change.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { parseIp, type IpAddr } from '../../lib/ip/addr.js';
import { parsePrefix, type Prefix } from '../../lib/ip/prefix.js';
import type { BgpConfig, BgpNeighbor, StaticRoute } from '../../config/types.js';
import { PolicySet } from '../policy/policy-set.js';
import { AdjRibIn, type LocRibChange } from '../rib/adj-rib-in.js';
import { AdjRibOut, isEmptyUpdate, type OutUpdate } from '../rib/adj-rib-out.js';
import { exportPath, type ExportPeer } from '../rib/export-policy.js';
import { LocRib, type DestinationChange } from '../rib/loc-rib.js';
import { localPaths, type LocalRoute } from '../rib/bgp-rib.js';
import {
  asPathText,
  ipText,
  normaliseAttrs,
  prefixKey,
  withNextHop,
  type Family,
  type Path,
  type PathAttrs,
} from '../rib/path.js';
import { packUpdates } from '../rib/update-pack.js';
import type { DecisionOptions } from '../rib/best-path.js';
import { parseBgpId } from '../open-negotiation.js';
import { Afi, Safi } from '../wire/constants.js';
import { endOfRib } from './originate.js';
import type { BgpSpeaker, RoutesEvent } from './speaker.js';

/** One route in a neighbor's Adj-RIB-Out. */
export interface AdvertisedRoute {
  readonly family: Family;
  readonly prefix: Prefix;
  /** As sent (after export policy: our AS prepended, next hop self, …). */
  readonly attrs: PathAttrs;
  /** The Loc-RIB best path it was exported from (undefined if it is being withdrawn). */
  readonly path: Path | undefined;
}

interface PeerRib {
  /** The neighbor's configuration the policies were built from (soft reconfiguration swaps it). */
  cfg: BgpNeighbor;
  readonly adjIn: AdjRibIn;
  readonly out: Map<Family, AdjRibOut>;
  exportPeer: ExportPeer;
}

/** The neighbor settings the RIB applies (import/export policy and their knobs). */
function ribSettings(n: BgpNeighbor): string {
  return JSON.stringify([
    n.routeMapIn,
    n.routeMapOut,
    n.prefixListIn,
    n.prefixListOut,
    n.maxPrefixesOut,
    n.asOverride,
    n.nextHopSelf,
    n.allowasIn,
  ]);
}

function familyName(afi: number, safi: number): Family | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  return afi === Afi.IPV4 ? 'ipv4-unicast' : afi === Afi.IPV6 ? 'ipv6-unicast' : undefined;
}

function addrOf(s: string | undefined, family: 4 | 6): IpAddr | undefined {
  const a = s === undefined ? undefined : parseIp(s);
  return a?.family === family ? a : undefined;
}

export class SpeakerRib {
  readonly locRib: LocRib;
  private readonly speaker: BgpSpeaker;
  private bgp: BgpConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private policy: PolicySet;
  private readonly peers = new Map<string, PeerRib>();
  private readonly listeners: ((changes: readonly DestinationChange[]) => void)[] = [];
  private statics: readonly LocalRoute[] = [];
  private connected: readonly LocalRoute[] = [];
  /** Local paths in Loc-RIB, by destination key. */
  private local = new Map<string, Path>();

  /** The speaker must be built with `originateNetworks: false` (this class originates them). */
  constructor(opts: {
    readonly speaker: BgpSpeaker;
    readonly bgp: BgpConfig;
    readonly clock: Clock;
    readonly log: Logger;
    readonly decision?: Partial<DecisionOptions>;
  }) {
    this.speaker = opts.speaker;
    this.bgp = opts.bgp;
    this.clock = opts.clock;
    this.log = opts.log.child({ mod: 'bgp' });
    this.policy = new PolicySet(opts.bgp);
    this.locRib = new LocRib({ maximumPaths: opts.bgp.maximumPaths, ...opts.decision });
    this.speaker.onSessionChange((key, up) => {
      if (up) this.peerUp(key);
      else this.peerDown(key);
    });
    this.speaker.onRoutes((e) => {
      this.received(e);
    });
    this.speaker.onRouteRefresh((key, m) => {
      const fam = familyName(m.afi, m.safi);
      if (fam) this.resend(key, fam, true);
    });
  }

  /**
   * Originate `bgp.networks`, and the static routes of the global table when
   * `redistribute: [static]` (origin INCOMPLETE). Static routes in a routing context are the
   * transport of a session (its peer /32) and are not redistributed. Call before starting the
   * speaker.
   */
  originate(staticRoutes: readonly Pick<StaticRoute, 'prefix' | 'routingContext'>[] = []): void {
    const statics: LocalRoute[] = [];
    if (this.bgp.redistribute.includes('static')) {
      for (const r of staticRoutes) {
        const p = parsePrefix(r.prefix);
        if (p) statics.push({ prefix: p, kind: 'static', routingContext: r.routingContext });
      }
    }
    this.statics = statics;
    this.syncLocal();
  }

  /**
   * `redistribute connected`: the connected prefixes to originate now (origin INCOMPLETE);
   * replaces the previous set. Ignored unless `connected` is redistributed. Returns whether the
   * set of originated prefixes changed.
   */
  setConnected(prefixes: readonly Prefix[]): boolean {
    if (!this.bgp.redistribute.includes('connected')) return false;
    const ids = (): string =>
      [...this.local.entries()]
        .map(([k, p]) => `${k}=${p.flags.local ?? ''}`)
        .sort()
        .join(',');
    const before = ids();
    this.connected = prefixes.map((prefix) => ({ prefix, kind: 'connected' as const }));
    this.syncLocal();
    return ids() !== before;
  }

  /** Locally originated paths now in Loc-RIB (networks and redistributed routes). */
  localRoutes(): Path[] {
    return [...this.local.values()];
  }

  private syncLocal(): void {
    const routes: LocalRoute[] = [...this.statics, ...this.connected];
    for (const n of this.bgp.networks) {
      const p = parsePrefix(n);
      if (p) routes.push({ prefix: p, kind: 'network' });
    }
    const id = parseBgpId(this.bgp.routerId) ?? 0;
    const want = localPaths(routes, this.bgp.asn, id, this.clock.now());
    for (const [k, p] of this.local) {
      if (!want.has(k)) this.locRib.withdraw(p.prefix, p.source);
    }
    for (const [k, p] of want) {
      const old = this.local.get(k);
      if (old && old.key === p.key && old.flags.local === p.flags.local) {
        want.set(k, old);
        continue;
      }
      this.locRib.update(p);
    }
    this.local = want;
    this.run();
  }

  onBestChange(fn: (changes: readonly DestinationChange[]) => void): void {
    this.listeners.push(fn);
  }

  /** Adj-RIB-In of a neighbor (for `show ip bgp neighbors X received-routes`). */
  adjRibIn(key: string): AdjRibIn | undefined {
    return this.peers.get(key)?.adjIn;
  }

  /**
   * What a neighbor has from us, read from its Adj-RIB-Out (after export policy and the
   * `max-prefixes-out` cap): per family, lowest prefix first, with the attributes as sent and the
   * Loc-RIB best path they were exported from. Undefined while the session is not Established.
   */
  advertised(key: string): AdvertisedRoute[] | undefined {
    const peer = this.peers.get(key);
    if (!peer) return undefined;
    const out: AdvertisedRoute[] = [];
    for (const fam of (['ipv4-unicast', 'ipv6-unicast'] as const).filter((f) => peer.out.has(f))) {
      for (const r of peer.out.get(fam)?.advertised() ?? []) {
        out.push({ family: fam, ...r, path: this.locRib.destination(r.prefix)?.best });
      }
    }
    return out;
  }

  /** How many prefixes a neighbor has from us (Catalyst PfxSent); 0 when not Established. */
  advertisedCount(key: string): number {
    let n = 0;
    for (const out of this.peers.get(key)?.out.values() ?? []) n += out.advertisedCount;
    return n;
  }

  /**
   * Reload in place (after {@link BgpSpeaker.reconfigure}): new prefix-lists/route-maps,
   * `maximum-paths`, `networks`, `redistribute` and static routes. Local routes are re-originated
   * as a difference; a neighbor whose policy settings changed (or every neighbor when the
   * prefix-lists/route-maps did) gets soft reconfiguration: import policy re-run over its stored
   * Adj-RIB-In (RFC 4271 §9.1.1 with pre-policy routes kept, Catalyst `soft-reconfiguration
   * inbound`) and its Adj-RIB-Out re-exported, sending only what changed. No session is reset.
   * Returns the neighbors reconfigured.
   */
  reconfigure(
    bgp: BgpConfig,
    staticRoutes: readonly Pick<StaticRoute, 'prefix' | 'routingContext'>[] = [],
  ): string[] {
    const old = this.bgp;
    const policyChanged =
      JSON.stringify([old.prefixLists, old.routeMaps]) !==
      JSON.stringify([bgp.prefixLists, bgp.routeMaps]);
    this.bgp = bgp;
    if (policyChanged) this.policy = new PolicySet(bgp);
    if (old.maximumPaths !== bgp.maximumPaths) {
      this.locRib.setOptions({ maximumPaths: bgp.maximumPaths });
    }
    if (!bgp.redistribute.includes('connected')) this.connected = [];
    const soft: string[] = [];
    for (const [key, peer] of this.peers) {
      const cfg = this.speaker.neighborConfig(key);
      if (!cfg || (!policyChanged && ribSettings(cfg) === ribSettings(peer.cfg))) continue;
      peer.cfg = cfg;
      this.apply(
        peer.adjIn.reconfigure({
          importFilter: this.policy.importFilter(cfg),
          allowasIn: cfg.allowasIn,
        }),
      );
      peer.exportPeer = {
        ...peer.exportPeer,
        asOverride: cfg.asOverride,
        nextHopSelf: cfg.nextHopSelf,
        exportFilter: this.policy.exportFilter(cfg),
      };
      for (const out of peer.out.values()) out.setMaxPrefixesOut(cfg.maxPrefixesOut);
      soft.push(key);
    }
    // Local routes and the decision process (best paths, exported to every peer as a diff).
    this.originate(staticRoutes);
    this.run();
    for (const key of soft) {
      for (const fam of this.peers.get(key)?.out.keys() ?? []) this.resend(key, fam, false);
    }
    if (soft.length > 0) this.log.info({ neighbors: soft }, 'soft reconfiguration applied');
    return soft;
  }

  /**
   * `clear ip bgp NEIGHBOR soft in` without ROUTE-REFRESH: re-run the import policy over the
   * stored Adj-RIB-In. False when the neighbor is not Established.
   */
  softIn(key: string): boolean {
    const peer = this.peers.get(key);
    if (!peer) return false;
    this.apply(
      peer.adjIn.reconfigure({
        importFilter: this.policy.importFilter(peer.cfg),
        allowasIn: peer.cfg.allowasIn,
      }),
    );
    this.run();
    return true;
  }

  /**
   * `clear ip bgp NEIGHBOR soft out`: re-export Loc-RIB to the neighbor and re-advertise its whole
   * Adj-RIB-Out, as Catalyst does (an explicit operator action; a reload never does this).
   * False when the neighbor is not Established.
   */
  softOut(key: string): boolean {
    const peer = this.peers.get(key);
    if (!peer) return false;
    for (const fam of peer.out.keys()) this.resend(key, fam, true);
    return true;
  }

  private peerUp(key: string): void {
    const cfg = this.speaker.neighborConfig(key);
    const session = this.speaker.session(key);
    const neg = session?.negotiated;
    if (!cfg || !session || !neg) return;
    const local = session.view().localAddress;
    const src = {
      kind: 'peer' as const,
      address: cfg.address,
      asn: neg.remoteAs,
      routerId: neg.remoteBgpId,
      isIbgp: neg.ibgp,
      routingContext: cfg.routingContext,
    };
    const peer: PeerRib = {
      cfg,
      adjIn: new AdjRibIn(src, {
        localAsn: this.bgp.asn,
        allowasIn: cfg.allowasIn,
        importFilter: this.policy.importFilter(cfg),
      }),
      out: new Map(),
      exportPeer: {
        address: cfg.address,
        asn: neg.remoteAs,
        isIbgp: neg.ibgp,
        routingContext: cfg.routingContext,
        asOverride: cfg.asOverride,
        nextHopSelf: cfg.nextHopSelf,
        localAddressV4: addrOf(local, 4),
        localAddressV6: addrOf(local, 6) ?? (local ? addrOf(`::ffff:${local}`, 6) : undefined),
        exportFilter: this.policy.exportFilter(cfg),
      },
    };
    for (const f of neg.families) {
      const fam = familyName(f.afi, f.safi);
      if (!fam) continue;
      const onCapped = (info: { exportable: number; limit: number }): void => {
        // Catalyst-like: say once, when the cap starts holding routes back (not per UPDATE).
        this.log.warn(
          { neighbor: cfg.address, family: fam, exportable: info.exportable, limit: info.limit },
          'max-prefixes-out reached: advertising only the first prefixes',
        );
      };
      peer.out.set(fam, new AdjRibOut({ maxPrefixesOut: cfg.maxPrefixesOut, onCapped }));
    }
    this.peers.set(key, peer);
    for (const fam of peer.out.keys()) {
      this.resend(key, fam, false);
      // RFC 4724 §2: End-of-RIB after the initial table.
      session.sendUpdate(endOfRib(fam));
    }
  }

  private peerDown(key: string): void {
    const peer = this.peers.get(key);
    if (!peer) return;
    this.peers.delete(key);
    this.apply(peer.adjIn.clear());
    this.run();
  }

  /** Fill the Adj-RIB-Out of one family from Loc-RIB and send the difference. */
  private resend(key: string, fam: Family, refresh: boolean): void {
    const peer = this.peers.get(key);
    const out = peer?.out.get(fam);
    if (!peer || !out) return;
    for (const d of this.locRib.destinations()) {
      if (d.family !== fam) continue;
      out.set(d.prefix, this.exportAttrs(d.best, peer));
    }
    this.flush(key, fam, out);
    // RFC 2918: a refresh re-sends everything advertised, not only the difference.
    if (refresh) this.send(key, fam, out.refresh());
  }

  private exportAttrs(best: Path | undefined, peer: PeerRib): Path['attrs'] | undefined {
    if (!best) return undefined;
    const v = exportPath(best, peer.exportPeer, this.bgp.asn);
    return v.ok ? v.attrs : undefined;
  }

  private flush(key: string, fam: Family, out: AdjRibOut): void {
    this.send(key, fam, out.flush());
  }

  private send(key: string, fam: Family, u: OutUpdate): void {
    if (isEmptyUpdate(u)) return;
    const session = this.speaker.session(key);
    if (!session) return;
    for (const m of packUpdates(u, fam, session.codecContext)) session.sendUpdate(m);
  }

  private received(e: RoutesEvent): void {
    const peer = this.peers.get(e.neighbor);
    if (!peer) return;
    const now = this.clock.now();
    const changes: (LocRibChange | undefined)[] = [];
    for (const p of e.withdrawn) changes.push(peer.adjIn.withdraw(p));
    for (const r of e.announced) {
      const attrs = withNextHop(normaliseAttrs(r.attributes, r.family), r.nextHop);
      changes.push(peer.adjIn.announce(r.prefix, attrs, now));
    }
    this.apply(changes);
    this.run();
  }

  private apply(changes: readonly (LocRibChange | undefined)[]): void {
    for (const c of changes) {
      if (!c) continue;
      if (c.kind === 'update') this.locRib.update(c.path);
      else this.locRib.withdraw(c.prefix, c.source);
    }
  }

  /** Decision process on dirty destinations, then export the changes to every peer. */
  private run(): void {
    const changes = this.locRib.processDirty();
    if (changes.length === 0) return;
    const touched = new Set<string>();
    for (const c of changes) {
      if (!c.bestChanged) continue;
      for (const [key, peer] of this.peers) {
        const out = peer.out.get(c.family);
        if (!out) continue;
        out.set(c.prefix, this.exportAttrs(c.best, peer));
        touched.add(`${key}\u0000${c.family}`);
      }
    }
    for (const t of touched) {
      const [key, fam] = t.split('\u0000') as [string, Family];
      const out = this.peers.get(key)?.out.get(fam);
      if (out) this.flush(key, fam, out);
    }
    for (const fn of this.listeners) fn(changes);
  }
}

/** A BGP next hop and the routing context to resolve it in (its session's transport). */
export interface SinkNextHop {
  readonly kind: 'gateway';
  readonly address: string;
  readonly context: string;
}

/** What routing keeps of a BGP best path: eBGP/iBGP (distance) and fields for `show`. */
export interface SinkAttrs {
  readonly ebgp: boolean;
  readonly asPath?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly from?: string;
}

/**
 * The port through which BGP hands its best paths to the routing layer (architecture.md: "bgp
 * declares RouteSink"); src/routing's `Routing` satisfies it structurally. Routes go into the
 * `context` table (always the default one: Loc-RIB is global); each next hop names the routing
 * context it is resolved in.
 *
 * `prefix` is canonical text; `parsed` is the same prefix in binary form (a sink may use it to
 * skip parsing the text). The next-hop list and the attributes are frozen and shared by every
 * route of one UPDATE (same next hops, same best-path attributes): a sink may keep them as they
 * are and compare them by reference.
 */
export interface RouteSink {
  upsertBgp(
    context: string,
    prefix: string,
    nexthops: readonly SinkNextHop[],
    attrs: SinkAttrs,
    parsed?: Prefix,
  ): void;
  withdrawBgp(context: string, prefix: string): void;
}

/** Routing context name used by the routing layer for the global table. */
export const SINK_DEFAULT_CONTEXT = 'default';

/** The next hops of a multipath set, one per (context, address), in path order. */
export function sinkNextHops(paths: readonly Path[]): SinkNextHop[] {
  const out = new Map<string, SinkNextHop>();
  for (const p of paths) {
    if (!p.attrs.nextHop) continue;
    const context = p.source.routingContext ?? SINK_DEFAULT_CONTEXT;
    const address = ipText(p.attrs.nextHop);
    const k = `${context}|${address}`;
    if (!out.has(k)) out.set(k, { kind: 'gateway', address, context });
  }
  return [...out.values()];
}

/** Single-path next-hop lists, by next-hop object (one per UPDATE) and context. */
const singleHops = new WeakMap<IpAddr, Map<string, readonly SinkNextHop[]>>();

function singlePathHops(p: Path): readonly SinkNextHop[] {
  const nh = p.attrs.nextHop;
  if (!nh) return [];
  const context = p.source.routingContext ?? SINK_DEFAULT_CONTEXT;
  let byCtx = singleHops.get(nh);
  if (!byCtx) singleHops.set(nh, (byCtx = new Map<string, readonly SinkNextHop[]>()));
  let hops = byCtx.get(context);
  if (!hops) {
    hops = Object.freeze([
      Object.freeze({ kind: 'gateway' as const, address: ipText(nh), context }),
    ]);
    byCtx.set(context, hops);
  }
  return hops;
}

/** Sink attributes by best-path attributes (one object per UPDATE) and source. */
const sinkAttrsCache = new WeakMap<PathAttrs, { source: Path['source']; value: SinkAttrs }>();

function sinkAttrs(best: Path): SinkAttrs {
  const hit = sinkAttrsCache.get(best.attrs);
  if (hit?.source === best.source) return hit.value;
  const value: SinkAttrs = Object.freeze({
    ebgp: !best.source.isIbgp,
    asPath: asPathText(best.attrs),
    ...(best.attrs.med !== undefined ? { med: best.attrs.med } : {}),
    ...(best.attrs.localPref !== undefined ? { localPref: best.attrs.localPref } : {}),
    from: best.source.address,
  });
  sinkAttrsCache.set(best.attrs, { source: best.source, value });
  return value;
}

/**
 * Push Loc-RIB changes into a {@link RouteSink}: the best path plus its multipath set (ECMP next
 * hops, each with the routing context of the session it was learned over), into the main table.
 * Locally originated paths are not installed (they are ours).
 */
export function connectRouteSink(rib: SpeakerRib, sink: RouteSink): void {
  rib.onBestChange((changes) => {
    const ctx = SINK_DEFAULT_CONTEXT;
    for (const c of changes) {
      const prefix = prefixKey(c.prefix);
      const best = c.best;
      if (!best || best.source.kind === 'local') {
        sink.withdrawBgp(ctx, prefix);
        continue;
      }
      const hops =
        c.multipath.length > 1
          ? Object.freeze(sinkNextHops(c.multipath))
          : singlePathHops(c.multipath[0] ?? best);
      if (hops.length === 0) {
        sink.withdrawBgp(ctx, prefix);
        continue;
      }
      sink.upsertBgp(ctx, prefix, hops, sinkAttrs(best), c.prefix);
    }
  });
}
