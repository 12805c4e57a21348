/**
 * Design 1 ("HA with BGP over APIPA", /work/shared/examples/azure-active-active-bgp.yaml) in the
 * Azure stand-in: two nvad NVAs (nva-10, nva-20), each with a tunnel to both gateway instances
 * (a bow-tie of four), BGP from each NVA's APIPA loopback to both instances and from its inside
 * NIC to both Route Server speakers. Shared by design1.test.ts, failover.test.ts and the soak.
 * Also: a one-way UDP prober (10 probes/s each way) and readers for kernel routes and counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { haveBird, haveFrr } from '../../support/bgp-peers.js';
import { buildStandin, type AzureStandin } from '../../support/azure/standin.js';
import type { StandinOptions } from '../../support/azure/plan.js';
import { startNvadNva, type NvadNva, type NvadNvaOptions } from '../../support/azure/nvad-nva.js';
import { isRoot, waitFor, type TestNetns } from '../../support/netns.js';
import { CHARON_BIN } from '../../support/strongswan.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function design1Prereqs(): Record<string, boolean> {
  const have = (cmd: string): boolean => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  return {
    root: isRoot(),
    'strongSwan charon': existsSync(CHARON_BIN),
    frr: haveFrr(),
    bird: haveBird(),
    iptables: have('iptables'),
    curl: have('curl'),
  };
}

export interface Design1 {
  readonly standin: AzureStandin;
  readonly nvas: readonly NvadNva[];
}

/** Build the stand-in with two NVA slots and start nvad in both. Always `standin.destroy()`. */
export async function startDesign1(
  standinOptions: StandinOptions,
  nvaOptions: NvadNvaOptions = {},
): Promise<Design1> {
  const standin = await buildStandin({
    nvas: 2,
    // The gateway mirrors the example's custom policy: ipsec-policy azure-custom has
    // pfs-group ecp384, so child rekeys carry a KE payload the gateway must accept.
    espProposals: 'aes256gcm16-ecp384',
    ...standinOptions,
    nvaApipaOnLo: false,
  });
  try {
    const nvas: NvadNva[] = [];
    for (const k of [0, 1]) nvas.push(await startNvadNva(standin, k, nvaOptions));
    return { standin, nvas };
  } catch (err) {
    await standin.destroy();
    throw err;
  }
}

export interface SessionDto {
  sessions: { interface: string; status: string; lineProtocolUp: boolean }[];
}
export interface BgpSummaryDto {
  neighbors: { address: string; state: string; established: boolean; pfxRcd: number | null }[];
}
export interface IkeSaDto {
  sas: {
    tunnel: string;
    status: string;
    spiI: string;
    spiR: string;
    activeTimeSec: number | null;
    childSas: number;
  }[];
}
export interface NeighborDetailDto {
  neighbors: {
    address: string;
    state: string;
    counters: { established: number; dropped: number };
  }[];
}

/** Every tunnel of every NVA UP-ACTIVE and every BGP neighbor Established (nvad's view). */
export function nvadAllUp(nva: NvadNva): boolean {
  const s = nva.show('crypto session') as SessionDto;
  const b = nva.show('ip bgp summary') as BgpSummaryDto;
  return (
    s.sessions.length === 2 &&
    s.sessions.every((x) => x.status === 'UP-ACTIVE' && x.lineProtocolUp) &&
    b.neighbors.length === 4 &&
    b.neighbors.every((n) => n.established)
  );
}

/** The stand-in's view: every gateway and Route Server session with every NVA Established. */
export function standinAllUp(s: AzureStandin): boolean {
  return s.plan.nvas.every(
    (n) =>
      s.gateways.every((g) => s.gatewayBgpState(g.plan.index, n.index) === 'Established') &&
      s.routeServers.every((_, j) => s.routeServerBgpState(j, n.index) === 'Established'),
  );
}

/** Wait until both NVAs and the stand-in report everything up; returns the seconds it took. */
export async function waitDesign1Up(d: Design1, timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(
    'all tunnels and BGP sessions up',
    () => d.nvas.every(nvadAllUp) && standinAllUp(d.standin),
    timeoutMs,
    500,
  );
  return (Date.now() - t0) / 1000;
}

/** Output interfaces of the kernel route `prefix` in `ns` (nexthop objects and groups resolved). */
export function kernelRouteDevs(ns: TestNetns, prefix: string): string[] {
  interface Route {
    dev?: string;
    nhid?: number;
    nexthops?: { dev?: string }[];
  }
  const routes = JSON.parse(ns.ip('-j', 'route', 'show', prefix)) as Route[];
  const r = routes[0];
  if (r === undefined) return [];
  if (r.nexthops !== undefined && r.nexthops.length > 0) {
    return r.nexthops.map((n) => n.dev ?? '').sort();
  }
  if (r.nhid !== undefined) {
    interface Nh {
      dev?: string;
      group?: { id: number }[];
    }
    const nh = (JSON.parse(ns.ip('-j', 'nexthop', 'show', 'id', String(r.nhid))) as Nh[])[0];
    if (nh?.group !== undefined) {
      return nh.group
        .map((m) => {
          const x = (JSON.parse(ns.ip('-j', 'nexthop', 'show', 'id', String(m.id))) as Nh[])[0];
          return x?.dev ?? '';
        })
        .sort();
    }
    return nh?.dev !== undefined ? [nh.dev] : [];
  }
  return r.dev !== undefined ? [r.dev] : [];
}

/** Gateways of the kernel route `prefix` in `ns` (`via` of each nexthop). */
export function kernelRouteVias(ns: TestNetns, prefix: string): string[] {
  interface Route {
    gateway?: string;
    nexthops?: { gateway?: string }[];
  }
  const r = (JSON.parse(ns.ip('-j', 'route', 'show', prefix)) as Route[])[0];
  if (r === undefined) return [];
  if (r.nexthops !== undefined && r.nexthops.length > 0) {
    return r.nexthops.map((n) => n.gateway ?? '').sort();
  }
  return r.gateway !== undefined ? [r.gateway] : [];
}

/** Packets the kernel sent into (tx) and received from (rx) link `dev` in `ns`. */
export function linkPackets(ns: TestNetns, dev: string): { tx: number; rx: number } {
  interface Link {
    stats64?: { rx: { packets: number }; tx: { packets: number } };
  }
  try {
    const l = (JSON.parse(ns.ip('-j', '-s', 'link', 'show', 'dev', dev)) as Link[])[0];
    return { tx: l?.stats64?.tx.packets ?? 0, rx: l?.stats64?.rx.packets ?? 0 };
  } catch {
    return { tx: 0, rx: 0 };
  }
}

/** Sum of tunnel traffic of an NVA: tx = into its tunnels (VNet -> Azure), rx = out of them. */
export function tunnelPackets(nva: NvadNva): { tx: number; rx: number } {
  const names = nva.config.doc.tunnels as { name: string }[];
  let tx = 0;
  let rx = 0;
  for (const t of names) {
    const p = linkPackets(nva.slot.ns, t.name);
    tx += p.tx;
    rx += p.rx;
  }
  return { tx, rx };
}

// One process per side: sends "seq" to PEER:PORT every INTERVAL ms and prints "S seq t" per send
// and "R seq t" per datagram received on PORT (t = wall-clock ms; both sides share the host clock).
const PROBER_JS = `
const dgram = require('node:dgram');
const [peer, port, interval] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('message', (m) => process.stdout.write('R ' + m.toString() + ' ' + Date.now() + '\\n'));
s.on('error', () => {});
s.bind(Number(port), () => {
  let seq = 0;
  setInterval(() => {
    const n = seq++;
    s.send(String(n), Number(port), peer, () => {});
    process.stdout.write('S ' + n + ' ' + Date.now() + '\\n');
  }, Number(interval));
});
`;

export interface ProbeStats {
  /** Datagrams sent in the window and received (by seq). */
  readonly sent: number;
  readonly received: number;
  /** Longest time without an arriving probe inside the window, in seconds. */
  readonly outageSec: number;
}

/** A one-way UDP prober between two namespaces, 10 probes/s each way by default. */
export class Prober {
  private readonly procs: ChildProcess[] = [];
  /** seq -> send time, and seq -> receive time, per direction ('ab' = a sends, b receives). */
  private readonly sent = { ab: new Map<number, number>(), ba: new Map<number, number>() };
  private readonly recv = { ab: new Map<number, number>(), ba: new Map<number, number>() };

  readonly a: TestNetns;
  readonly aIp: string;
  readonly b: TestNetns;
  readonly bIp: string;
  readonly intervalMs: number;
  readonly port: number;

  constructor(
    a: TestNetns,
    aIp: string,
    b: TestNetns,
    bIp: string,
    intervalMs = 100,
    port = 47_001,
  ) {
    this.a = a;
    this.aIp = aIp;
    this.b = b;
    this.bIp = bIp;
    this.intervalMs = intervalMs;
    this.port = port;
  }

  start(): void {
    this.spawnSide(this.a, this.bIp, 'ab', 'ba');
    this.spawnSide(this.b, this.aIp, 'ba', 'ab');
  }

  private spawnSide(ns: TestNetns, peer: string, out: 'ab' | 'ba', inn: 'ab' | 'ba'): void {
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        process.execPath,
        '-e',
        PROBER_JS,
        peer,
        String(this.port),
        String(this.intervalMs),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const [kind, seq, t] = buf.slice(0, i).split(' ');
        buf = buf.slice(i + 1);
        const n = Number(seq);
        const ms = Number(t);
        if (kind === 'S') this.sent[out].set(n, ms);
        else if (kind === 'R' && !this.recv[inn].has(n)) this.recv[inn].set(n, ms);
      }
    });
    this.procs.push(p);
  }

  /** Received probes in direction `dir` so far. */
  receivedCount(dir: 'ab' | 'ba'): number {
    return this.recv[dir].size;
  }

  /** Statistics of direction `dir` for probes sent in [fromMs, toMs] (wall clock). */
  stats(dir: 'ab' | 'ba', fromMs: number, toMs: number): ProbeStats {
    let sent = 0;
    let received = 0;
    const arrivals: number[] = [];
    for (const [seq, t] of this.sent[dir]) {
      if (t < fromMs || t > toMs) continue;
      sent++;
      const r = this.recv[dir].get(seq);
      if (r !== undefined) {
        received++;
        arrivals.push(r);
      }
    }
    arrivals.sort((x, y) => x - y);
    // The outage: the longest stretch of the window without an arriving probe (window edges
    // count, so a window with nothing received is an outage of its whole length).
    let prev = fromMs;
    let gap = 0;
    for (const t of arrivals) {
      gap = Math.max(gap, t - prev);
      prev = t;
    }
    gap = Math.max(gap, Math.min(toMs, Date.now()) - prev);
    return { sent, received, outageSec: gap / 1000 };
  }

  stop(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    this.procs.length = 0;
  }
}
