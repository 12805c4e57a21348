/**
 * The ESP acceptance lab: two real daemons (`node --import tsx src/cli/main.ts run`) with manual
 * SAs, A behind a 1:1 NAT router (test/support/nat-router.ts), B on the "internet", and a host
 * namespace behind each daemon so traffic is forwarded into the tunnel:
 *
 *   hostA 192.168.50.2, fd00:50::2 ─ A (10.210.1.2, NAT 203.0.113.2) ─ router ─ B (198.51.100.2) ─ hostB 192.168.60.2, fd00:60::2
 *   inside: A Tunnel1 172.31.0.1/30, lo fd00:a::1;  B Tunnel1 172.31.0.2/30, lo fd00:b::1
 *
 * Every namespace carries the caller's unique prefix; `close()` stops the daemons (SIGTERM, then
 * SIGKILL) and deletes the namespaces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoIpsecSaDto } from '../../../src/mgmt/show/commands/crypto-ipsec-sa.js';
import { NatRouter, sh } from '../../support/nat-router.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

export type Suite = 'gcm' | 'cbc';

export interface SideKeys {
  readonly spiIn: number;
  readonly spiOut: number;
  readonly keyIn: string;
  readonly keyOut: string;
  readonly integIn?: string;
  readonly integOut?: string;
}

export interface LabKeys {
  readonly suite: Suite;
  /** A -> B direction: SPI and keys as B receives them. */
  readonly ab: { spi: number; enc: string; integ?: string };
  readonly ba: { spi: number; enc: string; integ?: string };
}

export function makeKeys(suite: Suite): LabKeys {
  const enc = (): string => randomBytes(suite === 'gcm' ? 36 : 32).toString('hex');
  const integ = (): string | undefined =>
    suite === 'cbc' ? randomBytes(32).toString('hex') : undefined;
  const ab = { spi: 0xa1000001, enc: enc(), integ: integ() };
  const ba = { spi: 0xb1000001, enc: enc(), integ: integ() };
  return {
    suite,
    ab: ab.integ === undefined ? { spi: ab.spi, enc: ab.enc } : { ...ab, integ: ab.integ },
    ba: ba.integ === undefined ? { spi: ba.spi, enc: ba.enc } : { ...ba, integ: ba.integ },
  };
}

interface DaemonSide {
  readonly ns: string;
  readonly name: string;
  readonly local: string;
  readonly peer: string;
  readonly inside: string;
  readonly loopback6: string;
  readonly remoteLoopback6: string;
  readonly lan: string;
  readonly remoteLan: string;
  readonly remoteLan6: string;
  readonly keys: SideKeys;
}

function configYaml(side: DaemonSide, suite: Suite, udpEncap: boolean): string {
  const k = side.keys;
  const encryption = suite === 'gcm' ? 'aes-gcm-256' : 'aes-cbc-256';
  const integ =
    suite === 'cbc'
      ? `      integrity: sha256\n      integrity-key-in: "${k.integIn ?? ''}"\n      integrity-key-out: "${k.integOut ?? ''}"\n`
      : '';
  return `node:
  name: ${side.name}
underlay:
  local-address: ${side.local}
loopbacks:
  - ${side.loopback6}/128
tunnels:
  - name: Tunnel1
    peer: ${side.peer}
    address: ${side.inside}/30
    ipv6: true
    mtu: 1400
    tcp-mss: 1360
    manual-sa:
      spi-in: ${k.spiIn}
      spi-out: ${k.spiOut}
      encryption: ${encryption}
      key-in: "${k.keyIn}"
      key-out: "${k.keyOut}"
      udp-encap: ${udpEncap}
${integ}static-routes:
  - { prefix: ${side.remoteLoopback6}/128, via: Tunnel1 }
  - { prefix: ${side.remoteLan}, via: Tunnel1 }
  - { prefix: ${side.remoteLan6}, via: Tunnel1 }
api:
  listen: 127.0.0.1:9180
log:
  level: info
`;
}

export interface EspLabOptions {
  readonly prefix: string;
  readonly suite: Suite;
  /** ESP in UDP 4500 (default) or raw ESP, IP protocol 50 (`udp-encap: false`). */
  readonly udpEncap?: boolean;
}

export class EspLab {
  readonly nat: NatRouter;
  readonly keys: LabKeys;
  readonly nsA: string;
  readonly nsB: string;
  readonly hostA: string;
  readonly hostB: string;
  private readonly dir: string;
  private readonly procs = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string[]>();
  private readonly extraNs: string[] = [];

  private constructor(opts: EspLabOptions, nat: NatRouter) {
    this.nat = nat;
    this.keys = makeKeys(opts.suite);
    this.nsA = this.nat.inside;
    this.nsB = this.nat.outside;
    this.hostA = `${opts.prefix}ha`;
    this.hostB = `${opts.prefix}hb`;
    this.dir = mkdtempSync(join(tmpdir(), `${opts.prefix}-`));
  }

  static async start(opts: EspLabOptions): Promise<EspLab> {
    const lab = new EspLab(opts, NatRouter.create(opts.prefix));
    try {
      lab.setup(opts.suite, opts.udpEncap ?? true);
      await Promise.all([lab.waitReady(lab.nsA), lab.waitReady(lab.nsB)]);
    } catch (err) {
      await lab.close();
      throw err;
    }
    return lab;
  }

  exec(ns: string, args: readonly string[], input?: string): string {
    return sh(['ip', 'netns', 'exec', ns, ...args], input);
  }

  /** Like exec, but a non-zero exit is expected: returns stdout either way. */
  execOutput(ns: string, args: readonly string[]): string {
    try {
      return this.exec(ns, args);
    } catch (err) {
      const out = (err as { stdout?: unknown }).stdout;
      return typeof out === 'string' ? out : '';
    }
  }

  private host(ns: string, router: string, hostAddr: string, gw: string, net6: string): void {
    sh(['ip', 'netns', 'add', ns]);
    this.extraNs.push(ns);
    this.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
    const a = `${ns}0`;
    const b = `${ns}1`;
    sh(['ip', 'link', 'add', a, 'netns', ns, 'type', 'veth', 'peer', 'name', b, 'netns', router]);
    this.exec(ns, ['ip', 'addr', 'add', `${hostAddr}/24`, 'dev', a]);
    this.exec(ns, ['ip', 'link', 'set', a, 'up']);
    this.exec(ns, ['ip', 'route', 'add', 'default', 'via', gw]);
    this.exec(ns, ['ip', '-6', 'addr', 'add', `${net6}2/64`, 'dev', a, 'nodad']);
    this.exec(ns, ['ip', '-6', 'route', 'add', 'default', 'via', `${net6}1`]);
    this.exec(router, ['ip', '-6', 'addr', 'add', `${net6}1/64`, 'dev', b, 'nodad']);
    this.exec(router, ['ip', 'addr', 'add', `${gw}/24`, 'dev', b]);
    this.exec(router, ['ip', 'link', 'set', b, 'up']);
    this.exec(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    this.exec(router, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
  }

  private setup(suite: Suite, udpEncap: boolean): void {
    this.host(this.hostA, this.nsA, '192.168.50.2', '192.168.50.1', 'fd00:50::');
    this.host(this.hostB, this.nsB, '192.168.60.2', '192.168.60.1', 'fd00:60::');
    const k = this.keys;
    const a: DaemonSide = {
      ns: this.nsA,
      name: 'esp-a',
      local: this.nat.addr.insideAddress,
      peer: this.nat.addr.outsideAddress,
      inside: '172.31.0.1',
      loopback6: 'fd00:a::1',
      remoteLoopback6: 'fd00:b::1',
      lan: '192.168.50.0/24',
      remoteLan: '192.168.60.0/24',
      remoteLan6: 'fd00:60::/64',
      keys: {
        spiIn: k.ba.spi,
        spiOut: k.ab.spi,
        keyIn: k.ba.enc,
        keyOut: k.ab.enc,
        ...(k.ba.integ !== undefined ? { integIn: k.ba.integ } : {}),
        ...(k.ab.integ !== undefined ? { integOut: k.ab.integ } : {}),
      },
    };
    const b: DaemonSide = {
      ns: this.nsB,
      name: 'esp-b',
      local: this.nat.addr.outsideAddress,
      peer: this.nat.addr.publicAddress,
      inside: '172.31.0.2',
      loopback6: 'fd00:b::1',
      remoteLoopback6: 'fd00:a::1',
      lan: '192.168.60.0/24',
      remoteLan: '192.168.50.0/24',
      remoteLan6: 'fd00:50::/64',
      keys: {
        spiIn: k.ab.spi,
        spiOut: k.ba.spi,
        keyIn: k.ab.enc,
        keyOut: k.ba.enc,
        ...(k.ab.integ !== undefined ? { integIn: k.ab.integ } : {}),
        ...(k.ba.integ !== undefined ? { integOut: k.ba.integ } : {}),
      },
    };
    for (const side of [a, b]) {
      const file = join(this.dir, `${side.name}.yaml`);
      writeFileSync(file, configYaml(side, suite, udpEncap), { mode: 0o600 });
      this.spawnDaemon(side.ns, file);
    }
  }

  private spawnDaemon(ns: string, configFile: string): void {
    const log: string[] = [];
    this.logs.set(ns, log);
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        CLI,
        'run',
        '--config',
        configFile,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NVAD_RUN_DIR: join(this.dir, `run-${ns}`) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (b: Buffer): void => {
      log.push(b.toString('utf8'));
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    this.procs.set(ns, p);
  }

  /** The daemon's log so far (for assertion messages; must never hold keys). */
  log(ns: string): string {
    return (this.logs.get(ns) ?? []).join('');
  }

  /** `nvad show crypto ipsec sa --json` inside a namespace, through the real CLI. */
  showSa(ns: string): CryptoIpsecSaDto {
    return this.showJson(ns, ['crypto', 'ipsec', 'sa']) as CryptoIpsecSaDto;
  }

  /** `nvad show <words> --json` inside a namespace, through the real CLI. */
  showJson(ns: string, words: readonly string[]): unknown {
    const out = this.exec(ns, [
      process.execPath,
      '--import',
      'tsx',
      CLI,
      'show',
      ...words,
      '--json',
      '--api',
      '127.0.0.1:9180',
    ]);
    return JSON.parse(out) as unknown;
  }

  showText(ns: string, words: readonly string[]): string {
    return this.exec(ns, [
      process.execPath,
      '--import',
      'tsx',
      CLI,
      'show',
      ...words,
      '--api',
      '127.0.0.1:9180',
    ]);
  }

  /** Wait until the daemon's tunnel is up (line protocol) as seen by `show interfaces`. */
  private async waitReady(ns: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const p = this.procs.get(ns);
      if (p?.exitCode !== null && p?.exitCode !== undefined) {
        throw new Error(`daemon in ${ns} exited ${p.exitCode}: ${this.log(ns)}`);
      }
      try {
        const out = this.exec(ns, ['ip', '-o', 'link', 'show', 'Tunnel1']);
        const api = this.exec(ns, ['ss', '-ltn', 'sport = :9180']);
        // Static routes into the tunnel are programmed once the line protocol is up.
        const lan = ns === this.nsA ? '192.168.60.0/24' : '192.168.50.0/24';
        const route = this.exec(ns, ['ip', 'route', 'show', lan]);
        if (out.includes(',UP') && api.includes('9180') && route.includes('Tunnel1')) return;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) throw new Error(`daemon in ${ns} not ready: ${this.log(ns)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM a daemon and wait for its exit code. */
  async stopDaemon(ns: string): Promise<number | null> {
    const p = this.procs.get(ns);
    if (p === undefined) return null;
    this.procs.delete(ns);
    if (p.exitCode !== null) return p.exitCode;
    const done = new Promise<number | null>((r) => {
      p.once('exit', (code) => {
        r(code);
      });
    });
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    const code = await done;
    clearTimeout(timer);
    return code;
  }

  async close(): Promise<void> {
    for (const ns of [...this.procs.keys()]) {
      try {
        await this.stopDaemon(ns);
      } catch {
        // best effort
      }
    }
    for (const ns of this.extraNs) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // gone
      }
    }
    this.nat.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
