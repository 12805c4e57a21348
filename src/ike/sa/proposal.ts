/**
 * SA payload proposals (RFC 7296 §2.7, §3.3): built from our configured policies, selected as a
 * responder following OUR configured order, or the responder's single choice validated as an
 * initiator. A mismatch throws NO_PROPOSAL_CHOSEN with a message naming both sides' proposals.
 *
 * - IKE proposals carry ENCR, PRF, INTEG (not with AEAD, RFC 5282 §8) and DH.
 * - ESP proposals carry ENCR, INTEG (not with AEAD), ESN and, for PFS in CREATE_CHILD_SA, DH.
 *   In IKE_AUTH the child SA has no KE (§1.2), so any DH transform offered is ignored there.
 *   Azure as initiator never offers DH for child rekeys (azure-interop §1.1): without a PFS group
 *   in our policy such offers are accepted.
 */
import { DH_GROUP, ENCRYPTION, INTEGRITY, PRF } from '../../crypto/transforms.js';
import type {
  DhGroupName,
  EncryptionName,
  IntegrityName,
  PrfName,
} from '../../crypto/transforms.js';
import type { IkePolicy, IpsecPolicy } from '../../config/types.js';
import { IkeNotifyError } from '../errors.js';
import { DhId, EsnId, IntegId, NotifyType, ProtocolId, TransformType } from '../wire/constants.js';
import { keyLengthOf, transform, type Proposal, type Transform } from '../wire/payloads/index.js';
import {
  dhByIana,
  encryptionByIana,
  integrityByIana,
  prfByIana,
  transformDisplayName,
} from './transform-names.js';

/** A negotiated IKE SA suite. */
export interface IkeSuiteChoice {
  readonly encryption: EncryptionName;
  /** null with AEAD. */
  readonly integrity: IntegrityName | null;
  readonly prf: PrfName;
  readonly dhGroup: DhGroupName;
}

/** A negotiated child (ESP) SA suite. */
export interface EspSuiteChoice {
  readonly encryption: EncryptionName;
  readonly integrity: IntegrityName | null;
  readonly esn: boolean;
  /** PFS group of a CREATE_CHILD_SA, null without KE. */
  readonly dhGroup: DhGroupName | null;
}

/** Where an ESP proposal is used: IKE_AUTH (no KE) or CREATE_CHILD_SA. */
export type EspContext = 'ike-auth' | 'create-child';

function encTransform(e: EncryptionName): Transform {
  return transform(TransformType.ENCR, ENCRYPTION[e].ianaId, ENCRYPTION[e].keyBits);
}

function isAeadName(e: EncryptionName): boolean {
  return ENCRYPTION[e].aead;
}

/** Split an encryption list so AEAD and non-AEAD ciphers never share a proposal (RFC 5282 §8). */
function splitByAead(list: readonly EncryptionName[]): EncryptionName[][] {
  const aead = list.filter(isAeadName);
  const plain = list.filter((e) => !isAeadName(e));
  const out: EncryptionName[][] = [];
  // Keep the configured order of the first cipher.
  const first = list[0];
  if (first !== undefined && isAeadName(first)) {
    if (aead.length) out.push(aead);
    if (plain.length) out.push(plain);
  } else {
    if (plain.length) out.push(plain);
    if (aead.length) out.push(aead);
  }
  return out;
}

/** Our IKE proposals, in configured order. `spi`: empty in IKE_SA_INIT, 8 bytes for IKE rekey. */
export function ikeProposals(policy: IkePolicy, spi: Buffer = Buffer.alloc(0)): Proposal[] {
  const out: Proposal[] = [];
  for (const p of policy.proposals) {
    for (const encs of splitByAead(p.encryption)) {
      const aead = encs.every(isAeadName);
      const transforms: Transform[] = [
        ...encs.map(encTransform),
        ...p.prf.map((x) => transform(TransformType.PRF, PRF[x].ianaId)),
        ...(aead
          ? []
          : p.integrity.map((x) => transform(TransformType.INTEG, INTEGRITY[x].ianaId))),
        ...p.dhGroup.map((x) => transform(TransformType.DH, DH_GROUP[x].ianaId)),
      ];
      out.push({ num: out.length + 1, protocolId: ProtocolId.IKE, spi, transforms });
    }
  }
  return out;
}

/** Our ESP proposals; DH transforms only for CREATE_CHILD_SA with a PFS group. */
export function espProposals(policy: IpsecPolicy, spi: number, ctx: EspContext): Proposal[] {
  const spiBuf = Buffer.alloc(4);
  spiBuf.writeUInt32BE(spi >>> 0);
  const out: Proposal[] = [];
  for (const p of policy.proposals) {
    for (const encs of splitByAead(p.encryption)) {
      const aead = encs.every(isAeadName);
      const transforms: Transform[] = [
        ...encs.map(encTransform),
        ...(aead
          ? []
          : p.integrity.map((x) => transform(TransformType.INTEG, INTEGRITY[x].ianaId))),
        ...(ctx === 'create-child' && p.pfsGroup !== null
          ? [transform(TransformType.DH, DH_GROUP[p.pfsGroup].ianaId)]
          : []),
        transform(TransformType.ESN, policy.esn ? EsnId.ESN : EsnId.NO_ESN),
      ];
      out.push({ num: out.length + 1, protocolId: ProtocolId.ESP, spi: spiBuf, transforms });
    }
  }
  return out;
}

/** "aes-gcm-256/prf-sha384/ecp384, aes-cbc-256/sha1/prf-sha1/modp1024" */
export function describeProposals(proposals: readonly Proposal[]): string {
  if (proposals.length === 0) return '(none)';
  return proposals.map((p) => p.transforms.map(transformDisplayName).join('/')).join(', ');
}

function ofType(p: Proposal, type: number): Transform[] {
  return p.transforms.filter((t) => t.type === type);
}

function hasUnknownType(p: Proposal): boolean {
  return p.transforms.some((t) => t.type < TransformType.ENCR || t.type > TransformType.ESN);
}

/** Pick from `ours` (our order) the first value present in `theirs`. */
function pick<T>(
  ours: readonly T[],
  theirs: readonly Transform[],
  conv: (t: Transform) => T | null,
): T | null {
  for (const o of ours) if (theirs.some((t) => conv(t) === o)) return o;
  return null;
}

function mismatch(what: string, ours: readonly Proposal[], theirs: readonly Proposal[]): never {
  throw new IkeNotifyError(
    NotifyType.NO_PROPOSAL_CHOSEN,
    undefined,
    `no ${what} proposal chosen; ours: ${describeProposals(ours)}; theirs: ${describeProposals(theirs)}`,
  );
}

/** Integrity choice for one proposal pair; undefined = no match. */
function pickInteg(
  aead: boolean,
  ours: readonly IntegrityName[],
  theirs: Proposal,
): IntegrityName | null | undefined {
  const integ = ofType(theirs, TransformType.INTEG);
  if (aead) {
    // RFC 5282 §8: AEAD proposals carry no integrity transform (or only NONE).
    return integ.every((t) => t.id === IntegId.NONE) ? null : undefined;
  }
  return pick(ours, integ, (t) => integrityByIana(t.id)) ?? undefined;
}

/** Responder: select the IKE suite from the peer's proposals following our configured order. */
export function selectIkeProposal(
  policy: IkePolicy,
  theirs: readonly Proposal[],
): { suite: IkeSuiteChoice; num: number } {
  for (const ours of policy.proposals) {
    for (const tp of theirs) {
      if (tp.protocolId !== ProtocolId.IKE || hasUnknownType(tp)) continue;
      const enc = pick(ours.encryption, ofType(tp, TransformType.ENCR), (t) =>
        encryptionByIana(t.id, keyLengthOf(t)),
      );
      if (enc === null) continue;
      const integrity = pickInteg(ENCRYPTION[enc].aead, ours.integrity, tp);
      if (integrity === undefined) continue;
      const prf = pick(ours.prf, ofType(tp, TransformType.PRF), (t) => prfByIana(t.id));
      const dh = pick(ours.dhGroup, ofType(tp, TransformType.DH), (t) => dhByIana(t.id));
      if (prf === null || dh === null) continue;
      return { suite: { encryption: enc, integrity, prf, dhGroup: dh }, num: tp.num };
    }
  }
  return mismatch('IKE', ikeProposals(policy), theirs);
}

/** The single-transform proposal a responder returns for a chosen IKE suite. */
export function ikeChosenProposal(s: IkeSuiteChoice, num: number, spi: Buffer): Proposal {
  return {
    num,
    protocolId: ProtocolId.IKE,
    spi,
    transforms: [
      encTransform(s.encryption),
      transform(TransformType.PRF, PRF[s.prf].ianaId),
      ...(s.integrity === null
        ? []
        : [transform(TransformType.INTEG, INTEGRITY[s.integrity].ianaId)]),
      transform(TransformType.DH, DH_GROUP[s.dhGroup].ianaId),
    ],
  };
}

/** The single-transform proposal a responder returns for a chosen ESP suite. */
export function espChosenProposal(s: EspSuiteChoice, num: number, spi: number): Proposal {
  const spiBuf = Buffer.alloc(4);
  spiBuf.writeUInt32BE(spi >>> 0);
  return {
    num,
    protocolId: ProtocolId.ESP,
    spi: spiBuf,
    transforms: [
      encTransform(s.encryption),
      ...(s.integrity === null
        ? []
        : [transform(TransformType.INTEG, INTEGRITY[s.integrity].ianaId)]),
      ...(s.dhGroup === null ? [] : [transform(TransformType.DH, DH_GROUP[s.dhGroup].ianaId)]),
      transform(TransformType.ESN, s.esn ? EsnId.ESN : EsnId.NO_ESN),
    ],
  };
}

function pickEsn(ourEsn: boolean, tp: Proposal): boolean | null {
  const esn = ofType(tp, TransformType.ESN);
  if (esn.length === 0) return false; // absent: no ESN
  const order = ourEsn ? [EsnId.ESN, EsnId.NO_ESN] : [EsnId.NO_ESN, EsnId.ESN];
  for (const o of order) if (esn.some((t) => t.id === o)) return o === EsnId.ESN;
  return null;
}

/** DH choice for a child proposal; undefined = no match. */
function pickPfs(
  ctx: EspContext,
  pfs: DhGroupName | null,
  tp: Proposal,
): DhGroupName | null | undefined {
  const dh = ofType(tp, TransformType.DH);
  if (ctx === 'ike-auth') return null; // §1.2: no KE in IKE_AUTH, DH transforms are ignored
  if (pfs === null) {
    // Accept offers without KE (Azure's initiator list) or ones that allow NONE.
    return dh.length === 0 || dh.some((t) => t.id === DhId.NONE) ? null : undefined;
  }
  return dh.some((t) => dhByIana(t.id) === pfs) ? pfs : undefined;
}

/** Responder: select the ESP suite from the peer's proposals following our configured order. */
export function selectEspProposal(
  policy: IpsecPolicy,
  theirs: readonly Proposal[],
  ctx: EspContext,
): { suite: EspSuiteChoice; num: number; peerSpi: number } {
  for (const ours of policy.proposals) {
    for (const tp of theirs) {
      if (tp.protocolId !== ProtocolId.ESP || tp.spi.length !== 4 || hasUnknownType(tp)) continue;
      const enc = pick(ours.encryption, ofType(tp, TransformType.ENCR), (t) =>
        encryptionByIana(t.id, keyLengthOf(t)),
      );
      if (enc === null) continue;
      const integrity = pickInteg(ENCRYPTION[enc].aead, ours.integrity, tp);
      if (integrity === undefined) continue;
      const dhGroup = pickPfs(ctx, ours.pfsGroup, tp);
      if (dhGroup === undefined) continue;
      const esn = pickEsn(policy.esn, tp);
      if (esn === null) continue;
      return {
        suite: { encryption: enc, integrity, esn, dhGroup },
        num: tp.num,
        peerSpi: tp.spi.readUInt32BE(0),
      };
    }
  }
  return mismatch('ESP', espProposals(policy, 0, ctx), theirs);
}

function single(p: Proposal, type: number): Transform | undefined {
  const ts = ofType(p, type);
  if (ts.length > 1)
    throw new IkeNotifyError(
      NotifyType.INVALID_SYNTAX,
      undefined,
      'responder chose several transforms',
    );
  return ts[0];
}

function offered(ours: readonly Proposal[], chosen: Proposal): Proposal {
  const mine = ours.find((p) => p.num === chosen.num && p.protocolId === chosen.protocolId);
  const ok =
    mine !== undefined &&
    chosen.transforms.every((t) =>
      mine.transforms.some(
        (m) => m.type === t.type && m.id === t.id && keyLengthOf(m) === keyLengthOf(t),
      ),
    );
  if (!ok) {
    throw new IkeNotifyError(
      NotifyType.NO_PROPOSAL_CHOSEN,
      undefined,
      `responder chose a proposal we did not offer; ours: ${describeProposals(ours)}; theirs: ${describeProposals([chosen])}`,
    );
  }
  return mine;
}

/** Initiator: validate the responder's single IKE choice (§2.7: exactly one proposal). */
export function validateIkeChoice(
  ours: readonly Proposal[],
  theirs: readonly Proposal[],
): IkeSuiteChoice {
  const chosen = theirs[0];
  if (theirs.length !== 1 || chosen === undefined) {
    throw new IkeNotifyError(
      NotifyType.INVALID_SYNTAX,
      undefined,
      'responder returned several proposals',
    );
  }
  offered(ours, chosen);
  const e = single(chosen, TransformType.ENCR);
  const enc = e === undefined ? null : encryptionByIana(e.id, keyLengthOf(e));
  const p = single(chosen, TransformType.PRF);
  const prf = p === undefined ? null : prfByIana(p.id);
  const d = single(chosen, TransformType.DH);
  const dh = d === undefined ? null : dhByIana(d.id);
  const i = single(chosen, TransformType.INTEG);
  const integ = i === undefined || i.id === IntegId.NONE ? null : integrityByIana(i.id);
  if (enc === null || prf === null || dh === null || (!ENCRYPTION[enc].aead && integ === null)) {
    throw new IkeNotifyError(
      NotifyType.NO_PROPOSAL_CHOSEN,
      undefined,
      `incomplete IKE choice ${describeProposals([chosen])}`,
    );
  }
  return { encryption: enc, integrity: ENCRYPTION[enc].aead ? null : integ, prf, dhGroup: dh };
}

/** Initiator: validate the responder's single ESP choice; returns the suite and the peer's SPI. */
export function validateEspChoice(
  ours: readonly Proposal[],
  theirs: readonly Proposal[],
): { suite: EspSuiteChoice; peerSpi: number } {
  const chosen = theirs[0];
  if (theirs.length !== 1 || chosen === undefined || chosen.spi.length !== 4) {
    throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, 'bad ESP proposal in response');
  }
  offered(ours, chosen);
  const e = single(chosen, TransformType.ENCR);
  const enc = e === undefined ? null : encryptionByIana(e.id, keyLengthOf(e));
  const i = single(chosen, TransformType.INTEG);
  const integ = i === undefined || i.id === IntegId.NONE ? null : integrityByIana(i.id);
  const d = single(chosen, TransformType.DH);
  const dh = d === undefined || d.id === DhId.NONE ? null : dhByIana(d.id);
  const n = single(chosen, TransformType.ESN);
  if (enc === null || (!ENCRYPTION[enc].aead && integ === null)) {
    throw new IkeNotifyError(
      NotifyType.NO_PROPOSAL_CHOSEN,
      undefined,
      `incomplete ESP choice ${describeProposals([chosen])}`,
    );
  }
  return {
    suite: {
      encryption: enc,
      integrity: ENCRYPTION[enc].aead ? null : integ,
      esn: n?.id === EsnId.ESN,
      dhGroup: dh,
    },
    peerSpi: chosen.spi.readUInt32BE(0),
  };
}
