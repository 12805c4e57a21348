import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/diff.js';
import { loadConfigFile, loadConfigText } from '../../../src/config/load.js';
import { renderConfig } from '../../../src/config/redact.js';
import type { Config } from '../../../src/config/types.js';
import { SECRETS, mustLoad, withExtra } from './helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const KEYS = {
  NVAD_KEY_IN: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304',
  NVAD_KEY_OUT: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa9988776655443322110005060708',
};
const src = withExtra(KEYS);

function loadFile(path: string): Config {
  const r = loadConfigFile(path, { secrets: src });
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r.config;
}

const EXAMPLES = [
  ...readdirSync(join(REPO, 'config'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(REPO, 'config', f)),
  ...readdirSync(join(REPO, 'test/fixtures/config/shared-examples')).map((f) =>
    join(REPO, 'test/fixtures/config/shared-examples', f),
  ),
];

describe('project example configs (config/*.yaml)', () => {
  it('include demo.yaml: one loopback, API on 127.0.0.1:9180, no peers', () => {
    const c = loadFile(join(REPO, 'config/demo.yaml'));
    expect(c.loopbacks).toEqual(['10.255.255.1/32']);
    expect(c.api.listen).toEqual({ host: '127.0.0.1', port: 9180 });
    expect(c.tunnels).toEqual([]);
    expect(c.bgp).toBeUndefined();
  });

  it('manual-sa-lab.yaml carries manual keys as secrets', () => {
    const t = loadFile(join(REPO, 'config/manual-sa-lab.yaml')).tunnels[0]!;
    expect(t.psk).toBeNull();
    expect(t.ikePolicy).toBeNull();
    expect(t.manualSa).toMatchObject({
      spiIn: 0x1001,
      spiOut: 0x2001,
      encryption: 'aes-gcm-256',
      integrity: null,
      remotePort: 4500,
    });
    expect(t.manualSa!.keyIn.reveal()).toBe(KEYS.NVAD_KEY_IN);
  });
});

describe('renderConfig', () => {
  it.each(EXAMPLES)('%s: renders with secrets redacted and reloads to the same config', (path) => {
    const c = loadFile(path);
    const text = renderConfig(c);
    for (const v of [...Object.values(SECRETS), ...Object.values(KEYS)])
      expect(text).not.toContain(v);
    // Every secret becomes the literal <redacted>; reloading gives the same structure.
    // Manual keys must be hex, so point them back at the environment for the reload.
    const reloadable = text
      .replace('key-in: <redacted>', 'key-in: ${env:NVAD_KEY_IN}')
      .replace('key-out: <redacted>', 'key-out: ${env:NVAD_KEY_OUT}');
    const again = loadConfigText(reloadable, 'rendered.yaml', { secrets: withExtra(KEYS) });
    if (!again.ok) throw new Error(again.errors.map((e) => e.text).join('\n'));
    expect(renderConfig(again.config)).toBe(text);
    const d = diffConfig(c, again.config);
    // Only the secret values differ (they became "<redacted>").
    expect(d.loopbacks).toEqual({ added: [], removed: [] });
    expect(d.tunnels.added).toEqual([]);
    expect(d.tunnels.removed).toEqual([]);
    expect(d.bgp.neighbors).toEqual({ added: [], removed: [], changed: [] });
    expect(d.routingContexts).toEqual({ added: [], removed: [], changed: [] });
    expect(d.staticRoutes).toEqual({ added: [], removed: [] });
  });

  it('renders the documented default-filled form (kebab-case, durations in s)', () => {
    const text = renderConfig(
      loadFile(join(REPO, 'test/fixtures/config/shared-examples/azure-active-active-bgp.yaml')),
    );
    expect(text).toContain('    psk: <redacted>\n');
    expect(text).toContain('    dpd: {interval: 40s, retries: 2, mode: on-demand}\n');
    expect(text).toContain('  timers: {keepalive: 60s, hold: 180s}\n');
    expect(text).toContain(
      '        - encryption: [aes-gcm-256]\n          prf: [sha384]\n          dh-group: [ecp384]\n',
    );
    expect(text).toContain('  - prefix: 169.254.21.2/32\n    via: [Tunnel101]\n    distance: 1\n');
  });

  it('redacts manual keys and the API token', () => {
    const c = mustLoad(
      `node: { name: n }
api: { token-file: /etc/nvad/token }
tunnels:
  - name: m0
    peer: 10.0.0.2
    local-address: 10.0.0.1
    manual-sa: { spi-in: 4096, spi-out: 4097, encryption: aes-cbc-128, integrity: sha256,
      key-in: "\${env:K1}", key-out: "\${env:K1}", integrity-key-in: "\${env:K2}", integrity-key-out: "\${env:K2}" }
`,
      'x.yaml',
      withExtra({
        K1: 'aa'.repeat(16),
        K2: 'bb'.repeat(32),
        '/etc/nvad/token': 'tok-Secret-123\n',
      }),
    );
    expect(c.api.token?.reveal()).toBe('tok-Secret-123');
    const text = renderConfig(c);
    expect(text).not.toMatch(/aaaa|bbbb|tok-Secret/);
    expect(text).toContain('key-in: <redacted>');
    expect(text).toContain('integrity-key-out: <redacted>');
    expect(text).toContain('token-file: /etc/nvad/token');
  });
});

describe('diffConfig', () => {
  const base = loadFile(
    join(REPO, 'test/fixtures/config/shared-examples/azure-active-active-bgp.yaml'),
  );
  const original = readFileSync(
    join(REPO, 'test/fixtures/config/shared-examples/azure-active-active-bgp.yaml'),
    'utf8',
  );
  const variant = (edit: (s: string) => string, secrets = src): Config => {
    const r = loadConfigText(edit(original), 'v.yaml', { secrets });
    if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
    return r.config;
  };

  it('identical configs give an empty diff', () => {
    const d = diffConfig(
      base,
      variant((s) => s),
    );
    expect(d.empty).toBe(true);
  });

  it('a changed PSK changes the tunnels that use it, without revealing it', () => {
    const d = diffConfig(
      base,
      variant((s) => s, withExtra({ NVAD_PSK_CONN10: 'new-psk' })),
    );
    expect(d.tunnels.changed).toEqual(['Tunnel101', 'Tunnel102']);
    expect(JSON.stringify(d)).not.toContain('new-psk');
    expect(d.empty).toBe(false);
  });

  it('a changed policy changes the tunnels that use it', () => {
    const d = diffConfig(
      base,
      variant((s) => s.replace('lifetime: 27000s', 'lifetime: 3600s')),
    );
    expect(d.tunnels).toEqual({ added: [], removed: [], changed: ['Tunnel101', 'Tunnel102'] });
  });

  it('tunnels, loopbacks, routes and neighbors added/removed/changed', () => {
    const d = diffConfig(
      base,
      variant((s) =>
        s
          .replace('  - 169.254.21.1/32\n', '  - 169.254.21.1/32\n  - 10.255.0.1/32\n')
          .replace(/ {2}- name: Tunnel102[\s\S]*?on-demand \}\n/, '')
          .replace('  - { prefix: 169.254.21.6/32, via: Tunnel102 }\n', '')
          .replace(/ {4}- address: 169\.254\.21\.6\n(.*\n){3}/, '')
          .replace(
            '      max-prefixes-out: 1000\n    - address: 10.10.4.5',
            '      max-prefixes-out: 500\n    - address: 10.10.4.5',
          )
          .replace('  level: info', '  level: debug'),
      ),
    );
    expect(d.loopbacks).toEqual({ added: ['10.255.0.1/32'], removed: [] });
    expect(d.tunnels).toEqual({ added: [], removed: ['Tunnel102'], changed: [] });
    expect(d.staticRoutes.removed.map((r) => r.prefix)).toEqual(['169.254.21.6/32']);
    expect(d.staticRoutes.added).toEqual([]);
    expect(d.bgp.neighbors).toEqual({
      added: [],
      removed: [{ address: '169.254.21.6', routingContext: undefined }],
      changed: [{ address: '10.10.4.4', routingContext: undefined }],
    });
    expect(d.bgp.global).toBe(false);
    expect(d.log).toBe(true);
    expect(d.api).toBe(false);
  });

  it('global BGP and API changes', () => {
    const d = diffConfig(
      base,
      variant((s) =>
        s
          .replace('maximum-paths: 2', 'maximum-paths: 4')
          .replace('127.0.0.1:9180', '127.0.0.1:9181'),
      ),
    );
    expect(d.bgp.global).toBe(true);
    expect(d.api).toBe(true);
    expect(d.bgp.neighbors.changed).toEqual([]);
  });

  it('bgp section added and removed', () => {
    const noBgp = variant((s) => s.replace(/\nbgp:[\s\S]*?\napi:/, '\napi:'));
    expect(diffConfig(base, noBgp).bgp).toMatchObject({ removed: true, added: false });
    expect(diffConfig(noBgp, base).bgp.added).toBe(true);
    expect(diffConfig(noBgp, base).bgp.neighbors.added).toHaveLength(4);
  });
});
