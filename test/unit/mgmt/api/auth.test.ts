import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Wrap (not replace) timingSafeEqual so the test can see which comparison path runs.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { BearerAuth, parseTokenFile } = await import('../../../../src/mgmt/api/auth.js');

describe('BearerAuth', () => {
  const auth = new BearerAuth('s3cr3t-token');
  afterEach(() => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });

  it('accepts the right token', () => {
    expect(auth.check('Bearer s3cr3t-token')).toBe('ok');
    expect(auth.check('bearer   s3cr3t-token ')).toBe('ok');
  });

  it('reports a missing header as missing and a malformed one as invalid', () => {
    expect(auth.check(undefined)).toBe('missing');
    expect(auth.check('Basic czNjcjN0')).toBe('invalid');
    expect(auth.check('Bearer')).toBe('invalid');
    expect(auth.check('Bearer a b')).toBe('invalid');
  });

  it('rejects wrong tokens, including prefixes and extensions of the right one', () => {
    for (const t of ['s3cr3t-tokem', 's3cr3t', 's3cr3t-token-and-more', 'S3CR3T-TOKEN']) {
      expect(auth.check(`Bearer ${t}`)).toBe('invalid');
    }
  });

  it('compares equal-length SHA-256 digests with timingSafeEqual, whatever the presented length', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    for (const t of ['x', 's3cr3t-token', 'a'.repeat(1000)]) auth.check(`Bearer ${t}`);
    expect(spy).toHaveBeenCalledTimes(3);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('refuses an empty token', () => {
    expect(() => new BearerAuth('')).toThrow('API token is empty');
  });
});

describe('parseTokenFile', () => {
  it('takes the first line, trimmed', () => {
    expect(parseTokenFile('abc\n')).toBe('abc');
    expect(parseTokenFile('  abc  \r\nsecond\n')).toBe('abc');
    expect(parseTokenFile('\n')).toBeNull();
    expect(parseTokenFile('')).toBeNull();
  });
});
