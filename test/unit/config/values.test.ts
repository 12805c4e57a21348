import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/config/hint.js';
import { ifnameProblem, parseDurationSec } from '../../../src/config/values.js';
import { errorsOf, mustLoad } from './helpers.js';

describe('durations', () => {
  it.each([
    ['40s', 40],
    ['5m', 300],
    ['8h', 28800],
    ['1d', 86400],
    ['1h30m', 5400],
    ['500ms', 1], // rounded up to whole seconds
    ['1500ms', 2],
    ['0.5s', 1],
    [27000, 27000],
    [2.2, 3],
    ['120', 120],
    ['0', 0],
  ])('%j → %d s', (input, sec) => {
    expect(parseDurationSec(input)).toBe(sec);
  });
  it.each(['', '5x', 's', '-1s', '1 h', true, null, -5])('%j is not a duration', (input) => {
    expect(parseDurationSec(input)).toBeNull();
  });
});

describe('interface names (Linux dev_valid_name)', () => {
  it.each(['Tunnel0', 'Tunnel101', 'a', 'x'.repeat(15), 'tun.5', 'vti-az_1'])(
    '%s is valid',
    (n) => {
      expect(ifnameProblem(n)).toBeNull();
    },
  );
  it.each(['x'.repeat(16), 'a/b', 'a:b', 'a b', '.', '..', ''])('%j is invalid', (n) => {
    expect(ifnameProblem(n)).not.toBeNull();
  });
});

describe('hints', () => {
  it('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('psk', 'psk')).toBe(0);
  });
  it('closest match within a small distance', () => {
    expect(closest('ike-polcy', ['ike-policy', 'ipsec-policy'])).toBe('ike-policy');
    expect(closest('zzzz', ['ike-policy'])).toBeUndefined();
  });
});

describe('canonical values', () => {
  it('canonicalises addresses and prefixes, and converts durations', () => {
    const c = mustLoad(`node: { name: n }
underlay: { local-address: "2001:0db8:0:0::0004", public-address: 2001:db8::5 }
loopbacks: [ "2001:DB8:0:0::1/128", 10.0.0.1 ]
tunnels:
  - name: t6
    peer: 2001:db8:0:0:0:0:0:99
    psk: x
    ike-policy: p
    ipsec-policy: p
    address: fd00:0:0:0::1/64
    ipv6: true
    nat-keepalive: 1m
    dpd: { interval: 1500ms, retries: 5, mode: periodic }
    local-id: vpn.example.net
    remote-id: "2001:db8::0:99"
crypto:
  ike-policies:
    p: { proposals: [ { encryption: [aes-cbc-128], integrity: [sha256], dh-group: [x25519] } ], lifetime: 8h }
  ipsec-policies:
    p: { proposals: [ { encryption: [aes-cbc-128], integrity: [sha256], pfs-group: none } ], esn: true, replay-window: 0 }
api: { listen: "[::1]:9999" }
`);
    expect(c.underlay.localAddress).toBe('2001:db8::4');
    expect(c.loopbacks).toEqual(['2001:db8::1/128', '10.0.0.1/32']);
    const t = c.tunnels[0]!;
    expect(t.peer).toBe('2001:db8::99');
    expect(t.address).toBe('fd00::1/64');
    expect(t.natKeepaliveSec).toBe(60);
    expect(t.dpd).toEqual({ intervalSec: 2, retries: 5, mode: 'periodic' });
    expect(t.localId).toEqual({ type: 'fqdn', value: 'vpn.example.net' });
    expect(t.remoteId).toEqual({ type: 'ipv6', value: '2001:db8::99' });
    expect(c.crypto.ikePolicies.p!.proposals[0]!.prf).toEqual(['sha256']); // PRF defaults to integrity
    expect(c.crypto.ikePolicies.p!.lifetimeSec).toBe(28800);
    expect(c.crypto.ipsecPolicies.p).toMatchObject({
      esn: true,
      replayWindow: 0,
      lifetimeSec: 27000,
    });
    expect(c.api.listen).toEqual({ host: '::1', port: 9999 });
  });

  it('fills tunnel defaults (Catalyst-like): mtu 1400, dpd 10 3 on-demand, nat-keepalive 20 s', () => {
    const c = mustLoad(`node: { name: n }
underlay: { local-address: 10.0.0.4 }
crypto:
  ike-policies: { p: { proposals: [ { encryption: [aes-gcm-128], prf: [sha256], dh-group: [ecp256] } ] } }
  ipsec-policies: { p: { proposals: [ { encryption: [aes-gcm-128], pfs-group: ecp256 } ] } }
tunnels:
  - { name: t0, peer: 192.0.2.1, psk: x, ike-policy: p, ipsec-policy: p }
bgp:
  asn: 4200000000
  router-id: 1.1.1.1
  timers: { hold: 90 }
  neighbors:
    - { address: 192.0.2.9, remote-as: 65001, max-prefixes: 100, allowas-in: true, ebgp-multihop: true }
    - { address: "2001:db8::9", remote-as: 65001, max-prefixes: { limit: 5, action: warn, threshold: 90, restart: 5m }, timers: { keepalive: 3s, hold: 9s } }
`);
    const t = c.tunnels[0]!;
    expect(t).toMatchObject({
      localAddress: '10.0.0.4',
      publicAddress: '10.0.0.4', // falls back to the local address
      mtu: 1400,
      tcpMss: undefined,
      ipv6: false,
      initiate: true,
      natKeepaliveSec: 20,
      dpd: { intervalSec: 10, retries: 3, mode: 'on-demand' },
      routingContext: undefined,
      manualSa: undefined,
    });
    expect(c.crypto.ipsecPolicies.p).toMatchObject({
      lifetimeSec: 27000,
      lifetimeKilobytes: 102400000,
      replayWindow: 1024,
      esn: false,
    });
    expect(c.crypto.ipsecPolicies.p!.proposals[0]!.pfsGroup).toBe('ecp256');
    const b = c.bgp!;
    expect(b.maximumPaths).toBe(1);
    expect(b.timers).toEqual({ keepaliveSec: 30, holdSec: 90 }); // keepalive = hold / 3
    expect(b.neighbors[0]).toMatchObject({
      maxPrefixes: { limit: 100, action: 'teardown' },
      allowasIn: 3,
      ebgpMultihop: 255,
      timers: { keepaliveSec: 30, holdSec: 90 },
      addressFamilies: ['ipv4-unicast'],
      passive: false,
    });
    expect(b.neighbors[1]).toMatchObject({
      maxPrefixes: { limit: 5, action: 'warn', thresholdPercent: 90, restartSec: 300 },
      timers: { keepaliveSec: 3, holdSec: 9 },
      addressFamilies: ['ipv6-unicast'],
    });
    expect(c.api).toEqual({
      listen: { host: '127.0.0.1', port: 9180 },
      tokenFile: undefined,
      token: undefined,
    });
  });

  it('rejects ASNs out of range', () => {
    expect(errorsOf('node: { name: n }\nbgp: { asn: 4294967296, router-id: 1.1.1.1 }\n')).toEqual([
      'bad.yaml:2:13: bgp.asn: 4294967296 is out of range (expected an AS number 1..4294967295 other than 23456)',
    ]);
  });

  it('explicit routing contexts keep their tables; auto tables skip used ids', () => {
    const c = mustLoad(`node: { name: n }
underlay: { local-address: 10.0.0.4 }
routing-contexts:
  b: { table: 1000, priority: 100 }
crypto:
  ike-policies: { p: { proposals: [ { encryption: [aes-gcm-128], prf: [sha256], dh-group: [ecp256] } ] } }
  ipsec-policies: { p: { proposals: [ { encryption: [aes-gcm-128] } ] } }
tunnels:
  - { name: t0, peer: 192.0.2.1, psk: x, ike-policy: p, ipsec-policy: p, routing-context: z }
  - { name: t1, peer: 192.0.2.2, psk: x, ike-policy: p, ipsec-policy: p, routing-context: a }
  - { name: t2, peer: 192.0.2.3, psk: x, ike-policy: p, ipsec-policy: p, routing-context: b }
`);
    expect(c.routingContexts).toEqual({
      b: { name: 'b', table: 1000, priority: 100, auto: false },
      a: { name: 'a', table: 1001, priority: undefined, auto: true },
      z: { name: 'z', table: 1002, priority: undefined, auto: true },
    });
  });
});

describe('tunnel address family', () => {
  const doc = (extra: string) => `node: { name: n }
underlay: { local-address: 10.0.0.4 }
crypto:
  ike-policies: { p: { proposals: [ { encryption: [aes-gcm-128], prf: [sha256], dh-group: [ecp256] } ] } }
  ipsec-policies: { p: { proposals: [ { encryption: [aes-gcm-128] } ] } }
tunnels:
  - { name: t0, peer: 192.0.2.1, psk: x, ike-policy: p, ipsec-policy: p, address: "fd00::1/64"${extra} }
`;
  it('an IPv6 inside address implies ipv6: true', () => {
    expect(mustLoad(doc('')).tunnels[0]!.ipv6).toBe(true);
  });
  it('ipv6: false with an IPv6 inside address is an error', () => {
    expect(errorsOf(doc(', ipv6: false'))).toEqual([
      'bad.yaml:7:103: tunnels[0].ipv6: false with an IPv6 address (expected true)',
    ]);
  });
});

describe('module index', () => {
  it('exports the public API', async () => {
    const m = await import('../../../src/config/index.js');
    for (const name of [
      'loadConfigFile',
      'loadConfigText',
      'renderConfig',
      'diffConfig',
      'Secret',
      'translateAzurePolicy',
    ]) {
      expect(typeof (m as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
