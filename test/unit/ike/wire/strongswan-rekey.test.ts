/**
 * CHILD_SA rekey with PFS and IKE_SA rekey, captured from strongSwan 5.9.8
 * (test/vectors/ike/strongswan-rekey.json): CREATE_CHILD_SA and INFORMATIONAL messages decrypt
 * and pass the rules; child KEYMAT with g^ir (new) (RFC 7296 §2.17) and the rekeyed IKE SA's
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) and SK_* with the new SPIs (§2.18) match.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  deriveChildKeys,
  deriveIkeKeys,
  rekeySkeyseed,
  type IkeSuite,
} from '../../../../src/crypto/keymat.js';
import type { EncryptionName, IntegrityName } from '../../../../src/crypto/transforms.js';
import { createSkCipher } from '../../../../src/crypto/sk-cipher.js';
import { ExchangeType, NotifyType, ProtocolId } from '../../../../src/ike/wire/constants.js';
import { isResponse } from '../../../../src/ike/wire/header.js';
import { decodeMessage, decryptMessage } from '../../../../src/ike/wire/message.js';
import type { Payload } from '../../../../src/ike/wire/payloads/index.js';
import { checkMessageRules } from '../../../../src/ike/wire/rules.js';
import { verifyPayloads } from '../../../../src/ike/wire/verify.js';
import { DetRng } from '../../../support/det-rng.js';

interface RekeyVector {
  messages: { hex: string }[];
  skD: string;
  skAi: string;
  skAr: string;
  skEi: string;
  skEr: string;
  rekey: Record<string, string>;
}

const h = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'hex');

interface Case {
  file: string;
  suite: IkeSuite;
  esp: { encryption: EncryptionName; integrity: IntegrityName | null };
}

const CASES: Case[] = [
  {
    file: 'strongswan-rekey.json',
    suite: { encryption: 'aes-cbc-256', integrity: 'sha256', prf: 'sha256' },
    esp: { encryption: 'aes-cbc-256', integrity: 'sha256' },
  },
  {
    // CHILD_SA PFS with group 24 (Azure "PFS24").
    file: 'strongswan-group24.json',
    suite: { encryption: 'aes-cbc-128', integrity: 'sha256', prf: 'sha256' },
    esp: { encryption: 'aes-gcm-128', integrity: null },
  },
];

function nonceOf(ps: readonly Payload[]): Buffer {
  const n = ps.find((p) => p.kind === 'nonce');
  if (n?.kind !== 'nonce') throw new Error('no nonce');
  return n.nonce;
}

function saSpi(ps: readonly Payload[]): bigint {
  const sa = ps.find((p) => p.kind === 'sa');
  if (sa?.kind !== 'sa') throw new Error('no SA');
  return sa.proposals[0]!.spi.readBigUInt64BE(0);
}

describe.each(CASES)('strongSwan rekey capture $file', (c) => {
  const v = JSON.parse(
    readFileSync(new URL(`../../../vectors/ike/${c.file}`, import.meta.url), 'utf8'),
  ) as RekeyVector;
  const rk = (k: string): string => v.rekey[k] ?? '';
  const rng = new DetRng('rekey');
  const toR = createSkCipher(
    {
      encryption: c.suite.encryption,
      integrity: c.suite.integrity,
      encKey: h(v.skEi),
      integKey: h(v.skAi),
    },
    rng,
  );
  const toI = createSkCipher(
    {
      encryption: c.suite.encryption,
      integrity: c.suite.integrity,
      encKey: h(v.skEr),
      integKey: h(v.skAr),
    },
    rng,
  );
  const decoded = v.messages.map((m) => decodeMessage(h(m.hex)));
  const later = decoded.slice(4).map((m) => {
    const inner = decryptMessage(m, isResponse(m.header) ? toI : toR);
    checkMessageRules(m.header.exchangeType, isResponse(m.header), m.payloads, inner);
    verifyPayloads(inner);
    return { header: m.header, inner };
  });

  it('has the expected exchange sequence, all decrypting under the original IKE SA', () => {
    expect(later.map((m) => m.header.exchangeType)).toEqual([
      ExchangeType.CREATE_CHILD_SA,
      ExchangeType.CREATE_CHILD_SA,
      ExchangeType.INFORMATIONAL,
      ExchangeType.INFORMATIONAL,
      ExchangeType.CREATE_CHILD_SA,
      ExchangeType.CREATE_CHILD_SA,
      ExchangeType.INFORMATIONAL,
      ExchangeType.INFORMATIONAL,
    ]);
    const childReq = later[0]!.inner;
    expect(childReq.map((p) => p.kind)).toEqual(['notify', 'sa', 'nonce', 'ke', 'tsi', 'tsr']);
    const rekeySa = childReq[0];
    expect(rekeySa?.kind === 'notify' && rekeySa.notifyType).toBe(NotifyType.REKEY_SA);
    const del = later[2]!.inner[0];
    expect(del?.kind === 'delete' && del.protocolId).toBe(ProtocolId.ESP);
    const ikeDel = later[6]!.inner[0];
    expect(ikeDel?.kind === 'delete' && ikeDel.protocolId).toBe(ProtocolId.IKE);
  });

  it('derives the PFS child keys: prf+(SK_d, g^ir (new) | Ni | Nr)', () => {
    const ni = nonceOf(later[0]!.inner);
    const nr = nonceOf(later[1]!.inner);
    const k = deriveChildKeys(
      c.suite.prf,
      h(v.skD),
      c.esp.encryption,
      c.esp.integrity,
      ni,
      nr,
      h(rk('childDhSecret')),
    );
    expect(k.initiatorToResponder.encKey.toString('hex')).toBe(rk('childEncI'));
    expect(k.responderToInitiator.encKey.toString('hex')).toBe(rk('childEncR'));
    expect(k.initiatorToResponder.integKey.toString('hex')).toBe(rk('childIntegI'));
    expect(k.responderToInitiator.integKey.toString('hex')).toBe(rk('childIntegR'));
  });

  it('derives the rekeyed IKE SA keys (RFC 7296 §2.18)', () => {
    const req = later[4]!.inner;
    const resp = later[5]!.inner;
    const ni = nonceOf(req);
    const nr = nonceOf(resp);
    const seed = rekeySkeyseed(c.suite.prf, h(v.skD), h(rk('ikeDhSecret')), ni, nr);
    expect(seed.toString('hex')).toBe(rk('skeyseed'));
    const k = deriveIkeKeys(c.suite, seed, ni, nr, saSpi(req), saSpi(resp));
    expect(k.skD.toString('hex')).toBe(rk('skD'));
    expect(k.skAi.toString('hex')).toBe(rk('skAi'));
    expect(k.skAr.toString('hex')).toBe(rk('skAr'));
    expect(k.skEi.toString('hex')).toBe(rk('skEi'));
    expect(k.skEr.toString('hex')).toBe(rk('skEr'));
    expect(k.skPi.toString('hex')).toBe(rk('skPi'));
    expect(k.skPr.toString('hex')).toBe(rk('skPr'));
  });
});
