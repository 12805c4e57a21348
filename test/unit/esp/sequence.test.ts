import { describe, expect, it } from 'vitest';
import { OutboundSequence, SEQ_LIMIT_32, SEQ_LIMIT_64 } from '../../../src/esp/sequence.js';

describe('outbound sequence numbers (RFC 4303 §3.3.3: never cycle)', () => {
  it('starts at 1', () => {
    const s = new OutboundSequence(false);
    expect(s.next()).toEqual({ kind: 'ok', seq: 1n, softReached: false });
    expect(s.next()).toEqual({ kind: 'ok', seq: 2n, softReached: false });
  });

  it('32-bit: soft event once at 2^32 - 2^16, refuses after 2^32 - 1', () => {
    const s = new OutboundSequence(false, 2n ** 32n - 2n ** 16n - 1n);
    expect(s.next()).toEqual({ kind: 'ok', seq: 2n ** 32n - 2n ** 16n, softReached: true });
    expect(s.next()).toMatchObject({ kind: 'ok', softReached: false });
    const t = new OutboundSequence(false, SEQ_LIMIT_32 - 1n);
    expect(t.next()).toEqual({ kind: 'ok', seq: SEQ_LIMIT_32, softReached: false });
    expect(t.next()).toEqual({ kind: 'overflow' });
    expect(t.next()).toEqual({ kind: 'overflow' });
    expect(t.current).toBe(SEQ_LIMIT_32);
  });

  it('ESN: continues past 2^32 and stops at 2^64 - 1', () => {
    const s = new OutboundSequence(true, SEQ_LIMIT_32);
    expect(s.next()).toEqual({ kind: 'ok', seq: 2n ** 32n, softReached: false });
    const t = new OutboundSequence(true, 2n ** 64n - 2n ** 16n - 1n);
    expect(t.next()).toMatchObject({ softReached: true });
    const u = new OutboundSequence(true, SEQ_LIMIT_64);
    expect(u.next()).toEqual({ kind: 'overflow' });
  });
});
