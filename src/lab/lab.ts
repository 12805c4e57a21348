/**
 * `nvad lab up|status|down`: a throwaway lab in network namespaces. Each operation is idempotent
 * and reports what it did through `out`; failures throw `LabError` with a message that says what
 * to do next. Topology lives in ./topology.ts, process handling in ./daemon.ts.
 */
import type { Clock } from '../lib/clock.js';
import {
  apiAnswers,
  displayCommand,
  isRunning,
  logTail,
  runNvadIn,
  startDaemon,
  stopAllIn,
  stopProcess,
  waitUntil,
  type NvadInvocation,
} from './daemon.js';
import { DEMO_API_LISTEN, demoConfig } from './demo-config.js';
import { interfaceAddresses, listNetns, netnsExists, pidInNetns } from './netns.js';
import { labProblems, type HostFacts } from './prereqs.js';
import {
  labDir,
  readState,
  removeLabDir,
  writeLabFile,
  writeState,
  type DaemonRecord,
} from './state.js';
import {
  LAB_NAME_RE,
  buildTopology,
  netnsPrefix,
  nodeNetns,
  teardownTopology,
  type LabNode,
  type LabTopology,
} from './topology.js';

export const DEFAULT_LAB = 'demo';

export class LabError extends Error {
  override readonly name = 'LabError';
}

export interface LabContext {
  readonly lab: string;
  readonly clock: Clock;
  readonly host: HostFacts;
  readonly nvad: NvadInvocation;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  /** How long `up` waits for the API (default 30 s). */
  readonly apiTimeoutMs?: number;
}

/** The foundation lab: the appliance alone, with the demo config. */
export function foundationTopology(lab: string): LabTopology {
  return {
    lab,
    nodes: [
      {
        name: 'nva',
        netns: nodeNetns(lab, 'nva'),
        nvad: { config: demoConfig(`lab-${lab}-nva`), apiUrl: `http://${DEMO_API_LISTEN}` },
      },
    ],
  };
}

function checkReady(ctx: LabContext): void {
  if (!LAB_NAME_RE.test(ctx.lab)) {
    throw new LabError(`invalid lab name "${ctx.lab}": use 1-16 lowercase letters and digits`);
  }
  const problems = labProblems(ctx.host);
  if (problems.length > 0) {
    throw new LabError(`cannot run the lab:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function daemonAlive(d: DaemonRecord): boolean {
  return isRunning(d.pid) && pidInNetns(d.pid, d.netns);
}

/** Print `nvad show <what>` as run inside the daemon's namespace (API found from its config). */
async function printShow(ctx: LabContext, d: DaemonRecord, what: readonly string[]): Promise<void> {
  const r = await runNvadIn(ctx.nvad, d.netns, ['show', ...what, '--config', d.configPath]);
  ctx.out(`${d.netns}# nvad show ${what.join(' ')}`);
  const text = (r.code === 0 ? r.stdout : r.stdout + r.stderr).trimEnd();
  ctx.out(text === '' ? `(no output, exit status ${r.code})` : text);
  ctx.out('');
}

function ensureDaemon(
  ctx: LabContext,
  dir: string,
  node: LabNode & { nvad: NonNullable<LabNode['nvad']> },
  previous: DaemonRecord | undefined,
): DaemonRecord {
  if (previous && daemonAlive(previous)) {
    ctx.out(`nvad already running in ${node.netns} (pid ${previous.pid})`);
    return previous;
  }
  const configPath = writeLabFile(dir, `${node.name}.yaml`, node.nvad.config);
  const logPath = `${dir}/${node.name}.log`;
  const pid = startDaemon(ctx.nvad, node.netns, configPath, logPath);
  ctx.out(`started nvad in ${node.netns} (pid ${pid}, log ${logPath})`);
  return { node: node.name, netns: node.netns, pid, configPath, logPath, apiUrl: node.nvad.apiUrl };
}

export async function labUp(ctx: LabContext): Promise<void> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const previous = readState(dir);
  const topology = foundationTopology(ctx.lab);
  await buildTopology(topology);
  ctx.out(`namespaces: ${topology.nodes.map((n) => n.netns).join(', ')}`);

  const daemons: DaemonRecord[] = [];
  try {
    for (const node of topology.nodes) {
      if (!node.nvad) continue;
      const before = previous?.daemons.find((d) => d.node === node.name);
      daemons.push(ensureDaemon(ctx, dir, { ...node, nvad: node.nvad }, before));
    }
  } finally {
    writeState(dir, {
      lab: ctx.lab,
      createdAt: previous?.createdAt ?? new Date(ctx.clock.wallNow()).toISOString(),
      daemons,
    });
  }

  for (const d of daemons) {
    const status = `${d.apiUrl}/v1/status`;
    const outcome = await waitUntil(
      ctx.clock,
      ctx.apiTimeoutMs ?? 30_000,
      200,
      () => apiAnswers(d.netns, status),
      () => daemonAlive(d),
    );
    if (outcome !== 'ok') {
      const why = outcome === 'exited' ? 'nvad exited' : `no answer from ${status}`;
      const tail = logTail(d.logPath, 20);
      throw new LabError(
        `lab ${ctx.lab}: ${why} in ${d.netns}; log ${d.logPath}:\n${tail}\n` +
          `(fix the cause, then "nvad lab up" again, or "nvad lab down" to remove the lab)`,
      );
    }
  }

  ctx.out(`lab ${ctx.lab} is up`);
  ctx.out('');
  for (const d of daemons) {
    await printShow(ctx, d, ['version']);
    await printShow(ctx, d, ['interfaces']);
  }
  const nvad = displayCommand(ctx.nvad);
  const nva = daemons[0];
  if (nva) {
    ctx.out(`try:  ip netns exec ${nva.netns} ${nvad} show interfaces --config ${nva.configPath}`);
    ctx.out(`      ip netns exec ${nva.netns} curl -s ${nva.apiUrl}/v1/status`);
  }
  ctx.out(`stop: ${nvad} lab down${ctx.lab === DEFAULT_LAB ? '' : ` --name ${ctx.lab}`}`);
}

/** Print what runs; true when every node's namespace, daemon and API are up. */
export async function labStatus(ctx: LabContext): Promise<boolean> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const state = readState(dir);
  const namespaces = listNetns(netnsPrefix(ctx.lab));
  if (!state && namespaces.length === 0) {
    ctx.out(`lab ${ctx.lab} is not up (start it with "nvad lab up")`);
    return false;
  }
  let healthy = state !== undefined && state.daemons.length > 0;
  ctx.out(`lab ${ctx.lab}: state ${dir}${state ? `, created ${state.createdAt}` : ' (missing)'}`);
  ctx.out(`namespaces: ${namespaces.length > 0 ? namespaces.join(', ') : '(none)'}`);
  for (const d of state?.daemons ?? []) {
    const present = netnsExists(d.netns);
    const alive = present && daemonAlive(d);
    const api = alive && (await apiAnswers(d.netns, `${d.apiUrl}/v1/status`));
    healthy &&= present && alive && api;
    const loopbacks = present ? (await interfaceAddresses(d.netns, 'lo')).join(' ') : '-';
    ctx.out(
      `node ${d.node}: namespace ${present ? 'present' : 'MISSING'}, ` +
        `nvad pid ${d.pid} ${alive ? 'running' : 'NOT RUNNING'}, ` +
        `api ${d.apiUrl} ${api ? 'answers' : 'NOT ANSWERING'}, lo ${loopbacks}`,
    );
    ctx.out(`  config ${d.configPath}, log ${d.logPath}`);
    if (api) {
      ctx.out('');
      await printShow(ctx, d, ['version']);
      await printShow(ctx, d, ['interfaces']);
    } else if (!alive) {
      const tail = logTail(d.logPath, 5);
      if (tail !== '') ctx.out(`  last log lines:\n${tail.replace(/^/gm, '    ')}`);
    }
  }
  ctx.out(`lab ${ctx.lab} is ${healthy ? 'up' : 'DEGRADED ("nvad lab down" then "nvad lab up")'}`);
  return healthy;
}

/** Stop the daemons (SIGTERM), remove the namespaces and the state directory. */
export async function labDown(ctx: LabContext): Promise<void> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const state = readState(dir);
  const namespaces = listNetns(netnsPrefix(ctx.lab));
  if (!state && namespaces.length === 0) {
    removeLabDir(dir);
    ctx.out(`lab ${ctx.lab} is not up; nothing to remove`);
    return;
  }
  for (const d of state?.daemons ?? []) {
    const outcome = await stopProcess(ctx.clock, d.pid, d.netns, 10_000);
    const said = {
      stopped: 'stopped',
      killed: 'killed (no exit 10 s after SIGTERM)',
      'not-running': 'was not running',
    };
    ctx.out(`nvad in ${d.netns} (pid ${d.pid}) ${said[outcome]}`);
  }
  for (const ns of namespaces) {
    const leftovers = await stopAllIn(ctx.clock, ns, 5_000);
    if (leftovers.length > 0) ctx.out(`stopped ${leftovers.length} other process(es) in ${ns}`);
  }
  const removed = await teardownTopology(ctx.lab);
  if (removed.length > 0) ctx.out(`removed namespaces: ${removed.join(', ')}`);
  removeLabDir(dir);
  ctx.out(`lab ${ctx.lab} is down`);
}
