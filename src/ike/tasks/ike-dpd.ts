/**
 * Dead peer detection (RFC 7296 §1.4, §2.4): an empty INFORMATIONAL request. The timing policy
 * (Catalyst `dpd INTERVAL RETRY periodic|on-demand`) lives in IkeSa; retransmissions use the
 * RETRY interval (azure-interop §5): five retransmits RETRY seconds apart, then the peer is dead.
 */
import type { DpdConfig } from '../../config/types.js';
import { ExchangeType } from '../wire/constants.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './task.js';

export const DPD_RETRANSMITS = 5;

export class IkeDpdInitiator implements Task {
  readonly type = 'ike-dpd';
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  readonly retransmitScheduleMs: readonly number[];

  constructor(dpd: DpdConfig) {
    const retryMs = Math.max(1, dpd.retries) * 1000;
    this.retransmitScheduleMs = Array.from({ length: DPD_RETRANSMITS + 1 }, () => retryMs);
  }

  build(_msg: OutMessage): TaskStatus {
    return 'done';
  }

  process(_msg: InMessage): TaskStatus {
    return 'done';
  }
}
