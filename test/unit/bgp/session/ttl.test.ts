/**
 * `ebgp-multihop` TTL: the choice (FRR `peer->ttl`: eBGP 1 or the multihop value, iBGP 255) and
 * the native socket options behind the transport's TcpSocketOptions port, over loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { native } from '../../../../src/native.js';
import {
  applyTtl,
  EBGP_DEFAULT_TTL,
  IBGP_TTL,
  sessionTtl,
  socketFd,
  ttlConnector,
  type ConnectRequest,
} from '../../../../src/bgp/session/transport.js';
import { duplexPair } from './harness.js';
import { nativeSocketOptions } from './native-sockopts.js';

describe('sessionTtl (FRR/Catalyst defaults)', () => {
  it.each([
    { name: 'directly connected eBGP', localAs: 65002, remoteAs: 65515, hop: undefined, ttl: 1 },
    { name: 'eBGP with ebgp-multihop 2', localAs: 65002, remoteAs: 65515, hop: 2, ttl: 2 },
    {
      name: 'eBGP with ebgp-multihop true (255)',
      localAs: 65002,
      remoteAs: 65515,
      hop: 255,
      ttl: 255,
    },
    { name: 'iBGP', localAs: 65002, remoteAs: 65002, hop: undefined, ttl: 255 },
    { name: 'iBGP ignores ebgp-multihop', localAs: 65002, remoteAs: 65002, hop: 2, ttl: 255 },
  ])('$name → TTL $ttl', ({ localAs, remoteAs, hop, ttl }) => {
    expect(sessionTtl({ localAs, remoteAs, ebgpMultihop: hop })).toBe(ttl);
  });

  it('constants match FRR (BGP_DEFAULT_TTL 1, MAXTTL 255)', () => {
    expect(EBGP_DEFAULT_TTL).toBe(1);
    expect(IBGP_TTL).toBe(255);
  });
});

describe('ttlConnector and applyTtl (native sockopt.cc over loopback)', () => {
  const servers: Server[] = [];
  const sockets: Duplex[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) s.close();
  });

  async function listen(host: string): Promise<{ port: number; accepted: Socket[] }> {
    const accepted: Socket[] = [];
    const srv = createServer((s) => {
      accepted.push(s);
      sockets.push(s);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, host, r));
    const a = srv.address();
    return { port: typeof a === 'object' && a ? a.port : 0, accepted };
  }

  function dial(req: ConnectRequest): Promise<{ sock: Duplex; local: string | undefined }> {
    return new Promise((resolve, reject) => {
      ttlConnector(nativeSocketOptions())(req, (err, sock, local) => {
        if (err || !sock) {
          reject(err ?? new Error('no socket'));
          return;
        }
        sockets.push(sock);
        resolve({ sock, local });
      });
    });
  }

  it('IPv4: bound to the update-source, the connected socket sends with the requested TTL', async () => {
    const { port, accepted } = await listen('127.0.0.1');
    const { sock, local } = await dial({
      remoteAddress: '127.0.0.1',
      port,
      localAddress: '127.0.0.2',
      ttl: 2,
    });
    expect(local).toBe('127.0.0.2');
    const fd = socketFd(sock);
    expect(fd).toBeTypeOf('number');
    expect(native().getTtl(fd ?? -1)).toBe(2);
    // Data flows over the wrapped fd.
    sock.write('hello');
    await expect.poll(() => accepted.length).toBe(1);
    const got = await new Promise<string>((r) => {
      accepted[0]?.once('data', (d: Buffer) => {
        r(d.toString());
      });
    });
    expect(got).toBe('hello');
  });

  it('IPv6 without update-source: wildcard bind, hop limit set', async () => {
    const { port } = await listen('::1');
    const { sock, local } = await dial({
      remoteAddress: '::1',
      port,
      localAddress: undefined,
      ttl: 1,
    });
    expect(local).toBe('::1');
    expect(native().getTtl(socketFd(sock) ?? -1)).toBe(1);
  });

  it('applyTtl sets an accepted connection; streams without an fd are left alone', async () => {
    const { port, accepted } = await listen('127.0.0.1');
    await dial({ remoteAddress: '127.0.0.1', port, localAddress: undefined, ttl: 64 });
    await expect.poll(() => accepted.length).toBe(1);
    const inc = accepted[0];
    if (!inc) throw new Error('no accepted socket');
    expect(native().getTtl(socketFd(inc) ?? -1)).toBe(64);
    expect(applyTtl(inc, 1, nativeSocketOptions())).toBe(true);
    expect(native().getTtl(socketFd(inc) ?? -1)).toBe(1);
    const [a] = duplexPair();
    expect(socketFd(a)).toBeUndefined();
    expect(applyTtl(a, 1, nativeSocketOptions())).toBe(false);
  });

  it('an update-source that is not a local address fails asynchronously (EADDRNOTAVAIL)', async () => {
    const calls: (Error | undefined)[] = [];
    const req = { remoteAddress: '127.0.0.1', port: 9, localAddress: '192.0.2.77', ttl: 1 };
    ttlConnector(nativeSocketOptions())(req, (err) => calls.push(err));
    expect(calls).toEqual([]); // never re-enters the caller (the FSM) synchronously
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]?.message).toMatch(/Cannot assign requested address/);
  });

  it('a refused connection reports ECONNREFUSED and no socket', async () => {
    const { port } = await listen('127.0.0.1');
    servers.pop()?.close();
    await new Promise((r) => setTimeout(r, 20));
    await expect(
      dial({ remoteAddress: '127.0.0.1', port, localAddress: undefined, ttl: 1 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects TTLs outside 1..255 natively', () => {
    expect(() => native().tcpSocket('127.0.0.1', 0)).toThrow(/1\.\.255/);
    expect(() => native().tcpSocket('127.0.0.1', 256)).toThrow(/1\.\.255/);
  });
});
