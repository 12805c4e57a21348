/**
 * Ports the IKE control plane declares and the composition root wires to concrete implementations.
 * IKE never imports ESP: it calls a ChildSaInstaller (strongSwan's kernel_ipsec_t), which tests
 * replace with a recording fake. Implementations match these shapes structurally.
 */
import type { EncryptionName, IntegrityName } from '../crypto/transforms.js';

/** One direction of a child SA, as the data plane needs it. */
export interface ChildSaParams {
  /** SPI carried in this direction's ESP headers (uint32). */
  readonly spi: number;
  readonly encryption: EncryptionName;
  /** null for AEAD (GCM) transforms. */
  readonly integrity: IntegrityName | null;
  /** Encryption key; for GCM the key followed by the 4-byte salt (RFC 4106 §8.1). */
  readonly encKey: Buffer;
  readonly integKey: Buffer | null;
  /** 64-bit extended sequence numbers (RFC 4303 §2.2.1). */
  readonly esn: boolean;
  /** Anti-replay window in packets (inbound); 0 disables replay checking. */
  readonly replayWindow: number;
  readonly lifetime: SaLifetime;
}

export interface SaLifetime {
  /** Seconds after install that a soft event asks for a rekey; null: none. */
  readonly softSec: number | null;
  /** Seconds after install that the SA expires and is removed. */
  readonly hardSec: number | null;
  readonly softKb: number | null;
  readonly hardKb: number | null;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Outer addressing of a tunnel's ESP: UDP-encapsulated on 4500 (RFC 3948) or raw protocol 50. */
export interface EspPath {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly udpEncap: boolean;
}

export interface SaCounters {
  readonly packets: bigint;
  readonly bytes: bigint;
  /** Monotonic ms of the last packet, or null when none yet (on-demand DPD uses this). */
  readonly lastUsedMs: number | null;
}

export type ChildSaEvent =
  | {
      readonly kind: 'soft-expire';
      readonly tunnel: string;
      readonly spi: number;
      readonly direction: 'in' | 'out';
      readonly reason: 'time' | 'bytes' | 'sequence';
    }
  | {
      readonly kind: 'hard-expire';
      readonly tunnel: string;
      readonly spi: number;
      readonly direction: 'in' | 'out';
      readonly reason: 'time' | 'bytes' | 'sequence';
    };

/**
 * Install, switch and delete child SAs of a tunnel. Make-before-break rekey: the new inbound SA is
 * added first, the outbound one is switched after, the old inbound SA keeps decrypting until it is
 * deleted.
 */
export interface ChildSaInstaller {
  addInbound(tunnel: string, sa: ChildSaParams, path: EspPath): void;
  /** Make `sa` the tunnel's outbound SA; the tunnel interface is up while one is installed. */
  setOutbound(tunnel: string, sa: ChildSaParams, path: EspPath): void;
  delete(tunnel: string, spi: number, direction: 'in' | 'out'): void;
  /** The peer's NAT mapping changed (RFC 7296 §2.23): send ESP to the new port. */
  updatePath(tunnel: string, path: EspPath): void;
  counters(tunnel: string, spi: number, direction: 'in' | 'out'): SaCounters | null;
  onEvent(listener: (event: ChildSaEvent) => void): void;
}

/** IKE datagrams in and out. Port 4500 is shared with ESP; the non-ESP marker is added/removed below. */
export interface IkeTransport {
  send(data: Buffer, from: Endpoint, to: Endpoint): void;
  /** RFC 3948 §2.3 NAT-keepalive (a single 0xFF byte) from our NAT-T endpoint `from`. */
  sendKeepalive(from: Endpoint, to: Endpoint): void;
  onReceive(listener: (data: Buffer, local: Endpoint, remote: Endpoint) => void): void;
}
