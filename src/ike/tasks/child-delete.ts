/** INFORMATIONAL Delete of a child SA (RFC 7296 §1.4.1): our inbound SPI goes in the Delete. */
import type { ChildSa } from '../sa/child-sa.js';
import { IkeSa } from '../sa/ike-sa.js';
import { ExchangeType, ProtocolId } from '../wire/constants.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './task.js';

export class ChildDeleteInitiator implements Task {
  readonly type = 'child-delete';
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  private readonly sa: IkeSa;
  readonly child: ChildSa;

  constructor(sa: IkeSa, child: ChildSa) {
    this.sa = sa;
    this.child = child;
  }

  build(msg: OutMessage): TaskStatus {
    if (this.child.state === 'deleted') return 'failed';
    this.child.state = 'deleting';
    msg.payloads.push({
      kind: 'delete',
      protocolId: ProtocolId.ESP,
      spiSize: 4,
      spis: [IkeSa.spiBuf(this.child.spiIn)],
    });
    return 'done';
  }

  process(_msg: InMessage): TaskStatus {
    this.sa.removeChild(this.child);
    return 'done';
  }
}
