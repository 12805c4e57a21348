/**
 * fast-check properties over every IKE decoder: random bytes and mutated valid messages only ever
 * throw typed errors (NetError subclasses: DecodeError, TruncatedError, IkeNotifyError,
 * IkeIntegrityError), never anything else, and always terminate.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSkCipher } from '../../../src/crypto/sk-cipher.js';
import {
  ExchangeType,
  HeaderFlag,
  NotifyType,
  PayloadType,
} from '../../../src/ike/wire/constants.js';
import { encodeFragments, FragmentReassembler } from '../../../src/ike/wire/fragment.js';
import { decodeHeader } from '../../../src/ike/wire/header.js';
import {
  decodeMessage,
  decryptMessage,
  encodeProtectedMessage,
  padPlaintext,
} from '../../../src/ike/wire/message.js';
import { decodePayloadBody, notify } from '../../../src/ike/wire/payloads/index.js';
import { checkMessageRules } from '../../../src/ike/wire/rules.js';
import { verifyPayloads } from '../../../src/ike/wire/verify.js';
import { isResponse } from '../../../src/ike/wire/header.js';
import { Reader } from '../../../src/lib/bytes/reader.js';
import { NetError } from '../../../src/lib/errors.js';
import { DetRng } from '../../support/det-rng.js';

const RUNS = 2000;

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
  }
}

const cipher = () =>
  createSkCipher(
    {
      encryption: 'aes-cbc-128',
      integrity: 'sha256',
      encKey: Buffer.alloc(16, 1),
      integKey: Buffer.alloc(32, 2),
    },
    new DetRng('fuzz'),
  );

// Seeds: the captured strongSwan exchanges (the other files there are key-derivation vectors).
const VECTOR_FILES = readdirSync(new URL('../../vectors/ike/', import.meta.url)).filter(
  (f) => f.startsWith('strongswan-') && f.endsWith('.json'),
);

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const f of VECTOR_FILES) {
    const v = JSON.parse(
      readFileSync(new URL(`../../vectors/ike/${f}`, import.meta.url), 'utf8'),
    ) as {
      messages: { hex: string }[];
    };
    for (const m of v.messages) out.push(Buffer.from(m.hex, 'hex'));
  }
  const hdr = {
    spiI: 1n,
    spiR: 2n,
    exchangeType: ExchangeType.INFORMATIONAL,
    flags: HeaderFlag.INITIATOR,
    messageId: 3,
  };
  out.push(
    encodeProtectedMessage(
      hdr,
      [
        notify(NotifyType.INITIAL_CONTACT),
        { kind: 'delete', protocolId: 3, spiSize: 4, spis: [Buffer.alloc(4)] },
      ],
      cipher(),
    ),
  );
  out.push(
    ...encodeFragments(
      { ...hdr, exchangeType: ExchangeType.IKE_AUTH },
      [{ kind: 'cert', encoding: 4, data: Buffer.alloc(600, 1) }],
      cipher(),
      300,
    ),
  );
  return out;
}

const SEEDS = seeds();

/** Everything a receiver does with a datagram before any state is touched. */
function receive(raw: Buffer): void {
  const m = decodeMessage(raw);
  verifyPayloads(m.payloads);
  checkMessageRules(m.header.exchangeType, isResponse(m.header), m.payloads, null);
  const last = m.payloads[m.payloads.length - 1];
  if (last?.kind === 'sk') decryptMessage(m, cipher());
  if (last?.kind === 'skf') new FragmentReassembler().accept(m, cipher());
}

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([seed, flips, cut]) => {
    const b = Buffer.from(seed);
    for (const [at, v] of flips) b[at % b.length] = v;
    return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
  });

/** An authentic SK/SKF message around arbitrary plaintext, so the inner decoders get fuzzed too. */
function sealedAround(inner: Uint8Array, first: number, skf: boolean): Buffer {
  const c = cipher();
  const padded = padPlaintext(Buffer.from(inner), c.blockBytes);
  const head = Buffer.alloc(28 + 4 + (skf ? 4 : 0));
  head.writeBigUInt64BE(1n, 0);
  head.writeBigUInt64BE(2n, 8);
  head[16] = skf ? PayloadType.SKF : PayloadType.SK;
  head[17] = 0x20;
  head[18] = ExchangeType.IKE_AUTH;
  head[19] = HeaderFlag.INITIATOR;
  const skLen = head.length - 28 + c.ivBytes + padded.length + c.icvBytes;
  head.writeUInt32BE(28 + skLen, 24);
  head[28] = first;
  head.writeUInt16BE(skLen, 30);
  if (skf) head.writeUInt32BE(0x00010001, 32);
  const iv = c.nextIv();
  return Buffer.concat([head, iv, c.seal(head, iv, padded)]);
}

describe('IKE decoder fuzzing', () => {
  it('authentic SK/SKF around random inner chains', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(PayloadType), 200),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        (first, inner, skf) => {
          const raw = sealedAround(inner, first, skf);
          onlyTyped(() => {
            const m = decodeMessage(raw);
            const ps = skf
              ? new FragmentReassembler().accept(m, cipher())
              : decryptMessage(m, cipher());
            if (Array.isArray(ps)) {
              verifyPayloads(ps);
              checkMessageRules(ExchangeType.IKE_AUTH, false, m.payloads, ps);
            }
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('every payload body decoder on random bytes', () => {
    const types = [...Object.values(PayloadType), 48, 200];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        (type, bytes, crit) => {
          onlyTyped(() => {
            const p = decodePayloadBody(type, crit, new Reader(bytes), 0);
            verifyPayloads([p]);
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('header and whole messages on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
        onlyTyped(() => decodeHeader(new Reader(bytes)));
        onlyTyped(() => {
          receive(Buffer.from(bytes));
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('random payload chains behind a valid header', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(PayloadType)),
        fc.uint8Array({ maxLength: 400 }),
        (first, body) => {
          const raw = Buffer.concat([Buffer.alloc(28), body]);
          raw[16] = first;
          raw[17] = 0x20;
          raw[18] = ExchangeType.IKE_SA_INIT;
          raw.writeUInt32BE(raw.length, 24);
          onlyTyped(() => {
            receive(raw);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('mutated valid messages (strongSwan captures, SK, SKF)', () => {
    expect(VECTOR_FILES.length).toBeGreaterThanOrEqual(6);
    expect(SEEDS.length).toBeGreaterThan(30);
    for (const s of SEEDS)
      onlyTyped(() => {
        receive(s);
      });
    fc.assert(
      fc.property(mutated, (raw) => {
        onlyTyped(() => {
          receive(raw);
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
