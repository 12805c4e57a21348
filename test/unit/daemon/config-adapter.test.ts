import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffConfig, loadConfigText, type Config } from '../../../src/config/index.js';
import { summarizeChanges } from '../../../src/daemon/config-adapter.js';

const EXAMPLE = readFileSync(
  join(import.meta.dirname, '../../fixtures/config/shared-examples/azure-active-active-bgp.yaml'),
  'utf8',
);
const secrets = (psk: string) => ({
  env: (name: string) => (name === 'NVAD_PSK_CONN10' ? psk : undefined),
  readFile: () => {
    throw new Error('no files');
  },
});

function load(text: string, psk = 'old-Secret-psk'): Config {
  const r = loadConfigText(text, 'nvad.yaml', { secrets: secrets(psk) });
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r.config;
}

function summary(a: Config, b: Config): string[] {
  return summarizeChanges(diffConfig(a, b), a, b);
}

describe('reload change summary', () => {
  const base = load(EXAMPLE);

  it('is empty for an identical config', () => {
    expect(summary(base, load(EXAMPLE))).toEqual([]);
  });

  it('names each changed section, with names and prefixes', () => {
    const edited = EXAMPLE.replace(
      '  - 169.254.21.1/32\n',
      '  - 169.254.21.1/32\n  - 169.254.30.1/32\n',
    )
      .replace('address: 10.100.10.2/32', 'address: 10.100.10.3/32')
      .replace('    - address: 10.10.4.5\n', '    - address: 10.10.4.6\n')
      .replace('  level: info', '  level: debug')
      .replace('name: nva-10', 'name: nva-11');
    expect(summary(base, load(edited))).toEqual([
      'node.name: nva-10 -> nva-11',
      'loopbacks: +169.254.30.1/32',
      'tunnels: ~Tunnel102',
      'bgp neighbors: +10.10.4.6 -10.10.4.5',
      'log.level: info -> debug',
    ]);
  });

  it('reports a PSK change as a changed tunnel without printing the PSK', () => {
    const lines = summary(base, load(EXAMPLE, 'new-Secret-psk'));
    expect(lines).toEqual(['tunnels: ~Tunnel101 ~Tunnel102']);
    expect(lines.join('\n')).not.toMatch(/Secret-psk/);
  });
});
