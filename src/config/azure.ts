/**
 * Azure VPN Gateway custom IPsec/IKE policy (the Connection's `ipsecPolicies` entry) translated
 * into one native IKE policy and one IPsec policy. Field names and values are Azure's own
 * (Microsoft "About cryptographic requirements and Azure VPN gateways", custom policy table):
 * all fields are required; GCM IPsec encryption needs the same GCM value as IPsec integrity;
 * SA lifetime ≥ 300 s and ≥ 1024 KB. Azure's IKE SA lifetime is fixed at 28800 s.
 */
import type { DhGroupName, EncryptionName, IntegrityName, PrfName } from '../crypto/transforms.js';
import type { AzurePolicy, IkePolicy, IpsecPolicy } from './types.js';

/** Azure's IKE SA lifetime, which a custom policy cannot change. */
export const AZURE_IKE_LIFETIME_SEC = 28800;
export const AZURE_MIN_LIFETIME_SEC = 300;
export const AZURE_MIN_KILOBYTES = 1024;

/** A translated value, or null when Azure has the value but nvad does not implement it. */
type Entry<T> = T | null;

export const AZURE_IKE_ENCRYPTION: Readonly<Record<string, Entry<EncryptionName>>> = {
  GCMAES256: 'aes-gcm-256',
  GCMAES128: 'aes-gcm-128',
  AES256: 'aes-cbc-256',
  AES192: null,
  AES128: 'aes-cbc-128',
  DES3: null,
  DES: null,
};

/** IKE integrity; also selects the PRF (for GCM encryption it selects only the PRF). */
export const AZURE_IKE_INTEGRITY: Readonly<
  Record<string, Entry<{ integrity: IntegrityName | null; prf: PrfName }>>
> = {
  SHA384: { integrity: 'sha384', prf: 'sha384' },
  SHA256: { integrity: 'sha256', prf: 'sha256' },
  SHA1: { integrity: 'sha1', prf: 'sha1' },
  MD5: null,
  GCMAES256: { integrity: null, prf: 'sha384' },
  GCMAES128: { integrity: null, prf: 'sha256' },
};

export const AZURE_DH_GROUP: Readonly<Record<string, Entry<DhGroupName>>> = {
  DHGroup24: 'modp2048s256',
  ECP384: 'ecp384',
  ECP256: 'ecp256',
  DHGroup14: 'modp2048',
  DHGroup2048: 'modp2048',
  DHGroup2: 'modp1024',
  DHGroup1: null,
};

export const AZURE_IPSEC_ENCRYPTION: Readonly<Record<string, Entry<EncryptionName>>> = {
  GCMAES256: 'aes-gcm-256',
  GCMAES192: null,
  GCMAES128: 'aes-gcm-128',
  AES256: 'aes-cbc-256',
  AES192: null,
  AES128: 'aes-cbc-128',
  DES3: null,
  DES: null,
  None: null,
};

/** IPsec integrity; GCM values mean "the AEAD's own ICV" and must match the encryption. */
export const AZURE_IPSEC_INTEGRITY: Readonly<Record<string, Entry<IntegrityName | 'gcm'>>> = {
  GCMAES256: 'gcm',
  GCMAES192: null,
  GCMAES128: 'gcm',
  SHA256: 'sha256',
  SHA1: 'sha1',
  MD5: null,
};

/** PFS groups; `PFSMM` = the IKE (main mode) group, `None` = no PFS. */
export const AZURE_PFS_GROUP: Readonly<Record<string, Entry<DhGroupName | 'none' | 'mm'>>> = {
  PFS24: 'modp2048s256',
  ECP384: 'ecp384',
  ECP256: 'ecp256',
  PFS2048: 'modp2048',
  PFS14: 'modp2048',
  PFS2: 'modp1024',
  PFS1: null,
  PFSMM: 'mm',
  None: 'none',
};

export const AZURE_POLICY_FIELDS = [
  'ikeEncryption',
  'ikeIntegrity',
  'dhGroup',
  'ipsecEncryption',
  'ipsecIntegrity',
  'pfsGroup',
  'saLifeTimeSeconds',
  'saDataSizeKilobytes',
] as const;

export interface AzureIssue {
  readonly field: (typeof AZURE_POLICY_FIELDS)[number];
  readonly message: string;
}

export type AzureTranslation =
  | { readonly ok: true; readonly ike: IkePolicy; readonly ipsec: IpsecPolicy }
  | { readonly ok: false; readonly issues: readonly AzureIssue[] };

function supported<T>(table: Readonly<Record<string, Entry<T>>>): string {
  return Object.keys(table)
    .filter((k) => table[k] !== null)
    .join(', ');
}

function lookup<T>(
  table: Readonly<Record<string, Entry<T>>>,
  field: AzureIssue['field'],
  value: string,
  issues: AzureIssue[],
): T | undefined {
  if (!Object.hasOwn(table, value)) {
    issues.push({
      field,
      message: `${JSON.stringify(value)} is not an Azure ${field} value (expected one of: ${Object.keys(table).join(', ')})`,
    });
    return undefined;
  }
  const v = table[value];
  if (v === null || v === undefined) {
    issues.push({
      field,
      message: `${JSON.stringify(value)} is not supported by nvad (expected one of: ${supported(table)})`,
    });
    return undefined;
  }
  return v;
}

/** Translate one Azure policy; `name` is used for the generated policy names (`azure:<name>`). */
export function translateAzurePolicy(p: AzurePolicy): AzureTranslation {
  const issues: AzureIssue[] = [];
  const ikeEnc = lookup(AZURE_IKE_ENCRYPTION, 'ikeEncryption', p.ikeEncryption, issues);
  const ikeInt = lookup(AZURE_IKE_INTEGRITY, 'ikeIntegrity', p.ikeIntegrity, issues);
  const dh = lookup(AZURE_DH_GROUP, 'dhGroup', p.dhGroup, issues);
  const espEnc = lookup(AZURE_IPSEC_ENCRYPTION, 'ipsecEncryption', p.ipsecEncryption, issues);
  const espInt = lookup(AZURE_IPSEC_INTEGRITY, 'ipsecIntegrity', p.ipsecIntegrity, issues);
  const pfs = lookup(AZURE_PFS_GROUP, 'pfsGroup', p.pfsGroup, issues);

  const ikeGcm = ikeEnc?.startsWith('aes-gcm') ?? false;
  if (ikeEnc && ikeInt && !ikeGcm && ikeInt.integrity === null) {
    issues.push({
      field: 'ikeIntegrity',
      message: `"${p.ikeIntegrity}" needs a GCM ikeEncryption (expected SHA384, SHA256 or SHA1 with ${p.ikeEncryption})`,
    });
  }
  const espGcm = espEnc?.startsWith('aes-gcm') ?? false;
  if (espEnc && espInt) {
    if (espGcm && p.ipsecIntegrity !== p.ipsecEncryption) {
      issues.push({
        field: 'ipsecIntegrity',
        message: `"${p.ipsecIntegrity}" does not match GCM ipsecEncryption (expected ${p.ipsecEncryption})`,
      });
    } else if (!espGcm && espInt === 'gcm') {
      issues.push({
        field: 'ipsecIntegrity',
        message: `"${p.ipsecIntegrity}" needs the same GCM ipsecEncryption (expected SHA256 or SHA1 with ${p.ipsecEncryption})`,
      });
    }
  }
  if (p.saLifeTimeSeconds < AZURE_MIN_LIFETIME_SEC) {
    issues.push({
      field: 'saLifeTimeSeconds',
      message: `${p.saLifeTimeSeconds} is too short (expected at least ${AZURE_MIN_LIFETIME_SEC})`,
    });
  }
  if (p.saDataSizeKilobytes < AZURE_MIN_KILOBYTES) {
    issues.push({
      field: 'saDataSizeKilobytes',
      message: `${p.saDataSizeKilobytes} is too small (expected at least ${AZURE_MIN_KILOBYTES})`,
    });
  }
  if (issues.length > 0 || !ikeEnc || !ikeInt || !dh || !espEnc || !espInt || !pfs) {
    return { ok: false, issues };
  }
  const name = `azure:${p.name}`;
  const ike: IkePolicy = {
    name,
    proposals: [
      {
        encryption: [ikeEnc],
        integrity: ikeGcm || ikeInt.integrity === null ? [] : [ikeInt.integrity],
        prf: [ikeInt.prf],
        dhGroup: [dh],
      },
    ],
    lifetimeSec: AZURE_IKE_LIFETIME_SEC,
  };
  const ipsec: IpsecPolicy = {
    name,
    proposals: [
      {
        encryption: [espEnc],
        integrity: espInt === 'gcm' ? [] : [espInt],
        pfsGroup: pfs === 'none' ? null : pfs === 'mm' ? dh : pfs,
      },
    ],
    lifetimeSec: p.saLifeTimeSeconds,
    lifetimeKilobytes: p.saDataSizeKilobytes,
    replayWindow: 1024,
    esn: false,
  };
  return { ok: true, ike, ipsec };
}
