/**
 * The Dockerfile, built and run for real with rootful podman (no registry: the base image is the
 * local stand-in made by ../shared/tools/container/make-base-image.sh, see
 * ../shared/docs/container-build.md). The container runs in a test network namespace with the caps
 * the README documents; the test checks the API answers and that `podman stop` (SIGTERM) ends the
 * daemon with exit code 0 and removes the loopback address it added.
 * Needs root, podman, runc, debootstrap (scripts/deps.sh). The image is built by image.ts, under a
 * lock shared with the other container test files (design2-container.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, podmanEnv as sharedPodmanEnv } from './image.js';

const ROOT = resolve(import.meta.dirname, '../..');
const IMAGE = 'localhost/nvad:test';
const NS = `nvct${process.pid}`;
const NAME = `nvct${process.pid}`;
const LOOPBACK = '192.0.2.77/32';
const PKG_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const workDir = mkdtempSync(join(tmpdir(), 'nvct-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let podmanEnv: NodeJS.ProcessEnv = process.env;

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env: podmanEnv, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Run and fail the test with the command's own output when it fails. */
async function must(cmd: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`,
    );
  }
  return r.stdout;
}

const PROBE = `fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
  .then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); },
        () => process.exit(1))`;

/** GET a URL from inside the test namespace. */
function getInNs(url: string): Promise<Run> {
  return run('ip', ['netns', 'exec', NS, process.execPath, '-e', PROBE, url], 10_000);
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function loAddresses(): Promise<string> {
  return must('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', 'lo']);
}

describe('container image', () => {
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    // base image, build, drop the replaced image, prune the build stage: image.ts, under the lock
    // the other container test files share
    await buildImage(IMAGE);
    podmanEnv = sharedPodmanEnv();
    await must('ip', ['netns', 'add', NS]);
    await must('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    writeFileSync(
      join(workDir, 'nvad.yaml'),
      `node:\n  name: nvct\nloopbacks:\n  - ${LOOPBACK}\napi:\n  listen: 127.0.0.1:9180\nlog:\n  level: info\n`,
    );
  }, 40 * 60_000);

  afterAll(async () => {
    try {
      await run('podman', ['rm', '--force', '--time', '2', NAME]);
    } finally {
      await run('ip', ['netns', 'delete', NS]);
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('has the runtime pieces and no build toolchain', async () => {
    const out = await must('podman', [
      'run',
      '--rm',
      '--pull=never',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      [
        'nvad version',
        // the addon loads against the image's node and reports an OpenSSL 3 with AES-GCM
        `node -p 'JSON.stringify(require("/opt/nvad/native/build/Release/nvad.node").opensslVersion())'`,
        'command -v ip',
        '! command -v g++',
        'echo ok',
      ].join(' && '),
    ]);
    expect(out).toMatch(/^nvad \d+\.\d+\.\d+/);
    const ssl = JSON.parse(out.split('\n')[1]!) as { number: number; hasAesGcm: boolean };
    expect(ssl.hasAesGcm).toBe(true);
    expect(ssl.number).toBeGreaterThanOrEqual(0x30000000);
    expect(out).toContain('/ip\n');
    expect(out.trimEnd().endsWith('ok')).toBe(true);
  }, 120_000);

  it('runs in a namespace with NET_ADMIN and /dev/net/tun, answers /v1/status, stops cleanly on SIGTERM', async () => {
    await must('podman', [
      'run',
      '-d',
      '--name',
      NAME,
      '--pull=never',
      '--cap-add',
      'NET_ADMIN',
      '--device',
      '/dev/net/tun',
      '--network',
      `ns:/run/netns/${NS}`,
      '-v',
      `${join(workDir, 'nvad.yaml')}:/etc/nvad/nvad.yaml:ro`,
      IMAGE,
    ]);
    const body = await waitFor('the API in the container', 60_000, async () => {
      const r = await getInNs('http://127.0.0.1:9180/v1/status');
      if (r.code === 0) return r.stdout;
      const state = await run('podman', ['inspect', '--format', '{{.State.Status}}', NAME]);
      if (state.stdout.trim() === 'exited') {
        const logs = await run('podman', ['logs', NAME]);
        throw new Error(`container exited:\n${logs.stdout}${logs.stderr}`);
      }
      return undefined;
    });
    const status = JSON.parse(body) as {
      nodeName?: unknown;
      version?: unknown;
      configFile?: unknown;
    };
    expect(status.nodeName).toBe('nvct');
    expect(status.version).toBe(PKG_VERSION);
    expect(status.configFile).toBe('/etc/nvad/nvad.yaml');
    expect(await loAddresses()).toContain(LOOPBACK);

    const show = await must('podman', ['exec', NAME, 'nvad', 'show', 'version']);
    expect(show).toContain(`Version ${PKG_VERSION}`);

    await must('podman', ['stop', '--time', '20', NAME], 60_000);
    const exit = await must('podman', ['inspect', '--format', '{{.State.ExitCode}}', NAME]);
    expect(exit.trim()).toBe('0');
    expect(await loAddresses()).not.toContain(LOOPBACK);
  }, 180_000);
});
