import { NetError } from '../lib/errors.js';

/**
 * A peer's key-exchange value failed validation (RFC 6989 range/subgroup checks, RFC 5903 point
 * checks, RFC 8031 all-zero check). The IKE layer answers INVALID_SYNTAX.
 */
export class KeyExchangeError extends NetError {
  constructor(message: string) {
    super('ERR_KE_INVALID', message);
  }
}

/** An AEAD tag or HMAC ICV did not verify. */
export class IntegrityError extends NetError {
  constructor(message = 'integrity check failed') {
    super('ERR_CRYPTO_INTEGRITY', message);
  }
}
