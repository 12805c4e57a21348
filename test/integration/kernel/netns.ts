/**
 * Namespace fixture for kernel integration tests: a uniquely named netns, `ip -n NS -j ...` as the
 * independent oracle, and an agent process running the real netlink kernel inside the namespace.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const agentPath = fileURLToPath(new URL('./agent.ts', import.meta.url));

export interface AgentError {
  message: string;
  errno: number;
  code: string;
}

export class AgentCallError extends Error {
  readonly errno: number;
  constructor(e: AgentError) {
    super(e.message);
    this.errno = e.errno;
  }
}

export interface LinkEventJson {
  event: 'link';
  type: 'added' | 'changed' | 'removed';
  link: {
    index: number;
    name: string;
    up: boolean;
    running: boolean;
    mtu: number;
    kind: string | null;
  };
  previous: LinkEventJson['link'] | null;
}

export class Netns {
  readonly name: string;
  private agent: ChildProcessWithoutNullStreams | null = null;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly events: LinkEventJson[] = [];
  private eventWaiters: (() => void)[] = [];
  stderr = '';

  constructor(tag: string) {
    this.name = `nvk${tag}${process.pid}`;
  }

  create(): void {
    this.destroy();
    execFileSync('ip', ['netns', 'add', this.name]);
    this.ip('link', 'set', 'lo', 'up');
  }

  /** `ip -n NS args...` → stdout. */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
  }

  /** `ip -n NS -j args...` parsed (iproute2 prints nothing for an empty list). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed view of ip's JSON
  ipJson<T = Record<string, unknown>[]>(...args: string[]): T {
    const text = this.ip('-j', ...args).trim();
    return JSON.parse(text === '' ? '[]' : text) as T;
  }

  async start(): Promise<void> {
    const child = spawn(
      'ip',
      ['netns', 'exec', this.name, process.execPath, '--import', 'tsx', agentPath],
      {
        cwd: root,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.agent = child;
    child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => {
        reject(new Error(`agent exited (${code}): ${this.stderr}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = JSON.parse(line) as {
          ready?: boolean;
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: AgentError;
          event?: string;
        };
        if (m.ready) {
          resolve();
          return;
        }
        if (m.event === 'link') {
          this.events.push(m as unknown as LinkEventJson);
          const ws = this.eventWaiters;
          this.eventWaiters = [];
          for (const w of ws) w();
          return;
        }
        const w = this.waiting.get(m.id ?? -1);
        if (!w) return;
        this.waiting.delete(m.id ?? -1);
        if (m.ok) w.resolve(m.result);
        else w.reject(new AgentCallError(m.error ?? { message: 'unknown', errno: 0, code: 'ERR' }));
      });
    });
    await ready;
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const agent = this.agent;
    if (!agent) return Promise.reject(new Error('agent not started'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      agent.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  /** Wait (bounded) until an event matching `pred` has arrived. */
  async waitEvent(pred: (e: LinkEventJson) => boolean, timeoutMs = 5000): Promise<LinkEventJson> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching link event; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.eventWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    const a = this.agent;
    this.agent = null;
    if (!a || a.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      a.once('exit', () => {
        resolve();
      });
    });
    a.stdin.end();
    const t = setTimeout(() => a.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  destroy(): void {
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
}
