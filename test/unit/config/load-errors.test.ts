/** Structural errors: each reported as `FILE:LINE:COL: path: what is wrong (what is expected)`. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadConfigFile, loadConfigText } from '../../../src/config/load.js';
import { BASE, SECRETS, TUNNEL, errorsOf, testSecrets, withExtra } from './helpers.js';

const LINE = /^[^:\n]+:\d+:\d+: \S[^\n]*: [^\n]+ \([^\n]+\)$/;

describe('YAML syntax', () => {
  it('reports a syntax error at its position', () => {
    expect(errorsOf('node:\n  name: [a, b\nlog: {level: info}\n')).toEqual([
      'bad.yaml:3:1: node.name[1]: Flow sequence in block collection must be sufficiently indented and end with a ] (expected valid YAML)',
    ]);
  });
  it('reports duplicate keys at the second occurrence', () => {
    expect(errorsOf('node:\n  name: a\n  name: b\n')).toEqual([
      'bad.yaml:3:3: node.name: duplicate key (expected each key once per map)',
    ]);
  });
  it('reports mis-indentation', () => {
    const lines = errorsOf('node:\n    name: a\n  x: 1\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^bad\.yaml:3:\d+: .*\(expected valid YAML\)$/);
  });
  it('an empty file is a wrong type at the root', () => {
    expect(errorsOf('')).toEqual(['bad.yaml:1:1: (root): wrong type: null (expected a map)']);
  });
});

describe('schema', () => {
  it('unknown keys get a "did you mean" hint at the key', () => {
    expect(errorsOf(`${BASE}tunnels:\n${TUNNEL}    pskk: x\n`)).toEqual([
      'bad.yaml:26:5: tunnels[0].pskk: unknown key "pskk" (did you mean "psk"?)',
    ]);
  });
  it('unknown keys with no close match list the valid keys', () => {
    expect(errorsOf('node: { name: a }\nlog: { colour: red }\n')).toEqual([
      'bad.yaml:2:8: log.colour: unknown key "colour" (expected one of: level)',
    ]);
  });
  it('unknown top-level section', () => {
    expect(errorsOf('node: { name: a }\ntunnel: []\n')).toEqual([
      'bad.yaml:2:1: tunnel: unknown key "tunnel" (did you mean "tunnels"?)',
    ]);
  });
  it('wrong types', () => {
    expect(errorsOf('node: { name: a }\ntunnels: {}\nloopbacks: 10.0.0.1/32\n')).toEqual([
      'bad.yaml:2:10: tunnels: wrong type: a map (expected a list)',
      'bad.yaml:3:12: loopbacks: wrong type: a string (expected a list)',
    ]);
  });
  it('a missing key points at the parent map', () => {
    expect(errorsOf('node:\n  nam: a\n')).toEqual([
      'bad.yaml:2:3: node.name: missing (expected a node name: letters, digits, "_", ".", ":", "-")',
      'bad.yaml:2:3: node.nam: unknown key "nam" (did you mean "name"?)',
    ]);
  });
  it('collects every error in one pass', () => {
    const lines = errorsOf(`node:
  name: x
tunnels:
  - name: Tunnel0123456789
    peer: 1.2.3
    psk: \${env:NOPE}
    mtu: "big"
    dpd: { interval: 5x, mode: sometimes }
bgp:
  asn: 23456
  router-id: 1.2.3.4
  neighbors:
    - address: 10.0.0.9
`);
    expect(lines).toEqual([
      'bad.yaml:4:11: tunnels[0].name: "Tunnel0123456789" is 16 characters long (expected an interface name of at most 15 characters, no "/", ":" or whitespace)',
      'bad.yaml:5:11: tunnels[0].peer: "1.2.3" is not an IP address (expected an IP address)',
      'bad.yaml:6:10: tunnels[0].psk: ${env:NOPE}: environment variable is not set (expected the secret in NOPE)',
      'bad.yaml:7:10: tunnels[0].mtu: wrong type: a string (expected an integer 576..9000)',
      'bad.yaml:8:22: tunnels[0].dpd.interval: "5x" is not a duration (expected a duration like 40s, 5m, 8h, 500ms or a number of seconds)',
      'bad.yaml:8:32: tunnels[0].dpd.mode: "sometimes" is not a valid DPD mode (expected one of: on-demand, periodic)',
      'bad.yaml:10:8: bgp.asn: 23456 is AS_TRANS (expected an AS number 1..4294967295 other than 23456)',
      'bad.yaml:13:7: bgp.neighbors[0].remote-as: missing (expected an AS number 1..4294967295 other than 23456)',
    ]);
  });
  it('out-of-range and invalid values', () => {
    expect(
      errorsOf(`node: { name: a }
tunnels:
  - { name: "bad/name", peer: 203.0.113.1, psk: x, mtu: 100, ike-policy: p, ipsec-policy: p }
static-routes:
  - { prefix: 10.1.0.1/24, next-hop: 10.0.0.1 }
bgp: { asn: 0 }
api: { listen: "localhost:80" }
log: { level: loud }
`),
    ).toEqual([
      'bad.yaml:3:13: tunnels[0].name: "bad/name" is not a valid interface name (expected at most 15 characters, no "/", ":" or whitespace)',
      'bad.yaml:3:57: tunnels[0].mtu: 100 is out of range (expected an integer 576..9000)',
      'bad.yaml:5:15: static-routes[0].prefix: "10.1.0.1/24" has host bits set (expected 10.1.0.0/24)',
      'bad.yaml:6:13: bgp.asn: 0 is out of range (expected an AS number 1..4294967295 other than 23456)',
      'bad.yaml:7:16: api.listen: "localhost:80" is not a listen address (expected ADDRESS:PORT like 127.0.0.1:9180 or [::1]:9180)',
      'bad.yaml:8:15: log.level: "loud" is not a valid log level (expected one of: trace, debug, info, warn, error, fatal, silent)',
    ]);
  });
});

describe('secrets', () => {
  const doc = (psk: string) => `${BASE}tunnels:\n${TUNNEL.replace('${env:NVAD_PSK}', psk)}`;
  it('missing env var names the reference', () => {
    expect(errorsOf(doc('${env:NVAD_NOT_SET}'))).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: ${env:NVAD_NOT_SET}: environment variable is not set (expected the secret in NVAD_NOT_SET)',
    ]);
  });
  it('unreadable file names the reference', () => {
    expect(errorsOf(doc('${file:/run/secrets/none}'))).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: ${file:/run/secrets/none}: file is not readable (expected a readable file holding the secret)',
    ]);
  });
  it('empty values are errors, never an empty PSK', () => {
    const src = withExtra({ EMPTY: '', '/run/empty': '\n' });
    expect(errorsOf(doc('${env:EMPTY}'), 'bad.yaml', src)).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: ${env:EMPTY}: secret is empty (expected a non-empty value)',
    ]);
    expect(errorsOf(doc('${file:/run/empty}'), 'bad.yaml', src)).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: ${file:/run/empty}: secret is empty (expected a non-empty value)',
    ]);
    expect(errorsOf(doc('""'))).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: empty secret (expected a non-empty value)',
    ]);
  });
  it('malformed references', () => {
    expect(errorsOf(doc('${vault:x}'))).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: malformed secret reference (expected ${env:NAME} or ${file:PATH})',
    ]);
  });
  it('a secret of the wrong type does not echo the value', () => {
    const lines = errorsOf(doc('123456789'));
    expect(lines).toEqual([
      'bad.yaml:22:10: tunnels[0].psk: wrong type: a number (expected a secret: a string, ${env:NAME} or ${file:PATH})',
    ]);
  });
  it('secrets never appear in error messages', () => {
    const text = `${doc('${env:NVAD_PSK}')}    mtu: 1\n    tcp-mss: 5000\n`;
    const all = errorsOf(text).join('\n');
    for (const v of Object.values(SECRETS)) expect(all).not.toContain(v);
  });
  it('literal secrets are accepted', () => {
    const r = loadConfigText(doc('literal-psk-value'), 'ok.yaml', { secrets: testSecrets });
    expect(r.ok && r.config.tunnels[0]!.psk?.reveal()).toBe('literal-psk-value');
  });
});

describe('files', () => {
  it('a missing file is one error line', () => {
    const r = loadConfigFile('/nonexistent/nvad.yaml');
    expect(r.ok ? [] : r.errors.map((e) => e.text)).toEqual([
      '/nonexistent/nvad.yaml:1:1: (file): file not found (expected a readable YAML configuration file)',
    ]);
  });
});

describe('robustness (fast-check)', () => {
  it('arbitrary text never throws and every error has the documented form', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = loadConfigText(text, 'f.yaml', { secrets: testSecrets });
        if (!r.ok) for (const e of r.errors) expect(e.text).toMatch(LINE);
      }),
      { numRuns: 300 },
    );
  });
  it('YAML-ish fragments (anchors, tags, complex keys, flow) never throw', () => {
    const fragment = fc.constantFrom(
      'node:',
      ' name: a',
      '  - x',
      '? [a]',
      ': b',
      '{',
      '}',
      '[',
      ']',
      '"',
      '&a',
      '*a',
      '!!str',
      '---',
      'tunnels:',
      '  - name: t',
      '    peer: 1.2.3.4',
      '#c',
      '\t',
      'bgp: {asn: 1}',
      '<<: *a',
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), (parts) => {
        const r = loadConfigText(parts.join('\n'), 'f.yaml', { secrets: testSecrets });
        if (!r.ok) for (const e of r.errors) expect(e.text).toMatch(LINE);
      }),
      { numRuns: 500 },
    );
  });
  it('mutated valid documents never throw and every error has the documented form', () => {
    const base = `${BASE}tunnels:\n${TUNNEL}`;
    const lines = base.split('\n');
    fc.assert(
      fc.property(
        fc.nat({ max: lines.length - 1 }),
        fc.oneof(
          fc.constantFrom('', '  x: 1', '- 3', 'mtu: [1]', ': :', '    dpd: 7', '  psk: ${env:'),
          fc.string({ maxLength: 20 }),
        ),
        (at, replacement) => {
          const copy = [...lines];
          copy[at] = replacement;
          const r = loadConfigText(copy.join('\n'), 'f.yaml', { secrets: testSecrets });
          if (!r.ok) {
            for (const e of r.errors) {
              expect(e.text).toMatch(LINE);
              expect(e.text).not.toContain(SECRETS.NVAD_PSK);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('documents', () => {
  it('a second YAML document is an error', () => {
    expect(errorsOf('node: { name: a }\n---\nnode: { name: b }\n')).toEqual([
      'bad.yaml:2:1: (root): a second YAML document (expected one document per file)',
    ]);
  });
  it('empty required lists', () => {
    expect(
      errorsOf('node: { name: a }\ncrypto:\n  ike-policies:\n    p: { proposals: [] }\n'),
    ).toEqual([
      'bad.yaml:4:21: crypto.ike-policies.p.proposals: empty list (expected at least 1 entry)',
    ]);
  });
});

describe('one line per error', () => {
  it('complex keys are rejected at the key', () => {
    expect(errorsOf('node: { name: a }\n? [x, y]\n: 1\n')).toEqual([
      'bad.yaml:2:3: (root): complex key (expected a plain key)',
    ]);
  });
  it('multi-line user values are quoted on one line', () => {
    const lines = errorsOf(`node: { name: a }
crypto:
  azure-policies:
    c:
      ikeEncryption: "AES\\n256"
      ikeIntegrity: SHA256
      dhGroup: DHGroup14
      ipsecEncryption: AES256
      ipsecIntegrity: SHA256
      pfsGroup: None
      saLifeTimeSeconds: 27000
      saDataSizeKilobytes: 102400000
`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^bad\.yaml:5:22: crypto\.azure-policies\.c\.ikeEncryption: "AES\\n256" is not an Azure ikeEncryption value \(expected one of: /,
    );
  });
});
