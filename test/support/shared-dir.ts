/**
 * Where the project's `shared/` folder is (architecture docs, example contracts, the container
 * base-image tool): `NVAD_SHARED_DIR`, else `../shared` beside this checkout, else `../shared`
 * beside the repository this one was cloned from (a CI clone in /tmp of a checkout that has it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');

function originPath(): string | undefined {
  try {
    const url = execFileSync('git', ['-C', REPO, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
    return isAbsolute(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The shared/ folder; throws, saying how to provide it, when none is found. */
export function sharedDir(): string {
  const env = process.env.NVAD_SHARED_DIR;
  if (env !== undefined && env !== '') return env;
  const origin = originPath();
  const candidates = [
    resolve(REPO, '../shared'),
    ...(origin ? [resolve(origin, '../shared')] : []),
  ];
  const found = candidates.find((c) => existsSync(resolve(c, 'examples')));
  if (found === undefined) {
    throw new Error(
      `the project's shared/ folder was not found (looked in ${candidates.join(', ')}): ` +
        'put it beside the clone or set NVAD_SHARED_DIR',
    );
  }
  return found;
}
