/**
 * What a running lab consists of, kept as JSON in its state directory
 * (`$NVAD_LAB_DIR/<lab>`, default `/run/nvad-lab/<lab>`) with the daemons' configs and logs.
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const DEFAULT_LAB_ROOT = '/run/nvad-lab';

export interface DaemonRecord {
  readonly node: string;
  readonly netns: string;
  readonly pid: number;
  readonly configPath: string;
  readonly logPath: string;
  readonly apiUrl: string;
}

export interface LabState {
  readonly lab: string;
  readonly createdAt: string;
  readonly daemons: readonly DaemonRecord[];
}

export function labDir(lab: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = env.NVAD_LAB_DIR;
  return resolve(root !== undefined && root !== '' ? root : DEFAULT_LAB_ROOT, lab);
}

function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function readState(dir: string): LabState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(dir), 'utf8');
  } catch {
    return undefined;
  }
  const s = JSON.parse(text) as Partial<LabState>;
  if (typeof s.lab !== 'string' || !Array.isArray(s.daemons)) {
    throw new Error(`lab state ${statePath(dir)} is not valid; remove it with "nvad lab down"`);
  }
  return { lab: s.lab, createdAt: String(s.createdAt), daemons: s.daemons };
}

export function writeState(dir: string, state: LabState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Write a file in the state directory (configs may hold secrets later: owner-only). */
export function writeLabFile(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** Remove a lab's directory, and the default root too once no lab is left in it. */
export function removeLabDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  if (dirname(dir) === DEFAULT_LAB_ROOT) {
    try {
      rmdirSync(DEFAULT_LAB_ROOT);
    } catch {
      // another lab is still there (ENOTEMPTY) or it is already gone
    }
  }
}
