/**
 * IKE SA rekey (RFC 7296 §1.3.2, §2.8, §2.18): CREATE_CHILD_SA with an IKE proposal carrying the
 * new SPI, Ni/Nr and KE. SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); the new SA inherits
 * the child SAs; the initiator of the rekey deletes the old IKE SA. Message IDs of the new SA
 * start at 0.
 * §2.8.2 simultaneous IKE rekey: the new SA with the lowest nonce is redundant and is deleted by
 * the side that created it; the winner moves the children and deletes the old SA.
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/dh.js';
import { rekeySkeyseed } from '../../crypto/keymat.js';
import { DH_GROUP } from '../../crypto/transforms.js';
import { IkeNotifyError } from '../errors.js';
import type { IkeSa } from '../sa/ike-sa.js';
import {
  ikeChosenProposal,
  ikeProposals,
  selectIkeProposal,
  validateIkeChoice,
  type IkeSuiteChoice,
} from '../sa/proposal.js';
import { ExchangeType, isErrorNotify, NotifyType, notifyTypeName } from '../wire/constants.js';
import { IkeDeleteInitiator } from './ike-delete.js';
import { NONCE_BYTES } from './ike-init.js';
import {
  findPayload,
  type InMessage,
  type OutMessage,
  type Task,
  type TaskStatus,
} from './task.js';

function spi8(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

function minNonce(sa: IkeSa): Buffer {
  return Buffer.compare(sa.nonceI, sa.nonceR) <= 0 ? sa.nonceI : sa.nonceR;
}

/** Derive the new SA's keys from the old SA's SK_d (§2.18). */
function keyNew(
  old: IkeSa,
  fresh: IkeSa,
  suite: IkeSuiteChoice,
  gir: Buffer,
  ni: Buffer,
  nr: Buffer,
): void {
  const oldKeys = old.keys;
  const oldSuite = old.suite;
  if (!oldKeys || !oldSuite)
    throw new IkeNotifyError(NotifyType.TEMPORARY_FAILURE, undefined, 'old SA has no keys');
  fresh.nonceI = ni;
  fresh.nonceR = nr;
  fresh.setKeys(suite, rekeySkeyseed(oldSuite.prf, oldKeys.skD, gir, ni, nr));
  fresh.inheritFrom(old);
}

export class IkeRekeyInitiator implements Task {
  readonly type = 'ike-rekey';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private readonly old: IkeSa;
  private ke: KeyExchange | null = null;
  private nonce: Buffer = Buffer.alloc(0);
  private newSpi = 0n;

  constructor(old: IkeSa) {
    this.old = old;
  }

  build(msg: OutMessage): TaskStatus {
    const old = this.old;
    if (old.state !== 'established') return 'failed';
    old.state = 'rekeying';
    const group = old.suite?.dhGroup ?? old.opts.ikePolicy.proposals[0]?.dhGroup[0];
    if (group === undefined) return 'failed';
    this.ke = createKeyExchange(group, old.deps.rng);
    this.nonce = old.deps.rng.bytes(NONCE_BYTES);
    this.newSpi = old.deps.rng.bytes(8).readBigUInt64BE(0) | 1n;
    msg.payloads.push(
      { kind: 'sa', proposals: ikeProposals(old.opts.ikePolicy, spi8(this.newSpi)) },
      { kind: 'nonce', nonce: this.nonce },
      { kind: 'ke', group: this.ke.ianaId, data: this.ke.publicKey },
    );
    return 'done';
  }

  process(msg: InMessage): TaskStatus {
    const old = this.old;
    const err = msg.payloads.find((p) => p.kind === 'notify' && isErrorNotify(p.notifyType));
    const saP = findPayload(msg.payloads, 'sa');
    const ke = findPayload(msg.payloads, 'ke');
    const nonce = findPayload(msg.payloads, 'nonce');
    if (err?.kind === 'notify' || !saP || !ke || !nonce || !this.ke) {
      old.state = 'established';
      old.lastError = `ike sa rekey refused: ${err?.kind === 'notify' ? notifyTypeName(err.notifyType) : 'incomplete response'}`;
      old.log.warn(old.lastError);
      return 'failed';
    }
    const suite = validateIkeChoice(
      ikeProposals(old.opts.ikePolicy, spi8(this.newSpi)),
      saP.proposals,
    );
    const peerSpi = saP.proposals[0]?.spi;
    if (peerSpi?.length !== 8 || ke.group !== DH_GROUP[suite.dhGroup].ianaId) {
      old.state = 'established';
      return 'failed';
    }
    const fresh = old.deps.createRekeyed(old, { initiator: true, spiI: this.newSpi });
    fresh.spiR = peerSpi.readBigUInt64BE(0);
    keyNew(old, fresh, suite, this.ke.computeSharedSecret(ke.data), this.nonce, nonce.nonce);
    const theirs = old.peerIkeRekey;
    if (theirs !== null && Buffer.compare(minNonce(fresh), minNonce(theirs)) < 0) {
      // §2.8.2: ours is redundant; the peer deletes the old SA.
      old.log.info('simultaneous ike rekey lost, deleting redundant sa');
      fresh.markEstablished(true);
      theirs.adoptChildren(old);
      fresh.tm.queue(new IkeDeleteInitiator(fresh, 'redundant ike sa (rekey collision)'));
      return 'done';
    }
    fresh.markEstablished(true);
    fresh.adoptChildren(old);
    old.log.info({ new: fresh.label }, 'ike sa rekeyed');
    old.tm.queue(new IkeDeleteInitiator(old, 'rekeyed'));
    return 'done';
  }

  abort(): void {
    if (this.old.state === 'rekeying') this.old.state = 'established';
  }
}

export class IkeRekeyResponder implements Task {
  readonly type = 'ike-rekey';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private readonly old: IkeSa;
  private suite: IkeSuiteChoice | null = null;
  private num = 1;
  private peerSpi = 0n;
  private peerKe: Buffer = Buffer.alloc(0);
  private ni: Buffer = Buffer.alloc(0);
  private fresh: IkeSa | null = null;

  constructor(old: IkeSa) {
    this.old = old;
  }

  process(msg: InMessage): TaskStatus {
    const old = this.old;
    const saP = findPayload(msg.payloads, 'sa');
    const ke = findPayload(msg.payloads, 'ke');
    const nonce = findPayload(msg.payloads, 'nonce');
    if (!saP || !ke || !nonce)
      throw new IkeNotifyError(
        NotifyType.INVALID_SYNTAX,
        undefined,
        'IKE rekey request incomplete',
      );
    const chosen = selectIkeProposal(old.opts.ikePolicy, saP.proposals);
    const spi = saP.proposals.find((p) => p.num === chosen.num)?.spi;
    if (spi?.length !== 8)
      throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, 'IKE rekey without SPI');
    const want = DH_GROUP[chosen.suite.dhGroup].ianaId;
    if (ke.group !== want) {
      const data = Buffer.alloc(2);
      data.writeUInt16BE(want);
      throw new IkeNotifyError(
        NotifyType.INVALID_KE_PAYLOAD,
        data,
        `IKE rekey KE must be ${chosen.suite.dhGroup}`,
      );
    }
    this.suite = chosen.suite;
    this.num = chosen.num;
    this.peerSpi = spi.readBigUInt64BE(0);
    this.peerKe = ke.data;
    this.ni = nonce.nonce;
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    const old = this.old;
    const suite = this.suite;
    if (suite === null) return 'failed';
    const ke = createKeyExchange(suite.dhGroup, old.deps.rng);
    const nr = old.deps.rng.bytes(NONCE_BYTES);
    const fresh = old.deps.createRekeyed(old, { initiator: false, spiI: this.peerSpi });
    keyNew(old, fresh, suite, ke.computeSharedSecret(this.peerKe), this.ni, nr);
    this.fresh = fresh;
    msg.payloads.push(
      { kind: 'sa', proposals: [ikeChosenProposal(suite, this.num, spi8(fresh.spiR))] },
      { kind: 'nonce', nonce: nr },
      { kind: 'ke', group: ke.ianaId, data: ke.publicKey },
    );
    return 'done';
  }

  onSent(): void {
    const fresh = this.fresh;
    if (!fresh) return;
    const old = this.old;
    fresh.markEstablished(true);
    if (old.state === 'rekeying') {
      old.peerIkeRekey = fresh; // crossed our own rekey: resolved when our response arrives
      return;
    }
    fresh.adoptChildren(old);
    old.log.info({ new: fresh.label }, 'ike sa rekeyed by peer');
  }
}
