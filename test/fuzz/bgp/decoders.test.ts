/**
 * fast-check properties: every BGP decoder, on random or mutated input, returns a typed outcome
 * or throws a typed error (BgpNotificationError, or the lib's DecodeError/TruncatedError for the
 * low-level helpers) — never any other exception. Valid decodes re-encode stably.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/lib/bytes/index.js';
import { Reader } from '../../../src/lib/bytes/reader.js';
import { Writer } from '../../../src/lib/bytes/writer.js';
import { DecodeError, TruncatedError } from '../../../src/lib/errors.js';
import { BgpNotificationError } from '../../../src/bgp/errors.js';
import { negotiateOpen } from '../../../src/bgp/open-negotiation.js';
import type { BgpCodecContext } from '../../../src/bgp/wire/header.js';
import { decodeHeader, nextMessageLength } from '../../../src/bgp/wire/header.js';
import { decodeMessage } from '../../../src/bgp/wire/message.js';
import { decodePrefixes } from '../../../src/bgp/wire/nlri.js';
import { decodeNotification } from '../../../src/bgp/wire/notification.js';
import { decodeOpen } from '../../../src/bgp/wire/open.js';
import { decodeRouteRefresh } from '../../../src/bgp/wire/route-refresh.js';
import {
  decodeUpdate,
  encodeUpdate,
  updateLength,
  type UpdateMessage,
} from '../../../src/bgp/wire/update.js';
import type { PathAttribute } from '../../../src/bgp/wire/attributes/types.js';
import { mustParseIp } from '../../../src/lib/ip/addr.js';
import { maskBytes, parsePrefix } from '../../../src/lib/ip/prefix.js';

const RUNS = { numRuns: 3000 };
const CTXS: BgpCodecContext[] = [{ as4: true }, { as4: false }];

/** Seeds: valid UPDATE bodies built with the encoder, one per context, covering every attribute. */
function seedUpdate(ctx: BgpCodecContext, u: UpdateMessage): Buffer {
  const w = new Writer(128);
  encodeUpdate(w, u, ctx);
  return w.finish();
}
const v4 = (s: string) => mustParseIp(s);
const p = (s: string) => parsePrefix(s)!;
const FULL: UpdateMessage = {
  withdrawn: [p('10.2.0.0/16')],
  nlri: [p('10.1.0.0/24'), p('192.168.1.1/32')],
  attributes: [
    { type: 'ORIGIN', flags: 0x40, origin: 0 },
    {
      type: 'AS_PATH',
      flags: 0x40,
      segments: [
        { type: 2, asns: [65001, 4200000001] },
        { type: 1, asns: [1, 2] },
      ],
    },
    { type: 'NEXT_HOP', flags: 0x40, nextHop: v4('10.0.0.1') },
    { type: 'MULTI_EXIT_DISC', flags: 0x80, med: 5 },
    { type: 'LOCAL_PREF', flags: 0x40, localPref: 100 },
    { type: 'ATOMIC_AGGREGATE', flags: 0x40 },
    { type: 'AGGREGATOR', flags: 0xc0, asn: 65001, address: v4('10.0.0.9') },
    { type: 'COMMUNITIES', flags: 0xc0, communities: [0xfde90064] },
    { type: 'ORIGINATOR_ID', flags: 0x80, originatorId: 7 },
    { type: 'CLUSTER_LIST', flags: 0x80, clusterIds: [1, 2] },
    {
      type: 'LARGE_COMMUNITY',
      flags: 0xc0,
      communities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }],
    },
    { type: 'UNKNOWN', flags: 0xe0, code: 99, value: Uint8Array.of(1, 2, 3) },
  ],
};
const MP: UpdateMessage = {
  withdrawn: [],
  nlri: [],
  attributes: [
    { type: 'MP_UNREACH_NLRI', flags: 0x80, afi: 2, safi: 1, withdrawn: [p('2001:db8:9::/48')] },
    {
      type: 'MP_REACH_NLRI',
      flags: 0x80,
      afi: 2,
      safi: 1,
      nextHops: [v4('2001:db8::1'), v4('fe80::1')],
      nlri: [p('2001:db8:1::/48'), p('::/0')],
    },
    { type: 'ORIGIN', flags: 0x40, origin: 2 },
    { type: 'AS_PATH', flags: 0x40, segments: [{ type: 2, asns: [65001, 23456] }] },
    { type: 'AS4_PATH', flags: 0xc0, segments: [{ type: 2, asns: [4200000001] }] },
    { type: 'AGGREGATOR', flags: 0xc0, asn: 23456, address: v4('10.0.0.9') },
    { type: 'AS4_AGGREGATOR', flags: 0xc0, asn: 4200000001, address: v4('10.0.0.9') },
  ],
};
const UPDATE_SEEDS = [
  seedUpdate({ as4: true }, FULL),
  seedUpdate({ as4: false }, FULL),
  seedUpdate({ as4: false }, MP),
  seedUpdate({ as4: true }, { withdrawn: [p('10.2.0.0/16')], attributes: [], nlri: [] }),
];
const OPEN_SEED = fromHex('04fde9005a0a00000110020e01040001000102004104' + '0000fde9');

/** Arbitrary valid UPDATEs for a 4-octet session (every registry attribute, unknown transitive). */
const prefixArb = (family: 4 | 6) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: family === 4 ? 32 : 128 }),
      fc.uint8Array({ minLength: family === 4 ? 4 : 16, maxLength: family === 4 ? 4 : 16 }),
    )
    .map(([len, bytes]) => ({ addr: { family, bytes: maskBytes(bytes, len) }, len }));
const segArb = fc.record({
  type: fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
  asns: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 6 }),
});
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const v4host = fc
  .tuple(
    fc.integer({ min: 1, max: 223 }).filter((b) => b !== 127),
    fc.uint8Array({ minLength: 3, maxLength: 3 }),
  )
  .map(([b0, rest]) => ({ family: 4 as const, bytes: Uint8Array.of(b0, ...rest) }));
const v6 = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((bytes) => ({ family: 6 as const, bytes }));
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const validUpdateArb = fc
  .record({
    withdrawn: fc.array(prefixArb(4), { maxLength: 4 }),
    nlri: fc.array(prefixArb(4), { maxLength: 4 }),
    origin: fc.integer({ min: 0, max: 2 }),
    segments: fc.array(segArb, { maxLength: 4 }),
    nextHop: v4host,
    med: optional(u32),
    localPref: optional(u32),
    atomic: fc.boolean(),
    aggregator: optional(fc.tuple(u32, v4host)),
    communities: optional(fc.array(u32, { minLength: 1, maxLength: 80 })),
    originatorId: optional(u32),
    clusterIds: optional(fc.array(u32, { minLength: 1, maxLength: 4 })),
    large: optional(
      fc.array(fc.record({ globalAdmin: u32, localData1: u32, localData2: u32 }), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    reach: optional(
      fc.tuple(
        fc.array(v6, { minLength: 1, maxLength: 2 }),
        fc.array(prefixArb(6), { maxLength: 4 }),
      ),
    ),
    unreach: optional(fc.array(prefixArb(6), { maxLength: 4 })),
    unknown: optional(fc.uint8Array({ maxLength: 300 })),
  })
  .map((g): UpdateMessage => {
    const attributes: PathAttribute[] = [];
    if (g.unreach)
      attributes.push({
        type: 'MP_UNREACH_NLRI',
        flags: 0x80,
        afi: 2,
        safi: 1,
        withdrawn: g.unreach,
      });
    if (g.reach)
      attributes.push({
        type: 'MP_REACH_NLRI',
        flags: 0x80,
        afi: 2,
        safi: 1,
        nextHops: g.reach[0],
        nlri: g.reach[1],
      });
    attributes.push({ type: 'ORIGIN', flags: 0x40, origin: g.origin });
    attributes.push({ type: 'AS_PATH', flags: 0x40, segments: g.segments });
    attributes.push({ type: 'NEXT_HOP', flags: 0x40, nextHop: g.nextHop });
    if (g.med !== undefined) attributes.push({ type: 'MULTI_EXIT_DISC', flags: 0x80, med: g.med });
    if (g.localPref !== undefined)
      attributes.push({ type: 'LOCAL_PREF', flags: 0x40, localPref: g.localPref });
    if (g.atomic) attributes.push({ type: 'ATOMIC_AGGREGATE', flags: 0x40 });
    if (g.aggregator)
      attributes.push({
        type: 'AGGREGATOR',
        flags: 0xc0,
        asn: g.aggregator[0],
        address: g.aggregator[1],
      });
    if (g.communities)
      attributes.push({ type: 'COMMUNITIES', flags: 0xc0, communities: g.communities });
    if (g.originatorId !== undefined)
      attributes.push({ type: 'ORIGINATOR_ID', flags: 0x80, originatorId: g.originatorId });
    if (g.clusterIds)
      attributes.push({ type: 'CLUSTER_LIST', flags: 0x80, clusterIds: g.clusterIds });
    if (g.large) attributes.push({ type: 'LARGE_COMMUNITY', flags: 0xc0, communities: g.large });
    if (g.unknown) attributes.push({ type: 'UNKNOWN', flags: 0xe0, code: 200, value: g.unknown });
    return { withdrawn: g.withdrawn, nlri: g.nlri, attributes };
  });

function mutate(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.nat(),
      tail: fc.uint8Array({ maxLength: 8 }),
    })
    .map(({ edits, cut, tail }) => {
      const b = Uint8Array.from(seed);
      for (const [pos, v] of edits) b[pos % b.length] = v;
      const end = cut % (b.length + 1);
      const out = new Uint8Array(end + tail.length);
      out.set(b.subarray(0, end));
      out.set(tail, end);
      return out;
    });
}

const anyUpdateBody = fc.oneof(fc.uint8Array({ maxLength: 300 }), ...UPDATE_SEEDS.map(mutate));

function typedOnly(
  f: () => unknown,
  allowed: readonly (abstract new (...a: never[]) => Error)[],
): void {
  try {
    f();
  } catch (e) {
    if (!allowed.some((c) => e instanceof c)) throw e;
  }
}

describe('BGP decoder fuzzing (fast-check)', () => {
  it('the seeds themselves are valid UPDATEs without problems', () => {
    const ctxOf = [{ as4: true }, { as4: false }, { as4: false }, { as4: true }];
    UPDATE_SEEDS.forEach((seed, i) => {
      const res = decodeUpdate(new Reader(seed), ctxOf[i]!);
      expect(res.kind).toBe('update');
      if (res.kind === 'update') expect(res.discarded).toEqual([]);
    });
    expect(decodeOpen(new Reader(OPEN_SEED)).capabilities).toHaveLength(3);
  });

  it('decodeUpdate: an outcome or BgpNotificationError, never anything else', () => {
    fc.assert(
      fc.property(anyUpdateBody, fc.constantFrom(...CTXS), (body, ctx) => {
        typedOnly(() => {
          const res = decodeUpdate(new Reader(body), ctx);
          expect(['update', 'treat-as-withdraw']).toContain(res.kind);
        }, [BgpNotificationError]);
      }),
      RUNS,
    );
  });

  it('decodeUpdate: a successfully decoded UPDATE re-encodes stably (4-octet session)', () => {
    const ctx = { as4: true };
    fc.assert(
      fc.property(anyUpdateBody, (body) => {
        let res;
        try {
          res = decodeUpdate(new Reader(body), ctx);
        } catch {
          return;
        }
        if (res.kind !== 'update') return;
        const w1 = new Writer(64);
        encodeUpdate(w1, res.update, ctx);
        const b1 = w1.finish();
        const again = decodeUpdate(new Reader(b1), ctx);
        expect(again.kind).toBe('update');
        if (again.kind !== 'update') return;
        const w2 = new Writer(64);
        encodeUpdate(w2, again.update, ctx);
        expect(w2.finish().toString('hex')).toBe(b1.toString('hex'));
      }),
      RUNS,
    );
  });

  it('any valid UPDATE encodes and decodes back to itself (4-octet session)', () => {
    const ctx = { as4: true };
    const norm = (u: UpdateMessage) => ({
      ...u,
      attributes: u.attributes.map((a) => ({ ...a, flags: a.flags & 0xe0 })),
    });
    fc.assert(
      fc.property(validUpdateArb, (u) => {
        const w = new Writer(256);
        encodeUpdate(w, u, ctx);
        const bytes = w.finish();
        expect(bytes.length).toBe(updateLength(u, ctx));
        const res = decodeUpdate(new Reader(bytes), ctx);
        expect(res.kind).toBe('update');
        if (res.kind !== 'update') return;
        expect(res.discarded).toEqual([]);
        expect(norm(res.update)).toEqual(norm(u));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeOpen (+ negotiation): an OPEN or BgpNotificationError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutate(OPEN_SEED)), (body) => {
        typedOnly(() => {
          const open = decodeOpen(new Reader(body));
          negotiateOpen(open, {
            localAs: 65002,
            localBgpId: 1,
            remoteAs: open.myAs,
            holdTimeSec: 90,
            families: [],
          });
        }, [BgpNotificationError]);
      }),
      RUNS,
    );
  });

  it('decodeMessage: a message or BgpNotificationError for any bytes, with or without a valid header', () => {
    const withHeader = fc
      .tuple(
        fc.integer({ min: 0, max: 7 }),
        fc.oneof(fc.uint8Array({ maxLength: 120 }), ...UPDATE_SEEDS.map(mutate), mutate(OPEN_SEED)),
      )
      .map(([type, body]) => {
        const b = Buffer.alloc(19 + body.length, 0xff);
        b.writeUInt16BE(19 + body.length, 16);
        b[18] = type;
        b.set(body, 19);
        return b;
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), withHeader),
        fc.constantFrom(...CTXS),
        (buf, ctx) => {
          typedOnly(() => decodeMessage(buf, ctx), [BgpNotificationError]);
        },
      ),
      RUNS,
    );
  });

  it('header, framing, NOTIFICATION, ROUTE-REFRESH and NLRI decoders only throw typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom<4 | 6>(4, 6), (b, fam) => {
        typedOnly(() => decodeHeader(new Reader(b)), [BgpNotificationError, TruncatedError]);
        typedOnly(() => nextMessageLength(b, 0), [BgpNotificationError]);
        typedOnly(() => decodeNotification(new Reader(b)), [TruncatedError]);
        typedOnly(() => decodeRouteRefresh(new Reader(b)), [BgpNotificationError]);
        typedOnly(() => decodePrefixes(new Reader(b), fam), [DecodeError, TruncatedError]);
      }),
      RUNS,
    );
  });
});
