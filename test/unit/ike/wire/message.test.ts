import { describe, expect, it } from 'vitest';
import { createSkCipher, type SkCipher } from '../../../../src/crypto/sk-cipher.js';
import { IkeIntegrityError, IkeNotifyError } from '../../../../src/ike/errors.js';
import {
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
} from '../../../../src/ike/wire/constants.js';
import {
  decodeHeader,
  encodeHeader,
  headerLength,
  type IkeHeader,
} from '../../../../src/ike/wire/header.js';
import {
  decodeMessage,
  decryptMessage,
  encodeMessage,
  encodeProtectedMessage,
  padPlaintext,
  unpadPlaintext,
} from '../../../../src/ike/wire/message.js';
import { notify, type Payload } from '../../../../src/ike/wire/payloads/index.js';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { DecodeError } from '../../../../src/lib/errors.js';
import { checkCodec } from '../../../support/codec-harness.js';
import { DetRng } from '../../../support/det-rng.js';

const hdr = {
  spiI: 0x0123456789abcdefn,
  spiR: 0xfedcba9876543210n,
  exchangeType: ExchangeType.INFORMATIONAL,
  flags: HeaderFlag.INITIATOR,
  messageId: 7,
};

function ciphers(): { name: string; make: () => SkCipher }[] {
  return [
    {
      name: 'aes-cbc-256/sha256',
      make: () =>
        createSkCipher(
          {
            encryption: 'aes-cbc-256',
            integrity: 'sha256',
            encKey: Buffer.alloc(32, 1),
            integKey: Buffer.alloc(32, 2),
          },
          new DetRng('iv'),
        ),
    },
    {
      name: 'aes-gcm-256',
      make: () =>
        createSkCipher(
          {
            encryption: 'aes-gcm-256',
            integrity: null,
            encKey: Buffer.alloc(36, 3),
            integKey: null,
          },
          new DetRng(),
        ),
    },
  ];
}

describe('IKE header (RFC 7296 §3.1)', () => {
  it('round-trips with SPIs as bigint, version 2.0 and flags', () => {
    const h: IkeHeader = { ...hdr, nextPayload: 46, majorVersion: 2, minorVersion: 0, length: 28 };
    checkCodec(
      { encode: encodeHeader, decode: (r: Reader) => decodeHeader(r), length: headerLength },
      h,
      '0123456789abcdef' + 'fedcba9876543210' + '2e' + '20' + '25' + '08' + '00000007' + '0000001c',
    );
  });

  it('rejects another major version with INVALID_MAJOR_VERSION', () => {
    const b = Buffer.alloc(28);
    b[17] = 0x30;
    try {
      decodeHeader(new Reader(b));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IkeNotifyError);
      expect((e as IkeNotifyError).notifyType).toBe(NotifyType.INVALID_MAJOR_VERSION);
    }
  });
});

describe('payload chain', () => {
  it('links Next Payload fields and keeps unknown payloads with their critical bit', () => {
    const payloads: Payload[] = [
      notify(NotifyType.COOKIE, Buffer.from('cookie')),
      { kind: 'unknown', type: 200, critical: true, body: Buffer.from('x') },
      { kind: 'nonce', nonce: Buffer.alloc(16, 9) },
    ];
    const raw = encodeMessage(hdr, payloads);
    expect(raw.readUInt32BE(24)).toBe(raw.length);
    expect(raw[16]).toBe(PayloadType.NOTIFY);
    expect(raw[28]).toBe(200); // next after the notify
    const m = decodeMessage(raw);
    expect(m.payloads).toEqual(payloads);
    expect(m.ivOffset).toBeNull();
    expect(encodeMessage(hdr, m.payloads).equals(raw)).toBe(true);
  });

  it.each([
    {
      name: 'length field beyond datagram',
      mutate: (b: Buffer) => b.writeUInt32BE(b.length + 1, 24),
    },
    { name: 'payload length < 4', mutate: (b: Buffer) => b.writeUInt16BE(3, 30) },
    { name: 'payload length overruns', mutate: (b: Buffer) => b.writeUInt16BE(200, 30) },
  ])('rejects $name with a typed error', ({ mutate }) => {
    const raw = encodeMessage(hdr, [{ kind: 'nonce', nonce: Buffer.alloc(16) }]);
    mutate(raw);
    expect(() => decodeMessage(raw)).toThrow(/length|need/);
  });

  it('rejects data after the SK payload', () => {
    const raw = encodeMessage(hdr, [{ kind: 'sk', innerFirst: 41, data: Buffer.alloc(40) }]);
    const longer = Buffer.concat([raw, Buffer.from('0000000400', 'hex').subarray(0, 4)]);
    longer.writeUInt32BE(longer.length, 24);
    expect(() => decodeMessage(longer)).toThrow(DecodeError);
  });
});

describe.each(ciphers())('SK{} with $name (RFC 7296 §3.14)', ({ make }) => {
  const inner: Payload[] = [
    notify(NotifyType.INITIAL_CONTACT),
    { kind: 'delete', protocolId: 3, spiSize: 4, spis: [Buffer.from('01020304', 'hex')] },
    { kind: 'vendor', data: Buffer.from('odd length!') },
  ];

  it('wraps and unwraps; the SK header names the first inner payload', () => {
    const raw = encodeProtectedMessage(hdr, inner, make());
    expect(raw[16]).toBe(PayloadType.SK);
    expect(raw[28]).toBe(PayloadType.NOTIFY);
    const m = decodeMessage(raw);
    expect(m.payloads[0]?.kind).toBe('sk');
    expect(decryptMessage(m, make())).toEqual(inner);
  });

  it('keeps outer payloads before SK', () => {
    const outer: Payload[] = [{ kind: 'vendor', data: Buffer.from('outer') }];
    const raw = encodeProtectedMessage(hdr, inner, make(), outer);
    const m = decodeMessage(raw);
    expect(m.payloads.map((p) => p.kind)).toEqual(['vendor', 'sk']);
    expect(decryptMessage(m, make())).toEqual([...outer, ...inner]);
  });

  it('drops a message with any flipped bit in header, IV, ciphertext or ICV', () => {
    const raw = encodeProtectedMessage(hdr, inner, make());
    for (const at of [3, 20, 33, raw.length - 20, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      expect(() => decryptMessage(decodeMessage(bad), make())).toThrow(IkeIntegrityError);
    }
  });

  it('drops a truncated SK payload', () => {
    const raw = encodeMessage(hdr, [{ kind: 'sk', innerFirst: 41, data: Buffer.alloc(8) }]);
    expect(() => decryptMessage(decodeMessage(raw), make())).toThrow(IkeIntegrityError);
  });
});

describe('padding (RFC 7296 §3.14)', () => {
  it('pads to the block size with a trailing Pad Length', () => {
    for (let n = 0; n < 40; n++) {
      const p = padPlaintext(Buffer.alloc(n, 0xaa), 16);
      expect(p.length % 16).toBe(0);
      expect(p[p.length - 1]).toBe(p.length - n - 1);
      expect(unpadPlaintext(p).length).toBe(n);
    }
  });

  it('rejects a Pad Length larger than the plaintext', () => {
    expect(() => unpadPlaintext(Buffer.from([1, 2, 9]))).toThrow(IkeIntegrityError);
  });
});
