/**
 * Dead peer detection (RFC 7296 §1.4, §2.4): an empty INFORMATIONAL request. The timing policy
 * (`dpd: { interval, retries, mode }`, like Catalyst `dpd INTERVAL RETRIES periodic|on-demand`)
 * lives in IkeSa, which sends the first probe one interval after the peer was last heard. The probe
 * is retransmitted every interval, and the peer is declared dead `interval × retries` after it was
 * last heard (at least two intervals): `dpd 3s 3` gives up 9 s after the last packet.
 */
import type { DpdConfig } from '../../config/types.js';
import { ExchangeType } from '../wire/constants.js';
import type { InMessage, OutMessage, Task, TaskStatus } from './task.js';

export class IkeDpdInitiator implements Task {
  readonly type = 'ike-dpd';
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  readonly retransmitScheduleMs: readonly number[];

  constructor(dpd: Pick<DpdConfig, 'intervalSec' | 'retries'>) {
    const intervalMs = Math.max(1, dpd.intervalSec) * 1000;
    // Waits after the first probe: (retries − 1) intervals, at least one.
    const waits = Math.max(1, dpd.retries - 1);
    this.retransmitScheduleMs = Array.from({ length: waits }, () => intervalMs);
  }

  build(_msg: OutMessage): TaskStatus {
    return 'done';
  }

  process(_msg: InMessage): TaskStatus {
    return 'done';
  }
}
