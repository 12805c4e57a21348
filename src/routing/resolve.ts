/**
 * Next-hop resolution over a RIB snapshot (see `rib.ts`): per slot the candidate with the lowest
 * distance that has a usable next hop, gateways resolved recursively by longest match in the
 * context they name, and the structural pass that names a route's ECMP set.
 */
import {
  formatPrefix,
  maskBytes,
  parseIp,
  type IpAddr,
  type IpFamily,
  type Prefix,
} from '../lib/index.js';
import type { Candidate, Resolution, ResolvedNexthop, RouteSource, Slot } from './route-types.js';

export const EMPTY_RESOLVED: readonly ResolvedNexthop[] = Object.freeze([]);

/** Maximum recursion when resolving gateways through other gateway routes. */
const MAX_RESOLVE_DEPTH = 4;

export function slotKey(context: string, prefix: string): string {
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

export interface Selection {
  readonly candidate: Candidate;
  readonly resolution: Resolution;
}

/** How many slots have each prefix length, per family (index = length). */
export interface FamilyLengths {
  readonly v4: Int32Array;
  readonly v6: Int32Array;
}

export type LengthCounts = ReadonlyMap<string, FamilyLengths>;

export function newPass(
  slots: ReadonlyMap<string, Slot>,
  tunnelUp: ReadonlyMap<string, boolean>,
  lengths: LengthCounts,
) {
  return new ResolvePass(slots, tunnelUp, new ResolvePass(slots, null, null, lengths), lengths);
}

/**
 * One resolution pass over a RIB snapshot, memoising selections. A gateway's *candidate* hops
 * come from a structural pass that treats every tunnel as up, so the ECMP set (and its group)
 * of a route does not change when a tunnel under a recursive next hop goes down: only the
 * usable members do, which is one group update.
 */
export class ResolvePass {
  private readonly slots: ReadonlyMap<string, Slot>;
  /** null: structural pass, every tunnel counts as up. */
  private readonly tunnelUp: ReadonlyMap<string, boolean> | null;
  private readonly structural: ResolvePass | null;
  private readonly selections = new Map<string, Selection | null>();
  /** Gateway resolutions by context, then address; valid for routes not covering the address. */
  private readonly gateways = new Map<string, Map<string, Resolution | null>>();
  private readonly ips = new Map<string, IpAddr | null>();
  /** Prefix lengths present per `context|family`, with counts (the Rib's). */
  private readonly lengthCounts: LengthCounts;
  /** The same, longest first (LPM probes only these), built when first needed. */
  private readonly lengths = new Map<string, number[]>();
  /**
   * Keep top-level answers that found no route too (off when each route is selected once and
   * nothing resolves through the routes selected, as in computeChanges()).
   */
  memoiseTopLevel = true;
  /** For the structural pass (select() leaves it empty again). */
  private readonly structuralVisiting = new Set<string>();
  /** Bumped whenever a result depended on the route being resolved (loop cut, self skip). */
  private taint = 0;

  constructor(
    slots: ReadonlyMap<string, Slot>,
    tunnelUp: ReadonlyMap<string, boolean> | null,
    structural: ResolvePass | null,
    lengthCounts: LengthCounts,
  ) {
    this.slots = slots;
    this.tunnelUp = tunnelUp;
    this.structural = structural;
    this.lengthCounts = lengthCounts;
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
    const all = slot.candidates;
    const order =
      all.length < 2
        ? all
        : [...all].sort(
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
    if ((depth === 0 && this.memoiseTopLevel) || best) this.selections.set(key, best);
    return best;
  }

  /** Resolve every next hop of one candidate; null when any gateway is unresolvable. */
  resolveCandidate(
    slot: Slot,
    c: Candidate,
    depth: number,
    visiting: Set<string>,
  ): Resolution | null {
    const only = c.nexthops.length === 1 ? c.nexthops[0] : undefined;
    if (only?.kind === 'gateway') {
      // The common BGP case, without copying the gateway's (sorted, unique) lists.
      const ctx = only.context ?? slot.context;
      const r = this.resolveGateway(slot, only.address, depth, visiting, ctx);
      const shape = this.structural
        ? this.structural.resolveGateway(slot, only.address, 0, this.structuralVisiting, ctx)
        : r;
      const both = shape ?? r;
      if (!both) return null;
      return { candidates: both.candidates, usable: r ? r.usable : EMPTY_RESOLVED };
    }
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
          ? this.structural.resolveGateway(slot, nh.address, 0, this.structuralVisiting, ctx)
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
    const cacheable = context !== from.context || !covers(from.parsed, addr);
    if (cacheable) {
      const hit = this.gateways.get(context)?.get(address);
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
    if (cacheable && taint === this.taint) {
      let byAddress = this.gateways.get(context);
      if (!byAddress)
        this.gateways.set(context, (byAddress = new Map<string, Resolution | null>()));
      byAddress.set(address, result);
    }
    return result;
  }

  private lengthsOf(context: string, family: IpFamily): number[] {
    const k = `${context}|${String(family)}`;
    let lens = this.lengths.get(k);
    if (!lens) {
      lens = [];
      const counts = this.lengthCounts.get(context);
      const byLen = family === 4 ? counts?.v4 : counts?.v6;
      if (byLen)
        for (let len = byLen.length - 1; len >= 0; len--) if ((byLen[len] ?? 0) > 0) lens.push(len);
      this.lengths.set(k, lens);
    }
    return lens;
  }
}

/** `prefixContains` without allocating (this runs per route and gateway in every pass). */
export function covers(p: Prefix, a: IpAddr): boolean {
  if (p.addr.family !== a.family) return false;
  const x = p.addr.bytes;
  const y = a.bytes;
  const full = p.len >> 3;
  for (let i = 0; i < full; i++) if (x[i] !== y[i]) return false;
  const rem = p.len & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((x[full] ?? 0) & mask) === ((y[full] ?? 0) & mask);
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
