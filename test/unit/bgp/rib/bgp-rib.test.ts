/**
 * The whole RIB pipeline: the Azure relay scenario (VPN gateway ⇄ NVA ⇄ Route Server, both AS
 * 65515, as-override toward both) and a fast-check model test of Adj-RIB-Out consistency.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, mustParseIp } from '../../../../src/lib/ip/addr.js';
import { formatPrefix, type Prefix } from '../../../../src/lib/ip/prefix.js';
import { BgpRib } from '../../../../src/bgp/rib/bgp-rib.js';
import { decide, DEFAULT_DECISION_OPTIONS } from '../../../../src/bgp/rib/best-path.js';
import { exportPath, type ExportPeer } from '../../../../src/bgp/rib/export-policy.js';
import { localSource, originateNetwork } from '../../../../src/bgp/rib/local-routes.js';
import {
  attrKey,
  comparePrefixes,
  makePath,
  prefixKey,
  type Path,
  type PathAttrs,
} from '../../../../src/bgp/rib/path.js';
import type { OutUpdate } from '../../../../src/bgp/rib/adj-rib-out.js';
import { attrs, exportPeer, peer, pfx } from './helpers.js';

const LOCAL_AS = 65010;

function routes(u: OutUpdate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const g of u.announce) {
    const path = g.attrs.asPath.flatMap((s) => s.asns).join(' ');
    const nh = g.attrs.nextHop ? formatIp(g.attrs.nextHop) : '-';
    for (const p of g.prefixes)
      out[formatPrefix(p)] = `${path} via ${nh} med ${g.attrs.med ?? '-'}`;
  }
  return out;
}

describe('relay between the VPN gateway and Route Server', () => {
  const gwPeer = exportPeer('169.254.21.2', 65515, { asOverride: true });
  const rs0Peer = exportPeer('10.0.255.4', 65515, {
    asOverride: true,
    localAddressV4: mustParseIp('10.0.1.4'),
  });
  const rs1Peer = exportPeer('10.0.255.5', 65515, {
    asOverride: true,
    localAddressV4: mustParseIp('10.0.1.4'),
  });

  function setup(): { rib: BgpRib; gw: string; rs0: string; rs1: string } {
    const rib = new BgpRib({ localAsn: LOCAL_AS, decision: { maximumPaths: 2 } });
    const gw = rib.addNeighbor({ peer: gwPeer, routerId: 1, allowasIn: 0 });
    const rs0 = rib.addNeighbor({ peer: rs0Peer, routerId: 2, allowasIn: 0, maxPrefixesOut: 1000 });
    const rs1 = rib.addNeighbor({ peer: rs1Peer, routerId: 3, allowasIn: 0, maxPrefixesOut: 1000 });
    for (const k of [gw, rs0, rs1]) rib.established(k);
    return { rib, gw, rs0, rs1 };
  }

  it('routes from the gateway reach Route Server with 65515 overridden, and back', () => {
    const { rib, gw, rs0, rs1 } = setup();
    rib.originate(originateNetwork(pfx('192.168.10.0/24'), localSource(LOCAL_AS, 9), 0));
    rib.receive(
      gw,
      [{ prefix: pfx('10.200.0.0/16'), attrs: attrs([65515, 65020], { med: 5 }) }],
      [],
      1,
    );
    rib.receive(rs0, [{ prefix: pfx('10.1.0.0/16'), attrs: attrs([65515]) }], [], 2);
    rib.receive(rs1, [{ prefix: pfx('10.1.0.0/16'), attrs: attrs([65515]) }], [], 3);
    const changes = rib.process();
    expect(changes.map((c) => formatPrefix(c.prefix)).sort()).toEqual([
      '10.1.0.0/16',
      '10.200.0.0/16',
      '192.168.10.0/24',
    ]);
    const vnet = changes.find((c) => formatPrefix(c.prefix) === '10.1.0.0/16');
    expect(vnet?.multipath.map((p) => p.source.address)).toEqual(['10.0.255.4', '10.0.255.5']);

    expect(routes(rib.flush(rs0))).toEqual({
      '10.200.0.0/16': '65010 65010 65020 via 10.0.1.4 med -',
      '192.168.10.0/24': '65010 via 10.0.1.4 med -',
    });
    // RS1 also gets RS0's VNet route (Catalyst advertises the best path to every eBGP neighbor
    // except its source), with 65515 overridden.
    expect(routes(rib.flush(rs1))).toEqual({
      '10.1.0.0/16': '65010 65010 via 10.0.1.4 med -',
      '10.200.0.0/16': '65010 65010 65020 via 10.0.1.4 med -',
      '192.168.10.0/24': '65010 via 10.0.1.4 med -',
    });
    expect(routes(rib.flush(gw))).toEqual({
      '10.1.0.0/16': '65010 65010 via 169.254.21.1 med -',
      '192.168.10.0/24': '65010 via 169.254.21.1 med -',
    });

    // The gateway re-sends the same route (e.g. after its own route refresh): nothing goes out.
    rib.receive(
      gw,
      [{ prefix: pfx('10.200.0.0/16'), attrs: attrs([65515, 65020], { med: 5 }) }],
      [],
      9,
    );
    rib.process();
    for (const k of [gw, rs0, rs1]) expect(rib.flush(k)).toEqual({ withdraw: [], announce: [] });

    // Route refresh from RS0 re-sends its whole table, once.
    expect(Object.keys(routes(rib.routeRefresh(rs0)))).toHaveLength(2);

    // The gateway session drops: its route is withdrawn from both Route Server sessions.
    rib.down(gw);
    rib.process();
    expect(rib.flush(rs0).withdraw.map(formatPrefix)).toEqual(['10.200.0.0/16']);
    expect(rib.flush(rs1).withdraw.map(formatPrefix)).toEqual(['10.200.0.0/16']);
  });

  it('without allowas-in our own routes reflected back are dropped', () => {
    const { rib, gw, rs0 } = setup();
    rib.receive(gw, [{ prefix: pfx('10.7.0.0/16'), attrs: attrs([65515, 65010]) }], [], 1);
    expect(rib.adjRibIn(gw).get(pfx('10.7.0.0/16'))?.rejected).toBe('as-loop');
    rib.process();
    expect(rib.flush(rs0).announce).toEqual([]);
  });
});

describe('Adj-RIB-Out model property (fast-check)', () => {
  const CAP = 3;
  const PREFIXES = [
    '10.0.0.0/16',
    '10.1.0.0/16',
    '10.2.0.0/16',
    '10.3.0.0/16',
    '10.4.0.0/16',
    '10.5.0.0/16',
  ].map(pfx);
  const PEERS: ExportPeer[] = [
    exportPeer('10.0.0.1', 65001),
    exportPeer('10.0.0.2', 65002, { asOverride: true }),
    exportPeer('10.0.0.3', 65003),
  ];

  const P = (i: number): Prefix => PREFIXES[i] as Prefix;

  type Op =
    | { k: 'announce'; n: number; p: number; len: number; med: number }
    | { k: 'withdraw'; n: number; p: number }
    | { k: 'process'; limit: number }
    | { k: 'flush'; n: number }
    | { k: 'toggle'; n: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      k: fc.constant('announce' as const),
      n: fc.integer({ min: 0, max: 2 }),
      p: fc.integer({ min: 0, max: 5 }),
      len: fc.integer({ min: 1, max: 3 }),
      med: fc.integer({ min: 0, max: 2 }),
    }),
    fc.record({
      k: fc.constant('withdraw' as const),
      n: fc.integer({ min: 0, max: 2 }),
      p: fc.integer({ min: 0, max: 5 }),
    }),
    fc.record({ k: fc.constant('process' as const), limit: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ k: fc.constant('flush' as const), n: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ k: fc.constant('toggle' as const), n: fc.integer({ min: 0, max: 2 }) }),
  );

  function mkAttrs(n: number, len: number, med: number): PathAttrs {
    const asn = 65001 + n;
    return attrs(
      Array.from({ length: len }, (_, i) => (i === 0 ? asn : 64600 + i)),
      { med },
    );
  }

  it('advertised state equals a from-scratch recomputation and never exceeds max-prefixes-out', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const rib = new BgpRib({
          localAsn: 65000,
          decision: { maximumPaths: 2, preferOldest: false },
        });
        const keys = PEERS.map((p, i) =>
          rib.addNeighbor({ peer: p, routerId: i + 1, allowasIn: 0, maxPrefixesOut: CAP }),
        );
        for (const k of keys) rib.established(k);
        const received = PEERS.map(() => new Map<string, PathAttrs>());
        const advertised = PEERS.map(() => new Map<string, string>());
        const up = PEERS.map(() => true);

        const flush = (n: number): void => {
          const u = rib.flush(keys[n] as string);
          const adv = advertised[n] as Map<string, string>;
          for (const w of u.withdraw) {
            expect(adv.has(prefixKey(w))).toBe(true);
            adv.delete(prefixKey(w));
          }
          for (const g of u.announce) {
            for (const p of g.prefixes) {
              expect(adv.get(prefixKey(p))).not.toBe(g.key);
              adv.set(prefixKey(p), g.key);
            }
          }
          expect(adv.size).toBeLessThanOrEqual(CAP);
        };

        for (const o of ops) {
          if ((o.k === 'announce' || o.k === 'withdraw') && !up[o.n]) continue;
          if (o.k === 'toggle') {
            const k = keys[o.n] as string;
            if (up[o.n]) {
              // Session down: its routes go, and the neighbor forgets what we sent.
              rib.down(k);
              (received[o.n] as Map<string, PathAttrs>).clear();
              (advertised[o.n] as Map<string, string>).clear();
            } else {
              rib.established(k);
            }
            up[o.n] = !up[o.n];
          } else if (o.k === 'announce') {
            const a = mkAttrs(o.n, o.len, o.med);
            (received[o.n] as Map<string, PathAttrs>).set(prefixKey(P(o.p)), a);
            rib.receive(keys[o.n] as string, [{ prefix: P(o.p), attrs: a }], [], 0);
          } else if (o.k === 'withdraw') {
            (received[o.n] as Map<string, PathAttrs>).delete(prefixKey(P(o.p)));
            rib.receive(keys[o.n] as string, [], [P(o.p)], 0);
          } else if (o.k === 'process') {
            rib.process(o.limit);
          } else {
            flush(o.n);
          }
        }
        rib.process();
        PEERS.forEach((_, n) => {
          flush(n);
        });

        // From scratch: best path per prefix, export per neighbor, lowest CAP prefixes.
        const opts = { ...DEFAULT_DECISION_OPTIONS, maximumPaths: 2, preferOldest: false };
        PEERS.forEach((target, n) => {
          const want: { prefix: Prefix; key: string }[] = [];
          for (const prefix of PREFIXES) {
            const paths: Path[] = [];
            PEERS.forEach((src, m) => {
              const a = (received[m] as Map<string, PathAttrs>).get(prefixKey(prefix));
              if (!a) return;
              paths.push(
                makePath({
                  prefix,
                  attrs: a,
                  source: peer(src.address, src.asn, { routerId: m + 1 }),
                  receivedAt: 0,
                }),
              );
            });
            const best = decide(paths, opts).best;
            if (!best) continue;
            const v = exportPath(best, target, 65000);
            if (v.ok) want.push({ prefix, key: attrKey(v.attrs) });
          }
          want.sort((x, y) => comparePrefixes(x.prefix, y.prefix));
          const expected = new Map(
            up[n] ? want.slice(0, CAP).map((w) => [prefixKey(w.prefix), w.key]) : [],
          );
          expect(advertised[n]).toEqual(expected);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('locally originated routes', () => {
  it('networks (ORIGIN IGP) and redistribution (INCOMPLETE) are synced without re-sending', () => {
    const rib = new BgpRib({ localAsn: LOCAL_AS });
    const gw = rib.addNeighbor({
      peer: exportPeer('169.254.21.2', 65515),
      routerId: 1,
      allowasIn: 0,
    });
    rib.established(gw);
    rib.setLocalRoutes(
      [
        { prefix: pfx('192.168.10.0/24'), kind: 'connected' },
        { prefix: pfx('192.168.10.0/24'), kind: 'network' },
        { prefix: pfx('192.168.20.0/24'), kind: 'static' },
      ],
      9,
      0,
    );
    rib.process();
    const first = rib.flush(gw);
    const origins = Object.fromEntries(
      first.announce.flatMap((g) => g.prefixes.map((p) => [formatPrefix(p), g.attrs.origin])),
    );
    expect(origins).toEqual({ '192.168.10.0/24': 0, '192.168.20.0/24': 2 });
    expect(rib.locRib.destination(pfx('192.168.10.0/24'))?.best?.flags.local).toBe('network');

    // Reload with the same set: nothing changes; then drop the static route.
    rib.setLocalRoutes(
      [
        { prefix: pfx('192.168.10.0/24'), kind: 'network' },
        { prefix: pfx('192.168.20.0/24'), kind: 'static' },
      ],
      9,
      5,
    );
    expect(rib.locRib.dirtyCount).toBe(0);
    rib.setLocalRoutes([{ prefix: pfx('192.168.10.0/24'), kind: 'network' }], 9, 6);
    rib.process();
    expect(rib.flush(gw)).toEqual({ withdraw: [pfx('192.168.20.0/24')], announce: [] });
  });
});

describe('reconfiguration', () => {
  it('soft inbound reconfiguration and a new max-prefixes-out take effect without a session reset', () => {
    const rib = new BgpRib({ localAsn: LOCAL_AS });
    const gw = rib.addNeighbor({
      peer: exportPeer('169.254.21.2', 65515),
      routerId: 1,
      allowasIn: 0,
    });
    const rs = rib.addNeighbor({
      peer: exportPeer('10.0.255.4', 65515, { asOverride: true }),
      routerId: 2,
      allowasIn: 0,
    });
    rib.established(gw);
    rib.established(rs);
    const ps = ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'].map(pfx);
    rib.receive(
      gw,
      ps.map((prefix) => ({ prefix, attrs: attrs([65515, LOCAL_AS]) })),
      [],
      0,
    );
    rib.process();
    expect(rib.flush(rs).announce).toEqual([]);
    rib.reconfigureImport(gw, { allowasIn: 1 });
    rib.process();
    expect(rib.flush(rs).announce[0]?.prefixes).toHaveLength(3);
    rib.setMaxPrefixesOut(rs, 1);
    expect(rib.flush(rs).withdraw.map(formatPrefix)).toEqual(['10.2.0.0/16', '10.3.0.0/16']);
    rib.reconfigureImport(gw, { importFilter: () => undefined });
    rib.process();
    expect(rib.flush(rs).withdraw.map(formatPrefix)).toEqual(['10.1.0.0/16']);
    expect(rib.adjRibIn(gw).acceptedCount).toBe(0);
  });
});

describe('routing contexts in the RIB pipeline (multi-tunnel design)', () => {
  it('merges one gateway address seen in two contexts and exports to every context', () => {
    const rib = new BgpRib({ localAsn: 64900, decision: { maximumPaths: 2 } });
    const gwAddr = '10.0.255.254';
    const one = rib.addNeighbor({
      peer: exportPeer(gwAddr, 65515, { routingContext: 'outside-one' }),
      routerId: 7,
      allowasIn: 0,
    });
    const two = rib.addNeighbor({
      peer: exportPeer(gwAddr, 65515, { routingContext: 'outside-two' }),
      routerId: 7,
      allowasIn: 0,
    });
    const rs = rib.addNeighbor({
      peer: exportPeer('10.0.255.4', 65515),
      routerId: 8,
      allowasIn: 0,
    });
    for (const k of [one, two, rs]) rib.established(k);
    rib.setLocalRoutes(
      [
        { prefix: pfx('10.0.255.254/32'), kind: 'static', routingContext: 'outside-one' },
        { prefix: pfx('172.16.0.0/16'), kind: 'static' },
      ],
      1,
      0,
    );
    const a = attrs([65515], { nextHop: mustParseIp(gwAddr) });
    rib.receive(one, [{ prefix: pfx('10.1.0.0/16'), attrs: a }], [], 0);
    rib.receive(two, [{ prefix: pfx('10.1.0.0/16'), attrs: a }], [], 0);
    const changes = rib.process();
    const learned = changes.find((c) => formatPrefix(c.prefix) === '10.1.0.0/16');
    expect(learned?.multipath.map((p) => p.source.routingContext).sort()).toEqual([
      'outside-one',
      'outside-two',
    ]);
    // The context static is not originated; the global one goes to every context's neighbor.
    expect(changes.map((c) => formatPrefix(c.prefix)).sort()).toEqual([
      '10.1.0.0/16',
      '172.16.0.0/16',
    ]);
    expect(Object.keys(routes(rib.flush(one)))).toEqual(['172.16.0.0/16']);
    expect(Object.keys(routes(rib.flush(two)))).toEqual(['172.16.0.0/16']);
    expect(Object.keys(routes(rib.flush(rs))).sort()).toEqual(['10.1.0.0/16', '172.16.0.0/16']);
  });
});
