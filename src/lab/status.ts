/**
 * `nvad lab status`: what runs (namespaces, charon/FRR, each nvad with its tunnels and BGP
 * sessions) and whether the lab is fully up.
 */
import { alive, checkReady, nameFlag, type LabContext } from './context.js';
import { logTail } from './daemon.js';
import { frrNeighborStates } from './frr.js';
import { frrDir } from './route-server.js';
import { listNetns } from './netns.js';
import { labNodes, makePlan, netnsPrefix, nodeNetns, type LabPlan } from './plan.js';
import { describeHealth, isHealthy, nvaHealth } from './probe.js';
import { labDir, readState } from './state.js';
import { networkComplete } from './topology.js';

/**
 * The BGP sessions of the FRR speakers (gateway instances towards the NVAs' APIPA addresses,
 * Route Server towards the NVAs' NIC addresses): one line each, and whether all are Established.
 */
export async function frrLines(
  ctx: LabContext,
  plan: LabPlan,
  dir: string,
): Promise<{ up: boolean; lines: string[] }> {
  let up = true;
  const lines: string[] = [];
  const speakers = [
    ...plan.gateways.map((g) => ({ node: g.node, peers: plan.nvas.map((n) => n.apipa) })),
    ...plan.routeServers.map((r) => ({ node: r.node, peers: plan.nvas.map((n) => n.privateIp) })),
  ];
  for (const s of speakers) {
    const states = await frrNeighborStates(nodeNetns(ctx.lab, s.node), frrDir(dir, s.node));
    const each = s.peers.map((p) => `${p} ${states.get(p) ?? 'not answering'}`);
    up &&= s.peers.every((p) => states.get(p) === 'Established');
    lines.push(`${s.node}: FRR BGP ${each.join(', ')}`);
  }
  return { up, lines };
}

/** Print what runs; true when every namespace, process, tunnel and BGP session is up. */
export async function labStatus(ctx: LabContext): Promise<boolean> {
  checkReady(ctx);
  const dir = labDir(ctx.lab, ctx.env);
  const state = readState(dir);
  const plan = makePlan(ctx.lab, { routeServer: state?.gateway === 'strongswan' });
  const namespaces = listNetns(netnsPrefix(ctx.lab));
  if (!state && namespaces.length === 0) {
    ctx.out(`lab ${ctx.lab} is not up (start it with "nvad lab up${nameFlag(ctx)}")`);
    return false;
  }
  const complete = networkComplete(plan);
  let healthy = state !== undefined && complete && state.daemons.length > 0;
  ctx.out(
    `lab ${ctx.lab}: state ${dir}${state ? `, created ${state.createdAt}, gateway ${state.gateway}` : ' (missing)'}`,
  );
  ctx.out(
    `namespaces: ${namespaces.length} of ${labNodes(plan).length}${complete ? '' : ' (INCOMPLETE)'}`,
  );
  for (const p of state?.processes ?? []) {
    const ok = alive(p);
    healthy &&= ok;
    ctx.out(`${p.node}: ${p.name} pid ${p.pid} ${ok ? 'running' : 'NOT RUNNING'}`);
  }
  if (state?.gateway === 'strongswan' && complete) {
    const frr = await frrLines(ctx, plan, dir);
    healthy &&= frr.up;
    for (const l of frr.lines) ctx.out(l);
  }
  for (const d of state?.daemons ?? []) {
    const running = alive(d);
    const h = running ? await nvaHealth(d.netns, d.apiUrl) : undefined;
    const up = h !== undefined && isHealthy(h);
    healthy &&= up;
    const what = h === undefined ? 'NOT RUNNING' : `running, ${describeHealth(h)}`;
    ctx.out(`${d.node}: nvad pid ${d.pid} ${what}${up ? '' : ' [not up]'}`);
    if (!running) {
      const tail = logTail(d.logPath, 5);
      if (tail !== '') ctx.out(`  last log lines (${d.logPath}):\n${tail.replace(/^/gm, '    ')}`);
    }
  }
  const down = `"nvad lab down${nameFlag(ctx)}" then "nvad lab up${nameFlag(ctx)}"`;
  ctx.out(
    `lab ${ctx.lab} is ${healthy ? 'up' : `NOT FULLY UP (${down}, or "nvad lab up${nameFlag(ctx)}" to restart dead daemons)`}`,
  );
  return healthy;
}
