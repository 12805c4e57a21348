import { describe, expect, it } from 'vitest';
import {
  asPathLength,
  firstAs,
  formatAsPath,
  mergeAs4Path,
  needsAs4,
} from '../../../../src/bgp/wire/attributes/as-path.js';
import { withAs4ForOldSpeaker } from '../../../../src/bgp/wire/attributes/as4.js';
import {
  findAttr,
  type AsPathSegment,
  type PathAttribute,
} from '../../../../src/bgp/wire/attributes/types.js';
import { decodeUpdate, encodeUpdate } from '../../../../src/bgp/wire/update.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { Writer } from '../../../../src/lib/bytes/writer.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { pfx } from '../helpers.js';

const SEQ = (...asns: number[]): AsPathSegment => ({ type: 2, asns });
const SET = (...asns: number[]): AsPathSegment => ({ type: 1, asns });
const CSEQ = (...asns: number[]): AsPathSegment => ({ type: 3, asns });
const T = 23456;

describe('AS path helpers', () => {
  it('RFC 4271 §9.1.2.2(a): AS_SET counts 1, confederation segments 0', () => {
    expect(asPathLength([SEQ(1, 2, 3), SET(4, 5), CSEQ(6, 7)])).toBe(4);
  });

  it('renders sequences, {sets} and (confed sequences)', () => {
    expect(formatAsPath([CSEQ(65100), SEQ(65001, 65002), SET(1, 2)])).toBe(
      '(65100) 65001 65002 {1 2}',
    );
    expect(firstAs([SEQ(65001, 2)])).toBe(65001);
    expect(firstAs([SET(1)])).toBeUndefined();
    expect(needsAs4([SEQ(65535)])).toBe(false);
    expect(needsAs4([SEQ(65536)])).toBe(true);
  });
});

describe('RFC 6793 §4.2.3 AS4_PATH reconstruction', () => {
  it.each<[string, AsPathSegment[], AsPathSegment[], AsPathSegment[]]>([
    [
      'prepends the leading ASes of AS_PATH',
      [SEQ(65001, T, T)],
      [SEQ(4200000001, 4200000002)],
      [SEQ(65001, 4200000001, 4200000002)],
    ],
    [
      'equal counts: AS4_PATH replaces AS_PATH',
      [SEQ(T, 65002)],
      [SEQ(4200000001, 65002)],
      [SEQ(4200000001, 65002)],
    ],
    [
      'AS_PATH shorter than AS4_PATH: AS4_PATH ignored',
      [SEQ(T)],
      [SEQ(4200000001, 65002)],
      [SEQ(T)],
    ],
    [
      'AS_SET counts as one on both sides',
      [SEQ(T, 65002), SET(65003, 65004)],
      [SEQ(4200000001, 65002), SET(65003, 65004)],
      [SEQ(4200000001, 65002), SET(65003, 65004)],
    ],
    [
      'a leading AS_SET is taken whole',
      [SET(1, 2), SEQ(T)],
      [SEQ(4200000001)],
      [SET(1, 2), SEQ(4200000001)],
    ],
    [
      'a leading confederation segment is prepended (it counts zero)',
      [CSEQ(65100), SEQ(65001, T)],
      [SEQ(4200000001)],
      [CSEQ(65100), SEQ(65001, 4200000001)],
    ],
    [
      'a sequence is cut in the middle when needed',
      [SEQ(1, 2, 3, T)],
      [SEQ(4200000001, 4200000002)],
      [SEQ(1, 2, 4200000001, 4200000002)],
    ],
  ])('%s', (_n, asPath, as4Path, expected) => {
    expect(mergeAs4Path(asPath, as4Path)).toEqual(expected);
    // The reconstructed path always has as many ASes as the AS_PATH that was received.
    expect(asPathLength(mergeAs4Path(asPath, as4Path))).toBe(asPathLength(asPath));
  });
});

describe('RFC 6793 §4.2.2 sending to an OLD speaker', () => {
  it('adds AS4_PATH/AS4_AGGREGATOR so the OLD-speaker round trip restores the 4-octet path', () => {
    const attrs: PathAttribute[] = [
      { type: 'ORIGIN', flags: 0x40, origin: 0 },
      { type: 'AS_PATH', flags: 0x40, segments: [CSEQ(65100), SEQ(65001, 4200000001)] },
      { type: 'NEXT_HOP', flags: 0x40, nextHop: mustParseIp('10.0.0.1') },
      { type: 'AGGREGATOR', flags: 0xc0, asn: 4200000001, address: mustParseIp('10.0.0.9') },
    ];
    const sent = withAs4ForOldSpeaker(attrs);
    // RFC 6793 §4.2.2: no confederation segments in AS4_PATH.
    expect(findAttr(sent, 'AS4_PATH')?.segments).toEqual([SEQ(65001, 4200000001)]);
    expect(findAttr(sent, 'AS4_AGGREGATOR')?.asn).toBe(4200000001);
    const ctx = { as4: false };
    const w = new Writer(64);
    encodeUpdate(w, { withdrawn: [], attributes: sent, nlri: [pfx('10.9.0.0/16')] }, ctx);
    const bytes = w.finish();
    // AS_PATH on the wire: confed (65100), then 65001 AS_TRANS.
    expect(bytes.toString('hex')).toContain('40020a' + '0301fe4c' + '0202fde95ba0');
    const res = decodeUpdate(new Reader(bytes), ctx);
    if (res.kind !== 'update') throw new Error(res.kind);
    expect(findAttr(res.update.attributes, 'AS_PATH')?.segments).toEqual([
      CSEQ(65100),
      SEQ(65001, 4200000001),
    ]);
    expect(findAttr(res.update.attributes, 'AGGREGATOR')?.asn).toBe(4200000001);
    expect(res.discarded).toEqual([]);
  });

  it('adds nothing when every AS fits in 2 octets', () => {
    const attrs: PathAttribute[] = [{ type: 'AS_PATH', flags: 0x40, segments: [SEQ(65001)] }];
    expect(withAs4ForOldSpeaker(attrs)).toEqual(attrs);
  });
});
