/**
 * Joins the speaker's sessions to the RIB (RFC 4271 §3.2, §9): received routes go through each
 * neighbor's Adj-RIB-In (loop check + import policy) into Loc-RIB; Loc-RIB best-path changes go
 * through export policy into each Established neighbor's Adj-RIB-Out, whose diffs are packed into
 * UPDATEs and sent. Locally originated `networks` enter Loc-RIB as local paths. A new session
 * gets the whole table followed by End-of-RIB (RFC 4724 §2); a ROUTE-REFRESH re-sends it.
 *
 * Listeners on {@link SpeakerRib.onBestChange} (the routing layer) see every best/multipath
 * change.
 */
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/log.js';
import { formatIp, parseIp, type IpAddr } from '../../lib/ip/addr.js';
import { formatPrefix, parsePrefix } from '../../lib/ip/prefix.js';
import type { BgpConfig, BgpNeighbor, StaticRoute } from '../../config/types.js';
import { PolicySet } from '../policy/policy-set.js';
import { AdjRibIn, type LocRibChange } from '../rib/adj-rib-in.js';
import { AdjRibOut, isEmptyUpdate, type OutUpdate } from '../rib/adj-rib-out.js';
import { exportPath, type ExportPeer } from '../rib/export-policy.js';
import { LocRib, type DestinationChange } from '../rib/loc-rib.js';
import { localSource, originateNetwork, originateRedistributed } from '../rib/local-routes.js';
import { asPathText, normaliseAttrs, type Family, type Path } from '../rib/path.js';
import { packUpdates } from '../rib/update-pack.js';
import type { DecisionOptions } from '../rib/best-path.js';
import { parseBgpId } from '../open-negotiation.js';
import { Afi, Safi } from '../wire/constants.js';
import { endOfRib } from './originate.js';
import { neighborKey, type BgpSpeaker, type RoutesEvent } from './speaker.js';

interface PeerRib {
  readonly cfg: BgpNeighbor;
  readonly adjIn: AdjRibIn;
  readonly out: Map<Family, AdjRibOut>;
  readonly exportPeer: ExportPeer;
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
  private readonly bgp: BgpConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: PolicySet;
  private readonly cfgByKey = new Map<string, BgpNeighbor>();
  private readonly peers = new Map<string, PeerRib>();
  private readonly listeners: ((changes: readonly DestinationChange[]) => void)[] = [];

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
    for (const n of opts.bgp.neighbors) this.cfgByKey.set(neighborKey(n), n);
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
   * Originate `bgp.networks`, and the static routes when `redistribute: [static]` (origin
   * INCOMPLETE, in the static route's routing context). Call before starting the speaker.
   */
  originate(staticRoutes: readonly Pick<StaticRoute, 'prefix' | 'routingContext'>[] = []): void {
    const id = parseBgpId(this.bgp.routerId) ?? 0;
    const src = localSource(this.bgp.asn, id);
    const now = this.clock.now();
    for (const n of this.bgp.networks) {
      const p = parsePrefix(n);
      if (p) this.locRib.update(originateNetwork(p, src, now));
    }
    if (this.bgp.redistribute.includes('static')) {
      for (const r of staticRoutes) {
        const p = parsePrefix(r.prefix);
        const s = localSource(this.bgp.asn, id, r.routingContext);
        if (p) this.locRib.update(originateRedistributed(p, 'static', s, now));
      }
    }
    this.run();
  }

  onBestChange(fn: (changes: readonly DestinationChange[]) => void): void {
    this.listeners.push(fn);
  }

  /** Adj-RIB-In of a neighbor (for `show ip bgp neighbors X received-routes`). */
  adjRibIn(key: string): AdjRibIn | undefined {
    return this.peers.get(key)?.adjIn;
  }

  private peerUp(key: string): void {
    const cfg = this.cfgByKey.get(key);
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
      const attrs = { ...normaliseAttrs(r.attributes, r.family), nextHop: r.nextHop };
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

/**
 * The port through which BGP hands its best paths to the routing layer (architecture.md: "bgp
 * declares RouteSink"); src/routing's `Routing` satisfies it structurally.
 */
export interface RouteSink {
  upsertBgp(
    context: string,
    prefix: string,
    nexthops: readonly string[],
    attrs: {
      readonly ebgp: boolean;
      readonly asPath?: string;
      readonly med?: number;
      readonly localPref?: number;
      readonly from?: string;
    },
  ): void;
  withdrawBgp(context: string, prefix: string): void;
}

/** Routing context name used by the routing layer for the global table. */
export const SINK_DEFAULT_CONTEXT = 'default';

/**
 * Push Loc-RIB changes into a {@link RouteSink}: the best path plus its multipath set (ECMP next
 * hops). Locally originated paths are not installed (they are ours).
 */
export function connectRouteSink(rib: SpeakerRib, sink: RouteSink): void {
  rib.onBestChange((changes) => {
    for (const c of changes) {
      const ctx = c.routingContext ?? SINK_DEFAULT_CONTEXT;
      const prefix = formatPrefix(c.prefix);
      const best = c.best;
      if (!best || best.source.kind === 'local') {
        sink.withdrawBgp(ctx, prefix);
        continue;
      }
      const paths = c.multipath.length > 0 ? c.multipath : [best];
      const hops = [
        ...new Set(paths.flatMap((p) => (p.attrs.nextHop ? [formatIp(p.attrs.nextHop)] : []))),
      ];
      if (hops.length === 0) {
        sink.withdrawBgp(ctx, prefix);
        continue;
      }
      sink.upsertBgp(ctx, prefix, hops, {
        ebgp: !best.source.isIbgp,
        asPath: asPathText(best.attrs),
        ...(best.attrs.med !== undefined ? { med: best.attrs.med } : {}),
        ...(best.attrs.localPref !== undefined ? { localPref: best.attrs.localPref } : {}),
        from: best.source.address,
      });
    }
  });
}
