/**
 * Per-socket IP TTL for BGP's TCP sessions (ebgp-multihop, RFC 4271 §6.8 / GTSM-style TTL 1),
 * through the native addon: the composition root hands this to the BGP component, which never
 * loads the addon itself.
 */
import { native } from '../native.js';

export interface NativeTcpSocketOptions {
  openTcpSocket(localAddress: string, ttl: number): number;
  setTtl(fd: number, ttl: number): void;
}

export function nativeTcpSocketOptions(): NativeTcpSocketOptions {
  const addon = native();
  return {
    openTcpSocket: (localAddress, ttl) => addon.tcpSocket(localAddress, ttl),
    setTtl: (fd, ttl) => {
      addon.setTtl(fd, ttl);
    },
  };
}
