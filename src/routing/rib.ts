/**
 * The routing information base: a protocol-agnostic route table keyed by (routing context,
 * prefix). Sources are `connected` (tunnel inside subnets and other interface subnets), `static`
 * (config) and `bgp` (pushed by the BGP speaker). Per prefix the source with the lowest
 * administrative distance that has at least one usable next hop wins (Catalyst: connected 0,
 * static 1, eBGP 20, iBGP 200).
 *
 * Next hops are tunnels (device next hops; usable only while the tunnel is up) or gateway
 * addresses, resolved recursively through the best route covering them in the route's own
 * context, or in the context the gateway names (BGP next hops learned over a session in another
 * routing context: `10.0.255.254` via Tunnel0 in `outside-one` and via Tunnel1 in `outside-two`
 * gives a main-table route over both tunnels). The result of `compute()` is
 * what the FIB programmer installs: per selected route the *candidate* set (all resolved next
 * hops, up or down, which names the ECMP group) and the *usable* subset (its current members).
 * Everything here is pure state; the kernel is touched only by `fib-programmer.ts`.
 */
import {
  formatPrefix,
  maskBytes,
  parseIp,
  parsePrefix,
  prefixContains,
  type IpAddr,
  type Prefix,
  type IpFamily,
} from '../lib/index.js';

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

interface Candidate {
  readonly source: RouteSource;
  readonly nexthops: readonly NextHop[];
  readonly distance: number;
  readonly metric: number;
  readonly attrs: BgpShowAttrs | undefined;
  /** Clock ms when this candidate last changed. */
  readonly sinceMs: number;
}

interface Slot {
  /** `context|prefix`. */
  readonly key: string;
  readonly context: string;
  readonly prefix: string;
  readonly parsed: Prefix;
  readonly family: IpFamily;
  readonly candidates: Map<RouteSource, Candidate>;
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

interface Resolution {
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

/** Maximum recursion when resolving gateways through other gateway routes. */
const MAX_RESOLVE_DEPTH = 4;

function slotKey(context: string, prefix: string): string {
  return `${context}|${prefix}`;
}

function byKey(a: ResolvedNexthop, b: ResolvedNexthop): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function uniqSorted(list: ResolvedNexthop[]): ResolvedNexthop[] {
  if (list.length < 2) return list;
  const m = new Map<string, ResolvedNexthop>();
  for (const n of list) m.set(n.key, n);
  return [...m.values()].sort(byKey);
}

function deviceNexthop(family: IpFamily, dev: string, tunnel: string | undefined) {
  return { key: `dev|${family}|${dev}`, family, dev, via: undefined, tunnel };
}

/** Canonical prefix text or throws a TypeError naming the bad value. */
export function canonicalPrefix(s: string): string {
  const p = parsePrefix(s);
  if (!p) throw new TypeError(`not a prefix: ${s}`);
  return formatPrefix(p);
}

export class Rib {
  private readonly slots = new Map<string, Slot>();
  private readonly tunnelUp = new Map<string, boolean>();
  /** Tunnel names known to be tunnels (device next hops, carrier-dependent). */
  private readonly nowMs: () => number;
  /** Bumped on every change; lets callers skip work when nothing changed. */
  private generationValue = 0;

  constructor(nowMs: () => number) {
    this.nowMs = nowMs;
  }

  get generation(): number {
    return this.generationValue;
  }

  /** Set (or with `null`, remove) the candidate of `source` for (context, prefix). */
  set(source: RouteSource, context: string, prefix: string, input: RouteInput | null): boolean {
    const p = parsePrefix(prefix);
    if (!p) throw new TypeError(`not a prefix: ${prefix}`);
    const canon = formatPrefix(p);
    const key = slotKey(context, canon);
    let slot = this.slots.get(key);
    if (input === null) {
      if (!slot?.candidates.delete(source)) return false;
      if (slot.candidates.size === 0) this.slots.delete(key);
      this.generationValue++;
      return true;
    }
    const prev = slot?.candidates.get(source);
    const metric = input.metric ?? 0;
    if (
      prev &&
      prev.distance === input.distance &&
      prev.metric === metric &&
      JSON.stringify(prev.nexthops) === JSON.stringify(input.nexthops) &&
      JSON.stringify(prev.attrs) === JSON.stringify(input.attrs)
    )
      return false;
    if (!slot) {
      slot = {
        key,
        context,
        prefix: canon,
        parsed: p,
        family: p.addr.family,
        candidates: new Map(),
      };
      this.slots.set(key, slot);
    }
    slot.candidates.set(source, {
      source,
      nexthops: [...input.nexthops],
      distance: input.distance,
      metric,
      attrs: input.attrs,
      sinceMs: prev && sameNexthops(prev.nexthops, input.nexthops) ? prev.sinceMs : this.nowMs(),
    });
    this.generationValue++;
    return true;
  }

  /** Remove every candidate of `source` (optionally only in one context). */
  clearSource(source: RouteSource, context?: string): void {
    for (const [key, slot] of this.slots) {
      if (context !== undefined && slot.context !== context) continue;
      if (slot.candidates.delete(source)) this.generationValue++;
      if (slot.candidates.size === 0) this.slots.delete(key);
    }
  }

  /** Candidates of one source, as `context|prefix` → input (for diffing a new config). */
  entriesOf(source: RouteSource): Map<string, { context: string; prefix: string }> {
    const out = new Map<string, { context: string; prefix: string }>();
    for (const [key, slot] of this.slots)
      if (slot.candidates.has(source)) out.set(key, { context: slot.context, prefix: slot.prefix });
    return out;
  }

  /** A tunnel next hop is usable only while its tunnel is up; unknown tunnels are down. */
  setTunnelState(name: string, up: boolean): boolean {
    if ((this.tunnelUp.get(name) ?? false) === up) return false;
    this.tunnelUp.set(name, up);
    this.generationValue++;
    return true;
  }

  isTunnelUp(name: string): boolean {
    return this.tunnelUp.get(name) ?? false;
  }

  /** The selected route per (context, prefix), keyed `context|prefix`. */
  compute(): Map<string, SelectedRoute> {
    const pass = newPass(this.slots, this.tunnelUp);
    const out = new Map<string, SelectedRoute>();
    for (const [key, slot] of this.slots) {
      const sel = pass.select(slot, 0, new Set());
      if (!sel || sel.candidate.source === 'connected') continue;
      out.set(key, {
        context: slot.context,
        prefix: slot.prefix,
        family: slot.family,
        source: sel.candidate.source,
        candidates: sel.resolution.candidates,
        usable: sel.resolution.usable,
      });
    }
    return out;
  }

  /** Read-only rows for `show ip route`, sorted by context, then prefix, then distance. */
  view(): RouteViewEntry[] {
    const pass = newPass(this.slots, this.tunnelUp);
    const now = this.nowMs();
    const rows: RouteViewEntry[] = [];
    for (const slot of this.slots.values()) {
      const sel = pass.select(slot, 0, new Set());
      for (const c of slot.candidates.values()) {
        const r = pass.resolveCandidate(slot, c, 0, new Set());
        // One line per configured next hop; a gateway shows its address and where it resolved.
        const nexthops = c.nexthops.map((n) => {
          const one = pass.resolveCandidate(slot, { ...c, nexthops: [n] }, 0, new Set());
          const devs = [...new Set(one?.candidates.map((x) => x.dev))];
          return {
            via: n.kind === 'gateway' ? n.address : undefined,
            interface:
              n.kind === 'tunnel'
                ? n.tunnel
                : n.kind === 'interface'
                  ? n.ifname
                  : devs.length > 0
                    ? devs.join(',')
                    : undefined,
            usable: (one?.usable.length ?? 0) > 0,
            ...(n.kind === 'gateway' && n.context !== undefined && n.context !== slot.context
              ? { context: n.context }
              : {}),
          };
        });
        rows.push({
          code: RouteCode[c.source],
          source: c.source,
          context: slot.context,
          prefix: slot.prefix,
          distance: c.distance,
          metric: c.metric,
          selected: sel?.candidate === c,
          nexthops,
          ageMs: Math.max(0, now - c.sinceMs),
          reason: !r ? 'unresolved next hop' : r.usable.length === 0 ? 'no usable next hop' : null,
          attrs: c.attrs,
        });
      }
    }
    return rows.sort(
      (a, b) =>
        cmp(a.context, b.context) ||
        a.prefix.localeCompare(b.prefix, 'en', { numeric: true }) ||
        a.distance - b.distance,
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameNexthops(a: readonly NextHop[], b: readonly NextHop[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Selection {
  readonly candidate: Candidate;
  readonly resolution: Resolution;
}

function newPass(slots: ReadonlyMap<string, Slot>, tunnelUp: ReadonlyMap<string, boolean>) {
  return new ResolvePass(slots, tunnelUp, new ResolvePass(slots, null, null));
}

/**
 * One resolution pass over a RIB snapshot, memoising selections. A gateway's *candidate* hops
 * come from a structural pass that treats every tunnel as up, so the ECMP set (and its group)
 * of a route does not change when a tunnel under a recursive next hop goes down: only the
 * usable members do, which is one group update.
 */
class ResolvePass {
  private readonly slots: ReadonlyMap<string, Slot>;
  /** null: structural pass, every tunnel counts as up. */
  private readonly tunnelUp: ReadonlyMap<string, boolean> | null;
  private readonly structural: ResolvePass | null;
  private readonly selections = new Map<string, Selection | null>();
  /** Gateway resolutions by `context|address`, valid for any route not covering the address. */
  private readonly gateways = new Map<string, Resolution | null>();
  private readonly ips = new Map<string, IpAddr | null>();
  /** Prefix lengths present per `context|family`, longest first (LPM probes only these). */
  private lengths: Map<string, number[]> | null = null;
  /** Bumped whenever a result depended on the route being resolved (loop cut, self skip). */
  private taint = 0;

  constructor(
    slots: ReadonlyMap<string, Slot>,
    tunnelUp: ReadonlyMap<string, boolean> | null,
    structural: ResolvePass | null,
  ) {
    this.slots = slots;
    this.tunnelUp = tunnelUp;
    this.structural = structural;
  }

  /** Lowest distance candidate with a usable next hop (ties: connected < static < bgp). */
  select(slot: Slot, depth: number, visiting: Set<string>): Selection | null {
    const key = slot.key;
    const memo = this.selections.get(key);
    if (memo !== undefined) return memo;
    if (visiting.has(key) || depth > MAX_RESOLVE_DEPTH) {
      this.taint++;
      return null;
    }
    visiting.add(key);
    const all = [...slot.candidates.values()];
    const order =
      all.length < 2
        ? all
        : all.sort(
            (a, b) => a.distance - b.distance || sourceRank(a.source) - sourceRank(b.source),
          );
    let best: Selection | null = null;
    for (const c of order) {
      const r = this.resolveCandidate(slot, c, depth, visiting);
      if (r && r.usable.length > 0) {
        best = { candidate: c, resolution: r };
        break;
      }
    }
    visiting.delete(key);
    // Only memoise top-level answers: a nested answer may be cut short by `visiting`.
    if (depth === 0 || best) this.selections.set(key, best);
    return best;
  }

  /** Resolve every next hop of one candidate; null when any gateway is unresolvable. */
  resolveCandidate(
    slot: Slot,
    c: Candidate,
    depth: number,
    visiting: Set<string>,
  ): Resolution | null {
    const candidates: ResolvedNexthop[] = [];
    const usable: ResolvedNexthop[] = [];
    let resolvedAny = false;
    for (const nh of c.nexthops) {
      if (nh.kind === 'tunnel') {
        const d = deviceNexthop(slot.family, nh.tunnel, nh.tunnel);
        candidates.push(d);
        if (this.tunnelUp === null || this.tunnelUp.get(nh.tunnel) === true) usable.push(d);
        resolvedAny = true;
      } else if (nh.kind === 'interface') {
        const d = deviceNexthop(slot.family, nh.ifname, undefined);
        candidates.push(d);
        usable.push(d);
        resolvedAny = true;
      } else {
        const ctx = nh.context ?? slot.context;
        const r = this.resolveGateway(slot, nh.address, depth, visiting, ctx);
        const shape = this.structural
          ? this.structural.resolveGateway(slot, nh.address, 0, new Set(), ctx)
          : r;
        const both = shape ?? r;
        if (!both) continue;
        resolvedAny = true;
        candidates.push(...both.candidates);
        if (r) usable.push(...r.usable);
      }
    }
    if (!resolvedAny) return null;
    return { candidates: uniqSorted(candidates), usable: uniqSorted(usable) };
  }

  /** Longest match for `address` among routes of `context` that can carry traffic. */
  resolveGateway(
    from: Slot,
    address: string,
    depth: number,
    visiting: Set<string>,
    context: string = from.context,
  ): Resolution | null {
    let addr = this.ips.get(address);
    if (addr === undefined) {
      addr = parseIp(address);
      this.ips.set(address, addr);
    }
    if (!addr || addr.family !== from.family) return null;
    const cacheKey = `${context}|${address}`;
    const cacheable = context !== from.context || !prefixContains(from.parsed, addr);
    if (cacheable) {
      const hit = this.gateways.get(cacheKey);
      if (hit !== undefined) return hit;
    }
    const taint = this.taint;
    let result: Resolution | null = null;
    for (const len of this.lengthsOf(context, addr.family)) {
      const slot = this.slots.get(slotKey(context, coverOf(addr, len)));
      if (!slot) continue;
      if (slot === from) {
        this.taint++;
        continue;
      }
      const sel = this.select(slot, depth + 1, visiting);
      if (!sel) continue;
      result = viaGateway(sel, address, addr.family);
      break;
    }
    if (cacheable && taint === this.taint) this.gateways.set(cacheKey, result);
    return result;
  }

  private lengthsOf(context: string, family: IpFamily): number[] {
    if (!this.lengths) {
      const sets = new Map<string, Set<number>>();
      for (const slot of this.slots.values()) {
        const k = `${slot.context}|${slot.family}`;
        let set = sets.get(k);
        if (!set) sets.set(k, (set = new Set()));
        set.add(slot.parsed.len);
      }
      this.lengths = new Map([...sets].map(([k, v]) => [k, [...v].sort((a, b) => b - a)]));
    }
    return this.lengths.get(`${context}|${family}`) ?? [];
  }
}

function sourceRank(s: RouteSource): number {
  return s === 'connected' ? 0 : s === 'static' ? 1 : 2;
}

function coverOf(addr: IpAddr, len: number): string {
  return formatPrefix({ addr: { family: addr.family, bytes: maskBytes(addr.bytes, len) }, len });
}

/**
 * A gateway reached through `sel`: over a tunnel (point-to-point TUN) the gateway adds nothing,
 * so it collapses to the tunnel's device next hop; over a connected subnet of another interface
 * it becomes `via <gateway> dev <ifname>`; through a gateway route it inherits that route's hops.
 */
function viaGateway(sel: Selection, address: string, family: IpFamily): Resolution {
  const map = (n: ResolvedNexthop): ResolvedNexthop => {
    if (n.tunnel !== undefined) return deviceNexthop(family, n.dev, n.tunnel);
    if (n.via !== undefined) return { ...n, family };
    return {
      key: `gw|${family}|${n.dev}|${address}`,
      family,
      dev: n.dev,
      via: address,
      tunnel: undefined,
    };
  };
  return {
    candidates: uniqSorted(sel.resolution.candidates.map(map)),
    usable: uniqSorted(sel.resolution.usable.map(map)),
  };
}
