/**
 * RFC 7606 revised error handling in the real daemon (`nvad run`, AS 65002, in a namespace of its
 * own) against a scripted raw peer (test/support/bgp-raw-peer.ts, AS 65001) that connects from a
 * second namespace over a veth, completes OPEN/KEEPALIVE and sends crafted UPDATEs:
 *
 * (a) MULTI_EXIT_DISC with length 3 → treat-as-withdraw (RFC 7606 §7.4): session stays up, the
 *     previously installed prefix is withdrawn from the kernel;
 * (b) NLRI without NEXT_HOP → treat-as-withdraw (RFC 7606 §3(d)): prefix never installed;
 * (c) NLRI prefix length 33 → session reset (RFC 7606 §5.3): NOTIFICATION 3/10 (Invalid Network
 *     Field, RFC 4271 §6.3);
 * (d) MP_REACH_NLRI of length 3 (shorter than AFI+SAFI+NH length) → session reset (RFC 7606
 *     §7.11): NOTIFICATION 3/5 (Attribute Length Error);
 * (e) a good UPDATE on a fresh session installs its route.
 * After each, nvad's JSON log has a line naming the problem and the API still answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  Attr,
  attr,
  MsgType,
  nlri,
  RawBgpPeer,
  updateMessage,
} from '../../support/bgp-raw-peer.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';

const API = '127.0.0.1:9180';
const NVA_IP = '10.255.9.1';
const PEER_IP = '10.255.9.2';
const PEER_AS = 65001;

const CONFIG = `node:
  name: nva-bgp-malformed
bgp:
  asn: 65002
  router-id: ${NVA_IP}
  timers: { keepalive: 3s, hold: 9s }
  neighbors:
    - address: ${PEER_IP}
      remote-as: ${PEER_AS}
      passive: true
api:
  listen: ${API}
log:
  level: info
`;

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

describeWithPrereqs(
  'RFC 7606 malformed UPDATEs from a raw peer to the daemon',
  { root: isRoot() },
  () => {
    const nva = new TestNetns('bgm');
    const peerNs = new TestNetns('bgm');
    const peers: RawBgpPeer[] = [];
    let dir = '';
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

    function kernelRoute(prefix: string): { dst: string; protocol?: string } | undefined {
      return (
        JSON.parse(nva.ip('-j', 'route', 'show', prefix)) as { dst: string; protocol?: string }[]
      )[0];
    }

    async function apiAnswers(): Promise<void> {
      const r = await nvad!.cli(['show', 'ip', 'bgp', 'summary', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toHaveProperty('neighbors');
    }

    async function session(): Promise<RawBgpPeer> {
      const p = await waitFor(
        'a TCP connection to nvad',
        () => RawBgpPeer.connect(peerNs, NVA_IP, PEER_IP),
        15_000,
        250,
      );
      peers.push(p);
      await p.establish(PEER_AS, PEER_IP);
      return p;
    }

    const good = (prefix: string): Buffer =>
      updateMessage(
        [],
        [...Attr.origin(), ...Attr.asPath(PEER_AS), ...Attr.nextHop(PEER_IP)],
        nlri(prefix, 24),
      );

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvad-it-bgpm-'));
      nva.create();
      peerNs.create();
      vethPair(nva, 'nvm1', peerNs, 'pem1');
      nva.addr('nvm1', `${NVA_IP}/30`);
      peerNs.addr('pem1', `${PEER_IP}/30`);
      const cfg = join(dir, 'nvad.yaml');
      writeFileSync(cfg, CONFIG);
      nvad = await DaemonProcess.start(nva.name, cfg, join(dir, 'run'));
    }, 60_000);

    afterAll(async () => {
      try {
        for (const p of peers) p.close();
        await nvad?.kill();
      } finally {
        nva.destroy();
        peerNs.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('(a) bad MED length: treat-as-withdraw, the session stays up and the prefix is withdrawn', async () => {
      const p = await session();
      p.send(good('10.1.1.0'));
      await waitFor('10.1.1.0/24 installed', () => kernelRoute('10.1.1.0/24'), 10_000);
      expect(kernelRoute('10.1.1.0/24')?.protocol).toBe('bgp');
      const bad = [
        ...Attr.origin(),
        ...Attr.asPath(PEER_AS),
        ...Attr.nextHop(PEER_IP),
        ...attr(0x80, 4, [0, 0, 1]),
      ];
      p.send(updateMessage([], bad, nlri('10.1.1.0', 24)));
      await waitFor(
        '10.1.1.0/24 withdrawn',
        () => kernelRoute('10.1.1.0/24') === undefined,
        10_000,
      );
      const warn = await waitFor('warn log', () =>
        logLines().find(
          (l) =>
            l.level === 40 &&
            l.msg === 'malformed UPDATE treated as withdraw (RFC 7606)' &&
            JSON.stringify(l.problems).includes('MULTI_EXIT_DISC'),
        ),
      );
      expect(warn.prefixes).toBe(1);
      // still up: more KEEPALIVEs arrive (hold 9 s → every 3 s), no NOTIFICATION
      const ka = p.count(MsgType.KEEPALIVE);
      await waitFor('another KEEPALIVE', () => p.count(MsgType.KEEPALIVE) > ka, 6_000);
      expect(p.notification()).toBeUndefined();
      expect(p.closed).toBe(false);
      await apiAnswers();
    }, 40_000);

    it('(b) NLRI without NEXT_HOP: treat-as-withdraw, nothing installed, session up', async () => {
      const p = peers[peers.length - 1] as RawBgpPeer;
      p.send(updateMessage([], [...Attr.origin(), ...Attr.asPath(PEER_AS)], nlri('10.1.2.0', 24)));
      await waitFor('warn log', () =>
        logLines().find(
          (l) =>
            l.level === 40 &&
            l.msg === 'malformed UPDATE treated as withdraw (RFC 7606)' &&
            JSON.stringify(l.problems).includes('missing NEXT_HOP'),
        ),
      );
      // a following good UPDATE on the same session is processed, proving it survived
      p.send(good('10.1.9.0'));
      await waitFor('10.1.9.0/24 installed', () => kernelRoute('10.1.9.0/24'), 10_000);
      expect(kernelRoute('10.1.2.0/24')).toBeUndefined();
      expect(p.notification()).toBeUndefined();
      expect(p.closed).toBe(false);
      await apiAnswers();
    }, 30_000);

    it('(c) NLRI prefix length 33: NOTIFICATION UPDATE Message Error / Invalid Network Field', async () => {
      const p = peers[peers.length - 1] as RawBgpPeer;
      const attrs = [...Attr.origin(), ...Attr.asPath(PEER_AS), ...Attr.nextHop(PEER_IP)];
      p.send(updateMessage([], attrs, nlri('10.1.3.0', 33)));
      const n = await waitFor('NOTIFICATION', () => p.notification(), 10_000, 20);
      expect(n).toEqual({ code: 3, subcode: 10 });
      await waitFor('connection closed', () => p.closed, 10_000);
      // the session's routes go with it
      await waitFor('10.1.9.0/24 removed', () => kernelRoute('10.1.9.0/24') === undefined, 10_000);
      const line = await waitFor('log line', () =>
        logLines().find(
          (l) =>
            l.level === 40 &&
            JSON.stringify(l).includes('INVALID_NETWORK_FIELD') &&
            l.msg.includes('NOTIFICATION'),
        ),
      );
      // A session reset for an UPDATE error is a peer-caused problem: logged at warn.
      expect(line.msg).toBe('sending NOTIFICATION');
      await apiAnswers();
    }, 30_000);

    it('(d) MP_REACH_NLRI too short for AFI/SAFI/next hop: NOTIFICATION 3/5 (RFC 7606 §7.11)', async () => {
      const p = await session();
      const attrs = [
        ...Attr.origin(),
        ...Attr.asPath(PEER_AS),
        ...attr(0x80, 14, [0, 1, 1]), // MP_REACH_NLRI, length 3
      ];
      p.send(updateMessage([], attrs, []));
      const n = await waitFor('NOTIFICATION', () => p.notification(), 10_000, 20);
      expect(n).toEqual({ code: 3, subcode: 5 });
      await waitFor('connection closed', () => p.closed, 10_000);
      await waitFor('log line', () =>
        logLines().find(
          (l) =>
            l.level === 40 &&
            l.msg === 'sending NOTIFICATION' &&
            JSON.stringify(l).includes('ATTRIBUTE_LENGTH_ERROR'),
        ),
      );
      await apiAnswers();
    }, 40_000);

    it('(e) a good UPDATE on a new session installs the route; nvad is still running', async () => {
      const p = await session();
      p.send(good('10.1.5.0'));
      await waitFor('10.1.5.0/24 installed', () => kernelRoute('10.1.5.0/24'), 10_000);
      expect(kernelRoute('10.1.5.0/24')?.protocol).toBe('bgp');
      const s = await nvad!.cli(['show', 'ip', 'bgp', 'summary', '--json']);
      const j = JSON.parse(s.stdout) as {
        neighbors: { address: string; state: string; pfxRcd: number | null }[];
      };
      expect(j.neighbors).toEqual([
        expect.objectContaining({ address: PEER_IP, state: 'Established', pfxRcd: 1 }),
      ]);
      expect(nvad?.proc.exitCode).toBeNull();
      p.close();
    }, 40_000);
  },
);
