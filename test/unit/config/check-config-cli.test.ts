/** `nvad check-config FILE` as a process: exit codes, stdout/stderr contents, no secret leaks. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const PSK = 'cli-psk-Qw3rty!do-not-print';
const LINE = /^[^:]+:\d+:\d+: \S.*: .+ \(.+\)$/;

function run(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'check-config', ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, NVAD_PSK_CONN10: PSK, NVAD_TEST_PSK: PSK, NODE_NO_WARNINGS: '1' },
      timeout: 30_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TMP = mkdtempSync(join(tmpdir(), 'nvad-check-config-'));
afterAll(() => {
  rmSync(TMP, { recursive: true, force: true });
});

describe('nvad check-config', () => {
  it('prints the normalised, redacted config and exits 0', () => {
    const r = run(join(REPO, 'test/fixtures/config/shared-examples/azure-active-active-bgp.yaml'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node:\n {2}name: nva-10\n/);
    expect(r.stdout).toContain('psk: <redacted>');
    expect(r.stdout).toContain('nat-keepalive: 20s');
    expect(r.stdout).not.toContain(PSK);
  });

  it('prints every error line on stderr only, and exits 2', () => {
    const file = 'test/fixtures/config/broken/many-errors.yaml';
    const r = run(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `${file}:5:3: underlay.local-adress: unknown key "local-adress" (did you mean "local-address"?)`,
        '',
      ].join('\n'),
    );
    expect(`${r.stdout}${r.stderr}`).not.toContain(PSK);
  });

  it('reports semantic errors once the structure is valid', () => {
    // The same file with its structural error fixed: now the semantic checks run.
    const file = 'test/fixtures/config/broken/many-errors.yaml';
    const copy = join(TMP, 'semantic.yaml');
    writeFileSync(
      copy,
      readFileSync(join(REPO, file), 'utf8').replace('local-adress', 'local-address'),
    );
    const r = run(copy);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      `${copy}:11:22: crypto.ike-policies.p1.proposals[0].integrity: integrity algorithm given with GCM encryption (expected no integrity: GCM authenticates itself)`,
      `${copy}:26:14: tunnels[0].tcp-mss: 1380 does not fit the MTU 1400 (expected at most 1360)`,
    ]);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(r.stderr).not.toContain(PSK);
  });

  it('names unresolvable secret references without inventing values', () => {
    const file = 'test/fixtures/config/broken/missing-secret.yaml';
    const r = run(file);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${file}:15:47: tunnels[0].psk: \${env:NVAD_TEST_UNSET_PSK}: environment variable is not set (expected the secret in NVAD_TEST_UNSET_PSK)`,
      `${file}:16:47: tunnels[1].psk: \${file:/nonexistent/psk}: file is not readable (expected a readable file holding the secret)`,
    ]);
  });

  it('a missing file is one error line and exit 2', () => {
    const r = run('/nonexistent/nvad.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      '/nonexistent/nvad.yaml:1:1: (file): file not found (expected a readable YAML configuration file)\n',
    );
  });

  it('without a file prints usage and exits 2', () => {
    const r = run();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('usage: nvad check-config FILE\n');
  });
});
