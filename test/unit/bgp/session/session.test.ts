import { describe, expect, it } from 'vitest';
import { formatPrefix } from '../../../../src/lib/ip/prefix.js';
import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { decodeMessage } from '../../../../src/bgp/wire/message.js';
import { findAttr } from '../../../../src/bgp/wire/update.js';
import { formatAsPath } from '../../../../src/bgp/wire/attributes/as-path.js';
import { describeRoute } from '../../../../src/bgp/session/speaker.js';
import { BgpConnection } from '../../../../src/bgp/session/transport.js';
import { encodeMessageBytes } from '../../../../src/bgp/wire/message.js';
import { buildOpen } from '../../../../src/bgp/wire/open.js';
import { ErrorCode } from '../../../../src/bgp/wire/constants.js';
import { bgpConfig, duplexPair, flush, MemNet, neighbor } from './harness.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

/** A: 4-octet AS, active; B: Azure-like AS 65515, passive. */
function pair(opts: { bPassive?: boolean; aHold?: number; bRemoteAs?: number } = {}): {
  net: MemNet;
  a: ReturnType<MemNet['add']>;
  b: ReturnType<MemNet['add']>;
} {
  const net = new MemNet();
  const a = net.add(
    A,
    bgpConfig(
      4200000001,
      '1.1.1.1',
      [
        neighbor(B, 65515, {
          updateSource: A,
          timers: { keepaliveSec: 30, holdSec: opts.aHold ?? 90 },
        }),
      ],
      ['10.10.0.0/16'],
    ),
    { tunnels: [{ name: 'Tunnel1', address: `${A}/32` }] },
  );
  const b = net.add(
    B,
    bgpConfig(
      65515,
      '2.2.2.2',
      [neighbor(A, opts.bRemoteAs ?? 4200000001, { passive: opts.bPassive ?? true })],
      ['10.20.0.0/16', '10.21.0.0/16'],
    ),
  );
  return { net, a, b };
}

async function establish(): Promise<ReturnType<typeof pair>> {
  const p = pair();
  p.b.start();
  p.a.start();
  await flush();
  return p;
}

describe('BgpSession over in-memory TCP', () => {
  it('reaches Established, exchanges networks and End-of-RIB, counts messages', async () => {
    const { a, b } = await establish();
    expect(a.session(B)?.state).toBe('Established');
    expect(b.session(A)?.state).toBe('Established');
    const got = a.received(B).map(describeRoute).sort();
    expect(got).toEqual([
      '10.20.0.0/16 via 10.0.0.2 path 65515',
      '10.21.0.0/16 via 10.0.0.2 path 65515',
    ]);
    // B sees our 4-octet AS in the AS_PATH (both sides negotiated RFC 6793).
    expect(b.received(A).map(describeRoute)).toEqual(['10.10.0.0/16 via 10.0.0.1 path 4200000001']);
    expect(a.session(B)?.negotiated?.as4).toBe(true);
    const sum = a.summary();
    expect(sum.localAs).toBe(4200000001);
    const row = sum.neighbors[0];
    expect(row?.state).toBe('Established');
    expect(row?.pfxRcd).toBe(2);
    // OPEN + KEEPALIVE + 1 UPDATE + End-of-RIB each way.
    expect(row?.msgSent).toBe(4);
    expect(row?.msgRcvd).toBe(4);
    expect(row?.version).toBe(4);
  });

  it('sends keepalives at the negotiated interval and keeps the session up', async () => {
    const { net, a, b } = await establish();
    for (let i = 0; i < 10; i++) {
      net.clock.advance(30_000);
      await flush(5);
    }
    expect(a.session(B)?.state).toBe('Established');
    expect(a.session(B)?.view().counters.keepalivesSent).toBeGreaterThanOrEqual(10);
    expect(b.session(A)?.view().counters.keepalivesRcvd).toBeGreaterThanOrEqual(10);
  });

  it('hold timer expiry sends NOTIFICATION 4 and withdraws the routes', async () => {
    const { net, a } = await establish();
    const downs: string[] = [];
    a.onSessionChange((_n, up, reason) => {
      if (!up) downs.push(reason);
    });
    const withdrawn: string[] = [];
    a.onRoutes((e) => withdrawn.push(...e.withdrawn.map(formatPrefix)));
    for (const l of net.links) l.blackhole = true;
    net.clock.advance(91_000);
    await flush();
    const v = a.session(B)?.view();
    expect(v?.state).not.toBe('Established');
    expect(v?.lastNotificationSent).toBe('HOLD_TIMER_EXPIRED/UNSPECIFIC');
    expect(downs).toEqual(['hold timer expired']);
    expect(withdrawn.sort()).toEqual(['10.20.0.0/16', '10.21.0.0/16']);
    expect(a.received(B)).toEqual([]);
  });

  it('rejects a wrong peer AS with OPEN Message Error / Bad Peer AS', async () => {
    const { a, b } = pair({ bRemoteAs: 65003 });
    b.start();
    a.start();
    await flush();
    expect(b.session(A)?.view().lastNotificationSent).toBe('OPEN_MESSAGE_ERROR/BAD_PEER_AS');
    expect(a.session(B)?.view().lastNotificationRcvd).toBe('OPEN_MESSAGE_ERROR/BAD_PEER_AS');
    expect(a.session(B)?.state).toBe('Idle');
  });

  it('ManualStop sends Cease/Administrative Shutdown with the RFC 9003 text', async () => {
    const { a, b } = await establish();
    a.stop('maintenance window');
    await flush();
    expect(a.session(B)?.state).toBe('Idle');
    expect(b.session(A)?.view().lastNotificationRcvd).toBe(
      'CEASE/ADMINISTRATIVE_SHUTDOWN "maintenance window"',
    );
    expect(b.received(A)).toEqual([]);
  });

  it('route refresh: the peer gets a callback and re-sends its routes', async () => {
    const { a, b } = await establish();
    const refreshed: string[] = [];
    b.onRouteRefresh((n, m) => refreshed.push(`${n} ${m.afi}/${m.safi}`));
    const before = b.session(A)?.view().counters.updatesSent ?? 0;
    let announced = 0;
    a.onRoutes((e) => (announced += e.announced.length));
    expect(a.requestRouteRefresh(B)).toBe(1);
    await flush();
    expect(refreshed).toEqual([`${A} 1/1`]);
    // One UPDATE with both prefixes, plus End-of-RIB.
    expect((b.session(A)?.view().counters.updatesSent ?? 0) - before).toBe(2);
    expect(announced).toBe(2);
  });

  it('tunnelDown closes the session at once; tunnelUp reconnects at once', async () => {
    const { a, b } = await establish();
    expect(a.tunnelDown('Tunnel1')).toEqual([B]);
    await flush();
    expect(a.session(B)?.state).toBe('Idle');
    expect(b.session(A)?.state).not.toBe('Established');
    expect(a.tunnelUp('Tunnel1')).toEqual([B]);
    await flush();
    expect(a.session(B)?.state).toBe('Established');
    expect(a.session(B)?.view().counters.dropped).toBe(1);
    expect(a.received(B)).toHaveLength(2);
  });

  it('connection collision (RFC 4271 §6.8): the higher BGP Identifier keeps its connection', async () => {
    const { net, a, b } = pair({ bPassive: false });
    net.staggerIncoming = true;
    a.start();
    b.start();
    await flush(40);
    const va = a.session(B)?.view();
    const vb = b.session(A)?.view();
    expect(va?.state).toBe('Established');
    expect(vb?.state).toBe('Established');
    // 2.2.2.2 > 1.1.1.1: B's outgoing connection survives, A's is dumped with Cease/7.
    expect(vb?.lastNotificationSent).toBe('CEASE/CONNECTION_COLLISION_RESOLUTION');
    expect(va?.lastNotificationRcvd).toBe('CEASE/CONNECTION_COLLISION_RESOLUTION');
    expect(va?.counters.dropped).toBe(0);
    expect(vb?.counters.dropped).toBe(0);
    expect(a.received(B)).toHaveLength(2);
    expect(b.received(A)).toHaveLength(1);
    expect(va?.counters.established).toBe(1);
    expect(vb?.counters.established).toBe(1);
  });

  it('answers a bad marker with Message Header Error / Connection Not Synchronized', async () => {
    const { b } = pair();
    b.start();
    const [ours, theirs] = duplexPair();
    const chunks: Buffer[] = [];
    ours.on('data', (c: Buffer) => chunks.push(c));
    b.handleIncoming({ socket: theirs, localAddress: B, remoteAddress: A });
    ours.write(Buffer.alloc(19));
    await flush();
    const all = Buffer.concat(chunks);
    // OPEN first (type 1), then NOTIFICATION (type 3) with code 1 subcode 1.
    expect(all[18]).toBe(1);
    const openLen = all.readUInt16BE(16);
    const notif = all.subarray(openLen);
    expect(notif[18]).toBe(3);
    expect(notif[19]).toBe(ErrorCode.MESSAGE_HEADER_ERROR);
    expect(notif[20]).toBe(1);
    // RFC 4271 §8.2.2 OpenSent + BGPHeaderErr → Idle (automatic restart after IdleHold).
    expect(b.session(A)?.state).toBe('Idle');
    expect(b.session(A)?.view().lastError).toContain('CONNECTION_NOT_SYNCHRONIZED');
  });

  it('an OPEN from an unknown neighbor address is refused', async () => {
    const { b } = pair();
    b.start();
    const [ours, theirs] = duplexPair();
    let closed = false;
    ours.on('close', () => (closed = true));
    b.handleIncoming({ socket: theirs, localAddress: B, remoteAddress: '10.9.9.9' });
    ours.write(
      encodeMessageBytes(
        { type: 'OPEN', open: buildOpen({ localAs: 1, holdTimeSec: 90, bgpId: 1, families: [] }) },
        { as4: false },
      ),
    );
    await flush();
    expect(closed).toBe(true);
    expect(b.session(A)?.view().counters.msgRcvd).toBe(0);
  });

  it('a 2-octet peer gets AS_TRANS in OPEN and AS_PATH, AS4_PATH with the real AS', async () => {
    const net = new MemNet();
    const a = net.add(A, bgpConfig(4200000001, '1.1.1.1', [neighbor(B, 65515)], ['10.10.0.0/16']));
    const [ours, theirs] = duplexPair();
    const chunks: Buffer[] = [];
    ours.on('data', (c: Buffer) => chunks.push(c));
    // A is passive-accepting here: hand it the connection directly.
    a.start();
    a.session(B)?.accept(
      new BgpConnection(
        theirs,
        { localAddress: A, remoteAddress: B, locallyInitiated: false },
        net.clock,
      ),
    );
    await flush();
    const open = Buffer.concat(chunks);
    expect(open[18]).toBe(1);
    expect(open.readUInt16BE(20)).toBe(23456); // My AS = AS_TRANS (RFC 6793 §4.1)
    chunks.length = 0;
    // The peer: AS 65515 without the 4-octet AS capability, then KEEPALIVE.
    const peerOpen = {
      ...buildOpen({ localAs: 65515, holdTimeSec: 90, bgpId: 0x02020202, families: [] }),
    };
    ours.write(
      encodeMessageBytes(
        {
          type: 'OPEN',
          open: {
            ...peerOpen,
            capabilities: peerOpen.capabilities.filter((c) => c.kind !== 'four-octet-as'),
          },
        },
        { as4: false },
      ),
    );
    ours.write(encodeMessageBytes({ type: 'KEEPALIVE' }, { as4: false }));
    await flush();
    expect(a.session(B)?.state).toBe('Established');
    expect(a.session(B)?.negotiated?.as4).toBe(false);
    const stream = Buffer.concat(chunks);
    const msgs: Buffer[] = [];
    for (let off = 0; off < stream.length; off += stream.readUInt16BE(off + 16)) {
      msgs.push(stream.subarray(off, off + stream.readUInt16BE(off + 16)));
    }
    const update = msgs
      .map((m) => decodeMessage(m, { as4: false }))
      .find(
        (m) => m.type === 'UPDATE' && m.result.kind === 'update' && m.result.update.nlri.length > 0,
      );
    expect(update?.type).toBe('UPDATE');
    if (update?.type !== 'UPDATE' || update.result.kind !== 'update') return;
    // The 2-octet AS_PATH carries AS_TRANS; AS4_PATH restores 4200000001 (RFC 6793 §4.2.3).
    const raw = msgs.find((m) => m[18] === 2 && m.length > 23);
    expect(raw?.includes(Buffer.from([0x5b, 0xa0]))).toBe(true);
    const asPath = findAttr(update.result.update.attributes, 'AS_PATH');
    expect(asPath ? formatAsPath(asPath.segments) : '').toBe('4200000001');
  });
});

describe('received routes', () => {
  it('drops a route whose AS_PATH carries our own AS (RFC 4271 §9.1.2 loop detection)', async () => {
    const net = new MemNet();
    const a = net.add(A, bgpConfig(65002, '1.1.1.1', [neighbor(B, 65515)]));
    // B is a transit that re-advertises A's AS: 65515 65002.
    const b = net.add(B, bgpConfig(65515, '2.2.2.2', [neighbor(A, 65002, { passive: true })]));
    b.start();
    a.start();
    await flush();
    expect(a.session(B)?.state).toBe('Established');
    const looped = {
      withdrawn: [],
      attributes: [
        { type: 'ORIGIN' as const, flags: 0x40, origin: 0 },
        {
          type: 'AS_PATH' as const,
          flags: 0x40,
          segments: [{ type: 2 as const, asns: [65515, 65002] }],
        },
        { type: 'NEXT_HOP' as const, flags: 0x40, nextHop: mustParseIp(B) },
      ],
      nlri: [{ addr: mustParseIp('10.10.0.0'), len: 16 }],
    };
    expect(b.sendUpdate(A, looped)).toBe(true);
    expect(
      b.sendUpdate(A, {
        ...looped,
        attributes: [
          looped.attributes[0],
          { ...looped.attributes[1], segments: [{ type: 2 as const, asns: [65515] }] },
          looped.attributes[2],
        ],
        nlri: [{ addr: mustParseIp('10.30.0.0'), len: 16 }],
      } as typeof looped),
    ).toBe(true);
    await flush();
    expect(a.received(B).map(describeRoute)).toEqual(['10.30.0.0/16 via 10.0.0.2 path 65515']);
  });
});

describe('routing contexts sharing a neighbor address', () => {
  it('matches incoming connections by local address (multi-tunnel design)', async () => {
    const net = new MemNet();
    const gw = '10.0.255.254';
    const nva = net.add(
      '192.168.255.254',
      bgpConfig(64900, '192.168.255.254', [
        neighbor(gw, 65515, {
          routingContext: 'outside-one',
          updateSource: '192.168.255.254',
          passive: true,
        }),
        neighbor(gw, 65515, {
          routingContext: 'outside-two',
          updateSource: '172.16.1.4',
          passive: true,
        }),
      ]),
    );
    nva.start();
    const keys = nva.summary().neighbors.map((n) => n.neighbor);
    expect(keys).toEqual([`outside-one/${gw}`, `outside-two/${gw}`]);
    // The gateway opens one connection to each local address.
    const [o1, t1] = duplexPair();
    const [o2, t2] = duplexPair();
    nva.handleIncoming({ socket: t2, localAddress: '172.16.1.4', remoteAddress: gw });
    await flush();
    expect(nva.session(`outside-two/${gw}`)?.state).toBe('OpenSent');
    expect(nva.session(`outside-one/${gw}`)?.state).toBe('Active');
    nva.handleIncoming({ socket: t1, localAddress: '192.168.255.254', remoteAddress: gw });
    await flush();
    expect(nva.session(`outside-one/${gw}`)?.state).toBe('OpenSent');
    o1.destroy();
    o2.destroy();
  });
});

/** A raw 2-octet-AS peer (AS 65515) speaking bytes to speaker A, which accepts the connection. */
async function rawPeer(): Promise<{
  a: ReturnType<MemNet['add']>;
  send: (hex: string) => Promise<void>;
  rx: Buffer[];
}> {
  const net = new MemNet();
  const a = net.add(A, bgpConfig(65002, '1.1.1.1', [neighbor(B, 65515)]));
  const [ours, theirs] = duplexPair();
  const rx: Buffer[] = [];
  ours.on('data', (c: Buffer) => rx.push(c));
  a.start();
  a.session(B)?.accept(
    new BgpConnection(
      theirs,
      { localAddress: A, remoteAddress: B, locallyInitiated: false },
      net.clock,
    ),
  );
  const open = buildOpen({ localAs: 65515, holdTimeSec: 90, bgpId: 0x02020202, families: [] });
  ours.write(
    encodeMessageBytes(
      {
        type: 'OPEN',
        open: {
          ...open,
          capabilities: open.capabilities.filter((c) => c.kind !== 'four-octet-as'),
        },
      },
      { as4: false },
    ),
  );
  ours.write(encodeMessageBytes({ type: 'KEEPALIVE' }, { as4: false }));
  await flush();
  const send = async (bodyHex: string): Promise<void> => {
    const body = Buffer.from(bodyHex.replace(/\s+/g, ''), 'hex');
    const hdr = Buffer.alloc(19, 0xff);
    hdr.writeUInt16BE(19 + body.length, 16);
    hdr[18] = 2;
    ours.write(Buffer.concat([hdr, body]));
    await flush();
  };
  return { a, send, rx };
}

// UPDATE bodies (RFC 4271 §4.3): withdrawn len | attrs len | ORIGIN | AS_PATH (2-octet) | NEXT_HOP | NLRI.
const ATTRS_OK = '0000 0012 40010100 4002040201ffeb 4003040a000002';
const ATTRS_BAD_ORIGIN = '0000 0012 40010105 4002040201ffeb 4003040a000002';

describe('RFC 7606 outcomes on a live session', () => {
  it('an invalid ORIGIN is treat-as-withdraw: the route goes, the session stays', async () => {
    const { a, send } = await rawPeer();
    expect(a.session(B)?.state).toBe('Established');
    await send(`${ATTRS_OK} 100a32`);
    expect(a.received(B).map(describeRoute)).toEqual(['10.50.0.0/16 via 10.0.0.2 path 65515']);
    await send(`${ATTRS_BAD_ORIGIN} 100a32`); // RFC 7606 §7.1
    expect(a.received(B)).toEqual([]);
    expect(a.session(B)?.state).toBe('Established');
  });

  it('a Withdrawn Routes Length past the message end resets the session (UPDATE Message Error)', async () => {
    const { a, send, rx } = await rawPeer();
    await send('00ff 0000');
    expect(a.session(B)?.state).toBe('Idle');
    const v = a.session(B)?.view();
    expect(v?.lastNotificationSent).toMatch(/^UPDATE_MESSAGE_ERROR\//);
    const all = Buffer.concat(rx);
    // The last message we sent is that NOTIFICATION (type 3, code 3).
    let off = 0;
    let last = Buffer.alloc(0);
    while (off < all.length) {
      const len = all.readUInt16BE(off + 16);
      last = all.subarray(off, off + len);
      off += len;
    }
    expect([last[18], last[19]]).toEqual([3, 3]);
  });
});
