/**
 * Catalyst-style `show ip route` text from the RIB view: selected routes only, codes C/S/B,
 * `[distance/metric]`, next hops one per line, age as hh:mm:ss (BGP) like IOS XE.
 */
import type { RouteViewEntry } from './rib.js';
import { DEFAULT_CONTEXT } from './rib.js';

const HEADER = [
  'Codes: C - connected, S - static, B - BGP',
  '       * - candidate default, (!) - no usable next hop',
];

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (h >= 24) return `${Math.floor(h / 24)}d${two(h % 24)}h`;
  return `${two(h)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

function lines(r: RouteViewEntry): string[] {
  const star = r.prefix === '0.0.0.0/0' || r.prefix === '::/0' ? '*' : ' ';
  const head = `${r.code}${star}  ${r.prefix}`;
  const pad = ' '.repeat(head.length);
  const hops =
    r.nexthops.length > 0 ? r.nexthops : [{ via: undefined, interface: undefined, usable: false }];
  if (r.source === 'connected') {
    return [`${head} is directly connected, ${hops[0]?.interface ?? '?'}`];
  }
  return hops.map((n, i) => {
    const parts = [n.via !== undefined ? `via ${n.via}` : `is directly connected`];
    if (r.source === 'bgp') parts.push(age(r.ageMs));
    if (n.interface !== undefined) parts.push(n.interface);
    const mark = n.usable ? '' : ' (!)';
    return `${i === 0 ? head : pad} [${r.distance}/${r.metric}] ${parts.join(', ')}${mark}`;
  });
}

/** Render the selected routes; non-default contexts get a `Routing Table: <name>` section. */
export function formatRouteTable(rows: readonly RouteViewEntry[], context?: string): string {
  const out: string[] = [];
  const contexts = [...new Set(rows.map((r) => r.context))].filter(
    (c) => context === undefined || c === context,
  );
  for (const ctx of contexts) {
    if (ctx !== DEFAULT_CONTEXT) out.push(`Routing Table: ${ctx}`);
    out.push(...HEADER, '');
    for (const r of rows) if (r.context === ctx && r.selected) out.push(...lines(r));
    out.push('');
  }
  return out.join('\n');
}
