/**
 * IKE_SA_INIT (RFC 7296 §1.2, §2.6, §2.10, §2.14, §2.23; RFC 7383 §2.3): SA, KE, Ni/Nr,
 * NAT_DETECTION_SOURCE_IP/DESTINATION_IP and IKEV2_FRAGMENTATION_SUPPORTED. The initiator retries
 * with the group named in INVALID_KE_PAYLOAD (§1.3) and echoes a COOKIE (§2.6).
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/dh.js';
import { skeyseed } from '../../crypto/keymat.js';
import { natDetectionHash } from '../../crypto/nat-detection.js';
import { DH_GROUP, type DhGroupName } from '../../crypto/transforms.js';
import { mustParseIp } from '../../lib/ip/addr.js';
import { IkeNotifyError } from '../errors.js';
import type { Endpoint } from '../ports.js';
import type { IkeSa } from '../sa/ike-sa.js';
import {
  describeProposals,
  ikeChosenProposal,
  ikeProposals,
  selectIkeProposal,
  validateIkeChoice,
  type IkeSuiteChoice,
} from '../sa/proposal.js';
import { dhByIana } from '../sa/transform-names.js';
import { ExchangeType, isErrorNotify, NotifyType, notifyTypeName } from '../wire/constants.js';
import { notify, type Payload } from '../wire/payloads/index.js';
import {
  findNotify,
  findPayload,
  type InMessage,
  type OutMessage,
  type Task,
  type TaskStatus,
} from './task.js';

export const NONCE_BYTES = 32;

function natHash(spiI: bigint, spiR: bigint, ep: Endpoint): Buffer {
  return natDetectionHash(spiI, spiR, mustParseIp(ep.address).bytes, ep.port);
}

function natPayloads(sa: IkeSa, spiR: bigint): Payload[] {
  return [
    notify(NotifyType.NAT_DETECTION_SOURCE_IP, natHash(sa.spiI, spiR, sa.local)),
    notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natHash(sa.spiI, spiR, sa.remote)),
  ];
}

/** §2.23: compare the peer's NAT_DETECTION_* hashes with what we see. */
function detectNat(sa: IkeSa, msg: InMessage, spiR: bigint, from: Endpoint, to: Endpoint): void {
  const src = msg.payloads.filter(
    (p) => p.kind === 'notify' && p.notifyType === NotifyType.NAT_DETECTION_SOURCE_IP,
  );
  const dst = findNotify(msg.payloads, NotifyType.NAT_DETECTION_DESTINATION_IP);
  if (src.length === 0 || dst === undefined) return; // peer does not do NAT-T
  const seenSrc = natHash(sa.spiI, spiR, from);
  sa.natRemote = !src.some((p) => p.kind === 'notify' && p.data.equals(seenSrc));
  sa.natLocal = !dst.data.equals(natHash(sa.spiI, spiR, to));
}

function firstGroup(sa: IkeSa): DhGroupName {
  const g = sa.opts.ikePolicy.proposals[0]?.dhGroup[0];
  if (g === undefined)
    throw new IkeNotifyError(
      NotifyType.NO_PROPOSAL_CHOSEN,
      undefined,
      'IKE policy has no DH group',
    );
  return g;
}

function configuredGroups(sa: IkeSa): Set<DhGroupName> {
  return new Set(sa.opts.ikePolicy.proposals.flatMap((p) => p.dhGroup));
}

export class IkeInitInitiator implements Task {
  readonly type = 'ike-init';
  readonly exchangeType = ExchangeType.IKE_SA_INIT;
  private readonly sa: IkeSa;
  private group: DhGroupName;
  private ke: KeyExchange;
  private cookie: Buffer | null = null;
  private readonly nonce: Buffer;
  /** INVALID_KE_PAYLOAD retries done (at most one per configured group). */
  retries = 0;

  constructor(sa: IkeSa) {
    this.sa = sa;
    this.group = firstGroup(sa);
    this.ke = createKeyExchange(this.group, sa.deps.rng);
    this.nonce = sa.deps.rng.bytes(NONCE_BYTES);
  }

  build(msg: OutMessage): TaskStatus {
    this.sa.state = 'connecting';
    this.sa.nonceI = this.nonce;
    if (this.cookie) msg.payloads.push(notify(NotifyType.COOKIE, this.cookie)); // §2.6: first
    msg.payloads.push(
      { kind: 'sa', proposals: ikeProposals(this.sa.opts.ikePolicy) },
      { kind: 'ke', group: DH_GROUP[this.group].ianaId, data: this.ke.publicKey },
      { kind: 'nonce', nonce: this.nonce },
      ...natPayloads(this.sa, 0n),
      notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
    );
    return 'done';
  }

  onSent(raw: Buffer): void {
    this.sa.initRequestRaw = raw;
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    const cookie = findNotify(msg.payloads, NotifyType.COOKIE);
    if (cookie && this.cookie === null) {
      this.cookie = cookie.data;
      return 'more';
    }
    const invalidKe = findNotify(msg.payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe) {
      const wanted = invalidKe.data.length === 2 ? dhByIana(invalidKe.data.readUInt16BE(0)) : null;
      if (
        wanted === null ||
        wanted === this.group ||
        !configuredGroups(sa).has(wanted) ||
        this.retries > 4
      ) {
        sa.lastError = `peer requested DH group ${invalidKe.data.toString('hex')}, not in our IKE policy`;
        sa.log.warn(sa.lastError);
        return 'failed';
      }
      sa.log.info({ group: wanted }, 'peer asked for another DH group, retrying');
      this.retries++;
      this.group = wanted;
      this.ke = createKeyExchange(wanted, sa.deps.rng);
      return 'more';
    }
    const err = msg.payloads.find((p) => p.kind === 'notify' && isErrorNotify(p.notifyType));
    if (err?.kind === 'notify') {
      const ours = describeProposals(ikeProposals(sa.opts.ikePolicy));
      sa.lastError = `peer answered IKE_SA_INIT with ${notifyTypeName(err.notifyType)}; ours: ${ours}`;
      sa.log.warn(sa.lastError);
      return 'failed';
    }
    const saP = findPayload(msg.payloads, 'sa');
    const ke = findPayload(msg.payloads, 'ke');
    const nonce = findPayload(msg.payloads, 'nonce');
    if (!saP || !ke || !nonce) return 'failed';
    const suite = validateIkeChoice(ikeProposals(sa.opts.ikePolicy), saP.proposals);
    if (suite.dhGroup !== this.group || ke.group !== DH_GROUP[this.group].ianaId) {
      sa.lastError = `responder chose DH ${suite.dhGroup} but we sent ${this.group}`;
      return 'failed';
    }
    sa.spiR = msg.header.spiR;
    sa.nonceR = nonce.nonce;
    sa.initResponseRaw = msg.raw;
    sa.peerSupportsFragmentation =
      findNotify(msg.payloads, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED) !== undefined;
    detectNat(sa, msg, sa.spiR, sa.remote, sa.local);
    const gir = this.ke.computeSharedSecret(ke.data);
    sa.setKeys(suite, skeyseed(suite.prf, sa.nonceI, sa.nonceR, gir));
    sa.switchToNatT();
    return 'done';
  }
}

export class IkeInitResponder implements Task {
  readonly type = 'ike-init';
  readonly exchangeType = ExchangeType.IKE_SA_INIT;
  private readonly sa: IkeSa;
  private suite: IkeSuiteChoice | null = null;
  private num = 1;
  private ke: KeyExchange | null = null;
  private peerKe: Buffer = Buffer.alloc(0);

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    sa.state = 'connecting';
    const saP = findPayload(msg.payloads, 'sa');
    const ke = findPayload(msg.payloads, 'ke');
    const nonce = findPayload(msg.payloads, 'nonce');
    if (!saP || !ke || !nonce) throw new IkeNotifyError(NotifyType.INVALID_SYNTAX);
    let chosen;
    try {
      chosen = selectIkeProposal(sa.opts.ikePolicy, saP.proposals);
    } catch (e) {
      if (e instanceof IkeNotifyError) {
        sa.lastError = e.message;
        sa.log.warn(e.message);
      }
      throw e;
    }
    this.suite = chosen.suite;
    this.num = chosen.num;
    const want = DH_GROUP[chosen.suite.dhGroup].ianaId;
    if (ke.group !== want) {
      // §1.3: tell the initiator which group we want.
      const data = Buffer.alloc(2);
      data.writeUInt16BE(want);
      sa.lastError = `peer sent KE for group ${ke.group}, we want ${chosen.suite.dhGroup}`;
      throw new IkeNotifyError(NotifyType.INVALID_KE_PAYLOAD, data, sa.lastError);
    }
    this.peerKe = ke.data;
    sa.nonceI = nonce.nonce;
    sa.initRequestRaw = msg.raw;
    sa.peerSupportsFragmentation =
      findNotify(msg.payloads, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED) !== undefined;
    detectNat(sa, msg, 0n, sa.remote, sa.local);
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    const sa = this.sa;
    const suite = this.suite;
    if (suite === null) return 'failed';
    this.ke = createKeyExchange(suite.dhGroup, sa.deps.rng);
    const gir = this.ke.computeSharedSecret(this.peerKe);
    sa.nonceR = sa.deps.rng.bytes(NONCE_BYTES);
    msg.payloads.push(
      { kind: 'sa', proposals: [ikeChosenProposal(suite, this.num, Buffer.alloc(0))] },
      { kind: 'ke', group: DH_GROUP[suite.dhGroup].ianaId, data: this.ke.publicKey },
      { kind: 'nonce', nonce: sa.nonceR },
      ...natPayloads(sa, sa.spiR),
      notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
    );
    sa.setKeys(suite, skeyseed(suite.prf, sa.nonceI, sa.nonceR, gir));
    return 'done';
  }

  onSent(raw: Buffer): void {
    this.sa.initResponseRaw = raw;
  }
}
