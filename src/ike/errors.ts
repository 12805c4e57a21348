/**
 * IKE error types. Decoders, `verify` and tasks throw {@link IkeNotifyError}; only the task
 * manager catches it and answers with the notify or drops silently (RFC 7296 §2.21).
 */
import { KeyExchangeError } from '../crypto/errors.js';
import { DecodeError, NetError, TruncatedError } from '../lib/errors.js';
import { NotifyType } from './wire/constants.js';

/** A protocol error that maps to an IKEv2 Notify (RFC 7296 §3.10.1 error types). */
export class IkeNotifyError extends NetError {
  readonly notifyType: number;
  readonly data: Buffer | undefined;
  constructor(notifyType: number, data?: Buffer, message?: string) {
    super('ERR_IKE_NOTIFY', message ?? `ike notify ${notifyType}`);
    this.notifyType = notifyType;
    this.data = data;
  }
}

/**
 * The integrity check (ICV or AEAD tag) of an SK/SKF payload failed, or its padding is
 * inconsistent. RFC 7296 §2.21.2: such messages are dropped without a response.
 */
export class IkeIntegrityError extends NetError {
  constructor(message = 'integrity check failed') {
    super('ERR_IKE_INTEGRITY', message);
  }
}

/** What the receiver of a bad message does (RFC 7296 §2.21). */
export type IkeErrorDisposition =
  | { readonly action: 'notify'; readonly notifyType: number; readonly data: Buffer | undefined }
  | { readonly action: 'drop'; readonly reason: string };

/**
 * Map an error thrown while decoding/verifying/processing a message to its disposition, or null
 * for errors that are not about the input (bugs: rethrow them).
 * - IkeNotifyError: answer with that notify.
 * - IkeIntegrityError: drop silently (§2.21.2; unauthenticated messages get no answer).
 * - Decode errors (syntax, truncation) and rejected KE values: INVALID_SYNTAX (§2.21.1).
 */
export function dispositionOf(e: unknown): IkeErrorDisposition | null {
  if (e instanceof IkeNotifyError) {
    return { action: 'notify', notifyType: e.notifyType, data: e.data };
  }
  if (e instanceof IkeIntegrityError) return { action: 'drop', reason: e.message };
  if (e instanceof DecodeError || e instanceof TruncatedError || e instanceof KeyExchangeError) {
    return { action: 'notify', notifyType: NotifyType.INVALID_SYNTAX, data: undefined };
  }
  return null;
}
