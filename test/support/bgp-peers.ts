/**
 * Real BGP daemons (FRR 8.4, BIRD 2.0, GoBGP 3.x from Debian) as interop peers inside a test
 * namespace, following /work/shared/docs/peers-in-netns.md: explicit config/pid/socket paths in a
 * private directory, FRR's run directory owned by `frr`, `no bgp ebgp-requires-policy`.
 */
import { execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNetns } from './netns.js';

export interface Peer {
  readonly dir: string;
  stop(): void;
}

function workDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `nvbgp-${tag}-`));
}

function killPidFile(path: string): void {
  if (!existsSync(path)) return;
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 1) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

export function haveFrr(): boolean {
  return existsSync('/usr/lib/frr/bgpd') && existsSync('/usr/bin/vtysh');
}
export function haveBird(): boolean {
  return existsSync('/usr/sbin/bird') && existsSync('/usr/sbin/birdc');
}
export function haveGobgp(): boolean {
  return existsSync('/usr/bin/gobgpd') && existsSync('/usr/bin/gobgp');
}

export interface FrrPeer extends Peer {
  vtysh(cmd: string): string;
  showIpBgpJson(afi?: 'ipv4' | 'ipv6'): { routes?: Record<string, unknown[]> };
}

/** zebra + bgpd in `ns` with the given bgpd.conf body. */
export function startFrr(ns: TestNetns, bgpdConf: string): FrrPeer {
  const dir = workDir('frr');
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const zconf = join(dir, 'zebra.conf');
  const bconf = join(dir, 'bgpd.conf');
  writeFileSync(zconf, 'hostname zebra\n');
  writeFileSync(bconf, bgpdConf);
  for (const f of [zconf, bconf]) chownSync(f, uid, gid);
  const zsock = join(dir, 'zserv.api');
  const common = [
    '-d',
    '--vty_socket',
    dir,
    '-A',
    '127.0.0.1',
    '-P',
    '0',
    '-u',
    'frr',
    '-g',
    'frr',
  ];
  ns.exec('/usr/lib/frr/zebra', [
    '-f',
    zconf,
    '-i',
    join(dir, 'zebra.pid'),
    '-z',
    zsock,
    ...common,
  ]);
  ns.exec('/usr/lib/frr/bgpd', ['-f', bconf, '-i', join(dir, 'bgpd.pid'), '-z', zsock, ...common]);
  const vtysh = (cmd: string): string => ns.exec('vtysh', ['--vty_socket', dir, '-c', cmd]);
  return {
    dir,
    vtysh,
    showIpBgpJson: (afi = 'ipv4') =>
      JSON.parse(vtysh(`show bgp ${afi} unicast json`)) as { routes?: Record<string, unknown[]> },
    stop: () => {
      killPidFile(join(dir, 'bgpd.pid'));
      killPidFile(join(dir, 'zebra.pid'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface BirdPeer extends Peer {
  birdc(cmd: string): string;
}

export function startBird(ns: TestNetns, conf: string): BirdPeer {
  const dir = workDir('bird');
  const cfg = join(dir, 'bird.conf');
  const ctl = join(dir, 'bird.ctl');
  const pid = join(dir, 'bird.pid');
  writeFileSync(cfg, conf);
  ns.exec('/usr/sbin/bird', ['-c', cfg, '-s', ctl, '-P', pid]);
  return {
    dir,
    birdc: (cmd) => ns.exec('/usr/sbin/birdc', ['-s', ctl, ...cmd.split(' ')]),
    stop: () => {
      killPidFile(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface GobgpPeer extends Peer {
  gobgp(args: readonly string[]): string;
  log(): string;
}

export function startGobgp(ns: TestNetns, toml: string): GobgpPeer {
  const dir = workDir('gobgp');
  const cfg = join(dir, 'gobgpd.toml');
  writeFileSync(cfg, toml);
  const child = ns.spawn('/usr/bin/gobgpd', [
    '-f',
    cfg,
    '-t',
    'toml',
    '--api-hosts',
    '127.0.0.1:50051',
  ]);
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  return {
    dir,
    gobgp: (args) => ns.exec('/usr/bin/gobgp', ['-u', '127.0.0.1', '-p', '50051', ...args]),
    log: () => log,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Make a fresh directory (for agent logs etc.) that the caller removes. */
export function scratchDir(tag: string): string {
  const d = workDir(tag);
  mkdirSync(d, { recursive: true });
  return d;
}
