/**
 * INFORMATIONAL responder (RFC 7296 §1.4): Delete payloads for child SAs (answered with the
 * Delete of our inbound SPIs, §1.4.1) or the IKE SA, and empty liveness checks (DPD).
 */
import type { ChildSa } from '../sa/child-sa.js';
import { IkeSa } from '../sa/ike-sa.js';
import { ExchangeType, ProtocolId } from '../wire/constants.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './task.js';

export class InformationalResponder implements Task {
  readonly type = 'informational';
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  private readonly sa: IkeSa;
  private deleteIke = false;
  private readonly children: ChildSa[] = [];

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  process(msg: InMessage): TaskStatus {
    for (const p of msg.payloads) {
      if (p.kind !== 'delete') continue;
      if (p.protocolId === ProtocolId.IKE) this.deleteIke = true;
      if (p.protocolId !== ProtocolId.ESP) continue;
      for (const s of p.spis) {
        if (s.length !== 4) continue;
        // The peer names its inbound SPI, which is our outbound one.
        const c = this.sa.childByOutboundSpi(s.readUInt32BE(0));
        if (c) this.children.push(c);
      }
    }
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    if (this.deleteIke) return 'done'; // §1.4.1: the response to an IKE SA Delete is empty
    // §1.4.1: answer with our inbound SPIs, except SAs we are deleting ourselves right now.
    const ours = this.children
      .filter((c) => c.state !== 'deleting')
      .map((c) => IkeSa.spiBuf(c.spiIn));
    if (ours.length)
      msg.payloads.push({ kind: 'delete', protocolId: ProtocolId.ESP, spiSize: 4, spis: ours });
    for (const c of this.children) this.sa.removeChild(c);
    return 'done';
  }

  onSent(): void {
    if (this.deleteIke) this.sa.destroy('deleted by peer');
  }
}
