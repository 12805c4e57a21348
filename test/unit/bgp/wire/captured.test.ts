/**
 * Messages captured from BIRD 2.0.12 and FRR 8.4.4 (test/vectors/bgp/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import {
  IPV4_UNICAST,
  IPV6_UNICAST,
  negotiateOpen,
  parseBgpId,
} from '../../../../src/bgp/open-negotiation.js';
import type { BgpCodecContext } from '../../../../src/bgp/wire/header.js';
import {
  decodeMessage,
  encodeMessageBytes,
  type BgpMessage,
  type DecodedBgpMessage,
} from '../../../../src/bgp/wire/message.js';
import { findAttr, type UpdateMessage } from '../../../../src/bgp/wire/update.js';
import type { OpenMessage } from '../../../../src/bgp/wire/open.js';
import { pfxs } from '../helpers.js';

interface VectorFile {
  source: string;
  messages: { type: string; hex: string }[];
}

function load(name: string): VectorFile {
  return JSON.parse(
    readFileSync(new URL(`../../../vectors/bgp/${name}`, import.meta.url), 'utf8'),
  ) as VectorFile;
}

function decodeAll(v: VectorFile, ctx: BgpCodecContext): DecodedBgpMessage[] {
  return v.messages.map((m) => {
    const d = decodeMessage(Buffer.from(m.hex, 'hex'), ctx);
    expect(d.type).toBe(m.type);
    return d;
  });
}

function open(d: DecodedBgpMessage | undefined): OpenMessage {
  if (d?.type !== 'OPEN') throw new Error('not an OPEN');
  return d.open;
}

function update(d: DecodedBgpMessage | undefined): UpdateMessage {
  if (d?.type !== 'UPDATE' || d.result.kind !== 'update') throw new Error('not a clean UPDATE');
  expect(d.result.discarded).toEqual([]);
  return d.result.update;
}

function asSendable(d: DecodedBgpMessage): BgpMessage {
  if (d.type !== 'UPDATE') return d;
  if (d.result.kind !== 'update') throw new Error('treat-as-withdraw');
  return { type: 'UPDATE', update: d.result.update };
}

const LOCAL = {
  localAs: 65002,
  localBgpId: parseBgpId('10.99.0.1')!,
  holdTimeSec: 90,
  families: [IPV4_UNICAST, IPV6_UNICAST],
  enhancedRouteRefresh: true,
};

describe('captured BIRD 2.0.12 messages (4-octet AS 4200000002)', () => {
  const v = load('bird-2.0.12-as4.json');
  const ctx = { as4: true };
  const msgs = decodeAll(v, ctx);

  it('OPEN: AS_TRANS + capability 65, negotiates a 4-octet IPv4+IPv6 session', () => {
    const o = open(msgs[0]);
    expect(o.myAs).toBe(23456);
    const s = negotiateOpen(o, { ...LOCAL, remoteAs: 4200000002 });
    expect(s).toMatchObject({ remoteAs: 4200000002, as4: true, holdTimeSec: 90, keepaliveSec: 30 });
    expect(s.families).toEqual([IPV4_UNICAST, IPV6_UNICAST]);
    expect(s.routeRefresh && s.enhancedRouteRefresh).toBe(true);
  });

  it('IPv4 UPDATE with MED, COMMUNITIES and LARGE_COMMUNITY, then End-of-RIB', () => {
    const u = update(msgs[2]);
    expect(pfxs(u.nlri)).toEqual(['10.20.0.0/16', '192.0.2.128/25', '10.21.0.0/16']);
    expect(findAttr(u.attributes, 'AS_PATH')?.segments).toEqual([{ type: 2, asns: [4200000002] }]);
    expect(findAttr(u.attributes, 'NEXT_HOP')?.nextHop).toEqual(mustParseIp('10.99.0.2'));
    expect(findAttr(u.attributes, 'MULTI_EXIT_DISC')?.med).toBe(50);
    expect(findAttr(u.attributes, 'COMMUNITIES')?.communities).toEqual([65515 * 65536 + 100]);
    expect(findAttr(u.attributes, 'LARGE_COMMUNITY')?.communities).toEqual([
      { globalAdmin: 4200000002, localData1: 1, localData2: 2 },
    ]);
    expect(update(msgs[3])).toEqual({ withdrawn: [], attributes: [], nlri: [] });
  });

  it('IPv6 MP_REACH_NLRI (Extended Length flag) and the IPv6 End-of-RIB (empty MP_UNREACH_NLRI)', () => {
    const reach = findAttr(update(msgs[4]).attributes, 'MP_REACH_NLRI');
    expect(reach?.flags).toBe(0x90);
    expect(reach?.nextHops).toEqual([mustParseIp('2001:db8::2')]);
    expect(pfxs(reach?.nlri ?? [])).toEqual(['2001:db8:20::/48']);
    const eor = findAttr(update(msgs[5]).attributes, 'MP_UNREACH_NLRI');
    expect(eor).toMatchObject({ afi: 2, safi: 1, withdrawn: [] });
  });

  it('our encoder reproduces BIRD byte for byte, except where BIRD sets Extended Length on short values', () => {
    const same = msgs.map(
      (d, i) => encodeMessageBytes(asSendable(d), ctx).toString('hex') === v.messages[i]!.hex,
    );
    expect(same).toEqual([true, true, true, true, false, true]);
    const reDecoded = decodeMessage(encodeMessageBytes(asSendable(msgs[4]!), ctx), ctx);
    expect(update(reDecoded).attributes.slice(1)).toEqual(update(msgs[4]).attributes.slice(1));
  });
});

describe('captured BIRD 2.0.12 as an OLD speaker (enable as4 off)', () => {
  const v = load('bird-2.0.12-old-speaker.json');
  const ctx = { as4: false };
  const msgs = decodeAll(v, ctx);

  it('OPEN without capability 65 but with My AS = AS_TRANS is refused: Bad Peer AS (RFC 6793)', () => {
    let err: unknown;
    try {
      negotiateOpen(open(msgs[0]), { ...LOCAL, remoteAs: 4200000002 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BgpNotificationError);
    expect((err as BgpNotificationError).subcode).toBe(2);
  });

  it('RFC 6793 §4.2.3: AS_PATH 23456 + AS4_PATH 4200000002 → path 4200000002', () => {
    expect(v.messages[2]!.hex).toContain('4002040201' + '5ba0');
    expect(v.messages[2]!.hex).toContain('c01106' + '0201' + 'fa56ea02');
    const u = update(msgs[2]);
    expect(findAttr(u.attributes, 'AS_PATH')?.segments).toEqual([{ type: 2, asns: [4200000002] }]);
    expect(findAttr(u.attributes, 'AS4_PATH')).toBeUndefined();
    expect(pfxs(u.nlri)).toEqual(['10.20.0.0/16', '192.0.2.128/25', '10.21.0.0/16']);
  });
});

describe('captured FRR 8.4.4 messages (AS 65515)', () => {
  const v = load('frr-8.4.4.json');
  const ctx = { as4: true };
  const msgs = decodeAll(v, ctx);

  it('OPEN: FRR capability set, unknown ones kept, hold time negotiated down to ours', () => {
    const o = open(msgs[0]);
    const codes = o.capabilities.map((c) => (c.kind === 'unknown' ? c.code : c.kind));
    expect(codes).toEqual([
      'multiprotocol',
      'multiprotocol',
      128,
      'route-refresh',
      'enhanced-route-refresh',
      'four-octet-as',
      'extended-message',
      69,
      73,
      64,
      71,
    ]);
    const s = negotiateOpen(o, { ...LOCAL, remoteAs: 65515 });
    expect(s).toMatchObject({
      remoteAs: 65515,
      holdTimeSec: 90,
      keepaliveSec: 30,
      routeRefresh: true,
      extendedMessage: false,
    });
  });

  it('IPv4 UPDATE with an Extended Length AS_PATH and MED 0', () => {
    const u = update(msgs[2]);
    expect(findAttr(u.attributes, 'AS_PATH')).toEqual({
      type: 'AS_PATH',
      flags: 0x50,
      segments: [{ type: 2, asns: [65515] }],
    });
    expect(findAttr(u.attributes, 'MULTI_EXIT_DISC')?.med).toBe(0);
    expect(pfxs(u.nlri)).toEqual(['10.30.0.0/16', '10.31.128.0/17']);
  });

  it('IPv6 MP_REACH_NLRI over an IPv4 session uses an IPv4-mapped next hop', () => {
    const reach = findAttr(update(msgs[3]).attributes, 'MP_REACH_NLRI');
    expect(reach?.nextHops).toEqual([mustParseIp('::ffff:10.99.0.3')]);
    expect(pfxs(reach?.nlri ?? [])).toEqual(['2001:db8:30::/48']);
  });

  it('every captured message survives encode → decode unchanged in meaning', () => {
    for (const d of msgs) {
      const again = decodeMessage(encodeMessageBytes(asSendable(d), ctx), ctx);
      if (d.type === 'UPDATE') {
        const strip = (u: UpdateMessage) =>
          u.attributes.map((a) => ({ ...a, flags: a.flags & 0xe0 }));
        expect(strip(update(again))).toEqual(strip(update(d)));
      } else {
        expect(again).toEqual(d);
      }
    }
  });
});
