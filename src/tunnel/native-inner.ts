/**
 * The native data path's inner-packet helpers (native/src/datapath_inner.cc, datapath_gso.cc) on
 * single packets. The data path runs them in its own threads; these entry points exist so tests can
 * hold them against the TypeScript references (mss-clamp.ts, icmp-too-big.ts).
 */
import { native } from '../native.js';

interface InnerAddon {
  innerClampMss(packet: Buffer, maxMss: number): boolean;
  innerTooBig(packet: Buffer, mtu: number, source: Buffer): Buffer | null;
  innerGsoSplit(vnetPacket: Buffer): Buffer[];
}

function addon(): InnerAddon {
  return native() as unknown as InnerAddon;
}

/** Clamp the MSS option of a SYN in place; true when changed. */
export function nativeClampMss(packet: Buffer, maxMss: number): boolean {
  return addon().innerClampMss(packet, maxMss);
}

/** The ICMP(v6) too-big answer to `packet`, from `source` (4 or 16 bytes), or null. */
export function nativeIcmpTooBig(packet: Buffer, mtu: number, source: Buffer): Buffer | null {
  return addon().innerTooBig(packet, mtu, source);
}

/** Split a TUN read (virtio_net_hdr + packet) into wire-size packets. */
export function nativeGsoSplit(vnetPacket: Buffer): Buffer[] {
  return addon().innerGsoSplit(vnetPacket);
}
