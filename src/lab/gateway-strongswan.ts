/**
 * The Azure gateway instances as strongSwan (charon with kernel-libipsec, driven by swanctl) plus
 * FRR (zebra + bgpd, AS 65515, passive neighbors on the instance's APIPA address), following
 * /work/shared/docs/peers-in-netns.md:
 *  - each charon runs in a private mount namespace whose /run is its own directory (charon's pid
 *    file is hard-coded), and its working directory is bind-mounted on /mnt so the paths in
 *    strongswan.conf resolve wherever the lab's state directory is;
 *  - `kernel-netlink { fwmark }` makes table 220 dead; routes into `ipsec0` are ours;
 *  - libipsec picks the outbound SA by (src, dst) only, first match wins, so each NVA's child is
 *    narrowed to that NVA's APIPA /32 plus the NVA VNet: BGP to either NVA uses its own SA, data to
 *    the VNet the first NVA's (the NVAs accept the narrowed TSi, RFC 7296 §2.9);
 *  - FRR (./frr.ts) runs with explicit config, pid and socket paths in a directory owned by `frr`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { waitUntil } from './daemon.js';
import { mustRun, runCommand, type CommandResult } from './exec.js';
import { readPidFile, startFrr } from './frr.js';
import {
  AZURE_PREFIX,
  GATEWAY_ASN,
  NVA_ASN,
  NVA_VNET_PREFIX,
  type GatewayInstancePlan,
  type LabPlan,
} from './plan.js';
import type { ProcessRecord } from './state.js';

export const CHARON_BIN = '/usr/lib/ipsec/charon';

/** Where charon's files are seen from inside its private mount namespace. */
const MNT = '/mnt';

const PLUGINS =
  'random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey ' +
  'kernel-libipsec kernel-netlink socket-default vici updown';

export function strongswanConf(): string {
  return `# Written by "nvad lab up" (paths as seen by charon: its directory is mounted on ${MNT})
charon {
  load_modular = no
  load = ${PLUGINS}
  install_virtual_ip = no
  retransmit_tries = 3
  retransmit_timeout = 1.0
  plugins {
    vici {
      socket = unix://${MNT}/charon.vici
    }
    kernel-netlink {
      fwmark = 0x0dc
    }
  }
  filelog {
    main {
      path = ${MNT}/charon.log
      time_format = %H:%M:%S
      ike_name = yes
      default = 1
      ike = 2
      knl = 1
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
`;
}

function quotePsk(s: string): string {
  if (!/^[\x21-\x7e]+$/.test(s) || s.includes('"') || s.includes('\\')) {
    throw new Error('lab PSK must be printable ASCII without quotes or backslashes');
  }
  return `"${s}"`;
}

/** swanctl.conf of gateway instance `g`: one responder connection per NVA, with its secret. */
export function swanctlConf(
  plan: LabPlan,
  g: GatewayInstancePlan,
  psks: ReadonlyMap<string, string>,
): string {
  const lines = ['# Written by "nvad lab up"; holds secrets (mode 0600)', 'connections {'];
  const secrets = ['secrets {'];
  for (const n of plan.nvas) {
    const psk = psks.get(n.pskFile);
    if (psk === undefined) throw new Error(`no PSK for ${n.name}`);
    lines.push(
      `  ${n.node} {`,
      '    version = 2',
      `    local_addrs = ${g.publicIp}`,
      `    remote_addrs = ${n.publicIp}`,
      '    proposals = aes256gcm16-prfsha384-ecp384',
      '    mobike = no',
      '    dpd_delay = 45s',
      '    rekey_time = 28800s',
      '    local {',
      '      auth = psk',
      `      id = ${g.publicIp}`,
      '    }',
      '    remote {',
      '      auth = psk',
      `      id = ${n.publicIp}`,
      '    }',
      '    children {',
      `      s2s-${n.node} {`,
      '        local_ts = 0.0.0.0/0',
      `        remote_ts = ${n.apipa}/32,${NVA_VNET_PREFIX}`,
      '        esp_proposals = aes256gcm16-ecp384',
      '        rekey_time = 27000s',
      '        start_action = none',
      '        dpd_action = clear',
      '      }',
      '    }',
      '  }',
    );
    secrets.push(
      `  ike-${n.node} {`,
      `    id-1 = ${g.publicIp}`,
      `    id-2 = ${n.publicIp}`,
      `    secret = ${quotePsk(psk)}`,
      '  }',
    );
  }
  return [...lines, '}', ...secrets, '}', ''].join('\n');
}

/** FRR bgpd.conf of gateway instance `g`. */
export function bgpdConf(plan: LabPlan, g: GatewayInstancePlan): string {
  const lines = [
    'frr defaults traditional',
    `hostname azgw-in${g.index}`,
    `router bgp ${GATEWAY_ASN}`,
    ` bgp router-id ${g.apipa}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
  ];
  for (const n of plan.nvas) {
    lines.push(
      ` neighbor ${n.apipa} remote-as ${NVA_ASN}`,
      ` neighbor ${n.apipa} passive`,
      ` neighbor ${n.apipa} ebgp-multihop 5`,
      ` neighbor ${n.apipa} update-source ${g.apipa}`,
      ` neighbor ${n.apipa} timers 60 180`,
    );
  }
  lines.push(' address-family ipv4 unicast', `  network ${AZURE_PREFIX}`, '  maximum-paths 2');
  lines.push(' exit-address-family', '');
  return lines.join('\n');
}

export interface GatewayPaths {
  readonly dir: string;
  readonly vici: string;
  readonly swanctlConf: string;
  readonly charonLog: string;
  readonly charonPid: string;
  readonly frrDir: string;
}

export function gatewayPaths(labDir: string, g: GatewayInstancePlan): GatewayPaths {
  const dir = join(labDir, g.node);
  return {
    dir,
    vici: join(dir, 'charon.vici'),
    swanctlConf: join(dir, 'swanctl.conf'),
    charonLog: join(dir, 'charon.log'),
    charonPid: join(dir, 'run', 'charon.pid'),
    frrDir: join(dir, 'frr'),
  };
}

/** Write the configs and start charon in the namespace (detached). */
export function startCharon(
  netns: string,
  paths: GatewayPaths,
  plan: LabPlan,
  g: GatewayInstancePlan,
  psks: ReadonlyMap<string, string>,
): void {
  // 0711: FRR (running as frr) reaches its own subdirectory; the files here are 0600
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  chmodSync(paths.dir, 0o711);
  mkdirSync(join(paths.dir, 'run'), { recursive: true, mode: 0o700 });
  writeFileSync(join(paths.dir, 'strongswan.conf'), strongswanConf(), { mode: 0o600 });
  writeFileSync(paths.swanctlConf, swanctlConf(plan, g, psks), { mode: 0o600 });
  const out = openSync(join(paths.dir, 'charon.out'), 'a', 0o600);
  try {
    const script = `mount --bind "$1" ${MNT} && mount --bind "$1/run" /run && exec ${CHARON_BIN}`;
    const child = spawn(
      'ip',
      ['netns', 'exec', netns, 'unshare', '-m', 'sh', '-c', script, 'sh', paths.dir],
      {
        env: { ...process.env, STRONGSWAN_CONF: `${MNT}/strongswan.conf` },
        stdio: ['ignore', out, out],
        detached: true,
      },
    );
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(out);
  }
}

/** `swanctl <command> --uri <gateway's vici> …` (command first, as swanctl wants). */
export function swanctl(paths: GatewayPaths, args: readonly string[]): Promise<CommandResult> {
  const [command, ...rest] = args;
  return runCommand('swanctl', [command ?? '--stats', '--uri', `unix://${paths.vici}`, ...rest], {
    timeoutMs: 10_000,
  });
}

/** Load connections and secrets once charon answers. */
export async function loadSwanctl(paths: GatewayPaths): Promise<void> {
  const r = await swanctl(paths, ['--load-all', '--noprompt', '--file', paths.swanctlConf]);
  if (r.code !== 0) throw new Error(`swanctl --load-all: ${(r.stderr || r.stdout).trim()}`);
}

/** The APIPA BGP address on lo, ipsec0 up and host routes to the NVAs' APIPA addresses through it. */
export async function routeIntoIpsec0(
  netns: string,
  plan: LabPlan,
  g: GatewayInstancePlan,
): Promise<void> {
  await mustRun('ip', ['-n', netns, 'addr', 'replace', `${g.apipa}/32`, 'dev', 'lo']);
  await mustRun('ip', ['-n', netns, 'link', 'set', 'ipsec0', 'up']);
  for (const n of plan.nvas) {
    await mustRun('ip', [
      '-n',
      netns,
      'route',
      'replace',
      `${n.apipa}/32`,
      'dev',
      'ipsec0',
      'src',
      g.apipa,
    ]);
  }
}

export function charonLogTail(paths: GatewayPaths, n: number): string {
  try {
    return readFileSync(paths.charonLog, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Start gateway instance `g` in `netns`: charon (waits for vici, loads the connections, routes
 * into ipsec0), then FRR. Returns the processes started, for the lab's state.
 */
export async function startStrongswanInstance(
  clock: Clock,
  netns: string,
  labDir: string,
  plan: LabPlan,
  g: GatewayInstancePlan,
  psks: ReadonlyMap<string, string>,
): Promise<ProcessRecord[]> {
  const paths = gatewayPaths(labDir, g);
  startCharon(netns, paths, plan, g, psks);
  const vici = await waitUntil(
    clock,
    15_000,
    100,
    async () => (await swanctl(paths, ['--stats'])).code === 0,
  );
  if (vici !== 'ok') {
    throw new Error(
      `charon in ${netns} did not answer on ${paths.vici}; its log:\n${charonLogTail(paths, 15)}`,
    );
  }
  const procs: ProcessRecord[] = [];
  const charonPid = readPidFile(paths.charonPid);
  if (charonPid !== undefined) procs.push({ node: g.node, netns, name: 'charon', pid: charonPid });
  await loadSwanctl(paths);
  const tun = await waitUntil(
    clock,
    5_000,
    50,
    async () => (await runCommand('ip', ['-n', netns, 'link', 'show', 'ipsec0'])).code === 0,
  );
  if (tun !== 'ok') throw new Error(`charon in ${netns} created no ipsec0 device`);
  await routeIntoIpsec0(netns, plan, g);
  procs.push(...(await startFrr(clock, netns, g.node, paths.frrDir, bgpdConf(plan, g))));
  return procs;
}
