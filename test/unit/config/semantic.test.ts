/** Semantic checks: reported together, same format, pointing at the node concerned. */
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { BASE, TUNNEL, errorsOf, testSecrets } from './helpers.js';

const CASES = {
  policyRefs: `${BASE}tunnels:\n${TUNNEL.replace('ike-policy: ike1', 'ike-policy: ike2').replace('ipsec-policy: esp1', 'ipsec-policy: other')}`,
  azureAndIke: `${BASE}tunnels:\n${TUNNEL}    azure-policy: conn1\n`,
  unknownAzure: `${BASE}tunnels:\n${TUNNEL.replace('    ike-policy: ike1\n    ipsec-policy: esp1\n', '    azure-policy: conn1\n')}`,
  noPsk: `${BASE}tunnels:\n${TUNNEL.replace(/ {4}psk.*\n/, '')}`,
  dupTunnel: `${BASE}tunnels:\n${TUNNEL}${TUNNEL.replace('10.100.0.1/32', '10.100.0.2/32')}`,
  overlap: `${BASE}tunnels:\n${TUNNEL.replace('10.100.0.1/32', '10.100.0.1/30')}${TUNNEL.replace('Tunnel0', 'Tunnel1').replace('10.100.0.1/32', '10.100.0.2/32')}`,
  overlapOtherCtx: `${BASE}tunnels:\n${TUNNEL}    routing-context: a\n${TUNNEL.replace('Tunnel0', 'Tunnel1')}    routing-context: b\n`,
  gcmInteg: BASE.replace(
    '          prf: [sha384]\n',
    '          integrity: [sha256]\n          prf: [sha384]\n',
  ),
  gcmNoPrf: BASE.replace('          prf: [sha384]\n', ''),
  cbcNoInteg: BASE.replace('        - encryption: [aes-gcm-256]\n\n', '').replace(
    /esp1:\n {6}proposals:\n {8}- encryption: \[aes-gcm-256\]/,
    'esp1:\n      proposals:\n        - encryption: [aes-cbc-256]',
  ),
  mixed: BASE.replace(
    /esp1:\n {6}proposals:\n {8}- encryption: \[aes-gcm-256\]/,
    'esp1:\n      proposals:\n        - encryption: [aes-gcm-256, aes-cbc-128]\n          integrity: [sha1]',
  ),
  lifetimes:
    BASE.replace(
      '          dh-group: [ecp384]\n',
      '          dh-group: [ecp384]\n      lifetime: 119\n',
    ) + '      lifetime: 59s\n      lifetime-kilobytes: 1023\n',
  dpdMss: `${BASE}tunnels:\n${TUNNEL}    mtu: 1400\n    tcp-mss: 1361\n    dpd: { interval: 0 }\n`,
  v6route: `${BASE}tunnels:\n${TUNNEL}static-routes:\n  - { prefix: 2001:db8::/32, via: Tunnel0 }\n  - { prefix: 10.9.0.0/16, via: [Tunnel0, Tunnel9] }\n  - { prefix: 10.8.0.0/16 }\n  - { prefix: 10.7.0.0/16, via: Tunnel0, next-hop: 10.0.0.1 }\n  - { prefix: 10.6.0.0/16, next-hop: 2001:db8::1, routing-context: nowhere }\n`,
  bgpRefs: `${BASE}tunnels:\n${TUNNEL}bgp:
  asn: 65000
  prefix-lists:
    pl1:
      - { action: permit, prefix: 10.0.0.0/8, ge: 8, le: 33 }
      - { seq: 5, action: deny, prefix: 0.0.0.0/0 }
  route-maps:
    rm1:
      - { seq: 10, action: permit, match: { prefix-list: pl2 } }
  neighbors:
    - { address: 169.254.21.2, remote-as: 65001, update-source: 169.254.21.9, route-map-in: rm2, prefix-list-out: pl3 }
    - { address: 169.254.21.2, remote-as: 65001, update-source: 169.254.21.1 }
    - { address: 169.254.21.2, remote-as: 65001, routing-context: ghost }
`,
  noRouterId: `node: { name: a }\nbgp:\n  asn: 65000\n  timers: { keepalive: 1, hold: 2 }\n`,
  table: `node: { name: a }\nrouting-contexts:\n  main2: { table: 254 }\n  x: { table: 7 }\n  y: { table: 7 }\n`,
  manual: `node: { name: a }\nunderlay: { local-address: 10.0.0.1 }\ntunnels:
  - name: lab0
    peer: 10.0.0.2
    manual-sa:
      spi-in: 0x1000
      spi-out: 0x1000
      encryption: aes-cbc-128
      key-in: 00112233445566778899aabbccddeeff
      key-out: "0011"
      integrity-key-in: zz
`,
} as const;

describe('semantic checks', () => {
  it('unknown ike-policy / ipsec-policy references, with hints', () => {
    expect(errorsOf(CASES.policyRefs)).toEqual([
      'bad.yaml:23:17: tunnels[0].ike-policy: unknown ike-policy "ike2" (did you mean "ike1"?)',
      'bad.yaml:24:19: tunnels[0].ipsec-policy: unknown ipsec-policy "other" (expected one of: esp1)',
    ]);
  });

  it('azure-policy together with ike-policy/ipsec-policy', () => {
    expect(errorsOf(CASES.azureAndIke)).toEqual([
      'bad.yaml:26:19: tunnels[0].azure-policy: given together with ike-policy/ipsec-policy (expected either azure-policy or ike-policy + ipsec-policy)',
    ]);
  });

  it('unknown azure-policy reference', () => {
    expect(errorsOf(CASES.unknownAzure)).toEqual([
      'bad.yaml:23:19: tunnels[0].azure-policy: unknown azure-policy "conn1" (no azure-policy is defined)',
    ]);
  });

  it('a tunnel without psk (and without manual-sa)', () => {
    expect(errorsOf(CASES.noPsk)).toEqual([
      'bad.yaml:20:5: tunnels[0].psk: missing (expected a pre-shared key, ${env:NAME} or ${file:PATH})',
    ]);
  });

  it('duplicate tunnel names', () => {
    expect(errorsOf(CASES.dupTunnel)).toEqual([
      'bad.yaml:26:11: tunnels[1].name: duplicate tunnel name "Tunnel0" (expected a unique name; first used by tunnels[0])',
    ]);
  });

  it('overlapping inside addresses in one routing context', () => {
    expect(errorsOf(CASES.overlap)).toEqual([
      'bad.yaml:31:14: tunnels[1].address: 10.100.0.2/32 overlaps 10.100.0.1/30 of Tunnel0 (expected distinct inside addresses in one routing context)',
    ]);
  });

  it('the same inside address in different routing contexts is accepted', () => {
    expect(loadConfigText(CASES.overlapOtherCtx, 'bad.yaml', { secrets: testSecrets }).ok).toBe(
      true,
    );
  });

  it('GCM encryption together with an integrity algorithm', () => {
    expect(errorsOf(CASES.gcmInteg)).toEqual([
      'bad.yaml:13:22: crypto.ike-policies.ike1.proposals[0].integrity: integrity algorithm given with GCM encryption (expected no integrity: GCM authenticates itself)',
    ]);
  });

  it('a GCM IKE proposal without a PRF', () => {
    expect(errorsOf(CASES.gcmNoPrf)).toEqual([
      'bad.yaml:12:11: crypto.ike-policies.ike1.proposals[0].prf: missing (expected a PRF for GCM proposals, e.g. [sha384])',
    ]);
  });

  it('a CBC proposal without integrity', () => {
    expect(errorsOf(CASES.cbcNoInteg)).toEqual([
      'bad.yaml:18:11: crypto.ipsec-policies.esp1.proposals[0].integrity: missing (expected integrity algorithms for CBC encryption)',
    ]);
  });

  it('GCM and CBC mixed in one proposal', () => {
    expect(errorsOf(CASES.mixed)).toEqual([
      'bad.yaml:18:23: crypto.ipsec-policies.esp1.proposals[0].encryption: mixes GCM and CBC algorithms (expected separate proposals for GCM and CBC)',
    ]);
  });

  it('lifetimes below the minimums (IKE 120 s, child 60 s, 1024 KB)', () => {
    expect(errorsOf(CASES.lifetimes)).toEqual([
      'bad.yaml:15:17: crypto.ike-policies.ike1.lifetime: 119s is too short (expected at least 120s)',
      'bad.yaml:20:17: crypto.ipsec-policies.esp1.lifetime: 59s is too short (expected at least 60s)',
      'bad.yaml:21:27: crypto.ipsec-policies.esp1.lifetime-kilobytes: 1023 is too small (expected at least 1024)',
    ]);
  });

  it('tcp-mss that does not fit the MTU, and a DPD interval below 1 s', () => {
    expect(errorsOf(CASES.dpdMss)).toEqual([
      'bad.yaml:27:14: tunnels[0].tcp-mss: 1361 does not fit the MTU 1400 (expected at most 1360)',
      'bad.yaml:28:22: tunnels[0].dpd.interval: 0s is too short (expected at least 1s)',
    ]);
  });

  it('static routes: IPv6 via a tunnel without ipv6, unknown tunnel, via/next-hop rules, unknown context', () => {
    expect(errorsOf(CASES.v6route)).toEqual([
      'bad.yaml:27:35: static-routes[0].via: IPv6 route via Tunnel0 which has no ipv6: true (expected a tunnel with ipv6: true)',
      'bad.yaml:28:43: static-routes[1].via[1]: unknown tunnel "Tunnel9" (did you mean "Tunnel0"?)',
      'bad.yaml:29:5: static-routes[2].via: missing (expected exactly one of via, next-hop)',
      'bad.yaml:30:52: static-routes[3].next-hop: given together with via (expected exactly one of via, next-hop)',
      'bad.yaml:31:38: static-routes[4].next-hop: address family differs from prefix 10.6.0.0/16 (expected an IPv4 next hop)',
      'bad.yaml:31:68: static-routes[4].routing-context: unknown routing-context "nowhere" (no routing-context is defined)',
    ]);
  });

  it('BGP: prefix-list bounds and seqs, unknown references, update-source, duplicate neighbors, unknown context', () => {
    expect(errorsOf(CASES.bgpRefs)).toEqual([
      'bad.yaml:30:51: bgp.prefix-lists.pl1[0].ge: 8 is out of range (expected 9..32 for 10.0.0.0/8)',
      'bad.yaml:30:58: bgp.prefix-lists.pl1[0].le: 33 is out of range (expected 9..32 for 10.0.0.0/8)',
      'bad.yaml:31:16: bgp.prefix-lists.pl1[1].seq: duplicate seq 5 (expected a unique sequence number)',
      'bad.yaml:34:58: bgp.route-maps.rm1[0].match.prefix-list: unknown prefix-list "pl2" (did you mean "pl1"?)',
      'bad.yaml:36:65: bgp.neighbors[0].update-source: 169.254.21.9 is not a local address (expected a loopback, tunnel or underlay address)',
      'bad.yaml:36:93: bgp.neighbors[0].route-map-in: unknown route-map "rm2" (did you mean "rm1"?)',
      'bad.yaml:36:115: bgp.neighbors[0].prefix-list-out: unknown prefix-list "pl3" (did you mean "pl1"?)',
      'bad.yaml:37:18: bgp.neighbors[1].address: duplicate neighbor 169.254.21.2 (expected one entry per address and routing context; first at bgp.neighbors[0])',
      'bad.yaml:38:67: bgp.neighbors[2].routing-context: unknown routing-context "ghost" (no routing-context is defined)',
    ]);
  });

  it('router-id required when nothing can provide it; hold time 1..2 s', () => {
    expect(errorsOf(CASES.noRouterId)).toEqual([
      'bad.yaml:3:3: bgp.router-id: missing (expected router-id, or an IPv4 loopback or interface address to derive it from)',
      'bad.yaml:4:33: bgp.timers.hold: 2s is too short (expected 0 or at least 3s; RFC 4271 §4.2)',
    ]);
  });

  it('reserved and duplicate routing tables', () => {
    expect(errorsOf(CASES.table)).toEqual([
      'bad.yaml:3:19: routing-contexts.main2.table: table 254 is reserved by Linux (expected 1..252 or 256..4294967295)',
      'bad.yaml:5:15: routing-contexts.y.table: table 7 is already used by x (expected a unique table)',
    ]);
  });

  it('manual-sa keys, SPIs and integrity', () => {
    expect(errorsOf(CASES.manual)).toEqual([
      'bad.yaml:7:7: tunnels[0].manual-sa.integrity: missing (expected an integrity algorithm for aes-cbc-128)',
      'bad.yaml:8:16: tunnels[0].manual-sa.spi-out: same as spi-in (expected distinct inbound and outbound SPIs)',
      'bad.yaml:11:16: tunnels[0].manual-sa.key-out: wrong length: 2 bytes (expected 16 bytes of hex for aes-cbc-128)',
      'bad.yaml:12:25: tunnels[0].manual-sa.integrity-key-in: not used with aes-cbc-128 (expected no integrity key)',
    ]);
  });

  it('a non-loopback API address needs a token file', () => {
    expect(errorsOf(`${BASE}api:\n  listen: 0.0.0.0:9180\n`)).toEqual([
      `bad.yaml:${BASE.split('\n').length + 1}:11: api.listen: a non-loopback address (0.0.0.0) needs authentication (set api.token-file, or listen on 127.0.0.1 / ::1)`,
    ]);
    for (const listen of ['127.0.0.2:9180', "'[::1]:9180'"]) {
      expect(
        loadConfigText(`${BASE}api:\n  listen: ${listen}\n`, 'ok.yaml', { secrets: testSecrets })
          .ok,
      ).toBe(true);
    }
  });
});
