/**
 * Reverse lookup of IANA transform IDs (RFC 7296 §3.3.2) + key length (§3.3.5) to our
 * configuration names (`crypto/transforms.ts`), and short display names for proposal logs.
 */
import {
  DH_GROUP,
  ENCRYPTION,
  INTEGRITY,
  PRF,
  type DhGroupName,
  type EncryptionName,
  type IntegrityName,
  type PrfName,
} from '../../crypto/transforms.js';
import {
  dhIdName,
  encrIdName,
  esnIdName,
  integIdName,
  prfIdName,
  TransformType,
  transformTypeName,
} from '../wire/constants.js';
import { keyLengthOf, type Transform } from '../wire/payloads/index.js';

/** Our encryption name for an ENCR transform ID and key length in bits, or null. */
export function encryptionByIana(id: number, keyBits: number | undefined): EncryptionName | null {
  for (const [name, e] of Object.entries(ENCRYPTION)) {
    if (e.ianaId === id && e.keyBits === keyBits) return name as EncryptionName;
  }
  return null;
}

export function integrityByIana(id: number): IntegrityName | null {
  for (const [name, t] of Object.entries(INTEGRITY)) {
    if (t.ianaId === id) return name as IntegrityName;
  }
  return null;
}

export function prfByIana(id: number): PrfName | null {
  for (const [name, t] of Object.entries(PRF)) {
    if (t.ianaId === id) return name as PrfName;
  }
  return null;
}

export function dhByIana(id: number): DhGroupName | null {
  for (const [name, t] of Object.entries(DH_GROUP)) {
    if (t.ianaId === id) return name as DhGroupName;
  }
  return null;
}

/** Display name of one transform: ours when known, the IANA name (with key length) otherwise. */
export function transformDisplayName(t: Transform): string {
  const bits = keyLengthOf(t);
  switch (t.type) {
    case TransformType.ENCR:
      return (
        encryptionByIana(t.id, bits) ?? `${encrIdName(t.id)}${bits === undefined ? '' : `-${bits}`}`
      );
    case TransformType.INTEG:
      return integrityByIana(t.id) ?? integIdName(t.id);
    case TransformType.PRF: {
      const p = prfByIana(t.id);
      return p === null ? prfIdName(t.id) : `prf-${p}`;
    }
    case TransformType.DH:
      return dhByIana(t.id) ?? dhIdName(t.id);
    case TransformType.ESN:
      return t.id === 1 ? 'esn' : t.id === 0 ? 'noesn' : esnIdName(t.id);
    default:
      return `${transformTypeName(t.type)}:${t.id}`;
  }
}
