/** INFORMATIONAL Delete of the IKE SA (RFC 7296 §1.4.1): closes the IKE SA and all its children. */
import type { IkeSa } from '../sa/ike-sa.js';
import { ExchangeType, ProtocolId } from '../wire/constants.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './task.js';

export class IkeDeleteInitiator implements Task {
  readonly type = 'ike-delete';
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  private readonly sa: IkeSa;
  private readonly reason: string;
  /** strongSwan does not retransmit deletes for long: two tries then close locally. */
  readonly retransmitScheduleMs: readonly number[] = [4000, 7200];

  constructor(sa: IkeSa, reason: string) {
    this.sa = sa;
    this.reason = reason;
  }

  build(msg: OutMessage): TaskStatus {
    this.sa.state = 'deleting';
    msg.payloads.push({ kind: 'delete', protocolId: ProtocolId.IKE, spiSize: 0, spis: [] });
    return 'done';
  }

  process(_msg: InMessage): TaskStatus {
    this.sa.destroy(this.reason);
    return 'done';
  }

  abort(): void {
    // Closing anyway when the peer does not answer.
    this.sa.destroy(this.reason);
  }
}
