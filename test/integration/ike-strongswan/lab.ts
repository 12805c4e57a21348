/**
 * IKE interop lab: the real daemon (`node --import tsx src/cli/main.ts run`) behind a 1:1 NAT
 * (test/support/nat-router.ts) and strongSwan charon (kernel-libipsec, route-based through
 * `ipsec0` with table 220 dead) on the "internet":
 *
 *   nvad  <prefix>i  10.210.1.2 (NAT 203.0.113.2), Tunnel1 172.31.0.1/30
 *   charon <prefix>o 198.51.100.2, lo 172.31.0.2/32, route 172.31.0.1/32 dev ipsec0
 *
 * The topology is built once; each case starts a fresh daemon and charon (`runCase`) and stops
 * them after. Namespaces carry the caller's unique prefix and are deleted by `close()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Charon } from '../../support/strongswan.js';
import { NatRouter, sh } from '../../support/nat-router.js';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
export const PSK = 'interop-test-psk-4711-abcdef';
export const NVAD_INSIDE = '172.31.0.1';
export const SWAN_INSIDE = '172.31.0.2';
const TCP_PORT = 7777;

/** nvad side of a case (YAML fragments of the crypto section). */
export interface NvadCrypto {
  /** Lines of one IKE proposal, e.g. `encryption: [aes-gcm-256]`. */
  readonly ike: readonly string[];
  readonly esp: readonly string[];
  readonly ikeLifetimeSec?: number;
  readonly childLifetimeSec?: number;
}

export interface CaseOptions {
  readonly nvad: NvadCrypto;
  /** charon proposals, e.g. `aes256gcm16-prfsha384-ecp384`. */
  readonly swanIke: string;
  readonly swanEsp: string;
  /** Who initiates: nvad (`initiate: true`) or charon (`swanctl --initiate`). */
  readonly initiator: 'nvad' | 'charon';
  readonly nvadPsk?: string;
  /** nvad's `remote-id` (default the peer address). */
  readonly nvadRemoteId?: string;
  /** nvad's periodic DPD: interval and retry seconds (default: the config's on-demand DPD). */
  readonly nvadDpd?: { readonly intervalSec: number; readonly retries: number };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until<T>(
  what: string,
  fn: () => T | null | undefined | false,
  timeoutMs = 15_000,
  detail: () => string = () => '',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | null | undefined | false;
    try {
      v = fn();
    } catch {
      v = null;
    }
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}\n${detail()}`);
    await sleep(100);
  }
}

function nvadConfig(o: CaseOptions, nat: NatRouter): string {
  const ind = (lines: readonly string[]): string =>
    lines.map((l, i) => `${i === 0 ? '        - ' : '          '}${l}`).join('\n');
  const remoteId = o.nvadRemoteId === undefined ? '' : `    remote-id: ${o.nvadRemoteId}\n`;
  const dpd =
    o.nvadDpd === undefined
      ? ''
      : `    dpd: { interval: ${o.nvadDpd.intervalSec}s, retries: ${o.nvadDpd.retries}, mode: periodic }\n`;
  return `node:
  name: ike-interop
underlay:
  local-address: ${nat.addr.insideAddress}
  public-address: ${nat.addr.publicAddress}
crypto:
  ike-policies:
    p:
      proposals:
${ind(o.nvad.ike)}
      lifetime: ${o.nvad.ikeLifetimeSec ?? 28800}s
  ipsec-policies:
    p:
      proposals:
${ind(o.nvad.esp)}
      lifetime: ${o.nvad.childLifetimeSec ?? 3600}s
tunnels:
  - name: Tunnel1
    peer: ${nat.addr.outsideAddress}
    psk: \${env:NVAD_TEST_PSK}
    ike-policy: p
    ipsec-policy: p
    address: ${NVAD_INSIDE}/30
    mtu: 1400
    initiate: ${o.initiator === 'nvad' ? 'true' : 'false'}
${remoteId}${dpd}api:
  listen: 127.0.0.1:9180
log:
  level: info
`;
}

export class IkeLab {
  readonly nat: NatRouter;
  readonly dir: string;
  private daemon: ChildProcess | null = null;
  private daemonLog: string[] = [];
  charon: Charon | null = null;
  private tcpServer: ChildProcess | null = null;
  private tcpClient: ChildProcess | null = null;
  private tcpOut = '';

  private constructor(nat: NatRouter, dir: string) {
    this.nat = nat;
    this.dir = dir;
  }

  static create(prefix: string): IkeLab {
    const nat = NatRouter.create(prefix);
    const lab = new IkeLab(nat, mkdtempSync(join(tmpdir(), `${prefix}-`)));
    try {
      lab.exec(nat.outside, ['ip', 'addr', 'add', `${SWAN_INSIDE}/32`, 'dev', 'lo']);
    } catch (err) {
      nat.close();
      throw err;
    }
    return lab;
  }

  exec(ns: string, args: readonly string[]): string {
    return sh(['ip', 'netns', 'exec', ns, ...args]);
  }

  get nvadNs(): string {
    return this.nat.inside;
  }

  get swanNs(): string {
    return this.nat.outside;
  }

  log(): string {
    return this.daemonLog.join('');
  }

  /** Start charon and the daemon for one case; waits until the daemon's API listens. */
  async start(o: CaseOptions): Promise<void> {
    this.daemonLog = [];
    this.charon = await Charon.start({
      ns: this.swanNs,
      name: 'peer',
      baseDir: this.dir,
      conns: [
        {
          name: 't',
          localAddrs: this.nat.addr.outsideAddress,
          remoteAddrs: this.nat.addr.publicAddress,
          localId: this.nat.addr.outsideAddress,
          remoteId: this.nat.addr.publicAddress,
          psk: PSK,
          proposals: o.swanIke,
          rekeyTime: 0,
          dpdDelay: 0,
          children: [{ name: 'c', espProposals: o.swanEsp, rekeyTime: 0 }],
        },
      ],
    });
    this.exec(this.swanNs, [
      'ip',
      'route',
      'replace',
      `${NVAD_INSIDE}/32`,
      'dev',
      'ipsec0',
      'src',
      SWAN_INSIDE,
    ]);
    const file = join(this.dir, 'nvad.yaml');
    writeFileSync(file, nvadConfig(o, this.nat), { mode: 0o600 });
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.nvadNs,
        process.execPath,
        '--import',
        'tsx',
        CLI,
        'run',
        '--config',
        file,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NVAD_TEST_PSK: o.nvadPsk ?? PSK,
          NVAD_RUN_DIR: join(this.dir, 'run'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const keep = (b: Buffer): void => {
      this.daemonLog.push(b.toString('utf8'));
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    this.daemon = p;
    await until(
      'daemon running',
      () => {
        if (p.exitCode !== null) throw new Error('exited');
        return this.log().includes('daemon running');
      },
      20_000,
      () => this.log(),
    );
  }

  /** Both sides have an installed child SA and nvad's Tunnel1 is up. */
  async waitUp(timeoutMs = 15_000): Promise<void> {
    await until(
      'tunnel up',
      () => {
        const up = this.exec(this.nvadNs, ['ip', '-o', 'link', 'show', 'Tunnel1']).includes(',UP');
        const sas = this.charon?.listSas() ?? [];
        return up && sas.some((s) => s.state === 'ESTABLISHED' && s.children.length > 0);
      },
      timeoutMs,
      () => `${this.log()}\n--- charon ---\n${this.charon?.log() ?? ''}`,
    );
  }

  /** Daemon log, charon's SAs and log tail: the message of a failed assertion. */
  diag(): string {
    let sas: string;
    try {
      sas = JSON.stringify(this.charon?.listSas() ?? [], null, 1);
    } catch (err) {
      sas = String(err);
    }
    const tail = (this.charon?.log() ?? '').split('\n').slice(-40).join('\n');
    return `--- nvad ---\n${this.log()}\n--- charon SAs ---\n${sas}\n--- charon log ---\n${tail}`;
  }

  daemonAlive(): boolean {
    return this.daemon !== null && this.daemon.exitCode === null && this.daemon.signalCode === null;
  }

  /**
   * Connectivity through the tunnel: `count` echo requests, at most one of them lost (the instant
   * of a rekey on a loaded machine may cost one; a broken data path loses them all).
   */
  ping(count = 3): boolean {
    let out: string;
    try {
      out = this.exec(this.nvadNs, [
        'ping',
        '-c',
        String(count),
        '-i',
        '0.2',
        '-W',
        '2',
        SWAN_INSIDE,
      ]);
    } catch (err) {
      const stdout = (err as { stdout?: unknown }).stdout;
      out = typeof stdout === 'string' ? stdout : '';
    }
    const received = Number(/(\d+) received/.exec(out)?.[1] ?? '0');
    return received >= count - 1;
  }

  /** A TCP echo server at charon's inside address and a client in nvad's namespace. */
  async openTcp(): Promise<void> {
    const server = `require('net').createServer((s)=>s.pipe(s)).listen(${TCP_PORT},'${SWAN_INSIDE}',()=>console.log('listening'))`;
    this.tcpServer = spawn('ip', ['netns', 'exec', this.swanNs, process.execPath, '-e', server], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let serverOut = '';
    this.tcpServer.stdout?.on('data', (b: Buffer) => (serverOut += b.toString()));
    await until('tcp server', () => serverOut.includes('listening'), 5000);
    const client =
      `const s=require('net').connect(${TCP_PORT},'${SWAN_INSIDE}',()=>console.log('connected'));` +
      `process.stdin.pipe(s);s.pipe(process.stdout);s.on('close',()=>{console.log('closed');process.exit(0)});`;
    this.tcpOut = '';
    this.tcpClient = spawn('ip', ['netns', 'exec', this.nvadNs, process.execPath, '-e', client], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.tcpClient.stdout?.on('data', (b: Buffer) => (this.tcpOut += b.toString()));
    await until('tcp connected', () => this.tcpOut.includes('connected'), 10_000);
  }

  /** Send a line over the TCP connection opened by `openTcp` and wait for its echo. */
  async tcpEcho(line: string): Promise<boolean> {
    this.tcpClient?.stdin?.write(`${line}\n`);
    try {
      await until(`echo ${line}`, () => this.tcpOut.includes(`${line}\n`), 10_000);
      return !this.tcpOut.includes('closed');
    } catch {
      return false;
    }
  }

  private killChild(p: ChildProcess | null): Promise<void> {
    if (p === null || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        p.kill('SIGKILL');
      }, 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }

  /** SIGTERM the daemon and wait for it to exit; resolves with its exit code. */
  async stopDaemon(): Promise<number | null> {
    const p = this.daemon;
    await this.killChild(p);
    this.daemon = null;
    return p?.exitCode ?? null;
  }

  /** Stop the daemon (SIGTERM, orderly), charon and the TCP helpers of the current case. */
  async stopCase(): Promise<void> {
    await this.killChild(this.tcpClient);
    await this.killChild(this.tcpServer);
    this.tcpClient = null;
    this.tcpServer = null;
    await this.killChild(this.daemon);
    this.daemon = null;
    if (this.charon !== null) {
      await this.charon.stop();
      this.charon.removeDir();
      this.charon = null;
    }
  }

  /** `nvad show <words> --json` through the real CLI inside nvad's namespace. */
  showJson(words: readonly string[]): unknown {
    const out = this.exec(this.nvadNs, [
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

  /** `nvad clear <words>` through the real CLI inside nvad's namespace (text output). */
  clear(words: readonly string[]): string {
    return this.exec(this.nvadNs, [
      process.execPath,
      '--import',
      'tsx',
      CLI,
      'clear',
      ...words,
      '--api',
      '127.0.0.1:9180',
    ]);
  }

  showText(words: readonly string[]): string {
    return this.exec(this.nvadNs, [
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

  async close(): Promise<void> {
    try {
      await this.stopCase();
    } finally {
      this.nat.close();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
