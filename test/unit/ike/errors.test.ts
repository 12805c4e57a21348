import { describe, expect, it } from 'vitest';
import { KeyExchangeError } from '../../../src/crypto/errors.js';
import { dispositionOf, IkeIntegrityError, IkeNotifyError } from '../../../src/ike/errors.js';
import { NotifyType } from '../../../src/ike/wire/constants.js';
import { decodeMessage } from '../../../src/ike/wire/message.js';
import { AssertionError, DecodeError, TruncatedError } from '../../../src/lib/errors.js';

describe('IKE error dispositions (RFC 7296 §2.21)', () => {
  it('maps notify errors, integrity failures, syntax errors and bugs', () => {
    expect(dispositionOf(new IkeNotifyError(NotifyType.NO_PROPOSAL_CHOSEN))).toEqual({
      action: 'notify',
      notifyType: NotifyType.NO_PROPOSAL_CHOSEN,
      data: undefined,
    });
    expect(dispositionOf(new IkeIntegrityError())).toEqual({
      action: 'drop',
      reason: 'integrity check failed',
    });
    for (const e of [new DecodeError('x'), new TruncatedError(), new KeyExchangeError('y')]) {
      expect(dispositionOf(e)).toEqual({
        action: 'notify',
        notifyType: NotifyType.INVALID_SYNTAX,
        data: undefined,
      });
    }
    expect(dispositionOf(new AssertionError('bug'))).toBeNull();
    expect(dispositionOf(new Error('other'))).toBeNull();
  });

  it('a truncated datagram maps to INVALID_SYNTAX and carries a stable code', () => {
    try {
      decodeMessage(Buffer.alloc(10));
      expect.unreachable();
    } catch (e) {
      expect((e as TruncatedError).code).toBe('ERR_DECODE_TRUNCATED');
      expect(dispositionOf(e)).toMatchObject({
        action: 'notify',
        notifyType: NotifyType.INVALID_SYNTAX,
      });
    }
    expect(new IkeNotifyError(1).code).toBe('ERR_IKE_NOTIFY');
  });
});
