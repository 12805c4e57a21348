import { describe, expect, it } from 'vitest';
import { established, keysMatch, makePair, TUNNEL } from './pair.js';

const NO_DPD = { dpd: { intervalSec: 0, retries: 2, mode: 'periodic' as const } };

describe('IKE pair: IKE SA rekey (RFC 7296 §1.3.2, §2.18)', () => {
  it('new IKE SA takes over the children; the old one is deleted', () => {
    const p = makePair();
    p.run();
    const oldA = established(p.a)[0];
    const oldB = established(p.b)[0];
    if (!oldA || !oldB) throw new Error('not established');
    const child = oldA.currentChild;
    const calls = p.a.installer.calls.length;
    const start = p.net.record.length;
    oldA.deps.queueIkeRekey(oldA);
    expect(oldA.state).toBe('rekeying');
    p.net.step(); // CREATE_CHILD_SA request (IKE proposal with the new SPI)
    p.net.step(); // response: A has the new SA, queues the Delete of the old one
    const newA = established(p.a).find((s) => s !== oldA);
    expect(newA?.children).toHaveLength(1);
    expect(newA?.currentChild).toBe(child);
    expect(oldA.children).toHaveLength(0);
    p.run();
    expect(p.net.summaries(start)).toEqual([
      '198.51.100.1>203.0.113.2 CREATE_CHILD_SA req #2',
      '203.0.113.2>198.51.100.1 CREATE_CHILD_SA resp #2',
      '198.51.100.1>203.0.113.2 INFORMATIONAL req #3',
      '203.0.113.2>198.51.100.1 INFORMATIONAL resp #3',
    ]);
    expect(oldA.state).toBe('destroyed');
    expect(oldB.state).toBe('destroyed');
    expect(p.a.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(1);
    const newB = established(p.b)[0];
    expect(newB?.spiI).toBe(newA?.spiI);
    expect(newB?.spiR).toBe(newA?.spiR);
    expect(newA?.keys?.skD.equals(newB?.keys?.skD ?? Buffer.alloc(0))).toBe(true);
    expect(newA?.keys?.skD.equals(oldA.keys?.skD ?? Buffer.alloc(0))).toBe(false);
    // The data plane was not touched by the IKE rekey.
    expect(p.a.installer.calls.slice(calls).filter((c) => c.op !== 'setOutbound')).toEqual([]);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
    // Message IDs restart at 0 on the new SA, and it carries a child rekey (new SK_d).
    const c = newA?.currentChild;
    if (!newA || !c) throw new Error('no child');
    newA.requestChildRekey(c, 'manual');
    const before = p.net.record.length;
    p.run();
    expect(p.net.summaries(before)[0]).toBe('198.51.100.1>203.0.113.2 CREATE_CHILD_SA req #0');
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
    expect(p.a.events.filter((e) => e.type === 'ike:sa:established')).toHaveLength(2);
  });

  it('the IKE lifetime timer rekeys before 28800 s; the tunnel stays up', () => {
    const p = makePair(NO_DPD, NO_DPD);
    p.run();
    const first = established(p.a)[0];
    p.advance(27_900_000, 100_000);
    expect(established(p.a)[0]).toBe(first);
    p.advance(400_000, 10_000);
    const now = established(p.a);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(first);
    expect(established(p.b)).toHaveLength(1);
    expect(p.a.events.some((e) => e.type === 'peer-dead' || e.type === 'ike:sa:failed')).toBe(
      false,
    );
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('simultaneous IKE rekey (§2.8.2) ends with one IKE SA per side', () => {
    const p = makePair();
    p.run();
    const a = established(p.a)[0];
    const b = established(p.b)[0];
    if (!a || !b) throw new Error('not established');
    a.deps.queueIkeRekey(a);
    b.deps.queueIkeRekey(b);
    p.run();
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
    expect(established(p.a)[0]).not.toBe(a);
    const logs = p.a.logs.join('') + p.b.logs.join('');
    expect(logs).toContain('simultaneous ike rekey lost');
    expect(established(p.b)[0]).not.toBe(b);
    expect(p.a.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(established(p.a)[0]?.spiI).toBe(established(p.b)[0]?.spiI);
    expect(established(p.a)[0]?.children).toHaveLength(1);
    expect(established(p.b)[0]?.children).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});
