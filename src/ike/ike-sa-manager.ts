/**
 * IkeSaManager: owns the IKE SAs of every tunnel and dispatches datagrams (strongSwan
 * ike_sa_manager). Incoming messages are routed by our SPI; IKE_SA_INIT requests by (peer, SPIi)
 * so a retransmitted request finds its half-open SA instead of creating a duplicate. Above a
 * half-open threshold IKE_SA_INIT requests are answered with a stateless COOKIE (RFC 7296 §2.6).
 *
 * Per tunnel: `initiate: true` starts (and after failure or a dead peer restarts, with backoff)
 * an IKE SA; `initiate: false` only answers. Simultaneous setup from both sides (two IKE SAs for
 * one tunnel) keeps one: the SA with the lowest nonce is redundant and is deleted by the side
 * that initiated it (the rule of RFC 7296 §2.8.1 applied to IKE SAs).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CryptoConfig, IkePolicy, IpsecPolicy, TunnelConfig } from '../config/types.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { Rng } from '../lib/rng.js';
import type { ChildSaEvent, ChildSaInstaller, Endpoint, EspPath, IkeTransport } from './ports.js';
import { CookieJar } from './cookie.js';
import { snapshotOf, type IkeSaSnapshot } from './ike-sa-snapshot.js';
import type { ChildSa } from './sa/child-sa.js';
import type { IkeEvent, IkeEventType } from './sa/events.js';
import { IkeSa, spiHex } from './sa/ike-sa.js';
import { ChildRekeyInitiator } from './tasks/child-rekey.js';
import { IkeAuthInitiator } from './tasks/ike-auth.js';
import { IkeDeleteInitiator } from './tasks/ike-delete.js';
import { IkeDpdInitiator } from './tasks/ike-dpd.js';
import { IkeInitInitiator } from './tasks/ike-init.js';
import { IkeRekeyInitiator } from './tasks/ike-rekey.js';
import { responderTask } from './tasks/responder.js';
import { ExchangeType } from './wire/constants.js';
import { isInitiator, isResponse } from './wire/header.js';
import { decodeMessage, type DecodedMessage } from './wire/message.js';

export const IKE_PORT = 500;

export interface IkeSaManagerOptions {
  /** Largest IKE message before RFC 7383 fragmentation; default 1280. */
  readonly fragmentSize?: number;
  /** Half-open SAs above which IKE_SA_INIT requests must carry a COOKIE; default 64. */
  readonly cookieThreshold?: number;
  /** First re-initiation delay after a failure; doubles up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A responder SA not established within this time is dropped (strongSwan half_open_timeout). */
  readonly halfOpenTimeoutMs?: number;
}

export interface IkeSaManagerDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly installer: ChildSaInstaller;
  readonly transport: IkeTransport;
  readonly log: Logger;
}

export interface TunnelSpec {
  readonly tunnel: TunnelConfig;
  readonly ikePolicy: IkePolicy;
  readonly ipsecPolicy: IpsecPolicy;
  /** Our IKE endpoint (address the peer reaches; port 500). */
  readonly local: Endpoint;
  /** The peer's IKE endpoint; default `{ tunnel.peer, 500 }`. */
  readonly remote?: Endpoint;
}

/**
 * Resolve a tunnel's policy names against the crypto section; null for manual-SA tunnels or
 * unknown names (the config loader has already reported those).
 */
export function tunnelSpecFromConfig(
  crypto: CryptoConfig,
  tunnel: TunnelConfig,
  local: Endpoint = { address: tunnel.localAddress ?? '0.0.0.0', port: IKE_PORT },
): TunnelSpec | null {
  if (tunnel.manualSa !== undefined || tunnel.ikePolicy === null || tunnel.ipsecPolicy === null) {
    return null;
  }
  const ikePolicy = crypto.ikePolicies[tunnel.ikePolicy];
  const ipsecPolicy = crypto.ipsecPolicies[tunnel.ipsecPolicy];
  if (ikePolicy === undefined || ipsecPolicy === undefined) return null;
  return { tunnel, ikePolicy, ipsecPolicy, local };
}

interface TunnelState {
  readonly spec: TunnelSpec;
  readonly sas: Set<IkeSa>;
  backoffMs: number;
  retryTimer: Timer | null;
  removed: boolean;
  /** `clear crypto session`: initiate again as soon as the last IKE SA is gone, no backoff. */
  restartNow: boolean;
}

type Listener<T extends IkeEventType> = (e: Extract<IkeEvent, { type: T }>) => void;

export class IkeSaManager {
  private readonly deps: IkeSaManagerDeps;
  private readonly log: Logger;
  private readonly fragmentSize: number;
  private readonly cookieThreshold: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly halfOpenTimeoutMs: number;
  private readonly tunnels = new Map<string, TunnelState>();
  private readonly bySpi = new Map<bigint, IkeSa>();
  /** Responder SAs by (peer, SPIi) for IKE_SA_INIT routing, kept for the SA's lifetime. */
  private readonly byInit = new Map<string, IkeSa>();
  private readonly emitter = new EventEmitter();
  private readonly cookies: CookieJar;
  /** The installer the IKE SAs use: deps.installer, noting each tunnel's outbound SA. */
  private readonly installer: ChildSaInstaller;
  /** Per tunnel, the outbound SA (SPI) and path the IKE layer last installed. */
  private readonly outbound = new Map<string, { spi: number; path: string }>();
  /** RFC 3948 §2.3 NAT-keepalive timer per established IKE SA behind a NAT. */
  private readonly keepalives = new Map<IkeSa, Timer>();
  /** Datagrams that did not decode or match an SA. */
  dropped = 0;

  constructor(deps: IkeSaManagerDeps, opts: IkeSaManagerOptions = {}) {
    this.deps = deps;
    this.log = deps.log.child({ mod: 'ike' });
    this.fragmentSize = opts.fragmentSize ?? 1280;
    this.cookieThreshold = opts.cookieThreshold ?? 64;
    this.initialBackoffMs = opts.initialBackoffMs ?? 2000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.halfOpenTimeoutMs = opts.halfOpenTimeoutMs ?? 30_000;
    this.cookies = new CookieJar(deps.rng.bytes(32));
    this.installer = this.trackOutbound(deps.installer);
    deps.transport.onReceive((data, local, remote) => {
      this.receive(data, local, remote);
    });
    deps.installer.onEvent((e) => {
      if (
        e.kind === 'hard-expire' &&
        e.direction === 'out' &&
        this.outbound.get(e.tunnel)?.spi === e.spi
      ) {
        this.outbound.delete(e.tunnel);
      }
      this.onChildSaEvent(e);
    });
  }

  on<T extends IkeEventType>(type: T, fn: Listener<T>): void {
    this.emitter.on(type, fn);
  }

  off<T extends IkeEventType>(type: T, fn: Listener<T>): void {
    this.emitter.off(type, fn);
  }

  private emit(e: IkeEvent): void {
    if (e.type === 'child:installed') {
      // The tunnel is really up: the next failure starts the backoff from the beginning.
      const st = this.tunnels.get(e.tunnel);
      if (st) {
        st.backoffMs = this.initialBackoffMs;
        st.restartNow = false;
      }
    }
    if (e.type === 'child:failed') this.onChildFailed(e.tunnel, e.reason);
    // A child that expired or was deleted without a successor (e.g. after a refused rekey).
    if (e.type === 'child:deleted') this.onChildFailed(e.tunnel, 'last child sa gone');
    this.emitter.emit(e.type, e);
  }

  /**
   * An IKE SA without any child SA carries nothing (its first child failed in IKE_AUTH, e.g. a
   * proposal or selector mismatch, or its last child expired after a refused rekey): the initiating
   * side deletes it, so the tunnel starts over with backoff instead of sitting "up" with no data
   * path until someone clears it.
   */
  private onChildFailed(tunnel: string, reason: string): void {
    const st = this.tunnels.get(tunnel);
    if (!st || st.removed || !st.spec.tunnel.initiate) return;
    const bare = [...st.sas].filter((s) => s.state === 'established' && s.children.length === 0);
    if (bare.length === 0) return;
    // After the exchange that failed has finished.
    this.deps.clock.setTimer(1, () => {
      for (const sa of bare) {
        if (sa.state !== 'established' || sa.children.length > 0) continue;
        this.log.warn(
          { tunnel, peer: sa.remote.address, reason },
          'ike sa without child sa; deleting',
        );
        this.deleteSa(sa, 'no child sa');
      }
    });
  }

  // --- tunnels -----------------------------------------------------------------------------

  addTunnel(spec: TunnelSpec): void {
    const st: TunnelState = {
      spec,
      sas: new Set(),
      backoffMs: this.initialBackoffMs,
      retryTimer: null,
      removed: false,
      restartNow: false,
    };
    this.tunnels.set(spec.tunnel.name, st);
    if (spec.tunnel.initiate) this.initiate(st);
  }

  /** Close a tunnel: IKE Delete to the peer, children removed locally. */
  removeTunnel(name: string): void {
    const st = this.tunnels.get(name);
    if (!st) return;
    st.removed = true;
    st.retryTimer?.cancel();
    for (const sa of st.sas) this.deleteSa(sa, 'tunnel removed');
    this.tunnels.delete(name);
    this.outbound.delete(name);
  }

  /** Close every tunnel (daemon shutdown): IKE Deletes go out, timers stop. */
  shutdown(): void {
    for (const name of [...this.tunnels.keys()]) this.removeTunnel(name);
  }

  /** Configured tunnel names. */
  get tunnelNames(): string[] {
    return [...this.tunnels.keys()];
  }

  /** Send an IKE Delete for `sa` (or close it locally when it is not established). */
  deleteSa(sa: IkeSa, reason: string): void {
    if (sa.state === 'established') sa.tm.queue(new IkeDeleteInitiator(sa, reason));
    else sa.destroy(reason);
  }

  /**
   * The underlay changed for the better (a link came up): every initiating tunnel without an
   * established IKE SA starts over now, instead of waiting out its retransmissions and backoff.
   * Returns the tunnels restarted.
   */
  retryDown(): string[] {
    const up = new Set(['established', 'rekeying', 'deleting']);
    const restarted: string[] = [];
    for (const [name, st] of this.tunnels) {
      if (st.removed || !st.spec.tunnel.initiate) continue;
      if ([...st.sas].some((s) => up.has(s.state))) continue;
      // Nothing established: clearing drops the half-open attempts and starts over at once.
      this.clearTunnel(name, 'underlay up');
      restarted.push(name);
    }
    return restarted;
  }

  /** Start an IKE SA for a configured tunnel now (e.g. `clear crypto session` + traffic). */
  connect(name: string): void {
    const st = this.tunnels.get(name);
    if (st) this.initiate(st);
  }

  /**
   * `clear crypto session` / `clear crypto ikev2 sa`: tear down every IKE SA of tunnel `name` with
   * an IKE Delete (their child SAs go with them, RFC 7296 §1.4.1); SAs not yet established close
   * locally. An initiating tunnel starts a fresh IKE_SA_INIT as soon as the last SA is gone, its
   * backoff reset; a responder waits for the peer. Returns the IKE SAs torn down.
   */
  clearTunnel(name: string, reason = 'cleared'): IkeSa[] {
    const st = this.tunnels.get(name);
    if (!st || st.removed) return [];
    const sas = [...st.sas].filter((s) => s.state !== 'destroyed');
    st.retryTimer?.cancel();
    st.retryTimer = null;
    st.backoffMs = this.initialBackoffMs;
    st.restartNow = st.spec.tunnel.initiate;
    for (const sa of sas) {
      if (sa.state === 'established' || sa.state === 'rekeying') {
        sa.tm.queue(new IkeDeleteInitiator(sa, reason));
      } else if (sa.state !== 'deleting') {
        sa.destroy(reason);
      }
    }
    if (st.restartNow && ![...st.sas].some((s) => s.state !== 'destroyed')) {
      st.restartNow = false;
      this.initiate(st);
    }
    return sas;
  }

  private remoteOf(spec: TunnelSpec): Endpoint {
    return spec.remote ?? { address: spec.tunnel.peer, port: IKE_PORT };
  }

  private newSa(
    st: TunnelState,
    role: { initiator: true; spiI?: bigint } | { initiator: false; spiI: bigint },
    remote: Endpoint,
    local: Endpoint,
  ): IkeSa {
    const { spec } = st;
    const sa = new IkeSa(
      {
        tunnel: spec.tunnel,
        ikePolicy: spec.ikePolicy,
        ipsecPolicy: spec.ipsecPolicy,
        local,
        remote,
        fragmentSize: this.fragmentSize,
      },
      {
        clock: this.deps.clock,
        rng: this.deps.rng,
        installer: this.installer,
        log: this.log.child({ tunnel: spec.tunnel.name, peer: spec.tunnel.peer }),
        send: (data, from, to) => {
          this.deps.transport.send(data, from, to);
        },
        emit: (e) => {
          this.emit(e);
        },
        responderTask,
        onDestroyed: (s) => {
          this.onDestroyed(st, s);
        },
        onEstablished: (s, rekey) => {
          this.armKeepalive(st, s);
          if (!rekey) this.onEstablished(st, s);
        },
        onPeerDead: () => undefined,
        queueChildRekey: (s, child) => {
          s.tm.queue(new ChildRekeyInitiator(s, child));
        },
        queueDpd: (s) => {
          s.tm.queue(new IkeDpdInitiator(spec.tunnel.dpd));
        },
        queueIkeRekey: (s) => {
          if (!s.tm.hasQueued('ike-rekey')) s.tm.queue(new IkeRekeyInitiator(s));
        },
        queueIkeDelete: (s, reason) => {
          this.deleteSa(s, reason);
        },
        createRekeyed: (old, r) => this.newSa(st, r, old.remote, old.local),
      },
      role,
    );
    st.sas.add(sa);
    this.bySpi.set(sa.localSpi, sa);
    return sa;
  }

  private initiate(st: TunnelState): void {
    if (st.removed) return;
    st.retryTimer?.cancel();
    st.retryTimer = null;
    const sa = this.newSa(st, { initiator: true }, this.remoteOf(st.spec), st.spec.local);
    sa.tm.queue(new IkeInitInitiator(sa));
    sa.tm.queue(new IkeAuthInitiator(sa));
  }

  private onEstablished(st: TunnelState, sa: IkeSa): void {
    // Simultaneous setup: keep one IKE SA per tunnel.
    for (const other of st.sas) {
      if (other === sa || other.state !== 'established') continue;
      const redundant = Buffer.compare(minNonce(sa), minNonce(other)) < 0 ? sa : other;
      const keep = redundant === sa ? other : sa;
      this.log.info(
        {
          tunnel: st.spec.tunnel.name,
          peer: st.spec.tunnel.peer,
          redundant: redundant.label,
          keep: keep.label,
        },
        'duplicate ike sa for tunnel',
      );
      this.reassertOutbound(keep);
      if (redundant.isOriginalInitiator) this.deleteSa(redundant, 'duplicate ike sa');
    }
    // §2.4 INITIAL_CONTACT: older SAs with this peer are stale.
    if (sa.initialContact) {
      for (const other of st.sas) {
        if (
          other !== sa &&
          other.state === 'established' &&
          other.establishedAtMs !== null &&
          sa.establishedAtMs !== null &&
          other.establishedAtMs < sa.establishedAtMs &&
          !other.isOriginalInitiator
        ) {
          other.destroy('replaced (INITIAL_CONTACT)');
        }
      }
    }
  }

  private onDestroyed(st: TunnelState, sa: IkeSa): void {
    this.keepalives.get(sa)?.cancel();
    this.keepalives.delete(sa);
    st.sas.delete(sa);
    if (this.bySpi.get(sa.localSpi) === sa) this.bySpi.delete(sa.localSpi);
    for (const [k, v] of this.byInit) if (v === sa) this.byInit.delete(k);
    for (const other of st.sas) if (other.state === 'established') this.reassertOutbound(other);
    if (st.removed || !st.spec.tunnel.initiate) return;
    const alive = [...st.sas].some((s) => s.state !== 'destroyed');
    if (alive || st.retryTimer?.pending === true) return;
    if (st.restartNow) {
      // Cleared by the operator: start over now (after the destroy has finished).
      st.restartNow = false;
      st.retryTimer = this.deps.clock.setTimer(0, () => {
        st.retryTimer = null;
        if (![...st.sas].some((s) => s.state !== 'destroyed')) this.initiate(st);
      });
      return;
    }
    // Re-initiate with exponential backoff and jitter.
    const delay = Math.round(st.backoffMs * (1 + this.deps.rng.fraction() * 0.2));
    st.backoffMs = Math.min(this.maxBackoffMs, st.backoffMs * 2);
    this.log.info(
      { tunnel: st.spec.tunnel.name, peer: st.spec.tunnel.peer, delayMs: delay },
      're-initiating ike sa',
    );
    st.retryTimer = this.deps.clock.setTimer(delay, () => {
      st.retryTimer = null;
      if (![...st.sas].some((s) => s.state !== 'destroyed')) this.initiate(st);
    });
  }

  /**
   * Make `sa`'s current child the tunnel's outbound SA again (a duplicate or rekeyed-away IKE SA
   * went away). When that SPI already is the outbound SA nothing is re-installed: a second
   * setOutbound would restart its ESP sequence at 1 and the peer's anti-replay window would drop
   * everything (RFC 4303 §3.3.3); only a changed path is applied.
   */
  private reassertOutbound(sa: IkeSa): void {
    const child = sa.currentChild;
    if (child === undefined) return;
    const cur = this.outbound.get(sa.tunnel);
    if (cur?.spi !== child.spiOut) {
      sa.reassertOutbound();
      return;
    }
    const path = sa.espPath();
    if (cur.path !== pathKey(path)) this.installer.updatePath(sa.tunnel, path);
  }

  /** `inner`, remembering per tunnel which outbound SA and path were installed last. */
  private trackOutbound(inner: ChildSaInstaller): ChildSaInstaller {
    const outbound = this.outbound;
    return {
      addInbound: (t, sa, p) => {
        inner.addInbound(t, sa, p);
      },
      setOutbound: (t, sa, p) => {
        inner.setOutbound(t, sa, p);
        outbound.set(t, { spi: sa.spi, path: pathKey(p) });
      },
      delete: (t, spi, d) => {
        if (d === 'out' && outbound.get(t)?.spi === spi) outbound.delete(t);
        inner.delete(t, spi, d);
      },
      updatePath: (t, p) => {
        inner.updatePath(t, p);
        const cur = outbound.get(t);
        if (cur !== undefined) outbound.set(t, { spi: cur.spi, path: pathKey(p) });
      },
      counters: (t, spi, d) => inner.counters(t, spi, d),
      onEvent: (l) => {
        inner.onEvent(l);
      },
    };
  }

  /**
   * RFC 3948 §2.3 / RFC 7296 §2.23: while we are behind a NAT, a one-byte 0xFF datagram goes to
   * the peer every `natKeepaliveSec` so the NAT keeps our port-4500 mapping; stops on destroy.
   */
  private armKeepalive(st: TunnelState, sa: IkeSa): void {
    const ms = st.spec.tunnel.natKeepaliveSec * 1000;
    if (!sa.natLocal || !(ms > 0) || this.keepalives.has(sa)) return;
    const tick = (): void => {
      if (sa.state === 'destroyed') {
        this.keepalives.delete(sa);
        return;
      }
      try {
        this.deps.transport.sendKeepalive(sa.local, sa.remote);
      } catch (err) {
        this.log.warn(
          { tunnel: sa.tunnel, err: err instanceof Error ? err.message : String(err) },
          'nat keepalive not sent',
        );
      }
      this.keepalives.set(sa, this.deps.clock.setTimer(ms, tick));
    };
    this.keepalives.set(sa, this.deps.clock.setTimer(ms, tick));
  }

  private onChildSaEvent(e: ChildSaEvent): void {
    const st = this.tunnels.get(e.tunnel);
    if (!st) return;
    for (const sa of st.sas) {
      const child: ChildSa | undefined =
        e.direction === 'in' ? sa.childByInboundSpi(e.spi) : sa.childByOutboundSpi(e.spi);
      if (!child) continue;
      if (e.kind === 'soft-expire') sa.requestChildRekey(child, e.reason);
      else sa.removeChild(child);
    }
  }

  // --- datagrams ---------------------------------------------------------------------------

  receive(data: Buffer, local: Endpoint, remote: Endpoint): void {
    let msg: DecodedMessage;
    try {
      msg = decodeMessage(data);
    } catch {
      this.dropped++;
      return;
    }
    const h = msg.header;
    if (h.exchangeType === ExchangeType.IKE_SA_INIT && !isResponse(h)) {
      this.receiveInitRequest(msg, local, remote);
      return;
    }
    const ourSpi = isInitiator(h) ? h.spiR : h.spiI;
    const sa = this.bySpi.get(ourSpi);
    if (!sa) {
      this.dropped++;
      return;
    }
    sa.receive(msg, remote, local);
  }

  private tunnelForPeer(address: string): TunnelState | undefined {
    for (const st of this.tunnels.values()) {
      if (!st.removed && this.remoteOf(st.spec).address === address) return st;
    }
    return undefined;
  }

  private receiveInitRequest(msg: DecodedMessage, local: Endpoint, remote: Endpoint): void {
    const h = msg.header;
    const key = `${remote.address}|${remote.port}|${spiHex(h.spiI)}`;
    const existing = this.byInit.get(key);
    if (existing && existing.state !== 'destroyed') {
      // Only a retransmission (Message ID 0) belongs to it; anything else is forged or corrupt.
      if (h.messageId !== 0) {
        this.dropped++;
        return;
      }
      existing.receive(msg, remote, local);
      return;
    }
    if (h.spiR !== 0n || h.messageId !== 0) {
      this.dropped++;
      return;
    }
    const st = this.tunnelForPeer(remote.address);
    if (!st) {
      this.log.warn({ peer: remote.address }, 'IKE_SA_INIT from unknown peer ignored');
      this.dropped++;
      return;
    }
    if (this.halfOpenCount() >= this.cookieThreshold && !this.cookies.check(msg, remote)) {
      this.deps.transport.send(this.cookies.response(msg, remote), local, remote);
      return;
    }
    const sa = this.newSa(st, { initiator: false, spiI: h.spiI }, remote, local);
    this.byInit.set(key, sa);
    sa.receive(msg, remote, local);
    this.deps.clock.setTimer(this.halfOpenTimeoutMs, () => {
      if (sa.state === 'created' || sa.state === 'connecting') sa.destroy('half-open timeout');
    });
  }

  /** Responder SAs still in IKE_SA_INIT/IKE_AUTH (the §2.6 half-open count). */
  halfOpenCount(): number {
    let n = 0;
    for (const sa of this.byInit.values())
      if (sa.state === 'created' || sa.state === 'connecting') n++;
    return n;
  }

  // --- views -------------------------------------------------------------------------------

  /** IKE SAs of a tunnel (or all), for tests and the API. */
  sas(tunnel?: string): IkeSa[] {
    const out: IkeSa[] = [];
    for (const [name, st] of this.tunnels)
      if (tunnel === undefined || tunnel === name) out.push(...st.sas);
    return out;
  }

  snapshot(): IkeSaSnapshot[] {
    const now = this.deps.clock.now();
    return this.sas().map((sa) => snapshotOf(sa, now));
  }
}

function minNonce(sa: IkeSa): Buffer {
  return Buffer.compare(sa.nonceI, sa.nonceR) <= 0 ? sa.nonceI : sa.nonceR;
}

function pathKey(p: EspPath): string {
  return `${p.local.address}|${p.local.port}|${p.remote.address}|${p.remote.port}|${p.udpEncap}`;
}
