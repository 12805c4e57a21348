/**
 * The IKE layer never re-installs the SA that already is a tunnel's outbound SA: the data path
 * would restart its ESP sequence at 1 and the peer's anti-replay window (RFC 4303 §3.3.3) would
 * drop everything. After an IKE rekey (RFC 7296 §2.18) the children move to the new IKE SA and
 * the data plane sees no setOutbound at all.
 */
import { describe, expect, it } from 'vitest';
import type { RecordingInstaller } from '../../support/recording-installer.js';
import { established, keysMatch, makePair, TUNNEL } from './pair.js';

function setOutbounds(installer: RecordingInstaller, from = 0): number[] {
  return installer.calls
    .slice(from)
    .flatMap((c) => (c.op === 'setOutbound' ? [(c as { spi: number }).spi] : []));
}

describe('IKE pair: outbound SA is not re-installed', () => {
  it('after an IKE rekey neither side calls setOutbound', () => {
    const p = makePair();
    p.run();
    const oldA = established(p.a)[0];
    if (!oldA) throw new Error('not established');
    const spiOut = oldA.currentChild?.spiOut;
    expect(spiOut).toBeDefined();
    expect(setOutbounds(p.a.installer)).toEqual([spiOut]);
    const callsA = p.a.installer.calls.length;
    const callsB = p.b.installer.calls.length;
    oldA.deps.queueIkeRekey(oldA);
    p.run();
    expect(oldA.state).toBe('destroyed');
    expect(established(p.a)).toHaveLength(1);
    expect(p.a.installer.calls.slice(callsA)).toEqual([]);
    expect(p.b.installer.calls.slice(callsB)).toEqual([]);
    expect(p.a.installer.outbound(TUNNEL)?.spi).toBe(spiOut);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('after an IKE rekey with a NAT in front of us, still no re-install', () => {
    const p = makePair({ privateAddress: '10.0.0.5' }, {});
    p.run();
    const oldA = established(p.a)[0];
    if (!oldA) throw new Error('not established');
    const a0 = setOutbounds(p.a.installer).length;
    const b0 = setOutbounds(p.b.installer).length;
    oldA.deps.queueIkeRekey(oldA);
    p.run();
    expect(oldA.state).toBe('destroyed');
    expect(setOutbounds(p.a.installer).length).toBe(a0);
    expect(setOutbounds(p.b.installer).length).toBe(b0);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('simultaneous setup: every setOutbound names an SPI that was not already outbound', () => {
    const p = makePair({}, { initiate: true });
    p.run();
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
    for (const s of [p.a, p.b]) {
      const spis = setOutbounds(s.installer);
      for (let i = 1; i < spis.length; i++) expect(spis[i]).not.toBe(spis[i - 1]);
    }
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});
