/**
 * Regenerates test/vectors/esp/vectors.json from the TypeScript reference (src/esp/wire.ts).
 * Run: `npx tsx test/vectors/esp/generate.ts`. The output is frozen: the unit tests check that the
 * reference still reproduces it byte for byte, and the native engineer checks native/src/esp*.cc
 * against it. Only regenerate on a deliberate, reviewed change of the conventions (README.md).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ENCRYPTION_NAMES,
  INTEGRITY_NAMES,
  espEncKeyBytes,
} from '../../../src/crypto/transforms.js';
import type { EncryptionName, IntegrityName } from '../../../src/crypto/transforms.js';
import { INTEGRITY, isAead } from '../../../src/crypto/transforms.js';
import { inetChecksum } from '../../../src/tunnel/inet-checksum.js';
import { ReplayWindow } from '../../../src/esp/replay.js';
import { fullSeq, inferSeqHigh } from '../../../src/esp/esn.js';
import {
  espLayout,
  espPlaintext,
  sealEsp,
  sealEspPlaintext,
  type EspSaKeys,
} from '../../../src/esp/wire.js';

export interface VectorSa {
  encryption: EncryptionName;
  integrity: IntegrityName | null;
  encKeyHex: string;
  integKeyHex: string | null;
  spi: number;
  esn: boolean;
}

export interface EspVector {
  name: string;
  source: string;
  sa: VectorSa;
  /** Full sequence number, decimal (64-bit with ESN). */
  seq: string;
  ivHex?: string;
  innerHex: string;
  nextHeader: number;
  espHex: string;
}

export interface OpenFailureVector {
  name: string;
  source: string;
  sa: VectorSa;
  /** seq-high to open with (ignored without ESN). */
  seqHigh: number;
  espHex: string;
  drop: string;
}

const SOURCE = 'nvad reference, generated (test/vectors/esp/generate.ts)';

function bytes(label: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  let off = 0;
  for (let i = 0; off < n; i++) {
    off += createHash('sha256').update(`nvad-esp-vector:${label}:${i}`).digest().copy(out, off);
  }
  return out;
}

/** A plausible inner packet: IPv4/IPv6 header (protocol 253, RFC 3692 experimental) + payload. */
export function innerPacket(family: 4 | 6, payloadBytes: number, label: string): Buffer {
  const payload = bytes(`payload:${label}`, payloadBytes);
  if (family === 4) {
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h.writeUInt16BE(20 + payloadBytes, 2);
    h.writeUInt16BE(0x1234, 4);
    h[6] = 0x40; // DF
    h[8] = 64;
    h[9] = 253;
    h.set([10, 0, 1, 1], 12);
    h.set([10, 0, 2, 2], 16);
    h.writeUInt16BE(inetChecksum(h, 0, 20), 10);
    return Buffer.concat([h, payload]);
  }
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payloadBytes, 4);
  h[6] = 253;
  h[7] = 64;
  h.set(Buffer.from('fd000000000000000000000000000001', 'hex'), 8);
  h.set(Buffer.from('fd000000000000000000000000000002', 'hex'), 24);
  return Buffer.concat([h, payload]);
}

function saFor(enc: EncryptionName, integ: IntegrityName | null, esn: boolean): VectorSa {
  const label = `${enc}/${integ ?? 'aead'}/${esn ? 'esn' : 'noesn'}`;
  return {
    encryption: enc,
    integrity: integ,
    encKeyHex: bytes(`enc:${label}`, espEncKeyBytes(enc)).toString('hex'),
    integKeyHex:
      integ === null ? null : bytes(`integ:${label}`, INTEGRITY[integ].keyBytes).toString('hex'),
    spi: (bytes(`spi:${label}`, 4).readUInt32BE(0) | 0x100) >>> 0,
    esn,
  };
}

export function toKeys(sa: VectorSa): EspSaKeys {
  return {
    spi: sa.spi,
    encryption: sa.encryption,
    integrity: sa.integrity,
    encKey: Buffer.from(sa.encKeyHex, 'hex'),
    integKey: sa.integKeyHex === null ? null : Buffer.from(sa.integKeyHex, 'hex'),
    esn: sa.esn,
  };
}

export interface ReplayArrival {
  /** The full sequence number the sender used (decimal string, 64-bit with ESN). */
  seq: string;
  /** What is on the wire. */
  seqLow: number;
  /** seq-high the receiver infers (always 0 without ESN). */
  seqHigh: number;
  /**
   * icv: the inferred seq-high differs from the sender's, so the ICV fails (window unchanged);
   * ok: accepted and recorded; replay / replay-stale: rejected by the window.
   */
  result: 'ok' | 'replay' | 'replay-stale' | 'icv';
}

export interface ReplayScenario {
  name: string;
  source: string;
  /** Configured window (rounded up to a multiple of 32 by the receiver; 0 disables). */
  window: number;
  esn: boolean;
  /** Arrivals in order at a fresh inbound SA. */
  arrivals: ReplayArrival[];
}

const REPLAY_SOURCE =
  'nvad reference, generated; RFC 4303 §3.4.3 and Appendix A.2.2, RFC 6479 (window semantics in src/esp/README.md)';

function replayScenario(
  name: string,
  window: number,
  esn: boolean,
  seqs: bigint[],
): ReplayScenario {
  const w = new ReplayWindow(window);
  const arrivals = seqs.map((seq): ReplayArrival => {
    const seqLow = Number(seq & 0xffff_ffffn);
    const seqHigh = esn ? inferSeqHigh(w.top, w.size, seqLow) : 0;
    const base = { seq: seq.toString(), seqLow, seqHigh };
    if (fullSeq(seqHigh, seqLow) !== seq) return { ...base, result: 'icv' };
    const r = w.checkAndUpdate(seq);
    return { ...base, result: r === null ? 'ok' : r === 'replay' ? 'replay' : 'replay-stale' };
  });
  return { name, source: REPLAY_SOURCE, window, esn, arrivals };
}

export function replayScenarios(): ReplayScenario[] {
  const n = (...xs: number[]): bigint[] => xs.map((x) => BigInt(x));
  const hl = (high: number, low: number): bigint => fullSeq(high, low);
  return [
    replayScenario('in order, duplicates, sequence 0', 64, false, n(1, 2, 3, 3, 5, 4, 4, 0, 6)),
    replayScenario('window edges (W = 64)', 64, false, n(1000, 937, 936, 937, 999, 1001, 938, 937)),
    replayScenario('window rounded up (100 → 128)', 100, false, n(500, 373, 372, 400)),
    replayScenario(
      'far-future jump clears the ring',
      64,
      false,
      n(1, 2, 3, 100_000, 99_999, 99_937, 99_936, 3, 100_000),
    ),
    replayScenario(
      'block reuse in a 2-block ring (W = 32)',
      32,
      false,
      n(5, 70, 69, 38, 39, 37, 70),
    ),
    replayScenario(
      '32-bit: the top of the sequence space',
      1024,
      false,
      n(0xffff_fffe, 0xffff_ffff, 0xffff_fffd, 0xffff_ffff),
    ),
    replayScenario('ESN: rollover of seq-high with reordering', 64, true, [
      hl(0, 1),
      hl(0, 0xffff_fff0),
      hl(0, 0xffff_fffe),
      hl(1, 2),
      hl(0, 0xffff_ffff),
      hl(1, 1),
      hl(1, 3),
      hl(0, 0xffff_fffe),
      hl(0, 0xffff_fffd),
      hl(1, 0),
      hl(0, 0xffff_ffc0),
      hl(1, 4),
    ]),
    replayScenario('ESN: Case B keeps late packets in the older subspace', 1024, true, [
      hl(0, 0xffff_fc00),
      hl(1, 5),
      hl(0, 0xffff_fd00),
      hl(0, 0xffff_fc00),
      hl(1, 6),
      hl(1, 0x7fff_0000),
      hl(1, 0x7ffe_ff00),
      hl(2, 1),
    ]),
    replayScenario('ESN with anti-replay disabled (inference uses W = 1024)', 0, true, [
      hl(0, 0xffff_fff0),
      hl(1, 3),
      hl(0, 0xffff_fff1),
      hl(1, 3),
      hl(0, 0xffff_fc10),
      hl(0, 0xffff_f000),
      hl(1, 4),
    ]),
  ];
}

const SIZES = [1, 40, 1400] as const;
const SEQ_32 = [1n, 0x12345678n, 0xfffffff0n] as const;
const SEQ_ESN = [0x1_0000_0001n, 0x2_ffff_fffen, 0xdeadbeef_0000_0007n] as const;

export function generate(): { vectors: EspVector[]; openFailures: OpenFailureVector[] } {
  const vectors: EspVector[] = [];
  for (const enc of ENCRYPTION_NAMES) {
    const integs: (IntegrityName | null)[] = isAead(enc) ? [null] : INTEGRITY_NAMES;
    for (const integ of integs) {
      for (const esn of [false, true]) {
        const sa = saFor(enc, integ, esn);
        for (const family of [4, 6] as const) {
          SIZES.forEach((size, i) => {
            const seq = (esn ? SEQ_ESN : SEQ_32)[i] ?? 1n;
            const name = `${enc} ${integ ?? ''} ${esn ? 'esn' : 'no-esn'} ipv${family} ${size}B`;
            const inner = innerPacket(family, size, name);
            const iv = integ === null ? undefined : bytes(`iv:${name}`, 16);
            const nextHeader = family === 4 ? 4 : 41;
            const esp = sealEsp(toKeys(sa), seq, inner, nextHeader, iv);
            vectors.push({
              name: name.replace(/\s+/g, ' '),
              source: SOURCE,
              sa,
              seq: seq.toString(),
              ...(iv ? { ivHex: iv.toString('hex') } : {}),
              innerHex: inner.toString('hex'),
              nextHeader,
              espHex: esp.toString('hex'),
            });
          });
        }
      }
    }
  }
  return { vectors, openFailures: failures() };
}

function failures(): OpenFailureVector[] {
  const out: OpenFailureVector[] = [];
  const cases: [EncryptionName, IntegrityName | null][] = [
    ['aes-gcm-128', null],
    ['aes-cbc-256', 'sha256'],
  ];
  for (const [enc, integ] of cases) {
    const sa = saFor(enc, integ, true);
    const keys = toKeys(sa);
    const align = espLayout(keys).alignBytes;
    const inner = innerPacket(4, 40, `fail:${enc}`);
    const seq = 0x3_0000_0010n;
    const seqHigh = 3;
    const iv = integ === null ? undefined : bytes(`iv:fail:${enc}`, 16);
    const add = (what: string, esp: Buffer, drop: string, high = seqHigh): void => {
      out.push({
        name: `${enc} ${what}`,
        source: SOURCE,
        sa,
        seqHigh: high,
        espHex: esp.toString('hex'),
        drop,
      });
    };
    const good = sealEsp(keys, seq, inner, 4, iv);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 0x01;
    add('ciphertext bit flipped', flipped, 'icv');
    add('wrong seq-high (ESN ICV covers it)', good, 'icv', seqHigh + 1);
    add('truncated to header', good.subarray(0, 12), 'truncated');
    const badPad = espPlaintext(inner, 4, align);
    const padLen = badPad[badPad.length - 2] ?? 0;
    if (padLen > 0) {
      badPad[badPad.length - 3] = 0xee; // last padding byte should equal padLen
      add('padding bytes not 1, 2, 3', sealEspPlaintext(keys, seq, badPad, iv), 'padding');
    }
    const hugePad = espPlaintext(inner, 4, align);
    hugePad[hugePad.length - 2] = 0xff; // pad length beyond the payload
    add('pad length past payload', sealEspPlaintext(keys, seq, hugePad, iv), 'padding');
    add('next header 17 (transport mode UDP)', sealEsp(keys, seq, inner, 17, iv), 'next-header');
    add('next header 59 (dummy packet)', sealEsp(keys, seq, inner, 59, iv), 'dummy');
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { vectors, openFailures } = generate();
  const doc = {
    format: 'nvad-esp-vectors/1',
    description:
      'ESP tunnel-mode packets produced by the TypeScript reference (see README.md for the ' +
      'conventions). vectors: seal(sa, seq, inner, nextHeader, iv) must give espHex, and open must ' +
      'give innerHex back. openFailures: open(sa, espHex, seqHigh) must drop with `drop`.',
    vectors,
    openFailures,
  };
  // Formatted like the rest of the repository so `prettier --check .` stays clean.
  const { format } = await import('prettier');
  const write = async (file: string, value: unknown): Promise<string> => {
    const path = fileURLToPath(new URL(file, import.meta.url));
    writeFileSync(path, await format(JSON.stringify(value), { parser: 'json', printWidth: 100 }));
    return path;
  };
  const path = await write('./vectors.json', doc);
  console.log(`wrote ${vectors.length} vectors and ${openFailures.length} failures to ${path}`);
  const scenarios = replayScenarios();
  const replayPath = await write('./replay.json', {
    format: 'nvad-replay-vectors/1',
    description:
      'Anti-replay window and ESN seq-high inference: feed each arrival (sent with the full seq, ' +
      'seqLow on the wire) to a fresh SA receiver with the given window/esn; it must infer ' +
      'seqHigh and give result (ok = accepted ' +
      "and recorded; icv = the inferred seq-high is not the sender's, so the ICV fails).",
    scenarios,
  });
  console.log(`wrote ${scenarios.length} replay scenarios to ${replayPath}`);
}
