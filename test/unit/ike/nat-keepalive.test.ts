/**
 * IkeSaManager NAT-keepalives on the FakeClock (RFC 3948 §2.3, RFC 7296 §2.23): while an IKE SA
 * is established and we are behind a NAT, one 0xFF datagram goes from our NAT-T endpoint to the
 * peer every `natKeepaliveSec` (20 s here); none without a NAT in front of us; none after delete.
 */
import { describe, expect, it } from 'vitest';
import { A_ADDR, B_ADDR, established, makePair, TUNNEL } from '../../integration/ike-pair/pair.js';

const NO_DPD = { dpd: { intervalSec: 0, retries: 2, mode: 'periodic' as const } };

describe('IkeSaManager: NAT-keepalive', () => {
  it('sends one every 20 s from the NAT-T endpoint while behind a NAT', () => {
    const p = makePair({ ...NO_DPD, privateAddress: '10.0.0.5' }, NO_DPD);
    p.run();
    const a = established(p.a)[0];
    expect(a?.natLocal).toBe(true);
    expect(p.net.keepalives).toHaveLength(0);
    p.advance(19_000);
    expect(p.net.keepalives).toHaveLength(0);
    p.advance(1_000);
    expect(p.net.keepalives).toHaveLength(1);
    const auth = p.net.record.find((r) => r.summary === 'IKE_AUTH req #1');
    const k = p.net.keepalives[0];
    expect(k?.data.toString('hex')).toBe('ff');
    // Same NAT mapping as IKE on 4500 (the one the peer's ESP goes back to).
    expect(k?.from).toEqual(auth?.from);
    expect(k?.from.address).toBe(A_ADDR);
    expect(k?.to).toEqual({ address: B_ADDR, port: 4500 });
    p.advance(40_000);
    expect(p.net.keepalives).toHaveLength(3);
    // B only sees a NAT in front of its peer: it sends none.
    expect(p.net.keepalives.every((d) => d.to.address === B_ADDR)).toBe(true);
  });

  it('sends none when we are not behind a NAT', () => {
    const p = makePair(NO_DPD, NO_DPD);
    p.run();
    expect(established(p.a)[0]?.natLocal).toBe(false);
    p.advance(120_000, 10_000);
    expect(p.net.keepalives).toHaveLength(0);
  });

  it('stops after the IKE SA is deleted', () => {
    const p = makePair({ ...NO_DPD, privateAddress: '10.0.0.5' }, NO_DPD);
    p.run();
    p.advance(40_000);
    expect(p.net.keepalives).toHaveLength(2);
    p.a.mgr.removeTunnel(TUNNEL);
    p.run();
    expect(p.a.mgr.sas(TUNNEL)).toHaveLength(0);
    p.advance(100_000, 10_000);
    expect(p.net.keepalives).toHaveLength(2);
  });

  it('keeps sending from the new IKE SA after an IKE rekey', () => {
    const p = makePair({ ...NO_DPD, privateAddress: '10.0.0.5' }, NO_DPD);
    p.run();
    const old = established(p.a)[0];
    if (!old) throw new Error('not established');
    old.deps.queueIkeRekey(old);
    p.run();
    expect(old.state).toBe('destroyed');
    const fresh = established(p.a)[0];
    expect(fresh).not.toBe(old);
    expect(fresh?.natLocal).toBe(true);
    const before = p.net.keepalives.length;
    p.advance(60_000);
    // One timer per live IKE SA: exactly three more in 60 s.
    expect(p.net.keepalives.length - before).toBe(3);
  });
});
