import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret, resolveSecret } from '../../../src/config/secret.js';
import { withExtra } from './helpers.js';

describe('Secret', () => {
  const s = new Secret('hunter2-value', '${env:X}');

  it('never prints its value', () => {
    expect(String(s)).toBe('<redacted>');
    expect(`psk=${String(s)}`).toBe('psk=<redacted>');
    expect(JSON.stringify({ psk: s })).toBe('{"psk":"<redacted>"}');
    expect(inspect(s)).toBe('<redacted>');
    expect(inspect({ nested: { psk: s } }, { depth: 5 })).not.toContain('hunter2');
    expect(Object.keys(s)).not.toContain('value');
  });

  it('reveals only on request and compares by value', () => {
    expect(s.reveal()).toBe('hunter2-value');
    expect(s.equals(new Secret('hunter2-value'))).toBe(true);
    expect(s.equals(new Secret('other'))).toBe(false);
    expect(s.source).toBe('${env:X}');
  });
});

describe('resolveSecret', () => {
  const src = withExtra({ A: 'from-env', '/f': 'from-file\r\n', '/two': 'two\n\n' });

  it.each([
    ['literal', 'literal'],
    ['${env:A}', 'from-env'],
    ['${file:/f}', 'from-file'], // one trailing CRLF stripped
    ['${file:/two}', 'two\n'], // only one newline stripped
  ])('%s → %j', (ref, value) => {
    const r = resolveSecret(ref, src);
    expect(r.ok && r.secret.reveal()).toBe(value);
  });

  it.each([
    ['${env:B}', '${env:B}: environment variable is not set (expected the secret in B)'],
    [
      '${file:/nope}',
      '${file:/nope}: file is not readable (expected a readable file holding the secret)',
    ],
    ['${env:}', 'empty name in ${env:} (expected ${env:NAME} or ${file:PATH})'],
    ['${env:A', 'malformed secret reference (expected ${env:NAME} or ${file:PATH})'],
    ['', 'empty secret (expected a non-empty value)'],
  ])('%s fails: %s', (ref, message) => {
    expect(resolveSecret(ref, src)).toEqual({ ok: false, message });
  });
});
