/**
 * The real daemon (`nvad run` through tsx) in a namespace, for the BGP daemon suites: start it,
 * collect its output, wait for "daemon running", and make sure it is gone afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { waitFor } from './netns.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/main.ts')];

export class DaemonProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Everything it printed so far (JSON log lines on stdout). */
  out = '';
  err = '';

  private constructor(
    netns: string,
    configPath: string,
    runDir: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.proc = spawn('ip', ['netns', 'exec', netns, ...CLI, 'run', '--config', configPath], {
      cwd: REPO,
      env: { ...process.env, NVAD_RUN_DIR: runDir, ...env },
    });
    this.proc.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr?.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((r) => {
      this.proc.on('exit', (code) => {
        r(code);
      });
    });
  }

  /**
   * Start it and wait until it logs "daemon running" (fails with its stderr if it exits). `env`
   * adds variables (e.g. the `${env:NAME}` secrets a config refers to).
   */
  static async start(
    netns: string,
    configPath: string,
    runDir: string,
    env: NodeJS.ProcessEnv = {},
  ): Promise<DaemonProcess> {
    const d = new DaemonProcess(netns, configPath, runDir, env);
    await waitFor(
      'daemon running',
      () => {
        if (d.proc.exitCode !== null) throw new Error(`nvad exited ${d.proc.exitCode}: ${d.err}`);
        return d.out.includes('"daemon running"');
      },
      30_000,
    );
    return d;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.proc.pid !== undefined) process.kill(this.proc.pid, sig);
  }

  /** SIGKILL it if it still runs (afterAll), and wait for the exit. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.signal('SIGKILL');
    await this.exited;
  }
}
