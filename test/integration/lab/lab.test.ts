/**
 * `nvad lab up → status → down` for real: namespaces, the daemon started in one, its API, SIGTERM,
 * and nothing left behind. Runs the CLI from source (tsx) so it tests the tree as it is.
 * Needs root and iproute2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labProblems } from '../../../src/lab/prereqs.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const LAB = `t${process.pid}`;
const NETNS = `nvlab-${LAB}-nva`;
const stateRoot = mkdtempSync(join(tmpdir(), 'nvlab-test-'));
const env = { ...process.env, NVAD_LAB_DIR: stateRoot };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function nvad(...args: string[]): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);
}

function labNamespaces(): string[] {
  return existsSync('/run/netns')
    ? readdirSync('/run/netns').filter((n) => n.startsWith(`nvlab-${LAB}-`))
    : [];
}

async function loAddresses(): Promise<string> {
  return (await run('ip', ['-n', NETNS, '-o', 'addr', 'show', 'dev', 'lo'])).stdout;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

describe('lab prerequisites', () => {
  it('names the fix for each missing piece and changes nothing', () => {
    const problems = labProblems({ uid: 1000, which: () => undefined });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/must run as root/);
    expect(problems[1]).toBe('command "ip" not found: install it with "apt-get install iproute2"');
    expect(labProblems({ uid: 0, which: (n) => `/usr/sbin/${n}` })).toEqual([]);
  });
});

describe('nvad lab up → status → down', () => {
  let pid = 0;

  beforeAll(() => {
    expect(process.getuid?.()).toBe(0);
  });

  afterAll(async () => {
    try {
      await nvad('lab', 'down', '--name', LAB);
    } finally {
      for (const ns of labNamespaces()) {
        // processes the lab started there, if "lab down" itself failed
        const pids = (await run('ip', ['netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
        for (const p of pids.map(Number).filter((n) => n > 1)) process.kill(p, 'SIGKILL');
        await run('ip', ['netns', 'delete', ns]);
      }
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });

  it('rejects a lab name that could collide with another lab', async () => {
    const r = await nvad('lab', 'up', '--name', 'a-b');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid lab name "a-b"');
    expect(existsSync('/run/netns/nvlab-a-b-nva')).toBe(false);
  });

  it('status of a lab that is not up says so (exit 3)', async () => {
    const r = await nvad('lab', 'status', '--name', LAB);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`lab ${LAB} is not up`);
  });

  it('up creates the namespace, starts nvad, waits for its API and shows its state', async () => {
    const r = await nvad('lab', 'up', '--name', LAB);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('nvad lab:');
    expect(r.stdout).toContain(`lab ${LAB} is up`);
    expect(r.stdout).toContain(`${NETNS}# nvad show version`);
    expect(r.stdout).toContain(`${NETNS}# nvad show interfaces`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout).toContain(pkg.version);
    expect(labNamespaces()).toEqual([NETNS]);
    // the daemon applied the demo config: the loopback address is on lo inside the namespace
    expect(await loAddresses()).toContain('192.0.2.1/32');
    const state = JSON.parse(readFileSync(join(stateRoot, LAB, 'state.json'), 'utf8')) as {
      daemons: { pid: number; netns: string }[];
    };
    expect(state.daemons).toHaveLength(1);
    pid = state.daemons[0]!.pid;
    expect(alive(pid)).toBe(true);
    const ns = await run('ip', ['netns', 'identify', String(pid)]);
    expect(ns.stdout.trim()).toBe(NETNS);
  });

  it('up again is a no-op that keeps the running daemon', async () => {
    const r = await nvad('lab', 'up', '--name', LAB);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`nvad already running in ${NETNS} (pid ${pid})`);
    expect(alive(pid)).toBe(true);
  });

  it('status reports the running daemon and its answering API', async () => {
    const r = await nvad('lab', 'status', '--name', LAB);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`nvad pid ${pid} running`);
    expect(r.stdout).toContain('api http://127.0.0.1:9180 answers');
    expect(r.stdout).toContain('192.0.2.1/32');
    expect(r.stdout).toContain(`lab ${LAB} is up`);
  });

  it('status reports a daemon that died (exit 3) and up starts it again', async () => {
    // pid 0 would signal our own process group: only kill the daemon the earlier test recorded
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
    const status = await nvad('lab', 'status', '--name', LAB);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain(`nvad pid ${pid} NOT RUNNING`);
    expect(status.stdout).toContain(`lab ${LAB} is DEGRADED`);

    const up = await nvad('lab', 'up', '--name', LAB);
    expect(up.code, up.stderr).toBe(0);
    const restarted = /started nvad in \S+ \(pid (\d+),/.exec(up.stdout);
    expect(restarted).not.toBeNull();
    pid = Number(restarted![1]);
    expect(alive(pid)).toBe(true);
    expect(up.stdout).toContain(`lab ${LAB} is up`);
  });

  it('down stops nvad with SIGTERM and removes namespaces and state', async () => {
    const r = await nvad('lab', 'down', '--name', LAB);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`nvad in ${NETNS} (pid ${pid}) stopped`);
    expect(r.stdout).toContain(`lab ${LAB} is down`);
    expect(alive(pid)).toBe(false);
    expect(labNamespaces()).toEqual([]);
    expect(existsSync(join(stateRoot, LAB))).toBe(false);
  });

  it('down again has nothing to do', async () => {
    const r = await nvad('lab', 'down', '--name', LAB);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nothing to remove');
  });
});
