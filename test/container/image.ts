/**
 * Building the nvad image for the container tests, shared by the test files so they never race:
 * rootful podman with the containers.conf of ../shared/tools/container/podman-env.sh, the local
 * base image from make-base-image.sh (see ../shared/docs/container-build.md), then build, drop the
 * image the build replaced and prune the build stage's layers, all under one file lock. A second
 * build of an unchanged tree is a layer-cache hit and yields the same image.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sharedDir } from '../support/shared-dir.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TOOLS = join(sharedDir(), 'tools/container');
export const IMAGE = 'localhost/nvad:test';
export const NODE_IMAGE = 'docker.io/library/node:20-bookworm-slim';
const LOCK = join(tmpdir(), 'nvad-test-image.lock');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let env: NodeJS.ProcessEnv = process.env;

/** The environment podman commands run with (CONTAINERS_CONF once {@link podmanSetup} ran). */
export function podmanEnv(): NodeJS.ProcessEnv {
  return env;
}

export function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Run and throw with the command's own output when it fails. */
export async function must(
  cmd: string,
  args: readonly string[],
  timeoutMs?: number,
): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`,
    );
  }
  return r.stdout;
}

/** Use the shared tools' containers.conf (runc, ulimits within this host's limits). */
export async function podmanSetup(): Promise<void> {
  if (!existsSync(join(TOOLS, 'make-base-image.sh'))) {
    throw new Error(
      `${TOOLS}/make-base-image.sh not found: the shared/ folder must sit beside the repository (or set NVAD_SHARED_DIR)`,
    );
  }
  const conf = await must('bash', [
    '-c',
    `. "${TOOLS}/podman-env.sh" && printf %s "$CONTAINERS_CONF"`,
  ]);
  env = { ...process.env, CONTAINERS_CONF: conf };
}

const BUILD = `set -e
image=$1 node_image=$2
before=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
podman build --pull=never --network host --build-arg "NODE_IMAGE=$node_image" -t "$image" .
after=$(podman image inspect --format '{{.Id}}' "$image")
# Keep storage from growing run after run: drop the image this build replaced (unless a container
# still uses it) and the build stage's layers (labelled in the Dockerfile); the apt layers and the
# base image stay cached.
if [ -n "$before" ] && [ "$before" != "$after" ]; then podman rmi "$before" >/dev/null 2>&1 || true; fi
podman image prune --force --filter label=org.nvad.stage=build >/dev/null || true
`;

/**
 * Make the base image, then build the Dockerfile as `image` (serialised across test files by a
 * file lock, so one file's prune never meets another's build).
 */
export async function buildImage(image = IMAGE): Promise<void> {
  await podmanSetup();
  await must('bash', [join(TOOLS, 'make-base-image.sh')], 15 * 60_000);
  await must(
    'flock',
    ['-w', '2400', LOCK, 'bash', '-c', BUILD, 'build', image, NODE_IMAGE],
    40 * 60_000,
  );
}

/** Image id of `image`, '' when it does not exist. */
export async function imageId(image = IMAGE): Promise<string> {
  const r = await run('podman', ['image', 'inspect', '--format', '{{.Id}}', image]);
  return r.code === 0 ? r.stdout.trim() : '';
}
