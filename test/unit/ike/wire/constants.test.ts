import { describe, expect, it } from 'vitest';
import {
  ExchangeType,
  exchangeTypeName,
  isErrorNotify,
  NotifyType,
  notifyTypeName,
  PayloadType,
  payloadTypeName,
  dhIdName,
} from '../../../../src/ike/wire/constants.js';

describe('registries (IANA IKEv2 parameters)', () => {
  it('names known values and renders unknown ones with a prefix', () => {
    expect(notifyTypeName(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED)).toBe(
      'IKEV2_FRAGMENTATION_SUPPORTED',
    );
    expect(notifyTypeName(16430)).toBe('IKEV2_FRAGMENTATION_SUPPORTED');
    expect(notifyTypeName(40000)).toBe('NOTIFY_40000');
    expect(exchangeTypeName(ExchangeType.CREATE_CHILD_SA)).toBe('CREATE_CHILD_SA');
    expect(payloadTypeName(PayloadType.SKF)).toBe('SKF');
    expect(payloadTypeName(250)).toBe('PAYLOAD_250');
    expect(dhIdName(24)).toBe('MODP_2048_256');
  });

  it('spot-checks RFC 7296 §3.10.1 numbers', () => {
    expect(NotifyType.INVALID_KE_PAYLOAD).toBe(17);
    expect(NotifyType.NAT_DETECTION_SOURCE_IP).toBe(16388);
    expect(NotifyType.COOKIE).toBe(16390);
    expect(NotifyType.REKEY_SA).toBe(16393);
    expect(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED).toBe(16394);
    expect(isErrorNotify(NotifyType.NO_PROPOSAL_CHOSEN)).toBe(true);
    expect(isErrorNotify(NotifyType.INITIAL_CONTACT)).toBe(false);
  });
});
