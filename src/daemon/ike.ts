/**
 * The IKE component: one IkeSaManager for every tunnel with a pre-shared key (manual-SA tunnels
 * are the tunnels component's alone). Child SAs go to the tunnels component's installer (the SA
 * ledger in front of the native data path), so a tunnel's line protocol follows its outbound SA:
 * when IKE declares the peer dead the SA is destroyed, its children are deleted from the data
 * path, the tunnel goes down at once and routing/BGP react through the tunnels component.
 *
 * IKE uses port 500 on the tunnel's local address and moves to 4500 (shared with ESP-in-UDP,
 * bound by the tunnels component) when a NAT is detected (RFC 7296 §2.23). Stop sends an IKE
 * Delete for every established SA and waits briefly for the answers before tearing down.
 *
 * Operations: publishes `clear crypto session` (src/mgmt/api/clear-crypto.ts): IKE Delete for the
 * matching tunnels' IKE SAs, initiators start over at once (IkeSaManager.clearTunnel).
 *
 * Underlay recovery: given kernel link events, a link coming up (e.g. the outside NIC after
 * `shutdown` / `no shutdown`) restarts every initiating tunnel that is down at once, instead of
 * leaving it to its retransmission and backoff timers (up to a minute).
 */
import type { Registry } from 'prom-client';
import type { Config, TunnelConfig } from '../config/index.js';
import {
  IKE_PORT,
  IkeSaManager,
  tunnelSpecFromConfig,
  type IkeEvent,
  type IkeSaManagerOptions,
} from '../ike/index.js';
import type { ChildSaInstaller, Endpoint, IkeTransport } from '../ike/ports.js';
import { spiHex, type IkeSa } from '../ike/sa/ike-sa.js';
import type { LinkEvent, LinkWatch } from '../kernel/index.js';
import type { Clock, Timer } from '../lib/clock.js';
import { formatIp, parseIp } from '../lib/ip/index.js';
import type { Logger } from '../lib/log.js';
import type { Rng } from '../lib/rng.js';
import { registerIkeMetrics, type IkeMetricsSource } from '../mgmt/api/metrics.js';
import { IKE_SA_VIEW, type IkeSaQuery } from '../mgmt/show/commands/crypto-ikev2-sa.js';
import {
  CLEAR_CRYPTO_SESSION,
  type ClearCryptoDto,
  type ClearCryptoRequest,
} from '../mgmt/api/clear-crypto.js';
import { actionsOf, type ComponentStatus, type ViewRegistry } from '../mgmt/show/context.js';
import type { Component } from './component.js';
import type { ConfigDiff } from './config-port.js';

/** What IKE needs of the tunnels component (TunnelsComponent matches structurally). */
export interface IkeTunnelsPort {
  installer(): ChildSaInstaller &
    IkeTransport & {
      addSocket(local: Endpoint, mode?: 'natt' | 'ike'): Endpoint;
    };
  isUp(name: string): boolean;
}

export interface IkeComponentOptions {
  readonly tunnels: IkeTunnelsPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly manager?: IkeSaManagerOptions;
  /** How long `stop()` waits for the peers to answer the IKE Deletes; default 1000 ms. */
  readonly stopGraceMs?: number;
  /** Kernel link events (the kernel port's `watchLinks`); without it there is no underlay recovery. */
  readonly watchLinks?: (cb: (ev: LinkEvent) => void) => LinkWatch;
  /** Delay between a link coming up and the restart (routes settle); default 500 ms. */
  readonly linkSettleMs?: number;
}

/** Cumulative counters that survive the IKE SAs they were counted on (for /metrics). */
export interface IkeTotals {
  established: number;
  rekeys: number;
  childRekeys: number;
  failures: number;
  peerDead: number;
}

function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  return x !== null && formatIp(x) === b;
}

function wildcardFor(peer: string): string {
  return parseIp(peer)?.family === 6 ? '::' : '0.0.0.0';
}

export class IkeComponent implements Component {
  readonly name = 'ike';
  private readonly tunnels: IkeTunnelsPort;
  private readonly log: Logger;
  private readonly rootLog: Logger;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly managerOptions: IkeSaManagerOptions;
  private readonly stopGraceMs: number;
  private mgr: IkeSaManager | null = null;
  private readonly watchLinks: IkeComponentOptions['watchLinks'];
  private readonly linkSettleMs: number;
  private linkWatch: LinkWatch | null = null;
  private linkTimer: Timer | null = null;
  private config: Config | null = null;
  private readonly sockets = new Set<string>();
  private state: ComponentStatus['state'] = 'stopped';
  private lastError = '';
  readonly totals: IkeTotals = {
    established: 0,
    rekeys: 0,
    childRekeys: 0,
    failures: 0,
    peerDead: 0,
  };
  /** Counters of IKE SAs already gone, folded in so /metrics counters never go backwards. */
  private readonly known = new Set<IkeSa>();
  private readonly retired = {
    exchanges: 0,
    retransmits: 0,
    failuresByNotify: new Map<string, number>(),
  };

  constructor(opts: IkeComponentOptions) {
    this.tunnels = opts.tunnels;
    this.rootLog = opts.logger;
    this.log = opts.logger.child({ mod: 'ike' });
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.managerOptions = opts.manager ?? {};
    this.stopGraceMs = opts.stopGraceMs ?? 1000;
    this.watchLinks = opts.watchLinks;
    this.linkSettleMs = opts.linkSettleMs ?? 500;
  }

  /** The running manager (tests, API); null while stopped. */
  get manager(): IkeSaManager | null {
    return this.mgr;
  }

  async start(config: Config): Promise<void> {
    this.state = 'starting';
    this.config = config;
    try {
      const port = this.tunnels.installer();
      const mgr = new IkeSaManager(
        {
          clock: this.clock,
          rng: this.rng,
          // IkeSaManager itself never re-installs the SA already outbound (and NativeDatapath
          // keeps the sequence counter if it were), so the installer is passed through as is.
          installer: port,
          transport: {
            send: (data, from, to) => {
              try {
                port.send(data, from, to);
              } catch (err) {
                this.log.warn(
                  { err: err instanceof Error ? err.message : String(err), to: to.address },
                  'ike datagram not sent',
                );
              }
            },
            sendKeepalive: (from, to) => {
              try {
                port.sendKeepalive(from, to);
              } catch (err) {
                this.log.warn(
                  { err: err instanceof Error ? err.message : String(err), to: to.address },
                  'nat keepalive not sent',
                );
              }
            },
            onReceive: (l) => {
              // Datagrams arriving after stop() (or for a previous manager) are ignored.
              port.onReceive((data, local, remote) => {
                if (this.mgr === mgr) l(data, local, remote);
              });
            },
          },
          // The manager adds its own `mod: ike`.
          log: this.rootLog,
        },
        this.managerOptions,
      );
      this.mgr = mgr;
      this.watch(mgr);
      if (this.watchLinks && this.linkWatch === null) {
        this.linkWatch = this.watchLinks((ev) => {
          this.onLink(ev);
        });
      }
      for (const t of config.tunnels) this.addTunnel(t, config);
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      this.lastError = err instanceof Error ? err.message : String(err);
      this.mgr?.shutdown();
      this.mgr = null;
      throw err;
    }
    await Promise.resolve();
  }

  async apply(diff: ConfigDiff, next: Config): Promise<void> {
    const mgr = this.mgr;
    this.config = next;
    if (mgr === null) return;
    const byName = new Map(next.tunnels.map((t) => [t.name, t]));
    // An underlay change may move every tunnel's local address: restart them all.
    const changed = diff.underlay
      ? next.tunnels.map((t) => t.name).filter((n) => !diff.tunnels.added.includes(n))
      : diff.tunnels.changed;
    for (const name of [...diff.tunnels.removed, ...changed]) {
      if (mgr.tunnelNames.includes(name)) {
        this.log.info({ tunnel: name }, 'closing ike for tunnel (reload)');
        mgr.removeTunnel(name);
      }
    }
    for (const name of [...changed, ...diff.tunnels.added]) {
      const t = byName.get(name);
      if (t !== undefined) this.addTunnel(t, next);
    }
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    this.linkWatch?.close();
    this.linkWatch = null;
    this.linkTimer?.cancel();
    this.linkTimer = null;
    const mgr = this.mgr;
    if (mgr !== null) {
      this.track();
      const sas = mgr.sas();
      mgr.shutdown();
      await this.waitQuiet(sas);
      // Whatever did not answer in time is closed locally (children out of the data path).
      for (const sa of sas) sa.destroy('shutdown');
    }
    this.mgr = null;
    this.sockets.clear();
    this.state = 'stopped';
  }

  status(): ComponentStatus {
    if (this.state === 'failed')
      return { name: this.name, state: 'failed', detail: this.lastError };
    const snaps = this.mgr?.snapshot() ?? [];
    const n = this.mgr?.tunnelNames.length ?? 0;
    const up = snaps.filter((s) => s.state === 'established').length;
    return {
      name: this.name,
      state: this.state,
      detail: `${n} IKE tunnel${n === 1 ? '' : 's'}, ${up} IKE SA${up === 1 ? '' : 's'} established`,
    };
  }

  interfaces(): readonly string[] {
    return [];
  }

  publishViews(views: ViewRegistry): void {
    views.provide(IKE_SA_VIEW, this.query());
    actionsOf(views).provide(CLEAR_CRYPTO_SESSION, (req) => this.clear(req));
  }

  /**
   * `clear crypto session [remote ADDR] [interface NAME]`: tear down the IKE SAs (and so the child
   * SAs) of the matching tunnels with an IKE Delete; initiating tunnels start over at once.
   * Undefined when a filter was given and no IKE tunnel matches (the API answers 404).
   */
  clear(req: ClearCryptoRequest): ClearCryptoDto | undefined {
    const mgr = this.mgr;
    const config = this.config;
    if (mgr === null || config === null)
      return req.remote === undefined && req.interface === undefined ? { sessions: [] } : undefined;
    const iface = req.interface?.toLowerCase();
    const names = new Set(mgr.tunnelNames);
    const matches = config.tunnels.filter(
      (t) =>
        names.has(t.name) &&
        (iface === undefined || t.name.toLowerCase() === iface) &&
        (req.remote === undefined ||
          sameIp(t.peer, req.remote) ||
          mgr.sas(t.name).some((sa) => sameIp(sa.remote.address, req.remote ?? ''))),
    );
    if (matches.length === 0 && (req.remote !== undefined || req.interface !== undefined)) {
      return undefined;
    }
    const sessions = matches.map((t) => {
      const before = mgr
        .sas(t.name)
        .filter((sa) => sa.state !== 'destroyed')
        .map((sa) => ({
          spiI: spiHex(sa.spiI),
          spiR: spiHex(sa.spiR),
          state: sa.state,
          children: sa.children.length,
        }));
      mgr.clearTunnel(t.name, 'cleared by operator');
      return {
        interface: t.name,
        peer: t.peer,
        routingContext: t.routingContext ?? null,
        ikeSas: before.map(({ spiI, spiR, state }) => ({ spiI, spiR, state })),
        childSas: before.reduce((n, sa) => n + sa.children, 0),
        next: t.initiate ? ('reinitiate' as const) : ('wait-for-peer' as const),
      };
    });
    this.log.info(
      {
        remote: req.remote ?? null,
        interface: req.interface ?? null,
        tunnels: sessions.map((s) => s.interface),
        ikeSas: sessions.reduce((n, s) => n + s.ikeSas.length, 0),
      },
      'clear crypto session',
    );
    return { sessions };
  }

  /** IKE counters in /metrics (duck-typed optional Component method, like publishViews). */
  registerMetrics(registry: Registry): void {
    registerIkeMetrics(registry, this.metricsSource());
  }

  /** The read-only view behind `show crypto ikev2 sa` and `show crypto session`. */
  query(): IkeSaQuery {
    return {
      sas: () => this.mgr?.snapshot() ?? [],
      tunnels: () =>
        (this.config?.tunnels ?? [])
          .filter((t) => this.mgr?.tunnelNames.includes(t.name) === true)
          .map((t) => ({
            name: t.name,
            peer: t.peer,
            routingContext: t.routingContext ?? null,
            lineProtocolUp: this.tunnels.isUp(t.name),
            localId: t.localId.value,
            ikeLifetimeSec:
              (t.ikePolicy === null
                ? undefined
                : this.config?.crypto.ikePolicies[t.ikePolicy]?.lifetimeSec) ?? 0,
          })),
    };
  }

  metricsSource(): IkeMetricsSource {
    return {
      ikeTotals: () => {
        this.track();
        let exchanges = this.retired.exchanges;
        let retransmits = this.retired.retransmits;
        const failures = new Map(this.retired.failuresByNotify);
        let up = 0;
        for (const sa of this.known) {
          const c = sa.tm.counters;
          if (sa.state === 'destroyed') {
            this.known.delete(sa);
            this.retired.exchanges += c.exchangesInitiated + c.exchangesResponded;
            this.retired.retransmits += c.retransmits;
            for (const [k, v] of c.failuresByNotify)
              this.retired.failuresByNotify.set(k, (this.retired.failuresByNotify.get(k) ?? 0) + v);
          } else if (sa.state === 'established') {
            up++;
          }
          exchanges += c.exchangesInitiated + c.exchangesResponded;
          retransmits += c.retransmits;
          for (const [k, v] of c.failuresByNotify) failures.set(k, (failures.get(k) ?? 0) + v);
        }
        return {
          exchanges,
          retransmits,
          failuresByNotify: Object.fromEntries(failures),
          ikeRekeys: this.totals.rekeys,
          childRekeys: this.totals.childRekeys,
          ikeSasUp: up,
        };
      },
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  /** A link other than our own tunnel interfaces became usable: restart the tunnels that are down. */
  private onLink(ev: LinkEvent): void {
    if (ev.type === 'removed' || !ev.link.up || !ev.link.running) return;
    if (ev.previous !== null && ev.previous.up && ev.previous.running) return;
    if (this.config?.tunnels.some((t) => t.name === ev.link.name)) return;
    if (this.linkTimer?.pending === true) return;
    this.linkTimer = this.clock.setTimer(this.linkSettleMs, () => {
      this.linkTimer = null;
      const restarted = this.mgr?.retryDown() ?? [];
      if (restarted.length > 0) {
        this.log.info(
          { link: ev.link.name, tunnels: restarted },
          'underlay link up; restarting ike',
        );
      }
    });
  }

  private localFor(t: TunnelConfig, config: Config): string {
    return t.localAddress ?? config.underlay.localAddress ?? wildcardFor(t.peer);
  }

  private addTunnel(t: TunnelConfig, config: Config): void {
    const mgr = this.mgr;
    if (mgr === null || t.psk === null || t.manualSa !== undefined) return;
    const address = this.localFor(t, config);
    const spec = tunnelSpecFromConfig(config.crypto, t, { address, port: IKE_PORT });
    if (spec === null) return;
    try {
      this.ensureSocket(address);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ tunnel: t.name, local: address, error: message }, 'ike socket not bound');
      return;
    }
    mgr.addTunnel(spec);
    this.log.info(
      {
        tunnel: t.name,
        peer: t.peer,
        local: address,
        ikePolicy: t.ikePolicy,
        ipsecPolicy: t.ipsecPolicy,
        initiate: t.initiate,
      },
      'ike tunnel configured',
    );
  }

  private ensureSocket(address: string): void {
    if (this.sockets.has(address)) return;
    this.tunnels.installer().addSocket({ address, port: IKE_PORT }, 'ike');
    this.sockets.add(address);
  }

  private watch(mgr: IkeSaManager): void {
    mgr.on('ike:sa:established', (e) => {
      if (e.rekey) this.totals.rekeys++;
      else this.totals.established++;
    });
    mgr.on('child:installed', (e) => {
      if (e.rekey) this.totals.childRekeys++;
    });
    mgr.on('ike:sa:failed', (e) => {
      this.totals.failures++;
      this.log.warn({ tunnel: e.tunnel, peer: e.peer, reason: e.reason }, 'ike sa failed');
    });
    mgr.on('child:failed', (e) => {
      this.log.warn({ tunnel: e.tunnel, reason: e.reason }, 'child sa failed');
    });
    mgr.on('peer-dead', (e: Extract<IkeEvent, { type: 'peer-dead' }>) => {
      this.totals.peerDead++;
      this.log.warn({ tunnel: e.tunnel, peer: e.peer }, 'peer dead; tunnel down');
    });
    for (const type of [
      'ike:sa:established',
      'ike:sa:failed',
      'ike:sa:deleted',
      'child:installed',
      'child:failed',
      'peer-dead',
    ] as const) {
      mgr.on(type, () => {
        this.track();
      });
    }
  }

  /** Remember every IKE SA the manager has had, so its counters outlive it. */
  private track(): void {
    for (const sa of this.mgr?.sas() ?? []) this.known.add(sa);
  }

  /** Resolve once every IKE SA is gone or `stopGraceMs` passed. */
  private waitQuiet(sas: readonly IkeSa[]): Promise<void> {
    const live = (): boolean => sas.some((s) => s.state !== 'destroyed');
    if (!live()) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = this.clock.now() + this.stopGraceMs;
      const tick = (): void => {
        if (!live() || this.clock.now() >= deadline) resolve();
        else this.clock.setTimer(20, tick);
      };
      this.clock.setTimer(20, tick);
    });
  }
}
