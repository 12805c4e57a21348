/**
 * Bearer-token check for the management API. Both sides are hashed to SHA-256 first, so the
 * comparison is `crypto.timingSafeEqual` over two equal-length digests: the time taken reveals
 * neither the token's contents nor its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'missing' | 'invalid';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class BearerAuth {
  private readonly expected: Buffer;

  /** `token` must be non-empty; it is kept only as its digest. */
  constructor(token: string) {
    if (token.length === 0) throw new Error('API token is empty');
    this.expected = digest(token);
  }

  /** Check an `Authorization` header value ("Bearer <token>"). */
  check(header: string | undefined): AuthResult {
    if (header === undefined) return 'missing';
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) return 'invalid';
    const presented = digest(m[1] ?? '');
    return timingSafeEqual(presented, this.expected) ? 'ok' : 'invalid';
  }
}

/** Read a token file: the first line, trimmed. Errors never include the file's contents. */
export function parseTokenFile(text: string): string | null {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return line.length > 0 ? line : null;
}
