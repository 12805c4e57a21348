import { describe, expect, it } from 'vitest';
import doc from '../../vectors/esp/vectors.json' with { type: 'json' };
import replayDoc from '../../vectors/esp/replay.json' with { type: 'json' };
import { openEsp, sealEsp } from '../../../src/esp/wire.js';
import {
  generate,
  replayScenarios,
  toKeys,
  type EspVector,
  type OpenFailureVector,
  type ReplayScenario,
} from '../../vectors/esp/generate.js';

const vectors = doc.vectors as EspVector[];
const failures = doc.openFailures as OpenFailureVector[];

describe('shared ESP vectors (nvad reference, generated; test/vectors/esp/vectors.json)', () => {
  it('covers every transform × ESN × IPv4/IPv6 × 1/40/1400 bytes', () => {
    expect(vectors).toHaveLength(120);
    const combos = new Set(vectors.map((v) => `${v.sa.encryption}/${v.sa.integrity}/${v.sa.esn}`));
    expect(combos.size).toBe(20);
  });

  it('is still what the generator produces (frozen file is up to date)', () => {
    const fresh = generate();
    expect(fresh.vectors).toEqual(vectors);
    expect(fresh.openFailures).toEqual(failures);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('seal and open: %s', (_n, v) => {
    const sa = toKeys(v.sa);
    const seq = BigInt(v.seq);
    const iv = v.ivHex === undefined ? undefined : Buffer.from(v.ivHex, 'hex');
    const inner = Buffer.from(v.innerHex, 'hex');
    const esp = sealEsp(sa, seq, inner, v.nextHeader, iv);
    expect(esp.toString('hex')).toBe(v.espHex);
    const opened = openEsp(sa, esp, Number(seq >> 32n));
    expect(opened).toEqual({ inner, nextHeader: v.nextHeader });
  });

  it.each(failures.map((v) => [v.name, v] as const))('open failure: %s', (_n, v) => {
    expect(openEsp(toKeys(v.sa), Buffer.from(v.espHex, 'hex'), v.seqHigh)).toBe(v.drop);
  });
});

describe('shared replay/ESN scenarios (test/vectors/esp/replay.json; RFC 4303 App. A, RFC 6479)', () => {
  const scenarios = replayDoc.scenarios as ReplayScenario[];

  it('is still what the reference produces', () => {
    expect(replayScenarios()).toEqual(scenarios);
  });

  it('covers the cases the native side must match', () => {
    const results = new Set(scenarios.flatMap((s) => s.arrivals.map((a) => a.result)));
    expect(results).toEqual(new Set(['ok', 'replay', 'replay-stale', 'icv']));
  });

  it('ESN rollover: late packets from before 2^32 are placed in subspace 0 and accepted once', () => {
    const s = scenarios.find((x) => x.name.startsWith('ESN: rollover'))!;
    expect(s.arrivals.map((a) => `${a.seqHigh}:${a.result}`)).toEqual([
      '0:ok',
      '0:ok',
      '0:ok',
      '1:ok',
      '0:ok',
      '1:ok',
      '1:ok',
      '0:replay',
      '0:ok',
      '1:ok',
      '1:icv', // left of the window: App. A.2.2 places it in the next subspace, the ICV fails
      '1:ok',
    ]);
  });
});
