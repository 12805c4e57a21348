/**
 * `show ip bgp [PREFIX|ADDRESS]`: without an argument the whole BGP table (Catalyst layout:
 * status codes, Network / Next Hop / Metric / LocPrf / Weight / Path, best first); with a prefix
 * the destination's paths in detail, with why the best path won; an address selects the longest
 * prefix that contains it, as on Catalyst.
 */
import { parseIp, type IpAddr } from '../../../lib/ip/addr.js';
import { formatPrefix, parsePrefix, prefixContains } from '../../../lib/ip/prefix.js';
import { ShowError, type ShowCommand } from '../registry.js';
import {
  BGP_STATUS_CODES,
  renderRouteRows,
  type BgpDestinationInfo,
  type BgpRouteRow,
} from './ip-bgp-view.js';
import { bgpView } from './ip-bgp-summary.js';

/** JSON contract: docs/show-json.md#show-ip-bgp (stable). Paths are {@link BgpRouteRow}. */
export interface BgpTableDto {
  readonly routerId: string;
  readonly localAs: number;
  readonly tableVersion: number;
  /** The prefix or address asked for; null for the whole table. */
  readonly query: string | null;
  readonly destinations: readonly BgpDestinationInfo[];
}

function familyRank(p: string): number {
  return p.includes(':') ? 1 : 0;
}

/** Sort destinations by family, address, length and context (Catalyst order). */
function sortDestinations(ds: readonly BgpDestinationInfo[]): BgpDestinationInfo[] {
  const key = (d: BgpDestinationInfo): [number, Uint8Array, number] => {
    const p = parsePrefix(d.prefix);
    return [familyRank(d.prefix), p?.addr.bytes ?? new Uint8Array(), p?.len ?? 0];
  };
  return [...ds].sort((a, b) => {
    const [fa, ba, la] = key(a);
    const [fb, bb, lb] = key(b);
    if (fa !== fb) return fa - fb;
    for (let i = 0; i < Math.max(ba.length, bb.length); i++) {
      const d = (ba[i] ?? 0) - (bb[i] ?? 0);
      if (d !== 0) return d;
    }
    if (la !== lb) return la - lb;
    return (a.routingContext ?? '').localeCompare(b.routingContext ?? '');
  });
}

function bestFirst(paths: readonly BgpRouteRow[]): BgpRouteRow[] {
  const rank = (p: BgpRouteRow): number => (p.best ? 0 : p.multipath ? 1 : 2);
  return [...paths].sort((a, b) => rank(a) - rank(b));
}

function select(ds: readonly BgpDestinationInfo[], arg: string): BgpDestinationInfo[] {
  if (arg.includes('/')) {
    const p = parsePrefix(arg);
    if (!p) throw new ShowError(400, `"show ip bgp": invalid prefix "${arg}"`);
    const want = formatPrefix(p);
    return ds.filter((d) => d.prefix === want);
  }
  const a: IpAddr | null = parseIp(arg);
  if (!a) throw new ShowError(400, `"show ip bgp": invalid address or prefix "${arg}"`);
  let bestLen = -1;
  let out: BgpDestinationInfo[] = [];
  for (const d of ds) {
    const p = parsePrefix(d.prefix);
    if (!p || p.addr.family !== a.family || !prefixContains(p, a)) continue;
    if (p.len > bestLen) {
      bestLen = p.len;
      out = [d];
    } else if (p.len === bestLen) out.push(d);
  }
  return out;
}

const ORIGIN_WORD = { i: 'IGP', e: 'EGP', '?': 'incomplete' } as const;

function renderDetail(d: BgpDestinationInfo): string {
  const paths = bestFirst(d.paths);
  const bestIdx = paths.findIndex((p) => p.best);
  const out = [
    `BGP routing table entry for ${d.prefix}, version ${d.version}`,
    `Paths: (${paths.length} available, ${bestIdx >= 0 ? `best #${bestIdx + 1}` : 'no best path'}, table ${d.routingContext ?? 'default'})`,
  ];
  if (paths.some((p) => p.multipath)) out.push(`  Multipath: ${paths[0]?.ibgp ? 'iBGP' : 'eBGP'}`);
  if (d.bestReason !== null) out.push(`  Best path reason: ${d.bestReason}`);
  for (const p of paths) {
    out.push(`  ${p.local ? 'Local' : p.asPath.length > 0 ? p.asPath : 'Local'}`);
    // Catalyst marks a next hop reached through another VRF with "(via vrf NAME)".
    const vrf = p.routingContext !== null ? ` (via vrf ${p.routingContext})` : '';
    out.push(`    ${p.nextHop}${vrf} from ${p.from}`);
    const words = [`Origin ${ORIGIN_WORD[p.origin]}`];
    if (p.metric !== null) words.push(`metric ${p.metric}`);
    words.push(`localpref ${p.localPref ?? 100}`, `weight ${p.weight}`);
    if (p.valid) words.push('valid');
    else words.push(`invalid (${p.rejected ?? 'rejected'})`);
    words.push(p.local ? 'sourced' : p.ibgp ? 'internal' : 'external');
    if (p.multipath) words.push('multipath');
    if (p.best) words.push('best');
    out.push(`      ${words.join(', ')}`);
  }
  return out.join('\n') + '\n';
}

export const showIpBgp: ShowCommand<BgpTableDto> = {
  name: 'ip bgp',
  summary: 'the BGP table, or one destination in detail',
  params: [{ name: 'PREFIX|ADDRESS', summary: 'prefix (a.b.c.d/n) or address', optional: true }],
  collect(ctx, args) {
    const bgp = bgpView(ctx);
    const s = bgp.summary();
    const all = sortDestinations(bgp.destinations()).map((d) => ({
      ...d,
      paths: bestFirst(d.paths),
    }));
    const arg = args[0];
    const destinations = arg === undefined ? all : select(all, arg);
    if (arg !== undefined && destinations.length === 0) {
      throw new ShowError(404, `% Network not in table: ${arg}`);
    }
    return {
      routerId: s.routerId,
      localAs: s.localAs,
      tableVersion: s.tableVersion,
      query: arg ?? null,
      destinations,
    };
  },
  render(dto) {
    if (dto.query !== null) return dto.destinations.map(renderDetail).join('\n');
    const head = `BGP table version is ${dto.tableVersion}, local router ID is ${dto.routerId}\n${BGP_STATUS_CODES}\n`;
    return (
      head +
      renderRouteRows(
        dto.destinations.flatMap((d) => d.paths),
        true,
      )
    );
  },
};
