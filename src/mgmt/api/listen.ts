/** API listen addresses: "127.0.0.1:9180", "[::1]:9180", "0.0.0.0:9180", "[::]:9180". */
import { isIP } from 'node:net';

export const DEFAULT_API_LISTEN = '127.0.0.1:9180';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parse HOST:PORT (IPv6 in brackets); also accepts "localhost". Returns null when malformed. */
export function parseListen(s: string): ListenAddress | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const host = m[1] ?? '';
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) return null;
  if (host !== 'localhost' && isIP(host) === 0) return null;
  return { host, port };
}

export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost": addresses only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The base URL a client uses to reach a listen address ("0.0.0.0" is reached via loopback). */
export function listenUrl(a: ListenAddress): string {
  let host = a.host;
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
}
