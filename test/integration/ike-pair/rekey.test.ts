import { describe, expect, it } from 'vitest';
import type { IpsecProposal } from '../../../src/config/types.js';
import { established, keysMatch, makePair, TUNNEL, type Pair, type Side } from './pair.js';

const PFS: IpsecProposal = { encryption: ['aes-gcm-256'], integrity: [], pfsGroup: 'ecp384' };

function child(s: Side) {
  const sa = established(s)[0];
  const c = sa?.currentChild;
  if (!sa || !c) throw new Error(`${s.name} has no child`);
  return { sa, c };
}

function up(pair: Pair): void {
  pair.run();
  expect(keysMatch(pair.a, pair.b)).toBe(true);
}

describe('IKE pair: child SA rekey (RFC 7296 §2.8)', () => {
  it.each([
    ['without PFS', undefined],
    ['with PFS ecp384', [PFS]],
  ] as const)('make-before-break %s, asserted after every hop', (_n, esp) => {
    const o = esp === undefined ? {} : { esp };
    const p = makePair(o, o);
    up(p);
    const { sa: a, c: oldA } = child(p.a);
    const { c: oldB } = child(p.b);
    const start = p.net.record.length;
    a.requestChildRekey(oldA, 'manual');
    expect(oldA.state).toBe('rekeying');
    // Hop 1: CREATE_CHILD_SA request → B adds the new inbound SA, outbound stays old.
    p.net.step();
    expect(p.b.installer.inboundSpis(TUNNEL)).toHaveLength(2);
    expect(p.b.installer.outbound(TUNNEL)?.spi).toBe(oldB.spiOut);
    // Hop 2: response → A adds inbound, switches outbound, sends Delete for the old SA.
    p.net.step();
    expect(p.a.installer.inboundSpis(TUNNEL)).toHaveLength(2);
    expect(p.a.installer.outbound(TUNNEL)?.spi).not.toBe(oldA.spiOut);
    expect(oldA.state).toBe('deleting');
    expect(keysMatch(p.a, p.b)).toBe(true);
    // Hop 3: Delete request → B switches outbound and removes the old SA.
    p.net.step();
    expect(p.b.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(keysMatch(p.b, p.a)).toBe(true);
    // Hop 4: Delete response → A removes the old inbound SA.
    p.net.step();
    expect(p.a.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(oldA.state).toBe('deleted');
    expect(p.net.summaries(start)).toEqual([
      '198.51.100.1>203.0.113.2 CREATE_CHILD_SA req #2',
      '203.0.113.2>198.51.100.1 CREATE_CHILD_SA resp #2',
      '198.51.100.1>203.0.113.2 INFORMATIONAL req #3',
      '203.0.113.2>198.51.100.1 INFORMATIONAL resp #3',
    ]);
    const newA = child(p.a).c;
    expect(newA.suite.dhGroup).toBe(esp === undefined ? null : 'ecp384');
    expect(p.a.installer.calls.slice(-4).map((c) => c.op)).toEqual([
      'addInbound',
      'setOutbound',
      'delete',
      'delete',
    ]);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('rekey is triggered by the lifetime timer (lifetime minus jittered margin)', () => {
    const p = makePair(
      { ipsecLifetimeSec: 600, dpd: { intervalSec: 0, retries: 2, mode: 'periodic' } },
      { ipsecLifetimeSec: 600, dpd: { intervalSec: 0, retries: 2, mode: 'periodic' } },
    );
    up(p);
    const first = child(p.a).c.spiIn;
    p.advance(509_000);
    expect(child(p.a).c.spiIn).toBe(first);
    p.advance(32_000);
    expect(child(p.a).c.spiIn).not.toBe(first);
    expect(p.a.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(p.b.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('installer soft-expire (kilobytes) queues a rekey', () => {
    const p = makePair();
    up(p);
    const { c } = child(p.b);
    p.b.installer.fire({
      kind: 'soft-expire',
      tunnel: TUNNEL,
      spi: c.spiIn,
      direction: 'in',
      reason: 'bytes',
    });
    p.run();
    expect(child(p.b).c.spiIn).not.toBe(c.spiIn);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('PFS mismatch shows only at rekey: NO_PROPOSAL_CHOSEN, old SA kept', () => {
    // Azure-like responder (no PFS) and a local policy demanding PFS (azure-interop pitfall 3).
    const p = makePair({ esp: [PFS] }, {});
    up(p);
    const { sa: a, c } = child(p.a);
    a.requestChildRekey(c, 'manual');
    p.run();
    expect(p.b.logs.join('')).toContain(
      'no ESP proposal chosen; ours: aes-gcm-256/noesn; theirs: aes-gcm-256/ecp384/noesn',
    );
    expect(a.lastError).toMatch(/child sa rekey failed: peer refused child SA: NO_PROPOSAL_CHOSEN/);
    expect(child(p.a).c).toBe(c);
    expect(c.state).toBe('installed');
    expect(keysMatch(p.a, p.b)).toBe(true);
    // The Azure-initiated rekey (no KE) is refused by the PFS side the same way.
    const { sa: b, c: cb } = child(p.b);
    b.requestChildRekey(cb, 'manual');
    p.run();
    expect(p.a.logs.join('')).toContain(
      'no ESP proposal chosen; ours: aes-gcm-256/ecp384/noesn; theirs: aes-gcm-256/noesn',
    );
  });

  it('a refused rekey leaves the child to expire; then the bare IKE SA is deleted and the tunnel restarted', () => {
    const p = makePair({ esp: [PFS] }, {});
    up(p);
    const { sa: a, c } = child(p.a);
    a.requestChildRekey(c, 'manual');
    p.run();
    expect(c.state).toBe('installed');
    // Its hard lifetime ends without a successor.
    p.a.installer.fire({
      kind: 'hard-expire',
      tunnel: TUNNEL,
      spi: c.spiIn,
      direction: 'in',
      reason: 'time',
    });
    p.advance(100, 10);
    expect(a.children).toHaveLength(0);
    expect(a.state).toBe('destroyed');
    expect(established(p.b)).toHaveLength(0);
    const inits = (): number =>
      p.net.summaries().filter((s) => s.startsWith('198.51.100.1>203.0.113.2 IKE_SA_INIT req'))
        .length;
    p.advance(3000, 100);
    expect(inits()).toBe(2);
  });

  it('a rekey responder whose Delete never comes switches outbound after 10 s', () => {
    const p = makePair();
    up(p);
    const { sa: a, c: oldA } = child(p.a);
    const { c: oldB } = child(p.b);
    // Every INFORMATIONAL from A (the Delete of the old SA) is lost.
    p.net.filter = (d, summary) =>
      d.from.address === '198.51.100.1' && summary.includes('INFORMATIONAL') ? 'drop' : 'deliver';
    a.requestChildRekey(oldA, 'manual');
    p.advance(100, 10);
    const fresh = established(p.b)[0]!.children.find((c) => c !== oldB)!;
    expect(fresh).toBeDefined();
    expect(p.b.installer.outbound(TUNNEL)?.spi).toBe(oldB.spiOut);
    p.advance(9_000, 500);
    expect(p.b.installer.outbound(TUNNEL)?.spi).toBe(oldB.spiOut);
    p.advance(1_500, 500);
    expect(p.b.installer.outbound(TUNNEL)?.spi).toBe(fresh.spiOut);
    expect(p.b.logs.join('')).toContain('no delete for the rekeyed child sa; switching outbound');
  });

  it('simultaneous rekey (§2.8.1): the lowest nonce loses, one SA pair survives', () => {
    const p = makePair();
    up(p);
    const { sa: a, c: ca } = child(p.a);
    const { sa: b, c: cb } = child(p.b);
    a.requestChildRekey(ca, 'manual');
    b.requestChildRekey(cb, 'manual');
    p.run();
    expect(p.a.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(p.b.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(established(p.a)[0]?.children).toHaveLength(1);
    expect(established(p.b)[0]?.children).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
    const na = child(p.a).c;
    expect([na.spiIn, na.spiOut]).not.toContain(ca.spiIn);
    const logs = p.a.logs.join('') + p.b.logs.join('');
    expect(logs).toContain('simultaneous rekey won');
    expect(logs).toContain('simultaneous rekey lost');
  });
});

describe('IKE pair: DPD and simultaneous setup', () => {
  it('DPD periodic (dpd 3s 3): probes every 3 s after the last packet, dead 9 s after it, re-initiates', () => {
    const dpd = { intervalSec: 3, retries: 3, mode: 'periodic' as const };
    const p = makePair({ dpd }, { dpd });
    up(p);
    const before = p.net.record.length;
    p.net.filter = (d) => (d.from.address === '203.0.113.2' ? 'drop' : 'deliver');
    const lastHeard = p.a.mgr.sas().find((s) => s.state === 'established')!.lastInboundMs;
    const probes: number[] = [];
    let seen = before;
    let deadAt = -1;
    for (let i = 0; i < 200 && deadAt < 0; i++) {
      p.advance(100);
      for (const s of p.net.summaries(seen)) {
        if (s.startsWith('198.51.100.1>203.0.113.2 INFORMATIONAL req')) probes.push(p.clock.now());
      }
      seen = p.net.record.length;
      if (p.a.events.some((e) => e.type === 'peer-dead')) deadAt = p.clock.now();
    }
    // First probe one interval after the last packet heard, one retransmit, dead at 9 s.
    expect(probes.map((t) => Math.round((t - lastHeard) / 100) / 10)).toEqual([3, 6]);
    expect((deadAt - lastHeard) / 1000).toBeGreaterThanOrEqual(9);
    expect((deadAt - lastHeard) / 1000).toBeLessThanOrEqual(9.1);
    expect(p.a.installer.outbound(TUNNEL)).toBeNull();
    expect(p.a.installer.inboundSpis(TUNNEL)).toEqual([]);
    // initiate: true → a new IKE_SA_INIT after the backoff.
    p.advance(3000, 500);
    expect(p.net.summaries().filter((s) => s.includes('IKE_SA_INIT req')).length).toBe(2);
  });

  it('DPD on-demand: probes only when ESP went out and nothing came back', () => {
    const p = makePair(
      { dpd: { intervalSec: 10, retries: 2, mode: 'on-demand' } },
      { dpd: { intervalSec: 0, retries: 2, mode: 'periodic' } },
    );
    up(p);
    const before = p.net.record.length;
    p.advance(30_000);
    expect(p.net.record.length).toBe(before);
    const { c } = child(p.a);
    p.a.installer.setCounters(TUNNEL, c.spiOut, 'out', {
      packets: 5n,
      bytes: 500n,
      lastUsedMs: p.clock.now(),
    });
    p.advance(10_000);
    expect(p.net.summaries(before)).toEqual([
      '198.51.100.1>203.0.113.2 INFORMATIONAL req #2',
      '203.0.113.2>198.51.100.1 INFORMATIONAL resp #2',
    ]);
  });

  it('simultaneous initiation from both sides ends with one IKE SA', () => {
    const p = makePair({}, { initiate: true });
    p.run();
    p.advance(5000);
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
    expect(established(p.a)[0]?.spiI).toBe(established(p.b)[0]?.spiI);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });

  it('peer IKE delete closes everything; the initiator side re-initiates', () => {
    const p = makePair();
    up(p);
    const b = established(p.b)[0];
    if (!b) throw new Error('no sa');
    p.b.mgr.deleteSa(b, 'admin');
    p.run();
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(0);
    expect(p.a.events.some((e) => e.type === 'ike:sa:deleted')).toBe(true);
    expect(p.a.installer.outbound(TUNNEL)).toBeNull();
    p.advance(3000);
    expect(established(p.a)).toHaveLength(1);
    expect(keysMatch(p.a, p.b)).toBe(true);
  });
});

describe('IKE pair: Azure default policy as peer (azure-interop §1.1, §1.9, pitfalls 2 and 3)', () => {
  const azureIke = [
    { encryption: ['aes-cbc-256'], integrity: ['sha1'], prf: ['sha1'], dhGroup: ['modp1024'] },
    { encryption: ['aes-cbc-256'], integrity: ['sha256'], prf: ['sha256'], dhGroup: ['modp1024'] },
    { encryption: ['aes-cbc-128'], integrity: ['sha1'], prf: ['sha1'], dhGroup: ['modp1024'] },
    { encryption: ['aes-cbc-128'], integrity: ['sha256'], prf: ['sha256'], dhGroup: ['modp1024'] },
  ] as const;
  const azureEsp = [
    { encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null },
    { encryption: ['aes-cbc-256'], integrity: ['sha1'], pfsGroup: null },
    { encryption: ['aes-cbc-256'], integrity: ['sha256'], pfsGroup: null },
    { encryption: ['aes-cbc-128'], integrity: ['sha1'], pfsGroup: null },
  ] as const;
  const ours = {
    ike: [
      {
        encryption: ['aes-cbc-256'],
        integrity: ['sha256'],
        prf: ['sha256'],
        dhGroup: ['modp1024'],
      },
    ],
    esp: [{ encryption: ['aes-cbc-256'], integrity: ['sha256'], pfsGroup: null }],
  } as const;

  it('Azure-initiated child rekey without KE and IKE rekey are accepted', () => {
    const p = makePair(
      { ike: [...ours.ike], esp: [...ours.esp] },
      { ike: [...azureIke], esp: [...azureEsp] },
    );
    p.run();
    const a = established(p.a)[0];
    expect(a?.suite).toEqual({
      encryption: 'aes-cbc-256',
      integrity: 'sha256',
      prf: 'sha256',
      dhGroup: 'modp1024',
    });
    expect(a?.currentChild?.suite).toEqual({
      encryption: 'aes-cbc-256',
      integrity: 'sha256',
      esn: false,
      dhGroup: null,
    });
    // Azure rekeys the child SA with its initiator list (no KE).
    const { sa: b, c } = child(p.b);
    b.requestChildRekey(c, 'manual');
    p.run();
    expect(child(p.a).c.spiOut).not.toBe(c.spiIn);
    expect(child(p.a).c.suite.encryption).toBe('aes-cbc-256');
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
    // Azure rekeys the IKE SA.
    b.deps.queueIkeRekey(b);
    p.run();
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.a)[0]).not.toBe(a);
    expect(p.a.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});
