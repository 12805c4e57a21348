import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A_ADDR, B_ADDR, established, keysMatch, makePair } from './pair.js';

describe('IKE pair: hostile input never throws out of the manager', () => {
  it('random datagrams are dropped', () => {
    const p = makePair();
    p.run();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
        p.b.mgr.receive(
          Buffer.from(bytes),
          { address: B_ADDR, port: 500 },
          { address: A_ADDR, port: 500 },
        );
      }),
      { numRuns: 300 },
    );
    p.run();
    expect(established(p.b)).toHaveLength(1);
  });

  it('bit flips in every recorded message are dropped or answered, never crash', () => {
    const p = makePair();
    p.run();
    const recorded = p.net.record.map((r) => r.data);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: recorded.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, pos, mask) => {
          const d = Buffer.from(recorded[which] ?? Buffer.alloc(0));
          const i = pos % d.length;
          d.writeUInt8(d.readUInt8(i) ^ mask, i);
          p.b.mgr.receive(d, { address: B_ADDR, port: 500 }, { address: A_ADDR, port: 500 });
          p.a.mgr.receive(d, { address: A_ADDR, port: 500 }, { address: B_ADDR, port: 500 });
          p.net.queue.length = 0;
        },
      ),
      { numRuns: 300 },
    );
    expect(established(p.a)).toHaveLength(1);
    expect(established(p.b)).toHaveLength(1);
    expect(keysMatch(p.a, p.b) && keysMatch(p.b, p.a)).toBe(true);
  });
});
