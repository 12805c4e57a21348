/**
 * An IKE SA (RFC 7296 §1.3–1.5, §2.8, §2.23): explicit state, SPIs (bigint), negotiated suite
 * and keys (never logged), the peer endpoint (follows NAT mapping changes, §2.23), NAT state,
 * identities, its child SAs and its TaskManager. Timers (child rekey, DPD) only queue tasks.
 */
import type { Logger } from 'pino';
import type { IkePolicy, IpsecPolicy, TunnelConfig } from '../../config/types.js';
import { deriveIkeKeys, type IkeSaKeys } from '../../crypto/keymat.js';
import { createSkCipher, type SkCipher } from '../../crypto/sk-cipher.js';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Rng } from '../../lib/rng.js';
import { IkeNotifyError } from '../errors.js';
import type { ChildSaInstaller, ChildSaParams, Endpoint, EspPath } from '../ports.js';
import { TaskManager, type TaskManagerHost } from '../task-manager.js';
import { ExchangeType, NotifyType } from '../wire/constants.js';
import type { DecodedMessage } from '../wire/message.js';
import type { InMessage, Task } from '../tasks/task.js';
import { ChildSa } from './child-sa.js';
import type { IkeEvent } from './events.js';
import type { IkeSuiteChoice } from './proposal.js';

export type IkeSaState =
  'created' | 'connecting' | 'established' | 'rekeying' | 'deleting' | 'destroyed';

export interface IkeSaOptions {
  readonly tunnel: TunnelConfig;
  readonly ikePolicy: IkePolicy;
  readonly ipsecPolicy: IpsecPolicy;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** Largest IKE message before RFC 7383 fragmentation (when the peer supports it). */
  readonly fragmentSize: number;
}

export interface IkeSaDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly installer: ChildSaInstaller;
  readonly log: Logger;
  send(data: Buffer, from: Endpoint, to: Endpoint): void;
  emit(e: IkeEvent): void;
  /** Builds the passive task for a request (kept outside to avoid import cycles). */
  responderTask(sa: IkeSa, msg: InMessage): Task;
  /** Lifecycle hooks for the SA manager. */
  onDestroyed(sa: IkeSa): void;
  onEstablished(sa: IkeSa, rekey: boolean): void;
  onPeerDead(sa: IkeSa): void;
  /** Queue a child rekey / DPD task (the task modules live outside `sa/`). */
  queueChildRekey(sa: IkeSa, child: ChildSa): void;
  queueDpd(sa: IkeSa): void;
  queueIkeRekey(sa: IkeSa): void;
  /** Delete this IKE SA with an INFORMATIONAL Delete (its lifetime ran out without a rekey). */
  queueIkeDelete(sa: IkeSa, reason: string): void;
  /** A new IKE SA of the same tunnel for an IKE rekey (§1.3.2), registered with the manager. */
  createRekeyed(
    old: IkeSa,
    role: { initiator: true; spiI: bigint } | { initiator: false; spiI: bigint },
  ): IkeSa;
}

const NAT_T_PORT = 4500;

export class IkeSa implements TaskManagerHost {
  readonly opts: IkeSaOptions;
  readonly deps: IkeSaDeps;
  readonly tm: TaskManager;
  #log: { label: string; logger: Logger } | null = null;
  state: IkeSaState = 'created';
  readonly isOriginalInitiator: boolean;
  spiI: bigint;
  spiR: bigint;
  local: Endpoint;
  remote: Endpoint;
  /** NAT detected in front of us / the peer (RFC 7296 §2.23). */
  natLocal = false;
  natRemote = false;
  peerSupportsFragmentation = false;
  suite: IkeSuiteChoice | null = null;
  #keys: IkeSaKeys | null = null;
  #cipherIn: SkCipher | null = null;
  #cipherOut: SkCipher | null = null;
  nonceI: Buffer = Buffer.alloc(0);
  nonceR: Buffer = Buffer.alloc(0);
  /** RealMessage1/2 for AUTH (RFC 7296 §2.15). */
  initRequestRaw: Buffer = Buffer.alloc(0);
  initResponseRaw: Buffer = Buffer.alloc(0);
  /** The peer's identity once authenticated, e.g. "ipv4:20.1.2.3". */
  peerIdentity: string | null = null;
  readonly children: ChildSa[] = [];
  establishedAtMs: number | null = null;
  lastInboundMs: number;
  /** Why the SA failed or was deleted, for show output. */
  lastError: string | null = null;
  /** The peer sent INITIAL_CONTACT (§2.4). */
  initialContact = false;
  private dpdTimer: Timer | null = null;
  /** Source/destination of the datagram being processed. */
  private rxPath: { from: Endpoint; to: Endpoint } | null = null;
  private ikeRekeyTimer: Timer | null = null;
  private ikeHardTimer: Timer | null = null;
  /** §2.8.2: the peer's IKE rekey that crossed ours (resolved when our response arrives). */
  peerIkeRekey: IkeSa | null = null;

  constructor(
    opts: IkeSaOptions,
    deps: IkeSaDeps,
    role: { initiator: true; spiI?: bigint } | { initiator: false; spiI: bigint },
  ) {
    this.opts = opts;
    this.deps = deps;
    this.local = opts.local;
    this.remote = opts.remote;
    this.isOriginalInitiator = role.initiator;
    this.spiI = role.spiI ?? nonZeroSpi(deps.rng);
    this.spiR = role.initiator ? 0n : nonZeroSpi(deps.rng);
    this.tm = new TaskManager(this, deps.clock);
    this.lastInboundMs = deps.clock.now();
  }

  /** Logger bound to `{ ike: 'spiI:spiR' }` (re-bound once the responder SPI is known). */
  get log(): Logger {
    const label = this.label;
    if (this.#log?.label !== label)
      this.#log = { label, logger: this.deps.log.child({ ike: label }) };
    return this.#log.logger;
  }

  get tunnel(): string {
    return this.opts.tunnel.name;
  }

  get label(): string {
    return `${spiHex(this.spiI)}:${spiHex(this.spiR)}`;
  }

  /** Our SPI (the one the SA manager indexes by). */
  get localSpi(): bigint {
    return this.isOriginalInitiator ? this.spiI : this.spiR;
  }

  get keys(): IkeSaKeys | null {
    return this.#keys;
  }

  // --- TaskManagerHost ---------------------------------------------------------------------

  cipher(dir: 'in' | 'out'): SkCipher | null {
    return dir === 'in' ? this.#cipherIn : this.#cipherOut;
  }

  sendDatagrams(datagrams: readonly Buffer[]): void {
    for (const d of datagrams) this.deps.send(d, this.local, this.remote);
  }

  responderTask(msg: InMessage): Task {
    const closing =
      this.state === 'deleting' && msg.header.exchangeType !== ExchangeType.INFORMATIONAL;
    if (this.state === 'destroyed' || closing) {
      throw new IkeNotifyError(NotifyType.TEMPORARY_FAILURE, undefined, 'SA is going away');
    }
    return this.deps.responderTask(this, msg);
  }

  fragmentSize(): number | null {
    return this.peerSupportsFragmentation ? this.opts.fragmentSize : null;
  }

  onTimeout(task: Task): void {
    if (this.state === 'destroyed') return;
    this.log.warn({ task: task.type }, 'peer not responding, declaring it dead');
    this.lastError = `no response to ${task.type}`;
    this.deps.emit({ type: 'peer-dead', tunnel: this.tunnel, peer: this.remote.address });
    this.deps.onPeerDead(this);
    this.destroy('peer dead');
  }

  onTaskFailed(task: Task, role: 'initiator' | 'responder'): void {
    if (task.type === 'ike-init' || task.type === 'ike-auth') {
      const reason = this.lastError ?? `${task.type} failed as ${role}`;
      this.deps.emit({
        type: 'ike:sa:failed',
        tunnel: this.tunnel,
        peer: this.remote.address,
        reason,
      });
      this.destroy(reason);
    } else if (task.type === 'child-create' || task.type === 'child-rekey') {
      this.deps.emit({
        type: 'child:failed',
        tunnel: this.tunnel,
        reason: this.lastError ?? `${task.type} failed`,
      });
    } else if (task.type === 'ike-delete') {
      this.destroy('deleted');
    } else if (task.type === 'ike-rekey' && role === 'initiator') {
      // Refused (e.g. TEMPORARY_FAILURE during a collision): try again before the hard lifetime.
      const retryMs = Math.min(30_000, (this.opts.ikePolicy.lifetimeSec * 1000) / 8);
      this.ikeRekeyTimer?.cancel();
      this.ikeRekeyTimer = this.deps.clock.setTimer(retryMs, () => {
        if (this.state === 'established') this.deps.queueIkeRekey(this);
      });
    }
  }

  onAuthenticated(msg: InMessage): void {
    this.lastInboundMs = this.deps.clock.now();
    const rx = this.rxPath;
    if (rx === null || msg.header.exchangeType === ExchangeType.IKE_SA_INIT) return;
    if (!(this.natRemote || this.natLocal)) return;
    const { from, to } = rx;
    if (from.address === this.remote.address && from.port === this.remote.port) return;
    // §2.23: behind a NAT, follow the peer's address/port of an authenticated message (before
    // the answer goes out, so e.g. the IKE_AUTH response reaches the peer's 4500 mapping).
    const first = this.establishedAtMs === null;
    this.remote = from;
    this.local = to;
    if (first) return;
    this.log.info({ mapping: `${from.address}:${from.port}` }, 'peer NAT mapping changed');
    this.deps.installer.updatePath(this.tunnel, this.espPath());
  }

  // --- datagrams ---------------------------------------------------------------------------

  /** A datagram routed here by the SA manager; `from` is its source (NAT mapping, §2.23). */
  receive(msg: DecodedMessage, from: Endpoint, to: Endpoint): void {
    if (this.state === 'destroyed') return;
    this.rxPath = { from, to };
    try {
      this.tm.receive(msg);
    } finally {
      this.rxPath = null;
    }
  }

  // --- keys and NAT ------------------------------------------------------------------------

  /** Derive and activate IKE SA keys (RFC 7296 §2.14) from SKEYSEED. */
  setKeys(suite: IkeSuiteChoice, skeyseed: Buffer): void {
    this.suite = suite;
    const keys = deriveIkeKeys(suite, skeyseed, this.nonceI, this.nonceR, this.spiI, this.spiR);
    this.#keys = keys;
    const i = createSkCipher(
      {
        encryption: suite.encryption,
        integrity: suite.integrity,
        encKey: keys.skEi,
        integKey: suite.integrity ? keys.skAi : null,
      },
      this.deps.rng,
    );
    const r = createSkCipher(
      {
        encryption: suite.encryption,
        integrity: suite.integrity,
        encKey: keys.skEr,
        integKey: suite.integrity ? keys.skAr : null,
      },
      this.deps.rng,
    );
    this.#cipherOut = this.isOriginalInitiator ? i : r;
    this.#cipherIn = this.isOriginalInitiator ? r : i;
  }

  /** Once NAT is detected, IKE moves to port 4500 (RFC 7296 §2.23) and ESP is UDP-encapsulated. */
  switchToNatT(): void {
    if (!(this.natLocal || this.natRemote)) return;
    if (this.local.port !== NAT_T_PORT)
      this.local = { address: this.local.address, port: NAT_T_PORT };
    if (this.isOriginalInitiator && this.remote.port !== NAT_T_PORT) {
      this.remote = { address: this.remote.address, port: NAT_T_PORT };
    }
  }

  espPath(): EspPath {
    return { local: this.local, remote: this.remote, udpEncap: this.natLocal || this.natRemote };
  }

  // --- lifecycle ---------------------------------------------------------------------------

  markEstablished(rekey = false): void {
    this.state = 'established';
    this.establishedAtMs = this.deps.clock.now();
    this.log.info(
      {
        suite: this.suite,
        nat: this.natLocal || this.natRemote,
      },
      'ike sa established',
    );
    this.deps.emit({
      type: 'ike:sa:established',
      tunnel: this.tunnel,
      peer: this.remote.address,
      spiI: this.spiI,
      spiR: this.spiR,
      rekey,
    });
    this.deps.onEstablished(this, rekey);
    this.armDpd();
    this.ikeRekeyTimer = this.deps.clock.setTimer(
      this.rekeyDelayMs(this.opts.ikePolicy.lifetimeSec),
      () => {
        if (this.state === 'established') this.deps.queueIkeRekey(this);
      },
    );
    // Hard lifetime: an IKE SA that could not be rekeyed in time is deleted (the tunnel starts
    // over) instead of living on past its lifetime.
    this.ikeHardTimer = this.deps.clock.setTimer(this.opts.ikePolicy.lifetimeSec * 1000, () => {
      if (this.state !== 'established' && this.state !== 'rekeying') return;
      this.log.warn('ike sa lifetime expired without a rekey; deleting it');
      this.deps.queueIkeDelete(this, 'lifetime expired');
    });
  }

  /** Copy what survives an IKE rekey (§2.18) from the old SA and take over its child SAs. */
  inheritFrom(old: IkeSa): void {
    this.natLocal = old.natLocal;
    this.natRemote = old.natRemote;
    this.peerSupportsFragmentation = old.peerSupportsFragmentation;
    this.peerIdentity = old.peerIdentity;
  }

  adoptChildren(old: IkeSa): void {
    for (const c of old.children.splice(0)) {
      c.stopTimers();
      this.children.push(c);
      if (c.state === 'installed' && c.replacedBy === null) {
        const age = this.deps.clock.now() - c.createdAtMs;
        const delay = Math.max(1, this.rekeyDelayMs(this.opts.ipsecPolicy.lifetimeSec) - age);
        c.rekeyTimer = this.deps.clock.setTimer(delay, () => {
          this.requestChildRekey(c, 'time');
        });
      }
    }
  }

  // --- child SAs ---------------------------------------------------------------------------

  private params(child: ChildSa, dir: 'in' | 'out'): ChildSaParams {
    const k = child.keys(dir);
    const p = this.opts.ipsecPolicy;
    return {
      spi: dir === 'in' ? child.spiIn : child.spiOut,
      encryption: child.suite.encryption,
      integrity: child.suite.integrity,
      encKey: k.encKey,
      integKey: child.suite.integrity === null ? null : k.integKey,
      esn: child.suite.esn,
      replayWindow: dir === 'in' ? p.replayWindow : 0,
      lifetime: {
        softSec: null,
        hardSec: p.lifetimeSec,
        softKb: Math.floor(p.lifetimeKilobytes * 0.9),
        hardKb: p.lifetimeKilobytes,
      },
    };
  }

  /** Install a new child SA: inbound first, then (unless deferred) outbound (make-before-break). */
  installChild(child: ChildSa, opts: { outbound: boolean; rekey: boolean }): void {
    this.children.push(child);
    this.deps.installer.addInbound(this.tunnel, this.params(child, 'in'), this.espPath());
    if (opts.outbound) this.installOutbound(child);
    child.state = 'installed';
    this.log.info(
      { child: child.label, suite: child.suite, rekey: opts.rekey },
      'child sa installed',
    );
    this.deps.emit({
      type: 'child:installed',
      tunnel: this.tunnel,
      spiIn: child.spiIn,
      spiOut: child.spiOut,
      rekey: opts.rekey,
    });
    this.armChildRekey(child);
  }

  installOutbound(child: ChildSa): void {
    if (child.outboundInstalled) return;
    this.deps.installer.setOutbound(this.tunnel, this.params(child, 'out'), this.espPath());
    child.outboundInstalled = true;
  }

  /** Remove a child SA from the data plane and from this IKE SA. */
  removeChild(child: ChildSa): void {
    if (child.state === 'deleted') return;
    child.stopTimers();
    // A rekey responder still waiting for the Delete switches outbound now.
    if (
      child.replacedBy &&
      !child.replacedBy.outboundInstalled &&
      child.replacedBy.state !== 'deleted'
    ) {
      this.installOutbound(child.replacedBy);
    }
    this.deps.installer.delete(this.tunnel, child.spiIn, 'in');
    if (child.outboundInstalled) this.deps.installer.delete(this.tunnel, child.spiOut, 'out');
    child.state = 'deleted';
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    this.log.info({ child: child.label }, 'child sa deleted');
    this.deps.emit({
      type: 'child:deleted',
      tunnel: this.tunnel,
      spiIn: child.spiIn,
      spiOut: child.spiOut,
    });
  }

  /**
   * Make this SA's current child the tunnel's outbound SA again (after a duplicate went away).
   * The SA manager calls this only when that SPI is not already outbound (see its
   * `reassertOutbound`): re-installing it would restart the ESP sequence at 1.
   */
  reassertOutbound(): void {
    const c = this.currentChild;
    if (c === undefined) return;
    this.deps.installer.setOutbound(this.tunnel, this.params(c, 'out'), this.espPath());
    c.outboundInstalled = true;
  }

  childByInboundSpi(spi: number): ChildSa | undefined {
    return this.children.find((c) => c.spiIn === spi);
  }

  childByOutboundSpi(spi: number): ChildSa | undefined {
    return this.children.find((c) => c.spiOut === spi);
  }

  /** The child SA that currently carries traffic (installed, not replaced). */
  get currentChild(): ChildSa | undefined {
    return this.children.find(
      (c) => c.replacedBy === null && (c.state === 'installed' || c.state === 'rekeying'),
    );
  }

  /** Rekey timer: lifetime minus a margin with jitter from the Rng (strongSwan rekey/rand time). */
  rekeyDelayMs(lifetimeSec: number): number {
    const margin = Math.min(540, lifetimeSec / 10);
    const jitter = this.deps.rng.fraction() * margin * 0.5;
    return Math.max(1, Math.round((lifetimeSec - margin - jitter) * 1000));
  }

  private armChildRekey(child: ChildSa): void {
    child.rekeyTimer = this.deps.clock.setTimer(
      this.rekeyDelayMs(this.opts.ipsecPolicy.lifetimeSec),
      () => {
        this.requestChildRekey(child, 'time');
      },
    );
  }

  /** Queue a rekey of `child` (timer or installer soft-expire). */
  requestChildRekey(child: ChildSa, reason: 'time' | 'bytes' | 'sequence' | 'manual'): void {
    if (this.state !== 'established' || child.state !== 'installed' || child.replacedBy !== null)
      return;
    if (this.tm.hasQueued('child-rekey')) return;
    this.log.info({ child: child.label, reason }, 'child sa rekey due');
    this.deps.queueChildRekey(this, child);
  }

  // --- DPD ---------------------------------------------------------------------------------

  private armDpd(delayMs?: number): void {
    const dpd = this.opts.tunnel.dpd;
    if (dpd.intervalSec <= 0) return;
    this.dpdTimer?.cancel();
    this.dpdTimer = this.deps.clock.setTimer(delayMs ?? dpd.intervalSec * 1000, () => {
      this.onDpdTimer();
    });
  }

  /**
   * `dpd INTERVAL RETRIES periodic|on-demand` (docs/configuration.md): periodic probes once the
   * peer has been silent for the interval; on-demand only when ESP went out but nothing came in
   * for the interval. The timer follows the last packet heard, so the first probe goes exactly
   * one interval after it (and the peer is dead `interval × retries` after it, see ike-dpd.ts).
   */
  private onDpdTimer(): void {
    if (this.state !== 'established') return;
    const dpd = this.opts.tunnel.dpd;
    const now = this.deps.clock.now();
    const intervalMs = dpd.intervalSec * 1000;
    let lastHeard = this.lastInboundMs;
    let probe = now - lastHeard >= intervalMs;
    if (dpd.mode === 'on-demand') {
      const child = this.currentChild;
      const out = child ? this.deps.installer.counters(this.tunnel, child.spiOut, 'out') : null;
      const inn = child ? this.deps.installer.counters(this.tunnel, child.spiIn, 'in') : null;
      const lastOut = out?.lastUsedMs ?? null;
      const lastIn = Math.max(inn?.lastUsedMs ?? this.establishedAtMs ?? 0, this.lastInboundMs);
      lastHeard = lastIn;
      probe = lastOut !== null && lastOut > lastIn && now - lastIn >= intervalMs;
    }
    if (probe && !this.tm.hasQueued('ike-dpd')) this.deps.queueDpd(this);
    const untilDue = lastHeard + intervalMs - now;
    this.armDpd(probe || untilDue <= 0 ? intervalMs : Math.max(50, untilDue));
  }

  /** Tear down locally: children out of the data plane, timers stopped. */
  destroy(reason: string): void {
    if (this.state === 'destroyed') return;
    const wasEstablished = this.establishedAtMs !== null;
    this.state = 'destroyed';
    this.dpdTimer?.cancel();
    this.ikeRekeyTimer?.cancel();
    this.ikeHardTimer?.cancel();
    this.tm.destroy(reason);
    for (const c of [...this.children]) this.removeChild(c);
    if (wasEstablished) {
      this.deps.emit({
        type: 'ike:sa:deleted',
        tunnel: this.tunnel,
        peer: this.remote.address,
        spiI: this.spiI,
        spiR: this.spiR,
        reason,
      });
    }
    this.log.info({ reason }, 'ike sa destroyed');
    this.deps.onDestroyed(this);
  }

  /** Our ESP SPI for a Delete payload. */
  static spiBuf(spi: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(spi >>> 0);
    return b;
  }

  toJSON(): Record<string, unknown> {
    return { ike: this.label, tunnel: this.tunnel, state: this.state };
  }
}

export function spiHex(spi: bigint): string {
  return spi.toString(16).padStart(16, '0');
}

function nonZeroSpi(rng: Rng): bigint {
  for (;;) {
    const v = rng.bytes(8).readBigUInt64BE(0);
    if (v !== 0n) return v;
  }
}

/** A fresh ESP SPI (uint32, outside the reserved 1–255 range, RFC 4303 §2.1). */
export function newEspSpi(rng: Rng): number {
  for (;;) {
    const v = rng.uint32();
    if (v > 255) return v;
  }
}
