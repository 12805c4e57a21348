/**
 * Design 2 (dual stack, static) end to end with the NVA running from the container image (issue 6
 * item 8): the image is built from the Dockerfile with rootful podman (image.ts, shared with
 * container.test.ts under one lock; an unchanged tree is a layer-cache hit), then runs in the
 * lab's NVA namespace (`--network ns:/run/netns/<ns>`) with the caps and device the README
 * documents (`--cap-add NET_ADMIN --device /dev/net/tun`). The configuration is the shared example
 * `dual-stack-static.yaml` byte for byte: the PSK files are mounted where it expects them,
 * /run/secrets/psk1 and psk2. Show commands go through `podman exec <name> nvad show … --json`.
 * The checks are the same as for nvad from source (../integration/e2e/design2-suite.ts), then
 * `podman stop` must end the daemon with exit code 0 and remove its tunnel interfaces and routes.
 * Needs root, podman, runc, debootstrap (scripts/deps.sh), strongSwan, iptables.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { describeWithPrereqs, isRoot } from '../support/netns.js';
import { CHARON_BIN } from '../support/strongswan.js';
import { EXAMPLE } from '../integration/e2e/design2-lab.js';
import type { Design2Lab } from '../integration/e2e/design2-lab.js';
import { design2Suite } from '../integration/e2e/design2-suite.js';
import type { NvaUnderTest } from '../integration/e2e/design2-suite.js';
import { buildImage, IMAGE, must, run } from './image.js';

const NAME = `nvd2c${process.pid}`;

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PREREQS = {
  root: isRoot(),
  podman: has('podman'),
  runc: has('runc'),
  debootstrap: has('debootstrap'),
  'strongSwan charon (strongswan-charon, libcharon-extra-plugins)': existsSync(CHARON_BIN),
  swanctl: has('swanctl'),
  iptables: has('iptables'),
  ping: has('ping'),
};

async function containerState(): Promise<string> {
  const r = await run('podman', ['inspect', '--format', '{{.State.Status}}', NAME]);
  return r.code === 0 ? r.stdout.trim() : 'missing';
}

async function containerLog(): Promise<string> {
  const r = await run('podman', ['logs', NAME]);
  return r.stdout + r.stderr;
}

/** The image in the lab's NVA namespace with the example as written and the PSKs as files. */
async function startContainer(lab: Design2Lab): Promise<NvaUnderTest> {
  const secrets = lab.writeSecrets();
  const config = join(lab.dir, 'nvad.yaml');
  // as written: no substitution at all
  writeFileSync(config, readFileSync(EXAMPLE), { mode: 0o644 });
  await run('podman', ['rm', '--force', '--time', '2', NAME]);
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
    `ns:/run/netns/${lab.nva.name}`,
    '-v',
    `${config}:/etc/nvad/nvad.yaml:ro`,
    '-v',
    `${join(secrets, 'psk1')}:/run/secrets/psk1:ro`,
    '-v',
    `${join(secrets, 'psk2')}:/run/secrets/psk2:ro`,
    IMAGE,
  ]);
  const show = async (words: readonly string[]): Promise<unknown> => {
    const r = await run('podman', ['exec', NAME, 'nvad', 'show', ...words, '--json'], 30_000);
    if (r.code !== 0) {
      const state = await containerState();
      throw new Error(
        `nvad show ${words.join(' ')} in the container (${state}) exited ${r.code}: ${r.stderr}` +
          (state === 'running' ? '' : `\n${(await containerLog()).slice(-4000)}`),
      );
    }
    return JSON.parse(r.stdout) as unknown;
  };
  return {
    show,
    log: containerLog,
    stop: async () => {
      await run('podman', ['rm', '--force', '--time', '2', NAME]);
    },
  };
}

describeWithPrereqs('Design 2: dual stack, static (nvad from the container image)', PREREQS, () => {
  beforeAll(async () => {
    await buildImage();
  }, 45 * 60_000);

  const ctx = design2Suite({ tag: 'd2c', start: startContainer });

  it('keeps the PSKs out of its log and stops cleanly on SIGTERM (exit 0, tunnels removed)', async () => {
    const lab = ctx.lab!;
    const log = await containerLog();
    expect(log).toContain('daemon running');
    for (const psk of lab.psks) expect(log).not.toContain(psk);
    await must('podman', ['stop', '--time', '20', NAME], 60_000);
    const exit = await must('podman', ['inspect', '--format', '{{.State.ExitCode}}', NAME]);
    expect(exit.trim()).toBe('0');
    const links = lab.nva.ip('-o', 'link');
    expect(links).not.toContain('Tunnel0');
    expect(links).not.toContain('Tunnel1');
    expect(lab.nva.ip('-4', 'route', 'show', 'proto', 'static')).toBe('');
    expect(lab.nva.ip('-6', 'route', 'show', 'proto', 'static')).toBe('');
  }, 120_000);
});
