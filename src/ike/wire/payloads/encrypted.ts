/**
 * Encrypted and Authenticated payload SK (RFC 7296 §3.14) and Encrypted Fragment payload SKF
 * (RFC 7383 §2.5). Bodies are kept opaque here (IV || ciphertext || ICV); `message.ts` and
 * `fragment.ts` decrypt them. The generic header's Next Payload names the first inner payload
 * (for SKF only in fragment 1; 0 in the others), carried as `innerFirst`.
 *
 *   SKF: Fragment Number(2) Total Fragments(2) IV || Encrypted content || ICV
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { malformed } from './common.js';

export interface SkPayload {
  readonly kind: 'sk';
  readonly innerFirst: number;
  /** IV || ciphertext (incl. padding and Pad Length) || ICV. */
  readonly data: Buffer;
}

export interface SkfPayload {
  readonly kind: 'skf';
  readonly innerFirst: number;
  readonly fragmentNumber: number;
  readonly totalFragments: number;
  readonly data: Buffer;
}

export function decodeSk(r: Reader, innerFirst = 0): SkPayload {
  return { kind: 'sk', innerFirst, data: Buffer.from(r.rest()) };
}

export function encodeSk(w: Writer, p: SkPayload): void {
  w.bytes(p.data);
}

export function skLength(p: SkPayload): number {
  return p.data.length;
}

export function decodeSkf(r: Reader, innerFirst = 0): SkfPayload {
  const fragmentNumber = r.u16();
  const totalFragments = r.u16();
  // RFC 7383 §2.5: Fragment Number starts at 1 and never exceeds Total Fragments.
  if (fragmentNumber === 0 || fragmentNumber > totalFragments) malformed('SKF fragment number');
  // RFC 7383 §2.5: Next Payload is 0 in every fragment but the first.
  if (fragmentNumber !== 1 && innerFirst !== 0) malformed('SKF next payload');
  return {
    kind: 'skf',
    innerFirst,
    fragmentNumber,
    totalFragments,
    data: Buffer.from(r.rest()),
  };
}

export function encodeSkf(w: Writer, p: SkfPayload): void {
  w.u16(p.fragmentNumber).u16(p.totalFragments).bytes(p.data);
}

export function skfLength(p: SkfPayload): number {
  return 4 + p.data.length;
}
