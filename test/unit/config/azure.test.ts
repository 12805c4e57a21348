/**
 * Azure custom IPsec/IKE policy translation, entry by entry. Values and rules from Microsoft
 * "About cryptographic requirements and Azure VPN gateways" (custom policy table; see
 * shared docs azure-interop.md §1.2).
 */
import { describe, expect, it } from 'vitest';
import {
  AZURE_DH_GROUP,
  AZURE_IKE_ENCRYPTION,
  AZURE_IKE_INTEGRITY,
  AZURE_IPSEC_ENCRYPTION,
  AZURE_IPSEC_INTEGRITY,
  AZURE_PFS_GROUP,
  translateAzurePolicy,
} from '../../../src/config/azure.js';
import type { AzurePolicy } from '../../../src/config/types.js';
import { errorsOf, mustLoad } from './helpers.js';

const BASE: AzurePolicy = {
  name: 'p',
  ikeEncryption: 'AES256',
  ikeIntegrity: 'SHA256',
  dhGroup: 'DHGroup14',
  ipsecEncryption: 'AES256',
  ipsecIntegrity: 'SHA256',
  pfsGroup: 'None',
  saLifeTimeSeconds: 27000,
  saDataSizeKilobytes: 102400000,
};

function ok(p: Partial<AzurePolicy>) {
  const r = translateAzurePolicy({ ...BASE, ...p });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  return r;
}
function bad(p: Partial<AzurePolicy>) {
  const r = translateAzurePolicy({ ...BASE, ...p });
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}`);
}

describe('ikeEncryption', () => {
  it.each([
    ['GCMAES256', 'aes-gcm-256'],
    ['GCMAES128', 'aes-gcm-128'],
    ['AES256', 'aes-cbc-256'],
    ['AES128', 'aes-cbc-128'],
  ])('%s → %s', (az, enc) => {
    const integ = az.startsWith('GCM') ? 'SHA384' : 'SHA256';
    const r = ok({ ikeEncryption: az, ikeIntegrity: integ });
    expect(r.ike.proposals[0]!.encryption).toEqual([enc]);
  });
  it.each(['AES192', 'DES3', 'DES'])('%s is not supported by nvad', (az) => {
    expect(bad({ ikeEncryption: az })).toEqual([
      `ikeEncryption: "${az}" is not supported by nvad (expected one of: GCMAES256, GCMAES128, AES256, AES128)`,
    ]);
  });
  it('covers every table entry', () => {
    expect(Object.keys(AZURE_IKE_ENCRYPTION).sort()).toEqual(
      ['GCMAES256', 'GCMAES128', 'AES256', 'AES128', 'AES192', 'DES3', 'DES'].sort(),
    );
  });
});

describe('ikeIntegrity (also selects the PRF)', () => {
  it.each([
    ['SHA384', 'sha384'],
    ['SHA256', 'sha256'],
    ['SHA1', 'sha1'],
  ])('%s with CBC → integrity and PRF %s', (az, name) => {
    const r = ok({ ikeIntegrity: az });
    expect(r.ike.proposals[0]).toMatchObject({ integrity: [name], prf: [name] });
  });
  it.each([
    ['SHA384', 'sha384'],
    ['SHA256', 'sha256'],
    ['SHA1', 'sha1'],
    ['GCMAES256', 'sha384'],
    ['GCMAES128', 'sha256'],
  ])('%s with GCM encryption → PRF %s, no integrity', (az, prf) => {
    const r = ok({ ikeEncryption: 'GCMAES256', ikeIntegrity: az });
    expect(r.ike.proposals[0]).toMatchObject({ integrity: [], prf: [prf] });
  });
  it('MD5 is not supported by nvad', () => {
    expect(bad({ ikeIntegrity: 'MD5' })).toEqual([
      'ikeIntegrity: "MD5" is not supported by nvad (expected one of: SHA384, SHA256, SHA1, GCMAES256, GCMAES128)',
    ]);
  });
  it('a GCM integrity value needs GCM encryption', () => {
    expect(bad({ ikeIntegrity: 'GCMAES256' })).toEqual([
      'ikeIntegrity: "GCMAES256" needs a GCM ikeEncryption (expected SHA384, SHA256 or SHA1 with AES256)',
    ]);
  });
  it('covers every table entry', () => {
    expect(Object.keys(AZURE_IKE_INTEGRITY)).toHaveLength(6);
  });
});

describe('dhGroup', () => {
  it.each([
    ['DHGroup24', 'modp2048s256'],
    ['ECP384', 'ecp384'],
    ['ECP256', 'ecp256'],
    ['DHGroup14', 'modp2048'],
    ['DHGroup2048', 'modp2048'],
    ['DHGroup2', 'modp1024'],
  ])('%s → %s', (az, group) => {
    expect(ok({ dhGroup: az }).ike.proposals[0]!.dhGroup).toEqual([group]);
  });
  it('DHGroup1 is not supported by nvad', () => {
    expect(bad({ dhGroup: 'DHGroup1' })[0]).toMatch(
      /^dhGroup: "DHGroup1" is not supported by nvad \(expected one of: DHGroup24, /,
    );
  });
  it('None is not an IKE group', () => {
    expect(bad({ dhGroup: 'None' })[0]).toMatch(
      /^dhGroup: "None" is not an Azure dhGroup value \(expected one of: /,
    );
  });
  it('covers every table entry', () => {
    expect(Object.keys(AZURE_DH_GROUP)).toHaveLength(7);
  });
});

describe('ipsecEncryption / ipsecIntegrity', () => {
  it.each([
    ['GCMAES256', 'GCMAES256', 'aes-gcm-256', []],
    ['GCMAES128', 'GCMAES128', 'aes-gcm-128', []],
    ['AES256', 'SHA256', 'aes-cbc-256', ['sha256']],
    ['AES256', 'SHA1', 'aes-cbc-256', ['sha1']],
    ['AES128', 'SHA256', 'aes-cbc-128', ['sha256']],
    ['AES128', 'SHA1', 'aes-cbc-128', ['sha1']],
  ])('%s + %s → %s %j', (enc, integ, name, integrity) => {
    const r = ok({ ipsecEncryption: enc, ipsecIntegrity: integ });
    expect(r.ipsec.proposals[0]).toMatchObject({ encryption: [name], integrity });
  });
  it.each(['GCMAES192', 'AES192', 'DES3', 'DES', 'None'])(
    'encryption %s is not supported by nvad',
    (v) => {
      expect(bad({ ipsecEncryption: v, ipsecIntegrity: 'SHA1' })).toEqual([
        `ipsecEncryption: "${v}" is not supported by nvad (expected one of: GCMAES256, GCMAES128, AES256, AES128)`,
      ]);
    },
  );
  it.each(['GCMAES192', 'MD5'])('integrity %s is not supported by nvad', (v) => {
    expect(bad({ ipsecIntegrity: v })).toEqual([
      `ipsecIntegrity: "${v}" is not supported by nvad (expected one of: GCMAES256, GCMAES128, SHA256, SHA1)`,
    ]);
  });
  it('GCM encryption needs the same GCM integrity value (Azure rule)', () => {
    expect(bad({ ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'SHA256' })).toEqual([
      'ipsecIntegrity: "SHA256" does not match GCM ipsecEncryption (expected GCMAES256)',
    ]);
    expect(bad({ ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES128' })).toEqual([
      'ipsecIntegrity: "GCMAES128" does not match GCM ipsecEncryption (expected GCMAES256)',
    ]);
  });
  it('GCM integrity with CBC encryption is rejected', () => {
    expect(bad({ ipsecEncryption: 'AES256', ipsecIntegrity: 'GCMAES256' })).toEqual([
      'ipsecIntegrity: "GCMAES256" needs the same GCM ipsecEncryption (expected SHA256 or SHA1 with AES256)',
    ]);
  });
  it('SHA384 is not an Azure IPsec integrity value', () => {
    expect(bad({ ipsecIntegrity: 'SHA384' })[0]).toMatch(
      /^ipsecIntegrity: "SHA384" is not an Azure ipsecIntegrity value/,
    );
  });
  it('covers every table entry', () => {
    expect(Object.keys(AZURE_IPSEC_ENCRYPTION)).toHaveLength(9);
    expect(Object.keys(AZURE_IPSEC_INTEGRITY)).toHaveLength(6);
  });
});

describe('pfsGroup', () => {
  it.each([
    ['PFS24', 'modp2048s256'],
    ['ECP384', 'ecp384'],
    ['ECP256', 'ecp256'],
    ['PFS2048', 'modp2048'],
    ['PFS14', 'modp2048'],
    ['PFS2', 'modp1024'],
    ['None', null],
  ])('%s → %s', (az, group) => {
    expect(ok({ pfsGroup: az }).ipsec.proposals[0]!.pfsGroup).toBe(group);
  });
  it.each([
    ['ECP384', 'ecp384'],
    ['DHGroup24', 'modp2048s256'],
    ['DHGroup2', 'modp1024'],
  ])('PFSMM uses the IKE group (%s → %s)', (dh, group) => {
    expect(ok({ pfsGroup: 'PFSMM', dhGroup: dh }).ipsec.proposals[0]!.pfsGroup).toBe(group);
  });
  it('PFS1 is not supported by nvad', () => {
    expect(bad({ pfsGroup: 'PFS1' })[0]).toMatch(/^pfsGroup: "PFS1" is not supported by nvad/);
  });
  it('covers every table entry', () => {
    expect(Object.keys(AZURE_PFS_GROUP)).toHaveLength(9);
  });
});

describe('lifetimes', () => {
  it('uses saLifeTimeSeconds/saDataSizeKilobytes for the child SA and 28800 s for IKE', () => {
    const r = ok({ saLifeTimeSeconds: 3600, saDataSizeKilobytes: 1024 });
    expect(r.ipsec.lifetimeSec).toBe(3600);
    expect(r.ipsec.lifetimeKilobytes).toBe(1024);
    expect(r.ike.lifetimeSec).toBe(28800);
  });
  it('enforces the Azure minimums (300 s, 1024 KB)', () => {
    expect(bad({ saLifeTimeSeconds: 299, saDataSizeKilobytes: 1023 })).toEqual([
      'saLifeTimeSeconds: 299 is too short (expected at least 300)',
      'saDataSizeKilobytes: 1023 is too small (expected at least 1024)',
    ]);
  });
});

describe('azure-policies in a config file', () => {
  const doc = (fields: string) => `node: { name: n }
underlay: { public-address: 198.51.100.1 }
crypto:
  azure-policies:
    conn1:
${fields}`;
  const ALL = `      ikeEncryption: AES256
      ikeIntegrity: SHA256
      dhGroup: DHGroup14
      ipsecEncryption: GCMAES256
      ipsecIntegrity: GCMAES256
      pfsGroup: PFS2048
      saLifeTimeSeconds: 27000
      saDataSizeKilobytes: 102400000
`;
  it('loads a complete policy (strongSwan-like aes256-sha256-modp2048 / aes256gcm16-modp2048)', () => {
    const c = mustLoad(doc(ALL));
    expect(c.crypto.ikePolicies['azure:conn1']!.proposals[0]).toEqual({
      encryption: ['aes-cbc-256'],
      integrity: ['sha256'],
      prf: ['sha256'],
      dhGroup: ['modp2048'],
    });
    expect(c.crypto.ipsecPolicies['azure:conn1']!.proposals[0]).toEqual({
      encryption: ['aes-gcm-256'],
      integrity: [],
      pfsGroup: 'modp2048',
    });
  });
  it('requires every field (Azure: no partial policy)', () => {
    expect(errorsOf(doc(ALL.replace('      pfsGroup: PFS2048\n', '')))).toEqual([
      'bad.yaml:6:7: crypto.azure-policies.conn1.pfsGroup: missing (expected an Azure policy value like GCMAES256)',
    ]);
  });
  it('points at the offending field for a bad combination', () => {
    expect(errorsOf(doc(ALL.replace('ipsecIntegrity: GCMAES256', 'ipsecIntegrity: SHA1')))).toEqual(
      [
        'bad.yaml:10:23: crypto.azure-policies.conn1.ipsecIntegrity: "SHA1" does not match GCM ipsecEncryption (expected GCMAES256)',
      ],
    );
  });
  it('reports unsupported values with their position', () => {
    expect(errorsOf(doc(ALL.replace('dhGroup: DHGroup14', 'dhGroup: DHGroup1')))).toEqual([
      'bad.yaml:8:16: crypto.azure-policies.conn1.dhGroup: "DHGroup1" is not supported by nvad (expected one of: DHGroup24, ECP384, ECP256, DHGroup14, DHGroup2048, DHGroup2)',
    ]);
  });
});

describe('azure-policies field names', () => {
  it('a misspelt Azure field gets a hint with the Azure spelling', () => {
    expect(
      errorsOf(`node: { name: n }
crypto:
  azure-policies:
    conn1: { ikeEncyption: AES256, ikeIntegrity: SHA256, dhGroup: DHGroup14, ipsecEncryption: AES256,
      ipsecIntegrity: SHA256, pfsGroup: None, saLifeTimeSeconds: 27000, saDataSizeKilobytes: 102400000 }
`),
    ).toEqual([
      'bad.yaml:4:12: crypto.azure-policies.conn1.ikeEncryption: missing (expected an Azure policy value like GCMAES256)',
      'bad.yaml:4:14: crypto.azure-policies.conn1.ikeEncyption: unknown key "ikeEncyption" (did you mean "ikeEncryption"?)',
    ]);
  });
});
