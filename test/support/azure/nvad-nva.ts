/**
 * nvad as the NVA in a slot of the Azure stand-in: its configuration is rendered FROM the shared
 * contract /work/shared/examples/azure-active-active-bgp.yaml (NVA 0 is that file's nva-10),
 * parsed with `yaml`, substituting only what the lab's addressing forces:
 *
 *  - node name (`nva-10`, `nva-20`, ...), underlay local/public address, the APIPA loopback,
 *    BGP router-id and update-source;
 *  - tunnel peers (one tunnel per gateway instance, the example's tunnels as templates), the PSK
 *    reference (`${env:NVAD_PSK_CONN<id>}`, the value only in nvad's environment), the static
 *    host routes and neighbor addresses of the gateways' APIPA addresses;
 *  - the gateways' AS: the example's gateway uses a custom ASN; the stand-in runs Azure's default
 *    65515 (plan.gatewayAsn), so that `as-override` towards the Route Server is exercised;
 *  - Route Server neighbor addresses and `networks` (the VNet);
 *  - on request: DPD (failover test), IKE/child lifetimes (rekey soak), log level.
 *
 * `startNvadNva()` starts `nvad run` (from source, DaemonProcess) in the slot; state is read
 * through the daemon's JSON API (`/v1/show/...`, what `nvad show ... --json` prints) with curl
 * inside the slot's namespace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DaemonProcess } from '../daemon-process.js';
import type { NvaPlan, StandinPlan } from './plan.js';
import type { AzureStandin, NvaSlot } from './standin.js';

const REPO = resolve(import.meta.dirname, '../../..');

/**
 * The Design 1 contract: the in-repo copy of the shared example (test/unit/config/shared-examples
 * keeps it byte-identical to shared/examples).
 */
export const EXAMPLE_FILE = join(
  REPO,
  'test/fixtures/config/shared-examples/azure-active-active-bgp.yaml',
);

export interface NvadNvaOptions {
  /** Override every tunnel's DPD (e.g. `{ interval: '3s', retries: 3 }`). */
  readonly dpd?: { readonly interval: string; readonly retries: number; readonly mode?: string };
  /** IKE SA lifetime (ike-policies.*.lifetime), e.g. '120s'. */
  readonly ikeLifetime?: string;
  /** Child SA lifetime (ipsec-policies.*.lifetime), e.g. '60s'. */
  readonly childLifetime?: string;
  /** log.level; default the example's. */
  readonly logLevel?: string;
}

export interface RenderedNvaConfig {
  /** The YAML nvad reads (no secret in it). */
  readonly yaml: string;
  /** The parsed document, for assertions. */
  readonly doc: Record<string, unknown>;
  /** Environment nvad needs: the PSK variables the `${env:...}` references name. */
  readonly env: Readonly<Record<string, string>>;
  readonly nodeName: string;
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(`example: ${what} is not a mapping`);
  }
  return v as Obj;
}

function arr(v: unknown, what: string): Obj[] {
  if (!Array.isArray(v)) throw new Error(`example: ${what} is not a list`);
  return v.map((x, i) => obj(x, `${what}[${String(i)}]`));
}

/** The NVA's number in the example's naming: nva-10 (k = 0), nva-20, ... */
export function nvaId(k: number): number {
  return 10 * (k + 1);
}

/** Render NVA `k`'s nvad configuration from the shared example. */
export function renderNvaConfig(
  plan: StandinPlan,
  k: number,
  options: NvadNvaOptions = {},
  exampleText: string = readFileSync(EXAMPLE_FILE, 'utf8'),
): RenderedNvaConfig {
  const nva: NvaPlan | undefined = plan.nvas[k];
  if (nva === undefined) throw new Error(`no NVA ${String(k)} in the plan`);
  const doc = obj(parse(exampleText), 'document');
  const id = nvaId(k);
  const nodeName = `nva-${String(id)}`;
  obj(doc.node, 'node').name = nodeName;
  const underlay = obj(doc.underlay, 'underlay');
  underlay['local-address'] = nva.privateIp;
  underlay['public-address'] = nva.publicIp;
  doc.loopbacks = [`${nva.apipa}/32`];

  // PSKs: one variable per NVA when both tunnels share it (as in the example), else per tunnel.
  const env: Record<string, string> = {};
  const shared = nva.tunnels.every((t) => t.psk === nva.tunnels[0]?.psk);
  const pskVar = (i: number): string =>
    shared ? `NVAD_PSK_CONN${String(id)}` : `NVAD_PSK_CONN${String(id)}_${String(i)}`;

  const templates = arr(doc.tunnels, 'tunnels');
  if (templates.length === 0) throw new Error('example: no tunnels');
  const tunnels = nva.tunnels.map((t) => {
    const tpl = templates[t.instance] ?? templates[templates.length - 1]!;
    const tun: Obj = { ...tpl };
    tun.peer = plan.gateways[t.instance]!.publicIp;
    const v = pskVar(t.instance);
    env[v] = t.psk;
    tun.psk = `\${env:${v}}`;
    if (options.dpd !== undefined) {
      tun.dpd = {
        interval: options.dpd.interval,
        retries: options.dpd.retries,
        ...(options.dpd.mode !== undefined ? { mode: options.dpd.mode } : {}),
      };
    }
    return tun;
  });
  doc.tunnels = tunnels;
  const tunnelName = (i: number): string => String(tunnels[i]!.name);

  doc['static-routes'] = nva.tunnels.map((t) => ({
    prefix: `${t.remoteApipa}/32`,
    via: tunnelName(t.instance),
  }));

  const crypto = obj(doc.crypto, 'crypto');
  if (options.ikeLifetime !== undefined) {
    for (const p of Object.values(obj(crypto['ike-policies'], 'ike-policies'))) {
      obj(p, 'ike policy').lifetime = options.ikeLifetime;
    }
  }
  if (options.childLifetime !== undefined) {
    for (const p of Object.values(obj(crypto['ipsec-policies'], 'ipsec-policies'))) {
      obj(p, 'ipsec policy').lifetime = options.childLifetime;
    }
  }

  const bgp = obj(doc.bgp, 'bgp');
  bgp.asn = plan.nvaAsn;
  bgp['router-id'] = nva.apipa;
  bgp.networks = [...plan.vnetPrefixes];
  const neighbors = arr(bgp.neighbors, 'bgp.neighbors');
  // The example's gateway neighbors are the ones sourced from the loopback; the rest are the
  // Route Server's.
  const gwTpl = neighbors.filter((n) => n['update-source'] !== undefined);
  const rsTpl = neighbors.filter((n) => n['update-source'] === undefined);
  if (gwTpl.length === 0 || rsTpl.length === 0) throw new Error('example: neighbors changed');
  bgp.neighbors = [
    ...nva.tunnels.map((t) => ({
      ...(gwTpl[t.instance] ?? gwTpl[0]!),
      address: t.remoteApipa,
      'remote-as': plan.gatewayAsn,
      'update-source': nva.apipa,
    })),
    ...plan.routeServers.map((ip, j) => ({
      ...(rsTpl[j] ?? rsTpl[0]!),
      address: ip,
      'remote-as': plan.routeServerAsn,
    })),
  ];
  if (options.logLevel !== undefined) obj(doc.log, 'log').level = options.logLevel;
  return { yaml: stringify(doc), doc, env, nodeName };
}

/** nvad running in an NVA slot. */
export class NvadNva {
  readonly slot: NvaSlot;
  readonly config: RenderedNvaConfig;
  readonly daemon: DaemonProcess;
  readonly dir: string;
  readonly apiBase: string;

  constructor(slot: NvaSlot, config: RenderedNvaConfig, daemon: DaemonProcess, dir: string) {
    this.slot = slot;
    this.config = config;
    this.daemon = daemon;
    this.dir = dir;
    const api = obj(config.doc.api, 'api').listen;
    this.apiBase = `http://${typeof api === 'string' ? api : '127.0.0.1:9180'}`;
  }

  get pid(): number {
    return this.daemon.proc.pid ?? 0;
  }

  /** GET an API path (e.g. `/v1/show/ip/bgp/summary`) inside the slot's namespace. */
  api(path: string): unknown {
    const out = execFileSync(
      'ip',
      ['netns', 'exec', this.slot.ns.name, 'curl', '-sS', '--max-time', '10', this.apiBase + path],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 },
    );
    return JSON.parse(out) as unknown;
  }

  /** `nvad show WORDS --json`: the DTO of `/v1/show/<words>`. */
  show(words: string): unknown {
    return this.api(`/v1/show/${words.trim().split(/\s+/).map(encodeURIComponent).join('/')}`);
  }

  /** Prometheus text of `/metrics`. */
  metrics(): string {
    return execFileSync(
      'ip',
      [
        'netns',
        'exec',
        this.slot.ns.name,
        'curl',
        '-sS',
        '--max-time',
        '10',
        `${this.apiBase}/metrics`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 },
    );
  }

  /** Resident set size of the nvad process in kB (VmRSS). */
  rssKb(): number {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${String(this.pid)}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  }

  /** JSON log lines nvad printed so far, parsed (non-JSON lines skipped). */
  logs(): Obj[] {
    const out: Obj[] = [];
    for (const line of this.daemon.out.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Obj);
      } catch {
        // partial line
      }
    }
    return out;
  }

  /** SIGTERM (clean shutdown), then SIGKILL if it does not exit within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.daemon.proc.exitCode === null && this.daemon.proc.signalCode === null) {
      this.daemon.signal('SIGTERM');
      const timer = new Promise<'timeout'>((r) => {
        setTimeout(() => {
          r('timeout');
        }, graceMs);
      });
      if ((await Promise.race([this.daemon.exited, timer])) === 'timeout') await this.daemon.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Start nvad in NVA slot `k` of `standin` (built with `nvaApipaOnLo: false`: nvad adds its
 * loopback). Registered for the stand-in's destroy.
 */
export async function startNvadNva(
  standin: AzureStandin,
  k: number,
  options: NvadNvaOptions = {},
): Promise<NvadNva> {
  const slot = standin.nvas[k];
  if (slot === undefined) throw new Error(`no NVA slot ${String(k)}`);
  const config = renderNvaConfig(standin.plan, k, options);
  const dir = mkdtempSync(join(tmpdir(), `nvad-${config.nodeName}-`));
  const file = join(dir, 'nvad.yaml');
  writeFileSync(file, config.yaml, { mode: 0o600 });
  // The PSKs reach nvad only through its environment (DaemonProcess passes process.env on).
  for (const [name, value] of Object.entries(config.env)) process.env[name] = value;
  let daemon: DaemonProcess;
  try {
    daemon = await DaemonProcess.start(slot.ns.name, file, join(dir, 'run'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const nva = new NvadNva(slot, config, daemon, dir);
  standin.onDestroy(async () => {
    await nva.stop();
  });
  return nva;
}
