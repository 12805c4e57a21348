/**
 * The multi-tunnel design (shared example multi-tunnel-same-gateway.yaml): two sessions to the
 * SAME neighbor address 10.0.255.254, one per routing context, each routed only through its own
 * tunnel; routes learned in both contexts are merged as ECMP in the main table.
 *
 * The daemon's BGP and routing components run over the real rtnetlink kernel in the NVA
 * namespace (multi-context-agent.ts); veths named Tunnel0/Tunnel1 stand in for the TUNs, and an
 * FRR "gateway" in its own namespace sits at the far end of each, both with 10.0.255.254 on lo
 * and both advertising 10.21.0.0/16. nvad's routing contexts (tables 101/102, rules by source
 * address) carry each session through its own tunnel.
 *
 * Checks: both sessions Established; 10.21.0.0/16 in the main table as `proto bgp` over a group
 * of `dev Tunnel0` + `dev Tunnel1`; `show ip bgp` has one destination with a path per context;
 * the gateways get our global static 172.16.0.0/16 and our connected loopback and inside subnet
 * (`redistribute connected`, following address changes) but neither the per-context peer /32
 * nor their own prefix back; a tunnel going down leaves one member, back up restores two.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type {
  BgpDestinationInfo,
  BgpRouteRow,
  BgpSummaryInfo,
} from '../../../src/mgmt/show/commands/ip-bgp-view.js';
import { haveFrr, startFrr, type FrrPeer } from '../../support/bgp-peers.js';
import { describeWithPrereqs, isRoot, TestNetns, vethPair, waitFor } from '../../support/netns.js';

const GW = '10.0.255.254';
const SRC1 = '192.168.255.254';
const SRC2 = '172.16.1.4';
const LEARNED = '10.21.0.0/16';
const agentPath = fileURLToPath(new URL('./multi-context-agent.ts', import.meta.url));

const CONFIG = `node:
  name: csr-multi
underlay:
  public-address: 198.51.100.30
loopbacks:
  - 10.255.0.1/32
crypto:
  ike-policies:
    p1:
      proposals:
        - { encryption: [aes-cbc-256], integrity: [sha256], prf: [sha256], dh-group: [modp2048] }
  ipsec-policies:
    p2:
      proposals:
        - { encryption: [aes-gcm-256] }
tunnels:
  - name: Tunnel0
    local-address: 172.16.0.5
    public-address: 198.51.100.30
    peer: 203.0.113.30
    psk: \${env:NVAD_PSK}
    ike-policy: p1
    ipsec-policy: p2
    address: ${SRC1}/32
    routing-context: outside-one
  - name: Tunnel1
    local-address: 172.16.1.4
    public-address: 198.51.100.31
    peer: 203.0.113.30
    psk: \${env:NVAD_PSK}
    ike-policy: p1
    ipsec-policy: p2
    address: ${SRC2}/32
    routing-context: outside-two
static-routes:
  - { prefix: ${GW}/32, via: Tunnel0, routing-context: outside-one }
  - { prefix: ${GW}/32, via: Tunnel1, routing-context: outside-two }
  - { prefix: 172.16.0.0/16, next-hop: 172.16.2.1 }
bgp:
  asn: 64900
  maximum-paths: 2
  redistribute: [static, connected]
  timers: { keepalive: 3s, hold: 9s }
  neighbors:
    - address: ${GW}
      remote-as: 65515
      routing-context: outside-one
      update-source: ${SRC1}
      ebgp-multihop: 5
    - address: ${GW}
      remote-as: 65515
      routing-context: outside-two
      update-source: ${SRC2}
      ebgp-multihop: 5
`;

function frrConf(peer: string): string {
  return [
    'frr defaults traditional',
    'router bgp 65515',
    ` bgp router-id ${GW}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ` neighbor ${peer} remote-as 64900`,
    ` neighbor ${peer} passive`,
    ` neighbor ${peer} ebgp-multihop 5`,
    ` neighbor ${peer} update-source ${GW}`,
    ` neighbor ${peer} timers 3 9`,
    ' address-family ipv4 unicast',
    `  network ${LEARNED}`,
    ' exit-address-family',
    '',
  ].join('\n');
}

/** Test-side handle on multi-context-agent.ts. */
class Agent {
  stderr = '';
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { ok: (v: unknown) => void; fail: (e: Error) => void }
  >();
  readonly ready: Promise<void>;

  constructor(ns: TestNetns, configPath: string) {
    this.child = ns.spawn(process.execPath, ['--import', 'tsx', agentPath, configPath]);
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => {
        reject(new Error(`agent exited (${String(code)}): ${this.stderr.slice(-3000)}`));
      });
      if (!this.child.stdout) throw new Error('agent has no stdout');
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        const m = JSON.parse(line) as {
          ready?: boolean;
          id?: number;
          result?: unknown;
          error?: string;
        };
        if (m.ready) {
          resolve();
          return;
        }
        const w = this.waiting.get(m.id ?? -1);
        this.waiting.delete(m.id ?? -1);
        if (m.error !== undefined) w?.fail(new Error(m.error));
        else w?.ok(m.result);
      });
    });
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: ok as (v: unknown) => void, fail });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await Promise.race([this.call('stop'), exited]);
    const gone = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) =>
        setTimeout(() => {
          r(false);
        }, 3000),
      ),
    ]);
    if (!gone) this.child.kill('SIGKILL');
  }
}

interface KernelRoute {
  dst: string;
  protocol?: string;
  nhid?: number;
}

interface KernelNexthop {
  id: number;
  dev?: string;
  gateway?: string;
  group?: { id: number }[];
}

describeWithPrereqs(
  'BGP: one neighbor address in two routing contexts, merged as ECMP',
  { root: isRoot(), frr: haveFrr() },
  () => {
    const nva = new TestNetns('bgpm');
    const gw1 = new TestNetns('bgpm');
    const gw2 = new TestNetns('bgpm');
    const frrs: FrrPeer[] = [];
    let dir = '';
    let agent: Agent | undefined;

    /** Devices of the main-table route's next hops (group members, or the single nexthop). */
    function mainDevs(prefix: string): string[] | undefined {
      const r = (JSON.parse(nva.ip('-j', 'route', 'show', prefix)) as KernelRoute[])[0];
      if (!r) return undefined;
      expect(r.protocol).toBe('bgp');
      if (r.nhid === undefined) return [];
      const all = JSON.parse(nva.ip('-j', 'nexthop', 'show')) as KernelNexthop[];
      const nh = all.find((n) => n.id === r.nhid);
      if (!nh) return [];
      const ids = nh.group ? nh.group.map((m) => m.id) : [nh.id];
      return ids.map((id) => all.find((n) => n.id === id)?.dev ?? '?').sort();
    }

    function frrRoutes(f: FrrPeer): string[] {
      return Object.keys(f.showIpBgpJson().routes ?? {}).sort();
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nvad-it-bgpm-'));
      for (const ns of [nva, gw1, gw2]) ns.create();
      vethPair(nva, 'Tunnel0', gw1, 'gwm1');
      vethPair(nva, 'Tunnel1', gw2, 'gwm2');
      // The tunnels' inside addresses (a TUN would carry them) and the gateways' BGP address.
      nva.addr('Tunnel0', `${SRC1}/32`);
      nva.addr('Tunnel1', `${SRC2}/32`);
      gw1.addr('lo', `${GW}/32`);
      gw2.addr('lo', `${GW}/32`);
      // Another interface of the global table (redistribute connected).
      vethPair(nva, 'inside0', nva, 'inside0p');
      nva.addr('inside0', '172.31.5.1/24');
      gw1.route(`${SRC1}/32`, 'dev', 'gwm1');
      gw2.route(`${SRC2}/32`, 'dev', 'gwm2');
      frrs.push(startFrr(gw1, frrConf(SRC1)), startFrr(gw2, frrConf(SRC2)));
      const cfg = join(dir, 'nvad.yaml');
      writeFileSync(cfg, CONFIG);
      agent = new Agent(nva, cfg);
      await agent.ready;
    }, 60_000);

    afterAll(async () => {
      try {
        await agent?.stop();
      } finally {
        for (const f of frrs) f.stop();
        for (const ns of [nva, gw1, gw2]) ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('brings up both sessions, each through its own context', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      const s = await waitFor(
        'both Established with one prefix each',
        async () => {
          const sum = await a.call<BgpSummaryInfo>('summary');
          return sum.neighbors.every((n) => n.established && n.pfxRcd === 1) && sum;
        },
        45_000,
        500,
      ).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${a.stderr.slice(-3000)}`);
      });
      expect(s.neighbors.map((n) => n.neighbor)).toEqual([
        `outside-one/${GW}`,
        `outside-two/${GW}`,
      ]);
      // Policy routing: each tunnel address selects its context's table, which holds the peer
      // /32 through that tunnel only.
      const rules = JSON.parse(nva.ip('-j', 'rule', 'show')) as { src?: string; table?: string }[];
      for (const [src, dev] of [
        [SRC1, 'Tunnel0'],
        [SRC2, 'Tunnel1'],
      ] as const) {
        const table = rules.find((r) => r.src === src)?.table;
        expect(table).toBeDefined();
        const t = JSON.parse(nva.ip('-j', 'route', 'show', 'table', String(table))) as {
          dst: string;
          nhid?: number;
        }[];
        expect(t.map((r) => r.dst)).toEqual([GW]);
        const nh = (
          JSON.parse(nva.ip('-j', 'nexthop', 'show', 'id', String(t[0]?.nhid))) as KernelNexthop[]
        )[0];
        expect(nh?.dev).toBe(dev);
      }
    }, 60_000);

    it('installs the prefix both gateways send in the main table over both tunnels', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      const devs = await waitFor(
        'ECMP over Tunnel0 and Tunnel1',
        () => {
          const d = mainDevs(LEARNED);
          return d?.length === 2 && d;
        },
        20_000,
      );
      expect(devs).toEqual(['Tunnel0', 'Tunnel1']);
      const ds = await a.call<BgpDestinationInfo[]>('destinations');
      const d = ds.filter((x) => x.prefix === LEARNED);
      expect(d).toHaveLength(1);
      expect(d[0]?.routingContext).toBeNull();
      const paths = d[0]?.paths ?? [];
      expect(paths.map((p) => p.routingContext).sort()).toEqual(['outside-one', 'outside-two']);
      expect(paths.filter((p) => p.best)).toHaveLength(1);
      expect(paths.filter((p) => p.multipath)).toHaveLength(1);
      const routes = await a.call<
        {
          source: string;
          prefix: string;
          context: string;
          nexthops: { interface?: string; context?: string }[];
        }[]
      >('routes');
      const bgpRoute = routes.find((r) => r.source === 'bgp' && r.prefix === LEARNED);
      expect(bgpRoute?.context).toBe('default');
      // Best path first, so the order follows which session came up first: compare as a set.
      expect(
        bgpRoute?.nexthops.map((n) => `${n.interface ?? '?'}@${n.context ?? ''}`).sort(),
      ).toEqual(['Tunnel0@outside-one', 'Tunnel1@outside-two']);
    }, 30_000);

    it('advertises global statics and connected subnets to both gateways, nothing of the contexts', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      // Ours: the global static, the loopback and the inside interface's subnet. Not the
      // per-context peer /32 (10.0.255.254/32) nor the tunnel addresses of the contexts, and not
      // the gateways' own prefix back (split horizon by neighbor address across contexts).
      const ours = ['10.255.0.1/32', '172.16.0.0/16', '172.31.5.0/24'];
      for (const f of frrs) {
        await waitFor(
          'gateway learned our prefixes',
          () => ours.every((p) => frrRoutes(f).includes(p)),
          20_000,
        );
        expect(frrRoutes(f)).toEqual([LEARNED, ...ours].sort());
      }
      const adv = await a.call<BgpRouteRow[]>('advertised', { neighbor: `outside-one/${GW}` });
      expect(adv.map((r) => `${r.prefix} ${r.origin}`)).toEqual(ours.map((p) => `${p} ?`));
    }, 30_000);

    it('redistribute connected follows a new interface address (periodic scan)', async () => {
      nva.addr('inside0', '172.31.6.1/24');
      for (const f of frrs) {
        await waitFor(
          'gateway learned the new subnet',
          () => frrRoutes(f).includes('172.31.6.0/24'),
          30_000,
          500,
        );
      }
      nva.ip('addr', 'del', '172.31.6.1/24', 'dev', 'inside0');
      for (const f of frrs) {
        await waitFor(
          'gateway lost the subnet',
          () => !frrRoutes(f).includes('172.31.6.0/24'),
          30_000,
          500,
        );
      }
    }, 70_000);

    it('a tunnel going down leaves one member; back up restores both', async () => {
      const a = agent;
      if (!a) throw new Error('no agent');
      await a.call('tunnel', { name: 'Tunnel1', up: false });
      const one = await waitFor(
        'one member left',
        () => {
          const d = mainDevs(LEARNED);
          return d?.length === 1 && d;
        },
        5_000,
        100,
      );
      expect(one).toEqual(['Tunnel0']);
      const sum = await a.call<BgpSummaryInfo>('summary');
      expect(sum.neighbors.map((n) => n.established)).toEqual([true, false]);

      await a.call('tunnel', { name: 'Tunnel1', up: true });
      const both = await waitFor(
        'both members again',
        () => {
          const d = mainDevs(LEARNED);
          return d?.length === 2 && d;
        },
        45_000,
        500,
      );
      expect(both).toEqual(['Tunnel0', 'Tunnel1']);
    }, 60_000);
  },
);
