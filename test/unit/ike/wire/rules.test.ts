import { describe, expect, it } from 'vitest';
import { IkeNotifyError } from '../../../../src/ike/errors.js';
import { ExchangeType, NotifyType, PayloadType } from '../../../../src/ike/wire/constants.js';
import { notify, type Payload } from '../../../../src/ike/wire/payloads/index.js';
import { checkMessageRules, rulesFor } from '../../../../src/ike/wire/rules.js';

const sa: Payload = { kind: 'sa', proposals: [] };
const ke: Payload = { kind: 'ke', group: 14, data: Buffer.alloc(256) };
const nonce: Payload = { kind: 'nonce', nonce: Buffer.alloc(32) };
const sk: Payload = { kind: 'sk', innerFirst: 35, data: Buffer.alloc(0) };
const idi: Payload = { kind: 'idi', idType: 1, data: Buffer.alloc(4) };
const auth: Payload = { kind: 'auth', method: 2, data: Buffer.alloc(32) };

function notifyOf(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof IkeNotifyError) return e.notifyType;
    throw e;
  }
}

describe('message rules (strongSwan message.c tables)', () => {
  it('IKE_SA_INIT request needs exactly one SA, KE and Nonce', () => {
    const ok = () => {
      checkMessageRules(
        ExchangeType.IKE_SA_INIT,
        false,
        [sa, ke, nonce, notify(NotifyType.NAT_DETECTION_SOURCE_IP)],
        null,
      );
    };
    expect(notifyOf(ok)).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_SA_INIT, false, [sa, nonce], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_SA_INIT, false, [sa, ke, ke, nonce], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_SA_INIT, false, [sa, ke, nonce, auth], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_SA_INIT, false, [sk], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
  });

  it('a response with an error notify or a COOKIE is exempt from minimum counts', () => {
    const invalidKe = notify(NotifyType.INVALID_KE_PAYLOAD, Buffer.from('0013', 'hex'));
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_SA_INIT, true, [invalidKe], null);
      }),
    ).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(
          ExchangeType.IKE_SA_INIT,
          true,
          [notify(NotifyType.COOKIE, Buffer.alloc(8))],
          null,
        );
      }),
    ).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(
          ExchangeType.IKE_SA_INIT,
          true,
          [notify(NotifyType.NAT_DETECTION_SOURCE_IP)],
          null,
        );
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
  });

  it('IKE_AUTH payloads must travel inside SK', () => {
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_AUTH, false, [sk], [idi, auth]);
      }),
    ).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_AUTH, false, [idi, sk], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_AUTH, false, [sk], [auth]);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.IKE_AUTH, false, [idi, auth], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
  });

  it('unknown critical payloads give UNSUPPORTED_CRITICAL_PAYLOAD with the type octet; non-critical are ignored', () => {
    const crit: Payload = { kind: 'unknown', type: 222, critical: true, body: Buffer.alloc(0) };
    const soft: Payload = { kind: 'unknown', type: 223, critical: false, body: Buffer.alloc(0) };
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.INFORMATIONAL, false, [sk], [soft]);
      }),
    ).toBeNull();
    try {
      checkMessageRules(ExchangeType.INFORMATIONAL, false, [sk], [crit]);
      expect.unreachable();
    } catch (e) {
      expect((e as IkeNotifyError).notifyType).toBe(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD);
      expect((e as IkeNotifyError).data?.toString('hex')).toBe('de');
    }
  });

  it('CREATE_CHILD_SA needs SA and Nonce; KE optional', () => {
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.CREATE_CHILD_SA, false, [sk], [sa, nonce, ke]);
      }),
    ).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(ExchangeType.CREATE_CHILD_SA, false, [sk], [nonce]);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
  });

  it('has tables for the four RFC 7296 exchanges only', () => {
    expect(rulesFor(ExchangeType.IKE_SA_INIT, false)?.encrypted).toBe(false);
    expect(
      rulesFor(ExchangeType.INFORMATIONAL, true)?.rules.some((r) => r.type === PayloadType.DELETE),
    ).toBe(true);
    expect(rulesFor(99, false)).toBeNull();
    expect(
      notifyOf(() => {
        checkMessageRules(99, false, [], null);
      }),
    ).toBe(NotifyType.INVALID_SYNTAX);
  });
});
