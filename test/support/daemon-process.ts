/**
 * The real daemon (`nvad run` through tsx) in a namespace, for the daemon and end-to-end suites:
 * start it, collect its output, wait for "daemon running", ask it things with the CLI (`nvad show
 * … --json` against its API), and make sure it is gone afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { waitFor } from './netns.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/main.ts')];

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class DaemonProcess {
  readonly netns: string;
  readonly runDir: string;
  /** API address the CLI talks to (the config's `api.listen`). */
  api = '127.0.0.1:9180';
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
    this.netns = netns;
    this.runDir = runDir;
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
    // A daemon that exits during start fails at once, with what it said.
    const exited = d.exited.then((code) => {
      throw new Error(`nvad exited ${code} before running:\n${d.err}${d.out.slice(-2000)}`);
    });
    await Promise.race([
      waitFor('daemon running', () => d.out.includes('"daemon running"'), 30_000),
      exited,
    ]);
    exited.catch(() => undefined);
    return d;
  }

  /** `nvad ARGS --api API` in the daemon's namespace (from source, like the daemon). */
  cli(args: readonly string[]): Promise<CliResult> {
    return new Promise((r) => {
      execFile(
        'ip',
        ['netns', 'exec', this.netns, ...CLI, ...args, '--api', this.api],
        { cwd: REPO, env: { ...process.env, NVAD_RUN_DIR: this.runDir }, timeout: 30_000 },
        (e, stdout, stderr) => {
          r({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** `nvad show WORDS --json`, parsed; throws with the CLI's stderr when it fails. */
  async showJson<T>(words: string): Promise<T> {
    const r = await this.cli(['show', ...words.split(' '), '--json']);
    if (r.code !== 0) throw new Error(`nvad show ${words}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
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
