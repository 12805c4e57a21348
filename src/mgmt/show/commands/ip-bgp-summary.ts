/**
 * `show ip bgp summary`: router id, local AS, table version and one line per neighbor in the
 * layout of Catalyst's command (State/PfxRcd shows the prefix count when Established, else the
 * FSM state). Data from the BGP component's view (BGP_VIEW).
 */
import type { ShowContext } from '../context.js';
import { ShowError, type ShowCommand } from '../registry.js';
import { renderTable } from '../table.js';
import { BGP_VIEW, upDown, type BgpShowQuery } from './ip-bgp-view.js';

export interface BgpSummaryNeighborDto {
  readonly neighbor: string;
  readonly address: string;
  readonly routingContext: string | null;
  readonly description: string | null;
  readonly version: 4;
  readonly remoteAs: number;
  readonly msgRcvd: number;
  readonly msgSent: number;
  readonly tblVer: number;
  readonly inQ: number;
  readonly outQ: number;
  /** Seconds in the current up/down state. */
  readonly upDownSec: number;
  readonly state: string;
  readonly established: boolean;
  /** Prefixes received while Established, else null. */
  readonly pfxRcd: number | null;
  readonly pfxSent: number;
}

/** JSON contract: docs/show-json.md#show-ip-bgp-summary (stable). */
export interface BgpSummaryDto {
  readonly routerId: string;
  readonly localAs: number;
  readonly tableVersion: number;
  /** Loc-RIB destinations with a best path. */
  readonly networkEntries: number;
  readonly neighbors: readonly BgpSummaryNeighborDto[];
}

/** The BGP view or the Catalyst "% BGP not active" error. */
export function bgpView(ctx: ShowContext): BgpShowQuery {
  const v = ctx.view(BGP_VIEW);
  if (!v) throw new ShowError(404, 'BGP not active');
  return v;
}

export const showIpBgpSummary: ShowCommand<BgpSummaryDto> = {
  name: 'ip bgp summary',
  summary: 'BGP neighbors, states and prefix counts',
  collect(ctx) {
    const bgp = bgpView(ctx);
    const s = bgp.summary();
    return {
      routerId: s.routerId,
      localAs: s.localAs,
      tableVersion: s.tableVersion,
      networkEntries: bgp.destinations().filter((d) => d.paths.some((p) => p.best)).length,
      neighbors: s.neighbors.map((n) => ({
        neighbor: n.neighbor,
        address: n.address,
        routingContext: n.routingContext,
        description: n.description,
        version: 4 as const,
        remoteAs: n.remoteAs,
        msgRcvd: n.msgRcvd,
        msgSent: n.msgSent,
        tblVer: n.tblVer,
        inQ: n.inQ,
        outQ: n.outQ,
        upDownSec: n.upDownSec,
        state: n.state,
        established: n.established,
        pfxRcd: n.established ? (n.pfxRcd ?? 0) : null,
        pfxSent: n.pfxSent,
      })),
    };
  },
  render(dto) {
    const head = [
      `BGP router identifier ${dto.routerId}, local AS number ${dto.localAs}`,
      `BGP table version is ${dto.tableVersion}, main routing table version ${dto.tableVersion}`,
      `${dto.networkEntries} network entr${dto.networkEntries === 1 ? 'y' : 'ies'}`,
      '',
    ].join('\n');
    if (dto.neighbors.length === 0) return `${head}\nNo neighbors configured\n`;
    const rows = dto.neighbors.map((n) => [
      n.neighbor,
      '4',
      String(n.remoteAs),
      String(n.msgRcvd),
      String(n.msgSent),
      String(n.tblVer),
      String(n.inQ),
      String(n.outQ),
      upDown(n.upDownSec),
      n.established ? String(n.pfxRcd ?? 0) : n.state,
    ]);
    const table = renderTable(
      [
        { header: 'Neighbor', minWidth: 15 },
        'V',
        { header: 'AS', align: 'right', minWidth: 10 },
        { header: 'MsgRcvd', align: 'right' },
        { header: 'MsgSent', align: 'right' },
        { header: 'TblVer', align: 'right', minWidth: 8 },
        { header: 'InQ', align: 'right', minWidth: 4 },
        { header: 'OutQ', align: 'right' },
        { header: 'Up/Down', minWidth: 8 },
        'State/PfxRcd',
      ],
      rows,
    );
    return `${head}\n${table}`;
  },
};
