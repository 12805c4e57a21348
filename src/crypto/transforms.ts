/**
 * Transform registry: the names the configuration uses, mapped to IANA IKEv2 transform IDs
 * (RFC 7296 §3.3.2, IANA "Internet Key Exchange Version 2 (IKEv2) Parameters") and to the
 * algorithm parameters ESP and IKE need. One vocabulary for config, IKE and ESP.
 */

/** Encryption algorithms (IKE and ESP). GCM uses a 16-octet ICV (RFC 4106 / RFC 5282). */
export const ENCRYPTION = {
  'aes-cbc-128': {
    ianaId: 12,
    keyBits: 128,
    aead: false,
    ivBytes: 16,
    blockBytes: 16,
    saltBytes: 0,
    icvBytes: 0,
  },
  'aes-cbc-256': {
    ianaId: 12,
    keyBits: 256,
    aead: false,
    ivBytes: 16,
    blockBytes: 16,
    saltBytes: 0,
    icvBytes: 0,
  },
  'aes-gcm-128': {
    ianaId: 20,
    keyBits: 128,
    aead: true,
    ivBytes: 8,
    blockBytes: 4,
    saltBytes: 4,
    icvBytes: 16,
  },
  'aes-gcm-256': {
    ianaId: 20,
    keyBits: 256,
    aead: true,
    ivBytes: 8,
    blockBytes: 4,
    saltBytes: 4,
    icvBytes: 16,
  },
} as const;
export type EncryptionName = keyof typeof ENCRYPTION;

/** Integrity algorithms, named by their hash. INTEG ids (RFC 7296, RFC 4868). */
export const INTEGRITY = {
  sha1: { ianaId: 2, name: 'hmac-sha1-96', hash: 'sha1', keyBytes: 20, icvBytes: 12 },
  sha256: { ianaId: 12, name: 'hmac-sha256-128', hash: 'sha256', keyBytes: 32, icvBytes: 16 },
  sha384: { ianaId: 13, name: 'hmac-sha384-192', hash: 'sha384', keyBytes: 48, icvBytes: 24 },
  sha512: { ianaId: 14, name: 'hmac-sha512-256', hash: 'sha512', keyBytes: 64, icvBytes: 32 },
} as const;
export type IntegrityName = keyof typeof INTEGRITY;

/** Pseudo-random functions, named by their hash (PRF_HMAC_*). */
export const PRF = {
  sha1: { ianaId: 2, hash: 'sha1', outBytes: 20 },
  sha256: { ianaId: 5, hash: 'sha256', outBytes: 32 },
  sha384: { ianaId: 6, hash: 'sha384', outBytes: 48 },
  sha512: { ianaId: 7, hash: 'sha512', outBytes: 64 },
} as const;
export type PrfName = keyof typeof PRF;

/** Key exchange (Diffie-Hellman) groups, by strongSwan-style names. */
export const DH_GROUP = {
  modp1024: { ianaId: 2, kind: 'modp', bits: 1024 },
  modp2048: { ianaId: 14, kind: 'modp', bits: 2048 },
  /** RFC 5114 §2.3: 2048-bit MODP with a 256-bit prime-order subgroup (Azure DHGroup24/PFS24). */
  modp2048s256: { ianaId: 24, kind: 'modp', bits: 2048 },
  ecp256: { ianaId: 19, kind: 'ecp', bits: 256 },
  ecp384: { ianaId: 20, kind: 'ecp', bits: 384 },
  x25519: { ianaId: 31, kind: 'curve25519', bits: 256 },
} as const;
export type DhGroupName = keyof typeof DH_GROUP;

export function isAead(e: EncryptionName): boolean {
  return ENCRYPTION[e].aead;
}

/** Bytes of key material an ESP SA of this encryption takes (GCM: key plus 4-byte salt). */
export function espEncKeyBytes(e: EncryptionName): number {
  const t = ENCRYPTION[e];
  return t.keyBits / 8 + t.saltBytes;
}

export const ENCRYPTION_NAMES = Object.keys(ENCRYPTION) as EncryptionName[];
export const INTEGRITY_NAMES = Object.keys(INTEGRITY) as IntegrityName[];
export const PRF_NAMES = Object.keys(PRF) as PrfName[];
export const DH_GROUP_NAMES = Object.keys(DH_GROUP) as DhGroupName[];
