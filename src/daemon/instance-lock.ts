/**
 * One daemon per configuration file: a lock file under the run directory (`$NVAD_RUN_DIR`, default
 * `/run/nvad`) named after a hash of the config's absolute path, created with O_EXCL and holding
 * the owner's pid. A lock whose pid no longer runs (crash, kill -9) is stale and is taken over.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

export const DEFAULT_RUN_DIR = '/run/nvad';

export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['NVAD_RUN_DIR'];
  return dir !== undefined && dir !== '' ? resolve(dir) : DEFAULT_RUN_DIR;
}

export function lockPathFor(configFile: string, dir: string): string {
  const hash = createHash('sha256').update(resolve(configFile)).digest('hex').slice(0, 16);
  return join(dir, `nvad-${hash}.lock`);
}

/** Another live nvad holds the lock; the message is the one line the CLI prints. */
export class InstanceLockError extends Error {
  readonly ownerPid: number | null;
  constructor(message: string, ownerPid: number | null) {
    super(message);
    this.name = 'InstanceLockError';
    this.ownerPid = ownerPid;
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Pid of a dead previous owner whose stale lock was taken over, or null. */
  readonly tookOverFromPid: number | null;
  release(): void;
}

/**
 * Is a process with this pid alive? (EPERM means it exists but belongs to someone else.) A zombie
 * is dead: a daemon started detached is re-parented to PID 1, which may reap it late, and its
 * stale lock must still be taken over.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** /proc/<pid>/stat field 3 is the state; "Z" is a zombie (exited, not yet reaped). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: read after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

function readOwner(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').split('\n', 1)[0] ?? '', 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Create the lock atomically with its content: write a private temp file, then link(2) it to the
 * lock name (fails with EEXIST when the lock exists), so nobody ever sees a half-written lock.
 */
function tryCreate(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

export function acquireInstanceLock(
  configFile: string,
  dir: string = runDir(),
  pid: number = process.pid,
): InstanceLock {
  const abs = resolve(configFile);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = lockPathFor(abs, dir);
  const content = `${pid}\n${abs}\n`;
  let tookOver: number | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, content)) {
      let released = false;
      return {
        path,
        tookOverFromPid: tookOver,
        release() {
          if (released) return;
          released = true;
          // Remove only our own lock (never one a successor took over).
          if (readOwner(path) === pid) {
            try {
              unlinkSync(path);
            } catch {
              // already gone
            }
          }
        },
      };
    }
    const owner = readOwner(path);
    if (owner !== null && owner !== pid && pidAlive(owner)) {
      throw new InstanceLockError(
        `another nvad (pid ${owner}) is already running with config ${abs} (lock ${path})`,
        owner,
      );
    }
    // Stale (dead owner, or a file that is not ours to parse): remove and retry. Re-read first so
    // a lock another starting instance has just taken over is not removed under it.
    if (readOwner(path) !== owner) continue;
    tookOver = owner;
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new InstanceLockError(`could not acquire lock ${path} for config ${abs}`, null);
}
