/**
 * strongSwan charon (kernel-libipsec: ESP in userspace on a TUN `ipsec0`) inside a network namespace,
 * as a test peer and benchmark reference. See /work/shared/docs/peers-in-netns.md:
 *  - each charon gets a private /run (`unshare -m` + bind mount), so its hard-coded
 *    /run/charon.pid is our own pid file in the run directory;
 *  - `kernel-libipsec` is loaded before `kernel-netlink`;
 *  - with `deadTable220` the routing rule becomes `fwmark 0xdc lookup 220`, which no packet
 *    carries, so routes into `ipsec0` are the caller's (route-based use, several tunnels per namespace);
 *  - swanctl takes the command first, then `--uri`.
 * Processes are only ever signalled by the pid from our own pid file (or our own child), after
 * checking that the pid lives in the expected namespace. Secrets go to 0600 files only.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHARON_BIN = '/usr/lib/ipsec/charon';

const PLUGINS =
  'random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey ' +
  'kernel-libipsec kernel-netlink socket-default vici updown';

export interface SwanChild {
  readonly name: string;
  /** Default 0.0.0.0/0. */
  readonly localTs?: readonly string[];
  readonly remoteTs?: readonly string[];
  /** Default aes256gcm16. */
  readonly espProposals?: string;
  /** Seconds; default 27000 (Azure). */
  readonly rekeyTime?: number;
  readonly lifeTime?: number;
  /** none | trap | start; default none. */
  readonly startAction?: 'none' | 'trap' | 'start';
  /** Default clear. */
  readonly dpdAction?: 'clear' | 'trap' | 'restart';
}

export interface SwanConn {
  readonly name: string;
  readonly localAddrs: string;
  readonly remoteAddrs: string;
  /** IKE identities; default the addresses (behind NAT: pass the public address). */
  readonly localId?: string;
  readonly remoteId?: string;
  /** Pre-shared key (written to a 0600 file only). */
  readonly psk: string;
  /** Default aes256gcm16-prfsha384-ecp384. */
  readonly proposals?: string;
  /** Seconds; default 28800 (Azure); 0 disables. */
  readonly rekeyTime?: number;
  /** Seconds; default 45; 0 disables. */
  readonly dpdDelay?: number;
  /** Force UDP encapsulation (libipsec does it anyway). */
  readonly encap?: boolean;
  readonly children: readonly SwanChild[];
}

export interface CharonOptions {
  /** Existing network namespace. */
  readonly ns: string;
  /** Label used in file names and errors. */
  readonly name: string;
  readonly conns: readonly SwanConn[];
  /** Parent directory for the run directory (default os.tmpdir()). */
  readonly baseDir?: string;
  /** Make table 220 unreachable (fwmark rule); default true. */
  readonly deadTable220?: boolean;
  /** Second filelog `keys.log` with ike/chd level 4 (key material, for tshark). */
  readonly keylog?: boolean;
  /** Milliseconds to wait for the vici socket; default 5000. */
  readonly startTimeoutMs?: number;
  /** `charon.retransmit_*` (default tries 3, timeout 1.0 s, base 1.8): bounds DPD detection. */
  readonly retransmit?: {
    readonly tries: number;
    readonly timeout: number;
    readonly base?: number;
  };
}

export interface ChildSaInfo {
  readonly name: string;
  readonly uniqueId: number;
  readonly state: string;
  readonly protocol: string;
  readonly encap: boolean;
  readonly spiIn: string;
  readonly spiOut: string;
  readonly encrAlg: string;
  readonly encrKeysize: number;
  readonly integAlg: string | null;
  readonly dhGroup: string | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
}

export interface IkeSaInfo {
  readonly name: string;
  readonly uniqueId: number;
  readonly state: string;
  readonly localHost: string;
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localId: string;
  readonly remoteId: string;
  readonly initiator: boolean;
  readonly spiI: string;
  readonly spiR: string;
  readonly natLocal: boolean;
  readonly natRemote: boolean;
  readonly encrAlg: string;
  readonly prfAlg: string;
  readonly dhGroup: string;
  readonly children: readonly ChildSaInfo[];
}

/** A vici message as printed by `swanctl --raw`: sections, lists and string values. */
export type ViciValue = string | readonly string[] | ViciSection;
export interface ViciSection {
  readonly [key: string]: ViciValue;
}

function sh(args: readonly string[], timeoutMs = 10_000): string {
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new Error('empty command');
  return execFileSync(cmd, rest, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Name of the network namespace `pid` lives in, '' for the root one, null if it is gone. */
export function netnsOfPid(pid: number): string | null {
  try {
    return sh(['ip', 'netns', 'identify', String(pid)]).trim();
  } catch {
    return null;
  }
}

/** True while `pid` exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Signal `pid` (TERM, then KILL after `graceMs`) only if it runs in namespace `ns`.
 * Zombies count as dead (they are reaped lazily by init).
 */
export async function killInNetns(pid: number, ns: string, graceMs = 2000): Promise<void> {
  if (!pidAlive(pid)) return;
  if (netnsOfPid(pid) !== ns) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!pidAlive(pid)) return;
    await sleepMs(20);
  }
  if (pidAlive(pid) && netnsOfPid(pid) === ns) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Parse `swanctl --raw` output (`key=value`, `key=[a b]`, `key {...}`) into sections. */
export function parseViciRaw(text: string): ViciSection[] {
  const tokens = text.match(/[^\s{}=[\]]+|[{}=[\]]/g) ?? [];
  let i = 0;
  const section = (): ViciSection => {
    const out: Record<string, ViciValue> = {};
    while (i < tokens.length && tokens[i] !== '}') {
      const key = tokens[i++]!;
      const op = tokens[i++];
      if (op === '{') {
        out[key] = section();
        i++; // '}'
      } else if (op === '=') {
        if (tokens[i] === '[') {
          i++;
          const list: string[] = [];
          while (i < tokens.length && tokens[i] !== ']') list.push(tokens[i++]!);
          i++;
          out[key] = list;
        } else {
          out[key] = tokens[i++] ?? '';
        }
      }
    }
    return out;
  };
  const messages: ViciSection[] = [];
  // Each message: "<event or reply name> {...}", the name may be two words ("list-sa event").
  while (i < tokens.length) {
    while (i < tokens.length && tokens[i] !== '{') i++;
    if (i >= tokens.length) break;
    i++;
    messages.push(section());
    i++;
  }
  return messages;
}

function str(s: ViciSection, k: string): string {
  const v = s[k];
  return typeof v === 'string' ? v : '';
}
function num(s: ViciSection, k: string): number {
  const v = Number(str(s, k));
  return Number.isFinite(v) ? v : 0;
}
function list(s: ViciSection, k: string): string[] {
  const v = s[k];
  return Array.isArray(v) ? [...(v as readonly string[])] : [];
}
function sub(s: ViciSection, k: string): ViciSection {
  const v = s[k];
  return typeof v === 'object' && !Array.isArray(v) ? (v as ViciSection) : {};
}

/** IKE SAs from the `list-sa` events of `swanctl --list-sas --raw`. */
export function parseListSas(text: string): IkeSaInfo[] {
  const out: IkeSaInfo[] = [];
  for (const msg of parseViciRaw(text)) {
    for (const [name, v] of Object.entries(msg)) {
      if (typeof v !== 'object' || Array.isArray(v)) continue;
      const s = v as ViciSection;
      const children: ChildSaInfo[] = [];
      for (const c of Object.values(sub(s, 'child-sas'))) {
        if (typeof c !== 'object' || Array.isArray(c)) continue;
        const cs = c as ViciSection;
        children.push({
          name: str(cs, 'name'),
          uniqueId: num(cs, 'uniqueid'),
          state: str(cs, 'state'),
          protocol: str(cs, 'protocol'),
          encap: str(cs, 'encap') === 'yes',
          spiIn: str(cs, 'spi-in'),
          spiOut: str(cs, 'spi-out'),
          encrAlg: str(cs, 'encr-alg'),
          encrKeysize: num(cs, 'encr-keysize'),
          integAlg: str(cs, 'integ-alg') || null,
          dhGroup: str(cs, 'dh-group') || null,
          bytesIn: num(cs, 'bytes-in'),
          bytesOut: num(cs, 'bytes-out'),
          packetsIn: num(cs, 'packets-in'),
          packetsOut: num(cs, 'packets-out'),
          localTs: list(cs, 'local-ts'),
          remoteTs: list(cs, 'remote-ts'),
        });
      }
      out.push({
        name,
        uniqueId: num(s, 'uniqueid'),
        state: str(s, 'state'),
        localHost: str(s, 'local-host'),
        localPort: num(s, 'local-port'),
        remoteHost: str(s, 'remote-host'),
        remotePort: num(s, 'remote-port'),
        localId: str(s, 'local-id'),
        remoteId: str(s, 'remote-id'),
        initiator: str(s, 'initiator') === 'yes',
        spiI: str(s, 'initiator-spi'),
        spiR: str(s, 'responder-spi'),
        natLocal: str(s, 'nat-local') === 'yes',
        natRemote: str(s, 'nat-remote') === 'yes',
        encrAlg: str(s, 'encr-alg'),
        prfAlg: str(s, 'prf-alg'),
        dhGroup: str(s, 'dh-group'),
        children,
      });
    }
  }
  return out;
}

/** strongswan.conf for one charon in `dir`. */
export function strongswanConf(
  dir: string,
  deadTable220: boolean,
  keylog: boolean,
  retransmit: { readonly tries: number; readonly timeout: number; readonly base?: number } = {
    tries: 3,
    timeout: 1.0,
  },
): string {
  const log = (name: string, file: string, levels: string): string =>
    `    ${name} {\n      path = ${join(dir, file)}\n      time_format = %H:%M:%S\n` +
    `      ike_name = yes\n${levels
      .split(' ')
      .map((l) => `      ${l.replace(':', ' = ')}\n`)
      .join('')}    }\n`;
  const keys = keylog ? log('keys', 'keys.log', 'default:1 ike:4 chd:4') : '';
  return `charon {
  load_modular = no
  load = ${PLUGINS}
  install_virtual_ip = no
  retransmit_tries = ${String(retransmit.tries)}
  retransmit_timeout = ${String(retransmit.timeout)}
${retransmit.base !== undefined ? `  retransmit_base = ${String(retransmit.base)}\n` : ''}  plugins {
    vici {
      socket = unix://${join(dir, 'charon.vici')}
    }
    kernel-netlink {
${deadTable220 ? '      fwmark = 0x0dc\n' : ''}    }
  }
  filelog {
${log('main', 'charon.log', 'default:1 ike:2 knl:2')}${keys}  }
  syslog {
    daemon {
      default = -1
    }
  }
}
`;
}

function quote(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s) || s.includes('"') || s.includes('\\')) {
    throw new Error('PSK must be printable ASCII without quotes or backslashes');
  }
  return `"${s}"`;
}

/** swanctl.conf for `conns` (connections + PSK secrets). */
export function swanctlConf(conns: readonly SwanConn[]): string {
  const lines: string[] = ['connections {'];
  for (const c of conns) {
    const localId = c.localId ?? c.localAddrs;
    const remoteId = c.remoteId ?? c.remoteAddrs;
    lines.push(
      `  ${c.name} {`,
      '    version = 2',
      `    local_addrs = ${c.localAddrs}`,
      `    remote_addrs = ${c.remoteAddrs}`,
      `    proposals = ${c.proposals ?? 'aes256gcm16-prfsha384-ecp384'}`,
      '    mobike = no',
      `    encap = ${c.encap === true ? 'yes' : 'no'}`,
      `    dpd_delay = ${c.dpdDelay ?? 45}s`,
      `    rekey_time = ${c.rekeyTime ?? 28800}s`,
      '    local {',
      '      auth = psk',
      `      id = ${localId}`,
      '    }',
      '    remote {',
      '      auth = psk',
      `      id = ${remoteId}`,
      '    }',
      '    children {',
    );
    for (const ch of c.children) {
      lines.push(
        `      ${ch.name} {`,
        `        local_ts = ${(ch.localTs ?? ['0.0.0.0/0']).join(',')}`,
        `        remote_ts = ${(ch.remoteTs ?? ['0.0.0.0/0']).join(',')}`,
        `        esp_proposals = ${ch.espProposals ?? 'aes256gcm16'}`,
        `        rekey_time = ${ch.rekeyTime ?? 27000}s`,
        ...(ch.lifeTime !== undefined ? [`        life_time = ${ch.lifeTime}s`] : []),
        `        start_action = ${ch.startAction ?? 'none'}`,
        `        dpd_action = ${ch.dpdAction ?? 'clear'}`,
        '      }',
      );
    }
    lines.push('    }', '  }');
  }
  lines.push('}', 'secrets {');
  for (const c of conns) {
    lines.push(
      `  ike-${c.name} {`,
      `    id-1 = ${c.localId ?? c.localAddrs}`,
      `    id-2 = ${c.remoteId ?? c.remoteAddrs}`,
      `    secret = ${quote(c.psk)}`,
      '  }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

export class Charon {
  readonly ns: string;
  readonly name: string;
  /** Run directory: configs, vici socket, logs, private /run. */
  readonly dir: string;
  readonly uri: string;
  private readonly conns: readonly SwanConn[];
  private child: ChildProcess | null = null;
  private stopped = false;

  private constructor(options: CharonOptions, dir: string) {
    this.ns = options.ns;
    this.name = options.name;
    this.dir = dir;
    this.uri = `unix://${join(dir, 'charon.vici')}`;
    this.conns = options.conns;
  }

  /** Write the configs, start charon in `ns`, wait for vici and load the connections. */
  static async start(options: CharonOptions): Promise<Charon> {
    const base = options.baseDir ?? tmpdir();
    mkdirSync(base, { recursive: true });
    const dir = mkdtempSync(join(base, `swan-${options.name}-`));
    const charon = new Charon(options, dir);
    try {
      await charon.launch(options);
      charon.load();
    } catch (err) {
      await charon.stop();
      const log = charon.log().split('\n').slice(-15).join('\n');
      throw new Error(`charon ${options.name} in ${options.ns}: ${String(err)}\n${log}`, {
        cause: err,
      });
    }
    return charon;
  }

  private async launch(options: CharonOptions): Promise<void> {
    const varrun = join(this.dir, 'varrun');
    mkdirSync(varrun, { recursive: true });
    writeFileSync(
      join(this.dir, 'strongswan.conf'),
      strongswanConf(
        this.dir,
        options.deadTable220 ?? true,
        options.keylog ?? false,
        options.retransmit,
      ),
    );
    const swanctl = join(this.dir, 'swanctl.conf');
    writeFileSync(swanctl, swanctlConf(this.conns), { mode: 0o600 });
    chmodSync(swanctl, 0o600);
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        'unshare',
        '-m',
        'sh',
        '-c',
        `mount --bind "$1" /run && exec ${CHARON_BIN}`,
        'sh',
        varrun,
      ],
      {
        env: { ...process.env, STRONGSWAN_CONF: join(this.dir, 'strongswan.conf') },
        stdio: 'ignore',
        detached: true,
      },
    );
    child.unref();
    this.child = child;
    const state: { exited: string | null } = { exited: null };
    child.once('exit', (code, sig) => {
      state.exited = `exited ${code ?? sig ?? '?'}`;
    });
    const sock = join(this.dir, 'charon.vici');
    const end = Date.now() + (options.startTimeoutMs ?? 5000);
    for (;;) {
      if (state.exited !== null) throw new Error(`charon ${state.exited}`);
      if (existsSync(sock)) {
        try {
          this.swanctl(['--stats'], 2000);
          return;
        } catch {
          // not answering yet
        }
      }
      if (Date.now() > end) throw new Error('timeout waiting for the vici socket');
      await sleepMs(25);
    }
  }

  /** Run `swanctl <command> --uri <ours> ...rest` (command first), return stdout. */
  swanctl(args: readonly string[], timeoutMs = 10_000): string {
    const [command, ...rest] = args;
    if (command === undefined) throw new Error('empty swanctl command');
    return sh(['swanctl', command, '--uri', this.uri, ...rest], timeoutMs);
  }

  /** (Re)load connections and secrets from our swanctl.conf. */
  load(): void {
    this.swanctl(['--load-all', '--noprompt', '--file', join(this.dir, 'swanctl.conf')]);
  }

  /** Initiate a CHILD_SA (and its IKE_SA); waits for the result up to `timeoutSec`. */
  initiate(child: string, ike?: string, timeoutSec = 10): string {
    const args = ['--initiate', '--child', child, '--timeout', String(timeoutSec)];
    if (ike !== undefined) args.push('--ike', ike);
    return this.swanctl(args, (timeoutSec + 5) * 1000);
  }

  /** Current SAs, parsed. */
  listSas(): IkeSaInfo[] {
    return parseListSas(this.swanctl(['--list-sas', '--raw']));
  }

  /** Rekey a CHILD_SA by name (all of that name) or by unique id. */
  rekeyChild(child: string | number): string {
    const sel = typeof child === 'number' ? ['--child-id', String(child)] : ['--child', child];
    return this.swanctl(['--rekey', ...sel]);
  }

  /** Rekey an IKE_SA by name or unique id (`reauth` for a reauthentication). */
  rekeyIke(ike: string | number, reauth = false): string {
    const sel = typeof ike === 'number' ? ['--ike-id', String(ike)] : ['--ike', ike];
    return this.swanctl(['--rekey', ...sel, ...(reauth ? ['--reauth'] : [])]);
  }

  /** Terminate an IKE_SA (with its children) by name or unique id. */
  terminateIke(ike: string | number, timeoutSec = 5): string {
    const sel = typeof ike === 'number' ? ['--ike-id', String(ike)] : ['--ike', ike];
    return this.swanctl(['--terminate', ...sel, '--timeout', String(timeoutSec)]);
  }

  /** Terminate a CHILD_SA by name or unique id. */
  terminateChild(child: string | number, timeoutSec = 5): string {
    const sel = typeof child === 'number' ? ['--child-id', String(child)] : ['--child', child];
    return this.swanctl(['--terminate', ...sel, '--timeout', String(timeoutSec)]);
  }

  /** Poll until `pred(listSas())` holds; throws after `timeoutMs`. */
  async waitFor(pred: (sas: IkeSaInfo[]) => boolean, timeoutMs = 10_000): Promise<IkeSaInfo[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const sas = this.listSas();
      if (pred(sas)) return sas;
      if (Date.now() > end) {
        throw new Error(`charon ${this.name}: condition not met in ${timeoutMs} ms`);
      }
      await sleepMs(50);
    }
  }

  /** The charon log (default levels). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'charon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The key log (only with `keylog`): contains key material, never print it in CI logs. */
  keyLog(): string {
    try {
      return readFileSync(join(this.dir, 'keys.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Pid from our own pid file (private /run), null before charon wrote it. */
  pid(): number | null {
    try {
      const n = Number(readFileSync(join(this.dir, 'varrun', 'charon.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 1 ? n : null;
    } catch {
      return null;
    }
  }

  /** Stop charon (pid file, namespace-checked; then our own child) and keep the run dir for logs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const pid = this.pid();
    if (pid !== null) await killInNetns(pid, this.ns);
    const cpid = this.child?.pid;
    if (cpid !== undefined && cpid !== pid) await killInNetns(cpid, this.ns);
  }

  /** Remove the run directory (after stop). */
  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
