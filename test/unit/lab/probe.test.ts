/** Judging an nvad "fully up" from its API answers (show crypto session, show ip bgp summary). */
import { describe, expect, it } from 'vitest';
import { describeHealth, isHealthy, judgeHealth } from '../../../src/lab/probe.js';

function answer(body: unknown, status = 200): { status: number; body: string } {
  return { status, body: JSON.stringify(body) };
}

const sessions = (...st: string[]): unknown => ({
  sessions: st.map((status, i) => ({ interface: `Tunnel10${i + 1}`, status })),
});
const bgp = (...n: [string, boolean, number | null][]): unknown => ({
  neighbors: n.map(([address, established, pfxRcd]) => ({
    address,
    established,
    pfxRcd,
    state: established ? 'Established' : 'Active',
  })),
});

describe('lab health from the nvad API', () => {
  it('is up when every tunnel is UP-ACTIVE and every neighbor Established with routes', () => {
    const h = judgeHealth(
      answer(sessions('UP-ACTIVE', 'UP-ACTIVE')),
      answer(bgp(['169.254.21.2', true, 1], ['169.254.21.6', true, 1])),
    );
    expect(isHealthy(h)).toBe(true);
    expect(describeHealth(h)).toBe('tunnels 2/2 up, BGP 2/2 Established');
  });

  it('names what is not up yet', () => {
    const h = judgeHealth(
      answer(sessions('UP-ACTIVE', 'DOWN-NEGOTIATING')),
      answer(bgp(['169.254.21.2', true, 0], ['169.254.21.6', false, null])),
    );
    expect(isHealthy(h)).toBe(false);
    expect(describeHealth(h)).toBe(
      'tunnels 1/2 up, BGP 1/2 Established (Tunnel102 DOWN-NEGOTIATING, 169.254.21.6 Active)',
    );
    // Established without prefixes is not "routes up"
    const noRoutes = judgeHealth(
      answer(sessions('UP-ACTIVE')),
      answer(bgp(['169.254.21.2', true, 0])),
    );
    expect(isHealthy(noRoutes)).toBe(false);
    expect(isHealthy(noRoutes, false)).toBe(true);
  });

  it('is down when the API does not answer or answers an error', () => {
    const none = judgeHealth({ status: 0, body: '' }, { status: 0, body: '' });
    expect(none.apiUp).toBe(false);
    expect(describeHealth(none)).toBe('API not answering');
    expect(isHealthy(judgeHealth(answer(sessions()), answer({ error: {} }, 404)))).toBe(false);
  });
});
