import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError, NetError } from '../../../../src/lib/errors.js';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NlmF,
  RtmType,
} from '../../../../src/kernel/netlink/constants.js';
import {
  align4,
  attrMap,
  attrString,
  decodeAttrs,
  decodeDone,
  decodeError,
  decodeMessages,
  NlWriter,
} from '../../../../src/kernel/netlink/wire.js';
import { lastRead } from './vectors.js';

describe('NlWriter / nlmsghdr (linux/netlink.h struct nlmsghdr, struct nlattr)', () => {
  it('writes a header, pads attributes to 4 bytes and patches lengths', () => {
    const w = new NlWriter(8);
    const at = w.beginMessage(RtmType.RTM_GETLINK, NlmF.REQUEST, 0x01020304, 0);
    w.u8(0).u8(0).u16(0).u32(0).u32(0).u32(0); // ifinfomsg
    w.attrString(3, 'lo'); // IFLA_IFNAME: len 7, padded to 8
    w.attrU32(29, 9); // IFLA_EXT_MASK
    w.endMessage(at);
    expect(w.finish().toString('hex')).toBe(
      '30000000' +
        '1200' +
        '0100' +
        '04030201' +
        '00000000' +
        '00000000000000000000000000000000' +
        '0700' +
        '0300' +
        '6c6f0000' +
        '0800' +
        '1d00' +
        '09000000',
    );
  });

  it('nests attributes with NLA_F_NESTED and the nest length covering its children', () => {
    const w = new NlWriter();
    const n = w.beginNest(18); // IFLA_LINKINFO
    w.attrString(1, 'veth'); // IFLA_INFO_KIND, 5 bytes + pad 3
    w.endNest(n);
    const b = w.finish();
    expect(b.toString('hex')).toBe('1000' + '1280' + '0900' + '0100' + '7665746800000000');
    const [outer] = decodeAttrs(b);
    expect(outer?.nested).toBe(true);
    expect(outer?.type).toBe(18);
    expect(attrString(attrMap(decodeAttrs(outer!.value)).get(1))).toBe('veth');
  });

  it('splits concatenated messages and rejects impossible lengths', () => {
    const w = new NlWriter();
    for (const seq of [1, 2]) {
      const at = w.beginMessage(NLMSG_DONE, NlmF.MULTI, seq, 77);
      w.i32(0);
      w.endMessage(at);
    }
    const msgs = decodeMessages(w.finish());
    expect(msgs.map((m) => [m.type, m.seq, m.pid, m.payload.length])).toEqual([
      [NLMSG_DONE, 1, 77, 4],
      [NLMSG_DONE, 2, 77, 4],
    ]);
    expect(decodeDone(msgs[0]!)).toBe(0);
    expect(() => decodeMessages(Buffer.from('0f000000000000000000000000000000', 'hex'))).toThrow(
      DecodeError,
    );
    expect(() => decodeMessages(Buffer.from('ff000000000000000000000000000000', 'hex'))).toThrow(
      DecodeError,
    );
    expect(() => decodeMessages(Buffer.alloc(5))).toThrow(DecodeError);
  });

  it('align4', () => {
    expect([0, 1, 4, 5, 7, 8].map(align4)).toEqual([0, 4, 4, 8, 8, 8]);
  });
});

describe('NLMSG_ERROR (linux/netlink.h struct nlmsgerr, enum nlmsgerr_attrs)', () => {
  it('decodes a kernel error with the full request echoed and an extended ACK message', () => {
    // Kernel reply to `ip route add 10.3.0.0/24 nhid 99` (no CAP_ACK: request included).
    const [msg] = decodeMessages(lastRead('ip route add 10.3.0.0/24 nhid 99'));
    expect(msg?.type).toBe(NLMSG_ERROR);
    expect((msg!.flags & NlmF.ACK_TLVS) !== 0).toBe(true);
    const e = decodeError(msg!);
    expect(e.errno).toBe(22); // EINVAL
    expect(e.message).toBe('Nexthop id does not exist');
    expect(e.request.type).toBe(RtmType.RTM_NEWROUTE);
    expect(e.request.seq).toBe(msg!.seq);
  });

  it('decodes a plain ACK (errno 0, capped)', () => {
    const [msg] = decodeMessages(lastRead('ip rule add from 10.1.0.0/16 table 1000 pref 100'));
    const e = decodeError(msg!);
    expect(e.errno).toBe(0);
    expect(e.message).toBeNull();
    expect(e.request.type).toBe(RtmType.RTM_NEWRULE);
  });

  it('decodes a capped error with TLVs (NETLINK_CAP_ACK + NETLINK_EXT_ACK, hand-built)', () => {
    const w = new NlWriter();
    const at = w.beginMessage(NLMSG_ERROR, NlmF.CAPPED | NlmF.ACK_TLVS, 9, 1234);
    w.i32(-17); // -EEXIST
    w.u32(40).u16(RtmType.RTM_NEWADDR).u16(0x605).u32(9).u32(0); // original header only
    w.attrString(1, 'address exists');
    w.attrU32(2, 24);
    w.endMessage(at);
    const e = decodeError(decodeMessages(w.finish())[0]!);
    expect(e).toEqual({
      errno: 17,
      request: { type: RtmType.RTM_NEWADDR, flags: 0x605, seq: 9, pid: 0 },
      message: 'address exists',
      offset: 24,
    });
  });

  it('rejects a positive error and a short payload', () => {
    const w = new NlWriter();
    let at = w.beginMessage(NLMSG_ERROR, 0, 1);
    w.i32(5).u32(16).u32(0).u32(0).u32(0);
    w.endMessage(at);
    expect(() => decodeError(decodeMessages(w.finish())[0]!)).toThrow(DecodeError);
    const w2 = new NlWriter();
    at = w2.beginMessage(NLMSG_ERROR, 0, 1);
    w2.i32(0);
    w2.endMessage(at);
    expect(() => decodeError(decodeMessages(w2.finish())[0]!)).toThrow(DecodeError);
  });
});

describe('fuzz: framing decoders throw only DecodeError subclasses', () => {
  const onlyDecodeErrors = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(NetError);
      expect((e as NetError).code.startsWith('ERR_DECODE')).toBe(true);
    }
  };
  it('decodeMessages, decodeAttrs, decodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        onlyDecodeErrors(() => decodeMessages(b));
        onlyDecodeErrors(() => decodeAttrs(b));
        onlyDecodeErrors(() =>
          decodeError({
            type: NLMSG_ERROR,
            flags: b[0] ?? 0 | NlmF.ACK_TLVS,
            seq: 1,
            pid: 0,
            payload: b,
          }),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
