/**
 * Inbound `max-prefixes` in the real daemon (`nvad run`, AS 65002) against FRR (AS 65515, passive)
 * over a veth. FRR first announces 4 prefixes (≥ 75 % of the limit 5: one threshold warning, the
 * routes are installed in the kernel), then 2 more: nvad sends Cease/Maximum Number of Prefixes
 * Reached with AFI/SAFI/limit (RFC 4486 §4), which FRR records as the last notification received;
 * nvad logs why, removes the neighbor's routes from the kernel and stays Idle ("Idle (PfxCt)")
 * instead of reconnecting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';

const NVA = '10.95.0.1';
const PEER = '10.95.0.2';
const LIMIT = 5;
const FIRST = ['10.31.1.0/24', '10.31.2.0/24', '10.31.3.0/24', '10.31.4.0/24'];
const MORE = ['10.31.5.0/24', '10.31.6.0/24'];

const CONFIG = `node:
  name: nva-max-prefixes
bgp:
  asn: 65002
  router-id: ${NVA}
  timers: { keepalive: 3s, hold: 9s }
  neighbors:
    - address: ${PEER}
      remote-as: 65515
      max-prefixes: { limit: ${String(LIMIT)}, action: teardown }
api:
  listen: 127.0.0.1:9180
log:
  level: info
`;

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

interface Summary {
  neighbors: { address: string; state: string; pfxRcd: number | null }[];
}

describeWithPrereqs(
  'BGP inbound max-prefixes: nvad tears down a session to FRR that announces too much',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgpx');
    const az = new TestNetns('bgpx');
    let dir = '';
    let frr: FrrPeer | undefined;
    let nvad: DaemonProcess | undefined;

    function logLines(): LogLine[] {
      const lines: LogLine[] = [];
      for (const l of (nvad?.out ?? '').split('\n')) {
        if (!l.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(l) as LogLine);
        } catch {
          // partial line
        }
      }
      return lines;
    }

    function kernelRoutes(): string[] {
      const rs = JSON.parse(nva.ip('-j', 'route', 'show', 'proto', 'bgp')) as { dst: string }[];
      return rs.map((r) => r.dst).sort();
    }

    function frrNeighbor(): Record<string, unknown> {
      const j = JSON.parse(frr?.vtysh(`show bgp neighbors ${NVA} json`) ?? '{}') as Record<
        string,
        Record<string, unknown>
      >;
      return j[NVA] ?? {};
    }

    function frrNetworks(prefixes: readonly string[]): void {
      if (!frr) throw new Error('no FRR');
      const args = ['--vty_socket', frr.dir, '-c', 'configure terminal', '-c', 'router bgp 65515'];
      args.push('-c', 'address-family ipv4 unicast');
      for (const p of prefixes) args.push('-c', `network ${p}`);
      az.exec('vtysh', args);
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvad-it-maxpfx-'));
      nva.create();
      az.create();
      vethPair(nva, 'nvx0', az, 'azx0');
      nva.addr('nvx0', `${NVA}/30`);
      az.addr('azx0', `${PEER}/30`);
      frr = startFrr(
        az,
        [
          'frr defaults traditional',
          'router bgp 65515',
          ` bgp router-id ${PEER}`,
          ' no bgp ebgp-requires-policy',
          ' no bgp network import-check',
          ` neighbor ${NVA} remote-as 65002`,
          ` neighbor ${NVA} passive`,
          ` neighbor ${NVA} timers 3 9`,
          ' address-family ipv4 unicast',
          ...FIRST.map((p) => `  network ${p}`),
          ' exit-address-family',
          '',
        ].join('\n'),
      );
      const cfg = join(dir, 'nvad.yaml');
      writeFileSync(cfg, CONFIG);
      nvad = await DaemonProcess.start(nva.name, cfg, join(dir, 'run'));
    }, 60_000);

    afterAll(async () => {
      try {
        await nvad?.kill();
      } finally {
        frr?.stop();
        nva.destroy();
        az.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('below the limit: routes installed, one threshold warning', async () => {
      await waitFor('4 routes in the kernel', () => kernelRoutes().length === FIRST.length, 30_000);
      expect(kernelRoutes()).toEqual(FIRST);
      const warn = await waitFor('threshold warning', () =>
        logLines().filter((l) => l.level === 40 && l.msg === 'maximum prefixes threshold reached'),
      );
      expect(warn).toHaveLength(1);
      expect(warn[0]).toMatchObject({ neighbor: PEER, count: 4, limit: LIMIT });
      const s = await nvad?.showJson<Summary>('ip bgp summary');
      expect(s?.neighbors[0]).toMatchObject({ state: 'Established', pfxRcd: 4 });
    }, 60_000);

    it('over the limit: Cease/1 to FRR, routes removed, neighbor stays Idle (PfxCt)', async () => {
      const established = frrNeighbor().connectionsEstablished;
      frrNetworks(MORE);
      // FRR records the NOTIFICATION we sent.
      const n = await waitFor(
        'FRR received the Cease',
        () => {
          const j = frrNeighbor();
          const text = JSON.stringify(j);
          return /Maximum Number of Prefixes Reached/i.test(text) ? j : undefined;
        },
        30_000,
      );
      expect(n.lastNotificationReason).toMatch(/Cease\/Maximum Number of Prefixes Reached/i);
      expect(n.bgpState).not.toBe('Established');
      // nvad's side: the log says why, the kernel routes from FRR are gone.
      const exceeded = await waitFor('exceeded log', () =>
        logLines().find((l) => l.level === 40 && l.msg === 'maximum prefixes exceeded'),
      );
      expect(exceeded).toMatchObject({
        neighbor: PEER,
        count: 6,
        limit: LIMIT,
        action: 'teardown',
      });
      await waitFor('kernel routes removed', () => kernelRoutes().length === 0, 15_000);
      const down = logLines().find((l) => l.msg === 'neighbor down');
      expect(down?.reason).toBe('maximum prefixes exceeded');
      expect(
        logLines().some(
          (l) =>
            l.msg === 'sending NOTIFICATION' &&
            l.notification === 'CEASE/MAXIMUM_NUMBER_OF_PREFIXES_REACHED',
        ),
      ).toBe(true);
      const s = await nvad?.showJson<Summary>('ip bgp summary');
      expect(s?.neighbors[0]?.state).toBe('Idle (PfxCt)');
      const d = await nvad?.showJson<{ neighbors: { lastError: string | null }[] }>(
        `ip bgp neighbors ${PEER}`,
      );
      expect(d?.neighbors[0]?.lastError).toBe('maximum prefixes exceeded');
      const text = await nvad?.cli(['show', 'ip', 'bgp', 'neighbors', PEER]);
      expect(text?.stdout).toContain('Last reset: maximum prefixes exceeded');
      // No reconnect: longer than IdleHold (5 s) and a connect retry, still Idle, FRR never saw
      // another session, and no route came back.
      const since = Date.now();
      await waitFor('idle-hold period elapsed', () => Date.now() - since > 8_000, 15_000, 500);
      const later = await nvad?.showJson<Summary>('ip bgp summary');
      expect(later?.neighbors[0]?.state).toBe('Idle (PfxCt)');
      expect(frrNeighbor().connectionsEstablished).toBe(established);
      expect(frrNeighbor().bgpState).not.toBe('Established');
      expect(kernelRoutes()).toEqual([]);
    }, 60_000);
  },
);
