/** Test-side handle on agent.ts running our speaker inside a namespace. */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SpeakerOptions, SpeakerSummary } from '../../../src/bgp/session/speaker.js';
import type { TestNetns } from '../../support/netns.js';

const agentPath = fileURLToPath(new URL('./agent.ts', import.meta.url));

export interface AgentEvent {
  event: 'session' | 'routes' | 'refresh';
  neighbor: string;
  up?: boolean;
  reason?: string;
  announced?: string[];
  withdrawn?: string[];
  afi?: number;
  safi?: number;
}

export class SpeakerAgent {
  readonly events: AgentEvent[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(ns: TestNetns) {
    this.child = ns.spawn(process.execPath, ['--import', 'tsx', agentPath]);
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    if (!this.child.stdout) throw new Error('agent has no stdout');
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let m: { id?: number; result?: unknown; error?: string } & Partial<AgentEvent>;
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return;
      }
      if (m.id !== undefined) {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error !== undefined) w?.reject(new Error(m.error));
        else w?.resolve(m.result);
      } else if (m.event) {
        this.events.push(m as AgentEvent);
      }
    });
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** `rib`: run the full RIB pipeline (SpeakerRib) instead of the speaker's own origination. */
  start(opts: Omit<SpeakerOptions, 'clock' | 'rng' | 'log'>, rib = true): Promise<string> {
    return this.call('start', { opts, rib });
  }

  summary(): Promise<SpeakerSummary> {
    return this.call('summary');
  }

  received(neighbor: string): Promise<string[]> {
    return this.call('received', { neighbor });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) =>
      this.child.once('exit', () => {
        r();
      }),
    );
    await this.call('stop').catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    this.child.kill('SIGKILL');
  }
}
