import { describe, expect, it } from 'vitest';
import type { PrefixListEntry } from '../../../../src/config/types.js';
import { PrefixList } from '../../../../src/bgp/policy/prefix-list.js';
import { pfx } from '../rib/helpers.js';

const e = (
  seq: number,
  action: 'permit' | 'deny',
  prefix: string,
  ge?: number,
  le?: number,
): PrefixListEntry => ({ seq, action, prefix, ge, le });

describe('prefix-list (Catalyst semantics)', () => {
  it.each([
    // [entry, candidate, permitted]
    [e(5, 'permit', '10.0.0.0/8'), '10.0.0.0/8', true],
    [e(5, 'permit', '10.0.0.0/8'), '10.1.0.0/16', false], // exact length without ge/le
    [e(5, 'permit', '10.0.0.0/8', undefined, 24), '10.1.0.0/16', true],
    [e(5, 'permit', '10.0.0.0/8', undefined, 24), '10.1.1.0/25', false],
    [e(5, 'permit', '10.0.0.0/8', 24), '10.1.1.0/24', true],
    [e(5, 'permit', '10.0.0.0/8', 24), '10.1.1.1/32', true], // ge alone: up to /32
    [e(5, 'permit', '10.0.0.0/8', 24), '10.1.0.0/16', false],
    [e(5, 'permit', '10.0.0.0/8', 16, 24), '10.1.0.0/16', true],
    [e(5, 'permit', '10.0.0.0/8', 16, 24), '10.0.0.0/8', false],
    [e(5, 'permit', '10.0.0.0/8', 16, 24), '11.1.0.0/16', false], // outside the prefix
    [e(5, 'permit', '0.0.0.0/0', undefined, 32), '192.0.2.0/24', true], // "any"
    [e(5, 'permit', '0.0.0.0/0', undefined, 32), 'fd00::/8', false], // family differs
    [e(5, 'permit', 'fd00::/8', 48, 64), 'fd00:1::/48', true],
  ] as const)('%o matches %s → %s', (entry, cand, permitted) => {
    expect(new PrefixList('L', [entry]).permits(pfx(cand))).toBe(permitted);
  });

  it('first match in sequence order wins; implicit deny at the end', () => {
    const pl = new PrefixList('L', [
      e(20, 'permit', '10.0.0.0/8', undefined, 32),
      e(10, 'deny', '10.66.0.0/16', undefined, 32),
    ]);
    expect(pl.evaluate(pfx('10.66.1.0/24'))).toEqual({ action: 'deny', seq: 10 });
    expect(pl.evaluate(pfx('10.1.0.0/16'))).toEqual({ action: 'permit', seq: 20 });
    expect(pl.evaluate(pfx('192.168.0.0/16'))).toEqual({ action: 'deny', seq: undefined });
  });
});
