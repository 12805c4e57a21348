import { describe, expect, it } from 'vitest';
import { B_ADDR, established, keysMatch, makePair, TUNNEL } from './pair.js';

function failureReasons(events: readonly { type: string }[]): string[] {
  return events.flatMap((e) =>
    'reason' in e && e.type === 'ike:sa:failed' ? [String(e.reason)] : [],
  );
}

describe('IKE pair: failures explained in one log line', () => {
  it('proposal mismatch: NO_PROPOSAL_CHOSEN with both sides listed', () => {
    const p = makePair(
      {},
      {
        ike: [
          {
            encryption: ['aes-cbc-256'],
            integrity: ['sha1'],
            prf: ['sha1'],
            dhGroup: ['modp1024'],
          },
        ],
      },
    );
    p.net.step();
    p.net.step();
    expect(p.b.logs.join('')).toContain(
      'no IKE proposal chosen; ours: aes-cbc-256/prf-sha1/sha1/modp1024; theirs: aes-gcm-256/prf-sha384/ecp384',
    );
    expect(failureReasons(p.a.events)[0]).toMatch(
      /NO_PROPOSAL_CHOSEN; ours: aes-gcm-256\/prf-sha384\/ecp384/,
    );
    expect(p.a.mgr.sas(TUNNEL).filter((s) => s.state !== 'destroyed')).toHaveLength(0);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(0);
  });

  it('first child SA refused in IKE_AUTH: the bare IKE SA is deleted and the tunnel retried', () => {
    const p = makePair(
      {},
      { esp: [{ encryption: ['aes-cbc-128'], integrity: ['sha256'], pfsGroup: null }] },
    );
    p.advance(100, 10);
    // IKE SA up on both sides, child refused (NO_PROPOSAL_CHOSEN), then A deletes the IKE SA.
    expect(p.a.events.some((e) => e.type === 'child:failed')).toBe(true);
    expect(p.net.summaries()).toContain('198.51.100.1>203.0.113.2 INFORMATIONAL req #2');
    expect(established(p.a)).toHaveLength(0);
    expect(established(p.b)).toHaveLength(0);
    expect(p.a.installer.outbound(TUNNEL)).toBeNull();
    // ...and starts over after its backoff, growing while the peer keeps refusing.
    const inits = (): number =>
      p.net.summaries().filter((s) => s.startsWith('198.51.100.1>203.0.113.2 IKE_SA_INIT req'))
        .length;
    p.advance(3000, 100);
    expect(inits()).toBe(2);
    p.advance(5000, 100);
    expect(inits()).toBe(3);
  });

  it('wrong PSK: responder says AUTHENTICATION_FAILED, nothing installed', () => {
    const p = makePair({ psk: 'not the right key' });
    p.run();
    expect(established(p.a)).toHaveLength(0);
    expect(established(p.b)).toHaveLength(0);
    expect(p.b.logs.join('')).toContain('pre-shared key mismatch?');
    expect(failureReasons(p.a.events)[0]).toMatch(/AUTHENTICATION_FAILED/);
    expect(p.a.installer.calls).toEqual([]);
    expect(p.b.installer.calls).toEqual([]);
    expect(p.b.logs.join('')).not.toContain('not the right key');
  });

  it('identity mismatch names expected and received identities', () => {
    const p = makePair({}, { remoteId: { type: 'fqdn', value: 'onprem.example' } });
    p.run();
    expect(established(p.b)).toHaveLength(0);
    expect(p.b.logs.join('')).toContain(
      'peer identity mismatch: expected fqdn:onprem.example, peer sent ipv4:198.51.100.1',
    );
  });

  it('INVALID_KE_PAYLOAD: initiator retries with the requested group', () => {
    const p = makePair(
      {
        ike: [
          {
            encryption: ['aes-gcm-256'],
            integrity: [],
            prf: ['sha384'],
            dhGroup: ['ecp256', 'ecp384'],
          },
        ],
      },
      {
        ike: [{ encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] }],
      },
    );
    p.run();
    expect(p.net.summaries().slice(0, 3)).toEqual([
      '198.51.100.1>203.0.113.2 IKE_SA_INIT req #0',
      '203.0.113.2>198.51.100.1 IKE_SA_INIT resp #0',
      '198.51.100.1>203.0.113.2 IKE_SA_INIT req #0',
    ]);
    expect(established(p.a)[0]?.suite?.dhGroup).toBe('ecp384');
    expect(keysMatch(p.a, p.b)).toBe(true);
  });

  it('COOKIE challenge (RFC 7296 §2.6) above the half-open threshold', () => {
    const p = makePair({}, { cookieThreshold: 0 });
    p.run();
    expect(p.net.summaries().length).toBe(6);
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
  });

  it('TS narrowing: dual-stack proposal narrowed to IPv4 by an IPv4-only responder', () => {
    const p = makePair({ ipv6: true }, {});
    // A proposes 0.0.0.0/0 and ::/0; B (IPv4 only) narrows to 0.0.0.0/0: accepted.
    p.run();
    expect(keysMatch(p.a, p.b)).toBe(true);
    expect(established(p.a)[0]?.children[0]?.tsi).toHaveLength(1);
  });
});

describe('IKE pair: duplicates and identities', () => {
  it('an IKE_SA_INIT request with a later Message ID never reaches the established SA', () => {
    // Found by the bit-flip fuzzer: Message ID 0 → 2 is the responder's next expected request.
    const p = makePair();
    p.run();
    const init = Buffer.from(p.net.record[0]!.data);
    init.writeUInt32BE(2, 20);
    p.b.mgr.receive(init, { address: B_ADDR, port: 500 }, { address: '198.51.100.1', port: 500 });
    p.run();
    expect(established(p.b)).toHaveLength(1);
    expect(keysMatch(p.a, p.b)).toBe(true);
  });

  it('a late retransmitted IKE_SA_INIT does not create a second responder SA', () => {
    const p = makePair();
    p.run();
    const first = p.net.record[0];
    if (!first) throw new Error('no record');
    p.b.mgr.receive(first.data, { address: B_ADDR, port: 500 }, first.from);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(p.b.mgr.halfOpenCount()).toBe(0);
  });

  it('ID_FQDN identities on both sides', () => {
    const p = makePair(
      {
        localId: { type: 'fqdn', value: 'onprem.example' },
        remoteId: { type: 'fqdn', value: 'azure.example' },
      },
      {
        localId: { type: 'fqdn', value: 'azure.example' },
        remoteId: { type: 'fqdn', value: 'onprem.example' },
      },
    );
    p.run();
    expect(p.b.mgr.snapshot()[0]?.peerIdentity).toBe('fqdn:onprem.example');
    expect(p.a.mgr.snapshot()[0]?.peerIdentity).toBe('fqdn:azure.example');
    expect(keysMatch(p.a, p.b)).toBe(true);
  });

  it('snapshot for show crypto ikev2 sa detail', () => {
    const p = makePair();
    p.run();
    p.advance(5000);
    const s = p.a.mgr.snapshot()[0];
    expect(s).toMatchObject({
      tunnel: TUNNEL,
      local: '198.51.100.1/500',
      remote: '203.0.113.2/500',
      state: 'established',
      role: 'initiator',
      encryption: 'aes-gcm-256',
      integrity: null,
      prf: 'sha384',
      dhGroup: 'ecp384',
      natDetected: false,
      peerIdentity: 'ipv4:203.0.113.2',
      ageSec: 5,
      lastError: null,
      counters: {
        exchangesInitiated: 2,
        exchangesResponded: 0,
        retransmits: 0,
        failuresByNotify: {},
      },
    });
    expect(s?.children).toEqual([
      expect.objectContaining({
        state: 'installed',
        encryption: 'aes-gcm-256',
        pfsGroup: null,
        esn: false,
        ageSec: 5,
      }),
    ]);
    expect(JSON.stringify(p.a.mgr.snapshot())).not.toContain('"encKey"');
  });
});

describe('IKE pair: INITIAL_CONTACT (RFC 7296 §2.4)', () => {
  it('a rebooted initiator replaces the stale SA on the responder', () => {
    const p = makePair();
    p.run();
    const stale = established(p.b)[0];
    // A loses its state without telling B, then re-initiates after its backoff.
    established(p.a)[0]?.destroy('reboot');
    p.advance(3000);
    expect(stale?.state).toBe('destroyed');
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
    expect(p.b.installer.inboundSpis(TUNNEL)).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});

describe('IKE pair: half-open SAs', () => {
  it('a responder SA without IKE_AUTH is dropped after 30 s', () => {
    const p = makePair();
    p.net.filter = (_d, s) => (s.startsWith('IKE_AUTH') ? 'drop' : 'deliver');
    p.run();
    expect(p.b.mgr.halfOpenCount()).toBe(1);
    p.clock.advance(29_999);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(1);
    p.clock.advance(1);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(0);
    expect(p.b.mgr.halfOpenCount()).toBe(0);
  });
});

describe('IKE pair: tunnel removal', () => {
  it('removeTunnel sends an IKE Delete; both data planes are cleaned and nobody re-initiates', () => {
    const p = makePair({}, { initiate: false });
    p.run();
    expect(keysMatch(p.a, p.b)).toBe(true);
    p.a.mgr.shutdown();
    p.run();
    expect(p.a.mgr.tunnelNames).toEqual([]);
    expect(p.b.mgr.sas(TUNNEL)).toHaveLength(0);
    expect(p.a.installer.outbound(TUNNEL)).toBeNull();
    expect(p.b.installer.outbound(TUNNEL)).toBeNull();
    expect(p.b.installer.inboundSpis(TUNNEL)).toEqual([]);
    expect(p.b.events.map((e) => e.type).slice(-2)).toEqual(['child:deleted', 'ike:sa:deleted']);
    const before = p.net.record.length;
    p.advance(120_000, 5000);
    expect(p.net.record.length).toBe(before);
  });
});
