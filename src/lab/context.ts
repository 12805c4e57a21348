/**
 * What every lab operation shares: the context it runs with (clock, RNG, host facts, output),
 * its error type, and the checks done before anything changes.
 */
import type { Clock } from '../lib/clock.js';
import type { Rng } from '../lib/rng.js';
import { isRunning, type NvadInvocation } from './daemon.js';
import { pidInNetns } from './netns.js';
import { API_LISTEN, LAB_NAME_RE } from './plan.js';
import { labProblems, type GatewayChoice, type HostFacts } from './prereqs.js';

export const DEFAULT_LAB = 'demo';
export const API_URL = `http://${API_LISTEN}`;

export class LabError extends Error {
  override readonly name = 'LabError';
}

export interface LabContext {
  readonly lab: string;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly host: HostFacts;
  readonly nvad: NvadInvocation;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  /** Gateway stand-in for `up` (default auto). */
  readonly gateway?: GatewayChoice;
  /** How long `up` waits for tunnels, BGP and routes (default 120 s). */
  readonly upTimeoutMs?: number;
}

export function checkReady(ctx: LabContext): void {
  if (!LAB_NAME_RE.test(ctx.lab)) {
    throw new LabError(`invalid lab name "${ctx.lab}": use 1-16 lowercase letters and digits`);
  }
  const problems = labProblems(ctx.host);
  if (problems.length > 0) {
    throw new LabError(`cannot run the lab:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function alive(p: { pid: number; netns: string }): boolean {
  return isRunning(p.pid) && pidInNetns(p.pid, p.netns);
}

export function nameFlag(ctx: LabContext): string {
  return ctx.lab === DEFAULT_LAB ? '' : ` --name ${ctx.lab}`;
}
