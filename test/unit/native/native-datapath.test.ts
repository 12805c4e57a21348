/**
 * NativeDatapath (src/esp/native-datapath.ts) as IKE's ChildSaInstaller, without root: two data
 * paths in this process talk ESP-in-UDP (RFC 3948) over 127.0.0.1; each tunnel's "TUN" is a
 * datagram socketpair (one read = one packet), so the native TX/RX threads run unchanged.
 * Covers delivery, make-before-break rekey (RFC 7296 §2.8), delete, NAT mapping update, MSS
 * clamping, ICMP too-big, IKE demux (non-ESP marker), NAT-T keepalives and unknown SPIs.
 */
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DROP_REASON } from '../../../src/esp/drop-reason.js';
import { NativeDatapath } from '../../../src/esp/native-datapath.js';
import type { ChildSaParams, Endpoint, EspPath } from '../../../src/ike/ports.js';
import { icmpTooBig } from '../../../src/tunnel/icmp-too-big.js';
import { inetChecksum, pseudoHeaderSum } from '../../../src/tunnel/inet-checksum.js';
import { TunDevice } from '../../../src/tunnel/tun-device.js';
import { DetRng } from '../../support/det-rng.js';
import { FakeClock } from '../../support/fake-clock.js';

const rng = new DetRng('native-datapath');
const T = 'Tunnel1';

function gcm(spi: number): ChildSaParams {
  return {
    spi,
    encryption: 'aes-gcm-256',
    integrity: null,
    encKey: rng.bytes(36),
    integKey: null,
    esn: true,
    replayWindow: 1024,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

/** IPv4 packet, protocol 253 (experimentation) unless TCP options are given. */
function ipv4(len: number, df = false): Buffer {
  const p = rng.bytes(len);
  p[0] = 0x45;
  p.writeUInt16BE(len, 2);
  p.writeUInt16BE(df ? 0x4000 : 0, 6);
  p[9] = 253;
  Buffer.from([172, 31, 0, 1]).copy(p, 12);
  Buffer.from([172, 31, 0, 2]).copy(p, 16);
  p.writeUInt16BE(0, 10);
  p.writeUInt16BE(inetChecksum(p, 0, 20), 10);
  return p;
}

function tcpSyn(mss: number): Buffer {
  const p = Buffer.alloc(44);
  p[0] = 0x45;
  p.writeUInt16BE(44, 2);
  p[8] = 64;
  p[9] = 6;
  Buffer.from([172, 31, 0, 1]).copy(p, 12);
  Buffer.from([172, 31, 0, 2]).copy(p, 16);
  p.writeUInt16BE(inetChecksum(p, 0, 20), 10);
  p.writeUInt16BE(40000, 20);
  p.writeUInt16BE(179, 22);
  p[32] = 6 << 4;
  p[33] = 0x02;
  Buffer.from([2, 4, mss >> 8, mss & 0xff]).copy(p, 40);
  const pseudo = pseudoHeaderSum(p.subarray(12, 16), p.subarray(16, 20), 6, 24);
  p.writeUInt16BE(inetChecksum(p, 20, 44, pseudo), 36);
  return p;
}

async function until<T>(probe: () => T | null, timeoutMs = 3000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function receive(peer: TunDevice): Promise<Buffer> {
  const buf = Buffer.alloc(65536);
  return until(() => {
    const n = peer.read(buf);
    return n < 0 ? null : Buffer.from(buf.subarray(0, n));
  });
}

interface End {
  dp: NativeDatapath;
  local: Endpoint;
  tun: TunDevice;
  peer: TunDevice;
  /** onLinkState calls, in order. */
  link: boolean[];
}

function makeEnd(clock: FakeClock, name: string): End {
  const dp = new NativeDatapath(clock);
  const local = dp.addSocket({ address: '127.0.0.1', port: 0 });
  const { device, peer } = TunDevice.socketPairForTests(name);
  const link: boolean[] = [];
  dp.addTunnel(T, device, {
    mtu: 1400,
    mss4: 1300,
    source4: Buffer.from([172, 31, 0, 1]),
    onLinkState: (up) => link.push(up),
  });
  return { dp, local, tun: device, peer, link };
}

function path(from: End, to: End): EspPath {
  return { local: from.local, remote: to.local, udpEncap: true };
}

describe('NativeDatapath over loopback', () => {
  let clock: FakeClock;
  let a: End;
  let b: End;
  const AB = 0xa0b00001;
  const BA = 0xb0a00001;
  let saAB: ChildSaParams;
  let saBA: ChildSaParams;

  beforeEach(() => {
    clock = new FakeClock();
    a = makeEnd(clock, 'a');
    b = makeEnd(clock, 'b');
    saAB = gcm(AB);
    saBA = gcm(BA);
    b.dp.addInbound(T, saAB, path(b, a));
    a.dp.addInbound(T, saBA, path(a, b));
    a.dp.setOutbound(T, saAB, path(a, b));
    b.dp.setOutbound(T, saBA, path(b, a));
  });

  afterEach(() => {
    for (const e of [a, b]) {
      e.dp.close();
      e.tun.close();
      e.peer.close();
    }
  });

  it('carries inner packets both ways and counts them per SA', async () => {
    const p = ipv4(200);
    a.peer.write(p);
    expect((await receive(b.peer)).equals(p)).toBe(true);
    const q = ipv4(1300);
    b.peer.write(q);
    expect((await receive(a.peer)).equals(q)).toBe(true);
    expect(a.dp.counters(T, AB, 'out')?.packets).toBe(1n);
    expect(a.dp.counters(T, AB, 'out')?.bytes).toBe(200n);
    expect(b.dp.counters(T, AB, 'in')?.packets).toBe(1n);
    expect(a.dp.counters(T, BA, 'in')?.bytes).toBe(1300n);
    const last = b.dp.counters(T, AB, 'in')?.lastUsedMs ?? null;
    expect(last).not.toBeNull();
    expect(Math.abs(clock.now() - (last ?? 0))).toBeLessThan(5000);
    expect(a.dp.globalCounters().tunRead).toBe(1n);
    expect(b.dp.globalCounters().tunWrite).toBe(1n);
  });

  it('rekeys make-before-break: new inbound first, then outbound; old SA counters stay readable', async () => {
    const AB2 = 0xa0b00002;
    const saAB2 = gcm(AB2);
    b.dp.addInbound(T, saAB2, path(b, a));
    a.peer.write(ipv4(100));
    await receive(b.peer); // still on the old SA
    a.dp.setOutbound(T, saAB2, path(a, b));
    expect(a.link).toEqual([true]); // a rekey keeps the line protocol up
    a.peer.write(ipv4(101));
    expect((await receive(b.peer)).length).toBe(101);
    expect(b.dp.counters(T, AB, 'in')?.packets).toBe(1n);
    expect(b.dp.counters(T, AB2, 'in')?.packets).toBe(1n);
    expect(a.dp.counters(T, AB, 'out')?.packets).toBe(1n);
    a.dp.delete(T, AB, 'out');
    b.dp.delete(T, AB, 'in');
    expect(a.dp.counters(T, AB, 'out')).toBeNull();
    expect(b.dp.counters(T, AB, 'in')).toBeNull();
    a.peer.write(ipv4(102));
    expect((await receive(b.peer)).length).toBe(102);
  });

  it('drops with no-sa after the outbound SA is deleted, and unknown-spi after inbound delete', async () => {
    expect(a.link).toEqual([true]);
    a.dp.delete(T, AB, 'out');
    expect(a.link).toEqual([true, false]);
    a.peer.write(ipv4(60));
    await until(() => (a.dp.globalDrops(DROP_REASON['no-sa']) === 1n ? true : null));
    b.dp.delete(T, BA, 'out');
    a.dp.delete(T, BA, 'in');
    b.dp.setOutbound(T, saBA, path(b, a)); // A no longer knows BA
    b.peer.write(ipv4(60));
    await until(() => (a.dp.globalDrops(DROP_REASON['unknown-spi']) === 1n ? true : null));
  });

  it('removes a tunnel: its TX thread stops, its inbound SPIs become unknown', async () => {
    b.dp.removeTunnel(T);
    expect(b.dp.counters(T, AB, 'in')).toBeNull();
    a.peer.write(ipv4(80));
    await until(() => (b.dp.globalDrops(DROP_REASON['unknown-spi']) === 1n ? true : null));
    // The TUN device stays usable by its owner after the data path let go of it.
    b.peer.write(ipv4(50));
    const buf = Buffer.alloc(100);
    expect(await until(() => (b.tun.read(buf) > 0 ? true : null))).toBe(true);
  });

  it('follows a NAT mapping change (updatePath) to a new peer port', async () => {
    const moved = b.dp.addSocket({ address: '127.0.0.1', port: 0 });
    expect(moved.port).not.toBe(b.local.port);
    a.dp.updatePath(T, { local: a.local, remote: moved, udpEncap: true });
    const p = ipv4(90);
    a.peer.write(p);
    expect((await receive(b.peer)).equals(p)).toBe(true);
  });

  it('clamps the MSS of SYNs entering the tunnel', async () => {
    a.peer.write(tcpSyn(1460));
    const got = await receive(b.peer);
    expect(got.readUInt16BE(42)).toBe(1300);
    const pseudo = pseudoHeaderSum(got.subarray(12, 16), got.subarray(16, 20), 6, 24);
    expect(inetChecksum(got, 20, 44, pseudo)).toBe(0);
    expect(a.dp.globalCounters().mssClamped).toBe(1n);
  });

  it('answers oversized DF packets with ICMP fragmentation-needed into the TUN', async () => {
    const big = ipv4(1450, true);
    a.peer.write(big);
    const icmp = await receive(a.peer);
    expect(icmp.toString('hex')).toBe(
      icmpTooBig(big, 1400, Buffer.from([172, 31, 0, 1]))?.toString('hex'),
    );
    expect(a.dp.globalCounters().tooBig).toBe(1n);
    expect(a.dp.counters(T, AB, 'out')?.packets).toBe(0n);
  });

  it('hands IKE to JS, absorbs NAT-T keepalives, counts stray ESP', async () => {
    const got: { data: string; remote: Endpoint; local: Endpoint }[] = [];
    a.dp.onReceive((data, local, remote) =>
      got.push({ data: data.toString('hex'), local, remote }),
    );
    b.dp.send(Buffer.from('cafe0001', 'hex'), b.local, a.local);
    await until(() => (got.length === 1 ? true : null));
    expect(got[0]).toEqual({ data: 'cafe0001', local: a.local, remote: b.local });
    const s = createSocket('udp4');
    try {
      await new Promise<void>((r) => {
        s.send(Buffer.from([0xff]), a.local.port, '127.0.0.1', () => {
          r();
        });
      });
      await new Promise<void>((r) => {
        s.send(
          Buffer.from('0badf00d00000001aaaaaaaaaaaaaaaa', 'hex'),
          a.local.port,
          '127.0.0.1',
          () => {
            r();
          },
        );
      });
      await until(() => (a.dp.globalCounters().keepalives === 1n ? true : null));
      await until(() => (a.dp.globalDrops(DROP_REASON['unknown-spi']) === 1n ? true : null));
    } finally {
      s.close();
    }
    expect(a.dp.globalCounters().ikePackets).toBe(1n);
  });

  it('raises soft/hard lifetime events on the injected Clock (time) and from counters (bytes)', async () => {
    const events: string[] = [];
    a.dp.onEvent((e) => events.push(`${e.kind}:${e.direction}:${e.reason}:${e.spi.toString(16)}`));
    b.dp.onEvent((e) => events.push(`${e.kind}:${e.direction}:${e.reason}:${e.spi.toString(16)}`));
    const AB2 = 0xa0b00003;
    const timed = {
      ...gcm(AB2),
      lifetime: { softSec: 10, hardSec: 20, softKb: null, hardKb: null },
    };
    b.dp.addInbound(T, timed, path(b, a));
    a.dp.setOutbound(T, timed, path(a, b));
    clock.advance(10_000);
    expect(events).toEqual(['soft-expire:in:time:a0b00003', 'soft-expire:out:time:a0b00003']);
    clock.advance(10_000);
    expect(events.slice(2)).toEqual([
      'hard-expire:in:time:a0b00003',
      'hard-expire:out:time:a0b00003',
    ]);
    expect(a.dp.counters(T, AB2, 'out')).toBeNull();
    expect(b.dp.counters(T, AB2, 'in')).toBeNull();

    events.length = 0;
    const AB3 = 0xa0b00004;
    const sized = { ...gcm(AB3), lifetime: { softSec: null, hardSec: null, softKb: 1, hardKb: 2 } };
    b.dp.addInbound(T, sized, path(b, a));
    a.dp.setOutbound(T, sized, path(a, b));
    a.peer.write(ipv4(700));
    await receive(b.peer);
    a.peer.write(ipv4(700));
    await receive(b.peer);
    clock.advance(1000);
    expect([...events].sort()).toEqual([
      'soft-expire:in:bytes:a0b00004',
      'soft-expire:out:bytes:a0b00004',
    ]);
    a.peer.write(ipv4(700));
    await receive(b.peer);
    clock.advance(1000);
    expect(events.slice(2).sort()).toEqual([
      'hard-expire:in:bytes:a0b00004',
      'hard-expire:out:bytes:a0b00004',
    ]);
    // No outbound SA any more: the tunnel drops (interface "down").
    a.peer.write(ipv4(60));
    await until(() => (a.dp.globalDrops(DROP_REASON['no-sa']) === 1n ? true : null));
  });

  it('refuses paths without a matching socket, before changing state', () => {
    expect(() => {
      a.dp.setOutbound(T, gcm(0x1234), { ...path(a, b), udpEncap: false });
    }).toThrow(/no raw ESP socket/);
    expect(a.dp.counters(T, 0x1234, 'out')).toBeNull(); // nothing changed
    expect(a.dp.counters(T, AB, 'out')).not.toBeNull();
    expect(() => {
      a.dp.updatePath(T, {
        local: { address: '127.0.0.1', port: 1 },
        remote: b.local,
        udpEncap: true,
      });
    }).toThrow(/no UDP socket/);
  });
});
