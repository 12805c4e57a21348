/**
 * The TypeScript reference data path: the per-packet pipeline the native fast path must match,
 * byte for byte and drop reason for drop reason. It is slow (node:crypto objects per packet) and
 * is used by tests, by `nvad lab`, and as a fallback when the addon is unavailable.
 *
 * Outbound (TUN → network):
 *   1. tunnel has an outbound SA?                 no → 'no-sa'
 *   2. inner is IPv4 (next header 4) / IPv6 (41)? no → 'not-ip'
 *   3. MSS clamp SYN/SYN-ACK (when configured)
 *   4. larger than the tunnel MTU? → ICMP too-big back to the TUN (or silently dropped)
 *   5. next sequence number (soft event at the threshold; 'seq-overflow' at the limit)
 *   6. seal (CBC: fresh IV from the Rng), count bytes (kilobyte lifetimes)
 *   → ESP bytes, sent as the UDP/4500 payload (RFC 3948) or as IP protocol 50
 *
 * Inbound (network → TUN):
 *   UDP/4500 payload (RFC 3948 §2): one byte 0xFF → NAT keepalive (absorbed, counted);
 *   first four bytes zero (non-ESP marker) → IKE, returned without the marker; otherwise ESP.
 *   ESP: length → SPI lookup → length for the SA → seq-high inference (ESN, RFC 4303 App. A) →
 *   replay check → ICV and decrypt → replay update → padding → dummy → next header → count →
 *   MSS clamp → inner.
 */
import type { EspPath } from '../ike/ports.js';
import type { Rng } from '../lib/rng.js';
import { DROP_CODE_COUNT, DROP_REASON, type DropReason } from './drop-reason.js';
import { fullSeq, inferSeqHigh } from './esn.js';
import type { EspSad } from './sad.js';
import {
  decryptEsp,
  ESP_HEADER_BYTES,
  espLayout,
  espLengthOk,
  NEXT_HEADER,
  parseTrailer,
  sealEsp,
} from './wire.js';

export type OutboundResult =
  | {
      readonly kind: 'esp';
      readonly tunnel: string;
      readonly esp: Buffer;
      readonly path: EspPath | null;
    }
  /** The packet exceeds the tunnel MTU; `icmp` goes back into the TUN (null: dropped silently). */
  | { readonly kind: 'too-big'; readonly icmp: Buffer | null }
  | { readonly kind: 'drop'; readonly reason: DropReason };

export type InboundResult =
  | {
      readonly kind: 'inner';
      readonly tunnel: string;
      readonly packet: Buffer;
      readonly spi: number;
    }
  | { readonly kind: 'ike'; readonly data: Buffer }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'drop'; readonly reason: DropReason };

/** Per-tunnel data-path settings (from the tunnel configuration). */
export interface TunnelDataSettings {
  /** Inner MTU of the tunnel interface; larger packets are answered with ICMP too-big. */
  readonly mtu?: number;
  /** Clamp TCP MSS of SYNs in both directions to this value (IPv4) and value - 20 (IPv6). */
  readonly mssClampV4?: number;
  /** Inside addresses (ICMP error source), 4 and 16 bytes. */
  readonly insideV4?: Uint8Array;
  readonly insideV6?: Uint8Array;
}

/**
 * Inner-packet helpers (src/tunnel/mss-clamp.ts, icmp-too-big.ts), injected by the composition root
 * because `esp` does not import `tunnel`.
 */
export interface InnerPacketOps {
  clampMss(packet: Buffer, maxMss: number): boolean;
  icmpTooBig(packet: Buffer, mtu: number, source: Uint8Array): Buffer | null;
}

export class ReferenceDatapath {
  /** Drops by numeric code (DROP_REASON); index 0 unused. */
  readonly drops = new Float64Array(DROP_CODE_COUNT);
  keepalives = 0;
  ikePackets = 0;
  private readonly sad: EspSad;
  private readonly rng: Rng;
  private readonly ops: InnerPacketOps | null;
  private readonly settings = new Map<string, TunnelDataSettings>();

  /** Without `ops`, MSS clamping is skipped and oversized packets are dropped without ICMP. */
  constructor(sad: EspSad, rng: Rng, ops: InnerPacketOps | null = null) {
    this.sad = sad;
    this.rng = rng;
    this.ops = ops;
  }

  configureTunnel(tunnel: string, s: TunnelDataSettings): void {
    this.settings.set(tunnel, s);
  }

  dropCount(reason: DropReason): number {
    return this.drops[DROP_REASON[reason]] ?? 0;
  }

  /** Inner packet read from a tunnel's TUN → ESP bytes for the network. */
  encapsulate(tunnel: string, inner: Buffer): OutboundResult {
    const osa = this.sad.outbound(tunnel);
    if (!osa) return this.drop('no-sa');
    const version = inner.length > 0 ? (inner[0] ?? 0) >> 4 : 0;
    if (version !== 4 && version !== 6) return this.drop('not-ip');
    const s = this.settings.get(tunnel);
    if (s?.mssClampV4 !== undefined) this.clamp(inner, version, s.mssClampV4);
    if (s?.mtu !== undefined && inner.length > s.mtu) {
      const src = version === 4 ? s.insideV4 : s.insideV6;
      const icmp = src && this.ops ? this.ops.icmpTooBig(inner, s.mtu, src) : null;
      return { kind: 'too-big', icmp };
    }
    const next = osa.seq.next();
    if (next.kind === 'overflow') {
      this.sad.sequenceExhausted(osa);
      return this.drop('seq-overflow');
    }
    if (next.softReached) this.sad.sequenceSoft(osa);
    const nh = version === 4 ? NEXT_HEADER.IPV4 : NEXT_HEADER.IPV6;
    const iv = osa.params.integrity === null ? undefined : this.rng.bytes(16);
    const esp = sealEsp(osa.params, next.seq, inner, nh, iv);
    this.sad.account(osa, inner.length);
    return { kind: 'esp', tunnel, esp, path: this.sad.path(tunnel) };
  }

  /** Payload of a UDP datagram received on port 4500 (RFC 3948 §2). */
  receiveUdp(datagram: Buffer): InboundResult {
    if (datagram.length === 1 && datagram[0] === 0xff) {
      this.keepalives++; // RFC 3948 §2.3: NAT-keepalive, ignored by the receiver
      return { kind: 'keepalive' };
    }
    if (datagram.length < 4) return this.drop('malformed');
    if (datagram.readUInt32BE(0) === 0) {
      this.ikePackets++; // RFC 3948 §2.2: non-ESP marker, an IKE message follows
      return { kind: 'ike', data: datagram.subarray(4) };
    }
    return this.receiveEsp(datagram);
  }

  /** ESP bytes (from the SPI on): the payload of IP protocol 50 or of a UDP-encapsulated packet. */
  receiveEsp(esp: Buffer): InboundResult {
    if (esp.length < ESP_HEADER_BYTES) return this.drop('truncated');
    const spi = esp.readUInt32BE(0);
    const isa = this.sad.inbound(spi);
    if (!isa) return this.drop('unknown-spi');
    if (!espLengthOk(espLayout(isa.params), esp.length)) return this.drop('truncated');
    const seqLow = esp.readUInt32BE(4);
    const seqHigh = isa.params.esn ? inferSeqHigh(isa.replay.top, isa.replay.size, seqLow) : 0;
    const seq = fullSeq(seqHigh, seqLow);
    const replay = isa.replay.check(seq);
    if (replay !== null) return this.drop(replay);
    const plain = decryptEsp(isa.params, esp, seqHigh);
    if (typeof plain === 'string') return this.drop(plain);
    // RFC 4303 §3.4.3: the window moves once the ICV verified, whatever the trailer holds.
    isa.replay.update(seq);
    const opened = parseTrailer(plain);
    if (typeof opened === 'string') return this.drop(opened);
    // A packet that reaches the hard byte limit removes the SA but is still delivered.
    this.sad.account(isa, opened.inner.length);
    const s = this.settings.get(isa.tunnel);
    if (s?.mssClampV4 !== undefined) {
      this.clamp(opened.inner, opened.nextHeader === NEXT_HEADER.IPV4 ? 4 : 6, s.mssClampV4);
    }
    return { kind: 'inner', tunnel: isa.tunnel, packet: opened.inner, spi };
  }

  private clamp(packet: Buffer, version: 4 | 6, mssV4: number): void {
    this.ops?.clampMss(packet, version === 4 ? mssV4 : mssV4 - 20);
  }

  private drop(reason: DropReason): { kind: 'drop'; reason: DropReason } {
    const code = DROP_REASON[reason];
    this.drops[code] = (this.drops[code] ?? 0) + 1;
    return { kind: 'drop', reason };
  }
}
