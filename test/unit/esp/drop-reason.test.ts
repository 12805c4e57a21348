import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DROP_CODE_COUNT,
  DROP_REASON,
  dropReasonName,
  isDropReason,
} from '../../../src/esp/drop-reason.js';

describe('drop reason registry (numeric codes shared with native/src/esp_drop.h)', () => {
  it('codes are unique, start at 1 and fit the counter array', () => {
    const codes = Object.values(DROP_REASON);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Math.min(...codes)).toBe(1);
    expect(Math.max(...codes)).toBeLessThan(DROP_CODE_COUNT);
  });

  it('codes are frozen: renumbering breaks the native side', () => {
    expect(DROP_REASON).toEqual({
      truncated: 1,
      'unknown-spi': 2,
      replay: 3,
      'replay-stale': 4,
      icv: 5,
      padding: 6,
      'next-header': 7,
      dummy: 8,
      'seq-overflow': 9,
      'no-sa': 10,
      'not-ip': 11,
      malformed: 12,
      'no-buffer': 13,
      crypto: 14,
    });
  });

  it('matches the C++ enum in native/src/esp_drop.h value for value', () => {
    const header = readFileSync(new URL('../../../native/src/esp_drop.h', import.meta.url), 'utf8');
    const native = [...header.matchAll(/^\s*kDrop(\w+) = (\d+),/gm)]
      .filter((m) => m[1] !== 'None' && m[1] !== 'Count')
      .map((m) => Number(m[2]));
    expect(native.sort((a, b) => a - b)).toEqual(Object.values(DROP_REASON).sort((a, b) => a - b));
    expect(header).toContain(`kDropCount = ${DROP_CODE_COUNT},`);
  });

  it('nameOf-style fallback for unknown codes', () => {
    expect(dropReasonName(5)).toBe('icv');
    expect(dropReasonName(99)).toBe('DROP_99');
    expect(isDropReason('replay')).toBe(true);
    expect(isDropReason('toString')).toBe(false);
    expect(isDropReason(3)).toBe(false);
  });
});
