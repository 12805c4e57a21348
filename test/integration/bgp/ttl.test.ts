/**
 * `ebgp-multihop` TTL against FRR two hops away: nvad's speaker (agent.ts, with the native socket
 * options) in one namespace, a router namespace in the middle, FRR (AS 65515) behind it.
 *
 *   nva 10.96.1.1 ── 10.96.1.2 [router] 10.96.2.1 ── 10.96.2.2 FRR
 *
 * Without `ebgp-multihop` our packets leave with TTL 1 (directly connected eBGP, like FRR and
 * Catalyst): the router drops the SYN and the session never comes up. With `ebgp-multihop 2` they
 * leave with TTL 2 and arrive at FRR with TTL 1. TTLs are read from iptables `ttl` match counters
 * in the router's raw PREROUTING chain and FRR's INPUT chain.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';
import { bgpConfig, neighbor } from '../../unit/bgp/session/harness.js';
import { SpeakerAgent } from './agent-client.js';

const NVA = '10.96.1.1';
const FRR = '10.96.2.2';

/** Counting rules (no target): `name` → iptables match arguments. */
type Counters = Record<string, readonly string[]>;

function addCounters(ns: TestNetns, table: string, chain: string, rules: Counters): void {
  for (const [name, args] of Object.entries(rules)) {
    ns.exec('iptables', ['-t', table, '-A', chain, ...args, '-m', 'comment', '--comment', name]);
  }
}

function readCounters(ns: TestNetns, table: string, chain: string): Record<string, number> {
  const out: Record<string, number> = {};
  const text = ns.exec('iptables', ['-t', table, '-L', chain, '-v', '-x', '-n']);
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+\d+\s.*\/\* (\S+) \*\//.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[2]] = Number(m[1]);
  }
  return out;
}

function zeroCounters(ns: TestNetns): void {
  ns.exec('iptables', ['-t', 'raw', '-Z']);
  ns.exec('iptables', ['-Z']);
}

describeWithPrereqs(
  'BGP ebgp-multihop TTL: nvad and FRR separated by a router',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgpt');
    const rtr = new TestNetns('bgpt');
    const az = new TestNetns('bgpt');
    let frr: FrrPeer | undefined;
    let agent: SpeakerAgent | undefined;

    const vtyConfig = (...lines: string[]): void => {
      if (!frr) throw new Error('no FRR');
      const args = ['--vty_socket', frr.dir, '-c', 'configure terminal', '-c', 'router bgp 65515'];
      for (const l of lines) args.push('-c', l);
      az.exec('vtysh', args);
    };

    const frrState = (): string | undefined => {
      const j = JSON.parse(frr?.vtysh(`show bgp neighbors ${NVA} json`) ?? '{}') as Record<
        string,
        { bgpState?: string }
      >;
      return j[NVA]?.bgpState;
    };

    async function startAgent(opts: {
      multihop?: number;
      passive?: boolean;
    }): Promise<SpeakerAgent> {
      const a = new SpeakerAgent(nva);
      agent = a;
      await a.start({
        bgp: bgpConfig(
          65002,
          NVA,
          [
            neighbor(FRR, 65515, {
              // A passive neighbor without update-source listens on the dual-stack wildcard, so
              // the accepted IPv4 connection is an IPv4-mapped AF_INET6 socket (IP_TTL path).
              ...(opts.passive === true ? {} : { updateSource: NVA }),
              passive: opts.passive ?? false,
              timers: { keepaliveSec: 3, holdSec: 9 },
              ...(opts.multihop !== undefined ? { ebgpMultihop: opts.multihop } : {}),
            }),
          ],
          ['10.10.0.0/16'],
        ),
        connectRetrySec: 1,
        idleHoldSec: 1,
      });
      return a;
    }

    beforeAll(() => {
      nva.create();
      rtr.create();
      az.create();
      vethPair(nva, 'nvt0', rtr, 'rtt0');
      vethPair(rtr, 'rtt1', az, 'azt0');
      nva.addr('nvt0', `${NVA}/30`);
      rtr.addr('rtt0', '10.96.1.2/30');
      rtr.addr('rtt1', '10.96.2.1/30');
      az.addr('azt0', `${FRR}/30`);
      nva.route('10.96.2.0/30', 'via', '10.96.1.2');
      az.route('10.96.1.0/30', 'via', '10.96.2.1');
      rtr.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      // Router: BGP SYNs from nvad by TTL on arrival (a TTL-1 packet is not forwarded).
      addCounters(rtr, 'raw', 'PREROUTING', {
        syn_ttl1: ['-s', NVA, '-p', 'tcp', '--dport', '179', '--syn', '-m', 'ttl', '--ttl-eq', '1'],
        syn_any: ['-s', NVA, '-p', 'tcp', '--dport', '179', '--syn'],
      });
      // FRR: everything nvad sends, by TTL on arrival; segments carrying BGP messages separately
      // (not SYN, at least 71 octets: IP 20 + TCP with timestamps 32 + a KEEPALIVE's 19).
      addCounters(az, 'filter', 'INPUT', {
        from_nva: ['-s', NVA, '-p', 'tcp'],
        ttl1: ['-s', NVA, '-p', 'tcp', '-m', 'ttl', '--ttl-eq', '1'],
        data_ttl1: [
          ...['-s', NVA, '-p', 'tcp', '!', '--syn', '-m', 'length', '--length', '71:65535'],
          ...['-m', 'ttl', '--ttl-eq', '1'],
        ],
        data_not_ttl1: [
          ...['-s', NVA, '-p', 'tcp', '!', '--syn', '-m', 'length', '--length', '71:65535'],
          ...['-m', 'ttl', '!', '--ttl-eq', '1'],
        ],
      });
      frr = startFrr(
        az,
        [
          'frr defaults traditional',
          'router bgp 65515',
          ` bgp router-id ${FRR}`,
          ' no bgp ebgp-requires-policy',
          ' no bgp network import-check',
          ` neighbor ${NVA} remote-as 65002`,
          ` neighbor ${NVA} passive`,
          ` neighbor ${NVA} ebgp-multihop 2`,
          ` neighbor ${NVA} timers 3 9`,
          ` neighbor ${NVA} timers connect 1`,
          ' address-family ipv4 unicast',
          '  network 10.20.0.0/16',
          ' exit-address-family',
          '',
        ].join('\n'),
      );
    });

    afterEach(async () => {
      await agent?.stop();
      agent = undefined;
    });

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        frr?.stop();
        nva.destroy();
        rtr.destroy();
        az.destroy();
      }
    });

    it('without ebgp-multihop the SYN leaves with TTL 1, dies at the router, no session', async () => {
      zeroCounters(rtr);
      zeroCounters(az);
      const a = await startAgent({});
      const details = await a.call<{ ttl: number; ebgpMultihop: number | null }[]>('details');
      expect(details[0]?.ttl).toBe(1);
      // Several connect attempts (retry 1 s), every SYN arriving at the router with TTL 1.
      await waitFor(
        'three SYNs at the router',
        () => (readCounters(rtr, 'raw', 'PREROUTING').syn_any ?? 0) >= 3,
        30_000,
      );
      const r = readCounters(rtr, 'raw', 'PREROUTING');
      expect(r.syn_ttl1).toBe(r.syn_any);
      // Nothing crossed the router.
      expect(readCounters(az, 'filter', 'INPUT').from_nva).toBe(0);
      const s = await a.summary();
      expect(s.neighbors[0]?.state).not.toBe('Established');
      expect(frrState()).not.toBe('Established');
    });

    it('with ebgp-multihop 2 it reaches Established and every packet arrives with TTL 1', async () => {
      zeroCounters(rtr);
      zeroCounters(az);
      const a = await startAgent({ multihop: 2 });
      await waitFor(
        'Established',
        async () => (await a.summary()).neighbors[0]?.state === 'Established',
        30_000,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.stderr.slice(-3000)}`);
      });
      expect(
        await waitFor('route from FRR', async () => {
          const got = await a.received(FRR);
          return got.length > 0 ? got : undefined;
        }),
      ).toEqual(['10.20.0.0/16 via 10.96.2.2 path 65515']);
      await waitFor('FRR Established', () => frrState() === 'Established');
      const c = readCounters(az, 'filter', 'INPUT');
      // SYN, ACK, OPEN, KEEPALIVE, UPDATE…: sent with TTL 2, one router → TTL 1 at FRR.
      expect(c.from_nva).toBeGreaterThanOrEqual(4);
      expect(c.ttl1).toBe(c.from_nva);
      const details = await a.call<{ ttl: number; ebgpMultihop: number | null }[]>('details');
      expect(details[0]).toMatchObject({ ttl: 2, ebgpMultihop: 2 });
    });

    it('passive side: an accepted connection gets the neighbor TTL once matched', async () => {
      // FRR connects to us now. Our SYN-ACK (and an ACK the kernel may send before the socket is
      // matched) leaves with the listener's default TTL; every BGP message with ebgp-multihop 2.
      vtyConfig(`no neighbor ${NVA} passive`);
      try {
        zeroCounters(az);
        const a = await startAgent({ multihop: 2, passive: true });
        await waitFor(
          'Established',
          async () => (await a.summary()).neighbors[0]?.state === 'Established',
          30_000,
        );
        await waitFor('route from FRR', async () => (await a.received(FRR)).length > 0);
        const c = readCounters(az, 'filter', 'INPUT');
        expect(c.data_ttl1).toBeGreaterThanOrEqual(3); // OPEN, KEEPALIVE, UPDATE at least
        expect(c.data_not_ttl1).toBe(0);
      } finally {
        vtyConfig(`neighbor ${NVA} passive`);
      }
    });
  },
);
