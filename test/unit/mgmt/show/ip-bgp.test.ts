/** `show ip bgp summary`, `show ip bgp [PREFIX]`, `show ip bgp neighbors …`: collect + render. */
import { describe, expect, it } from 'vitest';
import { documentedFields, fieldPaths } from '../../../support/json-contract.js';
import { resolveShow, ShowError, type ShowCommand } from '../../../../src/mgmt/show/registry.js';
import {
  BGP_VIEW,
  matchNeighbor,
  statusCode,
  type BgpNeighborInfo,
  type BgpRouteRow,
  type BgpShowQuery,
} from '../../../../src/mgmt/show/commands/ip-bgp-view.js';
import { showIpBgp } from '../../../../src/mgmt/show/commands/ip-bgp.js';
import { showIpBgpNeighbors } from '../../../../src/mgmt/show/commands/ip-bgp-neighbors.js';
import { showIpBgpSummary } from '../../../../src/mgmt/show/commands/ip-bgp-summary.js';
import { fakeContext } from './fake-context.js';

/** The commands as the registry lists them (src/mgmt/show/index.ts adds the same modules). */
const SHOW_COMMANDS = [showIpBgpSummary, showIpBgp, showIpBgpNeighbors] as ShowCommand[];

// ---- a fixed BGP view: two Azure neighbors, ECMP for 10.20.0.0/16 ----
function row(o: Partial<BgpRouteRow> & Pick<BgpRouteRow, 'prefix'>): BgpRouteRow {
  return {
    routingContext: null,
    nextHop: '169.254.21.2',
    metric: null,
    localPref: null,
    weight: 0,
    asPath: '65515',
    origin: 'i',
    valid: true,
    best: false,
    multipath: false,
    ribFailure: false,
    from: '169.254.21.2',
    ibgp: false,
    local: false,
    rejected: null,
    ageSec: 65,
    ...o,
  };
}

const LOCAL = row({
  prefix: '10.0.0.0/24',
  nextHop: '0.0.0.0',
  from: '0.0.0.0',
  asPath: '',
  weight: 32768,
  local: true,
  best: true,
});
const A1 = row({ prefix: '10.20.0.0/16', best: true });
const A2 = row({
  prefix: '10.20.0.0/16',
  nextHop: '169.254.22.2',
  from: '169.254.22.2',
  multipath: true,
});

function neighborInfo(address: string, up: boolean): BgpNeighborInfo {
  return {
    neighbor: address,
    address,
    routingContext: null,
    description: up ? 'azure-gw-0' : null,
    remoteAs: 65515,
    msgRcvd: up ? 14 : 0,
    msgSent: up ? 13 : 2,
    tblVer: 5,
    inQ: 0,
    outQ: 0,
    upDownSec: 3723,
    state: up ? 'Established' : 'Active',
    established: up,
    pfxRcd: up ? 1 : null,
    pfxSent: up ? 1 : 0,
    localAddress: up ? '169.254.21.1' : null,
    updateSource: '169.254.21.1',
    ebgpMultihop: null,
    passive: false,
    remoteRouterId: up ? '10.20.0.4' : null,
    holdTimeSec: up ? 90 : null,
    keepaliveSec: up ? 30 : null,
    configuredHoldSec: 180,
    configuredKeepaliveSec: 60,
    families: ['ipv4-unicast'],
    tunnels: ['Tunnel1'],
    counters: {
      opensSent: 1,
      opensRcvd: 1,
      updatesSent: 2,
      updatesRcvd: 3,
      keepalivesSent: 10,
      keepalivesRcvd: 10,
      notificationsSent: 0,
      notificationsRcvd: 0,
      routeRefreshSent: 0,
      routeRefreshRcvd: 0,
      established: up ? 1 : 0,
      dropped: 0,
    },
    lastError: up ? null : 'connect ECONNREFUSED',
    lastNotificationSent: null,
    lastNotificationRcvd: null,
  };
}

const NEIGHBORS = [neighborInfo('169.254.21.2', true), neighborInfo('169.254.22.2', false)];

const fakeBgp: BgpShowQuery = {
  summary: () => ({
    routerId: '10.0.0.1',
    localAs: 65010,
    tableVersion: 5,
    neighbors: NEIGHBORS,
  }),
  neighbors: () => NEIGHBORS,
  destinations: () => [
    {
      prefix: '10.20.0.0/16',
      routingContext: null,
      version: 4,
      bestReason: 'Router ID',
      paths: [A2, A1],
    },
    {
      prefix: '10.0.0.0/24',
      routingContext: null,
      version: 2,
      bestReason: 'Only Path',
      paths: [LOCAL],
    },
  ],
  receivedRoutes: (n) =>
    matchNeighbor(NEIGHBORS, n)
      ? [
          A1,
          row({ prefix: '10.0.0.0/24', asPath: '65515 65010', valid: false, rejected: 'as-loop' }),
        ]
      : undefined,
  acceptedRoutes: (n) => (matchNeighbor(NEIGHBORS, n) ? [A1] : undefined),
  advertisedRoutes: (n) =>
    matchNeighbor(NEIGHBORS, n)
      ? [{ ...LOCAL, nextHop: '169.254.21.1', asPath: '65010', weight: 32768 }]
      : undefined,
};

function ctx() {
  const f = fakeContext();
  f.views.provide(BGP_VIEW, fakeBgp);
  return f.ctx;
}

async function show(words: string): Promise<{ dto: unknown; text: string }> {
  const { command, args } = resolveShow(SHOW_COMMANDS, words.split(' '));
  const dto = await command.collect(ctx(), args);
  return { dto, text: command.render(JSON.parse(JSON.stringify(dto))) };
}

describe('show ip bgp summary', () => {
  it('renders the Catalyst header and neighbor table', async () => {
    const { dto, text } = await show('ip bgp summary');
    expect(dto).toMatchObject({ routerId: '10.0.0.1', localAs: 65010, networkEntries: 2 });
    expect(text).toBe(
      [
        'BGP router identifier 10.0.0.1, local AS number 65010',
        'BGP table version is 5, main routing table version 5',
        '2 network entries',
        '',
        'Neighbor        V         AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd',
        '169.254.21.2    4      65515      14      13        5    0    0 01:02:03 1',
        '169.254.22.2    4      65515       0       2        5    0    0 01:02:03 Active',
        '',
      ].join('\n'),
    );
  });

  it('abbreviations resolve (show ip bgp sum)', () => {
    expect(resolveShow(SHOW_COMMANDS, ['ip', 'bgp', 'sum']).command).toBe(showIpBgpSummary);
    expect(resolveShow(SHOW_COMMANDS, ['ip', 'bgp', 'nei', '169.254.21.2']).command).toBe(
      showIpBgpNeighbors,
    );
  });

  it('answers 404 "BGP not active" without a BGP view', () => {
    const { ctx: bare } = fakeContext();
    expect(() => showIpBgpSummary.collect(bare, [])).toThrow(ShowError);
    expect(() => showIpBgpSummary.collect(bare, [])).toThrow('BGP not active');
  });
});

describe('show ip bgp', () => {
  it('lists the table sorted, best path first, with status codes', async () => {
    const { text } = await show('ip bgp');
    const lines = text.split('\n');
    expect(lines[0]).toBe('BGP table version is 5, local router ID is 10.0.0.1');
    expect(lines[1]).toBe('Status codes: * valid, > best, m multipath, r RIB-failure');
    const table = lines.slice(4);
    expect(table[0]).toMatch(/^\s+Network\s+Next Hop\s+Metric LocPrf Weight Path$/);
    expect(table[1]).toMatch(/^\*> 10\.0\.0\.0\/24\s+0\.0\.0\.0\s+32768 i$/);
    expect(table[2]).toMatch(/^\*> 10\.20\.0\.0\/16\s+169\.254\.21\.2\s+0 65515 i$/);
    expect(table[3]).toMatch(/^\*m {20}169\.254\.22\.2\s+0 65515 i$/);
  });

  it('shows one destination in detail with the best-path reason', async () => {
    const { dto, text } = await show('ip bgp 10.20.0.0/16');
    expect((dto as { query: string }).query).toBe('10.20.0.0/16');
    expect(text).toContain('BGP routing table entry for 10.20.0.0/16, version 4');
    expect(text).toContain('Paths: (2 available, best #1, table default)');
    expect(text).toContain('  Multipath: eBGP');
    expect(text).toContain('  Best path reason: Router ID');
    expect(text).toContain('    169.254.21.2 from 169.254.21.2');
    expect(text).toContain('      Origin IGP, localpref 100, weight 0, valid, external, best');
    expect(text).toContain('      Origin IGP, localpref 100, weight 0, valid, external, multipath');
  });

  it('an address selects the longest matching prefix; unknown ones are 404', async () => {
    const { text } = await show('ip bgp 10.20.1.1');
    expect(text).toContain('entry for 10.20.0.0/16');
    await expect(show('ip bgp 192.0.2.0/24')).rejects.toThrow('Network not in table');
    await expect(show('ip bgp nonsense')).rejects.toThrow('invalid address or prefix');
  });

  it('status codes: r for RIB-failure, blank for invalid paths', () => {
    expect(statusCode(row({ prefix: '10.1.0.0/16', best: true, ribFailure: true }))).toBe('r>');
    expect(statusCode(row({ prefix: '10.1.0.0/16', valid: false }))).toBe('  ');
    expect(statusCode(row({ prefix: '10.1.0.0/16', multipath: true }))).toBe('*m');
  });

  it('is registered', () => {
    expect(resolveShow(SHOW_COMMANDS, ['ip', 'bgp']).command).toBe(showIpBgp);
  });
});

describe('show ip bgp neighbors', () => {
  it('details every neighbor', async () => {
    const { text } = await show('ip bgp neighbors');
    expect(text).toContain('BGP neighbor is 169.254.21.2,  remote AS 65515, external link');
    expect(text).toContain(' Description: azure-gw-0');
    expect(text).toContain('  BGP version 4, remote router ID 10.20.0.4');
    expect(text).toContain('  BGP state = Established, up for 01:02:03');
    expect(text).toContain('  BGP state = Active, down for 01:02:03');
    expect(text).toMatch(/ {4}Opens: +1 +1\n/);
    expect(text).toMatch(/ {4}Total: +13 +14\n/);
    expect(text).toContain('  Last reset: connect ECONNREFUSED');
    expect(text).toContain('  Via tunnel: Tunnel1');
    // Directly connected eBGP (TTL 1, derived when the view does not report it).
    expect(text).toContain(
      '  External BGP neighbor configured for connected checks (single-hop no-disable-connected-check)',
    );
    expect(text).not.toContain('hops away');
    expect(text).toContain('  Outgoing TTL 1\n');
  });

  it('the TTL line: eBGP multihop "may be up to N hops away", nothing for iBGP', async () => {
    const multihop: BgpNeighborInfo = {
      ...neighborInfo('192.0.2.7', true),
      ebgpMultihop: 2,
      ttl: 2,
    };
    const ibgp: BgpNeighborInfo = { ...neighborInfo('10.0.0.2', true), remoteAs: 65010 };
    const derived: BgpNeighborInfo = { ...neighborInfo('192.0.2.9', true), ebgpMultihop: 5 };
    const f = fakeContext();
    f.views.provide(BGP_VIEW, { ...fakeBgp, neighbors: () => [multihop, ibgp, derived] });
    const dto = await showIpBgpNeighbors.collect(f.ctx, []);
    expect(dto.neighbors.map((n) => [n.address, n.ttl])).toEqual([
      ['192.0.2.7', 2],
      ['10.0.0.2', 255],
      ['192.0.2.9', 5],
    ]);
    const [m, i, d] = showIpBgpNeighbors.render(dto).split('\n\n');
    expect(m).toContain('remote AS 65515, external link (multihop)');
    expect(m).toContain('\n  External BGP neighbor may be up to 2 hops away.\n');
    expect(m).toContain('\n  Outgoing TTL 2\n');
    expect(i).toContain('BGP neighbor is 10.0.0.2,  remote AS 65010, internal link');
    expect(i).not.toContain('External BGP neighbor');
    expect(i).toContain('\n  Outgoing TTL 255\n');
    expect(d).toContain('\n  External BGP neighbor may be up to 5 hops away.\n');
  });

  it('one neighbor by address', async () => {
    const { dto } = await show('ip bgp neighbors 169.254.22.2');
    expect((dto as { neighbors: { address: string }[] }).neighbors.map((n) => n.address)).toEqual([
      '169.254.22.2',
    ]);
    await expect(show('ip bgp neighbors 192.0.2.1')).rejects.toThrow('No such neighbor');
  });

  it('received-routes lists the Adj-RIB-In including rejected paths', async () => {
    const { text } = await show('ip bgp neighbors 169.254.21.2 received-routes');
    expect(text).toMatch(/\n\*> 10\.20\.0\.0\/16 +169\.254\.21\.2 +0 65515 i\n/);
    expect(text).toMatch(/\n {3}10\.0\.0\.0\/24 +169\.254\.21\.2 +0 65515 65010 i\n/);
    expect(text).toContain('Total number of prefixes 2');
  });

  it('routes and advertised-routes (keyword abbreviations accepted)', async () => {
    const routes = await show('ip bgp neighbors 169.254.21.2 ro');
    expect((routes.dto as { kind: string }).kind).toBe('routes');
    expect(routes.text).toContain('Total number of prefixes 1');
    const adv = await show('ip bgp neighbors 169.254.21.2 advertised-routes');
    expect(adv.text).toMatch(/\n\*> 10\.0\.0\.0\/24 +169\.254\.21\.1 +32768 65010 i\n/);
    await expect(show('ip bgp neighbors 169.254.21.2 bogus')).rejects.toThrow('expected');
  });
});

// ---- docs/show-json.md contracts ----

describe('BGP show JSON contracts (docs/show-json.md)', () => {
  it.each(['ip bgp summary', 'ip bgp'])(
    'show %s DTO matches the documented fields',
    async (name) => {
      const { dto } = await show(name);
      expect(fieldPaths([dto])).toEqual(documentedFields(name));
    },
  );

  it('show ip bgp neighbors (detail and route modes together) matches the documented fields', async () => {
    const detail = await show('ip bgp neighbors');
    const routes = await show('ip bgp neighbors 169.254.21.2 received-routes');
    expect(fieldPaths([detail.dto, routes.dto])).toEqual(documentedFields('ip bgp neighbors'));
  });
});
