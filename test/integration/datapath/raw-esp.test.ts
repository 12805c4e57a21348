/**
 * Native datapath with ESP as IP protocol 50 (RFC 4303 without RFC 3948 encapsulation), root +
 * network namespaces: raw IPPROTO_ESP sockets on both ends (the kernel here has no ESP of its own),
 * IPv4 pings and a TCP stream through the tunnel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsPair, iperfThroughTunnel } from './netns-pair.js';

describe('native datapath over raw ESP (protocol 50)', () => {
  let pair: NetnsPair | undefined;

  beforeAll(async () => {
    pair = await NetnsPair.start({ vnetHdr: true, rawEsp: true, prefix: `nvre${process.pid}` });
  });

  afterAll(() => {
    pair?.close();
  });

  it('carries pings and counts them on both SAs', async () => {
    const p = pair!;
    const out = p.exec(p.nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', p.innerB]);
    expect(out).toMatch(/3 received/);
    const a = await p.counters('a');
    const b = await p.counters('b');
    expect(a.out.packets).toBeGreaterThanOrEqual(3);
    expect(b.in.packets).toBeGreaterThanOrEqual(3);
    expect(a.in.packets).toBeGreaterThanOrEqual(3);
  });

  it('carries a TCP stream', () => {
    const p = pair!;
    const r = iperfThroughTunnel(p, 2);
    expect(r.gbps).toBeGreaterThan(0.01);
  });
});
