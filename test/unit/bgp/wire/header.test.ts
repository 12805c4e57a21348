import { describe, expect, it } from 'vitest';
import { Reader } from '../../../../src/lib/bytes/reader.js';
import { BgpNotificationError } from '../../../../src/bgp/errors.js';
import { decodeHeader, encodeHeader, nextMessageLength } from '../../../../src/bgp/wire/header.js';
import { Writer } from '../../../../src/lib/bytes/writer.js';
import { fromHex } from '../../../../src/lib/bytes/index.js';
import { checkCodec } from '../../../support/codec-harness.js';

const MARKER = 'ff'.repeat(16);

function headerErr(hex: string, ctx = { as4: true }): BgpNotificationError {
  try {
    decodeHeader(new Reader(fromHex(hex)), ctx);
  } catch (e) {
    if (e instanceof BgpNotificationError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('BGP header (RFC 4271 §4.1, §6.1)', () => {
  it('round-trips a KEEPALIVE header (RFC 4271 §4.4: 19 octets)', () => {
    checkCodec(
      { encode: encodeHeader, decode: (r) => decodeHeader(r), length: () => 19 },
      { length: 19, type: 4 },
      `${MARKER}001304`,
    );
  });

  it.each([
    // name, hex, error code, subcode, data
    ['marker not all ones → Connection Not Synchronized', `${'ff'.repeat(15)}fe001304`, 1, 1, ''],
    ['length below 19 → Bad Message Length', `${MARKER}001204`, 1, 2, '0012'],
    ['length above 4096 → Bad Message Length', `${MARKER}100102`, 1, 2, '1001'],
    ['unknown type 9 → Bad Message Type', `${MARKER}001309`, 1, 3, '09'],
    ['KEEPALIVE of 20 octets → Bad Message Length', `${MARKER}001404`, 1, 2, '0014'],
    ['OPEN shorter than 29 → Bad Message Length', `${MARKER}001c01`, 1, 2, '001c'],
    ['UPDATE shorter than 23 → Bad Message Length', `${MARKER}001602`, 1, 2, '0016'],
    ['NOTIFICATION shorter than 21 → Bad Message Length', `${MARKER}001403`, 1, 2, '0014'],
  ])('%s', (_name, hex, code, subcode, data) => {
    const e = headerErr(hex);
    expect(e.errorCode).toBe(code);
    expect(e.subcode).toBe(subcode);
    expect(Buffer.from(e.data).toString('hex')).toBe(data);
    expect(e.action).toBe('session-reset');
  });

  it('accepts up to 65535 octets only with RFC 8654 extended messages', () => {
    expect(headerErr(`${MARKER}200002`).subcode).toBe(2);
    expect(
      decodeHeader(new Reader(fromHex(`${MARKER}200002`)), { as4: true, extendedMessage: true }),
    ).toEqual({
      length: 0x2000,
      type: 2,
    });
  });

  it('frames a stream: null until 19 octets, then the length', () => {
    const w = new Writer(64);
    encodeHeader(w, { length: 19, type: 4 });
    encodeHeader(w, { length: 19, type: 4 });
    const buf = w.finish();
    expect(nextMessageLength(buf.subarray(0, 18), 0)).toBeNull();
    expect(nextMessageLength(buf, 0)).toBe(19);
    expect(nextMessageLength(buf, 19)).toBe(19);
    expect(() => nextMessageLength(Buffer.alloc(19), 0)).toThrow(BgpNotificationError);
  });
});
