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
import { formatPrefix, parseIp, parsePrefix, type IpAddr, type Prefix } from '../lib/index.js';
import {
  covers,
  EMPTY_RESOLVED,
  newPass,
  slotKey,
  type FamilyLengths,
  type Selection,
} from './resolve.js';
import {
  RouteCode,
  type Candidate,
  type NextHop,
  type ResolvedNexthop,
  type RouteInput,
  type RouteSource,
  type RouteViewEntry,
  type SelectedRoute,
  type Slot,
} from './route-types.js';

export {
  AdminDistance,
  DEFAULT_CONTEXT,
  RouteCode,
  type BgpShowAttrs,
  type NextHop,
  type NotInstalledReason,
  type ResolvedNexthop,
  type RouteInput,
  type RouteSource,
  type RouteViewEntry,
  type SelectedRoute,
} from './route-types.js';

function candidateOf(slot: Slot, source: RouteSource): Candidate | undefined {
  for (const c of slot.candidates) if (c.source === source) return c;
  return undefined;
}

function putCandidate(slot: Slot, c: Candidate): void {
  const i = slot.candidates.findIndex((x) => x.source === c.source);
  // New arrays of the exact size: most slots keep one candidate for their lifetime.
  if (i >= 0) slot.candidates[i] = c;
  else if (slot.candidates.length === 0) slot.candidates = [c];
  else slot.candidates = [...slot.candidates, c];
}

function removeCandidate(slot: Slot, source: RouteSource): void {
  const i = slot.candidates.findIndex((x) => x.source === source);
  if (i >= 0) slot.candidates.splice(i, 1);
}

/** Canonical prefix text or throws a TypeError naming the bad value. */
export function canonicalPrefix(s: string): string {
  const p = parsePrefix(s);
  if (!p) throw new TypeError(`not a prefix: ${s}`);
  return formatPrefix(p);
}

/** Above this many distinct gateways in a context, any BGP change there recomputes everything. */
const MAX_TRACKED_GATEWAYS = 64;

interface GatewayRef {
  readonly addr: IpAddr | null;
  count: number;
}

/** What {@link Rib.computeChanges} returns. */
export interface SelectionChanges {
  /**
   * The selected route per `context|prefix`: all of them when `changed` is null, else those of
   * the changed keys (a changed key without an entry is no longer selected).
   */
  readonly selected: ReadonlyMap<string, SelectedRoute>;
  /** Keys whose selection may have changed since the last call; null: any may have. */
  readonly changed: ReadonlySet<string> | null;
}

export class Rib {
  private readonly slots = new Map<string, Slot>();
  /** The same slots by context, then canonical prefix text. */
  private readonly index = new Map<string, Map<string, Slot>>();
  private readonly tunnelUp = new Map<string, boolean>();
  /** Tunnel names known to be tunnels (device next hops, carrier-dependent). */
  private readonly nowMs: () => number;
  /** Bumped on every change; lets callers skip work when nothing changed. */
  private generationValue = 0;
  /** Prefix lengths present, with their counts, per `context|family` (for LPM probes). */
  private readonly lengthCounts = new Map<string, FamilyLengths>();
  /** Gateway addresses next hops name, per context they are resolved in. */
  private readonly gatewayRefs = new Map<string, Map<string, GatewayRef>>();
  /** For computeChanges(): slots changed since the last call, or everything. */
  private dirty = new Set<string>();
  private allDirty = true;
  /** Next-hop lists shared by the selected routes (most routes have one of a few lists). */
  private lists = new Map<string, readonly ResolvedNexthop[]>();

  constructor(nowMs: () => number) {
    this.nowMs = nowMs;
  }

  get generation(): number {
    return this.generationValue;
  }

  /**
   * Set (or with `null`, remove) the candidate of `source` for (context, prefix). `parsed`, when
   * given, is `prefix` in binary form (canonical text then): it saves parsing the text.
   */
  set(
    source: RouteSource,
    context: string,
    prefix: string,
    input: RouteInput | null,
    parsed?: Prefix,
  ): boolean {
    // Looked up by (context, prefix) without building the `context|prefix` key.
    const byPrefix = this.index.get(context);
    let slot = byPrefix?.get(prefix);
    let p = slot?.parsed ?? parsed;
    let canon = prefix;
    if (!slot && !parsed) {
      p = parsePrefix(prefix) ?? undefined;
      if (!p) throw new TypeError(`not a prefix: ${prefix}`);
      canon = formatPrefix(p);
      if (canon !== prefix) slot = byPrefix?.get(canon);
    }
    if (input === null) {
      const old = slot ? candidateOf(slot, source) : undefined;
      if (!slot || !old) return false;
      removeCandidate(slot, source);
      this.changed(slot, old, undefined);
      if (slot.candidates.length === 0) this.removeSlot(slot);
      this.generationValue++;
      return true;
    }
    const prev = slot ? candidateOf(slot, source) : undefined;
    const metric = input.metric ?? 0;
    if (
      prev &&
      prev.distance === input.distance &&
      prev.metric === metric &&
      sameNexthops(prev.nexthops, input.nexthops) &&
      (prev.attrs === input.attrs || JSON.stringify(prev.attrs) === JSON.stringify(input.attrs))
    )
      return false;
    if (!slot) {
      if (!p) throw new TypeError(`not a prefix: ${prefix}`);
      slot = {
        key: slotKey(context, canon),
        context,
        prefix: canon,
        parsed: p,
        family: p.addr.family,
        candidates: [],
      };
      this.addSlot(slot);
    }
    const next: Candidate = {
      source,
      // Frozen lists (shared by many routes, e.g. one per BGP UPDATE) are kept as they are.
      nexthops: Object.isFrozen(input.nexthops) ? input.nexthops : [...input.nexthops],
      distance: input.distance,
      metric,
      attrs: input.attrs,
      sinceMs: prev && sameNexthops(prev.nexthops, input.nexthops) ? prev.sinceMs : this.nowMs(),
    };
    putCandidate(slot, next);
    this.changed(slot, prev, next);
    this.generationValue++;
    return true;
  }

  /** Remove every candidate of `source` (optionally only in one context). */
  clearSource(source: RouteSource, context?: string): void {
    for (const slot of this.slots.values()) {
      if (context !== undefined && slot.context !== context) continue;
      const old = candidateOf(slot, source);
      if (old) {
        removeCandidate(slot, source);
        this.changed(slot, old, undefined);
        this.generationValue++;
      }
      if (slot.candidates.length === 0) this.removeSlot(slot);
    }
  }

  private addSlot(slot: Slot): void {
    this.slots.set(slot.key, slot);
    let byPrefix = this.index.get(slot.context);
    if (!byPrefix) this.index.set(slot.context, (byPrefix = new Map<string, Slot>()));
    byPrefix.set(slot.prefix, slot);
    let counts = this.lengthCounts.get(slot.context);
    if (!counts) {
      counts = { v4: new Int32Array(33), v6: new Int32Array(129) };
      this.lengthCounts.set(slot.context, counts);
    }
    const byLen = slot.family === 4 ? counts.v4 : counts.v6;
    byLen[slot.parsed.len] = (byLen[slot.parsed.len] ?? 0) + 1;
  }

  private removeSlot(slot: Slot): void {
    this.slots.delete(slot.key);
    this.index.get(slot.context)?.delete(slot.prefix);
    const counts = this.lengthCounts.get(slot.context);
    const byLen = slot.family === 4 ? counts?.v4 : counts?.v6;
    if (byLen) byLen[slot.parsed.len] = (byLen[slot.parsed.len] ?? 0) - 1;
  }

  /**
   * Book-keeping for computeChanges(): a candidate of `slot` went from `prev` to `next`. Only the
   * slot itself needs a new selection, unless the change can move other routes: connected and
   * static routes, or a route covering a gateway address some next hop is resolved through.
   */
  private changed(slot: Slot, prev: Candidate | undefined, next: Candidate | undefined): void {
    if (prev?.nexthops !== next?.nexthops) {
      if (prev) this.trackGateways(slot, prev, -1);
      if (next) this.trackGateways(slot, next, 1);
    }
    if (this.allDirty) return;
    const source = (next ?? prev)?.source;
    if (source !== 'bgp' || this.coversGateway(slot)) {
      this.allDirty = true;
      this.dirty.clear();
      return;
    }
    this.dirty.add(slot.key);
  }

  private trackGateways(slot: Slot, c: Candidate, delta: 1 | -1): void {
    for (const nh of c.nexthops) {
      if (nh.kind !== 'gateway') continue;
      const ctx = nh.context ?? slot.context;
      let refs = this.gatewayRefs.get(ctx);
      if (!refs) this.gatewayRefs.set(ctx, (refs = new Map<string, GatewayRef>()));
      const ref = refs.get(nh.address);
      if (ref) {
        ref.count += delta;
        if (ref.count <= 0) refs.delete(nh.address);
      } else if (delta > 0) {
        refs.set(nh.address, { addr: parseIp(nh.address), count: 1 });
      }
    }
  }

  private coversGateway(slot: Slot): boolean {
    const refs = this.gatewayRefs.get(slot.context);
    if (!refs || refs.size === 0) return false;
    if (refs.size > MAX_TRACKED_GATEWAYS) return true;
    for (const ref of refs.values()) {
      if (ref.addr && covers(slot.parsed, ref.addr)) return true;
    }
    return false;
  }

  /**
   * What changed in the selection since the last call: everything (a full recompute, `changed`
   * null) or, when that is safe (BGP routes that no next hop resolves through), only the changed
   * keys with their new selection (absent: no longer selected). `full` asks for everything.
   */
  computeChanges(full = false): SelectionChanges {
    if (this.allDirty || full) {
      this.allDirty = false;
      this.dirty.clear();
      this.lists = new Map();
      return { selected: this.compute(), changed: null };
    }
    const changed = this.dirty;
    this.dirty = new Set();
    // Selected on demand, so that a consumer taking one route at a time leaves only short-lived
    // garbage (a full table's worth of selections at once would be promoted by the GC).
    const pass = newPass(this.slots, this.tunnelUp, this.lengthCounts);
    pass.memoiseTopLevel = false;
    const visiting = new Set<string>();
    const selected = new LazySelection(changed, (key) => {
      const slot = this.slots.get(key);
      const sel = slot ? pass.select(slot, 0, visiting) : null;
      return slot && sel && sel.candidate.source !== 'connected'
        ? this.selectedRoute(slot, sel)
        : undefined;
    });
    return { selected, changed };
  }

  /** Candidates of one source, as `context|prefix` → input (for diffing a new config). */
  entriesOf(source: RouteSource): Map<string, { context: string; prefix: string }> {
    const out = new Map<string, { context: string; prefix: string }>();
    for (const [key, slot] of this.slots)
      if (candidateOf(slot, source)) out.set(key, { context: slot.context, prefix: slot.prefix });
    return out;
  }

  /** A tunnel next hop is usable only while its tunnel is up; unknown tunnels are down. */
  setTunnelState(name: string, up: boolean): boolean {
    if ((this.tunnelUp.get(name) ?? false) === up) return false;
    this.tunnelUp.set(name, up);
    this.generationValue++;
    this.allDirty = true;
    this.dirty.clear();
    return true;
  }

  isTunnelUp(name: string): boolean {
    return this.tunnelUp.get(name) ?? false;
  }

  /** The selected route per (context, prefix), keyed `context|prefix`. */
  compute(): Map<string, SelectedRoute> {
    const pass = newPass(this.slots, this.tunnelUp, this.lengthCounts);
    const out = new Map<string, SelectedRoute>();
    const visiting = new Set<string>();
    for (const [key, slot] of this.slots) {
      const sel = pass.select(slot, 0, visiting);
      if (!sel || sel.candidate.source === 'connected') continue;
      out.set(key, this.selectedRoute(slot, sel));
    }
    return out;
  }

  private selectedRoute(slot: Slot, sel: Selection): SelectedRoute {
    return {
      context: slot.context,
      prefix: slot.prefix,
      family: slot.family,
      source: sel.candidate.source,
      candidates: this.shared(sel.resolution.candidates),
      usable: this.shared(sel.resolution.usable),
    };
  }

  /** An equal list already in use, or this one (kept for the next routes). */
  private shared(list: readonly ResolvedNexthop[]): readonly ResolvedNexthop[] {
    const first = list[0];
    if (!first) return EMPTY_RESOLVED;
    const key = list.length === 1 ? first.key : list.map((n) => n.key).join(' ');
    const hit = this.lists.get(key);
    if (hit && sameResolved(hit, list)) return hit;
    this.lists.set(key, list);
    return list;
  }

  /** Read-only rows for `show ip route`, sorted by context, then prefix, then distance. */
  view(): RouteViewEntry[] {
    const pass = newPass(this.slots, this.tunnelUp, this.lengthCounts);
    const now = this.nowMs();
    const rows: RouteViewEntry[] = [];
    for (const slot of this.slots.values()) {
      const sel = pass.select(slot, 0, new Set());
      for (const c of slot.candidates) {
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
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function sameResolved(a: readonly ResolvedNexthop[], b: readonly ResolvedNexthop[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (
      !x ||
      !y ||
      x.key !== y.key ||
      x.family !== y.family ||
      x.dev !== y.dev ||
      x.via !== y.via ||
      x.tunnel !== y.tunnel
    )
      return false;
  }
  return true;
}

/**
 * The selection of a set of keys, computed at each read (valid until the Rib changes); the
 * iteration methods compute every key once into a Map.
 */
class LazySelection implements ReadonlyMap<string, SelectedRoute> {
  private readonly keySet: ReadonlySet<string>;
  private readonly selectOne: (key: string) => SelectedRoute | undefined;

  constructor(keys: ReadonlySet<string>, select: (key: string) => SelectedRoute | undefined) {
    this.keySet = keys;
    this.selectOne = select;
  }

  get(key: string): SelectedRoute | undefined {
    return this.keySet.has(key) ? this.selectOne(key) : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get size(): number {
    return this.all().size;
  }

  private all(): Map<string, SelectedRoute> {
    const m = new Map<string, SelectedRoute>();
    for (const k of this.keySet) {
      const v = this.selectOne(k);
      if (v) m.set(k, v);
    }
    return m;
  }

  forEach(
    cb: (value: SelectedRoute, key: string, map: ReadonlyMap<string, SelectedRoute>) => void,
  ): void {
    for (const [k, v] of this.all()) cb(v, k, this);
  }

  entries(): MapIterator<[string, SelectedRoute]> {
    return this.all().entries();
  }

  keys(): MapIterator<string> {
    return this.all().keys();
  }

  values(): MapIterator<SelectedRoute> {
    return this.all().values();
  }

  [Symbol.iterator](): MapIterator<[string, SelectedRoute]> {
    return this.all()[Symbol.iterator]();
  }
}
