/**
 * What a running lab consists of, kept as JSON in its state directory
 * (`$NVAD_LAB_DIR/<lab>`, default `/run/nvad-lab/<lab>`) with the daemons' configs and logs.
 */
import { chmodSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const DEFAULT_LAB_ROOT = '/run/nvad-lab';

export type GatewayKind = 'strongswan' | 'nvad';

/** An nvad the lab started (an NVA, or a gateway instance with the nvad-only gateway). */
export interface DaemonRecord {
  readonly node: string;
  readonly role: 'nva' | 'gateway';
  readonly netns: string;
  readonly pid: number;
  readonly configPath: string;
  readonly logPath: string;
  readonly apiUrl: string;
}

/** Any other process the lab started (charon, zebra, bgpd). */
export interface ProcessRecord {
  readonly node: string;
  readonly netns: string;
  readonly name: string;
  readonly pid: number;
}

export interface LabState {
  readonly lab: string;
  readonly gateway: GatewayKind;
  readonly createdAt: string;
  readonly daemons: readonly DaemonRecord[];
  readonly processes: readonly ProcessRecord[];
  /** Set once `up` started everything; a state without it is what a crashed `up` left. */
  readonly complete?: boolean;
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
  let s: Partial<LabState>;
  try {
    s = JSON.parse(text) as Partial<LabState>;
  } catch {
    s = {};
  }
  if (typeof s.lab !== 'string' || !Array.isArray(s.daemons)) {
    throw new Error(
      `lab state ${statePath(dir)} is not valid; "nvad lab down" removes the lab without it`,
    );
  }
  return {
    lab: s.lab,
    gateway: s.gateway === 'strongswan' ? 'strongswan' : 'nvad',
    createdAt: String(s.createdAt),
    daemons: s.daemons,
    processes: Array.isArray(s.processes) ? s.processes : [],
    ...(s.complete === true ? { complete: true } : {}),
  };
}

/**
 * Create the state directory: 0711, so FRR (which drops to the `frr` user) can reach its own
 * subdirectory; every file in it is 0600.
 */
export function makeLabDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711);
}

export function writeState(dir: string, state: LabState): void {
  makeLabDir(dir);
  writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Write a file in the state directory, owner-only (secrets live here). */
export function writeLabFile(dir: string, name: string, text: string): string {
  makeLabDir(dir);
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
