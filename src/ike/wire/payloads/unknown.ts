/**
 * Payloads this implementation does not interpret (unknown types, EAP): kept with their critical
 * bit so RFC 7296 §2.5 handling (UNSUPPORTED_CRITICAL_PAYLOAD) can be decided by the rules.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface UnknownPayload {
  readonly kind: 'unknown';
  readonly type: number;
  readonly critical: boolean;
  readonly body: Buffer;
}

export function decodeUnknown(r: Reader, type: number, critical: boolean): UnknownPayload {
  return { kind: 'unknown', type, critical, body: Buffer.from(r.rest()) };
}

export function encodeUnknown(w: Writer, p: UnknownPayload): void {
  w.bytes(p.body);
}

export function unknownLength(p: UnknownPayload): number {
  return p.body.length;
}
