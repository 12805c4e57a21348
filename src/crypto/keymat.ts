/**
 * IKEv2 key derivation (RFC 7296):
 * - §2.14: SKEYSEED = prf(Ni | Nr, g^ir);
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * - §2.18: rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old
 *   SA's PRF; the new keys use the new PRF and the new SPIs.
 * - §2.17: child SA KEYMAT = prf+(SK_d, Ni | Nr) or, with PFS, prf+(SK_d, g^ir (new) | Ni | Nr);
 *   keys for initiator→responder first (encryption then integrity), then responder→initiator.
 * For AES-GCM the encryption key material includes the 4-byte salt (RFC 5282 §7.1, RFC 4106 §8.1).
 */
import { prf, prfOutBytes } from './prf.js';
import { prfPlus } from './prf-plus.js';
import {
  ENCRYPTION,
  espEncKeyBytes,
  INTEGRITY,
  type EncryptionName,
  type IntegrityName,
  type PrfName,
} from './transforms.js';

export interface IkeSuite {
  readonly encryption: EncryptionName;
  /** null for AEAD. */
  readonly integrity: IntegrityName | null;
  readonly prf: PrfName;
}

export interface IkeSaKeys {
  readonly skD: Buffer;
  readonly skAi: Buffer;
  readonly skAr: Buffer;
  readonly skEi: Buffer;
  readonly skEr: Buffer;
  readonly skPi: Buffer;
  readonly skPr: Buffer;
}

export interface DirectionKeys {
  readonly encKey: Buffer;
  /** Empty for AEAD. */
  readonly integKey: Buffer;
}

export interface ChildSaKeys {
  readonly initiatorToResponder: DirectionKeys;
  readonly responderToInitiator: DirectionKeys;
}

function spiBytes(spi: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, spi));
  return b;
}

function integKeyBytes(e: EncryptionName, i: IntegrityName | null): number {
  return ENCRYPTION[e].aead || i === null ? 0 : INTEGRITY[i].keyBytes;
}

/** RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir). */
export function skeyseed(prfName: PrfName, ni: Buffer, nr: Buffer, gir: Buffer): Buffer {
  return prf(prfName, Buffer.concat([ni, nr]), gir);
}

/** RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old PRF. */
export function rekeySkeyseed(
  oldPrf: PrfName,
  oldSkD: Buffer,
  gir: Buffer,
  ni: Buffer,
  nr: Buffer,
): Buffer {
  return prf(oldPrf, oldSkD, Buffer.concat([gir, ni, nr]));
}

/** RFC 7296 §2.14: split prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into the seven keys. */
export function deriveIkeKeys(
  suite: IkeSuite,
  seed: Buffer,
  ni: Buffer,
  nr: Buffer,
  spiI: bigint,
  spiR: bigint,
): IkeSaKeys {
  const dLen = prfOutBytes(suite.prf);
  const aLen = integKeyBytes(suite.encryption, suite.integrity);
  const e = ENCRYPTION[suite.encryption];
  const eLen = e.keyBits / 8 + e.saltBytes;
  const total = 3 * dLen + 2 * aLen + 2 * eLen;
  const s = Buffer.concat([ni, nr, spiBytes(spiI), spiBytes(spiR)]);
  const km = prfPlus(suite.prf, seed, s, total);
  let off = 0;
  const take = (n: number): Buffer => Buffer.from(km.subarray(off, (off += n)));
  return {
    skD: take(dLen),
    skAi: take(aLen),
    skAr: take(aLen),
    skEi: take(eLen),
    skEr: take(eLen),
    skPi: take(dLen),
    skPr: take(dLen),
  };
}

/** RFC 7296 §2.17: child SA keys; pass `gir` for a CREATE_CHILD_SA with KE (PFS). */
export function deriveChildKeys(
  prfName: PrfName,
  skD: Buffer,
  encryption: EncryptionName,
  integrity: IntegrityName | null,
  ni: Buffer,
  nr: Buffer,
  gir?: Buffer,
): ChildSaKeys {
  const eLen = espEncKeyBytes(encryption);
  const aLen = integKeyBytes(encryption, integrity);
  const seed = gir === undefined ? Buffer.concat([ni, nr]) : Buffer.concat([gir, ni, nr]);
  const km = prfPlus(prfName, skD, seed, 2 * (eLen + aLen));
  let off = 0;
  const take = (n: number): Buffer => Buffer.from(km.subarray(off, (off += n)));
  const initiatorToResponder = { encKey: take(eLen), integKey: take(aLen) };
  const responderToInitiator = { encKey: take(eLen), integKey: take(aLen) };
  return { initiatorToResponder, responderToInitiator };
}
