/**
 * The Security Association Database of the ESP data plane: per tunnel, the inbound SAs by SPI
 * (several at once during a rekey) and ONE outbound SA. It implements IKE's `ChildSaInstaller`
 * port structurally (IKE never imports ESP).
 *
 * Make-before-break (RFC 7296 §2.8): IKE adds the new inbound SA first, then switches the outbound
 * SA; the old inbound SA keeps decrypting until IKE deletes it. Lifetimes (soft: ask for a rekey;
 * hard: remove) run on the injected Clock and on kilobytes of inner traffic (1 KB = 1024 bytes,
 * counted per SA and direction); outbound sequence exhaustion (sequence.ts) raises the same events
 * with reason 'sequence'.
 */
import type { ChildSaEvent, ChildSaParams, EspPath, SaCounters } from '../ike/ports.js';
import type { Clock, Timer } from '../lib/clock.js';
import { ENCRYPTION, INTEGRITY, espEncKeyBytes } from '../crypto/transforms.js';
import type { EncryptionName, IntegrityName } from '../crypto/transforms.js';
import { ReplayWindow } from './replay.js';
import { OutboundSequence } from './sequence.js';

export type Direction = 'in' | 'out';

interface SaBase {
  readonly tunnel: string;
  readonly params: ChildSaParams;
  readonly installedMs: number;
  packets: bigint;
  bytes: bigint;
  lastUsedMs: number | null;
  softSent: boolean;
  timers: Timer[];
}

/** An inbound SA as the data path uses it. */
export interface InboundSa extends SaBase {
  readonly direction: 'in';
  readonly replay: ReplayWindow;
}

/** The outbound SA of a tunnel. */
export interface OutboundSa extends SaBase {
  readonly direction: 'out';
  readonly seq: OutboundSequence;
}

interface TunnelEntry {
  readonly inbound: Map<number, InboundSa>;
  outbound: OutboundSa | null;
  path: EspPath | null;
}

/** Read-only view of one SA for `show crypto ipsec sa` (no keys). */
export interface SaSnapshot {
  readonly tunnel: string;
  readonly spi: number;
  readonly direction: Direction;
  readonly encryption: EncryptionName;
  readonly integrity: IntegrityName | null;
  readonly esn: boolean;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly ageMs: number;
  /** Outbound: last sequence number used; inbound: highest authenticated one. */
  readonly seq: bigint;
}

const KB = 1024n;

export class EspSad {
  private readonly clock: Clock;
  private readonly tunnelsByName = new Map<string, TunnelEntry>();
  private readonly inboundBySpi = new Map<number, InboundSa>();
  private readonly listeners: ((e: ChildSaEvent) => void)[] = [];

  constructor(clock: Clock) {
    this.clock = clock;
  }

  // ---- ChildSaInstaller -------------------------------------------------------------------

  addInbound(tunnel: string, sa: ChildSaParams, path: EspPath): void {
    validateParams(sa);
    const spi = sa.spi >>> 0;
    const existing = this.inboundBySpi.get(spi);
    if (existing && existing.tunnel !== tunnel) {
      throw new Error(`inbound SPI 0x${spi.toString(16)} already in use by another tunnel`);
    }
    const t = this.entry(tunnel);
    if (existing) this.removeInbound(t, existing);
    t.path = path;
    const isa: InboundSa = {
      ...this.base(tunnel, sa),
      direction: 'in',
      replay: new ReplayWindow(sa.replayWindow),
    };
    t.inbound.set(spi, isa);
    this.inboundBySpi.set(spi, isa);
    this.armLifetime(isa);
  }

  /**
   * `startSeq` (not part of the port) is the last sequence number already used: tests and the
   * native cross-check start near the 2^32 / 2^64 limits with it.
   */
  setOutbound(tunnel: string, sa: ChildSaParams, path: EspPath, startSeq = 0n): void {
    validateParams(sa);
    const t = this.entry(tunnel);
    if (t.outbound) this.cancelTimers(t.outbound);
    t.path = path;
    const osa: OutboundSa = {
      ...this.base(tunnel, sa),
      direction: 'out',
      seq: new OutboundSequence(sa.esn, startSeq),
    };
    t.outbound = osa;
    this.armLifetime(osa);
  }

  delete(tunnel: string, spi: number, direction: Direction): void {
    const t = this.tunnelsByName.get(tunnel);
    if (!t) return;
    const sa = this.find(t, spi >>> 0, direction);
    if (sa) this.remove(t, sa);
  }

  updatePath(tunnel: string, path: EspPath): void {
    this.entry(tunnel).path = path;
  }

  counters(tunnel: string, spi: number, direction: Direction): SaCounters | null {
    const t = this.tunnelsByName.get(tunnel);
    const sa = t ? this.find(t, spi >>> 0, direction) : undefined;
    if (!sa) return null;
    return { packets: sa.packets, bytes: sa.bytes, lastUsedMs: sa.lastUsedMs };
  }

  onEvent(listener: (event: ChildSaEvent) => void): void {
    this.listeners.push(listener);
  }

  // ---- data-path side ------------------------------------------------------------------

  /** The inbound SA for an SPI, whatever its tunnel. */
  inbound(spi: number): InboundSa | undefined {
    return this.inboundBySpi.get(spi >>> 0);
  }

  outbound(tunnel: string): OutboundSa | undefined {
    return this.tunnelsByName.get(tunnel)?.outbound ?? undefined;
  }

  path(tunnel: string): EspPath | null {
    return this.tunnelsByName.get(tunnel)?.path ?? null;
  }

  /** A tunnel is up (VTI line protocol) while it has an outbound SA. */
  isUp(tunnel: string): boolean {
    return this.outbound(tunnel) !== undefined;
  }

  /**
   * Count one packet of `innerBytes` on `sa` and enforce kilobyte lifetimes. Returns false when
   * the hard byte limit was reached by this packet (the SA has been removed).
   */
  account(sa: InboundSa | OutboundSa, innerBytes: number): boolean {
    sa.packets += 1n;
    sa.bytes += BigInt(innerBytes);
    sa.lastUsedMs = this.clock.now();
    const life = sa.params.lifetime;
    if (life.hardKb !== null && sa.bytes >= BigInt(life.hardKb) * KB) {
      this.expireHard(sa, 'bytes');
      return false;
    }
    if (life.softKb !== null && !sa.softSent && sa.bytes >= BigInt(life.softKb) * KB) {
      this.expireSoft(sa, 'bytes');
    }
    return true;
  }

  /** Soft event for the outbound SA whose sequence number reached the soft threshold. */
  sequenceSoft(sa: OutboundSa): void {
    if (!sa.softSent) this.expireSoft(sa, 'sequence');
  }

  /** The outbound SA ran out of sequence numbers: hard event, SA removed. */
  sequenceExhausted(sa: OutboundSa): void {
    this.expireHard(sa, 'sequence');
  }

  /** Snapshot of every SA, for show/JSON; never contains key material. */
  snapshot(): SaSnapshot[] {
    const now = this.clock.now();
    const out: SaSnapshot[] = [];
    for (const t of this.tunnelsByName.values()) {
      const all: (InboundSa | OutboundSa)[] = [...t.inbound.values()];
      if (t.outbound) all.push(t.outbound);
      for (const sa of all) {
        out.push({
          tunnel: sa.tunnel,
          spi: sa.params.spi >>> 0,
          direction: sa.direction,
          encryption: sa.params.encryption,
          integrity: sa.params.integrity,
          esn: sa.params.esn,
          packets: sa.packets,
          bytes: sa.bytes,
          ageMs: now - sa.installedMs,
          seq: sa.direction === 'in' ? sa.replay.top : sa.seq.current,
        });
      }
    }
    return out;
  }

  /** Remove every SA and timer of a tunnel (tunnel deleted from the configuration). */
  removeTunnel(tunnel: string): void {
    const t = this.tunnelsByName.get(tunnel);
    if (!t) return;
    for (const sa of [...t.inbound.values()]) this.removeInbound(t, sa);
    if (t.outbound) this.cancelTimers(t.outbound);
    this.tunnelsByName.delete(tunnel);
  }

  // ---- internals ---------------------------------------------------------------------------

  private entry(tunnel: string): TunnelEntry {
    let t = this.tunnelsByName.get(tunnel);
    if (!t) {
      t = { inbound: new Map(), outbound: null, path: null };
      this.tunnelsByName.set(tunnel, t);
    }
    return t;
  }

  private base(tunnel: string, params: ChildSaParams): SaBase {
    return {
      tunnel,
      params,
      installedMs: this.clock.now(),
      packets: 0n,
      bytes: 0n,
      lastUsedMs: null,
      softSent: false,
      timers: [],
    };
  }

  private find(t: TunnelEntry, spi: number, dir: Direction): InboundSa | OutboundSa | undefined {
    if (dir === 'in') return t.inbound.get(spi);
    return t.outbound && t.outbound.params.spi >>> 0 === spi ? t.outbound : undefined;
  }

  private armLifetime(sa: InboundSa | OutboundSa): void {
    const life = sa.params.lifetime;
    if (life.softSec !== null) {
      sa.timers.push(
        this.clock.setTimer(life.softSec * 1000, () => {
          if (!sa.softSent) this.expireSoft(sa, 'time');
        }),
      );
    }
    if (life.hardSec !== null) {
      sa.timers.push(
        this.clock.setTimer(life.hardSec * 1000, () => {
          this.expireHard(sa, 'time');
        }),
      );
    }
  }

  private expireSoft(sa: InboundSa | OutboundSa, reason: 'time' | 'bytes' | 'sequence'): void {
    sa.softSent = true;
    this.emit({
      kind: 'soft-expire',
      tunnel: sa.tunnel,
      spi: sa.params.spi >>> 0,
      direction: sa.direction,
      reason,
    });
  }

  private expireHard(sa: InboundSa | OutboundSa, reason: 'time' | 'bytes' | 'sequence'): void {
    const t = this.tunnelsByName.get(sa.tunnel);
    if (!t || this.find(t, sa.params.spi >>> 0, sa.direction) !== sa) return;
    this.remove(t, sa);
    this.emit({
      kind: 'hard-expire',
      tunnel: sa.tunnel,
      spi: sa.params.spi >>> 0,
      direction: sa.direction,
      reason,
    });
  }

  private remove(t: TunnelEntry, sa: InboundSa | OutboundSa): void {
    if (sa.direction === 'in') {
      this.removeInbound(t, sa);
    } else {
      this.cancelTimers(sa);
      t.outbound = null;
    }
  }

  private removeInbound(t: TunnelEntry, sa: InboundSa): void {
    this.cancelTimers(sa);
    const spi = sa.params.spi >>> 0;
    t.inbound.delete(spi);
    if (this.inboundBySpi.get(spi) === sa) this.inboundBySpi.delete(spi);
  }

  private cancelTimers(sa: SaBase): void {
    for (const timer of sa.timers) timer.cancel();
    sa.timers.length = 0;
  }

  private emit(e: ChildSaEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function validateParams(sa: ChildSaParams): void {
  const e = ENCRYPTION[sa.encryption];
  if (sa.encKey.length !== espEncKeyBytes(sa.encryption)) {
    throw new Error(
      `${sa.encryption}: encryption key must be ${espEncKeyBytes(sa.encryption)} bytes`,
    );
  }
  if (e.aead) {
    if (sa.integrity !== null) throw new Error(`${sa.encryption} takes no integrity transform`);
    return;
  }
  if (sa.integrity === null || sa.integKey === null) {
    throw new Error(`${sa.encryption} needs an integrity transform`);
  }
  if (sa.integKey.length !== INTEGRITY[sa.integrity].keyBytes) {
    throw new Error(
      `${sa.integrity}: integrity key must be ${INTEGRITY[sa.integrity].keyBytes} bytes`,
    );
  }
}

/** Manual keying input (config `manual-sa`): hex keys, one SPI per direction. */
export interface ManualSaInput {
  readonly encryption: EncryptionName;
  readonly integrity: IntegrityName | null;
  readonly spiIn: number;
  readonly spiOut: number;
  /** GCM: key || 4-byte salt. */
  readonly encKeyInHex: string;
  readonly encKeyOutHex: string;
  readonly integKeyInHex?: string;
  readonly integKeyOutHex?: string;
  readonly esn?: boolean;
  readonly replayWindow?: number;
}

function keyFromHex(hex: string, what: string): Buffer {
  const clean = hex.replace(/[\s:]/g, '').replace(/^0x/i, '');
  // The value is a secret: the message names the field, never its content.
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new Error(`${what}: not hex`);
  return Buffer.from(clean, 'hex');
}

/**
 * Build both directions of a manually keyed SA pair (no IKE, no lifetimes). Validates key sizes;
 * errors name the field, never the key.
 */
export function manualSaPair(m: ManualSaInput): {
  inbound: ChildSaParams;
  outbound: ChildSaParams;
} {
  const lifetime = { softSec: null, hardSec: null, softKb: null, hardKb: null };
  const common = {
    encryption: m.encryption,
    integrity: m.integrity,
    esn: m.esn ?? false,
    replayWindow: m.replayWindow ?? 1024,
    lifetime,
  };
  const integ = (hex: string | undefined, what: string): Buffer | null => {
    if (m.integrity === null) return null;
    if (hex === undefined) throw new Error(`${what}: required for ${m.integrity}`);
    return keyFromHex(hex, what);
  };
  const inbound: ChildSaParams = {
    ...common,
    spi: m.spiIn >>> 0,
    encKey: keyFromHex(m.encKeyInHex, 'inbound encryption key'),
    integKey: integ(m.integKeyInHex, 'inbound integrity key'),
  };
  const outbound: ChildSaParams = {
    ...common,
    spi: m.spiOut >>> 0,
    encKey: keyFromHex(m.encKeyOutHex, 'outbound encryption key'),
    integKey: integ(m.integKeyOutHex, 'outbound integrity key'),
  };
  validateParams(inbound);
  validateParams(outbound);
  return { inbound, outbound };
}
