/**
 * Design 2 (dual stack, static) topology in network namespaces, with the addresses of the shared
 * example `dual-stack-static.yaml` itself, so the NVA runs that file as written (only the PSK file
 * paths may be substituted):
 *
 *   host  eth0 10.2.1.10-25/24, 2001:db8:2:1::10-25/64 (several sources = several ECMP flows)
 *     |
 *   nva   eth1 10.2.1.1/24, 2001:db8:2:1::1/64; eth2 10.2.0.36/27, eth3 10.2.0.68/27 (nvad)
 *     | eth2, eth3
 *   nat   in0 10.2.0.33/27, in1 10.2.0.65/27; out 198.51.100.2/24;
 *         1:1 NAT 10.2.0.36 <-> 198.51.100.21, 10.2.0.68 <-> 198.51.100.22
 *     |
 *   inet  198.51.100.1/24; bridge br0 203.0.113.1/24 (the "internet")
 *     |                              |
 *   gw0   203.0.113.20               gw1   203.0.113.21      charon (kernel-libipsec) each, one
 *         vnet 10.1.0.250, ::250           vnet 10.1.0.251, ::251   connection, 0/0 + ::/0 children
 *     |                              |
 *   vnet  bridge br0 10.1.0.4/24, 2001:db8:1::4/64: the VNet host ("VM"); return routes to the
 *         NVA side ECMP via both gateway instances
 *
 * Gateway instances (Azure active-active): charon's table 220 is made unreachable by its fwmark
 * rule (test/support/strongswan.ts) and a rule of ours, `to <NVA side> lookup 220`, sends only the
 * NVA-side prefixes into it. Charon puts `default dev ipsec0` into table 220 while the child SA is
 * installed, and an updown script does the same for `::/0` (libipsec carries IPv6 inner packets
 * over the IPv4 SA, but charon installs no route for the IPv6 selector of an IPv4 SA); without
 * them the lookup falls through to the main table, where the
 * NVA side is routed via the other instance across the VNet (as an Azure instance without its
 * tunnel hands traffic to its sibling). So the VNet's ECMP return path survives either tunnel
 * going down, whether charon stops or only its SA goes away.
 *
 * Every namespace is `nv<tag><pid><n>`; `destroy()` stops the charons, deletes the namespaces and
 * the run directory (PSK files included) and never throws.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestNetns, vethPair } from '../../support/netns.js';
import { Charon, swanctlConf } from '../../support/strongswan.js';
import type { IkeSaInfo, SwanConn } from '../../support/strongswan.js';

export const REPO = resolve(import.meta.dirname, '../../..');
/** Byte-identical copy of ../shared/examples/dual-stack-static.yaml (checked by a unit test). */
export const EXAMPLE = join(REPO, 'test/fixtures/config/shared-examples/dual-stack-static.yaml');

export const D2 = {
  tunnels: [
    {
      name: 'Tunnel0',
      dev: 'eth2',
      local: '10.2.0.36',
      routerSide: '10.2.0.33',
      publicIp: '198.51.100.21',
      natIf: 'in0',
    },
    {
      name: 'Tunnel1',
      dev: 'eth3',
      local: '10.2.0.68',
      routerSide: '10.2.0.65',
      publicIp: '198.51.100.22',
      natIf: 'in1',
    },
  ],
  gateways: [
    { publicIp: '203.0.113.20', vnet4: '10.1.0.250', vnet6: '2001:db8:1::250' },
    { publicIp: '203.0.113.21', vnet4: '10.1.0.251', vnet6: '2001:db8:1::251' },
  ],
  vm4: '10.1.0.4',
  vm6: '2001:db8:1::4',
  nvaSide4: '10.2.0.0/16',
  nvaSide6: '2001:db8:2::/48',
  lanGw4: '10.2.1.1',
  lanGw6: '2001:db8:2:1::1',
  /** Host source addresses: one flow each, hashed onto the ECMP routes. */
  hosts4: Array.from({ length: 16 }, (_, i) => `10.2.1.${10 + i}`),
  hosts6: Array.from({ length: 16 }, (_, i) => `2001:db8:2:1::${(0x10 + i).toString(16)}`),
  /** The example's Azure policy as strongSwan proposals (GCMAES256/SHA384/DHGroup14, no PFS). */
  ikeProposals: 'aes256gcm16-prfsha384-modp2048',
  espProposals: 'aes256gcm16',
} as const;

export interface GatewayOptions {
  /** Gateway DPD delay in seconds (0 disables); default 45 (Azure). */
  readonly dpdDelay?: number;
}

export interface PingResult {
  readonly source: string;
  readonly sent: number;
  readonly received: number;
}

/** updown: the IPv6 route into ipsec0 follows the child SA (charon adds only the IPv4 one). */
const UPDOWN = `#!/bin/sh
case "$PLUTO_VERB" in
  up-client-v6) ip -6 route replace default dev ipsec0 table 220 ;;
  down-client-v6) ip -6 route del default dev ipsec0 table 220 ;;
esac
exit 0
`;

function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else done(stdout);
    });
  });
}

/** Like run, but returns stdout whatever the exit code (ping exits 1 on loss). */
function output(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: timeoutMs }, (_err, stdout) => {
      done(typeof stdout === 'string' ? stdout : '');
    });
  });
}

export class Design2Lab {
  readonly host: TestNetns;
  readonly nva: TestNetns;
  readonly nat: TestNetns;
  readonly inet: TestNetns;
  readonly gw: readonly [TestNetns, TestNetns];
  readonly vnet: TestNetns;
  /** Run directory (0700): PSK files, charon run dirs, nvad config and run dir. */
  readonly dir: string;
  readonly psks: readonly [string, string];
  readonly charons: [Charon | null, Charon | null] = [null, null];
  private readonly all: TestNetns[];
  private gatewayOptions: GatewayOptions = {};

  private constructor(tag: string) {
    this.host = new TestNetns(tag);
    this.nva = new TestNetns(tag);
    this.nat = new TestNetns(tag);
    this.inet = new TestNetns(tag);
    this.gw = [new TestNetns(tag), new TestNetns(tag)];
    this.vnet = new TestNetns(tag);
    this.all = [this.host, this.nva, this.nat, this.inet, ...this.gw, this.vnet];
    this.dir = mkdtempSync(join(tmpdir(), `nvad-${tag}-`));
    // printable, no quotes: strongSwan's secrets syntax and the YAML file reference both take it
    this.psks = [randomBytes(24).toString('base64'), randomBytes(24).toString('base64')];
  }

  /** Build the namespaces and start both gateway instances (they wait for the NVA to initiate). */
  static async build(tag: string, gateway: GatewayOptions = {}): Promise<Design2Lab> {
    const lab = new Design2Lab(tag);
    lab.gatewayOptions = gateway;
    try {
      lab.wire();
      await lab.startGateway(0);
      await lab.startGateway(1);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private wire(): void {
    for (const ns of this.all) ns.create();
    const { host, nva, nat, inet, vnet } = this;
    const sysctl = (ns: TestNetns, ...kv: string[]): void => {
      ns.exec('sysctl', ['-qw', ...kv]);
    };

    // host <-> nva (the NVA-side LAN)
    vethPair(host, 'eth0', nva, 'eth1');
    D2.hosts4.forEach((a) => {
      host.addr('eth0', `${a}/24`);
    });
    D2.hosts6.forEach((a) => {
      host.addr('eth0', `${a}/64`);
    });
    host.route('default', 'via', D2.lanGw4);
    host.route('default', 'via', D2.lanGw6);
    nva.addr('eth1', `${D2.lanGw4}/24`);
    nva.addr('eth1', `${D2.lanGw6}/64`);

    // nva outside NICs <-> 1:1 NAT router; each tunnel's peer is reached through its own NIC
    for (const [i, t] of D2.tunnels.entries()) {
      vethPair(nva, t.dev, nat, t.natIf);
      nva.addr(t.dev, `${t.local}/27`);
      nat.addr(t.natIf, `${t.routerSide}/27`);
      nva.route(`${D2.gateways[i]!.publicIp}/32`, 'via', t.routerSide, 'dev', t.dev);
    }
    sysctl(
      nva,
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
    );

    vethPair(nat, 'out', inet, 'nat');
    nat.addr('out', '198.51.100.2/24');
    for (const t of D2.tunnels) nat.addr('out', `${t.publicIp}/32`);
    nat.route('default', 'via', '198.51.100.1');
    sysctl(nat, 'net.ipv4.ip_forward=1');
    for (const t of D2.tunnels) {
      nat.exec('iptables', [
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'out',
        '-d',
        t.publicIp,
        '-j',
        'DNAT',
        '--to-destination',
        t.local,
      ]);
      nat.exec('iptables', [
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'out',
        '-s',
        t.local,
        '-j',
        'SNAT',
        '--to-source',
        t.publicIp,
      ]);
    }

    // the internet: 198.51.100.0/24 towards the NAT router, 203.0.113.0/24 on a bridge
    inet.addr('nat', '198.51.100.1/24');
    inet.ip('link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0');
    inet.ip('link', 'set', 'br0', 'up');
    inet.addr('br0', '203.0.113.1/24');
    sysctl(inet, 'net.ipv4.ip_forward=1');

    // the VNet: a bridge whose own addresses are the VNet host's
    vnet.ip('link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0');
    vnet.ip('link', 'set', 'br0', 'up');
    vnet.addr('br0', `${D2.vm4}/24`);
    vnet.addr('br0', `${D2.vm6}/64`);
    sysctl(vnet, 'net.ipv4.conf.all.accept_redirects=0', 'net.ipv6.conf.all.accept_redirects=0');

    for (const [i, g] of D2.gateways.entries()) {
      const gw = this.gw[i as 0 | 1];
      const other = D2.gateways[1 - i]!;
      vethPair(gw, 'eth0', inet, `g${i}`);
      inet.ip('link', 'set', `g${i}`, 'master', 'br0');
      gw.addr('eth0', `${g.publicIp}/24`);
      gw.route('default', 'via', '203.0.113.1');
      vethPair(gw, 'eth1', vnet, `p${i}`);
      vnet.ip('link', 'set', `p${i}`, 'master', 'br0');
      gw.addr('eth1', `${g.vnet4}/24`);
      gw.addr('eth1', `${g.vnet6}/64`);
      sysctl(
        gw,
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv4.conf.all.send_redirects=0',
        'net.ipv4.conf.eth1.send_redirects=0',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
      );
      // NVA side: into the tunnel while libipsec has its routes in table 220, else via the sibling
      gw.ip('-4', 'rule', 'add', 'to', D2.nvaSide4, 'lookup', '220', 'pref', '100');
      gw.ip('-6', 'rule', 'add', 'to', D2.nvaSide6, 'lookup', '220', 'pref', '100');
      gw.route(D2.nvaSide4, 'via', other.vnet4, 'dev', 'eth1');
      gw.route(D2.nvaSide6, 'via', other.vnet6, 'dev', 'eth1');
    }
    vnet.route(
      D2.nvaSide4,
      ...D2.gateways.flatMap((g) => ['nexthop', 'via', g.vnet4, 'dev', 'br0']),
    );
    vnet.route(
      D2.nvaSide6,
      ...D2.gateways.flatMap((g) => ['nexthop', 'via', g.vnet6, 'dev', 'br0']),
    );
  }

  /** The gateway instance's connection: Azure's side of Tunnel<i>. */
  private conn(i: 0 | 1): SwanConn {
    const g = D2.gateways[i];
    const t = D2.tunnels[i];
    return {
      name: `azure${i}`,
      localAddrs: g.publicIp,
      remoteAddrs: t.publicIp,
      localId: g.publicIp,
      remoteId: t.publicIp,
      psk: this.psks[i],
      proposals: D2.ikeProposals,
      dpdDelay: this.gatewayOptions.dpdDelay ?? 45,
      children: [
        {
          name: `s2s${i}`,
          localTs: ['0.0.0.0/0', '::/0'],
          remoteTs: ['0.0.0.0/0', '::/0'],
          espProposals: D2.espProposals,
          dpdAction: 'clear',
        },
      ],
    };
  }

  /**
   * Start gateway instance `i`'s charon (a fresh run directory each time). libipsec carries IPv6
   * inner packets over the IPv4 SA, but charon installs the table-220 route only for the IPv4
   * selector (its log: "getting a local address in traffic selector ::/0 ... using host %any6",
   * then no route), so an updown script adds and removes the IPv6 one with the child SA.
   * test/support/strongswan.ts has no updown option: the connection is reloaded with one.
   */
  async startGateway(i: 0 | 1): Promise<Charon> {
    if (this.charons[i] !== null) throw new Error(`gateway ${i} already runs`);
    const charon = await Charon.start({
      ns: this.gw[i].name,
      name: `gw${i}`,
      conns: [this.conn(i)],
      baseDir: join(this.dir, 'swan'),
    });
    this.charons[i] = charon;
    const updown = join(charon.dir, 'updown.sh');
    writeFileSync(updown, UPDOWN, { mode: 0o755 });
    const conf = swanctlConf([this.conn(i)]).replace(
      /^( +esp_proposals = .*)$/m,
      `$1\n        updown = ${updown}`,
    );
    writeFileSync(join(charon.dir, 'swanctl.conf'), conf, { mode: 0o600 });
    charon.load();
    // a child set up between charon's start and the reload ran without the script
    if (this.gatewaySa(i) !== null) {
      this.gw[i].ip('-6', 'route', 'replace', 'default', 'dev', 'ipsec0', 'table', '220');
    }
    return charon;
  }

  /** Stop gateway instance `i`: IKE Delete for its SA first (the clean path), then charon. */
  async stopGateway(i: 0 | 1): Promise<string> {
    const charon = this.charons[i];
    if (charon === null) return '';
    try {
      if (charon.listSas().length > 0) charon.terminateIke(`azure${i}`);
    } finally {
      await charon.stop();
      this.charons[i] = null;
    }
    return charon.log();
  }

  /** The gateway's view of its IKE SA (null while none is established with an installed child). */
  gatewaySa(i: 0 | 1): IkeSaInfo | null {
    const sas = this.charons[i]?.listSas() ?? [];
    return (
      sas.find(
        (s) => s.state === 'ESTABLISHED' && s.children.some((c) => c.state === 'INSTALLED'),
      ) ?? null
    );
  }

  /** Take the wire between the NVA's outside NIC of tunnel `i` and the NAT router down or up. */
  setWire(i: 0 | 1, up: boolean): void {
    this.nat.ip('link', 'set', D2.tunnels[i].natIf, up ? 'up' : 'down');
  }

  /**
   * The example configuration for the NVA, with only the PSK file directory replaced when
   * `secretsDir` is given (the container mounts the files at /run/secrets as written), and with
   * `extraTunnelLines` (already indented YAML) appended to each tunnel when given.
   */
  nvaConfig(secretsDir?: string, extraTunnelLines: readonly string[] = []): string {
    let text = readFileSync(EXAMPLE, 'utf8');
    if (secretsDir !== undefined) {
      text = text.replaceAll('${file:/run/secrets/', `\${file:${secretsDir}/`);
    }
    if (extraTunnelLines.length > 0) {
      const add = extraTunnelLines.join('\n');
      text = text.replace(/^( {4}tcp-mss: .*)$/gm, `$1\n${add}`);
    }
    return text;
  }

  /** Write psk1/psk2 (0600) into a fresh directory and return it. */
  writeSecrets(name = 'secrets'): string {
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.psks.forEach((psk, i) => {
      writeFileSync(join(dir, `psk${i + 1}`), psk, { mode: 0o600 });
    });
    return dir;
  }

  /** Ping (IPv4 or IPv6) the VNet host from every host source at once (one flow per source). */
  async pingFromAll(family: 4 | 6, count = 3, intervalSec = 0.2): Promise<PingResult[]> {
    const sources = family === 4 ? D2.hosts4 : D2.hosts6;
    const dst = family === 4 ? D2.vm4 : D2.vm6;
    return Promise.all(
      sources.map(async (src) => {
        const out = await output(
          'ip',
          [
            'netns',
            'exec',
            this.host.name,
            'ping',
            `-${family}`,
            '-c',
            String(count),
            '-i',
            String(intervalSec),
            '-W',
            '2',
            '-I',
            src,
            dst,
          ],
          Math.max(30_000, (count * intervalSec + 10) * 1000),
        );
        const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
        return { source: src, sent: Number(m?.[1] ?? count), received: Number(m?.[2] ?? 0) };
      }),
    );
  }

  /**
   * Count the echo requests (ICMP and ICMPv6) that reach the VNet host, per source address, from
   * now until `stop()`: the NVA-to-VNet half of each ping flow, whatever the return path does.
   */
  async captureEchoRequests(): Promise<{ stop(): Promise<Map<string, number>> }> {
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.vnet.name,
        'tcpdump',
        '-i',
        'br0',
        '-n',
        '-l',
        '-Q',
        'in',
        'icmp[icmptype] == icmp-echo or (icmp6 and ip6[40] == 128)',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<void>((r) => {
      p.once('exit', () => {
        r();
      });
    });
    const end = Date.now() + 10_000;
    while (!err.includes('listening on')) {
      if (p.exitCode !== null || Date.now() > end) throw new Error(`tcpdump: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      stop: async () => {
        p.kill('SIGINT');
        await exited;
        const counts = new Map<string, number>();
        for (const m of out.matchAll(/IP6? (\S+) > \S+: ICMP6?,? echo request/g)) {
          counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
        }
        return counts;
      },
    };
  }

  /** `ip ...` in a namespace, asynchronously. */
  ipIn(ns: TestNetns, args: readonly string[]): Promise<string> {
    return run('ip', ['-n', ns.name, ...args]);
  }

  async destroy(): Promise<void> {
    for (const i of [0, 1] as const) {
      try {
        await this.charons[i]?.stop();
      } catch {
        // best effort
      }
      this.charons[i] = null;
    }
    for (const ns of this.all) {
      try {
        ns.destroy();
      } catch {
        // best effort
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether every ping got all its answers. */
export function allAnswered(results: readonly PingResult[]): boolean {
  return results.every((r) => r.sent > 0 && r.received === r.sent);
}
