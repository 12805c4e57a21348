import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireInstanceLock,
  InstanceLockError,
  lockPathFor,
  pidAlive,
  runDir,
} from '../../../src/daemon/instance-lock.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvad-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that surely belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('instance lock', () => {
  it('is keyed by the absolute config path under the run directory', () => {
    expect(runDir({ NVAD_RUN_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(runDir({})).toBe('/run/nvad');
    const a = lockPathFor('/etc/nvad/a.yaml', dir);
    expect(a).toMatch(new RegExp(`^${dir}/nvad-[0-9a-f]{16}\\.lock$`));
    expect(lockPathFor('/etc/nvad/../nvad/a.yaml', dir)).toBe(a);
    expect(lockPathFor('/etc/nvad/b.yaml', dir)).not.toBe(a);
  });

  it('writes the pid, refuses a second live owner, and is removed on release', () => {
    const lock = acquireInstanceLock('/etc/nvad/a.yaml', join(dir, 'sub'), 1);
    expect(readFileSync(lock.path, 'utf8')).toBe('1\n/etc/nvad/a.yaml\n');
    expect(lock.tookOverFromPid).toBeNull();
    let err: unknown;
    try {
      acquireInstanceLock('/etc/nvad/a.yaml', join(dir, 'sub'), process.pid);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InstanceLockError);
    expect((err as Error).message).toBe(
      `another nvad (pid 1) is already running with config /etc/nvad/a.yaml (lock ${lock.path})`,
    );
    // A different config is independent.
    acquireInstanceLock('/etc/nvad/b.yaml', join(dir, 'sub'), process.pid).release();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('takes over a stale lock whose owner is dead', () => {
    const pid = deadPid();
    expect(pidAlive(pid)).toBe(false);
    const path = lockPathFor('/etc/nvad/a.yaml', dir);
    writeFileSync(path, `${pid}\n/etc/nvad/a.yaml\n`);
    const lock = acquireInstanceLock('/etc/nvad/a.yaml', dir, process.pid);
    expect(lock.tookOverFromPid).toBe(pid);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n/etc/nvad/a.yaml\n`);
    lock.release();
  });

  it('takes over a lock file with garbage content', () => {
    writeFileSync(lockPathFor('/etc/nvad/a.yaml', dir), 'garbage');
    const lock = acquireInstanceLock('/etc/nvad/a.yaml', dir, process.pid);
    expect(lock.tookOverFromPid).toBeNull();
    lock.release();
  });

  it('release does not remove a lock someone else now holds', () => {
    const lock = acquireInstanceLock('/etc/nvad/a.yaml', dir, process.pid);
    writeFileSync(lock.path, '1\n');
    lock.release();
    expect(readFileSync(lock.path, 'utf8')).toBe('1\n');
  });

  it('pidAlive: own pid alive, nonsense pids not', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(-5)).toBe(false);
  });

  it('pidAlive: a zombie (exited, not yet reaped) is dead, so its stale lock is taken over', async () => {
    // The background `sleep 0.2` exits after its parent has exec'd into `sleep 5`, which never
    // reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = await new Promise<number>((resolve) => {
        parent.stdout.once('data', (d: Buffer) => {
          resolve(Number(d.toString().trim()));
        });
      });
      for (
        let i = 0;
        i < 50 && !readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z ');
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toContain(') Z ');
      expect(pidAlive(zombie)).toBe(false);
      writeFileSync(lockPathFor('/etc/nvad/z.yaml', dir), `${zombie}\n`);
      const lock = acquireInstanceLock('/etc/nvad/z.yaml', dir);
      expect(lock.tookOverFromPid).toBe(zombie);
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
