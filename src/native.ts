/**
 * The sole loader of the N-API addon (native/). Only `esp`, `tunnel` and `kernel` import this file.
 * The addon is built by `npm ci` (the package's install script runs node-gyp) or `npm run build:native`.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Functions the addon exports. Each concern adds its own members (see native/src/nvad.h). */
export interface NativeAddon {
  opensslVersion(): { text: string; number: number; hasAesGcm: boolean };
  /** sockopt.cc: unconnected non-blocking TCP socket bound to `localAddress`, sending with `ttl`. */
  tcpSocket(localAddress: string, ttl: number): number;
  /** sockopt.cc: IP_TTL / IPV6_UNICAST_HOPS (and IP_TTL for IPv4-mapped peers on IPv6 sockets). */
  setTtl(fd: number, ttl: number): void;
  /** sockopt.cc: the unicast TTL / hop limit the socket sends with. */
  getTtl(fd: number): number;
  /** sockopt.cc: IP_MINTTL / IPV6_MINHOPCOUNT (RFC 5082 GTSM). */
  setMinTtl(fd: number, ttl: number): void;
  [name: string]: unknown;
}

let cached: NativeAddon | undefined;

function packageRoot(): string {
  // src/native.ts and dist/native.js both sit one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

export function addonPath(): string {
  return join(packageRoot(), 'native', 'build', 'Release', 'nvad.node');
}

/** Load the addon once; throws a clear error naming the build command when it is missing. */
export function native(): NativeAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(`native addon not built (${path}); run "npm run build:native"`);
  }
  const require = createRequire(import.meta.url);
  const addon = require(path) as NativeAddon;
  const ssl = addon.opensslVersion();
  // OpenSSL 3.x: the fast path relies on EVP_CIPHER_CTX reuse semantics of 3.0+.
  if (!ssl.hasAesGcm || ssl.number < 0x30000000) {
    throw new Error(`the node binary's OpenSSL (${ssl.text}) is not usable for the ESP fast path`);
  }
  cached = addon;
  return addon;
}
