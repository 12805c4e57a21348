/**
 * Error hierarchy with stable codes (undici style). Network-input errors are typed and caught at
 * one boundary per protocol; bugs are assertion failures that nobody catches.
 */
export class NetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A decoder ran past the end of its (bounded) input. */
export class TruncatedError extends NetError {
  constructor(message = 'truncated input') {
    super('ERR_DECODE_TRUNCATED', message);
  }
}

/** Input that is long enough but not well formed. */
export class DecodeError extends NetError {
  constructor(message: string, code = 'ERR_DECODE_INVALID') {
    super(code, message);
  }
}

export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
