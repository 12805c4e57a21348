/**
 * Reconciles the RIB's selected routes into the kernel through `KernelPort`, as nexthop objects
 * (kernel ≥ 5.3):
 *
 *   - one member nexthop per resolved next hop: `dev <tunnel>` (IPv4 and IPv6 family objects are
 *     separate) or `via <gateway> dev <ifname>`;
 *   - one group per distinct ECMP *candidate* set, shared (refcounted) by every route with that
 *     set; its members are the currently usable subset, so a tunnel going down is one group
 *     replace per affected group, whatever the number of routes;
 *   - a route with a single candidate points at the member directly;
 *   - routes carry `nhid`, `proto bgp` (186) for BGP routes and `proto static` (4) for static
 *     routes. Ownership is marked by the nexthop id range, not the protocol: every object this
 *     module creates has an id in [idBase, idBase + idCount) and every route it creates uses one,
 *     so start-up cleanup only needs to delete nexthops in that range (the kernel drops the routes
 *     using a deleted nexthop) and never touches an operator's `proto static` routes;
 *   - policy rules `from <address> lookup <table>` for routing contexts.
 *
 * Every apply() diffs desired state against what this module installed and issues only the calls
 * for what changed: members first, then groups, then routes (make before break), then deletions.
 * The kernel refuses a nexthop on a device without carrier, so down tunnels never appear as
 * members. Failures are logged and counted; the object stays "not installed" and is retried on
 * the next apply(). Nothing here throws.
 */
import type { Logger } from '../lib/index.js';
import {
  RouteProtocol,
  type KernelPort,
  type NexthopSpec,
  type RouteSpec,
  type RuleSpec,
} from '../kernel/index.js';
import type { ResolvedNexthop, SelectedRoute } from './rib.js';

/** "NV" in the top half: default first nexthop id. */
export const NEXTHOP_ID_BASE = 0x4e560000;
export const NEXTHOP_ID_COUNT = 0x10000;
export const MAIN_TABLE = 254;

/** Optional batch APIs of the netlink implementation (`NetlinkKernel`). */
interface BatchKernel {
  replaceRoutes?: (
    specs: readonly RouteSpec[],
  ) => Promise<{ failed: readonly { spec: RouteSpec; error: unknown }[] }>;
}

export interface FibProgrammerOptions {
  readonly kernel: KernelPort;
  readonly logger: Logger;
  readonly idBase?: number;
  readonly idCount?: number;
}

export interface FibStats {
  readonly nexthops: number;
  readonly groups: number;
  readonly routes: number;
  readonly rules: number;
  /** Kernel calls issued (each batch counts once). */
  readonly kernelCalls: number;
  readonly failures: number;
  /** Selected routes skipped because their context has no table. */
  readonly unknownContext: number;
}

/** Context name → kernel table (the default context is the main table). */
export type ContextTables = ReadonlyMap<string, number>;

interface InstalledMember {
  readonly id: number;
  readonly spec: NexthopSpec;
}

interface InstalledGroup {
  readonly id: number;
  members: number[];
}

interface InstalledRoute {
  readonly table: number;
  readonly prefix: string;
  readonly nexthopId: number;
  readonly protocol: number;
}

interface DesiredRoute extends InstalledRoute {
  /** Member key or group key of the object the route points at. */
  readonly object: string;
  readonly isGroup: boolean;
  readonly routeKey: string;
  /** The usable next hops of the selected route (the members it wants). */
  readonly usable: readonly ResolvedNexthop[];
  /** The apply() pass that last found its object live (step 3). */
  livePass: number;
}

/** What one selected route adds to the desired state: its route, or none (no table). */
type Contribution = DesiredRoute | null;

interface ObjectRef {
  /** The object key (one string shared by every route pointing at the object). */
  readonly name: string;
  count: number;
}

interface MemberRef {
  n: ResolvedNexthop;
  count: number;
}

interface GroupRef {
  /** Usable member object keys (`nh:<key>`). */
  members: string[];
  count: number;
}

function ruleKey(r: RuleSpec): string {
  return `${r.family}|${r.priority}|${r.table}|${r.src ?? ''}|${r.dst ?? ''}`;
}

function routeKey(table: number, prefix: string): string {
  return `${table}|${prefix}`;
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class FibProgrammer {
  private readonly kernel: KernelPort & BatchKernel;
  private readonly log: Logger;
  private readonly idBase: number;
  private readonly idCount: number;
  private readonly ids = new Map<string, number>();
  private readonly usedIds = new Set<number>();
  private nextId = 0;
  private readonly members = new Map<string, InstalledMember>();
  private readonly groups = new Map<string, InstalledGroup>();
  private readonly routes = new Map<string, InstalledRoute>();
  private readonly rules = new Map<string, RuleSpec>();
  /** Ids forgotten after a device event; deleted (idempotently) unless re-created. */
  private readonly orphans = new Set<number>();
  private calls = 0;
  private failures = 0;
  private unknownContext = 0;
  /**
   * The desired state, kept between passes so that a pass told which selected routes changed
   * only touches those: per selected key its contribution, and the refcounted objects and routes
   * all contributions add up to.
   */
  private readonly contributions = new Map<string, Contribution>();
  private readonly wantMembers = new Map<string, MemberRef>();
  private readonly wantGroups = new Map<string, GroupRef>();
  private readonly wantRoutes = new Map<string, DesiredRoute>();
  /** Objects (`nh:` / `grp:` keys) that desired routes point at, with counts. */
  private readonly wantObjects = new Map<string, ObjectRef>();
  private lastTables: ContextTables | null = null;
  private pass = 0;

  constructor(opts: FibProgrammerOptions) {
    this.kernel = opts.kernel;
    this.log = opts.logger;
    this.idBase = opts.idBase ?? NEXTHOP_ID_BASE;
    this.idCount = opts.idCount ?? NEXTHOP_ID_COUNT;
  }

  stats(): FibStats {
    return {
      nexthops: this.members.size,
      groups: this.groups.size,
      routes: this.routes.size,
      rules: this.rules.size,
      kernelCalls: this.calls,
      failures: this.failures,
      unknownContext: this.unknownContext,
    };
  }

  ownsId(id: number): boolean {
    return id >= this.idBase && id < this.idBase + this.idCount;
  }

  /**
   * Remove leftovers of a previous run: nexthops in our id range (groups first; the kernel drops
   * routes using them) and rules matching `isOurRule` that are not in `keepRules`.
   */
  async cleanupStale(isOurRule: (r: RuleSpec) => boolean): Promise<number> {
    let removed = 0;
    const existing = await this.call('list nexthops', () => this.kernel.listNexthops());
    const ours = (existing ?? []).filter((n) => this.ownsId(n.id));
    const ordered = [
      ...ours.filter((n) => n.group !== undefined),
      ...ours.filter((n) => n.group === undefined),
    ];
    for (const n of ordered) {
      if (
        (await this.call(`delete stale nexthop ${n.id}`, () => this.kernel.deleteNexthop(n.id))) !==
        undefined
      )
        removed++;
    }
    for (const family of [4, 6] as const) {
      const rules = await this.call(`list rules ipv${family}`, () => this.kernel.listRules(family));
      for (const r of rules ?? []) {
        if (!isOurRule(r) || this.rules.has(ruleKey(r))) continue;
        if ((await this.call(`delete stale rule`, () => this.kernel.deleteRule(r))) !== undefined)
          removed++;
      }
    }
    if (removed > 0) this.log.info({ removed }, 'stale routing objects removed');
    return removed;
  }

  /**
   * Reconcile the kernel with the selected routes and rules. Never throws. `changed` names the
   * selected keys that may differ from the previous call (null or absent: any may, and
   * `selected` is every selected route); only their part of the desired state is rebuilt, from
   * `selected` (a changed key missing there is no longer selected). With new `tables` (another
   * object than last time) `changed` must be null.
   */
  async apply(
    selected: ReadonlyMap<string, SelectedRoute>,
    tables: ContextTables,
    rules: readonly RuleSpec[],
    changed?: ReadonlySet<string> | null,
  ): Promise<void> {
    const pass = ++this.pass;
    this.updateDesired(selected, tables, changed ?? null);
    const wantMembers = this.wantMembers;
    const wantRoutes = this.wantRoutes;

    // 1. Members.
    for (const [key, ref] of [...wantMembers]) {
      const n = ref.n;
      const objKey = `nh:${key}`;
      const spec: NexthopSpec = {
        id: this.idFor(objKey),
        dev: n.dev,
        ...(n.via !== undefined ? { via: n.via } : {}),
        family: n.family,
        protocol: RouteProtocol.bgp,
      };
      const cur = this.members.get(objKey);
      if (cur && JSON.stringify(cur.spec) === JSON.stringify(spec)) continue;
      if (
        (await this.call(`replace nexthop ${spec.id} dev ${n.dev}`, () =>
          this.kernel.replaceNexthop(spec),
        )) !== undefined
      )
        this.members.set(objKey, { id: spec.id, spec });
    }

    // 2. Groups (members limited to the installed ones; an empty group is not installed).
    const liveGroups = new Set<string>();
    for (const [key, ref] of [...this.wantGroups]) {
      const ids = ref.members
        .map((m) => this.members.get(m)?.id)
        .filter((id): id is number => id !== undefined)
        .sort((a, b) => a - b);
      if (ids.length === 0) continue;
      const cur = this.groups.get(key);
      if (cur && sameMembers(cur.members, ids)) {
        liveGroups.add(key);
        continue;
      }
      const id = this.idFor(key);
      const spec: NexthopSpec = {
        id,
        group: ids.map((m) => ({ id: m })),
        protocol: RouteProtocol.bgp,
      };
      if (
        (await this.call(`replace nexthop group ${id}`, () => this.kernel.replaceNexthop(spec))) !==
        undefined
      ) {
        this.groups.set(key, { id, members: ids });
        liveGroups.add(key);
      } else if (cur) {
        liveGroups.add(key); // keep the old membership; retried next time
      }
    }

    // 3. Routes whose object is live and whose installed state differs.
    const toReplace: DesiredRoute[] = [];
    for (const [rk, d] of wantRoutes) {
      const live = d.isGroup ? liveGroups.has(d.object) : this.members.has(d.object);
      if (!live) continue;
      d.livePass = pass;
      const cur = this.routes.get(rk);
      if (cur && cur.nexthopId === d.nexthopId && cur.protocol === d.protocol) continue;
      toReplace.push(d);
    }
    await this.replaceRoutes(toReplace);

    // Objects that go away (their deletion also removes the kernel routes using them).
    const dropGroups = [...this.groups].filter(([k]) => !liveGroups.has(k));
    const dropMembers = [...this.members].filter(([k]) => !wantMembers.has(k.slice(3)));
    const dropping = new Set([...dropGroups, ...dropMembers].map(([, v]) => v.id));

    // 4. Routes no longer wanted (or without a live object).
    const stale: [string, InstalledRoute][] = [];
    for (const [rk, cur] of this.routes) {
      if (wantRoutes.get(rk)?.livePass === pass) continue;
      if (dropping.has(cur.nexthopId)) continue; // removed with its nexthop below
      stale.push([rk, cur]);
    }
    for (const [rk, cur] of stale) {
      const spec = { table: cur.table, prefix: cur.prefix, protocol: cur.protocol };
      if (
        (await this.call(`delete route ${cur.prefix} table ${cur.table}`, () =>
          this.kernel.deleteRoute(spec),
        )) !== undefined
      )
        this.routes.delete(rk);
    }

    // 5./6. Groups, then members.
    for (const [key, g] of dropGroups) await this.deleteObject(key, g.id);
    for (const [key, m] of dropMembers) await this.deleteObject(key, m.id);

    await this.deleteOrphans();
    await this.applyRules(rules);
    this.collectIds();
  }

  /** Bring the desired state up to date with `selected` (all of it, or the `changed` keys). */
  private updateDesired(
    selected: ReadonlyMap<string, SelectedRoute>,
    tables: ContextTables,
    changed: ReadonlySet<string> | null,
  ): void {
    if (changed === null || tables !== this.lastTables) {
      this.lastTables = tables;
      this.contributions.clear();
      this.wantMembers.clear();
      this.wantGroups.clear();
      this.wantRoutes.clear();
      this.wantObjects.clear();
      this.unknownContext = 0;
      for (const [key, r] of selected) this.contribute(key, r, tables);
      return;
    }
    for (const key of changed) {
      const old = this.contributions.get(key);
      if (old !== undefined) this.withdrawContribution(key, old);
      const r = selected.get(key);
      if (r) this.contribute(key, r, tables);
    }
  }

  private contribute(key: string, r: SelectedRoute, tables: ContextTables): void {
    const table = tables.get(r.context);
    if (table === undefined) {
      this.unknownContext++;
      this.contributions.set(key, null);
      return;
    }
    for (const n of r.usable) {
      const m = this.wantMembers.get(n.key);
      if (m) {
        m.n = n;
        m.count++;
      } else this.wantMembers.set(n.key, { n, count: 1 });
    }
    const first = r.candidates[0];
    const isGroup = !(r.candidates.length === 1 && first !== undefined);
    let object: string;
    if (!isGroup) {
      object = `nh:${first.key}`;
    } else {
      object = `grp:${r.candidates.map((n) => n.key).join(',')}`;
      const members = r.usable.map((n) => `nh:${n.key}`);
      const g = this.wantGroups.get(object);
      if (g) {
        g.members = members;
        g.count++;
      } else this.wantGroups.set(object, { members, count: 1 });
    }
    const ref = this.wantObjects.get(object);
    if (ref) {
      ref.count++;
      object = ref.name;
    } else this.wantObjects.set(object, { name: object, count: 1 });
    const protocol = r.source === 'bgp' ? RouteProtocol.bgp : RouteProtocol.static;
    const rk = routeKey(table, r.prefix);
    const route: DesiredRoute = {
      table,
      prefix: r.prefix,
      protocol,
      nexthopId: this.idFor(object),
      object,
      isGroup,
      routeKey: rk,
      usable: r.usable,
      livePass: 0,
    };
    this.wantRoutes.set(rk, route);
    this.contributions.set(key, route);
  }

  private withdrawContribution(key: string, d: Contribution): void {
    this.contributions.delete(key);
    if (d === null) {
      this.unknownContext--;
      return;
    }
    for (const n of d.usable) {
      const m = this.wantMembers.get(n.key);
      if (m && --m.count <= 0) this.wantMembers.delete(n.key);
    }
    if (d.isGroup) {
      const g = this.wantGroups.get(d.object);
      if (g && --g.count <= 0) this.wantGroups.delete(d.object);
    }
    const ref = this.wantObjects.get(d.object);
    if (ref && --ref.count <= 0) this.wantObjects.delete(d.object);
    if (this.wantRoutes.get(d.routeKey) === d) this.wantRoutes.delete(d.routeKey);
  }

  private async deleteOrphans(): Promise<void> {
    const installed = new Set([...this.members.values(), ...this.groups.values()].map((o) => o.id));
    for (const id of [...this.orphans]) {
      this.orphans.delete(id);
      if (installed.has(id)) continue;
      await this.call(`delete nexthop ${id}`, () => this.kernel.deleteNexthop(id));
    }
  }

  /** Remove everything this programmer installed. Never throws. */
  async removeAll(): Promise<void> {
    for (const [key, g] of [...this.groups]) await this.deleteObject(key, g.id);
    for (const [key, m] of [...this.members]) await this.deleteObject(key, m.id);
    for (const [rk, cur] of [...this.routes]) {
      const spec = { table: cur.table, prefix: cur.prefix, protocol: cur.protocol };
      if (
        (await this.call(`delete route ${cur.prefix}`, () => this.kernel.deleteRoute(spec))) !==
        undefined
      )
        this.routes.delete(rk);
    }
    await this.deleteOrphans();
    await this.applyRules([]);
    this.lastTables = null;
    this.contributions.clear();
    this.wantMembers.clear();
    this.wantGroups.clear();
    this.wantRoutes.clear();
    this.wantObjects.clear();
    this.collectIds();
  }

  /**
   * The kernel flushed nexthops on `dev` (carrier or admin down): forget them, and what the
   * kernel removed with them, so the next apply() re-creates whatever is still wanted.
   */
  forgetDevice(dev: string): boolean {
    const gone = [...this.members].filter(([, m]) => m.spec.dev === dev);
    for (const [key, m] of gone) {
      this.forgetId(key, m.id);
      this.orphans.add(m.id);
    }
    return gone.length > 0;
  }

  private async replaceRoutes(list: readonly DesiredRoute[]): Promise<void> {
    if (list.length === 0) return;
    const specOf = (d: DesiredRoute): RouteSpec => ({
      table: d.table,
      prefix: d.prefix,
      nexthopId: d.nexthopId,
      protocol: d.protocol,
    });
    // The desired route is immutable in what InstalledRoute holds: keep it as the record.
    const record = (d: DesiredRoute): void => {
      this.routes.set(d.routeKey, d);
    };
    const batch = this.kernel.replaceRoutes?.bind(this.kernel);
    if (batch && list.length > 1) {
      const specs = list.map(specOf);
      const res = await this.call(`replace ${specs.length} routes`, () => batch(specs));
      if (res === undefined) return;
      const failed = new Set(res.failed.map((f) => routeKey(f.spec.table, f.spec.prefix)));
      for (const f of res.failed) this.fail(`replace route ${f.spec.prefix}`, f.error);
      for (const d of list) if (failed.size === 0 || !failed.has(d.routeKey)) record(d);
      return;
    }
    for (const d of list) {
      const spec = specOf(d);
      if (
        (await this.call(`replace route ${d.prefix} table ${d.table}`, () =>
          this.kernel.replaceRoute(spec),
        )) !== undefined
      )
        record(d);
    }
  }

  private async applyRules(rules: readonly RuleSpec[]): Promise<void> {
    const want = new Map(rules.map((r) => [ruleKey(r), r]));
    for (const [k, r] of want) {
      if (this.rules.has(k)) continue;
      if (
        (await this.call(`add rule from ${r.src ?? 'all'} lookup ${r.table}`, () =>
          this.kernel.addRule(r),
        )) !== undefined
      )
        this.rules.set(k, r);
    }
    for (const [k, r] of [...this.rules]) {
      if (want.has(k)) continue;
      if (
        (await this.call(`delete rule from ${r.src ?? 'all'} lookup ${r.table}`, () =>
          this.kernel.deleteRule(r),
        )) !== undefined
      )
        this.rules.delete(k);
    }
  }

  private async deleteObject(key: string, id: number): Promise<void> {
    if (
      (await this.call(`delete nexthop ${id}`, () => this.kernel.deleteNexthop(id))) !== undefined
    )
      this.forgetId(key, id);
  }

  /** Mirror what the kernel does when nexthop `id` goes: its routes go, groups shrink. */
  private forgetId(key: string, id: number): void {
    this.members.delete(key);
    this.groups.delete(key);
    for (const [rk, r] of this.routes) if (r.nexthopId === id) this.routes.delete(rk);
    for (const [gk, g] of this.groups) {
      if (!g.members.includes(id)) continue;
      g.members = g.members.filter((m) => m !== id);
      if (g.members.length === 0) this.forgetId(gk, g.id);
    }
  }

  private idFor(key: string): number {
    const have = this.ids.get(key);
    if (have !== undefined) return have;
    for (let i = 0; i < this.idCount; i++) {
      const id = this.idBase + ((this.nextId + i) % this.idCount);
      if (this.usedIds.has(id)) continue;
      this.nextId = (id - this.idBase + 1) % this.idCount;
      this.ids.set(key, id);
      this.usedIds.add(id);
      return id;
    }
    throw new RangeError('nexthop id range exhausted');
  }

  /** Free ids of objects neither wanted nor installed. */
  private collectIds(): void {
    for (const [k, id] of [...this.ids]) {
      if (this.wantObjects.has(k) || this.members.has(k) || this.groups.has(k)) continue;
      this.ids.delete(k);
      this.usedIds.delete(id);
    }
  }

  /** Run one kernel call; undefined on failure (logged and counted). */
  private async call<T>(op: string, f: () => Promise<T>): Promise<T | undefined> {
    this.calls++;
    try {
      const v = await f();
      return v ?? (true as T);
    } catch (e) {
      this.fail(op, e);
      return undefined;
    }
  }

  private fail(op: string, e: unknown): void {
    this.failures++;
    this.log.warn(
      { op, err: e instanceof Error ? e.message : String(e) },
      'kernel routing operation failed',
    );
  }
}
