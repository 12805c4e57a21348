import { describe, expect, it } from 'vitest';
import type { IkeProposal, IpsecProposal } from '../../../src/config/types.js';
import { established, ESP_GCM, keysMatch, makePair, PSK, TUNNEL } from './pair.js';

interface Case {
  readonly name: string;
  readonly ike: IkeProposal;
  readonly esp: IpsecProposal;
}

const cases: Case[] = [
  {
    name: 'aes256gcm16-prfsha384-ecp384',
    ike: { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
    esp: ESP_GCM,
  },
  {
    name: 'aes256gcm16-prfsha384-ecp384 + PFS ecp384',
    ike: { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
    esp: { encryption: ['aes-gcm-256'], integrity: [], pfsGroup: 'ecp384' },
  },
  {
    name: 'aes256-sha256-modp2048 + PFS modp2048',
    ike: {
      encryption: ['aes-cbc-256'],
      integrity: ['sha256'],
      prf: ['sha256'],
      dhGroup: ['modp2048'],
    },
    esp: { encryption: ['aes-cbc-256'], integrity: ['sha256'], pfsGroup: 'modp2048' },
  },
  {
    name: 'aes256-sha1-modp1024 (Azure default)',
    ike: { encryption: ['aes-cbc-256'], integrity: ['sha1'], prf: ['sha1'], dhGroup: ['modp1024'] },
    esp: { encryption: ['aes-cbc-256'], integrity: ['sha1'], pfsGroup: null },
  },
  {
    name: 'aes128gcm16-prfsha256-ecp256',
    ike: { encryption: ['aes-gcm-128'], integrity: [], prf: ['sha256'], dhGroup: ['ecp256'] },
    esp: { encryption: ['aes-gcm-128'], integrity: [], pfsGroup: null },
  },
  {
    name: 'aes256gcm16-prfsha256-x25519',
    ike: { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha256'], dhGroup: ['x25519'] },
    esp: ESP_GCM,
  },
];

describe('IKE pair: establish', () => {
  it.each(cases)('$name', ({ ike, esp }) => {
    const p = makePair({ ike: [ike], esp: [esp] }, { ike: [ike], esp: [esp] });
    // Hop 1: IKE_SA_INIT request.
    expect(p.net.step()).toBe(true);
    expect(p.b.mgr.sas(TUNNEL)[0]?.state).toBe('connecting');
    // Hop 2: IKE_SA_INIT response; A has keys, sends IKE_AUTH.
    p.net.step();
    const a = p.a.mgr.sas(TUNNEL)[0];
    expect(a?.suite?.dhGroup).toBe(ike.dhGroup[0]);
    expect(p.net.queue.length).toBe(1);
    // Hop 3: IKE_AUTH request; B is established and has installed the child.
    p.net.step();
    expect(established(p.b)).toHaveLength(1);
    expect(p.b.installer.outbound(TUNNEL)).not.toBeNull();
    expect(p.a.installer.outbound(TUNNEL)).toBeNull();
    // Hop 4: IKE_AUTH response.
    p.net.step();
    expect(established(p.a)).toHaveLength(1);
    expect(p.net.summaries()).toEqual([
      '198.51.100.1>203.0.113.2 IKE_SA_INIT req #0',
      '203.0.113.2>198.51.100.1 IKE_SA_INIT resp #0',
      '198.51.100.1>203.0.113.2 IKE_AUTH req #1',
      '203.0.113.2>198.51.100.1 IKE_AUTH resp #1',
    ]);
    expect(keysMatch(p.a, p.b)).toBe(true);
    expect(keysMatch(p.b, p.a)).toBe(true);
    expect(p.a.installer.outbound(TUNNEL)?.encryption).toBe(esp.encryption[0]);
    expect(p.a.events.map((e) => e.type)).toEqual(['ike:sa:established', 'child:installed']);
    expect(p.b.mgr.snapshot()[0]?.peerIdentity).toBe('ipv4:198.51.100.1');
  });

  it('never logs the PSK or key material', () => {
    const p = makePair();
    p.run();
    expect(established(p.a)).toHaveLength(1);
    const all = [...p.a.logs, ...p.b.logs].join('\n');
    expect(all).toContain('ike sa established');
    expect(all).not.toContain(PSK);
    const out = p.a.installer.outbound(TUNNEL);
    expect(out).not.toBeNull();
    expect(all).not.toContain(out?.encKey.toString('hex') ?? 'x');
    const keys = p.a.mgr.sas(TUNNEL)[0]?.keys;
    expect(keys).not.toBeNull();
    const list: Buffer[] = keys ? [keys.skD, keys.skEi, keys.skEr, keys.skPi, keys.skPr] : [];
    for (const k of list) expect(all).not.toContain(k.toString('hex'));
  });
});

describe('IKE pair: proposal selection', () => {
  it('responder picks our second proposal (number kept, RFC 7296 §3.3.1)', () => {
    const gcm: IkeProposal = {
      encryption: ['aes-gcm-256'],
      integrity: [],
      prf: ['sha384'],
      dhGroup: ['ecp384'],
    };
    const cbc: IkeProposal = {
      encryption: ['aes-cbc-256'],
      integrity: ['sha256'],
      prf: ['sha256'],
      dhGroup: ['ecp384'],
    };
    const esp2: IpsecProposal = {
      encryption: ['aes-cbc-256'],
      integrity: ['sha256'],
      pfsGroup: null,
    };
    const p = makePair({ ike: [gcm, cbc], esp: [ESP_GCM, esp2] }, { ike: [cbc], esp: [esp2] });
    p.run();
    expect(established(p.a)[0]?.suite?.encryption).toBe('aes-cbc-256');
    expect(established(p.a)[0]?.currentChild?.suite.integrity).toBe('sha256');
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});
