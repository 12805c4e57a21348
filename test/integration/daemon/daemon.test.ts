/**
 * The daemon end to end, as root in a network namespace of its own: `nvad run` (through tsx, no
 * build needed) with the real rtnetlink kernel port, the management API, `nvad show`, SIGHUP
 * reloads, the single-instance guards and SIGTERM cleanup.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const NS = `nvdm${process.pid}`;
const PSK = `itPsk-${process.pid}-Zq8vW3`;
const CLI = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/main.ts')];

let dir: string;
let runDirPath: string;
let configPath: string;
/** Everything any process printed, to check that the PSK never appears. */
const allOutput: string[] = [];

function config(loopbacks: string[]): string {
  return `node:
  name: nva-it
underlay:
  local-address: 10.10.0.4
  public-address: 198.51.100.4
loopbacks:
${loopbacks.map((l) => `  - ${l}`).join('\n')}
crypto:
  ike-policies:
    p1:
      proposals:
        - encryption: [aes-gcm-256]
          prf: [sha384]
          dh-group: [ecp384]
  ipsec-policies:
    p2:
      proposals:
        - encryption: [aes-gcm-256]
          pfs-group: ecp384
tunnels:
  - name: Tunnel101
    peer: 203.0.113.10
    psk: \${env:NVAD_IT_PSK}
    ike-policy: p1
    ipsec-policy: p2
    address: 10.100.10.1/32
api:
  listen: 127.0.0.1:9180
log:
  level: info
`;
}

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  NVAD_RUN_DIR: runDirPath,
  NVAD_IT_PSK: PSK,
});

interface Daemon {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Every daemon this file started, so a failing test cannot leave one running. */
const spawned: ChildProcess[] = [];

function runNvad(cfg: string): Daemon {
  const proc = spawn('ip', ['netns', 'exec', NS, ...CLI, 'run', '--config', cfg], {
    cwd: REPO,
    env: env(),
  });
  spawned.push(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      allOutput.push(out, err);
      r(code);
    }),
  );
  return { proc, out: () => out, err: () => err, exited };
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((r) => {
    execFile(
      'ip',
      ['netns', 'exec', NS, ...CLI, ...args],
      { cwd: REPO, env: env() },
      (e, stdout, stderr) => {
        allOutput.push(stdout, stderr);
        r({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function curl(path: string): { status: number; body: string } {
  const text = execFileSync(
    'ip',
    [
      'netns',
      'exec',
      NS,
      'curl',
      '-s',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      `http://127.0.0.1:9180${path}`,
    ],
    { encoding: 'utf8' },
  );
  const i = text.lastIndexOf('\n');
  const body = text.slice(0, i);
  allOutput.push(body);
  return { status: Number(text.slice(i + 1)), body };
}

function loAddrs(): string[] {
  const j = JSON.parse(
    execFileSync('ip', ['-n', NS, '-j', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }),
  ) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  return (j[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wait for the "daemon running" log line; fail at once (with its stderr) if the daemon exits. */
async function waitRunning(d: Daemon): Promise<void> {
  await waitFor('startup', () => {
    if (d.proc.exitCode !== null)
      throw new Error(`nvad exited with ${d.proc.exitCode}: ${d.err()}`);
    return d.out().includes('"daemon running"');
  });
}

/** The API answers (it listens before the components start; wait for "daemon running" first). */
function apiUp(): boolean {
  try {
    return curl('/v1/status').status === 200;
  } catch {
    return false;
  }
}

function logLines(d: Daemon): Record<string, unknown>[] {
  return d
    .out()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let daemon: Daemon | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvad-it-daemon-'));
  runDirPath = join(dir, 'run');
  configPath = join(dir, 'nvad.yaml');
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  // Present before nvad starts and also configured: nvad must adopt it and never remove it.
  execFileSync('ip', ['-n', NS, 'addr', 'add', '169.254.99.1/32', 'dev', 'lo']);
  // The underlay NIC with the address Tunnel101 binds its IKE/ESP socket to (the VM's private
  // address); a veth pair inside the namespace stands in for eth0.
  execFileSync('ip', ['-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '10.10.0.4/24', 'dev', 'eth0']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'eth0', 'up']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'eth0p', 'up']);
});

afterAll(async () => {
  try {
    for (const p of spawned) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
  } finally {
    execFileSync('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('nvad run in a namespace', () => {
  it('rejects an invalid configuration at startup with FILE:LINE:COL errors, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'node:\n  name: x\nloopbacks:\n  - not-a-prefix\nbogus: 1\n');
    const d = runNvad(bad);
    expect(await d.exited).toBe(2);
    const lines = d.err().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${bad}:\\d+:\\d+: \\S+: .+`));
    expect(d.out()).toBe('');
  });

  it('starts: API answers /v1/status and /metrics, loopbacks are on lo', async () => {
    writeFileSync(configPath, config(['169.254.21.1/32', '169.254.99.1/32', '2001:db8::21/128']));
    daemon = runNvad(configPath);
    await waitRunning(daemon);
    expect(apiUp()).toBe(true);
    const status = JSON.parse(curl('/v1/status').body) as Record<string, unknown>;
    expect(status).toMatchObject({
      nodeName: 'nva-it',
      pid: daemon.proc.pid,
      configFile: configPath,
      components: expect.arrayContaining([
        {
          name: 'loopbacks',
          state: 'running',
          detail: '3 loopback addresses on lo (2 added by nvad)',
        },
        // The tunnel exists but has no child SA yet, so its line protocol is down.
        { name: 'tunnels', state: 'running', detail: '1 tunnel, 0 up' },
      ]),
    });
    const metrics = curl('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^nvad_build_info\{version="[^"]+",node_version="v\d+/m);
    expect(metrics.body).toMatch(/^nvad_interfaces_up 1$/m);
    expect(metrics.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(curl('/nope').status).toBe(404);
    expect(loAddrs()).toEqual([
      '127.0.0.1/8',
      '169.254.21.1/32',
      '169.254.99.1/32',
      '2001:db8::21/128',
      '::1/128',
    ]);
    const lifecycle = logLines(daemon).filter((l) => l['mod'] === 'daemon');
    // The API listens before any component touches the kernel; components start in order.
    expect(lifecycle.map((l) => l['msg'])).toEqual([
      'daemon starting',
      'api listening',
      ...Array<string>(5).fill('component started'),
      'daemon running',
    ]);
    expect(
      lifecycle.filter((l) => l['msg'] === 'component started').map((l) => l['component']),
    ).toEqual(['loopbacks', 'routing', 'tunnels', 'ike', 'bgp']);
  });

  it(
    'nvad show version | running-config | interfaces, as text and --json',
    { timeout: 120_000 },
    async () => {
      const v = await cli(['show', 'version']);
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(/^nvad Software, Version \S+\n/);
      expect(v.stdout).toContain(`Configuration file is "${configPath}"`);
      const vj = JSON.parse((await cli(['show', 'version', '--json'])).stdout) as Record<
        string,
        unknown
      >;
      expect(vj).toMatchObject({ software: 'nvad', nodeName: 'nva-it', pid: daemon?.proc.pid });

      const r = await cli(['show', 'running-config', '--config', configPath]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Building configuration\.\.\.\n/);
      expect(r.stdout).toContain('psk: <redacted>');
      expect(r.stdout).toContain('169.254.21.1/32');
      const rj = JSON.parse((await cli(['show', 'run', '--json'])).stdout) as {
        yaml: string;
        configFile: string;
      };
      expect(rj.configFile).toBe(configPath);
      expect(rj.yaml).toContain('Tunnel101');

      const i = await cli(['show', 'interfaces']);
      expect(i.code).toBe(0);
      const lines = i.stdout.split('\n');
      expect(lines[0]).toMatch(/^Interface\s+IP-Address\s+Status\s+Protocol\s+MTU$/);
      expect(lines[1]).toMatch(/^lo\s+127\.0\.0\.1\/8\s+up\s+up\s+65536$/);
      expect(i.stdout).toMatch(/^\s+169\.254\.21\.1\/32$/m);
      const ij = JSON.parse((await cli(['show', 'int', '--json'])).stdout) as {
        interfaces: { name: string; addresses: { address: string }[] }[];
      };
      expect(ij.interfaces.map((x) => x.name)).toEqual(['lo', 'Tunnel101']);
      expect(ij.interfaces[0]?.addresses.map((a) => a.address)).toContain('2001:db8::21');
    },
  );

  it('a second instance on the same config fails fast with one clear line, exit 1', async () => {
    const before = loAddrs();
    const second = runNvad(configPath);
    expect(await second.exited).toBe(1);
    expect(second.err()).toMatch(
      new RegExp(
        `^nvad run: another nvad \\(pid ${daemon?.proc.pid}\\) is already running with config ${configPath} \\(lock [^)]+\\)\\n$`,
      ),
    );
    expect(loAddrs()).toEqual(before);
  });

  it('a second instance on the same API port fails fast before touching the kernel, exit 1', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, config(['169.254.77.1/32']));
    const second = runNvad(other);
    expect(await second.exited).toBe(1);
    expect(second.err()).toBe(
      'nvad run: cannot listen on 127.0.0.1:9180: address already in use (is another nvad running?)\n',
    );
    expect(loAddrs()).not.toContain('169.254.77.1/32');
  });

  it('SIGHUP with a broken config: errors logged, state unchanged, still serving', async () => {
    const d = daemon!;
    const before = loAddrs();
    writeFileSync(
      configPath,
      config(['169.254.21.1/32', '169.254.99.1/32', '2001:db8::21/128']) + 'bogus-key: 1\n',
    );
    d.proc.kill('SIGHUP');
    await waitFor('the rejection', () => d.out().includes('reload rejected'));
    const warns = logLines(d).filter((l) => l['level'] === 40 && l['msg'] === 'config error');
    expect(warns.length).toBeGreaterThanOrEqual(1);
    expect(String(warns[0]?.['error'])).toMatch(
      new RegExp(`^${configPath}:\\d+:\\d+: bogus-key: `),
    );
    expect(loAddrs()).toEqual(before);
    expect(curl('/metrics').body).toMatch(/^nvad_config_reloads_total\{result="failure"\} 1$/m);
    expect(d.proc.exitCode).toBeNull();
  });

  it('SIGHUP with a changed valid config adds/removes only the changed loopback', async () => {
    const d = daemon!;
    const mark = logLines(d).length;
    writeFileSync(configPath, config(['169.254.21.5/32', '169.254.99.1/32', '2001:db8::21/128']));
    d.proc.kill('SIGHUP');
    await waitFor('the reload', () => d.out().includes('"reload applied"'));
    expect(loAddrs()).toEqual([
      '127.0.0.1/8',
      '169.254.21.5/32',
      '169.254.99.1/32',
      '2001:db8::21/128',
      '::1/128',
    ]);
    const after = logLines(d).slice(mark);
    const kernelOps = after
      .filter((l) => l['mod'] === 'loopbacks')
      .map((l) => `${String(l['msg'])} ${String(l['address'])}`);
    expect(kernelOps).toEqual([
      'loopback address removed 169.254.21.1/32',
      'loopback address added 169.254.21.5/32',
    ]);
    expect(after.find((l) => l['msg'] === 'reload applied')?.['changes']).toEqual([
      'loopbacks: +169.254.21.5/32 -169.254.21.1/32',
    ]);
    expect(curl('/metrics').body).toMatch(/^nvad_config_reloads_total\{result="success"\} 1$/m);
  });

  it('SIGTERM removes what nvad added (not the pre-existing address), releases the lock, exits 0', async () => {
    const d = daemon!;
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(loAddrs()).toEqual(['127.0.0.1/8', '169.254.99.1/32', '::1/128']);
    expect(readdirSync(runDirPath)).toEqual([]);
    const msgs = logLines(d).map((l) => l['msg']);
    expect(msgs.slice(-2)).toEqual(['component stopped', 'daemon stopped']);
    expect(d.err()).toBe('');
    const down = await cli(['show', 'version']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      'nvad show: cannot reach the nvad API at http://127.0.0.1:9180 (connection refused); is the daemon running?\n',
    );
  });

  it('after kill -9 the next instance takes over the stale lock and cleans up the leftovers', async () => {
    writeFileSync(configPath, config(['169.254.21.7/32', '169.254.99.1/32']));
    const crashed = runNvad(configPath);
    await waitRunning(crashed);
    expect(loAddrs()).toContain('169.254.21.7/32');
    crashed.proc.kill('SIGKILL');
    await crashed.exited;
    expect(loAddrs()).toContain('169.254.21.7/32');
    expect(readdirSync(runDirPath).filter((f) => f.endsWith('.lock'))).toHaveLength(1);
    // Next run: .7 is no longer configured, so the leftover is removed at start.
    writeFileSync(configPath, config(['169.254.99.1/32']));
    const next = runNvad(configPath);
    daemon = next;
    await waitRunning(next);
    expect(apiUp()).toBe(true);
    const lines = logLines(next);
    expect(lines.find((l) => l['msg'] === 'took over a stale instance lock')?.['stalePid']).toBe(
      crashed.proc.pid,
    );
    expect(lines.some((l) => l['msg'] === 'loopback address left by a previous run, removed')).toBe(
      true,
    );
    expect(loAddrs()).toEqual(['127.0.0.1/8', '169.254.99.1/32', '::1/128']);
    next.proc.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    expect(loAddrs()).toEqual(['127.0.0.1/8', '169.254.99.1/32', '::1/128']);
    expect(readdirSync(runDirPath)).toEqual([]);
  });

  it('a non-loopback API needs the bearer token; nvad show --config finds the token file', async () => {
    const tokenCfg = join(dir, 'token.yaml');
    writeFileSync(join(dir, 'api-token'), 'Tok-abc-123\n');
    writeFileSync(
      tokenCfg,
      config(['169.254.40.1/32']).replace(
        '  listen: 127.0.0.1:9180\n',
        '  listen: 0.0.0.0:9181\n  token-file: api-token\n',
      ),
    );
    const d = runNvad(tokenCfg);
    daemon = d;
    await waitRunning(d);
    const ok = await cli(['show', 'version', '--config', tokenCfg]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^nvad Software/);
    const denied = await cli(['show', 'version', '--api', '127.0.0.1:9181']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      'nvad show: API refused the request: authorization required (give --token-file or set api.token-file)\n',
    );
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(loAddrs()).not.toContain('169.254.40.1/32');
    for (const text of [d.out(), d.err(), ok.stdout, denied.stderr])
      expect(text).not.toContain('Tok-abc-123');
  });

  it('the PSK never appeared in any log line or output', () => {
    expect(allOutput.length).toBeGreaterThan(10);
    for (const text of allOutput) expect(text).not.toContain(PSK);
    expect(existsSync(configPath)).toBe(true);
  });
});
