import { describe, expect, it } from 'vitest';
import { formatPrefix } from '../../../../src/lib/ip/prefix.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { AdjRibOut, isEmptyUpdate, type OutUpdate } from '../../../../src/bgp/rib/adj-rib-out.js';
import { findAttr } from '../../../../src/bgp/wire/attributes/types.js';
import { packUpdates } from '../../../../src/bgp/rib/update-pack.js';
import { routesFromUpdate } from '../../../../src/bgp/rib/update-routes.js';
import { attrKey } from '../../../../src/bgp/rib/path.js';
import { decodeMessage, encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import { attrs, pfx } from './helpers.js';

const A1 = attrs([65000, 65515]);
const A2 = attrs([65000, 65515], { med: 10 });
const names = (u: OutUpdate): { w: string[]; a: string[][] } => ({
  w: u.withdraw.map(formatPrefix),
  a: u.announce.map((g) => g.prefixes.map(formatPrefix)),
});

describe('AdjRibOut diffing', () => {
  it('announces once, never re-sends an unchanged route, re-announces on attribute change', () => {
    const out = new AdjRibOut();
    out.set(pfx('10.1.0.0/16'), A1);
    out.set(pfx('10.2.0.0/16'), A1);
    out.set(pfx('10.3.0.0/16'), A2);
    expect(names(out.flush())).toEqual({
      w: [],
      a: [['10.1.0.0/16', '10.2.0.0/16'], ['10.3.0.0/16']],
    });
    out.set(pfx('10.1.0.0/16'), attrs([65000, 65515]));
    out.set(pfx('10.2.0.0/16'), A1);
    expect(isEmptyUpdate(out.flush())).toBe(true);
    out.set(pfx('10.1.0.0/16'), A2);
    expect(names(out.flush())).toEqual({ w: [], a: [['10.1.0.0/16']] });
    expect(out.advertisedCount).toBe(3);
  });

  it('withdraws only prefixes it advertised; announce-then-withdraw before a flush sends nothing', () => {
    const out = new AdjRibOut();
    out.set(pfx('10.9.0.0/16'), undefined);
    expect(isEmptyUpdate(out.flush())).toBe(true);
    out.set(pfx('10.1.0.0/16'), A1);
    out.set(pfx('10.1.0.0/16'), undefined);
    expect(isEmptyUpdate(out.flush())).toBe(true);
    out.set(pfx('10.1.0.0/16'), A1);
    out.flush();
    out.set(pfx('10.1.0.0/16'), undefined);
    out.set(pfx('10.1.0.0/16'), undefined);
    expect(names(out.flush())).toEqual({ w: ['10.1.0.0/16'], a: [] });
    expect(isEmptyUpdate(out.flush())).toBe(true);
  });

  it('max-prefixes-out keeps the lowest N, withdrawing first, and logs once per capping episode', () => {
    const capped: number[] = [];
    const out = new AdjRibOut({ maxPrefixesOut: 2, onCapped: (i) => capped.push(i.exportable) });
    out.set(pfx('10.3.0.0/16'), A1);
    out.set(pfx('10.2.0.0/16'), A1);
    out.set(pfx('10.4.0.0/16'), A1);
    expect(names(out.flush())).toEqual({ w: [], a: [['10.2.0.0/16', '10.3.0.0/16']] });
    out.set(pfx('10.1.0.0/16'), A1);
    expect(names(out.flush())).toEqual({ w: ['10.3.0.0/16'], a: [['10.1.0.0/16']] });
    expect(out.advertisedCount).toBe(2);
    expect(capped).toEqual([3]);
    out.set(pfx('10.1.0.0/16'), undefined);
    out.set(pfx('10.2.0.0/16'), undefined);
    expect(names(out.flush())).toEqual({
      w: ['10.1.0.0/16', '10.2.0.0/16'],
      a: [['10.3.0.0/16', '10.4.0.0/16']],
    });
    expect(out.isCapped).toBe(false);
    out.set(pfx('10.5.0.0/16'), A1);
    out.flush();
    expect(capped).toEqual([3, 3]);
  });

  it('route refresh (RFC 2918) re-sends the full current Adj-RIB-Out', () => {
    const out = new AdjRibOut();
    out.set(pfx('10.1.0.0/16'), A1);
    out.set(pfx('10.2.0.0/16'), A2);
    out.flush();
    expect(names(out.refresh())).toEqual({ w: [], a: [['10.1.0.0/16'], ['10.2.0.0/16']] });
    expect(isEmptyUpdate(out.flush())).toBe(true);
  });

  it('reset (session down) forgets what was advertised and what was wanted', () => {
    const out = new AdjRibOut();
    out.set(pfx('10.1.0.0/16'), A1);
    out.flush();
    out.reset();
    expect([out.advertisedCount, out.exportableCount]).toEqual([0, 0]);
    expect(isEmptyUpdate(out.flush())).toBe(true);
    out.set(pfx('10.1.0.0/16'), A1);
    expect(names(out.flush())).toEqual({ w: [], a: [['10.1.0.0/16']] });
  });
});

describe('packUpdates', () => {
  const ctx = { as4: true };
  const many = Array.from({ length: 2000 }, (_, i) => pfx(`10.${i >> 8}.${i & 255}.0/24`));

  it('splits IPv4 withdrawals and announcements into messages of at most 4096 octets', () => {
    const u: OutUpdate = {
      withdraw: many.slice(0, 1000),
      announce: [{ attrs: A1, key: 'x', prefixes: many.slice(1000) }],
    };
    const msgs = packUpdates(u, ctx);
    let withdrawn = 0;
    let nlri = 0;
    let seenAnnounce = false;
    for (const m of msgs) {
      const bytes = encodeMessageBytes({ type: 'UPDATE', update: m }, ctx);
      expect(bytes.length).toBeLessThanOrEqual(4096);
      const d = decodeMessage(bytes, ctx);
      expect(d.type === 'UPDATE' && d.result.kind).toBe('update');
      withdrawn += m.withdrawn.length;
      nlri += m.nlri.length;
      if (m.nlri.length > 0) seenAnnounce = true;
      else expect(seenAnnounce).toBe(false); // withdrawals come first
    }
    expect([withdrawn, nlri]).toEqual([1000, 1000]);
    expect(msgs.length).toBeLessThan(10);
    // The per-family form gives the same messages.
    expect(packUpdates(u, 'ipv4-unicast', ctx)).toEqual(msgs);
  });

  it('uses MP_REACH / MP_UNREACH for IPv6 with the IPv6 next hop', () => {
    const v6 = Array.from({ length: 400 }, (_, i) => pfx(`fd00:${i.toString(16)}::/48`));
    const a6 = attrs([65000], { nextHop: mustParseIp('fd00::1') });
    const msgs = packUpdates(
      { withdraw: v6.slice(0, 10), announce: [{ attrs: a6, key: 'k', prefixes: v6 }] },
      { as4: false },
    );
    let total = 0;
    for (const m of msgs) {
      expect(m.nlri).toHaveLength(0);
      const bytes = encodeMessageBytes({ type: 'UPDATE', update: m }, { as4: false });
      expect(bytes.length).toBeLessThanOrEqual(4096);
      const reach = findAttr(m.attributes, 'MP_REACH_NLRI');
      if (reach) {
        total += reach.nlri.length;
        expect(reach.nextHops).toEqual([a6.nextHop]);
      }
    }
    expect(total).toBe(400);
    expect(msgs[0]?.attributes[0]?.type).toBe('MP_UNREACH_NLRI');
  });
});

describe('routesFromUpdate (wire round trip)', () => {
  it('what packUpdates produces decodes back to the same routes, both families, AS4 or not', () => {
    const v4 = ['10.1.0.0/16', '10.2.0.0/16'].map(pfx);
    const v6 = ['fd00:1::/48'].map(pfx);
    // A 4-byte ASN forces AS4_PATH toward an OLD speaker (RFC 6793 §4.2.2) and back.
    const a = attrs([4200000001, 65515], { nextHop: mustParseIp('fd00::1'), communities: [7] });
    for (const ctx of [{ as4: true }, { as4: false }]) {
      const msgs = packUpdates(
        {
          withdraw: [pfx('fd00:9::/48'), pfx('10.9.0.0/16')],
          announce: [
            { attrs: A2, key: 'k2', prefixes: v4 },
            { attrs: a, key: 'k', prefixes: v6 },
          ],
        },
        ctx,
      );
      const got = msgs.map((m) => {
        const d = decodeMessage(encodeMessageBytes({ type: 'UPDATE', update: m }, ctx), ctx);
        if (d.type !== 'UPDATE') throw new Error('not an UPDATE');
        return routesFromUpdate(d.result);
      });
      expect(got.map((g) => [g.withdraw.map(formatPrefix), g.announce.length])).toEqual([
        [['10.9.0.0/16'], 0],
        [['fd00:9::/48'], 0],
        [[], 2],
        [[], 1],
      ]);
      expect(got[2]?.announce.map((r) => attrKey(r.attrs))).toEqual([attrKey(A2), attrKey(A2)]);
      expect(got[3]?.announce.map((r) => formatPrefix(r.prefix))).toEqual(['fd00:1::/48']);
      expect(got[3]?.announce.map((r) => attrKey(r.attrs))).toEqual([attrKey(a)]);
    }
  });

  it('treat-as-withdraw withdraws everything the UPDATE carried', () => {
    const r = routesFromUpdate({
      kind: 'treat-as-withdraw',
      withdrawn: [pfx('10.1.0.0/16')],
      problems: [],
    });
    expect(r).toEqual({ announce: [], withdraw: [pfx('10.1.0.0/16')] });
  });
});
