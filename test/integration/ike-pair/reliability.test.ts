import { describe, expect, it } from 'vitest';
import { established, keysMatch, makePair, TUNNEL } from './pair.js';

describe('IKE pair: reliability (RFC 7296 §2.1)', () => {
  it('lost response: request retransmitted after 4 s, cached response re-sent', () => {
    const p = makePair();
    let dropped = false;
    p.net.filter = (_d, s) => {
      if (s === 'IKE_AUTH resp #1' && !dropped) {
        dropped = true;
        return 'drop';
      }
      return 'deliver';
    };
    p.run();
    expect(established(p.b)).toHaveLength(1);
    expect(established(p.a)).toHaveLength(0);
    p.clock.advance(3999);
    expect(p.net.queue).toHaveLength(0);
    p.clock.advance(1);
    expect(p.net.queue).toHaveLength(1);
    p.run();
    expect(established(p.a)).toHaveLength(1);
    const b = established(p.b)[0];
    expect(b?.tm.counters.responsesResent).toBe(1);
    expect(established(p.a)[0]?.tm.counters.retransmits).toBe(1);
    expect(keysMatch(p.a, p.b)).toBe(true);
    // B installed its child once only.
    expect(p.b.installer.calls.filter((c) => c.op === 'addInbound')).toHaveLength(1);
  });

  it('backoff 4 s × 1.8^n, 5 retransmits, then the SA is dead', () => {
    const p = makePair();
    p.net.filter = () => 'drop';
    p.run();
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const next = p.clock.nextIn();
      if (next === undefined) break;
      p.clock.advance(next);
      if (p.net.queue.length) {
        times.push(p.clock.now());
        p.run();
      }
      if (p.a.events.some((e) => e.type === 'peer-dead')) break;
    }
    // 4000 × 1.8^n: 4000, 7200, 12960, 23328, 41990, then 75583 until the SA is declared dead.
    expect(times).toEqual([4000, 11200, 24160, 47488, 89478]);
    expect(p.a.events.map((e) => e.type)).toEqual(['peer-dead']);
    expect(p.clock.now()).toBe(165061);
  });

  it('duplicate responses are ignored', () => {
    const p = makePair();
    p.net.filter = (_d, s) => (s.endsWith('resp #1') ? 'duplicate' : 'deliver');
    p.run();
    const a = established(p.a)[0];
    expect(a?.tm.counters.dropped).toBe(1);
    expect(p.a.installer.calls.filter((c) => c.op === 'setOutbound')).toHaveLength(1);
    expect(keysMatch(p.a, p.b)).toBe(true);
  });

  it('fragments large encrypted messages when both support RFC 7383', () => {
    const p = makePair({ fragmentSize: 200 }, { fragmentSize: 200 });
    p.run();
    const auth = p.net.summaries().filter((s) => s.includes('IKE_AUTH'));
    expect(auth.length).toBeGreaterThan(2);
    expect(keysMatch(p.a, p.b)).toBe(true);
  });

  it('NAT detected: IKE moves to 4500, ESP UDP-encapsulated, peer port followed', () => {
    const p = makePair({ privateAddress: '10.0.0.5' }, {});
    p.run();
    const a = established(p.a)[0];
    const b = established(p.b)[0];
    expect(a?.natLocal).toBe(true);
    expect(b?.natRemote).toBe(true);
    expect(a?.local.port).toBe(4500);
    const req = p.net.record.find((r) => r.summary === 'IKE_AUTH req #1');
    const resp = p.net.record.find((r) => r.summary === 'IKE_AUTH resp #1');
    expect(req?.from.port).not.toBe(500);
    expect(resp?.to).toEqual(req?.from);
    expect(req?.to.port).toBe(4500);
    expect(p.a.installer.tunnels.get(TUNNEL)?.path).toEqual({
      local: { address: '10.0.0.5', port: 4500 },
      remote: { address: '203.0.113.2', port: 4500 },
      udpEncap: true,
    });
    expect(p.b.installer.tunnels.get(TUNNEL)?.path?.remote).toEqual(req?.from);
    expect(p.a.installer.tunnels.get(TUNNEL)?.path?.udpEncap).toBe(true);
    expect(p.b.installer.tunnels.get(TUNNEL)?.path?.udpEncap).toBe(true);
    expect(keysMatch(p.a, p.b)).toBe(true);
    // The NAT forgets its mapping; the next authenticated message moves B's peer port.
    p.net.resetNatMappings(42000);
    const before = b?.remote.port;
    a?.tm.queue({
      type: 'ike-dpd',
      exchangeType: 37,
      build: () => 'done',
      process: () => 'done',
    });
    p.run();
    expect(b?.remote.port).toBe(42000);
    expect(before).not.toBe(42000);
    expect(p.b.installer.calls.at(-1)).toEqual({
      op: 'updatePath',
      tunnel: TUNNEL,
      remotePort: 42000,
    });
  });
});
