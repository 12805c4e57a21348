import { describe, expect, it } from 'vitest';
import { BestPathReason } from '../../../../src/bgp/rib/best-path.js';
import { LocRib } from '../../../../src/bgp/rib/loc-rib.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { attrs, path, peer, pfx } from './helpers.js';

const A = peer('10.0.0.1', 65001);
const B = peer('10.0.0.2', 65002);

describe('LocRib', () => {
  it('recomputes only dirty destinations, in bounded slices, and bumps the table version', () => {
    const rib = new LocRib();
    for (let i = 0; i < 5; i++) rib.update(path(`10.${i}.0.0/16`, attrs([65001]), A));
    expect(rib.dirtyCount).toBe(5);
    const first = rib.processDirty(2);
    expect(first.map((c) => c.version)).toEqual([1, 2]);
    expect(rib.dirtyCount).toBe(3);
    expect(rib.processDirty()).toHaveLength(3);
    expect(rib.tableVersion).toBe(5);
    expect(rib.processDirty()).toEqual([]);
  });

  it('an identical re-announcement changes nothing', () => {
    const rib = new LocRib();
    rib.update(path('10.0.0.0/8', attrs([65001]), A, 1));
    rib.processDirty();
    rib.update(path('10.0.0.0/8', attrs([65001]), A, 99));
    expect(rib.dirtyCount).toBe(0);
    expect(rib.tableVersion).toBe(1);
  });

  it('reports best changes with the reason, and the withdraw of the last path', () => {
    const rib = new LocRib();
    const p = pfx('10.0.0.0/8');
    rib.update(path('10.0.0.0/8', attrs([65001, 65009]), A, 1));
    rib.update(path('10.0.0.0/8', attrs([65002]), B, 2));
    const [c] = rib.processDirty();
    expect(c?.best?.source).toBe(B);
    expect(c?.reason).toBe(BestPathReason.AS_PATH);
    expect(rib.destination(p)?.paths.size).toBe(2);

    expect(rib.withdraw(p, B)).toBe(true);
    const [c2] = rib.processDirty();
    expect(c2?.best?.source).toBe(A);
    expect(c2?.previousBest?.source).toBe(B);
    expect(c2?.reason).toBe(BestPathReason.ONLY_PATH);

    expect(rib.removeSource(A)).toBe(1);
    const [c3] = rib.processDirty();
    expect(c3?.best).toBeUndefined();
    expect(rib.destination(p)).toBeUndefined();
    expect(rib.withdraw(p, A)).toBe(false);
  });

  it('multipath changes are reported and maximum-paths changes re-run every destination', () => {
    const rib = new LocRib({ maximumPaths: 1 });
    rib.update(path('10.0.0.0/8', attrs([65515]), peer('169.254.21.2', 65515), 1));
    rib.update(path('10.0.0.0/8', attrs([65515]), peer('169.254.22.2', 65515), 2));
    expect(rib.processDirty()[0]?.multipath).toHaveLength(1);
    rib.setOptions({ maximumPaths: 2 });
    const [c] = rib.processDirty();
    expect(c?.bestChanged).toBe(false);
    expect(c?.multipathChanged).toBe(true);
    expect(c?.multipath).toHaveLength(2);
  });

  it('merges paths of every routing context into one destination (multi-tunnel design)', () => {
    const rib = new LocRib({ maximumPaths: 2 });
    // Same gateway address and router id, one session per context (multi-tunnel-same-gateway.yaml).
    const one = peer('10.0.255.254', 65515, { routingContext: 'outside-one' });
    const two = peer('10.0.255.254', 65515, { routingContext: 'outside-two' });
    const hop = { nextHop: mustParseIp('10.0.255.254') };
    rib.update(path('10.1.0.0/16', attrs([65515], hop), two, 1));
    rib.update(path('10.1.0.0/16', attrs([65515], hop), one, 2));
    const [c] = rib.processDirty();
    expect(rib.size).toBe(1);
    expect(c?.multipath.map((p) => p.source.routingContext).sort()).toEqual([
      'outside-one',
      'outside-two',
    ]);
    expect(rib.destination(pfx('10.1.0.0/16'))?.paths.size).toBe(2);
    // Session down in one context: only its path goes.
    expect(rib.removeSource(one)).toBe(1);
    const [after] = rib.processDirty();
    expect(after?.best?.source.routingContext).toBe('outside-two');
    expect(after?.multipath).toHaveLength(1);
  });

  it('a path in a routing context competes with global ones in one decision', () => {
    const rib = new LocRib();
    rib.update(path('10.0.0.0/8', attrs([65001, 65009]), A));
    rib.update(
      path('10.0.0.0/8', attrs([65002]), peer('10.0.0.2', 65002, { routingContext: 'red' })),
    );
    const changes = rib.processDirty();
    expect(changes).toHaveLength(1);
    expect(changes[0]?.best?.source.routingContext).toBe('red');
    expect(rib.destination(pfx('10.0.0.0/8'))?.best?.source.asn).toBe(65002);
  });

  it("reads a destination's paths as a map by source, with one path or several", () => {
    const rib = new LocRib();
    const p = pfx('10.0.0.0/8');
    const a = path('10.0.0.0/8', attrs([65001]), A, 1);
    const b = path('10.0.0.0/8', attrs([65002]), B, 2);
    rib.update(a);
    rib.processDirty();
    const one = rib.destination(p)?.paths;
    expect(one?.size).toBe(1);
    expect([...(one?.values() ?? [])]).toEqual([a]);
    expect([...(one?.keys() ?? [])]).toEqual(['/10.0.0.1']);
    expect(one?.get('/10.0.0.1')).toBe(a);
    expect(one?.has('/10.0.0.2')).toBe(false);
    rib.update(b);
    rib.processDirty();
    const two = rib.destination(p)?.paths;
    expect(new Map(two ?? [])).toEqual(
      new Map([
        ['/10.0.0.1', a],
        ['/10.0.0.2', b],
      ]),
    );
    rib.withdraw(p, A);
    rib.processDirty();
    const seen: string[] = [];
    rib.destination(p)?.paths.forEach((v, k) => seen.push(`${k}=${String(v.source.asn)}`));
    expect(seen).toEqual(['/10.0.0.2=65002']);
    rib.withdraw(p, B);
    rib.processDirty();
    expect(rib.destination(p)).toBeUndefined();
  });
});
