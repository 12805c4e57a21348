import { describe, expect, it } from 'vitest';
import type { ChildSaEvent, ChildSaParams, EspPath } from '../../../src/ike/ports.js';
import type { EncryptionName, IntegrityName } from '../../../src/crypto/transforms.js';
import { EspSad } from '../../../src/esp/sad.js';
import { ReferenceDatapath, type InboundResult } from '../../../src/esp/reference-datapath.js';
import { SEQ_LIMIT_32 } from '../../../src/esp/sequence.js';
import { sealEsp } from '../../../src/esp/wire.js';
import { FakeClock } from '../../support/fake-clock.js';
import { DetRng } from '../../support/det-rng.js';
import { innerPacket } from '../../vectors/esp/generate.js';
import { clampMss } from '../../../src/tunnel/mss-clamp.js';
import { icmpTooBig } from '../../../src/tunnel/icmp-too-big.js';

const path: EspPath = {
  local: { address: '192.0.2.1', port: 4500 },
  remote: { address: '192.0.2.2', port: 4500 },
  udpEncap: true,
};

interface Side {
  sad: EspSad;
  dp: ReferenceDatapath;
  events: ChildSaEvent[];
}

function side(clock: FakeClock, seed: string): Side {
  const sad = new EspSad(clock);
  const events: ChildSaEvent[] = [];
  sad.onEvent((e) => events.push(e));
  return {
    sad,
    dp: new ReferenceDatapath(sad, new DetRng(seed), { clampMss, icmpTooBig }),
    events,
  };
}

function pairParams(
  spi: number,
  encryption: EncryptionName,
  integrity: IntegrityName | null,
  esn: boolean,
  seed: string,
  overrides: Partial<ChildSaParams> = {},
): ChildSaParams {
  const r = new DetRng(seed);
  return {
    spi,
    encryption,
    integrity,
    encKey: r.bytes(
      encryption.startsWith('aes-gcm')
        ? encryption.endsWith('128')
          ? 20
          : 36
        : encryption.endsWith('128')
          ? 16
          : 32,
    ),
    integKey:
      integrity === null
        ? null
        : r.bytes({ sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[integrity]),
    esn,
    replayWindow: 64,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
    ...overrides,
  };
}

/** A and B share one SA per direction: A's outbound is B's inbound and vice versa. */
function connected(
  encryption: EncryptionName = 'aes-gcm-256',
  integrity: IntegrityName | null = null,
  esn = false,
  startSeq = 0n,
): { clock: FakeClock; a: Side; b: Side } {
  const clock = new FakeClock();
  const a = side(clock, 'a');
  const b = side(clock, 'b');
  const ab = pairParams(0xab01, encryption, integrity, esn, 'ab');
  const ba = pairParams(0xba01, encryption, integrity, esn, 'ba');
  a.sad.setOutbound('T1', ab, path, startSeq);
  a.sad.addInbound('T1', ba, path);
  b.sad.setOutbound('T1', ba, path);
  b.sad.addInbound('T1', ab, path);
  return { clock, a, b };
}

function send(from: Side, inner: Buffer, tunnel = 'T1'): Buffer {
  const r = from.dp.encapsulate(tunnel, Buffer.from(inner));
  if (r.kind !== 'esp') throw new Error(`expected esp, got ${JSON.stringify(r)}`);
  return r.esp;
}

function delivered(r: InboundResult): Buffer {
  if (r.kind !== 'inner') throw new Error(`expected inner, got ${JSON.stringify(r)}`);
  return r.packet;
}

describe('ReferenceDatapath end to end', () => {
  it.each([
    ['aes-gcm-128', null],
    ['aes-gcm-256', null],
    ['aes-cbc-128', 'sha1'],
    ['aes-cbc-256', 'sha256'],
    ['aes-cbc-256', 'sha512'],
  ] as const)('%s %s: IPv4 and IPv6 both ways, ESN off and on', (enc, integ) => {
    for (const esn of [false, true]) {
      const { a, b } = connected(enc, integ, esn);
      for (const fam of [4, 6] as const) {
        for (const size of [1, 40, 1400]) {
          const p = innerPacket(fam, size, `${enc}${fam}${size}`);
          expect(delivered(b.dp.receiveUdp(send(a, p)))).toEqual(p);
          expect(delivered(a.dp.receiveEsp(send(b, p)))).toEqual(p);
        }
      }
      expect(b.sad.counters('T1', 0xab01, 'in')?.packets).toBe(6n);
      expect(a.sad.counters('T1', 0xab01, 'out')?.packets).toBe(6n);
    }
  });

  it('demultiplexes UDP 4500 (RFC 3948 §2): keepalive, non-ESP marker, ESP', () => {
    const { a, b } = connected();
    expect(b.dp.receiveUdp(Buffer.from([0xff]))).toEqual({ kind: 'keepalive' });
    expect(b.dp.keepalives).toBe(1);
    const ike = Buffer.concat([Buffer.alloc(4), Buffer.from('ike-message')]);
    expect(b.dp.receiveUdp(ike)).toEqual({ kind: 'ike', data: Buffer.from('ike-message') });
    expect(b.dp.ikePackets).toBe(1);
    expect(b.dp.receiveUdp(Buffer.from([1, 2]))).toEqual({ kind: 'drop', reason: 'malformed' });
    expect(b.dp.receiveUdp(Buffer.from([1, 2, 3, 4, 5]))).toEqual({
      kind: 'drop',
      reason: 'truncated',
    });
    const p = innerPacket(4, 10, 'x');
    expect(delivered(b.dp.receiveUdp(send(a, p)))).toEqual(p);
  });

  it('drops replays, unknown SPIs and tampered packets, and counts them', () => {
    const { a, b } = connected('aes-cbc-128', 'sha256');
    const first = send(a, innerPacket(4, 20, '1'));
    expect(b.dp.receiveUdp(first).kind).toBe('inner');
    expect(b.dp.receiveUdp(first)).toEqual({ kind: 'drop', reason: 'replay' });
    const tampered = Buffer.from(send(a, innerPacket(4, 20, '2')));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(b.dp.receiveUdp(tampered)).toEqual({ kind: 'drop', reason: 'icv' });
    // the tampered packet did not advance the window: the genuine one still passes
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(b.dp.receiveUdp(tampered).kind).toBe('inner');
    const foreign = Buffer.from(first);
    foreign.writeUInt32BE(0xdead, 0);
    expect(b.dp.receiveUdp(foreign)).toEqual({ kind: 'drop', reason: 'unknown-spi' });
    expect(b.dp.dropCount('replay')).toBe(1);
    expect(b.dp.dropCount('icv')).toBe(1);
    expect(b.dp.dropCount('unknown-spi')).toBe(1);
  });

  it('packets left of the window are stale', () => {
    const { a, b } = connected();
    const old = send(a, innerPacket(4, 20, 'old'));
    for (let i = 0; i < 70; i++) b.dp.receiveUdp(send(a, innerPacket(4, 20, `n${i}`)));
    expect(b.dp.receiveUdp(old)).toEqual({ kind: 'drop', reason: 'replay-stale' });
  });

  it('ESN: traffic continues across the 2^32 boundary of the sequence number', () => {
    const { a, b } = connected('aes-gcm-128', null, true, SEQ_LIMIT_32 - 3n);
    const late: Buffer[] = [];
    for (let i = 0; i < 8; i++) {
      const esp = send(a, innerPacket(4, 20, `e${i}`));
      if (i === 2)
        late.push(esp); // delivered after the rollover
      else expect(b.dp.receiveUdp(esp).kind).toBe('inner');
    }
    expect(b.sad.inbound(0xab01)?.replay.top).toBe(0x1_0000_0004n);
    expect(b.dp.receiveUdp(late[0]!).kind).toBe('inner'); // seq-high inferred as 0
  });

  it('32-bit: soft event near the limit, then refuses to send (seq-overflow)', () => {
    const { a } = connected('aes-gcm-256', null, false, 2n ** 32n - 2n ** 16n - 1n);
    send(a, innerPacket(4, 1, 's'));
    expect(a.events).toEqual([
      { kind: 'soft-expire', tunnel: 'T1', spi: 0xab01, direction: 'out', reason: 'sequence' },
    ]);
    const near = connected('aes-gcm-256', null, false, SEQ_LIMIT_32 - 1n);
    send(near.a, innerPacket(4, 1, 'last'));
    expect(near.a.dp.encapsulate('T1', innerPacket(4, 1, 'over'))).toEqual({
      kind: 'drop',
      reason: 'seq-overflow',
    });
    expect(near.a.events).toContainEqual({
      kind: 'hard-expire',
      tunnel: 'T1',
      spi: 0xab01,
      direction: 'out',
      reason: 'sequence',
    });
    expect(near.a.dp.encapsulate('T1', innerPacket(4, 1, 'x'))).toEqual({
      kind: 'drop',
      reason: 'no-sa',
    });
  });

  it('make-before-break rekey: no packet lost while SAs change', () => {
    const { a, b } = connected();
    const inFlight = send(a, innerPacket(4, 20, 'flight'));
    const next = pairParams(0xab02, 'aes-gcm-256', null, false, 'ab2');
    b.sad.addInbound('T1', next, path); // responder installs the new inbound first
    expect(b.dp.receiveUdp(send(a, innerPacket(4, 20, 'old-sa'))).kind).toBe('inner');
    a.sad.setOutbound('T1', next, path); // initiator switches
    const r = b.dp.receiveUdp(send(a, innerPacket(4, 20, 'new-sa')));
    expect(r.kind === 'inner' && r.spi).toBe(0xab02);
    expect(b.dp.receiveUdp(inFlight).kind).toBe('inner'); // old inbound still decrypts
    b.sad.delete('T1', 0xab01, 'in');
    expect(b.dp.receiveUdp(inFlight)).toEqual({ kind: 'drop', reason: 'unknown-spi' });
  });

  it('dummy packets (next header 59) are dropped, counted, and still move the window', () => {
    const { b } = connected('aes-cbc-256', 'sha384');
    const isa = b.sad.inbound(0xab01)!;
    const inner = innerPacket(4, 20, 'dummy');
    const dummy = sealEsp(isa.params, 5n, inner, 59, Buffer.alloc(16, 7));
    expect(b.dp.receiveEsp(dummy)).toEqual({ kind: 'drop', reason: 'dummy' });
    expect(b.dp.dropCount('dummy')).toBe(1);
    expect(isa.replay.top).toBe(5n); // authenticated: RFC 4303 §3.4.3 window update
    expect(b.dp.receiveEsp(dummy)).toEqual({ kind: 'drop', reason: 'replay' });
    expect(b.sad.counters('T1', 0xab01, 'in')?.packets).toBe(0n);
  });

  it('a packet too short for its SA is truncated before the replay check', () => {
    const { a, b } = connected();
    const esp = send(a, innerPacket(4, 20, 'p'));
    expect(b.dp.receiveUdp(esp).kind).toBe('inner');
    expect(b.dp.receiveUdp(esp.subarray(0, esp.length - 1))).toEqual({
      kind: 'drop',
      reason: 'truncated',
    });
  });

  it('ESN with anti-replay disabled still infers seq-high across 2^32 (W = 1024)', () => {
    const clock = new FakeClock();
    const a = side(clock, 'a');
    const b = side(clock, 'b');
    const p = pairParams(0x5a, 'aes-gcm-128', null, true, 'w0', { replayWindow: 0 });
    a.sad.setOutbound('T1', p, path, SEQ_LIMIT_32 - 5n);
    b.sad.addInbound('T1', p, path);
    const sent = Array.from({ length: 10 }, (_, i) => send(a, innerPacket(4, 8, `w${i}`)));
    for (const i of [0, 1, 2, 7, 8, 3, 4, 9, 5, 6]) {
      expect(b.dp.receiveUdp(sent[i]!).kind).toBe('inner');
    }
    expect(b.dp.receiveUdp(sent[0]!).kind).toBe('inner'); // no replay protection: accepted again
  });

  it('drops non-IP inner packets and traffic for tunnels without an SA', () => {
    const { a } = connected();
    expect(a.dp.encapsulate('T1', Buffer.from([0x12, 0, 0]))).toEqual({
      kind: 'drop',
      reason: 'not-ip',
    });
    expect(a.dp.encapsulate('T1', Buffer.alloc(0))).toEqual({ kind: 'drop', reason: 'not-ip' });
    expect(a.dp.encapsulate('Nope', innerPacket(4, 1, 'x'))).toEqual({
      kind: 'drop',
      reason: 'no-sa',
    });
    expect(a.dp.dropCount('not-ip')).toBe(2);
  });

  it('kilobyte lifetime counts inner bytes', () => {
    const clock = new FakeClock();
    const a = side(clock, 'a');
    a.sad.setOutbound(
      'T1',
      pairParams(1, 'aes-gcm-128', null, false, 'kb', {
        lifetime: { softSec: null, hardSec: null, softKb: 1, hardKb: null },
      }),
      path,
    );
    send(a, innerPacket(4, 1000, 'big'));
    expect(a.events).toEqual([]);
    send(a, innerPacket(4, 10, 'more'));
    expect(a.events).toEqual([
      { kind: 'soft-expire', tunnel: 'T1', spi: 1, direction: 'out', reason: 'bytes' },
    ]);
  });

  it('answers oversized DF packets with ICMP too-big from the inside address, clamps MSS both ways', () => {
    const { a, b } = connected();
    a.dp.configureTunnel('T1', {
      mtu: 1400,
      mssClampV4: 1360,
      insideV4: Uint8Array.from([169, 254, 21, 1]),
    });
    b.dp.configureTunnel('T1', { mssClampV4: 1300 });
    const big = innerPacket(4, 1400, 'big'); // DF set by innerPacket
    const r = a.dp.encapsulate('T1', big);
    expect(r.kind).toBe('too-big');
    const icmp = r.kind === 'too-big' ? r.icmp : null;
    expect(icmp?.subarray(12, 16)).toEqual(Buffer.from([169, 254, 21, 1]));
    expect(icmp?.[20]).toBe(3);
    expect(icmp?.readUInt16BE(26)).toBe(1400);
    const syn = tcpSyn(1460);
    const got = delivered(b.dp.receiveUdp(send(a, syn)));
    expect(got.readUInt16BE(20 + 22)).toBe(1300); // clamped by A to 1360, then by B to 1300
  });
});

function tcpSyn(mss: number): Buffer {
  const p = Buffer.alloc(44);
  p[0] = 0x45;
  p.writeUInt16BE(44, 2);
  p[8] = 64;
  p[9] = 6;
  p.set([10, 0, 0, 1], 12);
  p.set([10, 0, 0, 2], 16);
  p[20 + 12] = 6 << 4;
  p[20 + 13] = 0x02;
  p[20 + 20] = 2;
  p[20 + 21] = 4;
  p.writeUInt16BE(mss, 20 + 22);
  return p;
}
