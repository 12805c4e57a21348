/**
 * Native ESP fast path (native/src/esp_sa.cc) against the TypeScript reference (src/esp/wire.ts)
 * and node:crypto: identical bytes for every suite, ESN (RFC 4303 §2.2.1, App. A), anti-replay
 * (RFC 4303 §3.4.3, RFC 6479 ring), padding (RFC 4303 §2.4), drops counted by reason.
 */
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EncryptionName, IntegrityName } from '../../../src/crypto/transforms.js';
import { DROP_REASON, isDropReason } from '../../../src/esp/drop-reason.js';
import {
  EspBatch,
  NATIVE_DROP,
  NativeEspSa,
  NativeEspSad,
  nativeDropName,
} from '../../../src/esp/native-esp.js';
import { openEsp, sealEsp } from '../../../src/esp/wire.js';
import type { ChildSaParams } from '../../../src/ike/ports.js';
import { DetRng } from '../../support/det-rng.js';

const rng = new DetRng('esp-native');

function params(
  encryption: EncryptionName,
  integrity: IntegrityName | null,
  esn: boolean,
  spi = 0x11223344,
  replayWindow = 1024,
): ChildSaParams {
  const keyBytes = { 'aes-cbc-128': 16, 'aes-cbc-256': 32, 'aes-gcm-128': 20, 'aes-gcm-256': 36 }[
    encryption
  ];
  const integKeyBytes =
    integrity === null ? 0 : { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[integrity];
  return {
    spi,
    encryption,
    integrity,
    encKey: rng.bytes(keyBytes),
    integKey: integrity === null ? null : rng.bytes(integKeyBytes),
    esn,
    replayWindow,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

/** A minimal IPv4 (or IPv6) packet of `len` bytes; only the version nibble matters to ESP. */
function innerPacket(len: number, version: 4 | 6 = 4): Buffer {
  const b = rng.bytes(len);
  b[0] = version === 4 ? 0x45 : 0x60;
  return b;
}

interface VectorSa {
  encryption: EncryptionName;
  integrity: IntegrityName | null;
  encKeyHex: string;
  integKeyHex: string | null;
  spi: number;
  esn: boolean;
}
interface VectorTable {
  vectors: {
    name: string;
    sa: VectorSa;
    seq: string;
    ivHex?: string;
    innerHex: string;
    nextHeader: number;
    espHex: string;
  }[];
  openFailures: { name: string; sa: VectorSa; seqHigh: number; espHex: string; drop: string }[];
}

/** Shared table written by the TS reference (test/vectors/esp/README.md, generate.ts). */
const table = JSON.parse(
  readFileSync(new URL('../../vectors/esp/vectors.json', import.meta.url), 'utf8'),
) as VectorTable;

function vectorParams(v: VectorSa): ChildSaParams {
  return {
    spi: v.spi,
    encryption: v.encryption,
    integrity: v.integrity,
    encKey: Buffer.from(v.encKeyHex, 'hex'),
    integKey: v.integKeyHex === null ? null : Buffer.from(v.integKeyHex, 'hex'),
    esn: v.esn,
    replayWindow: 1024,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

describe('shared ESP vector table (test/vectors/esp/vectors.json)', () => {
  it('has vectors for every suite', () => {
    expect(table.vectors.length).toBeGreaterThanOrEqual(100);
    expect(table.openFailures.length).toBeGreaterThan(0);
  });

  it.each(table.vectors.map((v) => [v.name, v] as const))('%s: seal and open', (_name, v) => {
    const p = vectorParams(v.sa);
    const seq = BigInt(v.seq);
    const inner = Buffer.from(v.innerHex, 'hex');
    const out = new NativeEspSa(p, 'out', { nextSeq: seq });
    const iv = v.ivHex === undefined ? undefined : Buffer.from(v.ivHex, 'hex');
    const r = out.sealOne(inner, v.nextHeader, iv);
    expect(r.ok && r.packet.toString('hex')).toBe(v.espHex);
    // Open with the window just below this packet, so ESN infers the same seq-high.
    const inn = new NativeEspSa(p, 'in', { replayTop: seq - 1n });
    const o = inn.openOne(Buffer.from(v.espHex, 'hex'));
    expect(o.ok && o.packet.toString('hex')).toBe(v.innerHex);
    expect(o.ok && o.nextHeader).toBe(v.nextHeader);
    expect(inn.seq).toBe(seq);
  });

  it.each(table.openFailures.map((f) => [f.name, f] as const))('%s: dropped', (_name, f) => {
    const p = vectorParams(f.sa);
    const esp = Buffer.from(f.espHex, 'hex');
    const seqLow = esp.length >= 8 ? BigInt(esp.readUInt32BE(4)) : 1n;
    const seq = (BigInt(f.seqHigh) << 32n) | seqLow;
    const inn = new NativeEspSa(p, 'in', { replayTop: seq > 0n ? seq - 1n : 0n });
    expect(isDropReason(f.drop)).toBe(true);
    const code = isDropReason(f.drop) ? DROP_REASON[f.drop] : -1;
    expect(inn.openOne(esp)).toEqual({ ok: false, drop: code });
    expect(inn.drops(code)).toBe(1n);
    expect(inn.packets).toBe(0n);
  });
});

const SUITES: readonly [EncryptionName, IntegrityName | null][] = [
  ['aes-gcm-128', null],
  ['aes-gcm-256', null],
  ['aes-cbc-128', 'sha1'],
  ['aes-cbc-256', 'sha256'],
  ['aes-cbc-256', 'sha384'],
  ['aes-cbc-128', 'sha512'],
];

function expectOk(r: ReturnType<NativeEspSa['sealOne']>): Buffer {
  if (!r.ok) throw new Error(`dropped: ${nativeDropName(r.drop)}`);
  return r.packet;
}

describe('native ESP seal/open equals the TypeScript reference', () => {
  for (const [enc, integ] of SUITES) {
    for (const esn of [false, true]) {
      it(`${enc}${integ ? `+${integ}` : ''}${esn ? ' esn' : ''}: identical bytes both ways`, () => {
        const p = params(enc, integ, esn);
        // Start just below a 2^32 boundary so ESN packets carry seq-high 0 and 1.
        const start = esn ? 0xfffffffen : 100n;
        const out = new NativeEspSa(p, 'out', { nextSeq: start });
        const inn = new NativeEspSa(p, 'in');
        const ivBytes = integ === null ? 8 : 16;
        let seq = start;
        for (const len of [1, 20, 61, 62, 63, 64, 1400]) {
          const version = len % 2 === 0 ? 6 : 4;
          const inner = innerPacket(len, version);
          const nh = version === 4 ? 4 : 41;
          const iv = integ === null ? undefined : rng.bytes(ivBytes);
          const nativeEsp = expectOk(out.sealOne(inner, nh, iv));
          const tsEsp = sealEsp(p, seq, inner, nh, iv);
          expect(nativeEsp.toString('hex')).toBe(tsEsp.toString('hex'));
          // TS opens what native sealed, native opens it too.
          const opened = openEsp(p, nativeEsp, Number(seq >> 32n));
          expect(typeof opened).toBe('object');
          if (typeof opened === 'object') expect(opened.inner.equals(inner)).toBe(true);
          const back = inn.openOne(tsEsp);
          expect(back.ok).toBe(true);
          if (back.ok) {
            expect(back.packet.equals(inner)).toBe(true);
            expect(back.nextHeader).toBe(nh);
          }
          seq += 1n;
        }
        expect(out.seq).toBe(seq - 1n);
        expect(inn.seq).toBe(seq - 1n);
        expect(out.packets).toBe(7n);
        expect(inn.packets).toBe(7n);
        expect(inn.bytes).toBe(BigInt(1 + 20 + 61 + 62 + 63 + 64 + 1400));
      });
    }
  }

  it('derives next header from the IP version and rejects non-IP inner packets', () => {
    const p = params('aes-gcm-256', null, false);
    const out = new NativeEspSa(p, 'out');
    const v6 = innerPacket(48, 6);
    expect(expectOk(out.sealOne(v6)).equals(sealEsp(p, 1n, v6, 41))).toBe(true);
    const junk = Buffer.from([0x20, 1, 2, 3]);
    const r = out.sealOne(junk);
    expect(r).toEqual({ ok: false, drop: DROP_REASON['not-ip'] });
    expect(out.drops(DROP_REASON['not-ip'])).toBe(1n);
  });

  it('rejects bad key material without echoing it', () => {
    const p = params('aes-gcm-256', null, false);
    const bad = { ...p, encKey: p.encKey.subarray(0, 30) };
    let message = '';
    try {
      new NativeEspSa(bad, 'out');
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/GCM key/);
    expect(message).not.toContain(bad.encKey.toString('hex').slice(0, 8));
    const cbc = params('aes-cbc-256', 'sha256', false);
    expect(() => new NativeEspSa({ ...cbc, integKey: rng.bytes(20) }, 'in')).toThrow(
      /integrity key has the wrong length/,
    );
  });

  it('generates distinct CBC IVs per packet when none is injected', () => {
    const p = params('aes-cbc-256', 'sha256', false);
    const out = new NativeEspSa(p, 'out');
    const inn = new NativeEspSa(p, 'in');
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const esp = expectOk(out.sealOne(innerPacket(100)));
      ivs.add(esp.subarray(8, 24).toString('hex'));
      expect(inn.openOne(esp).ok).toBe(true);
    }
    expect(ivs.size).toBe(50);
  });
});

describe('GCM against node:crypto (RFC 4106 §3.1 IV, §5 AAD)', () => {
  it('matches an independent node:crypto computation with ESN', () => {
    const p = params('aes-gcm-256', null, true, 0xcafe0001);
    const seq = 0x1_0000_0005n;
    const out = new NativeEspSa(p, 'out', { nextSeq: seq });
    const inner = innerPacket(77);
    const esp = expectOk(out.sealOne(inner, 4));
    const key = p.encKey.subarray(0, 32);
    const salt = p.encKey.subarray(32);
    const iv = Buffer.alloc(8);
    iv.writeBigUInt64BE(seq);
    const aad = Buffer.alloc(12);
    aad.writeUInt32BE(0xcafe0001, 0);
    aad.writeUInt32BE(1, 4);
    aad.writeUInt32BE(5, 8);
    const pad = (4 - ((77 + 2) % 4)) % 4;
    const plain = Buffer.concat([
      inner,
      Buffer.from([1, 2, 3].slice(0, pad)),
      Buffer.from([pad, 4]),
    ]);
    const c = createCipheriv('aes-256-gcm', key, Buffer.concat([salt, iv]));
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    const header = Buffer.from([0xca, 0xfe, 0x00, 0x01, 0, 0, 0, 5]);
    expect(esp.toString('hex')).toBe(Buffer.concat([header, iv, ct]).toString('hex'));
  });
});

/** GCM-encrypt an arbitrary plaintext (e.g. with bad padding) as a valid ESP packet. */
function gcmRaw(p: ChildSaParams, seq: number, plain: Buffer): Buffer {
  const key = p.encKey.subarray(0, p.encKey.length - 4);
  const salt = p.encKey.subarray(p.encKey.length - 4);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(p.spi, 0);
  header.writeUInt32BE(seq, 4);
  const iv = Buffer.alloc(8);
  iv.writeBigUInt64BE(BigInt(seq));
  const c = createCipheriv(
    `aes-${key.length * 8}-gcm` as 'aes-256-gcm',
    key,
    Buffer.concat([salt, iv]),
  );
  c.setAAD(header);
  return Buffer.concat([header, iv, c.update(plain), c.final(), c.getAuthTag()]);
}

describe('native inbound checks', () => {
  it('anti-replay: duplicates, out-of-order inside the window, stale and zero', () => {
    const p = params('aes-gcm-256', null, false, 0x1000, 64);
    const inn = new NativeEspSa(p, 'in');
    const pkt = (seq: number) => sealEsp(p, BigInt(seq), innerPacket(40), 4);
    expect(inn.openOne(pkt(1)).ok).toBe(true);
    expect(inn.openOne(pkt(3)).ok).toBe(true);
    expect(inn.openOne(pkt(2)).ok).toBe(true);
    expect(inn.openOne(pkt(2))).toEqual({ ok: false, drop: DROP_REASON.replay });
    expect(inn.openOne(pkt(200)).ok).toBe(true);
    // Window 64: 200 - 137 = 63 is inside, 200 - 136 = 64 is stale.
    expect(inn.openOne(pkt(137)).ok).toBe(true);
    expect(inn.openOne(pkt(136))).toEqual({ ok: false, drop: DROP_REASON['replay-stale'] });
    expect(inn.openOne(pkt(0))).toEqual({ ok: false, drop: DROP_REASON['replay-stale'] });
    // A jump far ahead clears the ring: an old bit must not make a new number look replayed.
    expect(inn.openOne(pkt(200 + 64 * 40 + 3)).ok).toBe(true);
    expect(inn.openOne(pkt(200 + 64 * 40 + 1)).ok).toBe(true);
    expect(inn.drops(DROP_REASON.replay)).toBe(1n);
    expect(inn.drops(DROP_REASON['replay-stale'])).toBe(2n);
    expect(inn.seq).toBe(BigInt(200 + 64 * 40 + 3));
  });

  it('updates the window only after the ICV verifies', () => {
    const p = params('aes-cbc-256', 'sha256', false, 0x2000);
    const inn = new NativeEspSa(p, 'in');
    const good = sealEsp(p, 10n, innerPacket(60), 4, rng.bytes(16));
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    expect(inn.openOne(bad)).toEqual({ ok: false, drop: DROP_REASON.icv });
    expect(inn.seq).toBe(0n);
    expect(inn.openOne(good).ok).toBe(true);
    expect(inn.openOne(good)).toEqual({ ok: false, drop: DROP_REASON.replay });
    expect(inn.drops(DROP_REASON.icv)).toBe(1n);
  });

  it('ESN: infers seq-high across the 2^32 boundary (RFC 4303 App. A2.2)', () => {
    const p = params('aes-gcm-256', null, true, 0x3000, 128);
    const inn = new NativeEspSa(p, 'in');
    const pkt = (seq: bigint) => sealEsp(p, seq, innerPacket(30), 4);
    expect(inn.openOne(pkt(0xffff_fff0n)).ok).toBe(true);
    expect(inn.openOne(pkt(0x1_0000_0002n)).ok).toBe(true); // case A: next subspace
    expect(inn.seq).toBe(0x1_0000_0002n);
    expect(inn.openOne(pkt(0xffff_fff5n)).ok).toBe(true); // case B: older subspace, in window
    expect(inn.openOne(pkt(0xffff_fff5n))).toEqual({ ok: false, drop: DROP_REASON.replay });
    // Wrong seq-high guess: a packet from a far older subspace fails the ICV, not the replay check.
    expect(inn.openOne(pkt(0x0000_0010n))).toEqual({ ok: false, drop: DROP_REASON.icv });
    expect(inn.seq).toBe(0x1_0000_0002n);
  });

  it('bad padding, dummy packets and bad next header are counted by reason', () => {
    const p = params('aes-gcm-128', null, false, 0x4000);
    const inn = new NativeEspSa(p, 'in');
    const body = innerPacket(30);
    // 30 + 2 = 32: no padding needed; claim pad length 2 with wrong pad bytes 7, 7.
    const badPad = Buffer.concat([body.subarray(0, 28), Buffer.from([7, 7, 2, 4])]);
    expect(inn.openOne(gcmRaw(p, 1, badPad))).toEqual({ ok: false, drop: DROP_REASON.padding });
    const tooLong = Buffer.concat([body.subarray(0, 28), Buffer.from([1, 2, 200, 4])]);
    expect(inn.openOne(gcmRaw(p, 2, tooLong))).toEqual({ ok: false, drop: DROP_REASON.padding });
    const dummy = Buffer.concat([body.subarray(0, 30), Buffer.from([0, 59])]);
    expect(inn.openOne(gcmRaw(p, 3, dummy))).toEqual({ ok: false, drop: DROP_REASON.dummy });
    const udp = Buffer.concat([body.subarray(0, 30), Buffer.from([0, 17])]);
    expect(inn.openOne(gcmRaw(p, 4, udp))).toEqual({ ok: false, drop: DROP_REASON['next-header'] });
    expect(inn.drops(DROP_REASON.padding)).toBe(2n);
    expect(inn.drops(DROP_REASON.dummy)).toBe(1n);
    expect(inn.drops(DROP_REASON['next-header'])).toBe(1n);
    expect(inn.packets).toBe(0n);
  });

  it('truncated and misaligned packets are dropped before any crypto', () => {
    const p = params('aes-cbc-128', 'sha1', false, 0x5000);
    const inn = new NativeEspSa(p, 'in');
    const good = sealEsp(p, 1n, innerPacket(50), 4, rng.bytes(16));
    expect(inn.openOne(good.subarray(0, 30))).toEqual({ ok: false, drop: DROP_REASON.truncated });
    expect(inn.openOne(Buffer.concat([good, Buffer.alloc(1)]))).toEqual({
      ok: false,
      drop: DROP_REASON.truncated,
    });
    expect(inn.drops(DROP_REASON.truncated)).toBe(2n);
  });

  it('never throws and only returns known drop codes on random input', () => {
    const p = params('aes-gcm-256', null, true, 0x6000);
    const inn = new NativeEspSa(p, 'in');
    const known = new Set<number>([...Object.values(DROP_REASON), ...Object.values(NATIVE_DROP)]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        if (b.length >= 4) b.writeUInt32BE(0x6000, 0);
        const r = inn.openOne(b);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(known.has(r.drop)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('native outbound sequence limits (RFC 4303 §3.3.3)', () => {
  it('32-bit: soft flag near the end, refuses after 2^32 - 1, never wraps', () => {
    const p = params('aes-gcm-256', null, false, 0x7000);
    const out = new NativeEspSa(p, 'out', { nextSeq: 0xffff_0000n });
    expect(out.seqSoftReached).toBe(false);
    expect(out.sealOne(innerPacket(20)).ok).toBe(true);
    expect(out.seqSoftReached).toBe(true);
    const last = new NativeEspSa(p, 'out', { nextSeq: 0xffff_ffffn });
    expect(last.sealOne(innerPacket(20)).ok).toBe(true);
    expect(last.seqExhausted).toBe(true);
    expect(last.sealOne(innerPacket(20))).toEqual({ ok: false, drop: DROP_REASON['seq-overflow'] });
    expect(last.drops(DROP_REASON['seq-overflow'])).toBe(1n);
    expect(last.seq).toBe(0xffff_ffffn);
  });

  it('ESN: continues past 2^32 with seq-high in the IV and AAD', () => {
    const p = params('aes-gcm-256', null, true, 0x7001);
    const out = new NativeEspSa(p, 'out', { nextSeq: 0xffff_ffffn });
    const a = expectOk(out.sealOne(innerPacket(20)));
    const b = expectOk(out.sealOne(innerPacket(20)));
    expect(a.readUInt32BE(4)).toBe(0xffffffff);
    expect(b.readUInt32BE(4)).toBe(0);
    expect(b.readBigUInt64BE(8)).toBe(0x1_0000_0000n);
    expect(out.seqSoftReached).toBe(false);
  });
});

describe('native batches through a SAD', () => {
  it('seals 64 packets in one call and opens them by SPI; unknown SPI counted', () => {
    const pa = params('aes-gcm-256', null, false, 0x8001);
    const pb = params('aes-cbc-256', 'sha256', true, 0x8002);
    const outA = new NativeEspSa(pa, 'out');
    const outB = new NativeEspSa(pb, 'out');
    const sad = new NativeEspSad();
    const inA = new NativeEspSa(pa, 'in');
    const inB = new NativeEspSa(pb, 'in');
    sad.add(inA, 0);
    sad.add(inB, 1);
    const batch = new EspBatch(64);
    const inners: Buffer[] = [];
    for (let i = 0; i < 64; i++) {
      const inner = innerPacket(100 + i * 20, i % 2 === 0 ? 4 : 6);
      inners.push(inner);
      batch.setInput(i, inner);
    }
    expect(outA.sealBatch(batch, 64)).toBe(64);
    // Packet i as the TS reference would seal it (GCM: deterministic).
    expect(batch.output(5).equals(sealEsp(pa, 6n, inners[5]!, 41))).toBe(true);
    const sealedA = [...Array(64).keys()].map((i) => Buffer.from(batch.output(i)));
    expect(outB.sealBatch(batch, 32)).toBe(32);
    const sealedB = [...Array(32).keys()].map((i) => Buffer.from(batch.output(i)));
    // Mix: A packets, B packets and one with an unknown SPI.
    const mixed = [...sealedA.slice(0, 40), ...sealedB, Buffer.from(sealedA[40]!)];
    mixed[mixed.length - 1]!.writeUInt32BE(0xdeadbeef, 0);
    const big = new EspBatch(mixed.length);
    mixed.forEach((m, i) => {
      big.setInput(i, m);
    });
    expect(sad.openBatch(big, mixed.length)).toBe(72);
    for (let i = 0; i < 40; i++) expect(big.output(i).equals(inners[i]!)).toBe(true);
    for (let i = 0; i < 32; i++) expect(big.output(40 + i).equals(inners[i]!)).toBe(true);
    expect(big.results[72]).toBe(DROP_REASON['unknown-spi']);
    expect(sad.drops(DROP_REASON['unknown-spi'])).toBe(1n);
    expect(inA.packets).toBe(40n);
    expect(inB.packets).toBe(32n);
    // After removal the SPI is unknown.
    expect(sad.remove(0x8001)).toBe(true);
    const again = new EspBatch(1);
    again.setInput(0, sealedA[41]!);
    expect(sad.openBatch(again, 1)).toBe(0);
    expect(sad.drops(DROP_REASON['unknown-spi'])).toBe(2n);
  });

  it('rejects out-of-range slots instead of touching memory past the slab', () => {
    const p = params('aes-gcm-256', null, false, 0x9000);
    const out = new NativeEspSa(p, 'out');
    const batch = new EspBatch(2, 256);
    batch.setInput(0, innerPacket(100));
    batch.inLengths[1] = 10_000;
    expect(out.sealBatch(batch, 2)).toBe(1);
    expect(batch.results[1]).toBe(NATIVE_DROP['no-buffer']);
  });
});
