/**
 * What `redistribute connected` originates, decided like Catalyst and FRR: the connected subnets
 * of interfaces that are up in the global table — every configured loopback (a Loopback /32 too,
 * APIPA or not), the inside subnet of each tunnel of the default context while its line protocol
 * is up, and the subnets of other running interfaces the routing module learned from the kernel.
 * Never: anything in a routing context, IPv6 link-local, 127.0.0.0/8 and ::1.
 */
import { formatPrefix, parsePrefix, prefixContains, type Prefix } from '../lib/index.js';
import { DEFAULT_CONTEXT } from './rib.js';

/** The part of a `show ip route` row this needs (`RouteViewEntry` satisfies it). */
export interface ConnectedRouteRow {
  readonly source: string;
  readonly context: string;
  readonly prefix: string;
  readonly nexthops?: readonly { readonly usable: boolean }[];
}

const NEVER_CONNECTED = ['127.0.0.0/8', '::1/128', 'fe80::/10'].map((t) => parsePrefix(t));

/** Whether `p` may be redistributed as connected (not host-internal, not link-local). */
export function redistributableConnected(p: Prefix): boolean {
  return !NEVER_CONNECTED.some(
    (n) => n !== null && n.addr.family === p.addr.family && prefixContains(n, p.addr),
  );
}

/** The connected prefixes of the global table now, without duplicates. */
export function globalConnectedPrefixes(
  loopbacks: readonly string[],
  routes: readonly ConnectedRouteRow[],
): Prefix[] {
  const out = new Map<string, Prefix>();
  const add = (p: Prefix | null): void => {
    if (p && redistributableConnected(p)) out.set(formatPrefix(p), p);
  };
  for (const l of loopbacks) add(parsePrefix(l));
  for (const r of routes) {
    if (r.source !== 'connected' || r.context !== DEFAULT_CONTEXT) continue;
    if (!(r.nexthops ?? []).some((n) => n.usable)) continue;
    add(parsePrefix(r.prefix));
  }
  return [...out.values()];
}
