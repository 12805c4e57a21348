/**
 * Running host commands for the lab: `ip`, `nvad` in a namespace. Never throws for a non-zero exit;
 * the caller decides what a failure means and reports the command's own stderr.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCommand(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) code = typeof err.code === 'number' ? err.code : 127;
        resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
  });
}

/** Run a command and throw a one-line error (its stderr) when it fails. */
export async function mustRun(cmd: string, args: readonly string[]): Promise<string> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit status ${r.code}`}`);
  }
  return r.stdout;
}

/** The full path of an executable found on PATH (or the sbin directories root uses), if any. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}
