/** Shared pieces of the payload codecs (RFC 7296 §3.2). */
import { DecodeError } from '../../../lib/errors.js';

/** What a body decoder knows besides its bytes: the payload type from the previous header. */
export interface PayloadContext {
  readonly payloadType: number;
}

/** Throw a typed decode error (syntax; the IKE layer maps it to INVALID_SYNTAX). */
export function malformed(what: string): never {
  throw new DecodeError(`malformed ${what}`, 'ERR_IKE_SYNTAX');
}
