/**
 * Inbound max-prefixes in the speaker, on the fake clock: a raw peer (the test, over an in-memory
 * connection) announces prefixes to speaker A, which has `max-prefixes` for it.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/lib/log.js';
import { formatPrefix, parsePrefix, type Prefix } from '../../../../src/lib/ip/prefix.js';
import type { MaxPrefixPolicy } from '../../../../src/bgp/policy/max-prefixes.js';
import { buildOriginUpdates, buildWithdraw } from '../../../../src/bgp/session/originate.js';
import type { BgpSpeaker, RoutesEvent } from '../../../../src/bgp/session/speaker.js';
import { BgpConnection } from '../../../../src/bgp/session/transport.js';
import { encodeMessageBytes, type BgpMessage } from '../../../../src/bgp/wire/message.js';
import { buildOpen } from '../../../../src/bgp/wire/open.js';
import { bgpConfig, duplexPair, flush, MemNet, neighbor } from './harness.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const CTX = { as4: true };

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function prefixes(from: number, n: number): Prefix[] {
  const out: Prefix[] = [];
  for (let i = from; i < from + n; i++) {
    const p = parsePrefix(`10.${100 + (i >> 8)}.${i & 255}.0/24`);
    if (!p) throw new Error('bad prefix');
    out.push(p);
  }
  return out;
}

/** Speaker A (AS 65002) with one neighbor B (AS 65515) whose side the test plays by hand. */
function setup(maxPrefixes: MaxPrefixPolicy) {
  const net = new MemNet();
  const logs: LogLine[] = [];
  const log = createLogger({
    level: 'info',
    pretty: false,
    destination: {
      write: (s: string) => {
        logs.push(JSON.parse(s) as LogLine);
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  });
  const a = net.add(
    A,
    bgpConfig(65002, '1.1.1.1', [neighbor(B, 65515, { passive: true, maxPrefixes })]),
    {
      log,
    },
  );
  const routes: RoutesEvent[] = [];
  a.onRoutes((e) => routes.push(e));
  a.start();
  return { net, a, logs, routes };
}

/** Connect the raw peer to `a` and bring the session to Established. */
async function connectPeer(net: MemNet, a: BgpSpeaker) {
  const [ours, theirs] = duplexPair();
  const rx: Buffer[] = [];
  let closed = false;
  ours.on('data', (c: Buffer) => rx.push(c));
  ours.on('close', () => (closed = true));
  ours.on('end', () => (closed = true));
  a.session(B)?.accept(
    new BgpConnection(
      theirs,
      { localAddress: A, remoteAddress: B, locallyInitiated: false },
      net.clock,
    ),
  );
  const send = (m: BgpMessage): void => {
    ours.write(encodeMessageBytes(m, CTX));
  };
  send({
    type: 'OPEN',
    open: buildOpen({
      localAs: 65515,
      holdTimeSec: 90,
      bgpId: 0x02020202,
      families: [{ afi: 1, safi: 1 }],
      routeRefresh: true,
    }),
  });
  send({ type: 'KEEPALIVE' });
  await flush();
  expect(a.session(B)?.state).toBe('Established');
  const announce = async (ps: Prefix[]): Promise<void> => {
    for (const u of buildOriginUpdates({
      family: 'ipv4-unicast',
      prefixes: ps,
      localAs: 65515,
      ibgp: false,
      as4: true,
      localAddress: B,
    }))
      send({ type: 'UPDATE', update: u });
    await flush();
  };
  const withdraw = async (ps: Prefix[]): Promise<void> => {
    send({ type: 'UPDATE', update: buildWithdraw('ipv4-unicast', ps) });
    await flush();
  };
  return { rx, isClosed: () => closed, announce, withdraw };
}

const warns = (logs: LogLine[], msg: string) => logs.filter((l) => l.level === 40 && l.msg === msg);

describe('inbound max-prefixes', () => {
  it('warns once at the threshold, then tears down with Cease/1 and withdraws the routes', async () => {
    const { net, a, logs, routes } = setup({ limit: 8, action: 'teardown' });
    const peer = await connectPeer(net, a);
    await peer.announce(prefixes(0, 5));
    expect(warns(logs, 'maximum prefixes threshold reached')).toHaveLength(0);
    await peer.announce(prefixes(5, 1)); // 6 = ceil(75 % of 8)
    await peer.announce(prefixes(6, 1));
    const th = warns(logs, 'maximum prefixes threshold reached');
    expect(th).toHaveLength(1);
    expect(th[0]).toMatchObject({ neighbor: B, family: 'ipv4-unicast', count: 6, limit: 8 });
    await peer.withdraw(prefixes(0, 1)); // 6 left
    await peer.announce(prefixes(0, 1)); // 7 again: still the same excursion, no second warning
    expect(warns(logs, 'maximum prefixes threshold reached')).toHaveLength(1);
    expect(a.received(B)).toHaveLength(7);
    // Re-announcing known prefixes does not count them twice.
    await peer.announce(prefixes(0, 7));
    expect(a.session(B)?.state).toBe('Established');
    peer.rx.length = 0;
    routes.length = 0;

    await peer.announce(prefixes(7, 2)); // 9 > 8
    // Exactly one message came back: NOTIFICATION Cease/1, AFI 1, SAFI 1, upper bound 8.
    expect(Buffer.concat(peer.rx).toString('hex')).toBe(
      `${'ff'.repeat(16)}001c03` + '0601' + '0001' + '01' + '00000008',
    );
    expect(peer.isClosed()).toBe(true);
    const ex = warns(logs, 'maximum prefixes exceeded');
    expect(ex).toHaveLength(1);
    expect(ex[0]).toMatchObject({ neighbor: B, count: 9, limit: 8, action: 'teardown' });
    const down = logs.find((l) => l.msg === 'neighbor down');
    expect(down?.reason).toBe('maximum prefixes exceeded');
    // The 7 published routes are withdrawn; the 2 that broke the limit were never published.
    expect(routes.flatMap((e) => e.announced)).toEqual([]);
    expect(routes.flatMap((e) => e.withdrawn.map(formatPrefix)).sort()).toEqual(
      prefixes(0, 7).map(formatPrefix).sort(),
    );
    expect(a.received(B)).toEqual([]);
    const v = a.session(B)?.view();
    expect(v?.state).toBe('Idle');
    expect(v?.lastError).toBe('maximum prefixes exceeded');
    expect(v?.lastNotificationSent).toBe('CEASE/MAXIMUM_NUMBER_OF_PREFIXES_REACHED');
    expect(a.summary().neighbors[0]?.state).toBe('Idle (PfxCt)');
    expect(a.neighborDetails()[0]?.lastError).toBe('maximum prefixes exceeded');
  });

  it('without a restart interval it stays Idle: no reconnect, incoming connections refused', async () => {
    const { net, a } = setup({ limit: 2, action: 'teardown' });
    const peer = await connectPeer(net, a);
    await peer.announce(prefixes(0, 3));
    expect(a.session(B)?.state).toBe('Idle');
    const attempts = a.session(B)?.view().counters.connectAttempts;
    net.clock.advance(3600_000);
    await flush();
    expect(a.session(B)?.state).toBe('Idle');
    expect(a.session(B)?.view().counters.connectAttempts).toBe(attempts);
    // The peer comes back: refused (Catalyst keeps the neighbor down until cleared).
    const [ours, theirs] = duplexPair();
    let closed = false;
    ours.on('close', () => (closed = true));
    a.handleIncoming({ socket: theirs, localAddress: A, remoteAddress: B });
    await flush();
    expect(closed).toBe(true);
    expect(a.session(B)?.state).toBe('Idle');
    // `clear ip bgp`: back to waiting for the peer (passive neighbor → Active).
    expect(a.clearNeighbor(B)).toBe(true);
    expect(a.session(B)?.state).toBe('Active');
    expect(a.session(B)?.view().lastError).not.toBe('maximum prefixes exceeded');
    expect(a.summary().neighbors[0]?.state).toBe('Active');
    const again = await connectPeer(net, a);
    await again.announce(prefixes(0, 2));
    expect(a.session(B)?.state).toBe('Established');
    expect(a.received(B)).toHaveLength(2);
  });

  it('restarts after the restart interval (Catalyst `maximum-prefix N restart M`)', async () => {
    const { net, a } = setup({ limit: 2, action: 'teardown', restartSec: 60 });
    const peer = await connectPeer(net, a);
    await peer.announce(prefixes(0, 3));
    expect(a.session(B)?.state).toBe('Idle');
    net.clock.advance(59_000);
    expect(a.session(B)?.state).toBe('Idle');
    net.clock.advance(1_000);
    expect(a.session(B)?.state).toBe('Active');
    const again = await connectPeer(net, a);
    await again.announce(prefixes(0, 1));
    expect(a.received(B)).toHaveLength(1);
  });

  it('warning-only: logs once, keeps the session and the routes', async () => {
    const { net, a, logs, routes } = setup({ limit: 2, action: 'warn' });
    const peer = await connectPeer(net, a);
    await peer.announce(prefixes(0, 3));
    await peer.announce(prefixes(3, 2));
    expect(a.session(B)?.state).toBe('Established');
    expect(peer.isClosed()).toBe(false);
    expect(a.received(B)).toHaveLength(5);
    expect(routes.flatMap((e) => e.announced)).toHaveLength(5);
    const ex = warns(logs, 'maximum prefixes exceeded');
    expect(ex).toHaveLength(1);
    expect(ex[0]).toMatchObject({ count: 3, limit: 2, action: 'warn' });
    expect(a.session(B)?.view().counters.notificationsSent).toBe(0);
  });
});
