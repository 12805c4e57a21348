import { describe, expect, it } from 'vitest';
import { canonicalIp, formatIp, mustParseIp } from '../../../src/lib/ip/addr.js';
import {
  formatPrefix,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
} from '../../../src/lib/ip/prefix.js';

describe('ip addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: leftmost longest run
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('%s formats as %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it('rejects non-addresses', () => {
    expect(canonicalIp('10.0.0.256')).toBeNull();
    expect(canonicalIp('tunnel0')).toBeNull();
  });

  it('round-trips bytes', () => {
    expect(formatIp(mustParseIp('169.254.21.1'))).toBe('169.254.21.1');
  });
});

describe('ip prefixes', () => {
  it('parses and masks', () => {
    const p = parsePrefix('10.1.2.3/16');
    expect(p && formatPrefix(p)).toBe('10.1.0.0/16');
    expect(parsePrefix('10.1.2.3/16', { strict: true })).toBeNull();
    expect(parsePrefix('10.0.0.0/33')).toBeNull();
    expect(parsePrefix('2001:db8:1::/48', { strict: true })).not.toBeNull();
  });

  it('contains and overlaps', () => {
    const a = parsePrefix('10.0.0.0/8')!;
    const b = parsePrefix('10.1.0.0/16')!;
    const c = parsePrefix('192.168.0.0/16')!;
    expect(prefixesOverlap(a, b)).toBe(true);
    expect(prefixesOverlap(b, c)).toBe(false);
    expect(prefixContains(a, mustParseIp('10.255.0.1'))).toBe(true);
    expect(prefixContains(a, mustParseIp('2001:db8::1'))).toBe(false);
  });
});
