/**
 * In-memory `KernelPort` for other modules' unit tests. It records every call and models links,
 * addresses, nexthops, routes and rules with the same idempotency rules as the netlink
 * implementation; deleting a nexthop removes the routes (and group memberships) that use it, as
 * the kernel does. Errors are the same `KernelError`s (ENODEV for unknown links, ...).
 */
import { canonicalIp, formatPrefix, parseInterfaceAddress, parsePrefix } from '../lib/index.js';
import { Errno, KernelError } from './errors.js';
import type { NetlinkKernel, RouteDeleteSpec, BatchFailure, LinkEvent } from './netlink-kernel.js';
import type {
  AddressInfo,
  Family,
  LinkInfo,
  NexthopSpec,
  RouteInfo,
  RouteSpec,
  RuleSpec,
} from './port.js';
import { RouteProtocol } from './port.js';

export interface FakeKernelCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface FakeKernel extends NetlinkKernel {
  /** Every call in order (list*, get* included). */
  readonly calls: FakeKernelCall[];
  /** Add a link (like creating a TUN/veth); returns its index. */
  addLink(
    name: string,
    opts?: { mtu?: number; kind?: string; up?: boolean; running?: boolean },
  ): number;
  removeLink(name: string): void;
  /** Change carrier (running), as a TUN gaining/losing its reader; emits link events. */
  setCarrier(name: string, running: boolean): void;
  /** Make the next call of `method` fail with this errno (once). */
  failNext(method: string, errno: number): void;
}

interface MutLink {
  index: number;
  name: string;
  up: boolean;
  running: boolean;
  mtu: number;
  kind: string | null;
}

function routeKey(s: { table: number; prefix: string; metric?: number | undefined }): string {
  return `${s.table}|${s.prefix}|${s.metric ?? 0}`;
}

function ruleKey(s: RuleSpec): string {
  return `${s.family}|${s.priority}|${s.table}|${s.src ?? ''}|${s.dst ?? ''}`;
}

function normPrefix(op: string, p: string): string {
  const parsed = parsePrefix(p);
  if (!parsed) throw new KernelError(op, Errno.EINVAL, null, `not a prefix: ${p}`);
  return formatPrefix(parsed);
}

export function createFakeKernel(): FakeKernel {
  const calls: FakeKernelCall[] = [];
  const links = new Map<string, MutLink>();
  const addresses: AddressInfo[] = [];
  const nexthops = new Map<number, NexthopSpec>();
  const routes = new Map<string, RouteInfo>();
  const rules = new Map<string, RuleSpec>();
  const failures = new Map<string, number>();
  const watchers = new Set<(ev: LinkEvent) => void>();
  let nextIndex = 1;

  function snapshot(l: MutLink): LinkInfo {
    return { ...l };
  }

  function emit(type: LinkEvent['type'], l: LinkInfo, previous: LinkInfo | null): void {
    for (const w of [...watchers]) w({ type, link: l, previous });
  }

  function record(method: string, args: unknown[]): void {
    calls.push({ method, args });
    const errno = failures.get(method);
    if (errno !== undefined) {
      failures.delete(method);
      throw new KernelError(`${method} (fake)`, errno);
    }
  }

  function link(name: string, op: string): MutLink {
    const l = links.get(name);
    if (!l) throw new KernelError(op, Errno.ENODEV);
    return l;
  }

  function mutate(name: string, op: string, f: (l: MutLink) => void): void {
    const l = link(name, op);
    const before = snapshot(l);
    f(l);
    const after = snapshot(l);
    if (JSON.stringify(before) !== JSON.stringify(after)) emit('changed', after, before);
  }

  function removeRoutesVia(id: number): void {
    for (const [k, r] of routes) if (r.nexthopId === id) routes.delete(k);
  }

  function putRoute(s: RouteSpec): void {
    const op = `replace route ${s.prefix} table ${s.table}`;
    const prefix = normPrefix(op, s.prefix);
    const parsed = parsePrefix(prefix);
    if (s.nexthopId !== undefined && !nexthops.has(s.nexthopId)) {
      throw new KernelError(op, Errno.EINVAL, 'Nexthop id does not exist');
    }
    if (s.dev !== undefined) link(s.dev, op);
    const info: RouteInfo = { ...s, prefix, family: parsed?.addr.family ?? 4 };
    routes.set(routeKey(info), info);
  }

  function dropRoute(s: RouteDeleteSpec): void {
    const prefix = normPrefix(`delete route ${s.prefix}`, s.prefix);
    for (const [k, r] of routes) {
      if (r.table !== s.table || r.prefix !== prefix) continue;
      if (s.protocol !== 0 && r.protocol !== s.protocol) continue;
      if (s.metric !== undefined && (r.metric ?? 0) !== s.metric) continue;
      routes.delete(k);
      return;
    }
  }

  function batchOf<T>(
    specs: readonly T[],
    f: (s: T) => void,
  ): { total: number; failed: BatchFailure<T>[] } {
    const failed: BatchFailure<T>[] = [];
    specs.forEach((s, index) => {
      try {
        f(s);
      } catch (e) {
        if (e instanceof KernelError) failed.push({ index, spec: s, error: e });
        else throw e;
      }
    });
    return { total: specs.length, failed };
  }

  const fake: FakeKernel = {
    calls,
    addLink(name, opts = {}) {
      const l: MutLink = {
        index: nextIndex++,
        name,
        up: opts.up ?? false,
        running: opts.running ?? false,
        mtu: opts.mtu ?? 1500,
        kind: opts.kind ?? null,
      };
      links.set(name, l);
      emit('added', snapshot(l), null);
      return l.index;
    },
    removeLink(name) {
      const l = links.get(name);
      if (!l) return;
      links.delete(name);
      for (let i = addresses.length - 1; i >= 0; i--)
        if (addresses[i]?.ifname === name) addresses.splice(i, 1);
      for (const [id, nh] of nexthops) {
        if (nh.dev === name) {
          nexthops.delete(id);
          removeRoutesVia(id);
        }
      }
      for (const [k, r] of routes) if (r.dev === name) routes.delete(k);
      emit('removed', snapshot(l), snapshot(l));
    },
    setCarrier(name, running) {
      mutate(name, `set carrier on ${name}`, (l) => {
        l.running = running;
      });
    },
    failNext(method, errno) {
      failures.set(method, errno);
    },

    listLinks() {
      record('listLinks', []);
      return Promise.resolve([...links.values()].map(snapshot));
    },
    getLink(name) {
      record('getLink', [name]);
      const l = links.get(name);
      return Promise.resolve(l ? snapshot(l) : null);
    },
    async setLinkUp(name, up) {
      record('setLinkUp', [name, up]);
      mutate(name, `set link ${name} ${up ? 'up' : 'down'}`, (l) => {
        l.up = up;
      });
      await Promise.resolve();
    },
    async setLinkMtu(name, mtu) {
      record('setLinkMtu', [name, mtu]);
      mutate(name, `set mtu ${mtu} on ${name}`, (l) => {
        l.mtu = mtu;
      });
      await Promise.resolve();
    },

    listAddresses(ifname) {
      record('listAddresses', ifname === undefined ? [] : [ifname]);
      return Promise.resolve(
        addresses.filter((a) => ifname === undefined || a.ifname === ifname).map((a) => ({ ...a })),
      );
    },
    async addAddress(ifname, cidr) {
      record('addAddress', [ifname, cidr]);
      const op = `add address ${cidr} on ${ifname}`;
      const a = parseInterfaceAddress(cidr);
      if (!a) throw new KernelError(op, Errno.EINVAL, null, 'not an address/prefix length');
      const l = link(ifname, op);
      const address = canonicalIp(cidr.split('/')[0] ?? '') ?? '';
      const exists = addresses.some(
        (x) => x.ifindex === l.index && x.address === address && x.prefixLen === a.len,
      );
      if (!exists)
        addresses.push({
          ifindex: l.index,
          ifname,
          family: a.addr.family,
          address,
          prefixLen: a.len,
        });
      await Promise.resolve();
    },
    async deleteAddress(ifname, cidr) {
      record('deleteAddress', [ifname, cidr]);
      const a = parseInterfaceAddress(cidr);
      if (!a)
        throw new KernelError(
          `delete address ${cidr} on ${ifname}`,
          Errno.EINVAL,
          null,
          'not an address',
        );
      const address = canonicalIp(cidr.split('/')[0] ?? '') ?? '';
      const i = addresses.findIndex(
        (x) => x.ifname === ifname && x.address === address && x.prefixLen === a.len,
      );
      if (i >= 0) addresses.splice(i, 1);
      await Promise.resolve();
    },

    async replaceNexthop(spec) {
      record('replaceNexthop', [spec]);
      const op = `replace nexthop ${spec.id}`;
      if (spec.group !== undefined) {
        for (const g of spec.group) {
          const m = nexthops.get(g.id);
          if (!m || m.group !== undefined)
            throw new KernelError(op, Errno.EINVAL, 'Invalid nexthop id in group');
        }
      } else {
        if (spec.dev === undefined && spec.via === undefined)
          throw new KernelError(op, Errno.EINVAL, null, 'needs dev, via or group');
        if (spec.dev !== undefined) link(spec.dev, op);
      }
      // Stored as the kernel reports it back: explicit protocol and group weights.
      const stored: NexthopSpec =
        spec.group !== undefined
          ? { ...spec, group: spec.group.map((g) => ({ id: g.id, weight: g.weight ?? 1 })) }
          : spec;
      nexthops.set(spec.id, { ...stored, protocol: spec.protocol ?? RouteProtocol.static });
      await Promise.resolve();
    },
    async deleteNexthop(id) {
      record('deleteNexthop', [id]);
      if (!nexthops.delete(id)) return;
      removeRoutesVia(id);
      // The kernel drops a deleted member from its groups (and the group when it empties).
      for (const [gid, nh] of nexthops) {
        if (nh.group === undefined || !nh.group.some((g) => g.id === id)) continue;
        const rest = nh.group.filter((g) => g.id !== id);
        if (rest.length === 0) {
          nexthops.delete(gid);
          removeRoutesVia(gid);
        } else {
          nexthops.set(gid, { ...nh, group: rest });
        }
      }
      await Promise.resolve();
    },
    listNexthops(filter = {}) {
      record('listNexthops', [filter]);
      return Promise.resolve(
        [...nexthops.values()].filter(
          (n) => filter.protocol === undefined || n.protocol === filter.protocol,
        ),
      );
    },

    async replaceRoute(spec) {
      record('replaceRoute', [spec]);
      putRoute(spec);
      await Promise.resolve();
    },
    async deleteRoute(spec) {
      record('deleteRoute', [spec]);
      dropRoute(spec);
      await Promise.resolve();
    },
    listRoutes(filter = {}) {
      record('listRoutes', [filter]);
      return Promise.resolve(
        [...routes.values()].filter(
          (r) =>
            (filter.table === undefined || r.table === filter.table) &&
            (filter.protocol === undefined || r.protocol === filter.protocol) &&
            (filter.family === undefined || r.family === filter.family),
        ),
      );
    },
    async replaceRoutes(specs) {
      record('replaceRoutes', [specs]);
      await Promise.resolve();
      return batchOf(specs, putRoute);
    },
    async deleteRoutes(specs) {
      record('deleteRoutes', [specs]);
      await Promise.resolve();
      return batchOf(specs, dropRoute);
    },

    async addRule(spec) {
      record('addRule', [spec]);
      rules.set(ruleKey(spec), { ...spec });
      await Promise.resolve();
    },
    async deleteRule(spec) {
      record('deleteRule', [spec]);
      rules.delete(ruleKey(spec));
      await Promise.resolve();
    },
    listRules(family: Family) {
      record('listRules', [family]);
      return Promise.resolve([...rules.values()].filter((r) => r.family === family));
    },

    watchLinks(cb) {
      record('watchLinks', []);
      watchers.add(cb);
      return {
        ready: Promise.resolve(),
        close() {
          watchers.delete(cb);
        },
      };
    },
    close() {
      record('close', []);
      watchers.clear();
    },
  };
  fake.addLink('lo', { mtu: 65536, up: true, running: true });
  calls.length = 0;
  return fake;
}
