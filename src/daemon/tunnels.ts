/**
 * The tunnels component: for each configured tunnel a TUN interface (name, MTU, inside address)
 * attached to the native data path (MSS clamp, ICMP too-big), whose administrative state follows
 * the data plane like a Catalyst VTI's line protocol: up only while an outbound child SA is
 * installed. Manual SAs (`manual-sa`) are installed at start, ESP-in-UDP to peer:remote-port or raw
 * ESP (`udp-encap: false`). Static routes go to the routing module when one is given (it also
 * learns every line protocol change); without one they become device routes (proto static) to
 * the first listed tunnel that is up.
 *
 * The data path is created on first use and shared: `installer()` hands it (behind the SA ledger,
 * which remembers what is installed for `show crypto ipsec sa`) to IKE as ChildSaInstaller and
 * IkeTransport. Stop removes every TUN, address and route this component created.
 */
import type { Config, StaticRoute, TunnelConfig } from '../config/index.js';
import { DROP_CODE_COUNT, dropReasonName, manualSaPair } from '../esp/index.js';
import { NativeDatapath } from '../esp/native-datapath.js';
import type { DatapathTunnelOptions, TunHandle } from '../esp/native-datapath.js';
import type { ChildSaInstaller, Endpoint, EspPath, IkeTransport } from '../ike/ports.js';
import { RouteProtocol, type KernelPort } from '../kernel/port.js';
import type { Clock } from '../lib/clock.js';
import { parseInterfaceAddress, parseIp, parsePrefix } from '../lib/ip/index.js';
import type { Logger } from '../lib/log.js';
import {
  TUNNELS_SA_VIEW,
  type IpsecSaInfo,
  type IpsecTunnelInfo,
  type TunnelSaQuery,
} from '../mgmt/show/commands/crypto-ipsec-sa.js';
import type { ComponentStatus, ViewRegistry } from '../mgmt/show/context.js';
import { registerTunnelMetrics } from '../mgmt/api/metrics.js';
import type { Registry } from 'prom-client';
import { SaLedger, type LedgerSa } from '../tunnel/tunnels.js';
import { TunnelInterface, openTunDevice, type TunOpener } from '../tunnel/tunnel-interface.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';

/** What the component needs of the data path (NativeDatapath matches structurally). */
export interface TunnelDatapath extends ChildSaInstaller, IkeTransport {
  addSocket(local: Endpoint, mode?: 'natt' | 'ike'): Endpoint;
  addRawEspSocket(address: string): void;
  addTunnel(name: string, tun: TunHandle, options?: DatapathTunnelOptions): void;
  removeTunnel(name: string): void;
  drops(tunnel: string, spi: number, direction: 'in' | 'out', code: number): bigint;
  globalDrops(code: number): bigint;
  close(): void;
}

/** Per-tunnel counters for /metrics (see registerTunnelMetrics in mgmt/api/metrics.ts). */
export interface TunnelCounterSample {
  readonly tunnel: string;
  readonly up: boolean;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly drops: Readonly<Record<string, number>>;
}

/**
 * The routing module as the tunnels component drives it (src/routing `Routing` matches): static
 * routes (ECMP over tunnels, routing contexts) and tunnel line protocol in, kernel routes out.
 */
export interface TunnelRouting {
  applyStatic(config: Config): void;
  setTunnelState(name: string, up: boolean): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  settled(): Promise<void>;
}

export interface TunnelsOptions {
  readonly kernel: KernelPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly createDatapath?: (clock: Clock) => TunnelDatapath;
  readonly openTun?: TunOpener;
  /**
   * Where `static-routes` go: the routing module (nexthop objects, ECMP, contexts), or, without
   * one, simple device routes (proto static) to the first listed tunnel that is up.
   */
  readonly routing?: TunnelRouting;
  /** Told about every line protocol change (e.g. the routing module's setTunnelState). */
  readonly onTunnelState?: (name: string, up: boolean) => void;
}

interface TunnelState {
  readonly cfg: TunnelConfig;
  readonly iface: TunnelInterface;
  readonly local: string;
}

interface InstalledRoute {
  readonly table: number;
  readonly prefix: string;
  readonly dev: string;
}

const MAIN_TABLE = 254;
const NATT_PORT = 4500;

function wildcardFor(peer: string): string {
  return parseIp(peer)?.family === 6 ? '::' : '0.0.0.0';
}

function addrBytes(cidr: string | undefined, family: 4 | 6): Buffer | undefined {
  if (cidr === undefined) return undefined;
  const a = parseInterfaceAddress(cidr);
  return a?.addr.family === family ? Buffer.from(a.addr.bytes) : undefined;
}

export class TunnelsComponent implements Component {
  readonly name = 'tunnels';
  private readonly kernel: KernelPort;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly createDatapath: (clock: Clock) => TunnelDatapath;
  private readonly openTun: TunOpener;
  private readonly routing: TunnelRouting | null;
  private readonly onTunnelState: ((name: string, up: boolean) => void) | null;
  private dp: TunnelDatapath | null = null;
  private ledgerValue: SaLedger | null = null;
  private readonly sockets = new Set<string>();
  private readonly tunnelsByName = new Map<string, TunnelState>();
  private config: Config | null = null;
  private readonly routes = new Map<string, InstalledRoute>();
  /** Tunnels whose data path could not be set up (socket bind, SA install), with the reason. */
  private readonly tunnelErrors = new Map<string, string>();
  private routeQueue: Promise<void> = Promise.resolve();
  private state: ComponentStatus['state'] = 'stopped';
  private lastError = '';

  constructor(opts: TunnelsOptions) {
    this.kernel = opts.kernel;
    this.log = opts.logger.child({ mod: 'tunnels' });
    this.clock = opts.clock;
    this.createDatapath = opts.createDatapath ?? ((clock) => new NativeDatapath(clock));
    this.openTun = opts.openTun ?? openTunDevice;
    this.routing = opts.routing ?? null;
    this.onTunnelState = opts.onTunnelState ?? null;
  }

  /** The data path, created on first use. */
  private datapath(): TunnelDatapath {
    this.dp ??= this.createDatapath(this.clock);
    return this.dp;
  }

  private ledger(): SaLedger {
    this.ledgerValue ??= new SaLedger(this.datapath(), this.clock);
    return this.ledgerValue;
  }

  /** For IKE: install child SAs (through the SA ledger) and send/receive IKE datagrams. */
  installer(): ChildSaInstaller & IkeTransport & Pick<TunnelDatapath, 'addSocket'> {
    const ledger = this.ledger();
    const dp = this.datapath();
    return {
      addInbound: (t, sa, p) => {
        ledger.addInbound(t, sa, p);
      },
      setOutbound: (t, sa, p) => {
        ledger.setOutbound(t, sa, p);
      },
      delete: (t, spi, d) => {
        ledger.delete(t, spi, d);
      },
      updatePath: (t, p) => {
        ledger.updatePath(t, p);
      },
      counters: (t, spi, d) => ledger.counters(t, spi, d),
      onEvent: (l) => {
        ledger.onEvent(l);
      },
      send: (data, from, to) => {
        dp.send(data, from, to);
      },
      sendKeepalive: (from, to) => {
        dp.sendKeepalive(from, to);
      },
      onReceive: (l) => {
        dp.onReceive(l);
      },
      addSocket: (local, mode) => this.ensureSocket(local.address, mode ?? 'natt', local.port),
    };
  }

  async start(config: Config): Promise<void> {
    this.state = 'starting';
    this.config = config;
    try {
      if (this.routing !== null) {
        this.routing.applyStatic(config);
        await this.routing.start();
      }
      for (const t of config.tunnels) await this.addTunnel(t, config);
      await this.reconcileRoutes();
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      await this.teardown();
      throw err;
    }
  }

  async apply(diff: ConfigDiff, next: Config): Promise<void> {
    this.config = next;
    const byName = new Map(next.tunnels.map((t) => [t.name, t]));
    for (const name of [...diff.tunnels.removed, ...diff.tunnels.changed]) {
      await this.removeTunnel(name);
    }
    for (const name of [...diff.tunnels.changed, ...diff.tunnels.added]) {
      const t = byName.get(name);
      if (t !== undefined) await this.addTunnel(t, next);
    }
    this.routing?.applyStatic(next);
    await this.reconcileRoutes();
  }

  async stop(): Promise<void> {
    await this.teardown();
    this.state = 'stopped';
  }

  status(): ComponentStatus {
    const n = this.tunnelsByName.size;
    const up = [...this.tunnelsByName.values()].filter((t) => t.iface.up).length;
    if (this.state === 'failed')
      return { name: this.name, state: 'failed', detail: this.lastError };
    let detail = `${n} tunnel${n === 1 ? '' : 's'}, ${up} up`;
    const errors = [...this.tunnelErrors];
    if (errors.length > 0) detail += `; ${errors.map(([t, e]) => `${t}: ${e}`).join('; ')}`;
    const state = this.state === 'running' && errors.length > 0 ? 'degraded' : this.state;
    return { name: this.name, state, detail };
  }

  interfaces(): readonly string[] {
    return [...this.tunnelsByName.keys()];
  }

  publishViews(views: ViewRegistry): void {
    const query: TunnelSaQuery = {
      tunnels: () => this.saInfo(),
      unattributedDrops: () => this.globalDrops(),
    };
    views.provide(TUNNELS_SA_VIEW, query);
  }

  /**
   * Per-tunnel counters in /metrics. The daemon calls this with its registry (duck-typed
   * optional Component method, like publishViews).
   */
  registerMetrics(registry: Registry): void {
    registerTunnelMetrics(registry, this);
  }

  /** Line protocol of a tunnel (false when unknown). */
  isUp(name: string): boolean {
    return this.tunnelsByName.get(name)?.iface.up ?? false;
  }

  /** Resolves when queued link changes and route updates have reached the kernel. */
  async settled(): Promise<void> {
    for (const t of this.tunnelsByName.values()) await t.iface.settled();
    await this.routeQueue;
    await this.routing?.settled();
  }

  /** Counters per tunnel for /metrics. */
  counterSamples(): TunnelCounterSample[] {
    return this.saInfo().map((t) => {
      const drops: Record<string, number> = {};
      const sas = t.outbound === null ? t.inbound : [...t.inbound, t.outbound];
      for (const sa of sas) {
        for (const [k, v] of Object.entries(sa.drops)) drops[k] = (drops[k] ?? 0) + v;
      }
      return {
        tunnel: t.name,
        up: t.lineProtocolUp,
        packetsIn: t.inbound.reduce((n, sa) => n + sa.packets, 0),
        bytesIn: t.inbound.reduce((n, sa) => n + sa.bytes, 0),
        packetsOut: t.outbound?.packets ?? 0,
        bytesOut: t.outbound?.bytes ?? 0,
        drops,
      };
    });
  }

  /** Drops outside any tunnel (unknown SPI, malformed, ...) by reason. */
  globalDrops(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.dp === null) return out;
    for (let code = 1; code < DROP_CODE_COUNT; code++) {
      const n = Number(this.dp.globalDrops(code));
      if (n > 0) out[dropReasonName(code)] = n;
    }
    return out;
  }

  // ---- tunnels ------------------------------------------------------------------------------

  private localFor(t: TunnelConfig, config: Config): string {
    return t.localAddress ?? config.underlay.localAddress ?? wildcardFor(t.peer);
  }

  private ensureSocket(address: string, mode: 'natt' | 'ike' | 'esp', port = NATT_PORT): Endpoint {
    const key = `${mode}|${address}|${mode === 'esp' ? 0 : port}`;
    if (!this.sockets.has(key)) {
      if (mode === 'esp') this.datapath().addRawEspSocket(address);
      else this.datapath().addSocket({ address, port }, mode);
      this.sockets.add(key);
      this.log.info({ address, port: mode === 'esp' ? null : port, mode }, 'socket bound');
    }
    return { address, port: mode === 'esp' ? 0 : port };
  }

  private async addTunnel(t: TunnelConfig, config: Config): Promise<void> {
    const local = this.localFor(t, config);
    const iface = await TunnelInterface.create(
      this.kernel,
      this.log,
      { name: t.name, mtu: t.mtu, addresses: t.address === undefined ? [] : [t.address] },
      this.openTun,
    );
    const state: TunnelState = { cfg: t, iface, local };
    this.tunnelsByName.set(t.name, state);
    iface.onChange(async (up) => {
      // Routing nexthops first (this component is the one that tells routing), then the
      // listeners that react to the line protocol (BGP sessions through the tunnel).
      this.routing?.setTunnelState(t.name, up);
      this.onTunnelState?.(t.name, up);
      await this.queueRoutes();
    });
    try {
      const mss4 = t.tcpMss ?? t.mtu - 40;
      const options: DatapathTunnelOptions = {
        mtu: t.mtu,
        mss4,
        mss6: Math.max(0, mss4 - 20),
        onLinkState: (up) => {
          iface.setLineProtocol(up);
        },
        ...this.icmpSources(t, config),
      };
      this.datapath().addTunnel(t.name, iface.tun, options);
    } catch (err) {
      await this.removeTunnel(t.name);
      throw err;
    }
    // Like a Catalyst tunnel whose source is missing: the interface exists but stays down, and
    // the other tunnels are not affected. A reload of the tunnel retries.
    try {
      // ESP-in-UDP uses port 4500 for IKE too; bind it for every local address in use.
      this.ensureSocket(local, 'natt');
      if (t.manualSa !== undefined) this.installManual(t, local);
      this.tunnelErrors.delete(t.name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.tunnelErrors.set(t.name, message);
      this.log.error({ tunnel: t.name, error: message }, 'tunnel data path not ready; stays down');
    }
    await iface.settled();
    this.log.info(
      { tunnel: t.name, peer: t.peer, local, mtu: t.mtu, manual: t.manualSa !== undefined },
      'tunnel created',
    );
  }

  /** ICMP errors come from the inside address, or (IPv6 without one) a global loopback. */
  private icmpSources(
    t: TunnelConfig,
    config: Config,
  ): Pick<DatapathTunnelOptions, 'source4' | 'source6'> {
    const out: { source4?: Buffer; source6?: Buffer } = {};
    const s4 =
      addrBytes(t.address, 4) ??
      addrBytes(
        config.loopbacks.find((l) => !l.includes(':')),
        4,
      );
    const s6 =
      addrBytes(t.address, 6) ??
      addrBytes(
        config.loopbacks.find((l) => l.includes(':') && !l.toLowerCase().startsWith('fe80')),
        6,
      );
    if (s4 !== undefined) out.source4 = s4;
    if (s6 !== undefined) out.source6 = s6;
    return out;
  }

  private installManual(t: TunnelConfig, local: string): void {
    const m = t.manualSa;
    if (m === undefined) return;
    const pair = manualSaPair({
      encryption: m.encryption,
      integrity: m.integrity,
      spiIn: m.spiIn,
      spiOut: m.spiOut,
      encKeyInHex: m.keyIn.reveal(),
      encKeyOutHex: m.keyOut.reveal(),
      ...(m.integrityKeyIn !== null ? { integKeyInHex: m.integrityKeyIn.reveal() } : {}),
      ...(m.integrityKeyOut !== null ? { integKeyOutHex: m.integrityKeyOut.reveal() } : {}),
      esn: m.esn,
    });
    const localEp = m.udpEncap ? this.ensureSocket(local, 'natt') : this.ensureSocket(local, 'esp');
    const path: EspPath = {
      local: localEp,
      remote: { address: t.peer, port: m.udpEncap ? m.remotePort : 0 },
      udpEncap: m.udpEncap,
    };
    const ledger = this.ledger();
    ledger.addInbound(t.name, pair.inbound, path);
    ledger.setOutbound(t.name, pair.outbound, path);
    this.log.info(
      {
        tunnel: t.name,
        spiIn: `0x${pair.inbound.spi.toString(16)}`,
        spiOut: `0x${pair.outbound.spi.toString(16)}`,
        encryption: m.encryption,
        integrity: m.integrity,
        udpEncap: m.udpEncap,
      },
      'manual SAs installed',
    );
  }

  private async removeTunnel(name: string): Promise<void> {
    const s = this.tunnelsByName.get(name);
    if (s === undefined) return;
    this.tunnelsByName.delete(name);
    this.tunnelErrors.delete(name);
    await this.dropRoutesVia(name);
    if (this.dp !== null) this.dp.removeTunnel(name);
    this.ledgerValue?.dropTunnel(name);
    await s.iface.close();
    this.routing?.setTunnelState(name, false);
    this.onTunnelState?.(name, false);
    this.log.info({ tunnel: name }, 'tunnel removed');
  }

  private async teardown(): Promise<void> {
    for (const name of [...this.tunnelsByName.keys()].reverse()) {
      try {
        await this.removeTunnel(name);
      } catch (err) {
        this.log.error({ err, tunnel: name }, 'failed to remove tunnel');
      }
    }
    await this.routeQueue;
    for (const key of [...this.routes.keys()]) await this.deleteRoute(key);
    try {
      await this.routing?.stop();
    } catch (err) {
      this.log.error({ err }, 'failed to stop routing');
    }
    if (this.dp !== null) {
      this.dp.close();
      this.dp = null;
      this.ledgerValue = null;
      this.sockets.clear();
    }
  }

  // ---- static routes via tunnels --------------------------------------------------------------

  private queueRoutes(): Promise<void> {
    this.routeQueue = this.routeQueue
      .then(() => this.reconcileRoutes())
      .catch((err: unknown) => {
        this.log.error({ err }, 'static route update failed');
      });
    return this.routeQueue;
  }

  private tableOf(r: StaticRoute): number {
    if (r.routingContext === undefined) return MAIN_TABLE;
    return this.config?.routingContexts[r.routingContext]?.table ?? MAIN_TABLE;
  }

  /**
   * Each static route with `via` goes to the first listed tunnel that is up (ECMP over several
   * tunnels is the routing module's job); a route with no tunnel up is removed.
   */
  private async reconcileRoutes(): Promise<void> {
    if (this.routing !== null || this.config === null) return;
    const wanted = new Map<string, InstalledRoute>();
    for (const r of this.config.staticRoutes) {
      if (r.via.length === 0) continue;
      const p = parsePrefix(r.prefix);
      if (!p) continue;
      const dev = r.via.find((v) => this.isUp(v));
      if (dev === undefined) continue;
      const table = this.tableOf(r);
      wanted.set(`${table}|${r.prefix}`, { table, prefix: r.prefix, dev });
    }
    for (const [key, cur] of [...this.routes]) {
      const w = wanted.get(key);
      if (w === undefined || w.dev !== cur.dev) await this.deleteRoute(key);
    }
    for (const [key, w] of wanted) {
      if (this.routes.get(key)?.dev === w.dev && (await this.routePresent(w))) continue;
      await this.kernel.replaceRoute({
        table: w.table,
        prefix: w.prefix,
        dev: w.dev,
        protocol: RouteProtocol.static,
      });
      this.routes.set(key, w);
      this.log.info({ prefix: w.prefix, dev: w.dev, table: w.table }, 'static route installed');
    }
  }

  /** The kernel flushes routes of a device that went down; check before trusting our record. */
  private async routePresent(w: InstalledRoute): Promise<boolean> {
    const list = await this.kernel.listRoutes({ table: w.table, protocol: RouteProtocol.static });
    return list.some((r) => r.prefix === w.prefix && r.dev === w.dev);
  }

  private async deleteRoute(key: string): Promise<void> {
    const r = this.routes.get(key);
    if (r === undefined) return;
    this.routes.delete(key);
    try {
      await this.kernel.deleteRoute({
        table: r.table,
        prefix: r.prefix,
        protocol: RouteProtocol.static,
      });
    } catch (err) {
      this.log.warn({ err, prefix: r.prefix }, 'failed to remove static route');
    }
  }

  private async dropRoutesVia(dev: string): Promise<void> {
    for (const [key, r] of [...this.routes]) if (r.dev === dev) await this.deleteRoute(key);
  }

  // ---- show ---------------------------------------------------------------------------------

  private saInfo(): IpsecTunnelInfo[] {
    const ledger = this.ledgerValue;
    const now = this.clock.now();
    return [...this.tunnelsByName.values()].map((s) => {
      const l = ledger?.tunnel(s.cfg.name) ?? { inbound: [], outbound: null, path: null };
      const m = s.cfg.manualSa;
      const udpEncap = l.path?.udpEncap ?? m?.udpEncap ?? true;
      return {
        name: s.cfg.name,
        routingContext: s.cfg.routingContext ?? null,
        localAddress: l.path?.local.address ?? s.local,
        peer: l.path?.remote.address ?? s.cfg.peer,
        peerPort: udpEncap ? (l.path?.remote.port ?? m?.remotePort ?? NATT_PORT) : null,
        udpEncap,
        mtu: s.cfg.mtu,
        lineProtocolUp: s.iface.up,
        pfs: false,
        dhGroup: null,
        inbound: l.inbound.map((sa) => this.saEntry(s.cfg.name, sa, now)),
        outbound: l.outbound === null ? null : this.saEntry(s.cfg.name, l.outbound, now),
      };
    });
  }

  private saEntry(tunnel: string, sa: LedgerSa, now: number): IpsecSaInfo {
    const c = this.ledgerValue?.counters(tunnel, sa.spi, sa.direction) ?? null;
    const drops: Record<string, number> = {};
    if (this.dp !== null) {
      for (let code = 1; code < DROP_CODE_COUNT; code++) {
        const n = Number(this.dp.drops(tunnel, sa.spi, sa.direction, code));
        if (n > 0) drops[dropReasonName(code)] = n;
      }
    }
    return {
      spi: sa.spi,
      encryption: sa.encryption,
      integrity: sa.integrity,
      esn: sa.esn,
      replayWindow: sa.replayWindow,
      hardKb: sa.lifetime.hardKb,
      hardSec: sa.lifetime.hardSec,
      ageSec: Math.max(0, (now - sa.installedMs) / 1000),
      packets: Number(c?.packets ?? 0n),
      bytes: Number(c?.bytes ?? 0n),
      drops,
    };
  }
}
