import { expect } from 'vitest';
import { Reader } from '../../src/lib/bytes/reader.js';
import { Writer } from '../../src/lib/bytes/writer.js';

export interface Codec<T> {
  encode(w: Writer, v: T): void;
  decode(r: Reader): T;
  length(v: T): number;
}

/**
 * The generic codec check (after dns-packet's testEncoder): encode, decode, re-encode gives the same
 * bytes; the length function agrees; encoding at offset 10 of a bigger buffer works.
 */
export function checkCodec<T>(codec: Codec<T>, value: T, expectedHex?: string): Buffer {
  const w = new Writer(64);
  codec.encode(w, value);
  const bytes = w.finish();
  if (expectedHex !== undefined) expect(bytes.toString('hex')).toBe(expectedHex.replace(/\s/g, ''));
  expect(codec.length(value)).toBe(bytes.length);
  const decoded = codec.decode(new Reader(bytes));
  const w2 = new Writer(64);
  codec.encode(w2, decoded);
  expect(w2.finish().toString('hex')).toBe(bytes.toString('hex'));
  const big = Buffer.alloc(bytes.length + 20, 0xee);
  const w3 = new Writer(big, 10);
  codec.encode(w3, value);
  expect(big.subarray(10, 10 + bytes.length).toString('hex')).toBe(bytes.toString('hex'));
  expect(big[9]).toBe(0xee);
  expect(big[10 + bytes.length]).toBe(0xee);
  return bytes;
}
