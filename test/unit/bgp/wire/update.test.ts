import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../src/lib/bytes/index.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { Writer } from '../../../../src/lib/bytes/writer.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import type { BgpCodecContext } from '../../../../src/bgp/wire/header.js';
import {
  decodeUpdate,
  encodeUpdate,
  findAttr,
  updateLength,
  type UpdateMessage,
} from '../../../../src/bgp/wire/update.js';
import { decodeMessage, encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import { checkCodec, type Codec } from '../../../support/codec-harness.js';
import { msg, pfx, pfxs, updateBody } from '../helpers.js';

function codec(ctx: BgpCodecContext): Codec<UpdateMessage> {
  return {
    encode: (w, v) => {
      encodeUpdate(w, v, ctx);
    },
    decode: (r) => {
      const res = decodeUpdate(r, ctx);
      if (res.kind !== 'update') throw new Error(`unexpected ${res.kind}`);
      return res.update;
    },
    length: (v) => updateLength(v, ctx),
  };
}

const AS4: BgpCodecContext = { as4: true };
const AS2: BgpCodecContext = { as4: false };

// RFC 4271 §4.3 attribute encodings (flags, type, length, value).
const ORIGIN_IGP = '400101 00';
const AS_PATH4_65001_65002 = '40020a 02 02 0000fde9 0000fdea';
const NEXT_HOP_10_0_0_1 = '400304 0a000001';
const MED_100 = '800404 00000064';
const LOCAL_PREF_200 = '400504 000000c8';
const COMMUNITY_65001_100 = 'c00804 fde90064'; // RFC 1997 §3
const LARGE_COMM = 'c0200c 0000fde9 00000001 00000002'; // RFC 8092 §3

describe('UPDATE codec (RFC 4271 §4.3)', () => {
  it('decodes a full IPv4 UPDATE with 4-octet AS_PATH', () => {
    const body = updateBody(
      '10 0a02',
      [
        ORIGIN_IGP,
        AS_PATH4_65001_65002,
        NEXT_HOP_10_0_0_1,
        MED_100,
        LOCAL_PREF_200,
        COMMUNITY_65001_100,
        LARGE_COMM,
      ].join(''),
      '18 0a0100 20 c0a80101',
    );
    const res = decodeUpdate(new Reader(fromHex(body)), AS4);
    expect(res.kind).toBe('update');
    if (res.kind !== 'update') return;
    const u = res.update;
    expect(res.discarded).toEqual([]);
    expect(pfxs(u.withdrawn)).toEqual(['10.2.0.0/16']);
    expect(pfxs(u.nlri)).toEqual(['10.1.0.0/24', '192.168.1.1/32']);
    expect(findAttr(u.attributes, 'ORIGIN')?.origin).toBe(0);
    expect(findAttr(u.attributes, 'AS_PATH')?.segments).toEqual([
      { type: 2, asns: [65001, 65002] },
    ]);
    expect(findAttr(u.attributes, 'NEXT_HOP')?.nextHop).toEqual(mustParseIp('10.0.0.1'));
    expect(findAttr(u.attributes, 'MULTI_EXIT_DISC')?.med).toBe(100);
    expect(findAttr(u.attributes, 'LOCAL_PREF')?.localPref).toBe(200);
    expect(findAttr(u.attributes, 'COMMUNITIES')?.communities).toEqual([0xfde90064]);
    expect(findAttr(u.attributes, 'LARGE_COMMUNITY')?.communities).toEqual([
      { globalAdmin: 65001, localData1: 1, localData2: 2 },
    ]);
    checkCodec(codec(AS4), u, body);
  });

  it('encodes AS_PATH with 2-octet ASNs for an OLD speaker, AS_TRANS for large ASNs (RFC 6793 §4.2.2)', () => {
    const u: UpdateMessage = {
      withdrawn: [],
      nlri: [pfx('10.1.0.0/24')],
      attributes: [
        { type: 'ORIGIN', flags: 0x40, origin: 0 },
        { type: 'AS_PATH', flags: 0x40, segments: [{ type: 2, asns: [65001, 4200000001] }] },
        { type: 'NEXT_HOP', flags: 0x40, nextHop: mustParseIp('10.0.0.1') },
      ],
    };
    const bytes = checkCodec(codec(AS2), u);
    expect(bytes.toString('hex')).toContain('400206' + '0202' + 'fde9' + '5ba0');
  });

  it('round-trips ATOMIC_AGGREGATE, AGGREGATOR (2- and 4-octet), ORIGINATOR_ID and CLUSTER_LIST', () => {
    const attrs4 = [
      ORIGIN_IGP,
      '400200',
      NEXT_HOP_10_0_0_1,
      '400600', // RFC 4271 §5.1.6
      'c00708 0000fde9 0a000001', // AGGREGATOR, 4-octet (RFC 6793 §3)
      '800904 0a0000fe', // ORIGINATOR_ID (RFC 4456 §8)
      '800a08 0a0000fe 0a0000fd', // CLUSTER_LIST
    ].join('');
    const body = updateBody('', attrs4, '08 0a');
    const r4 = decodeUpdate(new Reader(fromHex(body)), AS4);
    if (r4.kind !== 'update') throw new Error(r4.kind);
    expect(findAttr(r4.update.attributes, 'AGGREGATOR')).toMatchObject({ asn: 65001 });
    expect(findAttr(r4.update.attributes, 'ORIGINATOR_ID')?.originatorId).toBe(0x0a0000fe);
    expect(findAttr(r4.update.attributes, 'CLUSTER_LIST')?.clusterIds).toEqual([
      0x0a0000fe, 0x0a0000fd,
    ]);
    expect(findAttr(r4.update.attributes, 'ATOMIC_AGGREGATE')).toBeDefined();
    checkCodec(codec(AS4), r4.update, body);
    // The same with a 6-octet AGGREGATOR between OLD speakers.
    const body2 = updateBody(
      '',
      [ORIGIN_IGP, '400200', NEXT_HOP_10_0_0_1, 'c00706 fde9 0a000001'].join(''),
      '08 0a',
    );
    const r2 = decodeUpdate(new Reader(fromHex(body2)), AS2);
    if (r2.kind !== 'update') throw new Error(r2.kind);
    checkCodec(codec(AS2), r2.update, body2);
  });

  it('decodes IPv6 MP_REACH_NLRI with global + link-local next hop (RFC 4760 §3, RFC 2545 §3)', () => {
    const nh = '20010db8000000000000000000000001' + 'fe800000000000000000000000000001';
    const mp = `800e35 0002 01 20 ${nh} 00 30 20010db80001 40 20010db800020000`;
    const body = updateBody('', `${mp}${ORIGIN_IGP}${AS_PATH4_65001_65002}`);
    const res = decodeUpdate(new Reader(fromHex(body)), AS4);
    if (res.kind !== 'update') throw new Error(res.kind);
    const reach = findAttr(res.update.attributes, 'MP_REACH_NLRI');
    expect(reach?.nextHops).toEqual([mustParseIp('2001:db8::1'), mustParseIp('fe80::1')]);
    expect(pfxs(reach?.nlri ?? [])).toEqual(['2001:db8:1::/48', '2001:db8:2::/64']);
    checkCodec(codec(AS4), res.update, body);
  });

  it('decodes IPv6 MP_REACH_NLRI with a single 16-octet next hop and MP_UNREACH_NLRI (RFC 4760 §4)', () => {
    const mp = `800e1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80001`;
    const un = `800f0b 0002 01 30 20010db80009 00`; // ::/0 withdrawn too
    const body = updateBody('', `${un}${mp}${ORIGIN_IGP}${AS_PATH4_65001_65002}`);
    const res = decodeUpdate(new Reader(fromHex(body)), AS4);
    if (res.kind !== 'update') throw new Error(res.kind);
    expect(pfxs(findAttr(res.update.attributes, 'MP_UNREACH_NLRI')?.withdrawn ?? [])).toEqual([
      '2001:db8:9::/48',
      '::/0',
    ]);
    checkCodec(codec(AS4), res.update, body);
  });

  it('puts MP attributes first when encoding (RFC 7606 §5.1)', () => {
    const u: UpdateMessage = {
      withdrawn: [],
      nlri: [],
      attributes: [
        { type: 'ORIGIN', flags: 0x40, origin: 2 },
        { type: 'AS_PATH', flags: 0x40, segments: [] },
        {
          type: 'MP_REACH_NLRI',
          flags: 0x80,
          afi: 2,
          safi: 1,
          nextHops: [mustParseIp('2001:db8::1')],
          nlri: [pfx('2001:db8::/32')],
        },
      ],
    };
    const bytes = checkCodec(codec(AS4), u);
    expect(bytes.subarray(4, 6).toString('hex')).toBe('800e');
  });

  it('uses the Extended Length flag for values over 255 octets (RFC 4271 §4.3)', () => {
    const communities = Array.from({ length: 100 }, (_, i) => 0xfde90000 + i);
    const u: UpdateMessage = {
      withdrawn: [],
      nlri: [pfx('10.0.0.0/8')],
      attributes: [
        { type: 'ORIGIN', flags: 0x40, origin: 0 },
        { type: 'AS_PATH', flags: 0x40, segments: [{ type: 2, asns: [65001] }] },
        { type: 'NEXT_HOP', flags: 0x40, nextHop: mustParseIp('10.0.0.1') },
        { type: 'COMMUNITIES', flags: 0xc0, communities },
      ],
    };
    const bytes = checkCodec(codec(AS4), u);
    expect(bytes.toString('hex')).toContain('d0080190');
  });

  it('splits AS_SEQUENCEs longer than 255 ASNs into several segments', () => {
    const asns = Array.from({ length: 300 }, (_, i) => 64512 + (i % 100));
    const u: UpdateMessage = {
      withdrawn: [],
      nlri: [],
      attributes: [{ type: 'AS_PATH', flags: 0x40, segments: [{ type: 2, asns }] }],
    };
    const w = new Writer(64);
    encodeUpdate(w, u, AS4);
    const bytes = w.finish();
    expect(bytes.length).toBe(updateLength(u, AS4));
    const res = decodeUpdate(new Reader(bytes), AS4);
    if (res.kind !== 'update') throw new Error(res.kind);
    const segs = findAttr(res.update.attributes, 'AS_PATH')?.segments ?? [];
    expect(segs.map((s) => s.asns.length)).toEqual([255, 45]);
  });

  it('keeps an unknown optional transitive attribute with Partial set and drops an unknown non-transitive one (RFC 4271 §5)', () => {
    const body = updateBody(
      '',
      `${ORIGIN_IGP}${AS_PATH4_65001_65002}${NEXT_HOP_10_0_0_1}c0630201 02 80640103`,
      '08 0a',
    );
    const res = decodeUpdate(new Reader(fromHex(body)), AS4);
    if (res.kind !== 'update') throw new Error(res.kind);
    const unknown = res.update.attributes.filter((a) => a.type === 'UNKNOWN');
    expect(unknown).toEqual([
      { type: 'UNKNOWN', code: 0x63, flags: 0xe0, value: Uint8Array.of(1, 2) },
    ]);
    const again = encodeMessageBytes({ type: 'UPDATE', update: res.update }, AS4);
    expect(again.toString('hex')).toContain('e0630201 02'.replace(/\s/g, ''));
    expect(again.toString('hex')).not.toContain('806401');
  });

  it('accepts an End-of-RIB marker: empty UPDATE (RFC 4724 §2)', () => {
    const wire = msg(2, '00000000');
    const d = decodeMessage(wire, AS4);
    expect(d).toEqual({
      type: 'UPDATE',
      result: {
        kind: 'update',
        update: { withdrawn: [], attributes: [], nlri: [] },
        discarded: [],
      },
    });
  });
});
