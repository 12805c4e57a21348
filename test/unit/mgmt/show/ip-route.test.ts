/** `show ip route [bgp|static|connected]`: collect from a routing view + render. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveShow, type ShowCommand } from '../../../../src/mgmt/show/registry.js';
import {
  ROUTING_VIEW,
  showIpRoute,
  type RouteShowEntry,
  type RouteTableDto,
} from '../../../../src/mgmt/show/commands/ip-route.js';
import { fakeContext } from './fake-context.js';

const SHOW_COMMANDS = [showIpRoute] as ShowCommand[];

function entry(
  o: Partial<RouteShowEntry> & Pick<RouteShowEntry, 'prefix' | 'source'>,
): RouteShowEntry {
  const code = ({ connected: 'C', static: 'S', bgp: 'B' } as const)[o.source];
  return {
    code,
    context: 'default',
    distance: o.source === 'bgp' ? 20 : o.source === 'static' ? 1 : 0,
    metric: 0,
    selected: true,
    nexthops: [{ via: undefined, interface: 'Tunnel1', usable: true }],
    ageMs: 3_120_000,
    reason: null,
    attrs: undefined,
    ...o,
  };
}

const ROUTES: RouteShowEntry[] = [
  entry({ prefix: '169.254.21.0/30', source: 'connected' }),
  entry({ prefix: '169.254.21.2/32', source: 'static' }),
  entry({
    prefix: '10.20.0.0/16',
    source: 'bgp',
    nexthops: [
      { via: '169.254.21.2', interface: 'Tunnel1', usable: true },
      { via: '169.254.22.2', interface: 'Tunnel2', usable: false },
    ],
    attrs: { asPath: '65515', from: '169.254.21.2' },
  }),
  entry({ prefix: '10.99.0.0/16', source: 'bgp', selected: false }),
  // Merged from routing context outside-one: the gateway is resolved there (Design 3).
  entry({
    prefix: '10.30.0.0/16',
    source: 'bgp',
    ageMs: 600_000,
    nexthops: [
      { via: '10.0.255.254', interface: 'Tunnel0', usable: true, context: 'outside-one' },
      // Same context as the route: not repeated.
      { via: '10.0.255.253', interface: 'Tunnel3', usable: true, context: 'default' },
    ],
    attrs: { asPath: '65020', from: '10.0.255.254' },
  }),
  entry({ prefix: '10.50.0.0/16', source: 'static', context: 'blue' }),
];

async function show(words: string): Promise<{ dto: RouteTableDto; text: string }> {
  const f = fakeContext();
  f.views.provide(ROUTING_VIEW, { view: () => ({ routes: ROUTES }) });
  const { command, args } = resolveShow(SHOW_COMMANDS, words.split(' '));
  expect(command).toBe(showIpRoute);
  const dto = (await command.collect(f.ctx, args)) as RouteTableDto;
  return { dto, text: command.render(JSON.parse(JSON.stringify(dto))) };
}

describe('show ip route', () => {
  it('lists selected routes per context in Catalyst form', async () => {
    const { dto, text } = await show('ip route');
    expect(dto.source).toBeNull();
    expect(dto.routes.map((r) => r.prefix)).not.toContain('10.99.0.0/16');
    expect(text).toBe(
      [
        'Codes: C - connected, S - static, B - BGP',
        '       * - candidate default, (!) - no usable next hop',
        '',
        'C   169.254.21.0/30 is directly connected, Tunnel1',
        'S   169.254.21.2/32 [1/0] is directly connected, Tunnel1',
        'B   10.20.0.0/16 [20/0] via 169.254.21.2, 00:52:00, Tunnel1',
        '                 [20/0] via 169.254.22.2, 00:52:00, Tunnel2 (!)',
        'B   10.30.0.0/16 [20/0] via 10.0.255.254 (outside-one), 00:10:00, Tunnel0',
        '                 [20/0] via 10.0.255.253, 00:10:00, Tunnel3',
        '',
        'Routing Table: blue',
        'Codes: C - connected, S - static, B - BGP',
        '       * - candidate default, (!) - no usable next hop',
        '',
        'S   10.50.0.0/16 [1/0] is directly connected, Tunnel1',
        '',
      ].join('\n'),
    );
  });

  it('filters by source (show ip route bgp) and keeps the BGP attributes in JSON', async () => {
    const { dto, text } = await show('ip route bgp');
    expect(dto.source).toBe('bgp');
    expect(dto.routes[1]?.nexthops).toEqual([
      { via: '10.0.255.254', interface: 'Tunnel0', usable: true, context: 'outside-one' },
      { via: '10.0.255.253', interface: 'Tunnel3', usable: true, context: null },
    ]);
    expect(dto.routes.slice(0, 1)).toEqual([
      {
        code: 'B',
        source: 'bgp',
        routingContext: 'default',
        prefix: '10.20.0.0/16',
        distance: 20,
        metric: 0,
        nexthops: [
          { via: '169.254.21.2', interface: 'Tunnel1', usable: true, context: null },
          { via: '169.254.22.2', interface: 'Tunnel2', usable: false, context: null },
        ],
        ageSec: 3120,
        bgp: { asPath: '65515', from: '169.254.21.2' },
      },
    ]);
    expect(text).toContain('B   10.20.0.0/16 [20/0] via 169.254.21.2, 00:52:00, Tunnel1');
    expect(text).not.toContain('169.254.21.0/30');
  });

  it('accepts abbreviations and rejects unknown sources', async () => {
    expect((await show('ip route stat')).dto.routes.map((r) => r.prefix)).toEqual([
      '169.254.21.2/32',
      '10.50.0.0/16',
    ]);
    expect((await show('ip route c')).dto.routes.map((r) => r.prefix)).toEqual(['169.254.21.0/30']);
    await expect(show('ip route ospf')).rejects.toThrow('expected bgp|static|connected');
  });

  it('answers 404 without a routing view', () => {
    const { ctx } = fakeContext();
    expect(() => showIpRoute.collect(ctx, [])).toThrow('routing not active');
  });
});

describe('show ip route JSON contract', () => {
  it('matches docs/show-json.md', async () => {
    const { dto } = await show('ip route');
    expect(fieldsOf(dto)).toEqual(documented('ip route'));
  });
});

const DOC = readFileSync(join(import.meta.dirname, '../../../../docs/show-json.md'), 'utf8');

/** Field paths of one `<!-- contract: NAME -->` table. */
function documented(name: string): string[] {
  const start = DOC.indexOf(`<!-- contract: ${name} -->`);
  if (start < 0) throw new Error(`no contract ${name} in docs/show-json.md`);
  const table = DOC.slice(start).split('\n\n')[0] ?? '';
  return [...table.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1] ?? '').sort();
}

function fieldsOf(value: unknown, prefix = ''): string[] {
  const walk = (v: unknown, p: string): string[] => {
    if (Array.isArray(v)) return v.flatMap((x: unknown) => walk(x, `${p}[]`));
    if (v !== null && typeof v === 'object') {
      return Object.entries(v).flatMap(([k, x]) => {
        const q = p === '' ? k : `${p}.${k}`;
        return [q, ...walk(x, q)];
      });
    }
    return [];
  };
  return [...new Set(walk(value, prefix))].sort();
}
