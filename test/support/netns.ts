/**
 * Generic network-namespace helper for integration tests (needs root): uniquely named namespaces
 * (`nv<area><pid><n>`), veth pairs, addresses, routes, commands run inside, and a cleanup that
 * kills what we spawned and deletes the namespaces.
 */
import { describe, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let seq = 0;

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export class TestNetns {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  /** `area` is a short tag (e.g. "bgp"); the full name stays under 15 characters when possible. */
  constructor(area: string) {
    this.name = `nv${area}${process.pid}${String(seq++)}`;
  }

  create(): this {
    this.destroy();
    execFileSync('ip', ['netns', 'add', this.name]);
    this.ip('link', 'set', 'lo', 'up');
    return this;
  }

  /** `ip -n NS args...` → stdout. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { encoding: 'utf8' });
  }

  /** Run a command inside the namespace and return stdout (throws on a non-zero exit). */
  exec(
    cmd: string,
    args: readonly string[],
    opts: { input?: string; timeoutMs?: number } = {},
  ): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 20_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Start a long-running process inside the namespace; killed by {@link destroy}. */
  spawn(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    this.children.push(child);
    return child;
  }

  /** Add an address to an interface (IPv6 without DAD, so it is usable at once). */
  addr(dev: string, cidr: string): void {
    this.ip('addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : []));
  }

  route(...args: string[]): void {
    this.ip(args.some((a) => a.includes(':')) ? '-6' : '-4', 'route', 'add', ...args);
  }

  /** Kill our children and delete the namespace (processes left inside die with SIGKILL). */
  destroy(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    this.children.length = 0;
    let pids: string[];
    try {
      pids = execFileSync('ip', ['netns', 'pids', this.name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter((p) => /^\d+$/.test(p));
    } catch {
      pids = [];
    }
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // did not exist
    }
  }
}

/** Join two namespaces with a veth pair `ifA` (in a) ↔ `ifB` (in b), both up. */
export function vethPair(a: TestNetns, ifA: string, b: TestNetns, ifB: string): void {
  execFileSync('ip', [
    'link',
    'add',
    ifA,
    'netns',
    a.name,
    'type',
    'veth',
    'peer',
    'name',
    ifB,
    'netns',
    b.name,
  ]);
  a.ip('link', 'set', ifA, 'up');
  b.ip('link', 'set', ifB, 'up');
}

/** Poll `fn` until it returns a value other than undefined/false, or throw after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) {
      const why = lastErr instanceof Error ? `: ${lastErr.message}` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * `describe` for suites that need root and real peer daemons. CI must never skip them silently:
 * when a prerequisite is missing the suite still registers, as one failing test that names what is
 * missing and how to install it (`bash scripts/deps.sh`).
 */
export function describeWithPrereqs(
  name: string,
  prereqs: Readonly<Record<string, boolean>>,
  body: () => void,
): void {
  const missing = Object.entries(prereqs)
    .filter(([, ok]) => !ok)
    .map(([what]) => what);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it('has its prerequisites', () => {
      throw new Error(`missing: ${missing.join(', ')} (run as root after "bash scripts/deps.sh")`);
    });
  });
}
