/**
 * Child SA rekey (RFC 7296 §1.3.3, §2.8): CREATE_CHILD_SA with REKEY_SA, with or without PFS.
 * Make-before-break through the installer: the initiator adds the new inbound SA, switches
 * outbound, then deletes the old SA with an INFORMATIONAL Delete; the responder adds the new
 * inbound SA and switches outbound when the old SA's Delete arrives — or, should that Delete never
 * come, after {@link OUTBOUND_FALLBACK_MS} (the initiator has the new SA by then: it retransmits its
 * request until it has our answer).
 * §2.8.1 simultaneous rekey: the SA created with the lowest of the four nonces is redundant and
 * is deleted by the peer that created it; the other peer deletes the old SA.
 */
import { IkeNotifyError } from '../errors.js';
import type { ChildSa } from '../sa/child-sa.js';
import { IkeSa } from '../sa/ike-sa.js';
import { ExchangeType, NotifyType, ProtocolId } from '../wire/constants.js';
import type { NotifyPayload } from '../wire/payloads/index.js';
import { ChildAnswer, ChildOffer } from './child-create.js';
import { ChildDeleteInitiator } from './child-delete.js';
import { findNotify, type InMessage, type OutMessage, type Task, type TaskStatus } from './task.js';

function rekeyNotify(spi: number): NotifyPayload {
  return {
    kind: 'notify',
    protocolId: ProtocolId.ESP,
    notifyType: NotifyType.REKEY_SA,
    spi: IkeSa.spiBuf(spi),
    data: Buffer.alloc(0),
  };
}

/** How long a rekey responder waits for the old SA's Delete before it switches outbound anyway. */
export const OUTBOUND_FALLBACK_MS = 10_000;

/** True when `a` holds the lower nonce (a's SA is the redundant one, §2.8.1). */
export function losesCollision(a: ChildSa, b: ChildSa): boolean {
  return Buffer.compare(a.minNonce, b.minNonce) < 0;
}

export class ChildRekeyInitiator implements Task {
  readonly type = 'child-rekey';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private readonly sa: IkeSa;
  readonly old: ChildSa;
  private offer: ChildOffer | null = null;

  constructor(sa: IkeSa, old: ChildSa) {
    this.sa = sa;
    this.old = old;
  }

  build(msg: OutMessage): TaskStatus {
    if (this.old.state !== 'installed' || this.old.replacedBy !== null) return 'failed';
    this.old.state = 'rekeying';
    this.offer = new ChildOffer(this.sa, 'create-child');
    msg.payloads.push(rekeyNotify(this.old.spiIn), ...this.offer.payloads());
    return 'done';
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    const old = this.old;
    if (!this.offer) return 'failed';
    let child: ChildSa;
    try {
      child = this.offer.accept(msg);
    } catch (e) {
      if (!(e instanceof IkeNotifyError)) throw e;
      if (old.state === 'rekeying') old.state = 'installed';
      sa.lastError = `child sa rekey failed: ${e.message}`;
      sa.log.warn({ child: old.label }, sa.lastError);
      return 'failed';
    }
    const theirs = old.peerRekey;
    if (theirs !== null && losesCollision(child, theirs)) {
      // §2.8.1: ours is redundant; the peer deletes the old SA, we delete ours.
      sa.log.info({ child: child.label }, 'simultaneous rekey lost, deleting redundant sa');
      old.state = 'rekeyed';
      sa.installChild(child, { outbound: false, rekey: true });
      child.replacedBy = theirs;
      sa.tm.queue(new ChildDeleteInitiator(sa, child));
      return 'done';
    }
    if (theirs !== null) {
      sa.log.info({ child: child.label }, 'simultaneous rekey won');
      theirs.replacedBy = child; // the peer deletes its redundant SA
    }
    old.replacedBy = child;
    old.state = 'rekeyed';
    sa.installChild(child, { outbound: true, rekey: true });
    sa.tm.queue(new ChildDeleteInitiator(sa, old));
    return 'done';
  }

  abort(): void {
    if (this.old.state === 'rekeying') this.old.state = 'installed';
  }
}

export class ChildRekeyResponder implements Task {
  readonly type = 'child-rekey';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private readonly sa: IkeSa;
  private old: ChildSa | null = null;
  private answer: ChildAnswer | null = null;

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    const n = findNotify(msg.payloads, NotifyType.REKEY_SA);
    // The REKEY_SA SPI is the sender's inbound SPI, i.e. our outbound one.
    const spi = n && n.spi.length === 4 ? n.spi.readUInt32BE(0) : -1;
    const old = sa.childByOutboundSpi(spi);
    if (!old)
      throw new IkeNotifyError(
        NotifyType.CHILD_SA_NOT_FOUND,
        undefined,
        `rekey of unknown child sa ${spi}`,
      );
    if (old.state !== 'installed' && old.state !== 'rekeying') {
      // §2.25: a rekey of an SA we are closing.
      throw new IkeNotifyError(
        NotifyType.TEMPORARY_FAILURE,
        undefined,
        'child sa is being replaced',
      );
    }
    this.old = old;
    try {
      this.answer = new ChildAnswer(sa, msg, 'create-child');
    } catch (e) {
      if (e instanceof IkeNotifyError) sa.lastError = `peer's child sa rekey refused: ${e.message}`;
      throw e;
    }
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    if (!this.answer) return 'failed';
    msg.payloads.push(...this.answer.payloads());
    return 'done';
  }

  onSent(): void {
    const old = this.old;
    const child = this.answer?.child;
    if (!old || !child) return;
    if (old.state === 'rekeying') {
      old.peerRekey = child; // crossed our own rekey; resolved when our response arrives
    } else {
      old.state = 'rekeyed';
      old.replacedBy = child;
    }
    // Outbound waits for the Delete of the old SA (make-before-break).
    const sa = this.sa;
    sa.installChild(child, { outbound: false, rekey: true });
    if (old.replacedBy === null) old.replacedBy = child;
    sa.deps.clock.setTimer(OUTBOUND_FALLBACK_MS, () => {
      if (sa.state === 'destroyed' || child.state !== 'installed' || child.outboundInstalled)
        return;
      if (old.replacedBy !== child) return; // a collision made another SA the successor
      sa.log.warn({ child: child.label }, 'no delete for the rekeyed child sa; switching outbound');
      sa.installOutbound(child);
    });
  }
}
