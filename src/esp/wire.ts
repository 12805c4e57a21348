/**
 * ESP packet protection, tunnel mode only (RFC 4303), as pure functions over buffers.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               Security Parameters Index (SPI)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Sequence Number (low 32 bits)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            IV (GCM: 8 bytes = 64-bit seq; CBC: 16 bytes)      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   inner IPv4 (next header 4) / IPv6 (41) packet   ~  padding  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   ... padding 1, 2, 3, …      |  Pad Length   | Next Header   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         ICV (GCM tag 16; HMAC truncated 12/16/24/32)          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Implements: RFC 4303 §2 (format, §2.2.1 ESN: seq-high authenticated, not sent; §2.4 padding
 * 1, 2, 3, …; §2.6 dummy packets), RFC 4106 (AES-GCM: nonce = salt || IV, AAD = SPI || seq-low or
 * SPI || seq-high || seq-low (§5), IV = the 64-bit sequence number), RFC 3602 (AES-CBC, explicit
 * IV) with RFC 2404 / RFC 4868 HMAC ICVs. The byte conventions are fixed in src/esp/README.md and
 * must match native/src/esp*.cc exactly.
 */
import { ENCRYPTION, INTEGRITY } from '../crypto/transforms.js';
import { cbcDecrypt, cbcEncrypt, gcmOpen, gcmSeal, GCM_TAG_BYTES } from '../crypto/esp-aead.js';
import { integrityIcv, macEqual } from '../crypto/hmac.js';
import type { ChildSaParams } from '../ike/ports.js';
import { AssertionError } from '../lib/errors.js';
import type { DropReason } from './drop-reason.js';

/** What sealing and opening need from an SA: the keyed transform, nothing stateful. */
export type EspSaKeys = Pick<
  ChildSaParams,
  'spi' | 'encryption' | 'integrity' | 'encKey' | 'integKey' | 'esn'
>;

export const NEXT_HEADER = { IPV4: 4, IPV6: 41, NO_NEXT_HEADER: 59 } as const;

export const ESP_HEADER_BYTES = 8;
const MASK32 = 0xffffffffn;

/** Result of a successful open: the inner packet (a copy) and its next header (4 or 41). */
export interface EspOpened {
  readonly inner: Buffer;
  readonly nextHeader: number;
}

/** Per-SA sizes derived from the transform. */
export interface EspLayout {
  readonly ivBytes: number;
  readonly icvBytes: number;
  /** Payload + padding + 2 is a multiple of this (GCM 4, CBC 16). */
  readonly alignBytes: number;
  readonly aead: boolean;
}

export function espLayout(sa: Pick<EspSaKeys, 'encryption' | 'integrity'>): EspLayout {
  const e = ENCRYPTION[sa.encryption];
  if (e.aead) return { ivBytes: e.ivBytes, icvBytes: GCM_TAG_BYTES, alignBytes: 4, aead: true };
  if (sa.integrity === null) throw new AssertionError('CBC without integrity is not supported');
  return {
    ivBytes: e.ivBytes,
    icvBytes: INTEGRITY[sa.integrity].icvBytes,
    alignBytes: e.blockBytes,
    aead: false,
  };
}

/** Bytes ESP adds around an inner packet of `innerBytes` (header, IV, padding, trailer, ICV). */
export function espOverhead(sa: Pick<EspSaKeys, 'encryption' | 'integrity'>, innerBytes: number) {
  const l = espLayout(sa);
  return ESP_HEADER_BYTES + l.ivBytes + padLength(innerBytes, l.alignBytes) + 2 + l.icvBytes;
}

/** Minimal padding so that payload + padding + 2 is a multiple of `align` (RFC 4303 §2.4). */
export function padLength(payloadBytes: number, align: number): number {
  return (align - ((payloadBytes + 2) % align)) % align;
}

function splitGcmKey(sa: EspSaKeys): { key: Buffer; salt: Buffer } {
  const keyBytes = ENCRYPTION[sa.encryption].keyBits / 8;
  if (sa.encKey.length !== keyBytes + 4) {
    throw new AssertionError(`${sa.encryption} needs ${keyBytes + 4} bytes of key material`);
  }
  return { key: sa.encKey.subarray(0, keyBytes), salt: sa.encKey.subarray(keyBytes) };
}

function gcmNonce(salt: Buffer, iv: Uint8Array): Buffer {
  const n = Buffer.allocUnsafe(12);
  salt.copy(n, 0, 0, 4);
  n.set(iv, 4);
  return n;
}

/** RFC 4106 §5: AAD = SPI || seq-low, or SPI || seq-high || seq-low with ESN. */
function gcmAad(header: Buffer, esn: boolean, seqHigh: number): Buffer {
  if (!esn) return header.subarray(0, 8);
  const aad = Buffer.allocUnsafe(12);
  header.copy(aad, 0, 0, 4);
  aad.writeUInt32BE(seqHigh >>> 0, 4);
  header.copy(aad, 8, 4, 8);
  return aad;
}

function seqHighBytes(seqHigh: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(seqHigh >>> 0, 0);
  return b;
}

/** The ESP payload before encryption: inner || padding 1, 2, 3, … || pad length || next header. */
export function espPlaintext(inner: Uint8Array, nextHeader: number, align: number): Buffer {
  const pad = padLength(inner.length, align);
  const plain = Buffer.allocUnsafe(inner.length + pad + 2);
  plain.set(inner, 0);
  for (let i = 1; i <= pad; i++) plain[inner.length + i - 1] = i; // RFC 4303 §2.4: 1, 2, 3, …
  plain[inner.length + pad] = pad;
  plain[inner.length + pad + 1] = nextHeader;
  return plain;
}

/**
 * Protect one inner packet. `seq` is the full sequence number (64-bit with ESN; the low 32 bits go
 * on the wire). `iv` is required for CBC (16 bytes, chosen by the caller) and ignored for GCM,
 * whose IV is the sequence number. Returns the ESP bytes from the SPI to the ICV (a new buffer).
 */
export function sealEsp(
  sa: EspSaKeys,
  seq: bigint,
  inner: Uint8Array,
  nextHeader: number,
  iv?: Uint8Array,
): Buffer {
  return sealEspPlaintext(sa, seq, espPlaintext(inner, nextHeader, espLayout(sa).alignBytes), iv);
}

/**
 * Encrypt and authenticate an already padded payload (`espPlaintext`). Exposed so tests can build
 * packets with deliberately wrong padding or next header; the length must suit the cipher.
 */
export function sealEspPlaintext(
  sa: EspSaKeys,
  seq: bigint,
  plain: Uint8Array,
  iv?: Uint8Array,
): Buffer {
  const l = espLayout(sa);
  const header = Buffer.allocUnsafe(ESP_HEADER_BYTES);
  header.writeUInt32BE(sa.spi >>> 0, 0);
  header.writeUInt32BE(Number(seq & MASK32), 4);
  const seqHigh = Number((seq >> 32n) & MASK32);

  if (l.aead) {
    const { key, salt } = splitGcmKey(sa);
    const ivBuf = Buffer.allocUnsafe(8);
    ivBuf.writeBigUInt64BE(seq & 0xffffffffffffffffn, 0); // RFC 4106 §3.1: IV = counter
    const sealed = gcmSeal(key, gcmNonce(salt, ivBuf), gcmAad(header, sa.esn, seqHigh), plain);
    return Buffer.concat([header, ivBuf, sealed]);
  }

  if (iv?.length !== l.ivBytes) throw new AssertionError(`CBC needs a ${l.ivBytes}-byte IV`);
  const integ = sa.integrity;
  const integKey = sa.integKey;
  if (integ === null || integKey === null) throw new AssertionError('CBC needs an integrity key');
  const ct = cbcEncrypt(sa.encKey, iv, plain);
  // RFC 4303 §2.2.1 / §3.3.2.1: seq-high is appended to the ICV input, never transmitted.
  const icv = sa.esn
    ? integrityIcv(integ, integKey, header, iv, ct, seqHighBytes(seqHigh))
    : integrityIcv(integ, integKey, header, iv, ct);
  return Buffer.concat([header, iv, ct, icv]);
}

/**
 * Whether an ESP packet of `length` bytes can be valid for this layout: room for the header, IV,
 * ICV and a ciphertext of at least 2 bytes that is a multiple of the alignment.
 */
export function espLengthOk(l: EspLayout, length: number): boolean {
  const ctLen = length - ESP_HEADER_BYTES - l.ivBytes - l.icvBytes;
  return ctLen >= 2 && ctLen % l.alignBytes === 0;
}

/** SPI and low 32 bits of the sequence number of an ESP packet, or null when too short. */
export function peekEspHeader(esp: Uint8Array): { spi: number; seqLow: number } | null {
  if (esp.length < ESP_HEADER_BYTES) return null;
  const b = Buffer.from(esp.buffer, esp.byteOffset, esp.byteLength);
  return { spi: b.readUInt32BE(0), seqLow: b.readUInt32BE(4) };
}

/**
 * Verify and decrypt one ESP packet with `seqHigh` (the inferred upper 32 bits, RFC 4303
 * App. A; ignored without ESN). Never throws on any input: a failure is a DropReason.
 * Replay checking is the caller's (check before, update only after this succeeds).
 */
export function openEsp(sa: EspSaKeys, esp: Uint8Array, seqHigh: number): EspOpened | DropReason {
  const plain = decryptEsp(sa, esp, seqHigh);
  return typeof plain === 'string' ? plain : parseTrailer(plain);
}

/**
 * Length and SPI checks, ICV verification and decryption: the payload with its padding and
 * trailer still attached, or why it was rejected.
 */
export function decryptEsp(
  sa: EspSaKeys,
  esp: Uint8Array,
  seqHigh: number,
): Buffer | 'truncated' | 'unknown-spi' | 'icv' {
  const l = espLayout(sa);
  const b = Buffer.from(esp.buffer, esp.byteOffset, esp.byteLength);
  if (!espLengthOk(l, b.length)) return 'truncated';
  const ctStart = ESP_HEADER_BYTES + l.ivBytes;
  const ctLen = b.length - ctStart - l.icvBytes;
  if (b.readUInt32BE(0) !== sa.spi >>> 0) return 'unknown-spi';
  const header = b.subarray(0, ESP_HEADER_BYTES);
  const iv = b.subarray(ESP_HEADER_BYTES, ctStart);
  const ct = b.subarray(ctStart, ctStart + ctLen);
  if (l.aead) {
    const { key, salt } = splitGcmKey(sa);
    const aad = gcmAad(header, sa.esn, seqHigh);
    return gcmOpen(key, gcmNonce(salt, iv), aad, b.subarray(ctStart)) ?? 'icv';
  }
  const integ = sa.integrity;
  const integKey = sa.integKey;
  if (integ === null || integKey === null) throw new AssertionError('CBC needs integrity');
  const icv = b.subarray(ctStart + ctLen);
  const expect = sa.esn
    ? integrityIcv(integ, integKey, header, iv, ct, seqHighBytes(seqHigh))
    : integrityIcv(integ, integKey, header, iv, ct);
  if (!macEqual(icv, expect)) return 'icv';
  return cbcDecrypt(sa.encKey, iv, ct);
}

/** Split a decrypted payload into inner packet and trailer (RFC 4303 §2.4, §2.6). */
export function parseTrailer(plain: Buffer): EspOpened | DropReason {
  const n = plain.length;
  const pad = plain[n - 2] ?? 0;
  const nextHeader = plain[n - 1] ?? 0;
  if (pad + 2 > n) return 'padding';
  const innerLen = n - 2 - pad;
  for (let i = 1; i <= pad; i++) if (plain[innerLen + i - 1] !== i) return 'padding';
  if (nextHeader === NEXT_HEADER.NO_NEXT_HEADER) return 'dummy';
  if (nextHeader !== NEXT_HEADER.IPV4 && nextHeader !== NEXT_HEADER.IPV6) return 'next-header';
  return { inner: plain.subarray(0, innerLen), nextHeader };
}
