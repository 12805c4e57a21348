/**
 * RFC 7606 revised error handling: every case names the section that fixes the expected action.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../src/lib/bytes/index.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import type { BgpCodecContext } from '../../../../src/bgp/wire/header.js';
import {
  decodeUpdate,
  findAttr,
  type UpdateDecodeResult,
} from '../../../../src/bgp/wire/update.js';
import { pfxs, updateBody } from '../helpers.js';

const AS4: BgpCodecContext = { as4: true };

const ORIGIN = '40010100';
const AS_PATH = '400206 0201 0000fde9';
const NEXT_HOP = '400304 0a000001';
const BASE = ORIGIN + AS_PATH + NEXT_HOP;
const MP6 = '800e1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001';
const NLRI = '18 0a0100'; // 10.1.0.0/24
const WITHDRAWN = '10 0a02'; // 10.2.0.0/16

type Outcome =
  | { kind: 'update'; discarded: number[] }
  | { kind: 'treat-as-withdraw'; subcodes: number[]; withdrawn: string[] }
  | { kind: 'session-reset' | 'afisafi-disable'; subcode: number; data?: string };

function run(body: string, ctx: BgpCodecContext = AS4): Outcome {
  let res: UpdateDecodeResult;
  try {
    res = decodeUpdate(new Reader(fromHex(body)), ctx);
  } catch (e) {
    if (!(e instanceof BgpNotificationError)) throw e;
    expect(e.errorCode).toBe(3);
    const o: Outcome = {
      kind: e.action === 'afisafi-disable' ? 'afisafi-disable' : 'session-reset',
      subcode: e.subcode,
    };
    if (e.action !== 'afisafi-disable') expect(e.action).toBe('session-reset');
    return e.data.length > 0 ? { ...o, data: Buffer.from(e.data).toString('hex') } : o;
  }
  if (res.kind === 'update') {
    return { kind: 'update', discarded: res.discarded.map((d) => d.attrCode ?? -1) };
  }
  return {
    kind: 'treat-as-withdraw',
    subcodes: res.problems.map((p) => p.subcode),
    withdrawn: pfxs(res.withdrawn),
  };
}

const TAW = (subcodes: number[], withdrawn = ['10.2.0.0/16', '10.1.0.0/24']): Outcome => ({
  kind: 'treat-as-withdraw',
  subcodes,
  withdrawn,
});

describe('RFC 7606 per-attribute handling (§7)', () => {
  it.each<[string, string, Outcome]>([
    ['§7.1 ORIGIN length 2 → treat-as-withdraw', '40010200 00' + AS_PATH + NEXT_HOP, TAW([5])],
    ['§7.1 ORIGIN value 3 → treat-as-withdraw', '40010103' + AS_PATH + NEXT_HOP, TAW([6])],
    [
      '§7.2 AS_PATH unknown segment type 5 → treat-as-withdraw',
      ORIGIN + '400206 0501 0000fde9' + NEXT_HOP,
      TAW([11]),
    ],
    [
      '§7.2 AS_PATH segment length 0 → treat-as-withdraw',
      ORIGIN + '400202 0200' + NEXT_HOP,
      TAW([11]),
    ],
    [
      '§7.2 AS_PATH segment overrun → treat-as-withdraw',
      ORIGIN + '400206 0202 0000fde9' + NEXT_HOP,
      TAW([11]),
    ],
    [
      '§7.2 AS_PATH 1 stray octet → treat-as-withdraw',
      ORIGIN + '400207 0201 0000fde9 02' + NEXT_HOP,
      TAW([11]),
    ],
    [
      '§7.3 NEXT_HOP length 5 → treat-as-withdraw',
      ORIGIN + AS_PATH + '400305 0a00000100',
      TAW([5]),
    ],
    ['§7.3 NEXT_HOP 0.0.0.0 → treat-as-withdraw', ORIGIN + AS_PATH + '400304 00000000', TAW([8])],
    [
      '§7.3 NEXT_HOP multicast 224.0.0.5 → treat-as-withdraw',
      ORIGIN + AS_PATH + '400304 e0000005',
      TAW([8]),
    ],
    ['§7.4 MED length 3 → treat-as-withdraw', BASE + '800403 000001', TAW([5])],
    ['§7.5 LOCAL_PREF length 2 → treat-as-withdraw', BASE + '400502 0001', TAW([5])],
    [
      '§7.6 ATOMIC_AGGREGATE length 1 → attribute discard',
      BASE + '400601 00',
      { kind: 'update', discarded: [6] },
    ],
    [
      '§7.7 AGGREGATOR length 7 (4-octet session) → attribute discard',
      BASE + 'c00707 0000fde90a0000',
      { kind: 'update', discarded: [7] },
    ],
    ['§7.8 COMMUNITIES length 0 → treat-as-withdraw', BASE + 'c00800', TAW([5])],
    ['§7.8 COMMUNITIES length 6 → treat-as-withdraw', BASE + 'c00806 fde900640000', TAW([5])],
    [
      'RFC 8092 §6 LARGE_COMMUNITY length 8 → treat-as-withdraw',
      BASE + 'c02008 0000fde900000001',
      TAW([5]),
    ],
    ['§7.9 ORIGINATOR_ID length 5 → treat-as-withdraw', BASE + '800905 0a00000101', TAW([5])],
    ['§7.10 CLUSTER_LIST length 6 → treat-as-withdraw', BASE + '800a06 0a0000010a00', TAW([5])],
  ])('%s', (_n, attrs, expected) => {
    expect(run(updateBody(WITHDRAWN, attrs, NLRI))).toEqual(expected);
  });
});

describe('RFC 7606 message-level handling (§3, §4, §5)', () => {
  it.each<[string, string, Outcome]>([
    [
      '§3(d) missing ORIGIN → treat-as-withdraw (Missing Well-known Attribute)',
      updateBody(WITHDRAWN, AS_PATH + NEXT_HOP, NLRI),
      TAW([3]),
    ],
    [
      '§3(d) missing NEXT_HOP with IPv4 NLRI → treat-as-withdraw',
      updateBody('', ORIGIN + AS_PATH, NLRI),
      TAW([3], ['10.1.0.0/24']),
    ],
    [
      '§3(d) NLRI but no attributes at all → treat-as-withdraw',
      updateBody('', '', NLRI),
      TAW([3, 3, 3], ['10.1.0.0/24']),
    ],
    [
      'RFC 4760 §3: MP_REACH-only UPDATE needs no NEXT_HOP',
      updateBody('', MP6 + ORIGIN + AS_PATH),
      { kind: 'update', discarded: [] },
    ],
    [
      '§3(d) withdraw-only UPDATE needs no attributes',
      updateBody(WITHDRAWN, ''),
      { kind: 'update', discarded: [] },
    ],
    [
      '§3(c) ORIGIN with Optional bit → treat-as-withdraw (Attribute Flags Error)',
      updateBody('', 'c0010100' + AS_PATH + NEXT_HOP, NLRI),
      TAW([4], ['10.1.0.0/24']),
    ],
    [
      '§3(c) MED marked transitive → treat-as-withdraw',
      updateBody('', BASE + 'c00404 00000001', NLRI),
      TAW([4], ['10.1.0.0/24']),
    ],
    [
      '§3(g) duplicate ORIGIN → later copy discarded',
      updateBody('', BASE + '40010101', NLRI),
      { kind: 'update', discarded: [1] },
    ],
    [
      '§3(g) duplicate MP_REACH_NLRI → session reset (Malformed Attribute List)',
      updateBody('', MP6 + MP6 + ORIGIN + AS_PATH),
      { kind: 'session-reset', subcode: 1, data: MP6.replace(/\s/g, '') },
    ],
    [
      'RFC 4271 §6.3 unrecognized well-known attribute → session reset',
      updateBody('', BASE + '40630100', NLRI),
      { kind: 'session-reset', subcode: 2, data: '40630100' },
    ],
    [
      '§4 last attribute overruns Total Attribute Length → treat-as-withdraw',
      updateBody('', BASE + 'c00808 fde90064', NLRI),
      TAW([5], ['10.1.0.0/24']),
    ],
    [
      '§4 fewer than 3 octets left for an attribute → treat-as-withdraw',
      updateBody('', BASE + 'c008', NLRI),
      TAW([1], ['10.1.0.0/24']),
    ],
    [
      '§4 MP_REACH_NLRI overruns Total Attribute Length → session reset',
      updateBody('', ORIGIN + AS_PATH + '800e30 0002', ''),
      { kind: 'session-reset', subcode: 5, data: '800e300002' },
    ],
    [
      'RFC 4271 §6.3 Withdrawn Routes Length too large → session reset',
      '0010 0a02 0000',
      { kind: 'session-reset', subcode: 1 },
    ],
    [
      'RFC 4271 §6.3 Total Attribute Length too large → session reset',
      '0000 0020 40010100',
      { kind: 'session-reset', subcode: 1 },
    ],
    [
      '§5.3 NLRI prefix length 33 → session reset (Invalid Network Field)',
      updateBody('', BASE, '21 0a010000 00'),
      { kind: 'session-reset', subcode: 10 },
    ],
    [
      '§5.3 NLRI ends inside a prefix → session reset',
      updateBody('', BASE, '18 0a01'),
      { kind: 'session-reset', subcode: 10 },
    ],
    [
      '§5.3 withdrawn prefix length 40 → session reset',
      updateBody('28 0a000000 00', ''),
      { kind: 'session-reset', subcode: 10 },
    ],
    [
      '§7.11 MP_REACH next hop length 5 for IPv6 → AFI/SAFI disable',
      updateBody('', '800e11 0002 01 05 2001000000 00 30 20010db80001' + ORIGIN + AS_PATH),
      {
        kind: 'afisafi-disable',
        subcode: 9,
        data: '800e110002010520010000000030' + '20010db80001',
      },
    ],
    [
      '§5.3 MP_REACH IPv6 prefix length 129 → AFI/SAFI disable',
      updateBody('', '800e16 0002 01 10 20010db8000000000000000000000001 00 81' + ORIGIN + AS_PATH),
      {
        kind: 'afisafi-disable',
        subcode: 9,
        data: '800e160002011020010db800000000000000000000000100' + '81',
      },
    ],
    [
      '§7.11 MP_REACH shorter than 5 octets → session reset',
      updateBody('', '800e03 000201' + ORIGIN + AS_PATH),
      { kind: 'session-reset', subcode: 5, data: '800e03000201' },
    ],
    [
      '§5.3 MP_UNREACH IPv6 prefix overrun → AFI/SAFI disable',
      updateBody('', '800f06 0002 01 40 2001'),
      { kind: 'afisafi-disable', subcode: 9, data: '800f06000201402001' },
    ],
    [
      'RFC 4760 §7: unsupported AFI/SAFI in MP_REACH is skipped',
      updateBody('', '800e0a 0019 46 04 0a000001 00 00' + ORIGIN + AS_PATH + NEXT_HOP, NLRI),
      { kind: 'update', discarded: [14] },
    ],
    [
      '§3(h) discard + treat-as-withdraw → treat-as-withdraw wins',
      updateBody('', BASE + '400601 00' + 'c00800', NLRI),
      TAW([5, 5], ['10.1.0.0/24']),
    ],
    [
      '§3(h) treat-as-withdraw + session reset → session reset wins',
      updateBody('', '40010103' + AS_PATH + NEXT_HOP + MP6 + MP6),
      { kind: 'session-reset', subcode: 1, data: MP6.replace(/\s/g, '') },
    ],
  ])('%s', (_n, body, expected) => {
    expect(run(body)).toEqual(expected);
  });

  it('§2 treat-as-withdraw covers the MP_REACH_NLRI and MP_UNREACH_NLRI prefixes when parsable', () => {
    const un = '800f0b 0002 01 30 20010db80009 00';
    const out = run(updateBody(WITHDRAWN, un + MP6 + '40010103' + AS_PATH + NEXT_HOP, NLRI));
    expect(out).toEqual(
      TAW([6], ['10.2.0.0/16', '10.1.0.0/24', '2001:db8:1::/48', '2001:db8:9::/48', '::/0']),
    );
  });

  it('reports a missing attribute only once when it was present but malformed', () => {
    const out = run(updateBody('', '40010200 00' + AS_PATH + NEXT_HOP, NLRI));
    expect(out).toEqual(TAW([5], ['10.1.0.0/24']));
  });
});

describe('RFC 6793 AS4_PATH / AS4_AGGREGATOR handling', () => {
  const AS2: BgpCodecContext = { as4: false };
  // 2-octet AS_PATH: SEQ 65001 AS_TRANS AS_TRANS
  const AS_PATH2 = '400208 0203 fde9 5ba0 5ba0';
  const AS4_PATH = 'c0110a 0202 fa56ea01 fa56ea02';
  const NH = NEXT_HOP;

  function decoded(attrs: string, ctx = AS2): UpdateDecodeResult & { kind: 'update' } {
    const res = decodeUpdate(new Reader(fromHex(updateBody('', attrs, NLRI))), ctx);
    if (res.kind !== 'update') throw new Error(res.kind);
    return res;
  }

  it('§4.2.3 merges AS4_PATH into AS_PATH from an OLD speaker', () => {
    const res = decoded(ORIGIN + AS_PATH2 + NH + AS4_PATH);
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments).toEqual([
      { type: 2, asns: [65001, 4200000001, 4200000002] },
    ]);
    expect(findAttr(res.update.attributes, 'AS4_PATH')).toBeUndefined();
    expect(res.discarded).toEqual([]);
  });

  it('§4.2.3 AGGREGATOR other than AS_TRANS → AS4_PATH and AS4_AGGREGATOR ignored', () => {
    const res = decoded(
      ORIGIN + AS_PATH2 + NH + 'c00706 fde9 0a000001' + AS4_PATH + 'c01208 fa56ea01 0a000001',
    );
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments).toEqual([
      { type: 2, asns: [65001, 23456, 23456] },
    ]);
    expect(findAttr(res.update.attributes, 'AGGREGATOR')?.asn).toBe(65001);
    expect(res.discarded.map((d) => d.action)).toEqual(['attribute-discard']);
  });

  it('§4.2.3 AGGREGATOR = AS_TRANS takes the AS from AS4_AGGREGATOR', () => {
    const res = decoded(
      ORIGIN + AS_PATH2 + NH + 'c00706 5ba0 0a000001' + AS4_PATH + 'c01208 fa56ea01 0a000001',
    );
    expect(findAttr(res.update.attributes, 'AGGREGATOR')?.asn).toBe(4200000001);
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments[0]?.asns).toEqual([
      65001, 4200000001, 4200000002,
    ]);
  });

  it('§6 malformed AS4_PATH is discarded and AS_PATH used', () => {
    const res = decoded(ORIGIN + AS_PATH2 + NH + 'c01106 0203 fa56ea01');
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments[0]?.asns).toEqual([
      65001, 23456, 23456,
    ]);
    expect(res.discarded.map((d) => [d.attrCode, d.action])).toEqual([[17, 'attribute-discard']]);
  });

  it('§6 AS4_PATH with a confederation segment is discarded', () => {
    const res = decoded(ORIGIN + AS_PATH2 + NH + 'c01106 0301 fa56ea01');
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments[0]?.asns).toEqual([
      65001, 23456, 23456,
    ]);
    expect(res.discarded.map((d) => d.attrCode)).toEqual([17]);
  });

  it('§6 AS4_AGGREGATOR of length 6 is discarded', () => {
    const res = decoded(ORIGIN + AS_PATH2 + NH + 'c01206 fa56 0a000001');
    expect(res.discarded.map((d) => d.attrCode)).toEqual([18]);
  });

  it('§6 AS4_PATH with wrong flags (well-known) is discarded, not a withdraw', () => {
    const res = decoded(ORIGIN + AS_PATH2 + NH + '40110a 0202 fa56ea01 fa56ea02');
    expect(res.discarded.map((d) => [d.attrCode, d.subcode])).toEqual([[17, 4]]);
  });

  it('§4.1 AS4_PATH received from a NEW (4-octet) speaker is discarded', () => {
    const res = decoded(BASE + AS4_PATH, AS4);
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments).toEqual([
      { type: 2, asns: [65001] },
    ]);
    expect(res.discarded.map((d) => d.action)).toEqual(['attribute-discard']);
  });
});
