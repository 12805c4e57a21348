/**
 * Design 1 failover, measured: two nvad NVAs (rendered from the shared example, with
 * `dpd: { interval: 3s, retries: 3, mode: periodic }`: nvad probes every 3 s and declares a
 * gateway dead after 3 unanswered probes) in the Azure stand-in, a one-way UDP prober at
 * 10 probes/s in each direction between the Azure VM and the VNet VM.
 *
 *  1. Find the NVA that carries the VNet -> Azure flow (its tunnel counters), take ITS outside
 *     link down (`ip link set eth0 down` in its namespace: `shutdown` on GigabitEthernet1).
 *     nvad's DPD declares both gateways dead, closes the BGP sessions through the tunnels at
 *     once and withdraws the Azure prefix from the Route Server over the inside NIC (which
 *     stays up); the VNet router (programmed by Route Server speaker 0) drops that NVA from
 *     its ECMP route, so VNet -> Azure moves to the other NVA. Asserted: < 10 s.
 *  2. Azure -> VNet: each gateway instance is ONE libipsec charon, which picks the outbound SA
 *     by (src, dst) only, first match wins: an instance keeps sending the VNet's traffic into
 *     the dead NVA's SA until its own DPD clears that SA. The gateways here run Azure's
 *     minimum DPD timeout (dpd_delay 3 s, then 3 probes 2 s apart: at most 9 s), so this direction is
 *     bounded by the gateway's DPD, not by nvad; asserted with a generous bound and printed.
 *  3. Bring the link back (`ip link set eth0 up` and the default route, as the OS network
 *     config does after `no shutdown`): the tunnels and all BGP sessions must return without
 *     any action on nvad; the time to full recovery and any outage meanwhile are printed.
 *
 * Output: one `FAILOVER ...` line per measurement.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPrereqs, waitFor } from '../../support/netns.js';
import type { NvadNva } from '../../support/azure/nvad-nva.js';
import {
  design1Prereqs,
  kernelRouteDevs,
  kernelRouteVias,
  nvadAllUp,
  Prober,
  standinAllUp,
  startDesign1,
  tunnelPackets,
  waitDesign1Up,
  type Design1,
} from './design1-lab.js';

const AZURE = '10.20.0.0/16';
/** Gateway DPD: probe after 3 s of silence, then 2 retransmissions 2 s apart: ~9 s. */
const GW_DPD = { delaySec: 3, retransmit: { tries: 2, timeout: 2, base: 1 } };
/** Probe after at most delaySec of silence, give up (tries + 1) × timeout later. */
const GW_DPD_SEC = GW_DPD.delaySec + (GW_DPD.retransmit.tries + 1) * GW_DPD.retransmit.timeout;
/** Generous: the gateway's DPD, plus scheduling slack on a loaded 2-core machine. */
const GW_DPD_WORST_SEC = GW_DPD_SEC + 6;
const NVA_OUTAGE_LIMIT_SEC = 10;
/** nvad's DPD mode; FAILOVER_DPD_MODE=on-demand measures the example's mode instead. */
const DPD_MODE = process.env.FAILOVER_DPD_MODE === 'on-demand' ? 'on-demand' : 'periodic';
const RECOVERY_LIMIT_SEC = 60;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describeWithPrereqs(
  'Design 1 failover: outside link of the active NVA down and back',
  design1Prereqs(),
  () => {
    let d: Design1 | undefined;
    let prober: Prober | undefined;

    beforeAll(async () => {
      d = await startDesign1(
        { tag: 'fo', gatewayDpd: GW_DPD },
        { dpd: { interval: '3s', retries: 3, mode: DPD_MODE } },
      );
      await waitDesign1Up(d, 90_000);
      for (const n of d.nvas) {
        await waitFor(
          `${n.config.nodeName} ECMP`,
          () => kernelRouteDevs(n.slot.ns, AZURE).length === 2,
          30_000,
        );
      }
      await waitFor(
        'VNet ECMP',
        () => kernelRouteVias(d!.standin.router, AZURE).length === 2,
        30_000,
      );
    }, 180_000);

    afterAll(async () => {
      prober?.stop();
      await d?.standin.destroy();
    }, 60_000);

    it('reconverges within nvad DPD time, within the gateway DPD time the other way, and restores itself', async () => {
      const s = d!.standin;
      const vm = s.vnetVms[0]!;
      // a = Azure VM, b = VNet VM: 'ab' is Azure -> VNet, 'ba' is VNet -> Azure (nvad's side).
      prober = new Prober(s.azureVm.ns, s.plan.azureVmIp, vm.ns, vm.ip);
      prober.start();
      const p = prober;
      await waitFor(
        'probes flowing both ways',
        () => p.receivedCount('ab') > 10 && p.receivedCount('ba') > 10,
        20_000,
      );

      // Which NVA carries the flows? Tunnel counters over two seconds.
      const before = d!.nvas.map(tunnelPackets);
      await sleep(2000);
      const delta = d!.nvas.map((n, k) => {
        const now = tunnelPackets(n);
        return { tx: now.tx - before[k]!.tx, rx: now.rx - before[k]!.rx };
      });
      const k = delta[0]!.tx >= delta[1]!.tx ? 0 : 1;
      const active: NvadNva = d!.nvas[k]!;
      const azureViaActive = delta[k]!.rx >= delta[1 - k]!.rx;
      console.log(
        `FAILOVER flows: VNet->Azure via ${active.config.nodeName} (tunnel tx ${delta.map((x) => x.tx).join('/')}), ` +
          `Azure->VNet via ${azureViaActive ? active.config.nodeName : d!.nvas[1 - k]!.config.nodeName} (tunnel rx ${delta.map((x) => x.rx).join('/')})`,
      );
      expect(delta[k]!.tx).toBeGreaterThan(5);

      // 1. Outside link down.
      const tDown = Date.now();
      active.slot.ns.ip('link', 'set', 'eth0', 'down');
      const other = d!.nvas[1 - k]!;
      // Wait until both directions flow again (20 probes in the last 2.5 s) and the VNet
      // router has dropped the dead NVA.
      await waitFor(
        'both directions flowing again after the failure',
        () => {
          const now = Date.now();
          return (
            now - tDown > 3000 &&
            p.stats('ab', now - 2500, now - 500).received >= 18 &&
            p.stats('ba', now - 2500, now - 500).received >= 18
          );
        },
        60_000,
        200,
      );
      const tConverged = Date.now();
      const nvaSide = p.stats('ba', tDown - 1000, tConverged);
      const azureSide = p.stats('ab', tDown - 1000, tConverged);
      console.log(
        `FAILOVER link down: nva-side (VNet->Azure) outage ${nvaSide.outageSec.toFixed(1)} s ` +
          `(${String(nvaSide.sent - nvaSide.received)} of ${String(nvaSide.sent)} probes lost), ` +
          `azure-side (Azure->VNet) outage ${azureSide.outageSec.toFixed(1)} s ` +
          `(${String(azureSide.sent - azureSide.received)} of ${String(azureSide.sent)} lost; ` +
          `gateway DPD <= ${String(GW_DPD_SEC)} s)`,
      );
      // The VNet now routes the Azure prefix through the surviving NVA only.
      expect(kernelRouteVias(s.router, AZURE)).toEqual([other.slot.plan.insideIp]);
      expect(nvaSide.outageSec).toBeLessThan(NVA_OUTAGE_LIMIT_SEC);
      expect(azureSide.outageSec).toBeLessThan(GW_DPD_WORST_SEC);
      // The surviving NVA kept all its sessions.
      expect(nvadAllUp(other)).toBe(true);

      // 3. Link back: no action on nvad.
      const tUp = Date.now();
      active.slot.ns.ip('link', 'set', 'eth0', 'up');
      active.slot.ns.ip(
        'route',
        'replace',
        'default',
        'via',
        s.plan.routerOutsideIp,
        'dev',
        'eth0',
      );
      const tunnelsSec = await waitFor(
        'tunnels of the restored NVA up',
        () => {
          const x = active.show('crypto session') as { sessions: { status: string }[] };
          return x.sessions.every((y) => y.status === 'UP-ACTIVE') && (Date.now() - tUp) / 1000;
        },
        RECOVERY_LIMIT_SEC * 1000 * 2,
        250,
      );
      const fullSec = await waitFor(
        'every tunnel and BGP session back, VNet ECMP over both NVAs',
        () =>
          nvadAllUp(active) &&
          standinAllUp(s) &&
          kernelRouteVias(s.router, AZURE).length === 2 &&
          kernelRouteDevs(active.slot.ns, AZURE).length === 2 &&
          (Date.now() - tUp) / 1000,
        RECOVERY_LIMIT_SEC * 1000 * 2,
        250,
      );
      await sleep(3000);
      const tEnd = Date.now();
      const nvaBack = p.stats('ba', tUp, tEnd);
      const azureBack = p.stats('ab', tUp, tEnd);
      console.log(
        `FAILOVER link up: tunnels back in ${tunnelsSec.toFixed(1)} s, all BGP sessions and ECMP back in ` +
          `${fullSec.toFixed(1)} s; outage meanwhile nva-side ${nvaBack.outageSec.toFixed(1)} s, ` +
          `azure-side ${azureBack.outageSec.toFixed(1)} s`,
      );
      console.log(
        `FAILOVER (dpd 3s x3 ${DPD_MODE}) nva-side outage ${nvaSide.outageSec.toFixed(1)} s, azure-side ${azureSide.outageSec.toFixed(1)} s, ` +
          `restore ${fullSec.toFixed(1)} s (tunnels ${tunnelsSec.toFixed(1)} s)`,
      );
      expect(fullSec).toBeLessThan(RECOVERY_LIMIT_SEC);
      // Traffic flows both ways at the end.
      const tail = {
        ab: p.stats('ab', tEnd - 2000, tEnd - 300),
        ba: p.stats('ba', tEnd - 2000, tEnd - 300),
      };
      expect(tail.ab.received).toBeGreaterThanOrEqual(tail.ab.sent - 1);
      expect(tail.ba.received).toBeGreaterThanOrEqual(tail.ba.sent - 1);
    }, 300_000);
  },
);
