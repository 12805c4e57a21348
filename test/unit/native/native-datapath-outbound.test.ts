/**
 * NativeDatapath (src/esp/native-datapath.ts): what leaves the NAT-T socket, seen on plain dgram
 * sockets over 127.0.0.1 (no root). An RFC 3948 §2.3 NAT-keepalive is exactly one 0xFF byte; an
 * outbound SA installed again (same SPI) keeps its ESP sequence counter (RFC 4303 §2.2, §3.3.3),
 * so the peer's anti-replay window does not drop the traffic after an IKE rekey.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeDatapath } from '../../../src/esp/native-datapath.js';
import type { ChildSaParams, Endpoint, EspPath } from '../../../src/ike/ports.js';
import { inetChecksum } from '../../../src/tunnel/inet-checksum.js';
import { TunDevice } from '../../../src/tunnel/tun-device.js';
import { DetRng } from '../../support/det-rng.js';
import { FakeClock } from '../../support/fake-clock.js';

const rng = new DetRng('native-datapath-outbound');
const T = 'Tunnel1';

function gcm(spi: number): ChildSaParams {
  return {
    spi,
    encryption: 'aes-gcm-256',
    integrity: null,
    encKey: rng.bytes(36),
    integKey: null,
    esn: false,
    replayWindow: 1024,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

function ipv4(len: number): Buffer {
  const p = rng.bytes(len);
  p[0] = 0x45;
  p.writeUInt16BE(len, 2);
  p.writeUInt16BE(0, 6);
  p[9] = 253;
  Buffer.from([172, 31, 0, 1]).copy(p, 12);
  Buffer.from([172, 31, 0, 2]).copy(p, 16);
  p.writeUInt16BE(0, 10);
  p.writeUInt16BE(inetChecksum(p, 0, 20), 10);
  return p;
}

interface Sink {
  readonly socket: Socket;
  readonly at: Endpoint;
  readonly got: { data: Buffer; from: Endpoint }[];
}

async function sink(): Promise<Sink> {
  const socket = createSocket('udp4');
  const got: { data: Buffer; from: Endpoint }[] = [];
  socket.on('message', (data, r) => got.push({ data, from: { address: r.address, port: r.port } }));
  await new Promise<void>((resolve) => {
    socket.bind(0, '127.0.0.1', resolve);
  });
  return { socket, at: { address: '127.0.0.1', port: socket.address().port }, got };
}

async function next(
  s: Sink,
  n: number,
  timeoutMs = 3000,
): Promise<{ data: Buffer; from: Endpoint }> {
  const end = performance.now() + timeoutMs;
  while (s.got.length < n) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
  const d = s.got[n - 1];
  if (d === undefined) throw new Error('missing datagram');
  return d;
}

/** SPI and (low 32 bits of the) sequence number of an ESP-in-UDP datagram (RFC 4303 §2). */
function esp(d: Buffer): { spi: number; seq: number } {
  return { spi: d.readUInt32BE(0), seq: d.readUInt32BE(4) };
}

describe('NativeDatapath: NAT-keepalive and outbound re-install', () => {
  let dp: NativeDatapath;
  let local: Endpoint;
  let tun: TunDevice;
  let peer: TunDevice;
  let s1: Sink;
  let s2: Sink;

  beforeEach(async () => {
    dp = new NativeDatapath(new FakeClock());
    local = dp.addSocket({ address: '127.0.0.1', port: 0 });
    const pair = TunDevice.socketPairForTests('o');
    tun = pair.device;
    peer = pair.peer;
    dp.addTunnel(T, tun, { mtu: 1400, mss4: 1300, source4: Buffer.from([172, 31, 0, 1]) });
    s1 = await sink();
    s2 = await sink();
  });

  afterEach(() => {
    dp.close();
    tun.close();
    peer.close();
    s1.socket.close();
    s2.socket.close();
  });

  const to = (s: Sink): EspPath => ({ local, remote: s.at, udpEncap: true });

  it('sends a NAT-keepalive as exactly one 0xFF byte from the NAT-T socket (RFC 3948 §2.3)', async () => {
    dp.sendKeepalive(local, s1.at);
    const d = await next(s1, 1);
    expect(d.data.toString('hex')).toBe('ff');
    expect(d.from).toEqual(local);
    // IKE from the same socket still carries the 4-byte non-ESP marker (RFC 3948 §2.2).
    dp.send(Buffer.from('cafe', 'hex'), local, s1.at);
    expect((await next(s1, 2)).data.toString('hex')).toBe('00000000cafe');
    expect(() => {
      dp.sendKeepalive({ address: '127.0.0.1', port: 1 }, s1.at);
    }).toThrow(/no socket bound/);
  });

  it('setOutbound with the SPI already outbound continues its sequence (RFC 4303 §3.3.3)', async () => {
    const AB = 0xa0b00001;
    const sa = gcm(AB);
    dp.setOutbound(T, sa, to(s1));
    peer.write(ipv4(100));
    expect(esp((await next(s1, 1)).data)).toEqual({ spi: AB, seq: 1 });
    dp.setOutbound(T, sa, to(s1));
    peer.write(ipv4(100));
    expect(esp((await next(s1, 2)).data)).toEqual({ spi: AB, seq: 2 });
    // Same SPI, new path (peer's NAT mapping moved): path applied, sequence kept.
    dp.setOutbound(T, sa, to(s2));
    peer.write(ipv4(100));
    expect(esp((await next(s2, 1)).data)).toEqual({ spi: AB, seq: 3 });
    expect(dp.counters(T, AB, 'out')?.packets).toBe(3n);
  });

  it('a retired outbound SA made outbound again keeps its sequence', async () => {
    const AB = 0xa0b00001;
    const AB2 = 0xa0b00002;
    const sa = gcm(AB);
    dp.setOutbound(T, sa, to(s1));
    peer.write(ipv4(100));
    expect(esp((await next(s1, 1)).data)).toEqual({ spi: AB, seq: 1 });
    dp.setOutbound(T, gcm(AB2), to(s1));
    peer.write(ipv4(100));
    expect(esp((await next(s1, 2)).data)).toEqual({ spi: AB2, seq: 1 });
    dp.setOutbound(T, sa, to(s1));
    peer.write(ipv4(100));
    expect(esp((await next(s1, 3)).data)).toEqual({ spi: AB, seq: 2 });
    expect(dp.counters(T, AB2, 'out')?.packets).toBe(1n);
  });
});
