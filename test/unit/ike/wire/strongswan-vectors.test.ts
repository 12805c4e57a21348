/**
 * Byte-exact checks against messages and keys captured from strongSwan 5.9.8
 * (test/vectors/ike/README.md): header/payload codecs, rules and verify, SKEYSEED and SK_*
 * (RFC 7296 §2.14), SK decryption (§3.14, RFC 5282), RFC 7383 reassembly, PSK AUTH (§2.15),
 * child KEYMAT (§2.17) and NAT detection (§2.23).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createKeyExchange, dhGroupByIanaId } from '../../../../src/crypto/dh.js';
import {
  deriveChildKeys,
  deriveIkeKeys,
  skeyseed,
  type IkeSuite,
} from '../../../../src/crypto/keymat.js';
import { natDetectionHash } from '../../../../src/crypto/nat-detection.js';
import { pskAuthData, signedOctets } from '../../../../src/crypto/psk-auth.js';
import { createSkCipher } from '../../../../src/crypto/sk-cipher.js';
import type { EncryptionName, IntegrityName } from '../../../../src/crypto/transforms.js';
import { ExchangeType, NotifyType, PayloadType } from '../../../../src/ike/wire/constants.js';
import { FragmentReassembler } from '../../../../src/ike/wire/fragment.js';
import { isResponse } from '../../../../src/ike/wire/header.js';
import {
  decodeMessage,
  decryptMessage,
  encodeInner,
  encodeMessage,
  openEncrypted,
  type DecodedMessage,
} from '../../../../src/ike/wire/message.js';
import { encodeId, idLength } from '../../../../src/ike/wire/payloads/id.js';
import type { Payload } from '../../../../src/ike/wire/payloads/index.js';
import { checkMessageRules } from '../../../../src/ike/wire/rules.js';
import { verifyPayloads } from '../../../../src/ike/wire/verify.js';
import { Writer } from '../../../../src/lib/bytes/writer.js';
import { DetRng } from '../../../support/det-rng.js';

interface Vector {
  psk: string;
  messages: { from: string; to: string; hex: string }[];
  dhSecret: string;
  skeyseed: string;
  skD: string;
  skAi: string;
  skAr: string;
  skEi: string;
  skEr: string;
  skPi: string;
  skPr: string;
  octetsI: string;
  authI: string;
  octetsR: string;
  authR: string;
  childEncI: string;
  childEncR: string;
  childIntegI: string;
  childIntegR: string;
}

interface Case {
  file: string;
  suite: IkeSuite;
  esp: { encryption: EncryptionName; integrity: IntegrityName | null };
  fragmented: boolean;
}

const CASES: Case[] = [
  {
    // Azure VPN Gateway's default IKE policy (azure-interop.md §1.1): AES256/SHA1/DH2.
    file: 'strongswan-azuredefault.json',
    suite: { encryption: 'aes-cbc-256', integrity: 'sha1', prf: 'sha1' },
    esp: { encryption: 'aes-cbc-256', integrity: 'sha1' },
    fragmented: false,
  },
  {
    file: 'strongswan-group24.json',
    suite: { encryption: 'aes-cbc-128', integrity: 'sha256', prf: 'sha256' },
    esp: { encryption: 'aes-gcm-128', integrity: null },
    fragmented: false,
  },
  {
    file: 'strongswan-ecp384.json',
    suite: { encryption: 'aes-gcm-256', integrity: null, prf: 'sha384' },
    esp: { encryption: 'aes-gcm-256', integrity: null },
    fragmented: false,
  },
  {
    file: 'strongswan-cbc.json',
    suite: { encryption: 'aes-cbc-256', integrity: 'sha256', prf: 'sha256' },
    esp: { encryption: 'aes-cbc-256', integrity: 'sha256' },
    fragmented: false,
  },
  {
    file: 'strongswan-rekey.json',
    suite: { encryption: 'aes-cbc-256', integrity: 'sha256', prf: 'sha256' },
    esp: { encryption: 'aes-cbc-256', integrity: 'sha256' },
    fragmented: false,
  },
  {
    file: 'strongswan-gcmfrag.json',
    suite: { encryption: 'aes-gcm-256', integrity: null, prf: 'sha256' },
    esp: { encryption: 'aes-gcm-128', integrity: null },
    fragmented: true,
  },
];

const h = (s: string): Buffer => Buffer.from(s, 'hex');

function load(file: string): Vector {
  return JSON.parse(
    readFileSync(new URL(`../../../vectors/ike/${file}`, import.meta.url), 'utf8'),
  ) as Vector;
}

function find<K extends Payload['kind']>(
  ps: readonly Payload[],
  kind: K,
): Extract<Payload, { kind: K }> {
  const p = ps.find((x) => x.kind === kind);
  if (!p) throw new Error(`no ${kind}`);
  return p as Extract<Payload, { kind: K }>;
}

describe.each(CASES)('strongSwan capture $file', (c) => {
  const v = load(c.file);
  const msgs: DecodedMessage[] = v.messages.map((m) => decodeMessage(h(m.hex)));
  const init = msgs[0]!;
  const initResp = msgs[1]!;
  const ni = find(init.payloads, 'nonce').nonce;
  const nr = find(initResp.payloads, 'nonce').nonce;
  const spiI = init.header.spiI;
  const spiR = initResp.header.spiR;

  it('re-encodes every message byte-exact (SK bodies opaque)', () => {
    for (const m of msgs) {
      const { spiI: a, spiR: b, exchangeType, flags, messageId } = m.header;
      const again = encodeMessage({ spiI: a, spiR: b, exchangeType, flags, messageId }, m.payloads);
      expect(again.toString('hex')).toBe(m.raw.toString('hex'));
    }
  });

  it('IKE_SA_INIT passes the message rules and payload verification', () => {
    for (const m of [init, initResp]) {
      expect(m.header.exchangeType).toBe(ExchangeType.IKE_SA_INIT);
      checkMessageRules(m.header.exchangeType, isResponse(m.header), m.payloads, null);
      verifyPayloads(m.payloads);
    }
    expect(isResponse(init.header)).toBe(false);
    expect(isResponse(initResp.header)).toBe(true);
    const notifies = init.payloads.filter((p) => p.kind === 'notify').map((p) => p.notifyType);
    expect(notifies).toContain(NotifyType.NAT_DETECTION_DESTINATION_IP);
    expect(notifies).toContain(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED);
  });

  it("strongSwan's KE values pass our peer checks (RFC 6989, RFC 5903)", () => {
    for (const m of [init, initResp]) {
      const ke = find(m.payloads, 'ke');
      const group = dhGroupByIanaId(ke.group);
      if (group === null) throw new Error(`group ${ke.group}`);
      const mine = createKeyExchange(group, new DetRng('ke'));
      expect(mine.computeSharedSecret(ke.data).length).toBe(h(v.dhSecret).length);
    }
  });

  it('derives SKEYSEED and SK_* like strongSwan (RFC 7296 §2.14)', () => {
    const seed = skeyseed(c.suite.prf, ni, nr, h(v.dhSecret));
    expect(seed.toString('hex')).toBe(v.skeyseed);
    const k = deriveIkeKeys(c.suite, seed, ni, nr, spiI, spiR);
    expect(k.skD.toString('hex')).toBe(v.skD);
    expect(k.skAi.toString('hex')).toBe(v.skAi);
    expect(k.skAr.toString('hex')).toBe(v.skAr);
    expect(k.skEi.toString('hex')).toBe(v.skEi);
    expect(k.skEr.toString('hex')).toBe(v.skEr);
    expect(k.skPi.toString('hex')).toBe(v.skPi);
    expect(k.skPr.toString('hex')).toBe(v.skPr);
  });

  it('decrypts IKE_AUTH, checks rules, and reproduces both AUTH values (§2.15)', () => {
    const rng = new DetRng('sw');
    const integ = (s: string): Buffer | null => (c.suite.integrity === null ? null : h(s));
    const toR = createSkCipher(
      {
        encryption: c.suite.encryption,
        integrity: c.suite.integrity,
        encKey: h(v.skEi),
        integKey: integ(v.skAi),
      },
      rng,
    );
    const toI = createSkCipher(
      {
        encryption: c.suite.encryption,
        integrity: c.suite.integrity,
        encKey: h(v.skEr),
        integKey: integ(v.skAr),
      },
      rng,
    );
    const authMsgs = msgs.slice(2).filter((m) => m.header.exchangeType === ExchangeType.IKE_AUTH);
    const requests = authMsgs.filter((m) => !isResponse(m.header));
    const responses = authMsgs.filter((m) => isResponse(m.header));
    let req: Payload[];
    let resp: Payload[];
    if (c.fragmented) {
      expect(requests.length).toBeGreaterThan(1);
      const ra = new FragmentReassembler();
      const rb = new FragmentReassembler();
      // Feed in reverse order: reassembly must not depend on arrival order.
      const reqParts = [...requests].reverse().map((m) => ra.accept(m, toR));
      const respParts = responses.map((m) => rb.accept(m, toI));
      const lastReq = reqParts[reqParts.length - 1]!;
      const lastResp = respParts[respParts.length - 1]!;
      if (lastReq.status !== 'complete' || lastResp.status !== 'complete')
        throw new Error('incomplete');
      expect(reqParts[0]!.status).toBe('pending');
      req = lastReq.payloads;
      resp = lastResp.payloads;
      for (const m of [...requests, ...responses]) {
        expect(m.payloads[0]!.kind).toBe('skf');
        checkMessageRules(m.header.exchangeType, isResponse(m.header), m.payloads, null);
      }
    } else {
      expect(requests).toHaveLength(1);
      req = decryptMessage(requests[0]!, toR);
      resp = decryptMessage(responses[0]!, toI);
      // The inner chain re-encodes byte-exact.
      const inner = openEncrypted(requests[0]!.raw, requests[0]!.ivOffset!, toR);
      expect(encodeInner(req).bytes.toString('hex')).toBe(inner.toString('hex'));
    }
    checkMessageRules(
      ExchangeType.IKE_AUTH,
      false,
      [{ kind: 'sk', innerFirst: 0, data: Buffer.alloc(0) }],
      req,
    );
    checkMessageRules(
      ExchangeType.IKE_AUTH,
      true,
      [{ kind: 'sk', innerFirst: 0, data: Buffer.alloc(0) }],
      resp,
    );
    verifyPayloads(req);
    verifyPayloads(resp);
    expect(req.map((p) => p.kind)).toEqual(
      expect.arrayContaining(['idi', 'auth', 'sa', 'tsi', 'tsr']),
    );

    const idBody = (p: Payload): Buffer => {
      if (p.kind !== 'idi' && p.kind !== 'idr') throw new Error('not an ID');
      const w = new Writer(Buffer.alloc(idLength(p)));
      encodeId(w, p);
      return w.buf;
    };
    const octI = signedOctets(c.suite.prf, init.raw, nr, h(v.skPi), idBody(find(req, 'idi')));
    expect(octI.toString('hex')).toBe(v.octetsI);
    const psk = Buffer.from(v.psk);
    expect(pskAuthData(c.suite.prf, psk, octI).toString('hex')).toBe(v.authI);
    expect(find(req, 'auth').data.toString('hex')).toBe(v.authI);
    const octR = signedOctets(c.suite.prf, initResp.raw, ni, h(v.skPr), idBody(find(resp, 'idr')));
    expect(octR.toString('hex')).toBe(v.octetsR);
    expect(find(resp, 'auth').data.toString('hex')).toBe(v.authR);
    expect(pskAuthData(c.suite.prf, psk, octR).toString('hex')).toBe(v.authR);
  });

  it('derives the child SA keys (RFC 7296 §2.17)', () => {
    const k = deriveChildKeys(c.suite.prf, h(v.skD), c.esp.encryption, c.esp.integrity, ni, nr);
    expect(k.initiatorToResponder.encKey.toString('hex')).toBe(v.childEncI);
    expect(k.responderToInitiator.encKey.toString('hex')).toBe(v.childEncR);
    expect(k.initiatorToResponder.integKey.toString('hex')).toBe(v.childIntegI);
    expect(k.responderToInitiator.integKey.toString('hex')).toBe(v.childIntegR);
  });

  it('matches the NAT_DETECTION_DESTINATION_IP hash (RFC 7296 §2.23)', () => {
    const n = init.payloads.find(
      (p) => p.kind === 'notify' && p.notifyType === NotifyType.NAT_DETECTION_DESTINATION_IP,
    );
    if (n?.kind !== 'notify') throw new Error('no NAT-D');
    expect(natDetectionHash(spiI, 0n, Uint8Array.of(10, 77, 0, 2), 500).toString('hex')).toBe(
      n.data.toString('hex'),
    );
    expect(init.header.nextPayload).toBe(PayloadType.SA);
  });
});
