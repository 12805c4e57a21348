/**
 * Change set between two normalised configurations, per section, for SIGHUP reload: the daemon
 * applies only what changed (add/remove loopbacks, bring tunnels up/down/re-key, reprogram static
 * routes, add/remove/reset BGP neighbors). Secrets compare by value without being revealed to the
 * caller.
 */
import { Secret } from './secret.js';
import type {
  BgpNeighbor,
  Config,
  IkePolicy,
  IpsecPolicy,
  StaticRoute,
  TunnelConfig,
} from './types.js';

export interface NamedChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface NeighborKey {
  readonly address: string;
  readonly routingContext: string | undefined;
}

export interface ConfigDiff {
  readonly node: boolean;
  readonly underlay: boolean;
  readonly loopbacks: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Tunnels by name; "changed" includes tunnels whose IKE/IPsec policy content changed. */
  readonly tunnels: NamedChanges;
  readonly staticRoutes: {
    readonly added: readonly StaticRoute[];
    readonly removed: readonly StaticRoute[];
  };
  readonly routingContexts: NamedChanges;
  readonly bgp: {
    /** bgp section added or removed entirely. */
    readonly added: boolean;
    readonly removed: boolean;
    /** asn, router-id, maximum-paths, timers, networks, redistribute changed. */
    readonly global: boolean;
    /** prefix-lists / route-maps changed (policies must be re-evaluated). */
    readonly policy: boolean;
    readonly neighbors: {
      readonly added: readonly NeighborKey[];
      readonly removed: readonly NeighborKey[];
      readonly changed: readonly NeighborKey[];
    };
  };
  readonly api: boolean;
  readonly log: boolean;
  /** True when nothing differs. */
  readonly empty: boolean;
}

/** Structural equality over plain data; Secrets compare by value. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Secret || b instanceof Secret) {
    return a instanceof Secret && b instanceof Secret && a.equals(b);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameValue(ao[k], bo[k])) return false;
  return true;
}

function byName<T>(
  oldItems: Iterable<[string, T]>,
  newItems: Iterable<[string, T]>,
  same: (a: T, b: T) => boolean,
): NamedChanges {
  const o = new Map(oldItems);
  const n = new Map(newItems);
  const added = [...n.keys()].filter((k) => !o.has(k));
  const removed = [...o.keys()].filter((k) => !n.has(k));
  const changed = [...n.keys()].filter((k) => {
    const a = o.get(k);
    const b = n.get(k);
    return a !== undefined && b !== undefined && !same(a, b);
  });
  return { added, removed, changed };
}

function policyOf<T extends IkePolicy | IpsecPolicy>(
  map: Readonly<Record<string, T>>,
  name: string | null,
): T | undefined {
  return name === null ? undefined : map[name];
}

function tunnelSame(old: Config, neu: Config): (a: TunnelConfig, b: TunnelConfig) => boolean {
  return (a, b) =>
    sameValue(a, b) &&
    sameValue(
      policyOf(old.crypto.ikePolicies, a.ikePolicy),
      policyOf(neu.crypto.ikePolicies, b.ikePolicy),
    ) &&
    sameValue(
      policyOf(old.crypto.ipsecPolicies, a.ipsecPolicy),
      policyOf(neu.crypto.ipsecPolicies, b.ipsecPolicy),
    );
}

const neighborId = (n: NeighborKey): string => `${n.routingContext ?? ''}|${n.address}`;

function neighborDiff(
  a: readonly BgpNeighbor[],
  b: readonly BgpNeighbor[],
): ConfigDiff['bgp']['neighbors'] {
  const key = (n: BgpNeighbor): NeighborKey => ({
    address: n.address,
    routingContext: n.routingContext,
  });
  const o = new Map(a.map((n) => [neighborId(n), n]));
  const m = new Map(b.map((n) => [neighborId(n), n]));
  return {
    added: b.filter((n) => !o.has(neighborId(n))).map(key),
    removed: a.filter((n) => !m.has(neighborId(n))).map(key),
    changed: b
      .filter((n) => {
        const prev = o.get(neighborId(n));
        return prev !== undefined && !sameValue(prev, n);
      })
      .map(key),
  };
}

function routeDiff(
  a: readonly StaticRoute[],
  b: readonly StaticRoute[],
): ConfigDiff['staticRoutes'] {
  const has = (list: readonly StaticRoute[], r: StaticRoute): boolean =>
    list.some((x) => sameValue(x, r));
  return { added: b.filter((r) => !has(a, r)), removed: a.filter((r) => !has(b, r)) };
}

export function diffConfig(old: Config, neu: Config): ConfigDiff {
  const ob = old.bgp;
  const nb = neu.bgp;
  const globalOf = (b: NonNullable<Config['bgp']>): unknown => ({
    asn: b.asn,
    routerId: b.routerId,
    maximumPaths: b.maximumPaths,
    timers: b.timers,
    networks: b.networks,
    redistribute: b.redistribute,
  });
  const bgp: ConfigDiff['bgp'] = {
    added: ob === undefined && nb !== undefined,
    removed: ob !== undefined && nb === undefined,
    global: ob !== undefined && nb !== undefined && !sameValue(globalOf(ob), globalOf(nb)),
    policy:
      ob !== undefined &&
      nb !== undefined &&
      !(sameValue(ob.prefixLists, nb.prefixLists) && sameValue(ob.routeMaps, nb.routeMaps)),
    neighbors: neighborDiff(ob?.neighbors ?? [], nb?.neighbors ?? []),
  };
  const loopbacks = {
    added: neu.loopbacks.filter((l) => !old.loopbacks.includes(l)),
    removed: old.loopbacks.filter((l) => !neu.loopbacks.includes(l)),
  };
  const tunnels = byName(
    old.tunnels.map((t): [string, TunnelConfig] => [t.name, t]),
    neu.tunnels.map((t): [string, TunnelConfig] => [t.name, t]),
    tunnelSame(old, neu),
  );
  // Whether a table id was assigned automatically does not matter to the kernel.
  const routingContexts = byName(
    Object.entries(old.routingContexts),
    Object.entries(neu.routingContexts),
    (a, b) => a.table === b.table && a.priority === b.priority,
  );
  const staticRoutes = routeDiff(old.staticRoutes, neu.staticRoutes);
  const d = {
    node: !sameValue(old.node, neu.node),
    underlay: !sameValue(old.underlay, neu.underlay),
    loopbacks,
    tunnels,
    staticRoutes,
    routingContexts,
    bgp,
    api: !sameValue(old.api, neu.api),
    log: !sameValue(old.log, neu.log),
  };
  const lists = [
    loopbacks.added,
    loopbacks.removed,
    tunnels.added,
    tunnels.removed,
    tunnels.changed,
    staticRoutes.added,
    staticRoutes.removed,
    routingContexts.added,
    routingContexts.removed,
    routingContexts.changed,
    bgp.neighbors.added,
    bgp.neighbors.removed,
    bgp.neighbors.changed,
  ];
  const empty =
    !d.node &&
    !d.underlay &&
    !d.api &&
    !d.log &&
    !bgp.added &&
    !bgp.removed &&
    !bgp.global &&
    !bgp.policy &&
    lists.every((l) => l.length === 0);
  return { ...d, empty };
}
