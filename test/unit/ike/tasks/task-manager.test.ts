import { describe, expect, it } from 'vitest';
import { createSkCipher, type SkCipher } from '../../../../src/crypto/sk-cipher.js';
import { IkeNotifyError } from '../../../../src/ike/errors.js';
import { TaskManager, type TaskManagerHost } from '../../../../src/ike/task-manager.js';
import type { InMessage, OutMessage, Task } from '../../../../src/ike/tasks/task.js';
import { ExchangeType, NotifyType } from '../../../../src/ike/wire/constants.js';
import { decodeMessage, decryptMessage } from '../../../../src/ike/wire/message.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { DetRng } from '../../../support/det-rng.js';
import { FakeClock } from '../../../support/fake-clock.js';

const rng = new DetRng('tm');
const keyI = Buffer.alloc(36, 1);
const keyR = Buffer.alloc(36, 2);

function gcm(key: Buffer): SkCipher {
  return createSkCipher(
    { encryption: 'aes-gcm-256', integrity: null, encKey: key, integKey: null },
    rng,
  );
}

interface Side {
  readonly tm: TaskManager;
  readonly sent: Buffer[];
  readonly processed: InMessage[];
  readonly timeouts: string[];
  respond: (msg: InMessage) => Task;
  fragment: number | null;
}

function side(clock: FakeClock, initiator: boolean): Side {
  const s: Partial<Side> & { sent: Buffer[]; processed: InMessage[]; timeouts: string[] } = {
    sent: [],
    processed: [],
    timeouts: [],
  };
  const out = gcm(initiator ? keyI : keyR);
  const inn = gcm(initiator ? keyR : keyI);
  const host: TaskManagerHost = {
    spiI: 0x1111n,
    spiR: 0x2222n,
    isOriginalInitiator: initiator,
    log: silentLogger(),
    cipher: (d) => (d === 'out' ? out : inn),
    sendDatagrams: (d) => s.sent.push(...d),
    responderTask: (m) => (s as Side).respond(m),
    fragmentSize: () => (s as Side).fragment,
    onTimeout: (t) => s.timeouts.push(t.type),
    onTaskFailed: () => undefined,
    onAuthenticated: (m) => s.processed.push(m),
  };
  s.fragment = null;
  s.respond = () => echo();
  return Object.assign(s, { tm: new TaskManager(host, clock) }) as Side;
}

function echo(payloads: OutMessage['payloads'] = []): Task {
  let n = 0;
  return {
    type: 'informational',
    exchangeType: ExchangeType.INFORMATIONAL,
    build: (m) => {
      m.payloads.push(...payloads);
      return 'done';
    },
    process: () => {
      n++;
      return n > 0 ? 'done' : 'failed';
    },
  };
}

function deliver(from: Side, to: Side): number {
  const d = from.sent.splice(0);
  for (const x of d) to.tm.receive(decodeMessage(x));
  return d.length;
}

describe('TaskManager (RFC 7296 §2.1, §2.3)', () => {
  it('window size 1: queued tasks wait; Message IDs count up', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    a.tm.queue(echo());
    a.tm.queue(echo());
    expect(a.sent).toHaveLength(1);
    expect(deliver(a, b)).toBe(1);
    expect(deliver(b, a)).toBe(1);
    expect(a.sent).toHaveLength(1);
    expect(decodeMessage(a.sent[0] ?? Buffer.alloc(0)).header.messageId).toBe(1);
    deliver(a, b);
    deliver(b, a);
    expect(a.tm.messageIds).toEqual({ nextRequest: 2, nextPeerRequest: 0 });
    expect(b.tm.messageIds).toEqual({ nextRequest: 0, nextPeerRequest: 2 });
    expect(a.tm.counters.exchangesInitiated).toBe(2);
  });

  it('retransmitted request gets the cached response; the task runs once', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    let created = 0;
    b.respond = () => {
      created++;
      return echo();
    };
    a.tm.queue(echo());
    const req = a.sent[0] ?? Buffer.alloc(0);
    deliver(a, b);
    b.sent.length = 0; // response lost
    clock.advance(4000);
    expect(a.sent[0]?.equals(req)).toBe(true);
    deliver(a, b);
    expect(created).toBe(1);
    expect(b.tm.counters.responsesResent).toBe(1);
    deliver(b, a);
    expect(a.tm.busy).toBe(false);
    expect(a.tm.counters.retransmits).toBe(1);
  });

  it('late and duplicate responses are ignored', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    a.tm.queue(echo());
    deliver(a, b);
    const resp = b.sent[0] ?? Buffer.alloc(0);
    deliver(b, a);
    a.tm.receive(decodeMessage(resp));
    expect(a.tm.counters.dropped).toBe(1);
    expect(a.processed).toHaveLength(1);
  });

  it('IkeNotifyError from a responder task is answered with that notify (§2.21)', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    b.respond = () => {
      throw new IkeNotifyError(NotifyType.TEMPORARY_FAILURE, undefined, 'busy');
    };
    a.tm.queue(echo());
    deliver(a, b);
    const resp = decodeMessage(b.sent[0] ?? Buffer.alloc(0));
    const inner = decryptMessage(resp, gcm(keyR));
    expect(inner).toEqual([
      expect.objectContaining({ kind: 'notify', notifyType: NotifyType.TEMPORARY_FAILURE }),
    ]);
    expect(b.tm.counters.failuresByNotify.get('TEMPORARY_FAILURE')).toBe(1);
  });

  it('a message failing its integrity check is dropped without an answer (§2.21.2)', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    a.tm.queue(echo());
    const req = Buffer.from(a.sent[0] ?? Buffer.alloc(0));
    req.writeUInt8(req.readUInt8(req.length - 1) ^ 1, req.length - 1);
    b.tm.receive(decodeMessage(req));
    expect(b.sent).toHaveLength(0);
    expect(b.tm.counters.dropped).toBe(1);
    expect(b.tm.messageIds.nextPeerRequest).toBe(0);
  });

  it('requests with an unexpected Message ID are dropped', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    a.tm.queue(echo());
    deliver(a, b);
    deliver(b, a);
    a.tm.queue(echo());
    // A fresh responder expects #0 and gets #1.
    const fresh = side(clock, false);
    expect(deliver(a, fresh)).toBe(1);
    expect(fresh.sent).toHaveLength(0);
    expect(fresh.tm.counters.dropped).toBe(1);
    expect(fresh.tm.messageIds.nextPeerRequest).toBe(0);
  });

  it('fragments above the size limit and reassembles (RFC 7383)', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    const b = side(clock, false);
    a.fragment = 120;
    const big = Array.from({ length: 4 }, () => ({
      kind: 'vendor' as const,
      data: Buffer.alloc(50, 7),
    }));
    a.tm.queue(echo(big));
    expect(a.sent.length).toBeGreaterThan(1);
    for (const d of a.sent) expect(d.length).toBeLessThanOrEqual(120);
    deliver(a, b);
    expect(b.processed).toHaveLength(1);
    expect(b.processed[0]?.payloads).toHaveLength(4);
    expect(deliver(b, a)).toBe(1);
    expect(a.tm.busy).toBe(false);
  });

  it('gives up after the last retransmission and reports the timeout', () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    a.tm.queue(echo());
    clock.advance(165_060);
    expect(a.timeouts).toEqual([]);
    clock.advance(1);
    expect(a.timeouts).toEqual(['informational']);
    expect(a.sent).toHaveLength(6);
  });
});
