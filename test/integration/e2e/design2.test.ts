/**
 * Design 2 end to end (issue 6 item 4): dual stack over two IPv4 tunnels with equal-cost static
 * routes, nvad (`nvad run` from the source tree) running the shared example
 * `dual-stack-static.yaml` as written except for the PSK file paths (`${file:/run/secrets/psk1}`
 * -> files in the test's run directory). The topology uses the example's own addresses inside
 * namespaces (design2-lab.ts): outside NICs 10.2.0.36/10.2.0.68 behind a 1:1 NAT to
 * 198.51.100.21/22, gateway instances 203.0.113.20/21, the VNet 10.1.0.0/24 and 2001:db8:1::/48
 * behind both, a host on the NVA side.
 *
 * Gateway instances: strongSwan charon with kernel-libipsec, one per namespace, children with
 * `0.0.0.0/0,::/0` selectors. libipsec does carry IPv6 inner packets over the IPv4 SA; charon only
 * omits the IPv6 route into `ipsec0`, which an updown script adds (see design2-lab.ts).
 *
 * Checks (design2-suite.ts): both tunnels up; ping and ping6 over both tunnels (per-tunnel
 * counters); one gateway instance stops with an IKE Delete -> ping and ping6 keep working through
 * the other tunnel; it returns -> both tunnels up and used again. Then, with a test-only copy of the
 * configuration that adds DPD (the example has none), the wire of Tunnel0's outside NIC goes down:
 * DPD declares the peer dead, Tunnel0 leaves the ECMP routes and traffic keeps flowing through
 * Tunnel1; the wire comes back and Tunnel0 is re-established.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../../support/daemon-process.js';
import { describeWithPrereqs, isRoot, waitFor } from '../../support/netns.js';
import { CHARON_BIN } from '../../support/strongswan.js';
import { allAnswered, Design2Lab, REPO } from './design2-lab.js';
import { design2Suite, pingRound, pingsSettle, waitTunnels } from './design2-suite.js';
import type { NvaUnderTest } from './design2-suite.js';

const CLI = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/main.ts')];

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PREREQS = {
  root: isRoot(),
  'strongSwan charon (strongswan-charon, libcharon-extra-plugins)': existsSync(CHARON_BIN),
  swanctl: has('swanctl'),
  iptables: has('iptables'),
  ping: has('ping'),
};

/** nvad from the source tree in the lab's NVA namespace; `show` through the real CLI. */
async function startSourceNva(
  lab: Design2Lab,
  extraTunnelLines: readonly string[] = [],
): Promise<NvaUnderTest> {
  const secrets = lab.writeSecrets();
  const name = extraTunnelLines.length > 0 ? 'nvad-dpd' : 'nvad';
  const config = join(lab.dir, `${name}.yaml`);
  writeFileSync(config, lab.nvaConfig(secrets, extraTunnelLines), { mode: 0o600 });
  const runDir = join(lab.dir, `run-${name}`);
  mkdirSync(runDir, { recursive: true });
  const daemon = await DaemonProcess.start(lab.nva.name, config, runDir);
  return {
    show: (words) => {
      const out = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          lab.nva.name,
          ...CLI,
          'show',
          ...words,
          '--json',
          '--api',
          '127.0.0.1:9180',
        ],
        { cwd: REPO, encoding: 'utf8', timeout: 30_000 },
      );
      return Promise.resolve(JSON.parse(out) as unknown);
    },
    log: () => Promise.resolve(daemon.out + daemon.err),
    stop: async () => {
      if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
        daemon.signal('SIGTERM');
        const t = setTimeout(() => {
          void daemon.kill();
        }, 15_000);
        await daemon.exited;
        clearTimeout(t);
      }
    },
  };
}

describeWithPrereqs('Design 2: dual stack, static (nvad from source)', PREREQS, () => {
  describe('the example as written', () => {
    const ctx = design2Suite({ tag: 'd2', start: (lab) => startSourceNva(lab) });

    it('never logs the PSKs', async () => {
      const log = await ctx.nva!.log();
      expect(log).toContain('daemon running');
      for (const psk of ctx.lab!.psks) expect(log).not.toContain(psk);
      const config = JSON.stringify(await ctx.nva!.show(['running-config']));
      for (const psk of ctx.lab!.psks) expect(config).not.toContain(psk);
    });
  });

  describe('with DPD added (test-only copy): the wire of one outside NIC goes down', () => {
    let lab: Design2Lab | undefined;
    let nva: NvaUnderTest | undefined;

    beforeAll(async () => {
      lab = await Design2Lab.build('d2d', { dpdDelay: 2 });
      nva = await startSourceNva(lab, ['    dpd: { interval: 2s, retries: 2, mode: periodic }']);
      await waitTunnels(nva, [true, true], 60_000);
    }, 180_000);

    afterAll(async () => {
      try {
        await nva?.stop();
      } finally {
        await lab?.destroy();
      }
    }, 120_000);

    it('fails over to Tunnel1 within the DPD time and back when the wire returns', async () => {
      const l = lab!;
      const n = nva!;
      await waitFor(
        'IPv4 and IPv6 pings',
        async () =>
          allAnswered(await l.pingFromAll(4, 2)) && allAnswered(await l.pingFromAll(6, 2)),
        30_000,
        500,
      );
      // 10 probes/s per flow, 16 flows per family, across the cut
      const capture = await l.captureEchoRequests();
      const streams = Promise.all([l.pingFromAll(4, 150, 0.1), l.pingFromAll(6, 150, 0.1)]);
      await new Promise((r) => setTimeout(r, 1500));
      const cut = performance.now();
      l.setWire(0, false);
      await waitTunnels(n, [false, true], 30_000);
      const detectSec = (performance.now() - cut) / 1000;
      const [r4, r6] = await streams;
      const arrived = await capture.stop();
      const rtLost = [...r4, ...r6].map((r) => r.sent - r.received);
      const fwdLost = [...r4, ...r6].map((r) => r.sent - (arrived.get(r.source) ?? 0));
      const maxFwd = Math.max(...fwdLost);
      const maxRt = Math.max(...rtLost);
      console.log(
        `Design 2 wire down (dpd 2s x2 periodic on nvad, dpd_delay 2s on the gateway): Tunnel0 ` +
          `down after ${detectSec.toFixed(1)} s; NVA->VNet at most ${maxFwd} of 150 probes lost ` +
          `per flow at 10/s (~${(maxFwd / 10).toFixed(1)} s, ${fwdLost.filter((x) => x > 0).length} ` +
          `of 32 flows hit); round trip at most ${maxRt} (~${(maxRt / 10).toFixed(1)} s, includes ` +
          `the gateway's own DPD for the return path)`,
      );
      // DPD: 2 s interval, 2 retries (~6 s), plus the polling through the CLI
      expect(detectSec).toBeLessThan(15);
      // nvad's side: no flow loses more than the DPD time (under 10 s) towards the VNet
      expect(maxFwd).toBeLessThan(100);
      expect(fwdLost.every((x) => x >= 0)).toBe(true);
      await pingsSettle(l, 4, 20_000);
      await pingsSettle(l, 6, 20_000);
      await pingRound(l, n, 4, [1]);
      await pingRound(l, n, 6, [1]);

      const back = performance.now();
      l.setWire(0, true);
      await waitTunnels(n, [true, true], 150_000);
      console.log(
        `Design 2 wire back: Tunnel0 up again after ${((performance.now() - back) / 1000).toFixed(1)} s`,
      );
      await pingsSettle(l, 4);
      await pingsSettle(l, 6);
      await pingRound(l, n, 4, [0, 1]);
      await pingRound(l, n, 6, [0, 1]);
    }, 300_000);
  });
});
