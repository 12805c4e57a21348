/**
 * The native ESP fast path (native/src/esp*.cc): SAs on pre-keyed OpenSSL contexts, batched
 * seal/open (one N-API call per batch, never per packet), replay/ESN in C++. Byte-for-byte the
 * same ESP as the TypeScript reference (`wire.ts`). This is the only file in `esp/` that imports
 * `native.ts`.
 *
 * Counters live in native memory mapped into JS as a BigUint64Array (no call per read); slots and
 * drop codes are fixed in native/src/esp_drop.h and mirror `drop-reason.ts`.
 */
import { ENCRYPTION } from '../crypto/transforms.js';
import type { ChildSaParams } from '../ike/ports.js';
import { native } from '../native.js';
import { DROP_REASON } from './drop-reason.js';

/** Drop codes only the native path produces (appended after `DROP_REASON`). */
export const NATIVE_DROP = { 'no-buffer': 13, crypto: 14 } as const;
/** Drop code slots in a counter block (native kDropCount). */
export const NATIVE_DROP_SLOTS = 16;

/** Per-SA counter slots (native/src/esp_drop.h SaCounterSlot). */
export const SA_SLOT = {
  packets: 0,
  bytes: 1,
  seq: 2,
  lastUsedMs: 3,
  flags: 4,
  dropBase: 8,
} as const;
export const SA_COUNTER_SLOTS = SA_SLOT.dropBase + NATIVE_DROP_SLOTS;
/** Bits of the flags slot. */
export const SA_FLAG = { seqSoft: 1n, seqHard: 2n } as const;

/** Global (SAD / datapath) counter slots (native/src/esp_sad.h GlobalCounterSlot). */
export const GLOBAL_SLOT = {
  rxPackets: 0,
  ikePackets: 1,
  keepalives: 2,
  txPackets: 3,
  tunRead: 4,
  tunWrite: 5,
  mssClamped: 6,
  tooBig: 7,
  ioErrors: 8,
  dropBase: 16,
} as const;

export type NativeHandle = object;

interface NativeCreated {
  handle: NativeHandle;
  counters: ArrayBuffer;
}

interface NativeSaConfig {
  spi: number;
  direction: 'in' | 'out';
  cipher: 'gcm' | 'cbc';
  integrity: string | null;
  encKey: Buffer;
  integKey: Buffer | null;
  esn: boolean;
  replayWindow: number;
  nextSeq?: bigint;
  replayTop?: bigint;
}

interface NativeOneResult {
  drop: number;
  packet: Buffer | null;
  nextHeader?: number;
}

type BatchFn = (
  target: NativeHandle,
  inSlab: Uint8Array,
  inOffsets: Uint32Array,
  inLengths: Uint32Array,
  count: number,
  outSlab: Uint8Array,
  outOffsets: Uint32Array,
  outCapacity: number,
  outLengths: Uint32Array,
  results: Uint8Array,
) => number;

/** The ESP part of the addon. */
export interface EspAddon {
  espSaCreate(cfg: NativeSaConfig): NativeCreated;
  espSaDestroy(handle: NativeHandle): void;
  espSadCreate(): NativeCreated;
  espSadAdd(sad: NativeHandle, sa: NativeHandle, tunnelIndex: number): void;
  espSadRemove(sad: NativeHandle, spi: number): boolean;
  espSealOne(
    sa: NativeHandle,
    inner: Buffer,
    iv: Buffer | null,
    nextHeader: number | null,
  ): NativeOneResult;
  espOpenOne(sa: NativeHandle, esp: Buffer): NativeOneResult;
  espSealBatch: BatchFn;
  espOpenBatch: BatchFn;
}

export function espAddon(): EspAddon {
  return native() as unknown as EspAddon;
}

/** Options beyond ChildSaParams, for tests and vectors. */
export interface NativeSaOptions {
  /** Outbound: the first sequence number to use (default 1). */
  readonly nextSeq?: bigint;
  /** Inbound: the highest sequence number already authenticated (default 0). */
  readonly replayTop?: bigint;
}

/** Result of a per-packet seal/open: the bytes, or a numeric drop code. */
export type NativeOutcome =
  | { readonly ok: true; readonly packet: Buffer; readonly nextHeader: number }
  | { readonly ok: false; readonly drop: number };

/** One direction of an SA in native memory. Keys are copied into OpenSSL and wiped from C++. */
export class NativeEspSa {
  readonly spi: number;
  readonly direction: 'in' | 'out';
  readonly handle: NativeHandle;
  /** Live counters (see SA_SLOT); read without a native call. */
  readonly counters: BigUint64Array;
  private readonly addon: EspAddon;

  constructor(params: ChildSaParams, direction: 'in' | 'out', options: NativeSaOptions = {}) {
    this.addon = espAddon();
    const cfg: NativeSaConfig = {
      spi: params.spi >>> 0,
      direction,
      cipher: ENCRYPTION[params.encryption].aead ? 'gcm' : 'cbc',
      integrity: params.integrity,
      encKey: params.encKey,
      integKey: params.integKey,
      esn: params.esn,
      replayWindow: params.replayWindow,
    };
    if (options.nextSeq !== undefined) cfg.nextSeq = options.nextSeq;
    if (options.replayTop !== undefined) cfg.replayTop = options.replayTop;
    const created = this.addon.espSaCreate(cfg);
    this.spi = params.spi >>> 0;
    this.direction = direction;
    this.handle = created.handle;
    this.counters = new BigUint64Array(created.counters);
  }

  get packets(): bigint {
    return this.counters[SA_SLOT.packets] ?? 0n;
  }
  get bytes(): bigint {
    return this.counters[SA_SLOT.bytes] ?? 0n;
  }
  /** Outbound: last sequence number used; inbound: highest authenticated one. */
  get seq(): bigint {
    return this.counters[SA_SLOT.seq] ?? 0n;
  }
  /** CLOCK_MONOTONIC milliseconds of the last good packet (process.hrtime base), 0 = never. */
  get lastUsedMs(): bigint {
    return this.counters[SA_SLOT.lastUsedMs] ?? 0n;
  }
  get seqSoftReached(): boolean {
    return ((this.counters[SA_SLOT.flags] ?? 0n) & SA_FLAG.seqSoft) !== 0n;
  }
  get seqExhausted(): boolean {
    return ((this.counters[SA_SLOT.flags] ?? 0n) & SA_FLAG.seqHard) !== 0n;
  }
  drops(code: number): bigint {
    return this.counters[SA_SLOT.dropBase + code] ?? 0n;
  }

  /** Seal one inner packet (tests and vectors). `iv` overrides the generated IV. */
  sealOne(inner: Buffer, nextHeader?: number, iv?: Buffer): NativeOutcome {
    const r = this.addon.espSealOne(this.handle, inner, iv ?? null, nextHeader ?? null);
    if (r.packet === null) return { ok: false, drop: r.drop };
    return { ok: true, packet: r.packet, nextHeader: nextHeader ?? 0 };
  }

  /** Open one ESP packet with this SA (replay window and counters are updated). */
  openOne(esp: Buffer): NativeOutcome {
    const r = this.addon.espOpenOne(this.handle, esp);
    if (r.packet === null) return { ok: false, drop: r.drop };
    return { ok: true, packet: r.packet, nextHeader: r.nextHeader ?? 0 };
  }

  /** Seal `count` packets of `batch` (in → out); returns how many were sealed. */
  sealBatch(batch: EspBatch, count: number): number {
    return this.addon.espSealBatch(
      this.handle,
      batch.inSlab,
      batch.inOffsets,
      batch.inLengths,
      count,
      batch.outSlab,
      batch.outOffsets,
      batch.slotBytes,
      batch.outLengths,
      batch.results,
    );
  }

  /** Drop the JS handle; native memory goes once no SAD, datapath or counter view holds it. */
  destroy(): void {
    this.addon.espSaDestroy(this.handle);
  }
}

/** Inbound SAs by SPI, for batched open (and the native datapath's RX threads). */
export class NativeEspSad {
  readonly handle: NativeHandle;
  /** Global counters (see GLOBAL_SLOT): unknown SPI and other SA-less drops. */
  readonly counters: BigUint64Array;
  private readonly addon: EspAddon;

  constructor() {
    this.addon = espAddon();
    const created = this.addon.espSadCreate();
    this.handle = created.handle;
    this.counters = new BigUint64Array(created.counters);
  }

  add(sa: NativeEspSa, tunnelIndex = -1): void {
    this.addon.espSadAdd(this.handle, sa.handle, tunnelIndex);
  }

  remove(spi: number): boolean {
    return this.addon.espSadRemove(this.handle, spi >>> 0);
  }

  drops(code: number): bigint {
    return this.counters[GLOBAL_SLOT.dropBase + code] ?? 0n;
  }

  /** Open `count` packets of `batch` (in → out), SPI lookup per packet; returns how many opened. */
  openBatch(batch: EspBatch, count: number): number {
    return this.addon.espOpenBatch(
      this.handle,
      batch.inSlab,
      batch.inOffsets,
      batch.inLengths,
      count,
      batch.outSlab,
      batch.outOffsets,
      batch.slotBytes,
      batch.outLengths,
      batch.results,
    );
  }
}

/**
 * Preallocated batch: `size` fixed slots of `slotBytes` in an input and an output slab, plus the
 * length/result arrays the native side reads and writes. Allocate once, reuse per batch.
 */
export class EspBatch {
  readonly size: number;
  readonly slotBytes: number;
  readonly inSlab: Buffer;
  readonly outSlab: Buffer;
  readonly inOffsets: Uint32Array;
  readonly outOffsets: Uint32Array;
  readonly inLengths: Uint32Array;
  readonly outLengths: Uint32Array;
  /** Drop code per packet after a call (0 = ok). */
  readonly results: Uint8Array;

  constructor(size: number, slotBytes = 2048) {
    this.size = size;
    this.slotBytes = slotBytes;
    this.inSlab = Buffer.alloc(size * slotBytes);
    this.outSlab = Buffer.alloc(size * slotBytes);
    this.inOffsets = new Uint32Array(size);
    this.outOffsets = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      this.inOffsets[i] = i * slotBytes;
      this.outOffsets[i] = i * slotBytes;
    }
    this.inLengths = new Uint32Array(size);
    this.outLengths = new Uint32Array(size);
    this.results = new Uint8Array(size);
  }

  /** Copy `packet` into input slot `i`. */
  setInput(i: number, packet: Uint8Array): void {
    this.inSlab.set(packet, i * this.slotBytes);
    this.inLengths[i] = packet.length;
  }

  /** View (no copy) of output slot `i` after a call. */
  output(i: number): Buffer {
    const start = i * this.slotBytes;
    return this.outSlab.subarray(start, start + (this.outLengths[i] ?? 0));
  }

  /** Make the outputs of the last call the inputs of the next one (seal → open round trips). */
  outputsToInputs(count: number): void {
    this.inSlab.set(this.outSlab.subarray(0, count * this.slotBytes));
    this.inLengths.set(this.outLengths.subarray(0, count));
  }
}

/** Name of a native drop code (DROP_REASON names plus the native-only ones). */
export function nativeDropName(code: number): string {
  for (const [name, c] of Object.entries(DROP_REASON)) if (c === code) return name;
  for (const [name, c] of Object.entries(NATIVE_DROP)) if (c === code) return name;
  return `DROP_${code}`;
}
