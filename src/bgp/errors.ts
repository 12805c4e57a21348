/**
 * BGP error types. A decoder or the FSM throws {@link BgpNotificationError}; only the session layer
 * catches it and turns it into a NOTIFICATION (session reset), an AFI/SAFI disable, a
 * treat-as-withdraw or an attribute discard (RFC 7606 §2).
 */
import { NetError } from '../lib/errors.js';
import { errorName } from './wire/constants.js';

/** RFC 7606 §2 error-handling approaches, weakest first. */
export type UpdateErrorAction =
  'attribute-discard' | 'treat-as-withdraw' | 'afisafi-disable' | 'session-reset';

const STRENGTH: Readonly<Record<UpdateErrorAction, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afisafi-disable': 2,
  'session-reset': 3,
};

/** RFC 7606 §3(h): when several errors occur, the strongest action wins. */
export function strongerAction(a: UpdateErrorAction, b: UpdateErrorAction): UpdateErrorAction {
  return STRENGTH[a] >= STRENGTH[b] ? a : b;
}

export class BgpNotificationError extends NetError {
  readonly errorCode: number;
  readonly subcode: number;
  /** The NOTIFICATION Data field. */
  readonly data: Uint8Array;
  readonly action: UpdateErrorAction;

  constructor(
    errorCode: number,
    subcode: number,
    data: Uint8Array = new Uint8Array(0),
    opts: { action?: UpdateErrorAction; detail?: string } = {},
  ) {
    const name = errorName(errorCode, subcode);
    super('ERR_BGP_NOTIFICATION', opts.detail ? `${name}: ${opts.detail}` : name);
    this.errorCode = errorCode;
    this.subcode = subcode;
    this.data = data;
    this.action = opts.action ?? 'session-reset';
  }
}
