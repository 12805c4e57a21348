/**
 * rtnetlink message bodies against requests iproute2 6.1 sent and replies the kernel gave
 * (test/vectors/netlink/captured.json), plus round trips and random-input fuzzing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NetError } from '../../../../src/lib/errors.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  FR_ACT_TO_TBL,
  Iff,
  NlmF,
  RtmType,
  Rtn,
} from '../../../../src/kernel/netlink/constants.js';
import {
  decodeAddress,
  encodeAddress,
  type AddressMessage,
} from '../../../../src/kernel/netlink/address.js';
import { decodeLink, encodeLink, type LinkMessage } from '../../../../src/kernel/netlink/link.js';
import {
  decodeNexthop,
  encodeNexthop,
  type NexthopMessage,
} from '../../../../src/kernel/netlink/nexthop.js';
import {
  decodeRoute,
  encodeRoute,
  type RouteMessage,
} from '../../../../src/kernel/netlink/route.js';
import { decodeRule, encodeRule, type RuleMessage } from '../../../../src/kernel/netlink/rule.js';
import { decodeMessages, NlWriter, type NlMsg } from '../../../../src/kernel/netlink/wire.js';
import { allReads, lastRead, lastWrite } from './vectors.js';

const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

/** Re-encode a captured request from its decoded body with the captured header fields. */
function reencode<T>(
  captured: Buffer,
  decode: (p: Buffer) => T,
  encode: (w: NlWriter, m: T) => void,
): {
  msg: NlMsg;
  body: T;
  bytes: string;
} {
  const [msg] = decodeMessages(captured);
  const body = decode(msg!.payload);
  const w = new NlWriter();
  const at = w.beginMessage(msg!.type, msg!.flags, msg!.seq, msg!.pid);
  encode(w, body);
  w.endMessage(at);
  return { msg: msg!, body, bytes: w.finish().toString('hex') };
}

function encodeOne<T>(
  type: number,
  flags: number,
  seq: number,
  encode: (w: NlWriter, m: T) => void,
  m: T,
): string {
  const w = new NlWriter();
  const at = w.beginMessage(type, flags, seq);
  encode(w, m);
  w.endMessage(at);
  return w.finish().toString('hex');
}

describe('ifaddrmsg (linux/if_addr.h)', () => {
  it('encodes `ip addr add 10.0.0.1/32 dev lo` byte for byte', () => {
    const cap = lastWrite('ip addr add 10.0.0.1/32 dev lo');
    const [msg] = decodeMessages(cap);
    const m: AddressMessage = {
      family: AF_INET,
      prefixLen: 32,
      flags: 0,
      scope: 0,
      index: 1,
      local: v4('10.0.0.1'),
      address: v4('10.0.0.1'),
    };
    expect(msg!.type).toBe(RtmType.RTM_NEWADDR);
    expect(msg!.flags).toBe(NlmF.REQUEST | NlmF.ACK | NlmF.EXCL | NlmF.CREATE);
    expect(encodeOne(msg!.type, msg!.flags, msg!.seq, encodeAddress, m)).toBe(cap.toString('hex'));
    expect(decodeAddress(msg!.payload)).toEqual(m);
  });

  it('encodes `ip addr add 2001:db8::1/128 dev lo` byte for byte', () => {
    const cap = lastWrite('ip addr add 2001:db8::1/128 dev lo');
    const r = reencode(cap, decodeAddress, encodeAddress);
    expect(r.bytes).toBe(cap.toString('hex'));
    expect(r.body.family).toBe(AF_INET6);
    expect(r.body.prefixLen).toBe(128);
    expect(Buffer.from(r.body.address!).toString('hex')).toBe('20010db8000000000000000000000001');
  });
});

describe('ifinfomsg (linux/rtnetlink.h, linux/if_link.h)', () => {
  it('encodes `ip link set dev va mtu 1400` byte for byte', () => {
    const cap = lastWrite('ip link set dev va mtu 1400');
    const [msg] = decodeMessages(cap);
    const m: LinkMessage = { family: AF_UNSPEC, type: 0, index: 3, flags: 0, change: 0, mtu: 1400 };
    expect(encodeOne(RtmType.RTM_NEWLINK, msg!.flags, msg!.seq, encodeLink, m)).toBe(
      cap.toString('hex'),
    );
  });

  it('decodes the kernel reply to `ip -d link show dev va` (IFLA_LINKINFO / IFLA_INFO_KIND)', () => {
    // ip reads the link (and, for -d, its veth peer); pick the largest reply, the one for va.
    const reads = allReads('ip -d link show dev va').sort((a, b) => b.length - a.length);
    const [reply] = decodeMessages(reads[0]!);
    expect(reply!.type).toBe(RtmType.RTM_NEWLINK);
    const l = decodeLink(reply!.payload);
    expect(l.name).toBe('va');
    expect(l.mtu).toBe(1400);
    expect(l.kind).toBe('veth');
    expect(l.type).toBe(1); // ARPHRD_ETHER
    expect(l.flags & Iff.UP).toBe(Iff.UP);
    expect(l.flags & Iff.LOWER_UP).toBe(Iff.LOWER_UP);
  });

  it('round-trips name, mtu, operstate, kind and ext mask', () => {
    const m: LinkMessage = {
      family: 0,
      type: 65534,
      index: 7,
      flags: Iff.UP | Iff.POINTOPOINT,
      change: Iff.UP,
      name: 'Tunnel101',
      mtu: 1400,
      operstate: 6,
      kind: 'tun',
      extMask: 8,
    };
    const hex = encodeOne(RtmType.RTM_NEWLINK, 0, 1, encodeLink, m);
    expect(decodeLink(decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload)).toEqual(m);
  });
});

describe('rtmsg (linux/rtnetlink.h)', () => {
  it('encodes `ip route add 10.1.0.0/24 nhid 10 proto bgp table 1000` byte for byte', () => {
    const cap = lastWrite('ip route add 10.1.0.0/24 nhid 10 proto bgp table 1000');
    const [msg] = decodeMessages(cap);
    const m: RouteMessage = {
      family: AF_INET,
      dstLen: 24,
      srcLen: 0,
      tos: 0,
      table: 1000,
      protocol: 186,
      scope: 0,
      type: Rtn.RTN_UNICAST,
      flags: 0,
      dst: v4('10.1.0.0'),
      nhId: 10,
    };
    expect(encodeOne(RtmType.RTM_NEWROUTE, msg!.flags, msg!.seq, encodeRoute, m)).toBe(
      cap.toString('hex'),
    );
    expect(decodeRoute(msg!.payload)).toEqual(m);
  });

  it('decodes and re-encodes an RTA_MULTIPATH request (struct rtnexthop, weight = hops + 1)', () => {
    const cap = lastWrite(
      'ip route add 10.2.0.0/24 proto bgp nexthop via 192.0.2.2 dev va nexthop via 198.51.100.2 dev vc weight 3',
    );
    const r = reencode(cap, decodeRoute, encodeRoute);
    expect(r.bytes).toBe(cap.toString('hex'));
    expect(r.body.table).toBe(254);
    expect(r.body.multipath).toEqual([
      { flags: 0, weight: 1, ifindex: 3, gateway: v4('192.0.2.2') },
      { flags: 0, weight: 3, ifindex: 5, gateway: v4('198.51.100.2') },
    ]);
  });

  it('round-trips gateway, oif, prefsrc, priority and IPv6', () => {
    const m: RouteMessage = {
      family: AF_INET6,
      dstLen: 48,
      srcLen: 0,
      tos: 0,
      table: 254,
      protocol: 4,
      scope: 0,
      type: 1,
      flags: 0,
      dst: Buffer.from('20010db8000100000000000000000000', 'hex'),
      gateway: Buffer.from('fe800000000000000000000000000001', 'hex'),
      oif: 9,
      prefsrc: Buffer.from('20010db8000000000000000000000001', 'hex'),
      priority: 1024,
    };
    const hex = encodeOne(RtmType.RTM_NEWROUTE, 0, 1, encodeRoute, m);
    const back = decodeRoute(decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload);
    expect(back).toEqual({
      ...m,
      dst: Uint8Array.from(m.dst!),
      gateway: Uint8Array.from(m.gateway!),
      prefsrc: Uint8Array.from(m.prefsrc!),
    });
  });
});

describe('nhmsg (linux/nexthop.h)', () => {
  it('encodes `ip nexthop add id 10 group 1/2,3 proto bgp` byte for byte', () => {
    const cap = lastWrite('ip nexthop add id 10 group 1/2,3 proto bgp');
    const [msg] = decodeMessages(cap);
    const m: NexthopMessage = {
      family: AF_UNSPEC,
      scope: 0,
      protocol: 186,
      flags: 0,
      id: 10,
      group: [
        { id: 1, weight: 1 },
        { id: 2, weight: 3 },
      ],
    };
    expect(encodeOne(RtmType.RTM_NEWNEXTHOP, msg!.flags, msg!.seq, encodeNexthop, m)).toBe(
      cap.toString('hex'),
    );
  });

  it('encodes `ip nexthop add id 1 via 192.0.2.2 dev va proto bgp` byte for byte', () => {
    const cap = lastWrite('ip nexthop add id 1 via 192.0.2.2 dev va proto bgp');
    const r = reencode(cap, decodeNexthop, encodeNexthop);
    expect(r.bytes).toBe(cap.toString('hex'));
    expect(r.body).toEqual({
      family: AF_INET,
      scope: 0,
      protocol: 186,
      flags: 0,
      id: 1,
      gateway: v4('192.0.2.2'),
      oif: 3,
    });
  });

  it('decodes the kernel reply to `ip nexthop show id 10` (group with weights)', () => {
    const [msg] = decodeMessages(lastRead('ip nexthop show id 10'));
    const nh = decodeNexthop(msg!.payload);
    expect(nh.id).toBe(10);
    expect(nh.protocol).toBe(186);
    expect(nh.groupType).toBe(0);
    expect(nh.group).toEqual([
      { id: 1, weight: 1 },
      { id: 2, weight: 3 },
    ]);
  });

  it('round-trips a blackhole nexthop', () => {
    const m: NexthopMessage = {
      family: AF_INET,
      scope: 0,
      protocol: 4,
      flags: 0,
      id: 5,
      blackhole: true,
    };
    const hex = encodeOne(RtmType.RTM_NEWNEXTHOP, 0, 1, encodeNexthop, m);
    expect(decodeNexthop(decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload)).toEqual(m);
  });
});

describe('fib_rule_hdr (linux/fib_rules.h)', () => {
  it('encodes `ip rule add from 10.1.0.0/16 table 1000 pref 100` byte for byte', () => {
    const cap = lastWrite('ip rule add from 10.1.0.0/16 table 1000 pref 100');
    const [msg] = decodeMessages(cap);
    const m: RuleMessage = {
      family: AF_INET,
      dstLen: 0,
      srcLen: 16,
      tos: 0,
      table: 1000,
      action: FR_ACT_TO_TBL,
      flags: 0,
      priority: 100,
      src: v4('10.1.0.0'),
    };
    expect(encodeOne(RtmType.RTM_NEWRULE, msg!.flags, msg!.seq, encodeRule, m)).toBe(
      cap.toString('hex'),
    );
    expect(decodeRule(msg!.payload)).toEqual(m);
  });
});

describe('fuzz: body decoders on random bytes throw only DecodeError subclasses', () => {
  const decoders: [string, (p: Buffer) => unknown][] = [
    ['link', decodeLink],
    ['address', decodeAddress],
    ['route', decodeRoute],
    ['nexthop', decodeNexthop],
    ['rule', decodeRule],
  ];
  for (const [name, decode] of decoders) {
    it(name, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 160 }), (bytes) => {
          try {
            decode(Buffer.from(bytes));
          } catch (e) {
            expect(e).toBeInstanceOf(NetError);
            expect((e as NetError).code.startsWith('ERR_DECODE')).toBe(true);
          }
        }),
        { numRuns: 1500 },
      );
    });
  }

  it('mutated captured replies decode or throw DecodeError', () => {
    const base = allReads('ip -d link show dev va').sort((a, b) => b.length - a.length)[0]!;
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        const b = Buffer.from(base);
        b[pos] = byte;
        try {
          for (const m of decodeMessages(b))
            if (m.type === RtmType.RTM_NEWLINK) decodeLink(m.payload);
        } catch (e) {
          expect((e as NetError).code.startsWith('ERR_DECODE')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('round trips on generated messages', () => {
  const u8 = fc.integer({ min: 0, max: 255 });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
  it('routes', () => {
    fc.assert(
      fc.property(
        u8,
        u32,
        addr4,
        fc.option(u32, { nil: undefined }),
        fc.option(u32, { nil: undefined }),
        (len, table, dst, nh, prio) => {
          const m: RouteMessage = {
            family: AF_INET,
            dstLen: len % 33,
            srcLen: 0,
            tos: 0,
            table,
            protocol: 186,
            scope: 0,
            type: 1,
            flags: 0,
            dst,
            ...(nh !== undefined ? { nhId: nh } : {}),
            ...(prio !== undefined ? { priority: prio } : {}),
          };
          const hex = encodeOne(RtmType.RTM_NEWROUTE, 0, 1, encodeRoute, m);
          expect(decodeRoute(decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload)).toEqual(m);
        },
      ),
    );
  });
  it('nexthop groups', () => {
    fc.assert(
      fc.property(
        u32,
        fc.array(fc.record({ id: u32, weight: fc.integer({ min: 1, max: 256 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        (id, group) => {
          const m: NexthopMessage = { family: 0, scope: 0, protocol: 186, flags: 0, id, group };
          const hex = encodeOne(RtmType.RTM_NEWNEXTHOP, 0, 1, encodeNexthop, m);
          expect(decodeNexthop(decodeMessages(Buffer.from(hex, 'hex'))[0]!.payload)).toEqual(m);
        },
      ),
    );
  });
});
