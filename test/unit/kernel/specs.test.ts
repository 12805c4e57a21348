import { describe, expect, it } from 'vitest';
import { Errno, KernelError, errnoName, errnoText } from '../../../src/kernel/errors.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  FR_ACT_TO_TBL,
} from '../../../src/kernel/netlink/constants.js';
import {
  nexthopMessage,
  nexthopSpecOf,
  ruleMessage,
  ruleOp,
  ruleSpecOf,
} from '../../../src/kernel/specs.js';

describe('nexthop specs', () => {
  it('builds a group (AF_UNSPEC, default weight 1) and a gateway nexthop', () => {
    expect(
      nexthopMessage(
        { id: 10, group: [{ id: 1 }, { id: 2, weight: 3 }], protocol: 186 },
        undefined,
        'op',
      ),
    ).toEqual({
      scope: 0,
      protocol: 186,
      flags: 0,
      id: 10,
      family: AF_UNSPEC,
      group: [
        { id: 1, weight: 1 },
        { id: 2, weight: 3 },
      ],
    });
    expect(nexthopMessage({ id: 1, dev: 'va', via: '2001:db8::2' }, 3, 'op')).toEqual({
      scope: 0,
      protocol: 4,
      flags: 0,
      id: 1,
      family: AF_INET6,
      oif: 3,
      gateway: Uint8Array.from(Buffer.from('20010db8000000000000000000000002', 'hex')),
    });
    expect(nexthopMessage({ id: 2, dev: 'tun0' }, 9, 'op').family).toBe(AF_INET);
  });

  it('rejects a nexthop with nothing to point at, or a group mixed with dev', () => {
    expect(() => nexthopMessage({ id: 1 }, undefined, 'replace nexthop 1')).toThrow(
      'replace nexthop 1: needs dev, via or group',
    );
    expect(() => nexthopMessage({ id: 1, dev: 'x', group: [{ id: 2 }] }, 1, 'op')).toThrow(
      KernelError,
    );
  });

  it('maps dumped nexthops back to specs', () => {
    expect(
      nexthopSpecOf(
        {
          family: AF_INET,
          scope: 0,
          protocol: 186,
          flags: 0,
          id: 1,
          oif: 3,
          gateway: Uint8Array.from([192, 0, 2, 2]),
        },
        new Map([[3, 'va']]),
      ),
    ).toEqual({ id: 1, protocol: 186, family: 4, dev: 'va', via: '192.0.2.2' });
  });
});

describe('rule specs', () => {
  it('builds a source rule and maps it back', () => {
    const spec = { family: 4 as const, priority: 100, table: 1000, src: '10.1.0.0/16' };
    const m = ruleMessage(spec, 'op');
    expect(m).toEqual({
      family: AF_INET,
      dstLen: 0,
      srcLen: 16,
      tos: 0,
      table: 1000,
      action: FR_ACT_TO_TBL,
      flags: 0,
      priority: 100,
      src: Uint8Array.from([10, 1, 0, 0]),
    });
    expect(ruleSpecOf(m, 4)).toEqual(spec);
    expect(ruleOp('add', spec)).toBe('add rule pref 100 from 10.1.0.0/16 table 1000');
  });
  it('rejects a selector of the other family', () => {
    expect(() =>
      ruleMessage({ family: 6, priority: 1, table: 2, src: '10.0.0.0/8' }, 'op'),
    ).toThrow(KernelError);
  });
});

describe('KernelError', () => {
  it('names the operation, the errno text and the extended ACK', () => {
    const e = new KernelError('add address 10.0.0.1/32 on lo', Errno.EEXIST);
    expect(e.message).toBe('add address 10.0.0.1/32 on lo: File exists');
    expect(e.code).toBe('ERR_KERNEL');
    expect(e.errnoName).toBe('EEXIST');
    const x = new KernelError(
      'replace nexthop 3',
      Errno.ENETUNREACH,
      'Nexthop has invalid gateway',
    );
    expect(x.message).toBe(
      'replace nexthop 3: Network is unreachable (Nexthop has invalid gateway)',
    );
    expect(errnoName(9999)).toBe('ERRNO_9999');
    expect(errnoText(Errno.ESRCH)).toBe('No such process');
  });
});
