/**
 * Rekey soak (`npm run soak`, not CI): Design 1 (two nvad NVAs rendered from the shared example,
 * bow-tie to the active-active gateway stand-in, Route Server) with a child SA lifetime of 60 s
 * and an IKE SA lifetime of 120 s, under continuous iperf3 UDP traffic in both directions between
 * the Azure VM and the VNet VM for SOAK_SECONDS (default 600). Asserted:
 *
 *  - no tunnel or BGP session went down: sampled every 5 s on nvad (crypto session, BGP summary)
 *    and on the gateways and Route Server; at the end every neighbor was Established once and
 *    never dropped (`show ip bgp neighbors` counters) and nvad logged no tunnel going down;
 *  - every rekey completed: completed child and IKE rekeys (`nvad_ike_rekeys_total`) at least
 *    what the lifetimes imply for the time the tunnels were up, every "child sa rekey due" matched
 *    by a completed rekey (at most one in flight per tunnel), no IKE or child SA failure;
 *  - loss during the rekeys < 0.1 % (iperf3 UDP, 2 Mbit/s each way, 1200-byte datagrams);
 *  - memory flat: each nvad's RSS at the end < 1.5 × its RSS at the start (printed).
 *
 * Output: `SOAK ...` lines with the figures.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NvadNva } from '../support/azure/nvad-nva.js';
import { describeWithPrereqs } from '../support/netns.js';
import type { TestNetns } from '../support/netns.js';
import {
  design1Prereqs,
  nvadAllUp,
  standinAllUp,
  startDesign1,
  waitDesign1Up,
  type Design1,
} from '../integration/e2e/design1-lab.js';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '600');
const CHILD_LIFETIME_SEC = 60;
const IKE_LIFETIME_SEC = 120;
const RATE = '2M';
const LEN = '1200';

interface NeighborsDto {
  neighbors: {
    address: string;
    state: string;
    counters: { established: number; dropped: number };
  }[];
}

interface IperfUdp {
  end: { sum: { packets: number; lost_packets: number; lost_percent: number } };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `nvad_ike_rekeys_total{kind}` from the metrics text. */
function rekeys(nva: NvadNva, kind: 'ike' | 'child'): number {
  const m = new RegExp(`^nvad_ike_rekeys_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(
    nva.metrics(),
  );
  return m === null ? 0 : Number(m[1]);
}

function countLogs(nva: NvadNva, pred: (l: Record<string, unknown>) => boolean): number {
  return nva.logs().filter(pred).length;
}

/** Run an iperf3 UDP client in `ns` against `server:port` for `seconds`; resolves its JSON. */
function iperfUdp(ns: TestNetns, server: string, port: number, seconds: number): Promise<IperfUdp> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        'iperf3',
        '-c',
        server,
        '-p',
        String(port),
        '-u',
        '-b',
        RATE,
        '-l',
        LEN,
        '-t',
        String(seconds),
        '-J',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // A UDP test whose control connection died never ends on its own.
    const timer = setTimeout(() => p.kill('SIGKILL'), (seconds + 60) * 1000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as IperfUdp);
      } catch {
        reject(new Error(`iperf3 exited ${String(code)}: ${out.slice(0, 500)}`));
      }
    });
  });
}

describeWithPrereqs(
  `Design 1 rekey soak (${String(SOAK_SECONDS)} s, child ${String(CHILD_LIFETIME_SEC)} s, IKE ${String(IKE_LIFETIME_SEC)} s)`,
  design1Prereqs(),
  () => {
    let d: Design1 | undefined;
    let tUp = 0;

    beforeAll(async () => {
      d = await startDesign1(
        { tag: 'sk' },
        {
          childLifetime: `${String(CHILD_LIFETIME_SEC)}s`,
          ikeLifetime: `${String(IKE_LIFETIME_SEC)}s`,
        },
      );
      await waitDesign1Up(d, 90_000);
      tUp = Date.now();
    }, 180_000);

    afterAll(async () => {
      await d?.standin.destroy();
    }, 120_000);

    it('keeps every tunnel and session up through all rekeys, with < 0.1 % loss and flat memory', async () => {
      const s = d!.standin;
      const vm = s.vnetVms[0]!;
      const rssStart = d!.nvas.map((n) => n.rssKb());
      const servers = [
        spawn('ip', ['netns', 'exec', s.azureVm.ns.name, 'iperf3', '-s', '-1', '-p', '5201'], {
          stdio: 'ignore',
        }),
        spawn('ip', ['netns', 'exec', vm.ns.name, 'iperf3', '-s', '-1', '-p', '5202'], {
          stdio: 'ignore',
        }),
      ];
      try {
        await sleep(1000);
        const toAzure = iperfUdp(vm.ns, s.plan.azureVmIp, 5201, SOAK_SECONDS);
        const toVnet = iperfUdp(s.azureVm.ns, vm.ip, 5202, SOAK_SECONDS);
        // Sample every 5 s while the traffic runs.
        let samples = 0;
        const downSamples: string[] = [];
        const rssWarm: number[] = [];
        const traffic = { done: false };
        const all = Promise.all([toAzure, toVnet]).finally(() => {
          traffic.done = true;
        });
        for (;;) {
          await Promise.race([sleep(5000), all.catch(() => undefined)]);
          if (traffic.done) break;
          samples++;
          // RSS once warmed up (30 s of traffic and rekeys), for the record.
          if (samples === 6) rssWarm.push(...d!.nvas.map((n) => n.rssKb()));
          for (const n of d!.nvas) {
            if (!nvadAllUp(n)) downSamples.push(`${n.config.nodeName}@${String(samples)}`);
          }
          if (!standinAllUp(s)) downSamples.push(`standin@${String(samples)}`);
        }
        const [a, b] = await all;
        const elapsedSec = (Date.now() - tUp) / 1000;
        const rssEnd = d!.nvas.map((n) => n.rssKb());

        console.log(
          `SOAK traffic ${String(SOAK_SECONDS)} s: VNet->Azure lost ${String(a.end.sum.lost_packets)}/${String(a.end.sum.packets)} ` +
            `(${a.end.sum.lost_percent.toFixed(4)} %), Azure->VNet lost ${String(b.end.sum.lost_packets)}/${String(b.end.sum.packets)} ` +
            `(${b.end.sum.lost_percent.toFixed(4)} %); ${String(samples)} samples, ${String(downSamples.length)} with something down`,
        );
        const perNva = d!.nvas.map((n, k) => {
          const r = {
            name: n.config.nodeName,
            child: rekeys(n, 'child'),
            ike: rekeys(n, 'ike'),
            due: countLogs(n, (l) => l.msg === 'child sa rekey due'),
            failed: countLogs(n, (l) => l.msg === 'ike sa failed' || l.msg === 'child sa failed'),
            tunnelDown: countLogs(
              n,
              (l) => l.msg === 'tunnel state changed BGP sessions' && l.up === false,
            ),
            neighborDown: countLogs(n, (l) => l.msg === 'BGP neighbor down'),
            rssStartMb: rssStart[k]! / 1024,
            rssEndMb: rssEnd[k]! / 1024,
            rssWarmMb: (rssWarm[k] ?? 0) / 1024,
          };
          console.log(
            `SOAK ${r.name}: child rekeys ${String(r.child)} (due ${String(r.due)}), IKE rekeys ${String(r.ike)}, ` +
              `failures ${String(r.failed)}, tunnel down ${String(r.tunnelDown)}, BGP neighbor down ${String(r.neighborDown)}, ` +
              `RSS start ${r.rssStartMb.toFixed(1)} MB, after 30 s ${r.rssWarmMb.toFixed(1)} MB, end ${r.rssEndMb.toFixed(1)} MB`,
          );
          return r;
        });

        expect(downSamples).toEqual([]);
        expect(a.end.sum.packets).toBeGreaterThan(SOAK_SECONDS * 100);
        expect(b.end.sum.packets).toBeGreaterThan(SOAK_SECONDS * 100);
        expect(a.end.sum.lost_percent).toBeLessThan(0.1);
        expect(b.end.sum.lost_percent).toBeLessThan(0.1);
        const tunnels = 2;
        for (const r of perNva) {
          expect(r.failed).toBe(0);
          expect(r.tunnelDown).toBe(0);
          expect(r.neighborDown).toBe(0);
          expect(r.child).toBeGreaterThanOrEqual(
            tunnels * Math.floor(elapsedSec / CHILD_LIFETIME_SEC),
          );
          expect(r.ike).toBeGreaterThanOrEqual(tunnels * Math.floor(elapsedSec / IKE_LIFETIME_SEC));
          // Every rekey that fell due completed (at most one per tunnel still in flight).
          expect(r.child).toBeGreaterThanOrEqual(r.due - tunnels);
          expect(r.rssEndMb).toBeLessThan(r.rssStartMb * 1.5);
        }
        for (const n of d!.nvas) {
          const nb = n.show('ip bgp neighbors') as NeighborsDto;
          expect(nb.neighbors).toHaveLength(4);
          for (const x of nb.neighbors) {
            expect([x.address, x.state, x.counters.established, x.counters.dropped]).toEqual([
              x.address,
              'Established',
              1,
              0,
            ]);
          }
        }
        // The gateways never re-created an IKE SA from scratch: still one per NVA.
        for (const g of s.gateways) expect(g.charon.listSas()).toHaveLength(2);
      } finally {
        for (const p of servers) if (p.exitCode === null) p.kill('SIGKILL');
      }
    });
  },
);
