/** BGP section: defaults, router-id derivation, prefix-list/route-map references, neighbor checks. */
import { parseIp } from '../lib/ip/addr.js';
import { maxLen, parsePrefix } from '../lib/ip/prefix.js';
import { expectedName } from './hint.js';
import { checkContextRef, type Issues, type Path } from './issues.js';
import type { ParsedConfig } from './schema.js';
import type {
  AddressFamily,
  BgpConfig,
  BgpNeighbor,
  BgpTimers,
  PrefixListEntry,
  RouteMapEntry,
  RoutingContext,
  TunnelConfig,
} from './types.js';

type ParsedBgp = NonNullable<ParsedConfig['bgp']>;

export const BGP_DEFAULTS = { keepaliveSec: 60, holdSec: 180, maximumPaths: 1 } as const;

function timers(
  t: { keepalive?: number | undefined; hold?: number | undefined } | undefined,
  fallback: BgpTimers,
  path: Path,
  issues: Issues,
): BgpTimers {
  const holdSec = t?.hold ?? fallback.holdSec;
  const keepaliveSec =
    t?.keepalive ?? (t?.hold !== undefined ? Math.floor(holdSec / 3) : fallback.keepaliveSec);
  if (holdSec !== 0 && holdSec < 3) {
    issues.add(
      [...path, 'hold'],
      `${holdSec}s is too short (expected 0 or at least 3s; RFC 4271 §4.2)`,
    );
  }
  if (holdSec !== 0 && keepaliveSec >= holdSec) {
    issues.add(
      [...path, 'keepalive'],
      `${keepaliveSec}s is not below the hold time ${holdSec}s (expected at most ${Math.floor(holdSec / 3)}s)`,
    );
  }
  return { keepaliveSec, holdSec };
}

function prefixLists(b: ParsedBgp, issues: Issues): Record<string, PrefixListEntry[]> {
  const out: Record<string, PrefixListEntry[]> = {};
  for (const [name, entries] of Object.entries(b['prefix-lists'] ?? {})) {
    const seqs = new Set<number>();
    let last = 0;
    out[name] = entries.map((e, i) => {
      const path: Path = ['bgp', 'prefix-lists', name, i];
      const seq = e.seq ?? (Math.floor(last / 5) + 1) * 5;
      if (seqs.has(seq))
        issues.add([...path, 'seq'], `duplicate seq ${seq} (expected a unique sequence number)`);
      seqs.add(seq);
      last = Math.max(last, seq);
      const p = parsePrefix(e.prefix);
      const len = p?.len ?? 0;
      const max = p ? maxLen(p.addr.family) : 32;
      if (e.ge !== undefined && (e.ge <= len || e.ge > max)) {
        issues.add(
          [...path, 'ge'],
          `${e.ge} is out of range (expected ${len + 1}..${max} for ${e.prefix})`,
        );
      }
      const lo = Math.max(e.ge ?? len + 1, len + 1);
      if (e.le !== undefined && (e.le < lo || e.le > max)) {
        issues.add(
          [...path, 'le'],
          `${e.le} is out of range (expected ${lo}..${max} for ${e.prefix})`,
        );
      }
      return { seq, action: e.action, prefix: e.prefix, ge: e.ge, le: e.le };
    });
  }
  return out;
}

function routeMaps(
  b: ParsedBgp,
  lists: readonly string[],
  issues: Issues,
): Record<string, RouteMapEntry[]> {
  const out: Record<string, RouteMapEntry[]> = {};
  for (const [name, entries] of Object.entries(b['route-maps'] ?? {})) {
    const seqs = new Set<number>();
    out[name] = entries.map((e, i) => {
      const path: Path = ['bgp', 'route-maps', name, i];
      if (seqs.has(e.seq))
        issues.add([...path, 'seq'], `duplicate seq ${e.seq} (expected a unique sequence number)`);
      seqs.add(e.seq);
      const pl = e.match?.['prefix-list'];
      if (pl !== undefined && !lists.includes(pl)) {
        issues.add(
          [...path, 'match', 'prefix-list'],
          `unknown prefix-list "${pl}" (${expectedName(pl, lists, 'prefix-list')})`,
        );
      }
      return {
        seq: e.seq,
        action: e.action,
        match: { prefixList: pl, community: e.match?.community, asPath: e.match?.['as-path'] },
        set: {
          asPathPrepend: e.set?.['as-path-prepend'],
          med: e.set?.med,
          localPref: e.set?.['local-pref'],
          community: e.set?.community,
          communityAdditive: e.set?.['community-additive'] ?? false,
        },
      };
    });
  }
  return out;
}

/** Addresses this node owns: loopbacks, tunnel inside and local addresses, underlay local address. */
function localAddresses(parsed: ParsedConfig, tunnels: readonly TunnelConfig[]): Set<string> {
  const s = new Set<string>();
  const add = (a: string | undefined): void => {
    if (a !== undefined) s.add(a.split('/')[0] ?? a);
  };
  for (const l of parsed.loopbacks ?? []) add(l);
  add(parsed.underlay?.['local-address']);
  for (const t of tunnels) {
    add(t.address);
    add(t.localAddress);
  }
  return s;
}

function neighbors(
  parsed: ParsedConfig,
  b: ParsedBgp,
  global: BgpTimers,
  tunnels: readonly TunnelConfig[],
  contexts: Readonly<Record<string, RoutingContext>>,
  refs: { lists: readonly string[]; maps: readonly string[] },
  issues: Issues,
): BgpNeighbor[] {
  const local = localAddresses(parsed, tunnels);
  const seen = new Map<string, number>();
  return (b.neighbors ?? []).map((n, i) => {
    const path: Path = ['bgp', 'neighbors', i];
    const ctx = n['routing-context'];
    const key = `${ctx ?? ''}|${n.address}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.add(
        [...path, 'address'],
        `duplicate neighbor ${n.address}${ctx !== undefined ? ` in routing-context ${ctx}` : ''} (expected one entry per address and routing context; first at bgp.neighbors[${first}])`,
      );
    } else seen.set(key, i);
    checkContextRef(ctx, [...path, 'routing-context'], contexts, issues);
    const us = n['update-source'];
    if (us !== undefined) {
      if (!local.has(us)) {
        issues.add(
          [...path, 'update-source'],
          `${us} is not a local address (expected a loopback, tunnel or underlay address)`,
        );
      } else if (parseIp(us)?.family !== parseIp(n.address)?.family) {
        issues.add(
          [...path, 'update-source'],
          `address family differs from neighbor ${n.address} (expected the same family)`,
        );
      }
    }
    for (const k of ['route-map-in', 'route-map-out'] as const) {
      const v = n[k];
      if (v !== undefined && !refs.maps.includes(v)) {
        issues.add(
          [...path, k],
          `unknown route-map "${v}" (${expectedName(v, refs.maps, 'route-map')})`,
        );
      }
    }
    for (const k of ['prefix-list-in', 'prefix-list-out'] as const) {
      const v = n[k];
      if (v !== undefined && !refs.lists.includes(v)) {
        issues.add(
          [...path, k],
          `unknown prefix-list "${v}" (${expectedName(v, refs.lists, 'prefix-list')})`,
        );
      }
    }
    const fam = parseIp(n.address)?.family;
    const afs: AddressFamily[] = n['address-families'] ?? [
      fam === 6 ? 'ipv6-unicast' : 'ipv4-unicast',
    ];
    const mp = n['max-prefixes'];
    return {
      address: n.address,
      remoteAs: n['remote-as'],
      description: n.description,
      updateSource: us,
      ebgpMultihop: n['ebgp-multihop'],
      passive: n.passive ?? false,
      asOverride: n['as-override'] ?? false,
      allowasIn: n['allowas-in'] ?? 0,
      nextHopSelf: n['next-hop-self'] ?? false,
      maxPrefixes: mp
        ? {
            limit: mp.limit,
            action: mp.action ?? 'teardown',
            thresholdPercent: mp.threshold,
            restartSec: mp.restart,
          }
        : undefined,
      maxPrefixesOut: n['max-prefixes-out'],
      routingContext: ctx,
      timers: n.timers ? timers(n.timers, global, [...path, 'timers'], issues) : global,
      routeMapIn: n['route-map-in'],
      routeMapOut: n['route-map-out'],
      prefixListIn: n['prefix-list-in'],
      prefixListOut: n['prefix-list-out'],
      shutdown: n.shutdown ?? false,
      addressFamilies: [...new Set(afs)],
    };
  });
}

function highestIpv4(addrs: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestN = -1;
  for (const a of addrs) {
    const ip = a === undefined ? null : parseIp(a.split('/')[0] ?? '');
    if (ip?.family !== 4) continue;
    const n = ip.bytes.reduce((acc, x) => acc * 256 + x, 0);
    if (n > bestN) {
      bestN = n;
      best = a?.split('/')[0];
    }
  }
  return best;
}

/**
 * Catalyst rule: the highest IPv4 loopback address, else the highest IPv4 address of any other
 * interface (tunnel inside addresses, tunnel and underlay local addresses).
 */
export function deriveRouterId(
  parsed: ParsedConfig,
  tunnels: readonly TunnelConfig[],
): string | undefined {
  return (
    highestIpv4(parsed.loopbacks ?? []) ??
    highestIpv4([
      ...tunnels.map((t) => t.address),
      ...tunnels.map((t) => t.localAddress),
      parsed.underlay?.['local-address'],
    ])
  );
}

export function normalizeBgp(
  parsed: ParsedConfig,
  tunnels: readonly TunnelConfig[],
  contexts: Readonly<Record<string, RoutingContext>>,
  issues: Issues,
): BgpConfig | undefined {
  const b = parsed.bgp;
  if (!b) return undefined;
  const routerId = b['router-id'] ?? deriveRouterId(parsed, tunnels);
  if (routerId === undefined) {
    issues.add(
      ['bgp', 'router-id'],
      'missing (expected router-id, or an IPv4 loopback or interface address to derive it from)',
    );
  }
  const global = timers(
    b.timers,
    { keepaliveSec: BGP_DEFAULTS.keepaliveSec, holdSec: BGP_DEFAULTS.holdSec },
    ['bgp', 'timers'],
    issues,
  );
  const lists = prefixLists(b, issues);
  const maps = routeMaps(b, Object.keys(lists), issues);
  return {
    asn: b.asn,
    routerId: routerId ?? '0.0.0.0',
    maximumPaths: b['maximum-paths'] ?? BGP_DEFAULTS.maximumPaths,
    timers: global,
    networks: b.networks ?? [],
    redistribute: [...new Set(b.redistribute ?? [])],
    prefixLists: lists,
    routeMaps: maps,
    neighbors: neighbors(
      parsed,
      b,
      global,
      tunnels,
      contexts,
      { lists: Object.keys(lists), maps: Object.keys(maps) },
      issues,
    ),
  };
}
