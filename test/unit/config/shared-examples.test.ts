/**
 * The shared example configurations are contracts: each must load as written and mean what its
 * comments say. The fixture copies must stay byte-identical to shared/examples (test/support/shared-dir.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load.js';
import { renderConfig } from '../../../src/config/redact.js';
import type { Config } from '../../../src/config/types.js';
import { sharedDir } from '../../support/shared-dir.js';
import { SECRETS, testSecrets } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(REPO, 'test/fixtures/config/shared-examples');
const SHARED = join(sharedDir(), 'examples');
const NAMES = [
  'azure-active-active-bgp.yaml',
  'dual-stack-static.yaml',
  'multi-tunnel-same-gateway.yaml',
];

function load(name: string): Config {
  const r = loadConfigFile(join(FIXTURES, name), { secrets: testSecrets });
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r.config;
}

describe('shared example fixtures', () => {
  it('are the three contracts', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(NAMES);
  });

  it('are byte-identical to shared/examples', () => {
    for (const name of readdirSync(SHARED).filter((f) => f.endsWith('.yaml'))) {
      expect(
        readFileSync(join(FIXTURES, name)).equals(readFileSync(join(SHARED, name))),
        name,
      ).toBe(true);
    }
  });

  it.each(NAMES)('%s renders without any secret value', (name) => {
    const text = renderConfig(load(name));
    for (const v of Object.values(SECRETS)) expect(text).not.toContain(v);
  });
});

describe('azure-active-active-bgp.yaml', () => {
  const c = load('azure-active-active-bgp.yaml');

  it('has two tunnels to the two gateway instances, sourced from the private NIC', () => {
    expect(c.node.name).toBe('nva-10');
    expect(c.tunnels.map((t) => [t.name, t.peer, t.address])).toEqual([
      ['Tunnel101', '203.0.113.10', '10.100.10.1/32'],
      ['Tunnel102', '203.0.113.11', '10.100.10.2/32'],
    ]);
    for (const t of c.tunnels) {
      expect(t.localAddress).toBe('10.10.0.4');
      expect(t.publicAddress).toBe('198.51.100.4');
      expect(t.localId).toEqual({ type: 'ipv4', value: '198.51.100.4' }); // ID_IPV4_ADDR = public IP
      expect(t.remoteId).toEqual({ type: 'ipv4', value: t.peer });
      expect(t.psk?.reveal()).toBe(SECRETS.NVAD_PSK_CONN10);
      expect(t.mtu).toBe(1400);
      expect(t.tcpMss).toBe(1350);
      expect(t.dpd).toEqual({ intervalSec: 40, retries: 2, mode: 'on-demand' });
      expect(t.ikePolicy).toBe('azure-custom');
      expect(t.ipsecPolicy).toBe('azure-custom');
      expect(t.initiate).toBe(true);
    }
  });

  it('mirrors the Azure custom policy: GCM-256, PRF SHA-384, ECP-384, PFS ECP-384', () => {
    expect(c.crypto.ikePolicies['azure-custom']).toEqual({
      name: 'azure-custom',
      proposals: [
        { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
      ],
      lifetimeSec: 28800,
    });
    expect(c.crypto.ipsecPolicies['azure-custom']).toEqual({
      name: 'azure-custom',
      proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: 'ecp384' }],
      lifetimeSec: 27000,
      lifetimeKilobytes: 102400000,
      replayWindow: 1024,
      esn: false,
    });
  });

  it('routes each APIPA BGP address through its own tunnel', () => {
    expect(c.staticRoutes).toEqual([
      {
        prefix: '169.254.21.2/32',
        via: ['Tunnel101'],
        nextHop: undefined,
        routingContext: undefined,
        distance: 1,
      },
      {
        prefix: '169.254.21.6/32',
        via: ['Tunnel102'],
        nextHop: undefined,
        routingContext: undefined,
        distance: 1,
      },
    ]);
  });

  it('runs BGP from the APIPA loopback to the gateway and to Route Server', () => {
    const b = c.bgp!;
    expect(b.asn).toBe(65002);
    expect(b.routerId).toBe('169.254.21.1');
    expect(b.maximumPaths).toBe(2);
    expect(b.timers).toEqual({ keepaliveSec: 60, holdSec: 180 });
    expect(b.networks).toEqual(['10.10.0.0/16']);
    const n = (a: string) => b.neighbors.find((x) => x.address === a)!;
    for (const a of ['169.254.21.2', '169.254.21.6']) {
      expect(n(a).remoteAs).toBe(65001);
      expect(n(a).updateSource).toBe('169.254.21.1');
      expect(n(a).ebgpMultihop).toBe(5);
      expect(n(a).passive).toBe(false); // active-open: Azure never opens from APIPA
      expect(n(a).asOverride).toBe(false);
    }
    for (const a of ['10.10.4.4', '10.10.4.5']) {
      expect(n(a).remoteAs).toBe(65515);
      expect(n(a).asOverride).toBe(true);
      expect(n(a).maxPrefixesOut).toBe(1000);
      expect(n(a).ebgpMultihop).toBe(2);
      expect(n(a).updateSource).toBeUndefined();
      expect(n(a).addressFamilies).toEqual(['ipv4-unicast']);
    }
    expect(b.neighbors).toHaveLength(4);
  });

  it('serves the API on 127.0.0.1:9180 and logs at info', () => {
    expect(c.api.listen).toEqual({ host: '127.0.0.1', port: 9180 });
    expect(c.log.level).toBe('info');
    expect(c.loopbacks).toEqual(['169.254.21.1/32']);
  });
});

describe('dual-stack-static.yaml', () => {
  const c = load('dual-stack-static.yaml');

  it('translates Azure policy conn1 to GCM-256 IKE with PRF SHA-384 and MODP-2048, ESP GCM-256 without PFS', () => {
    expect(c.crypto.ikePolicies['azure:conn1']).toEqual({
      name: 'azure:conn1',
      proposals: [
        { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['modp2048'] },
      ],
      lifetimeSec: 28800,
    });
    expect(c.crypto.ipsecPolicies['azure:conn1']).toMatchObject({
      proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null }],
      lifetimeSec: 27000,
      lifetimeKilobytes: 102400000,
    });
  });

  it('has two IPv6-capable tunnels, each with its own outside NIC and public address', () => {
    expect(c.tunnels.map((t) => [t.name, t.localAddress, t.publicAddress, t.peer, t.ipv6])).toEqual(
      [
        ['Tunnel0', '10.2.0.36', '198.51.100.21', '203.0.113.20', true],
        ['Tunnel1', '10.2.0.68', '198.51.100.22', '203.0.113.21', true],
      ],
    );
    expect(c.tunnels[0]!.psk?.reveal()).toBe(SECRETS['/run/secrets/psk1']); // trailing newline stripped
    expect(c.tunnels[1]!.psk?.reveal()).toBe(SECRETS['/run/secrets/psk2']);
    expect(c.tunnels.every((t) => t.azurePolicy === 'conn1' && t.ikePolicy === 'azure:conn1')).toBe(
      true,
    );
    expect(c.tunnels[0]!.localId.value).toBe('198.51.100.21');
  });

  it('has ECMP static routes for both families and no BGP', () => {
    expect(c.staticRoutes.map((r) => [r.prefix, r.via])).toEqual([
      ['10.1.0.0/24', ['Tunnel0', 'Tunnel1']],
      ['2001:db8:1::/48', ['Tunnel0', 'Tunnel1']],
    ]);
    expect(c.bgp).toBeUndefined();
    expect(c.underlay).toEqual({ localAddress: undefined, publicAddress: '198.51.100.20' });
  });
});

describe('multi-tunnel-same-gateway.yaml', () => {
  const c = load('multi-tunnel-same-gateway.yaml');

  it('puts each tunnel in its own routing context with an automatic table', () => {
    expect(c.tunnels.map((t) => [t.name, t.routingContext, t.peer])).toEqual([
      ['Tunnel0', 'outside-one', '203.0.113.30'],
      ['Tunnel1', 'outside-two', '203.0.113.30'],
    ]);
    expect(c.routingContexts).toEqual({
      'outside-one': { name: 'outside-one', table: 1000, priority: undefined, auto: true },
      'outside-two': { name: 'outside-two', table: 1001, priority: undefined, auto: true },
    });
  });

  it('accepts the same neighbor address in two routing contexts', () => {
    const b = c.bgp!;
    expect(b.neighbors.map((n) => [n.address, n.routingContext, n.updateSource])).toEqual([
      ['10.0.255.254', 'outside-one', '192.168.255.254'],
      ['10.0.255.254', 'outside-two', '172.16.1.4'],
    ]);
    expect(b.maximumPaths).toBe(2);
    expect(b.redistribute).toEqual(['static']);
    // No router-id and no loopback: the highest interface address (Catalyst rule).
    expect(b.routerId).toBe('192.168.255.254');
  });

  it('offers the Azure default-compatible proposals (DH group 2 for IKE)', () => {
    expect(c.crypto.ikePolicies['azure-default-compatible']!.proposals).toEqual([
      {
        encryption: ['aes-cbc-256', 'aes-cbc-128'],
        integrity: ['sha1', 'sha256'],
        prf: ['sha1', 'sha256'],
        dhGroup: ['modp1024'],
      },
    ]);
    const esp = c.crypto.ipsecPolicies['azure-default-compatible']!;
    expect(esp.proposals).toEqual([
      { encryption: ['aes-cbc-256'], integrity: ['sha1'], pfsGroup: null },
      { encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null },
    ]);
    expect(esp.lifetimeSec).toBe(3600);
  });

  it('has per-context peer routes and a next-hop route to the inside network', () => {
    expect(c.staticRoutes.map((r) => [r.prefix, r.via, r.nextHop, r.routingContext])).toEqual([
      ['10.0.255.254/32', ['Tunnel0'], undefined, 'outside-one'],
      ['10.0.255.254/32', ['Tunnel1'], undefined, 'outside-two'],
      ['172.16.0.0/16', [], '172.16.2.1', undefined],
    ]);
    expect(c.log.level).toBe('info'); // default
  });
});
