import type { Endpoint, IkeTransport } from '../../src/ike/ports.js';
import { decodeHeader } from '../../src/ike/wire/header.js';
import { exchangeTypeName } from '../../src/ike/wire/constants.js';
import { Reader } from '../../src/lib/bytes/reader.js';

export interface Datagram {
  readonly data: Buffer;
  readonly from: Endpoint;
  readonly to: Endpoint;
}

/** What the filter does with a datagram about to be delivered. */
export type Verdict = 'deliver' | 'drop' | 'duplicate';

export interface RecordedDatagram extends Datagram {
  readonly verdict: Verdict;
  /** e.g. "IKE_AUTH req #1" */
  readonly summary: string;
}

type Receiver = (data: Buffer, local: Endpoint, remote: Endpoint) => void;

/** One-to-one source NAT of an inside address to an outside address (ports remapped). */
interface Nat {
  readonly inside: string;
  readonly outside: string;
  nextPort: number;
  readonly out: Map<string, number>;
  readonly back: Map<number, Endpoint>;
}

export function summarize(data: Buffer): string {
  try {
    const h = decodeHeader(new Reader(data));
    const dir = (h.flags & 0x20) !== 0 ? 'resp' : 'req';
    return `${exchangeTypeName(h.exchangeType)} ${dir} #${h.messageId}`;
  } catch {
    return `garbage(${data.length})`;
  }
}

/**
 * In-process datagram network between IKE endpoints (by address). Sent datagrams queue until
 * the test calls `step()` or `flush()`, so it can assert after every hop; a filter can drop,
 * duplicate or hold (reorder) datagrams; everything is recorded.
 */
export class FakeNet {
  private readonly receivers = new Map<string, Receiver>();
  readonly queue: Datagram[] = [];
  readonly record: RecordedDatagram[] = [];
  private readonly nats: Nat[] = [];
  filter: (d: Datagram, summary: string) => Verdict = () => 'deliver';
  /** NAT-keepalives sent (RFC 3948 §2.3), source as seen after NAT; not queued for delivery. */
  readonly keepalives: Datagram[] = [];

  /** An IkeTransport bound to `address`. */
  transport(address: string): IkeTransport {
    return {
      send: (data, from, to) => {
        this.queue.push({ data: Buffer.from(data), from: this.natOut(from), to });
      },
      sendKeepalive: (from, to) => {
        this.keepalives.push({ data: Buffer.from([0xff]), from: this.natOut(from), to });
      },
      onReceive: (fn) => {
        this.receivers.set(address, fn);
      },
    };
  }

  /** Source-NAT everything `inside` sends to `outside` with fresh ports (RFC 7296 §2.23 tests). */
  addNat(inside: string, outside: string, firstPort = 31000): void {
    this.nats.push({ inside, outside, nextPort: firstPort, out: new Map(), back: new Map() });
  }

  /** Forget NAT mappings so the next packets get new outside ports (a NAT reboot). */
  resetNatMappings(portBase: number): void {
    for (const n of this.nats) {
      n.out.clear();
      n.back.clear();
      n.nextPort = portBase;
    }
  }

  private natOut(from: Endpoint): Endpoint {
    const n = this.nats.find((x) => x.inside === from.address);
    if (!n) return from;
    const key = `${from.port}`;
    let port = n.out.get(key);
    if (port === undefined) {
      port = n.nextPort++;
      n.out.set(key, port);
      n.back.set(port, from);
    }
    return { address: n.outside, port };
  }

  private natIn(to: Endpoint): Endpoint {
    const n = this.nats.find((x) => x.outside === to.address);
    return n?.back.get(to.port) ?? to;
  }

  /** Deliver the oldest queued datagram; false when none. */
  step(): boolean {
    const d = this.queue.shift();
    if (!d) return false;
    const summary = summarize(d.data);
    const verdict = this.filter(d, summary);
    this.record.push({ ...d, verdict, summary });
    if (verdict === 'drop') return true;
    const to = this.natIn(d.to);
    const rx = this.receivers.get(to.address);
    if (!rx) return true;
    rx(d.data, to, d.from);
    if (verdict === 'duplicate') rx(Buffer.from(d.data), to, d.from);
    return true;
  }

  /** Deliver until the network is quiet. */
  flush(limit = 1000): number {
    let n = 0;
    while (this.step()) {
      if (++n > limit) throw new Error('FakeNet.flush: message storm');
    }
    return n;
  }

  /** Summaries of recorded datagrams (optionally only since index `from`). */
  summaries(from = 0): string[] {
    return this.record
      .slice(from)
      .map(
        (r) =>
          `${r.from.address}>${r.to.address} ${r.summary}${r.verdict === 'deliver' ? '' : ` [${r.verdict}]`}`,
      );
  }
}
