import { describe, expect, it } from 'vitest';
import { ChildSa } from '../../../../src/ike/sa/child-sa.js';
import { losesCollision } from '../../../../src/ike/tasks/child-rekey.js';
import { describeId, idPayload } from '../../../../src/ike/tasks/ike-auth.js';
import { IkeDpdInitiator } from '../../../../src/ike/tasks/ike-dpd.js';
import { IdType } from '../../../../src/ike/wire/constants.js';

function child(ni: string, nr: string): ChildSa {
  const keys = { encKey: Buffer.alloc(36), integKey: Buffer.alloc(0) };
  return new ChildSa({
    spiIn: 0x1000,
    spiOut: 0x2000,
    suite: { encryption: 'aes-gcm-256', integrity: null, esn: false, dhGroup: null },
    keysIn: keys,
    keysOut: keys,
    tsi: [],
    tsr: [],
    nonceI: Buffer.from(ni, 'hex'),
    nonceR: Buffer.from(nr, 'hex'),
    createdByUs: true,
    createdAtMs: 0,
  });
}

describe('IKE_AUTH identities (RFC 7296 §3.5)', () => {
  it('encodes ID_IPV4_ADDR, ID_IPV6_ADDR and ID_FQDN', () => {
    const v4 = idPayload('idi', { type: 'ipv4', value: '20.1.2.3' });
    expect(v4).toEqual({
      kind: 'idi',
      idType: IdType.ID_IPV4_ADDR,
      data: Buffer.from([20, 1, 2, 3]),
    });
    const v6 = idPayload('idr', { type: 'ipv6', value: '2001:db8::1' });
    expect(v6.idType).toBe(IdType.ID_IPV6_ADDR);
    expect(v6.data).toHaveLength(16);
    expect(describeId(v6)).toBe('ipv6:2001:db8::1');
    const f = idPayload('idi', { type: 'fqdn', value: 'vpn.example' });
    expect(describeId(f)).toBe('fqdn:vpn.example');
    expect(
      describeId({ kind: 'idi', idType: IdType.ID_KEY_ID, data: Buffer.from('ab', 'hex') }),
    ).toBe('type11:ab');
  });
});

describe('simultaneous rekey rule (RFC 7296 §2.8.1)', () => {
  it('the SA holding the lowest of the four nonces loses', () => {
    const a = child('05ff', 'ff00');
    const b = child('0600', '0700');
    expect(a.minNonce.toString('hex')).toBe('05ff');
    expect(losesCollision(a, b)).toBe(true);
    expect(losesCollision(b, a)).toBe(false);
  });

  it('child SA JSON carries SPIs and state, never keys', () => {
    const c = child('01', '02');
    expect(JSON.stringify(c)).toBe('{"spiIn":"00001000","spiOut":"00002000","state":"creating"}');
  });
});

describe('DPD retransmissions (dpd INTERVAL RETRIES)', () => {
  it('retransmits every interval until interval × retries after the peer was last heard', () => {
    // First probe at +3 s (IkeSa), waits 3 s + 3 s: dead at +9 s.
    const t = new IkeDpdInitiator({ intervalSec: 3, retries: 3 });
    expect(t.retransmitScheduleMs).toEqual([3000, 3000]);
  });
  it('waits at least one interval for an answer to the only probe', () => {
    expect(new IkeDpdInitiator({ intervalSec: 10, retries: 1 }).retransmitScheduleMs).toEqual([
      10000,
    ]);
    expect(new IkeDpdInitiator({ intervalSec: 40, retries: 2 }).retransmitScheduleMs).toEqual([
      40000,
    ]);
  });
});
