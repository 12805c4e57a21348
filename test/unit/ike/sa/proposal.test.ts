import { describe, expect, it } from 'vitest';
import type { IkePolicy, IpsecPolicy } from '../../../../src/config/types.js';
import { IkeNotifyError } from '../../../../src/ike/errors.js';
import {
  describeProposals,
  espChosenProposal,
  espProposals,
  ikeChosenProposal,
  ikeProposals,
  selectEspProposal,
  selectIkeProposal,
  validateEspChoice,
  validateIkeChoice,
} from '../../../../src/ike/sa/proposal.js';
import { encryptionByIana, dhByIana } from '../../../../src/ike/sa/transform-names.js';
import { NotifyType, ProtocolId, TransformType } from '../../../../src/ike/wire/constants.js';
import { transform, type Proposal } from '../../../../src/ike/wire/payloads/index.js';

const gcmPolicy: IkePolicy = {
  name: 'gcm',
  lifetimeSec: 28800,
  proposals: [{ encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] }],
};
const mixedPolicy: IkePolicy = {
  name: 'mixed',
  lifetimeSec: 28800,
  proposals: [
    { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
    {
      encryption: ['aes-cbc-256'],
      integrity: ['sha1', 'sha256'],
      prf: ['sha1'],
      dhGroup: ['modp1024'],
    },
  ],
};

/** Azure's default IKE offer (azure-interop.md §1.1): AES256/SHA1 … with DH group 2. */
const azureIke: Proposal[] = [
  {
    num: 1,
    protocolId: ProtocolId.IKE,
    spi: Buffer.alloc(0),
    transforms: [
      transform(TransformType.ENCR, 12, 256),
      transform(TransformType.INTEG, 2),
      transform(TransformType.PRF, 2),
      transform(TransformType.DH, 2),
    ],
  },
  {
    num: 2,
    protocolId: ProtocolId.IKE,
    spi: Buffer.alloc(0),
    transforms: [
      transform(TransformType.ENCR, 12, 256),
      transform(TransformType.INTEG, 12),
      transform(TransformType.PRF, 5),
      transform(TransformType.DH, 2),
    ],
  },
];

/** Azure as child-SA initiator: GCM-AES256 then AES256/SHA1, no DH (azure-interop.md §1.1). */
const azureEsp: Proposal[] = [
  {
    num: 1,
    protocolId: ProtocolId.ESP,
    spi: Buffer.from('c0ffee01', 'hex'),
    transforms: [transform(TransformType.ENCR, 20, 256), transform(TransformType.ESN, 0)],
  },
  {
    num: 2,
    protocolId: ProtocolId.ESP,
    spi: Buffer.from('c0ffee01', 'hex'),
    transforms: [
      transform(TransformType.ENCR, 12, 256),
      transform(TransformType.INTEG, 2),
      transform(TransformType.ESN, 0),
    ],
  },
];

const espNoPfs: IpsecPolicy = {
  name: 'esp',
  lifetimeSec: 27000,
  lifetimeKilobytes: 102400000,
  replayWindow: 1024,
  esn: false,
  proposals: [
    { encryption: ['aes-cbc-256'], integrity: ['sha256', 'sha1'], pfsGroup: null },
    { encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null },
  ],
};
const espPfs: IpsecPolicy = {
  ...espNoPfs,
  proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: 'ecp384' }],
};

describe('transform names', () => {
  it('maps IANA id + key length to our names', () => {
    expect(encryptionByIana(20, 256)).toBe('aes-gcm-256');
    expect(encryptionByIana(12, 128)).toBe('aes-cbc-128');
    expect(encryptionByIana(12, undefined)).toBeNull();
    expect(dhByIana(31)).toBe('x25519');
  });
});

describe('IKE proposals', () => {
  it('builds AEAD proposals without INTEG', () => {
    const [p] = ikeProposals(gcmPolicy);
    expect(p?.transforms.map((t) => t.type)).toEqual([
      TransformType.ENCR,
      TransformType.PRF,
      TransformType.DH,
    ]);
    expect(describeProposals(ikeProposals(mixedPolicy))).toBe(
      'aes-gcm-256/prf-sha384/ecp384, aes-cbc-256/prf-sha1/sha1/sha256/modp1024',
    );
  });

  it('selects following our order and returns the peer proposal number', () => {
    const r = selectIkeProposal(mixedPolicy, azureIke);
    expect(r.suite).toEqual({
      encryption: 'aes-cbc-256',
      integrity: 'sha1',
      prf: 'sha1',
      dhGroup: 'modp1024',
    });
    expect(r.num).toBe(1);
  });

  it('round-trips: responder choice validates at the initiator', () => {
    const offer = ikeProposals(mixedPolicy);
    const r = selectIkeProposal(mixedPolicy, offer);
    expect(r.suite.encryption).toBe('aes-gcm-256');
    const chosen = ikeChosenProposal(r.suite, r.num, Buffer.alloc(0));
    expect(validateIkeChoice(offer, [chosen])).toEqual(r.suite);
  });

  it('mismatch is NO_PROPOSAL_CHOSEN naming both sides', () => {
    let err: unknown;
    try {
      selectIkeProposal(gcmPolicy, azureIke);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IkeNotifyError);
    expect((err as IkeNotifyError).notifyType).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
    expect((err as Error).message).toBe(
      'no IKE proposal chosen; ours: aes-gcm-256/prf-sha384/ecp384; theirs: aes-cbc-256/sha1/prf-sha1/modp1024, aes-cbc-256/sha256/prf-sha256/modp1024',
    );
  });

  it('rejects a responder choice we never offered', () => {
    const offer = ikeProposals(gcmPolicy);
    expect(() => validateIkeChoice(offer, [azureIke[0] as Proposal])).toThrow(/did not offer/);
  });
});

describe('ESP proposals', () => {
  it('accepts Azure initiator offers without KE when we have no PFS', () => {
    const r = selectEspProposal(espNoPfs, azureEsp, 'create-child');
    expect(r.suite).toEqual({
      encryption: 'aes-cbc-256',
      integrity: 'sha1',
      esn: false,
      dhGroup: null,
    });
    expect(r.num).toBe(2);
    expect(r.peerSpi).toBe(0xc0ffee01);
  });

  it('PFS policy refuses offers without KE at CREATE_CHILD_SA but not in IKE_AUTH', () => {
    expect(() => selectEspProposal(espPfs, azureEsp, 'create-child')).toThrow(
      /no ESP proposal chosen/,
    );
    expect(selectEspProposal(espPfs, azureEsp, 'ike-auth').suite.dhGroup).toBeNull();
  });

  it('PFS proposals carry DH only for CREATE_CHILD_SA and round-trip', () => {
    expect(
      espProposals(espPfs, 1, 'ike-auth')[0]?.transforms.some((t) => t.type === TransformType.DH),
    ).toBe(false);
    const offer = espProposals(espPfs, 0x1234, 'create-child');
    const r = selectEspProposal(espPfs, offer, 'create-child');
    expect(r.suite.dhGroup).toBe('ecp384');
    expect(r.peerSpi).toBe(0x1234);
    const back = validateEspChoice(offer, [espChosenProposal(r.suite, r.num, 0x5678)]);
    expect(back).toEqual({ suite: r.suite, peerSpi: 0x5678 });
  });
});
