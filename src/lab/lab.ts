/**
 * `nvad lab up|status|down`: Design 1 (two nvad NVAs in a bow-tie with an active-active Azure
 * gateway stand-in) in network namespaces. Each operation is idempotent and reports what it did
 * through `out`; failures throw `LabError` with a message that says what to do next. Addresses in
 * ./plan.ts, network in ./topology.ts, configs in ./nva-config.ts and ./gateway-nvad.ts, the
 * strongSwan + FRR gateway in ./gateway-strongswan.ts, API probes in ./probe.ts.
 */
import { API_URL, LabError, alive, checkReady, nameFlag, type LabContext } from './context.js';
import {
  displayCommand,
  logTail,
  startDaemon,
  stopAllIn,
  stopProcess,
  waitUntil,
} from './daemon.js';
import { runCommand } from './exec.js';
import { gatewayNvadConfig } from './gateway-nvad.js';
import { startStrongswanInstance } from './gateway-strongswan.js';
import { startRouteServer } from './route-server.js';
import { listNetns } from './netns.js';
import { nvaConfig } from './nva-config.js';
import { AZURE_VM, labNodes, makePlan, netnsPrefix, nodeNetns, type LabPlan } from './plan.js';
import { chooseGateway } from './prereqs.js';
import {
  apiAnswers,
  describeHealth,
  isHealthy,
  nvaHealth,
  showText,
  type NvaHealth,
} from './probe.js';
import { labDir, readState, removeLabDir, writeLabFile, writeState } from './state.js';
import type { DaemonRecord, GatewayKind, LabState, ProcessRecord } from './state.js';
import { frrLines } from './status.js';
import { buildNetwork, networkComplete, teardownNetwork } from './topology.js';

/** Start (or restart) the nvad of `node` with the config file already in the state dir. */
function launchNvad(
  ctx: LabContext,
  dir: string,
  node: string,
  role: DaemonRecord['role'],
): DaemonRecord {
  const netns = nodeNetns(ctx.lab, node);
  const configPath = `${dir}/${node}.yaml`;
  const logPath = `${dir}/${node}.log`;
  const pid = startDaemon(ctx.nvad, netns, configPath, logPath);
  ctx.out(`${node}: started nvad (pid ${pid}, config ${configPath}, log ${logPath})`);
  return { node, role, netns, pid, configPath, logPath, apiUrl: API_URL };
}

async function buildLab(
  ctx: LabContext,
  plan: LabPlan,
  dir: string,
  kind: GatewayKind,
): Promise<LabState> {
  const nodes = labNodes(plan);
  ctx.out(`network: ${nodes.length} namespaces ${netnsPrefix(ctx.lab)}{${nodes.join(',')}}`);
  let state: LabState = {
    lab: ctx.lab,
    gateway: kind,
    createdAt: new Date(ctx.clock.wallNow()).toISOString(),
    daemons: [],
    processes: [],
  };
  writeState(dir, state);
  await buildNetwork(plan);
  const psks = new Map<string, string>();
  for (const n of plan.nvas) {
    const psk = ctx.rng.bytes(24).toString('base64url');
    psks.set(n.pskFile, psk);
    writeLabFile(dir, n.pskFile, `${psk}\n`);
  }
  ctx.out(`PSKs: one per NVA connection, generated for this lab (files ${dir}/psk-*, mode 0600)`);
  const save = (d: DaemonRecord[], p: ProcessRecord[]): void => {
    state = { ...state, daemons: [...state.daemons, ...d], processes: [...state.processes, ...p] };
    writeState(dir, state);
  };
  for (const g of plan.gateways) {
    const netns = nodeNetns(ctx.lab, g.node);
    if (kind === 'strongswan') {
      const procs = await startStrongswanInstance(ctx.clock, netns, dir, plan, g, psks).catch(
        (err: unknown) => {
          throw new Error(`${g.node}: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
      save([], procs);
      ctx.out(
        `${g.node}: ${procs.map((p) => `${p.name} pid ${p.pid}`).join(', ')} (${g.publicIp}, BGP ${g.apipa})`,
      );
    } else {
      writeLabFile(dir, `${g.node}.yaml`, gatewayNvadConfig(plan, g));
      save([launchNvad(ctx, dir, g.node, 'gateway')], []);
    }
  }
  for (const r of plan.routeServers) {
    const procs = await startRouteServer(ctx.clock, nodeNetns(ctx.lab, r.node), dir, plan, r);
    save([], procs);
    ctx.out(
      `${r.node}: Route Server stand-in ${r.ip}, ${procs.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`,
    );
  }
  for (const n of plan.nvas) {
    writeLabFile(dir, `${n.node}.yaml`, nvaConfig(plan, n));
    save([launchNvad(ctx, dir, n.node, 'nva')], []);
  }
  state = { ...state, complete: true };
  writeState(dir, state);
  return state;
}

/** Restart the nvads that died in a lab whose network and gateway processes are intact. */
function reviveLab(ctx: LabContext, dir: string, state: LabState): LabState {
  const daemons = state.daemons.map((d) => {
    if (alive(d)) {
      ctx.out(`${d.node}: nvad already running (pid ${d.pid})`);
      return d;
    }
    return launchNvad(ctx, dir, d.node, d.role);
  });
  const next = { ...state, daemons };
  writeState(dir, next);
  return next;
}

function failWithLog(ctx: LabContext, d: DaemonRecord, why: string): never {
  throw new LabError(
    `lab ${ctx.lab}: ${d.node}: ${why}; log ${d.logPath}:\n${logTail(d.logPath, 20)}\n` +
      `(see "nvad lab status${nameFlag(ctx)}"; "nvad lab down${nameFlag(ctx)}" removes the lab)`,
  );
}

/** Wait for every API, then for every tunnel, BGP session and route; progress as it changes. */
async function waitLabUp(
  ctx: LabContext,
  plan: LabPlan,
  dir: string,
  state: LabState,
): Promise<void> {
  for (const d of state.daemons) {
    const r = await waitUntil(
      ctx.clock,
      30_000,
      200,
      () => apiAnswers(d.netns, d.apiUrl),
      () => alive(d),
    );
    if (r !== 'ok')
      failWithLog(ctx, d, r === 'exited' ? 'nvad exited' : `no answer from ${d.apiUrl}`);
  }
  ctx.out('waiting for tunnels, BGP sessions and routes …');
  const last = new Map<string, string>();
  const health = new Map<string, NvaHealth>();
  const outcome = await waitUntil(
    ctx.clock,
    ctx.upTimeoutMs ?? 120_000,
    500,
    async () => {
      let all = true;
      for (const d of state.daemons) {
        const h = await nvaHealth(d.netns, d.apiUrl);
        health.set(d.node, h);
        const line = describeHealth(h);
        if (last.get(d.node) !== line) ctx.out(`  ${d.node}: ${line}`);
        last.set(d.node, line);
        all &&= isHealthy(h);
      }
      if (all && state.gateway === 'strongswan') {
        const frr = await frrLines(ctx, plan, dir);
        if (frr.up) for (const l of frr.lines) ctx.out(`  ${l}`);
        all = frr.up;
      }
      return all;
    },
    () => state.daemons.every(alive) && state.processes.every(alive),
  );
  if (outcome === 'ok') return;
  const dead = state.daemons.find((d) => !alive(d));
  if (dead) failWithLog(ctx, dead, 'nvad exited');
  const gone = state.processes.find((p) => !alive(p));
  if (gone)
    throw new LabError(`lab ${ctx.lab}: ${gone.name} in ${gone.netns} (pid ${gone.pid}) exited`);
  const stuck = state.daemons.find((d) => {
    const h = health.get(d.node);
    return h === undefined || !isHealthy(h);
  });
  if (stuck) failWithLog(ctx, stuck, `not fully up after ${(ctx.upTimeoutMs ?? 120_000) / 1000} s`);
}

/** Ping from the VM in the NVA VNet to the Azure VM, a few tries while paths settle. */
async function pingAcross(ctx: LabContext): Promise<{ ok: boolean; text: string }> {
  const netns = nodeNetns(ctx.lab, 'vm');
  let text = '';
  for (let i = 0; i < 5; i++) {
    const r = await runCommand('ip', [
      'netns',
      'exec',
      netns,
      'ping',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '2',
      AZURE_VM,
    ]);
    text = (r.stdout.trim() !== '' ? r.stdout : r.stderr).trimEnd();
    if (r.code === 0) return { ok: true, text };
    await new Promise<void>((resolve) => ctx.clock.setTimer(1000, resolve));
  }
  return { ok: false, text };
}

async function printNva(ctx: LabContext, d: DaemonRecord): Promise<void> {
  for (const words of ['crypto ikev2 sa', 'ip bgp summary']) {
    ctx.out(`${d.netns}# nvad show ${words}`);
    ctx.out(await showText(d.netns, d.apiUrl, words));
    ctx.out('');
  }
}

/** The lab's state; a damaged file is reported and treated as missing (leftovers get removed). */
function readStateOrSay(ctx: LabContext, dir: string): LabState | undefined {
  try {
    return readState(dir);
  } catch (err) {
    ctx.out(`${err instanceof Error ? err.message : String(err)}; going on without it`);
    return undefined;
  }
}

export async function labUp(ctx: LabContext): Promise<void> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const decision = chooseGateway(ctx.gateway ?? 'auto', ctx.host);
  if ('error' in decision) throw new LabError(decision.error);
  const previous = readStateOrSay(ctx, dir);
  // the Route Server stand-in runs on FRR, so only with the strongSwan + FRR gateway
  let plan = makePlan(ctx.lab, { routeServer: previous?.gateway === 'strongswan' });
  let state: LabState;
  if (previous?.complete === true && networkComplete(plan) && previous.processes.every(alive)) {
    if ((ctx.gateway ?? 'auto') !== 'auto' && previous.gateway !== ctx.gateway) {
      throw new LabError(
        `lab ${ctx.lab} runs with the ${previous.gateway} gateway; "nvad lab down${nameFlag(ctx)}" first`,
      );
    }
    ctx.out(`lab ${ctx.lab} exists (gateway: ${previous.gateway}); checking its daemons`);
    state = reviveLab(ctx, dir, previous);
  } else {
    if (previous || listNetns(netnsPrefix(ctx.lab)).length > 0) {
      ctx.out(`lab ${ctx.lab}: removing what is left of an earlier run`);
      await removeLab(ctx, dir, previous);
    }
    ctx.out(decision.note);
    plan = makePlan(ctx.lab, { routeServer: decision.kind === 'strongswan' });
    try {
      state = await buildLab(ctx, plan, dir, decision.kind);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new LabError(
        `lab ${ctx.lab}: building it failed: ${why}\n` +
          `("nvad lab down${nameFlag(ctx)}" removes what was built; "nvad lab up" starts over)`,
      );
    }
  }
  await waitLabUp(ctx, plan, dir, state);
  const ping = await pingAcross(ctx);
  ctx.out(`lab ${ctx.lab}: tunnels, BGP sessions and routes are up`);
  ctx.out('');
  for (const d of state.daemons.filter((x) => x.role === 'nva')) await printNva(ctx, d);
  ctx.out(
    `${nodeNetns(ctx.lab, 'vm')}# ping ${AZURE_VM}   (VM in the NVA VNet -> VM behind the gateway)`,
  );
  ctx.out(ping.text);
  ctx.out('');
  if (!ping.ok) {
    throw new LabError(
      `lab ${ctx.lab}: tunnels and BGP are up but the ping across failed (see above)`,
    );
  }
  const nva = state.daemons.find((d) => d.role === 'nva');
  const nvad = displayCommand(ctx.nvad);
  if (nva)
    ctx.out(
      `try:  ip netns exec ${nva.netns} ${nvad} show crypto session --config ${nva.configPath}`,
    );
  ctx.out(`stop: ${nvad} lab down${nameFlag(ctx)}`);
  ctx.out(`lab ${ctx.lab} is up`);
}

const SAID = {
  stopped: 'stopped',
  killed: 'killed (no exit 10 s after SIGTERM)',
  'not-running': 'was not running',
} as const;

async function removeLab(ctx: LabContext, dir: string, state: LabState | undefined): Promise<void> {
  for (const d of state?.daemons ?? []) {
    const outcome = await stopProcess(ctx.clock, d.pid, d.netns, 10_000);
    ctx.out(`${d.node}: nvad (pid ${d.pid}) ${SAID[outcome]}`);
  }
  for (const p of state?.processes ?? []) {
    const outcome = await stopProcess(ctx.clock, p.pid, p.netns, 5_000);
    ctx.out(`${p.node}: ${p.name} (pid ${p.pid}) ${SAID[outcome]}`);
  }
  for (const ns of listNetns(netnsPrefix(ctx.lab))) {
    const leftovers = await stopAllIn(ctx.clock, ns, 5_000);
    if (leftovers.length > 0) ctx.out(`stopped ${leftovers.length} other process(es) in ${ns}`);
  }
  const removed = await teardownNetwork(ctx.lab);
  if (removed.length > 0) ctx.out(`removed ${removed.length} namespaces: ${removed.join(', ')}`);
  removeLabDir(dir);
}

/** Stop every process the lab started, remove the namespaces and the state directory. */
export async function labDown(ctx: LabContext): Promise<void> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const state = readStateOrSay(ctx, dir);
  if (!state && listNetns(netnsPrefix(ctx.lab)).length === 0) {
    removeLabDir(dir);
    ctx.out(`lab ${ctx.lab} is not up; nothing to remove`);
    return;
  }
  await removeLab(ctx, dir, state);
  ctx.out(`lab ${ctx.lab} is down`);
}

export { DEFAULT_LAB, LabError, type LabContext } from './context.js';
export { labStatus } from './status.js';
