import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { silentLogger } from '../../../../src/lib/log.js';
import { systemClock } from '../../../../src/lib/clock.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import {
  BgpConnection,
  BgpListeners,
  MessageFramer,
  normalizeAddress,
  tcpConnector,
  type IncomingConnection,
} from '../../../../src/bgp/session/transport.js';
import { encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import { HeaderErrorSubcode } from '../../../../src/bgp/wire/constants.js';

const KEEPALIVE = encodeMessageBytes({ type: 'KEEPALIVE' }, { as4: false });
const NOTIF = encodeMessageBytes(
  { type: 'NOTIFICATION', notification: { errorCode: 6, subcode: 2, data: new Uint8Array(0) } },
  { as4: false },
);

function headerError(f: () => unknown): BgpNotificationError {
  try {
    f();
  } catch (e) {
    if (e instanceof BgpNotificationError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('MessageFramer (RFC 4271 §4.1 framing, §6.1 header checks)', () => {
  it('reassembles messages split at every byte and several per chunk', () => {
    const stream = Buffer.concat([KEEPALIVE, NOTIF, KEEPALIVE]);
    const f = new MessageFramer();
    const out: Buffer[] = [];
    for (const b of stream) out.push(...f.push(Uint8Array.of(b)));
    expect(out.map((m) => m.length)).toEqual([19, 21, 19]);
    expect(Buffer.concat(out).equals(stream)).toBe(true);
    const g = new MessageFramer();
    expect(g.push(stream.subarray(0, 30)).length).toBe(1);
    expect(g.pending).toBe(11);
    expect(g.push(stream.subarray(30)).length).toBe(2);
    expect(g.pending).toBe(0);
  });

  it('a marker that is not all ones is Connection Not Synchronized', () => {
    const bad = Buffer.from(KEEPALIVE);
    bad[3] = 0;
    const e = headerError(() => new MessageFramer().push(bad));
    expect(e.errorCode).toBe(1);
    expect(e.subcode).toBe(HeaderErrorSubcode.CONNECTION_NOT_SYNCHRONIZED);
  });

  it('lengths below 19 and above 4096 are Bad Message Length with the length as data', () => {
    for (const len of [18, 4097]) {
      const bad = Buffer.from(KEEPALIVE);
      bad.writeUInt16BE(len, 16);
      const e = headerError(() => new MessageFramer().push(bad));
      expect(e.subcode).toBe(HeaderErrorSubcode.BAD_MESSAGE_LENGTH);
      expect(Buffer.from(e.data).readUInt16BE(0)).toBe(len);
    }
  });

  it('4096 is accepted: the framer waits for the whole message', () => {
    const big = Buffer.alloc(4096, 0);
    big.fill(0xff, 0, 16);
    big.writeUInt16BE(4096, 16);
    big[18] = 2;
    const f = new MessageFramer();
    expect(f.push(big.subarray(0, 4000))).toEqual([]);
    expect(f.push(big.subarray(4000)).map((m) => m.length)).toEqual([4096]);
  });
});

describe('TCP transport on loopback', () => {
  it('normalizes IPv4-mapped addresses', () => {
    expect(normalizeAddress('::ffff:169.254.21.1')).toBe('169.254.21.1');
    expect(normalizeAddress('FE80::1')).toBe('fe80::1');
  });

  it('listener + connector bound to a local address carry framed messages both ways', async () => {
    // Find a free port first.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const addr = probe.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    await new Promise<void>((r) =>
      probe.close(() => {
        r();
      }),
    );

    const incoming: IncomingConnection[] = [];
    const l = new BgpListeners({
      clock: systemClock,
      log: silentLogger(),
      port,
      onConnection: (c) => incoming.push(c),
    });
    l.listen(BgpListeners.addressesFor(['127.0.0.1']));
    await l.ready();
    expect(l.bound).toEqual(['127.0.0.1']);
    const client = await new Promise<BgpConnection>((resolve, reject) => {
      tcpConnector(
        { remoteAddress: '127.0.0.1', port, localAddress: '127.0.0.2', ttl: 64 },
        (err, s, local) => {
          if (err || !s) {
            reject(err ?? new Error('no socket'));
            return;
          }
          expect(local).toBe('127.0.0.2');
          resolve(
            new BgpConnection(
              s,
              { localAddress: local, remoteAddress: '127.0.0.1', locallyInitiated: true },
              systemClock,
            ),
          );
        },
      );
    });
    while (incoming.length === 0) await new Promise((r) => setImmediate(r));
    const inc = incoming[0];
    if (!inc) throw new Error('no incoming connection');
    expect(inc.remoteAddress).toBe('127.0.0.2');
    expect(inc.localAddress).toBe('127.0.0.1');
    const server = new BgpConnection(
      inc.socket,
      { localAddress: inc.localAddress, remoteAddress: inc.remoteAddress, locallyInitiated: false },
      systemClock,
    );
    const got: number[] = [];
    const state = { serverClosed: false };
    server.attach({
      message: (m) => got.push(m.length),
      error: () => undefined,
      closed: () => (state.serverClosed = true),
    });
    client.attach({ message: () => undefined, error: () => undefined, closed: () => undefined });
    // Send in two writes that split a message.
    const stream = Buffer.concat([KEEPALIVE, NOTIF]);
    client.send(stream.subarray(0, 25));
    client.send(stream.subarray(25));
    client.close();
    for (let i = 0; i < 200 && !state.serverClosed; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([19, 21]);
    expect(state.serverClosed).toBe(true);
    l.close();
  });
});
