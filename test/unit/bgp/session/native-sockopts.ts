/**
 * The native addon's socket options as the BGP transport's TcpSocketOptions port (what the
 * composition root wires in production), for tests that run real sockets.
 */
import { native } from '../../../../src/native.js';
import type { TcpSocketOptions } from '../../../../src/bgp/session/transport.js';

export function nativeSocketOptions(): TcpSocketOptions {
  const addon = native();
  return {
    openTcpSocket: (localAddress, ttl) => addon.tcpSocket(localAddress, ttl),
    setTtl: (fd, ttl) => {
      addon.setTtl(fd, ttl);
    },
  };
}
