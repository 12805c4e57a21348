import { describe, expect, it } from 'vitest';
import { createSkCipher, type SkCipher } from '../../../../src/crypto/sk-cipher.js';
import { IkeIntegrityError } from '../../../../src/ike/errors.js';
import { ExchangeType, HeaderFlag, PayloadType } from '../../../../src/ike/wire/constants.js';
import {
  encodeFragments,
  fragmentCapacity,
  FragmentReassembler,
} from '../../../../src/ike/wire/fragment.js';
import { decodeMessage } from '../../../../src/ike/wire/message.js';
import type { Payload } from '../../../../src/ike/wire/payloads/index.js';
import { DetRng } from '../../../support/det-rng.js';

const hdr = {
  spiI: 1n,
  spiR: 2n,
  exchangeType: ExchangeType.IKE_AUTH,
  flags: HeaderFlag.INITIATOR,
  messageId: 1,
};
const cbc = (): SkCipher =>
  createSkCipher(
    {
      encryption: 'aes-cbc-128',
      integrity: 'sha256',
      encKey: Buffer.alloc(16, 1),
      integKey: Buffer.alloc(32, 2),
    },
    new DetRng('frag'),
  );
const inner: Payload[] = [
  { kind: 'idi', idType: 1, data: Buffer.from([192, 0, 2, 1]) },
  { kind: 'cert', encoding: 4, data: Buffer.alloc(1500, 0x5a) },
  { kind: 'auth', method: 2, data: Buffer.alloc(32, 7) },
];

describe('RFC 7383 fragmentation', () => {
  const frags = encodeFragments(hdr, inner, cbc(), 576);

  it('splits into SKF messages within the size limit, all with the same message ID', () => {
    expect(frags.length).toBeGreaterThan(2);
    for (const [i, f] of frags.entries()) {
      expect(f.length).toBeLessThanOrEqual(576);
      const m = decodeMessage(f);
      expect(m.header.nextPayload).toBe(PayloadType.SKF);
      expect(m.header.messageId).toBe(1);
      const skf = m.payloads[0];
      if (skf?.kind !== 'skf') throw new Error('not skf');
      expect(skf.fragmentNumber).toBe(i + 1);
      expect(skf.totalFragments).toBe(frags.length);
      expect(skf.innerFirst).toBe(i === 0 ? PayloadType.IDi : 0);
    }
    expect(fragmentCapacity(cbc(), 576)).toBe(
      576 - 28 - 8 - 16 - 16 - 1 - ((576 - 28 - 8 - 16 - 16) % 16),
    );
  });

  it('reassembles out of order, ignoring duplicates', () => {
    const r = new FragmentReassembler();
    const order = [...frags.keys()].reverse();
    let result;
    for (const i of order) {
      if (i === 1) expect(r.accept(decodeMessage(frags[1]!), cbc()).status).toBe('pending');
      if (i === 1)
        expect(r.accept(decodeMessage(frags[1]!), cbc())).toEqual({
          status: 'discarded',
          reason: 'duplicate',
        });
      else result = r.accept(decodeMessage(frags[i]!), cbc());
    }
    expect(result?.status).toBe('complete');
    if (result?.status === 'complete') expect(result.payloads).toEqual(inner);
    expect(r.pendingIds).toEqual([]);
  });

  it('restarts on a larger Total Fragments and discards smaller ones (§2.6.2)', () => {
    const small = encodeFragments(hdr, inner, cbc(), 1200);
    expect(small.length).toBeLessThan(frags.length);
    const r = new FragmentReassembler();
    expect(r.accept(decodeMessage(small[0]!), cbc()).status).toBe('pending');
    expect(r.accept(decodeMessage(frags[0]!), cbc())).toEqual({
      status: 'pending',
      received: 1,
      total: frags.length,
    });
    expect(r.accept(decodeMessage(small[1]!), cbc())).toEqual({
      status: 'discarded',
      reason: 'stale-total',
    });
    let last;
    for (const f of frags.slice(1)) last = r.accept(decodeMessage(f), cbc());
    expect(last?.status).toBe('complete');
  });

  it('authenticates each fragment before storing it', () => {
    const r = new FragmentReassembler();
    const bad = Buffer.from(frags[0]!);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    expect(() => r.accept(decodeMessage(bad), cbc())).toThrow(IkeIntegrityError);
    expect(r.pendingIds).toEqual([]);
  });

  it('enforces limits on fragment count, size and pending message IDs', () => {
    const r = new FragmentReassembler({ maxFragments: 2, maxBytes: 100_000, maxPending: 1 });
    expect(r.accept(decodeMessage(frags[0]!), cbc())).toEqual({
      status: 'discarded',
      reason: 'too-many-fragments',
    });
    const tiny = new FragmentReassembler({ maxFragments: 64, maxBytes: 600, maxPending: 2 });
    const results = frags.map((f) => tiny.accept(decodeMessage(f), cbc()));
    expect(results).toContainEqual({ status: 'discarded', reason: 'too-large' });
    expect(results.some((x) => x.status === 'complete')).toBe(false);
    const one = new FragmentReassembler({ maxFragments: 64, maxBytes: 100_000, maxPending: 1 });
    one.accept(decodeMessage(frags[0]!), cbc());
    one.accept(
      decodeMessage(encodeFragments({ ...hdr, messageId: 2 }, inner, cbc(), 576)[0]!),
      cbc(),
    );
    expect(one.pendingIds).toEqual([2]);
    one.clear();
    expect(one.pendingIds).toEqual([]);
  });

  it('produces a single fragment when everything fits', () => {
    const one = encodeFragments(hdr, [inner[0]!], cbc(), 1280);
    expect(one).toHaveLength(1);
    const res = new FragmentReassembler().accept(decodeMessage(one[0]!), cbc());
    expect(res.status).toBe('complete');
  });
});
