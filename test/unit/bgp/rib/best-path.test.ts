/**
 * RFC 4271 §9.1.2.2 decision process (plus the Catalyst steps: locally originated, oldest eBGP,
 * RFC 4456 §9 ORIGINATOR_ID / CLUSTER_LIST): one row per tie-breaker, the reason asserted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BestPathReason,
  comparePaths,
  decide,
  DEFAULT_DECISION_OPTIONS,
  type DecisionOptions,
} from '../../../../src/bgp/rib/best-path.js';
import { localSource } from '../../../../src/bgp/rib/local-routes.js';
import type { Path } from '../../../../src/bgp/rib/path.js';
import { Origin } from '../../../../src/bgp/wire/constants.js';
import { attrs, path, peer } from './helpers.js';

const P = '10.1.0.0/16';
const A = peer('10.0.0.1', 65001);
const B = peer('10.0.0.2', 65002);
const B1 = peer('10.0.0.2', 65001);
const IBGP = peer('10.0.0.9', 65000, { isIbgp: true });

interface Row {
  readonly name: string;
  readonly winner: Path;
  readonly loser: Path;
  readonly reason: string;
  readonly opts?: Partial<DecisionOptions>;
}

const rows: Row[] = [
  {
    name: 'highest LOCAL_PREF beats a shorter AS_PATH',
    winner: path(P, attrs([65001, 65009, 65010], { localPref: 200 }), B, 5),
    loser: path(P, attrs([65001]), A, 1),
    reason: BestPathReason.LOCAL_PREF,
  },
  {
    name: 'missing LOCAL_PREF counts as 100',
    winner: path(P, attrs([65001, 65009]), B, 5),
    loser: path(P, attrs([65001], { localPref: 99 }), A, 1),
    reason: BestPathReason.LOCAL_PREF,
  },
  {
    name: 'locally originated beats a learned path',
    winner: path(P, attrs([], { origin: Origin.INCOMPLETE }), localSource(65000, 1), 9, {
      local: 'static',
    }),
    loser: path(P, attrs([]), A, 1),
    reason: BestPathReason.LOCAL_ORIGIN,
  },
  {
    name: 'shortest AS_PATH beats a lower ORIGIN',
    winner: path(P, attrs([65002], { origin: Origin.INCOMPLETE }), B, 5),
    loser: path(P, attrs([65001, 65003]), A, 1),
    reason: BestPathReason.AS_PATH,
  },
  {
    name: 'AS_SET counts as one AS (§9.1.2.2 a)',
    winner: path(
      P,
      attrs([], {
        asPath: [
          { type: 2, asns: [65002] },
          { type: 1, asns: [1, 2, 3, 4] },
        ],
      }),
      B,
      5,
    ),
    loser: path(P, attrs([65001, 65003, 65004]), A, 1),
    reason: BestPathReason.AS_PATH,
  },
  {
    name: 'lowest ORIGIN beats a lower MED',
    winner: path(P, attrs([65001], { origin: Origin.IGP, med: 50 }), B1, 5),
    loser: path(P, attrs([65001], { origin: Origin.EGP, med: 0 }), A, 1),
    reason: BestPathReason.ORIGIN,
  },
  {
    name: 'lowest MED from the same neighbor AS beats the older path',
    winner: path(P, attrs([65001], { med: 10 }), B1, 5),
    loser: path(P, attrs([65001], { med: 20 }), A, 1),
    reason: BestPathReason.MED,
  },
  {
    name: 'missing MED is 0',
    winner: path(P, attrs([65001]), B1, 5),
    loser: path(P, attrs([65001], { med: 5 }), A, 1),
    reason: BestPathReason.MED,
  },
  {
    name: 'MED is not compared across neighbor ASes (older eBGP path wins)',
    winner: path(P, attrs([65001], { med: 50 }), A, 1),
    loser: path(P, attrs([65002], { med: 10 }), B, 5),
    reason: BestPathReason.OLDER,
  },
  {
    name: 'always-compare-med compares MED across ASes',
    winner: path(P, attrs([65002], { med: 10 }), B, 5),
    loser: path(P, attrs([65001], { med: 50 }), A, 1),
    reason: BestPathReason.MED,
    opts: { alwaysCompareMed: true },
  },
  {
    name: 'eBGP beats iBGP',
    winner: path(P, attrs([65001]), B1, 5),
    loser: path(P, attrs([65001]), IBGP, 1),
    reason: BestPathReason.ASN,
  },
  {
    name: 'oldest eBGP path beats a lower router id',
    winner: path(P, attrs([65002]), B, 1),
    loser: path(P, attrs([65001]), A, 5),
    reason: BestPathReason.OLDER,
  },
  {
    name: 'lowest router id when oldest-path is off',
    winner: path(P, attrs([65001]), A, 5),
    loser: path(P, attrs([65002]), B, 1),
    reason: BestPathReason.ROUTER_ID,
    opts: { preferOldest: false },
  },
  {
    name: 'iBGP paths ignore age; ORIGINATOR_ID replaces the router id (RFC 4456 §9)',
    winner: path(
      P,
      attrs([65001], { originatorId: 1 }),
      peer('10.0.0.8', 65000, { isIbgp: true }),
      5,
    ),
    loser: path(P, attrs([65001]), IBGP, 1),
    reason: BestPathReason.ROUTER_ID,
  },
  {
    name: 'shortest CLUSTER_LIST',
    winner: path(P, attrs([65001], { originatorId: 7, clusterList: [1] }), IBGP, 5),
    loser: path(
      P,
      attrs([65001], { originatorId: 7, clusterList: [1, 2] }),
      peer('10.0.0.3', 65000, { isIbgp: true }),
      1,
    ),
    reason: BestPathReason.CLUSTER_LIST,
  },
  {
    name: 'lowest neighbor address last',
    winner: path(P, attrs([65001]), peer('10.0.0.3', 65001, { routerId: 5 }), 1),
    loser: path(P, attrs([65001]), peer('10.0.0.4', 65001, { routerId: 5 }), 1),
    reason: BestPathReason.NEIGHBOR_ADDR,
  },
];

describe('decision process (RFC 4271 §9.1.2.2)', () => {
  it.each(rows)('$name', (row) => {
    const opts = { ...DEFAULT_DECISION_OPTIONS, ...row.opts };
    for (const order of [
      [row.loser, row.winner],
      [row.winner, row.loser],
    ]) {
      const d = decide(order, opts);
      expect(d.best).toBe(row.winner);
      expect(d.reason).toBe(row.reason);
    }
    expect(comparePaths(row.winner, row.loser, opts).cmp).toBeLessThan(0);
    expect(comparePaths(row.loser, row.winner, opts).cmp).toBeGreaterThan(0);
  });

  it('a single path wins as the only path; no paths give no best', () => {
    const p = path(P, attrs([65001]), A);
    expect(decide([p], DEFAULT_DECISION_OPTIONS)).toEqual({
      best: p,
      reason: BestPathReason.ONLY_PATH,
      multipath: [p],
    });
    expect(decide([], DEFAULT_DECISION_OPTIONS).best).toBeUndefined();
  });
});

describe('maximum-paths multipath', () => {
  const gw0 = peer('169.254.21.2', 65515);
  const gw1 = peer('169.254.22.2', 65515);
  const gw2 = peer('169.254.23.2', 65515);
  const mp = (n: number, relax = false): DecisionOptions => ({
    ...DEFAULT_DECISION_OPTIONS,
    maximumPaths: n,
    multipathRelax: relax,
  });

  it('equal paths from different neighbors form a set of at most N, best first', () => {
    const ps = [
      path(P, attrs([65515]), gw2, 3),
      path(P, attrs([65515]), gw0, 1),
      path(P, attrs([65515]), gw1, 2),
    ];
    const d2 = decide(ps, mp(2));
    expect(d2.best?.source).toBe(gw0);
    expect(d2.multipath.map((p) => p.source.address)).toEqual(['169.254.21.2', '169.254.22.2']);
    expect(decide(ps, mp(4)).multipath).toHaveLength(3);
    expect(decide(ps, mp(1)).multipath).toHaveLength(1);
  });

  it('needs an identical AS_PATH unless multipath-relax', () => {
    const ps = [path(P, attrs([65515]), gw0, 1), path(P, attrs([65516]), gw1, 2)];
    expect(decide(ps, mp(2)).multipath).toHaveLength(1);
    expect(decide(ps, mp(2, true)).multipath).toHaveLength(2);
    const longer = [path(P, attrs([65515]), gw0, 1), path(P, attrs([65516, 65516]), gw1, 2)];
    expect(decide(longer, mp(2, true)).multipath).toHaveLength(1);
  });

  it('excludes paths that differ in LOCAL_PREF, ORIGIN, MED or eBGP/iBGP', () => {
    const best = path(P, attrs([65515]), gw0, 1);
    for (const other of [
      path(P, attrs([65515], { localPref: 90 }), gw1, 2),
      path(P, attrs([65515], { origin: Origin.INCOMPLETE }), gw1, 2),
      path(P, attrs([65515], { med: 7 }), gw1, 2),
      path(P, attrs([65515]), peer('10.9.9.9', 65000, { isIbgp: true }), 2),
    ]) {
      const d = decide([best, other], mp(4));
      expect(d.best).toBe(best);
      expect(d.multipath).toEqual([best]);
    }
  });

  it('a locally originated best path never has multipath members', () => {
    const local = path(P, attrs([]), localSource(65000, 1), 0, { local: 'network' });
    const d = decide([local, path(P, attrs([]), gw0, 1)], mp(4));
    expect(d.best).toBe(local);
    expect(d.multipath).toEqual([local]);
  });
});

describe('decision properties (fast-check)', () => {
  const arbPath = fc
    .record({
      n: fc.integer({ min: 1, max: 6 }),
      firstAs: fc.constantFrom(65001, 65002, 65515),
      len: fc.integer({ min: 1, max: 3 }),
      med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      lp: fc.option(fc.constantFrom(90, 100, 110), { nil: undefined }),
      origin: fc.integer({ min: 0, max: 2 }),
      ibgp: fc.boolean(),
      t: fc.integer({ min: 0, max: 3 }),
    })
    .map((r) =>
      path(
        P,
        attrs(
          Array.from({ length: r.len }, (_, i) => (i === 0 ? r.firstAs : 64600 + i)),
          { med: r.med, localPref: r.lp, origin: r.origin },
        ),
        peer(`10.0.0.${r.n}`, r.ibgp ? 65000 : r.firstAs, { isIbgp: r.ibgp }),
        r.t,
      ),
    );
  const uniquePaths = fc.uniqueArray(arbPath, {
    minLength: 1,
    maxLength: 6,
    selector: (p) => p.source.address,
  });

  it('the result does not depend on input order; multipath is a bounded subset led by best', () => {
    fc.assert(
      fc.property(uniquePaths, fc.integer({ min: 1, max: 4 }), fc.boolean(), (ps, n, relax) => {
        const opts = { ...DEFAULT_DECISION_OPTIONS, maximumPaths: n, multipathRelax: relax };
        const d = decide(ps, opts);
        const r = decide([...ps].reverse(), opts);
        expect(r.best).toBe(d.best);
        expect(r.reason).toBe(d.reason);
        expect(r.multipath).toEqual(d.multipath);
        expect(d.multipath[0]).toBe(d.best);
        expect(d.multipath.length).toBeLessThanOrEqual(n);
        for (const m of d.multipath) expect(ps).toContain(m);
        // Nothing beats the best on LOCAL_PREF (the first, transitive step).
        for (const p of ps) {
          expect((p.attrs.localPref ?? 100) <= (d.best?.attrs.localPref ?? 100)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
