/**
 * In-memory TCP for session tests: a cross-connected Duplex pair and a connector that "dials" a
 * speaker registered under an address. Data crosses asynchronously (like a real socket), so tests
 * `await flush()` after acting; timers run on a FakeClock.
 */
import { Duplex } from 'node:stream';
import type { BgpConfig, BgpNeighbor } from '../../../../src/config/types.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { BgpSpeaker } from '../../../../src/bgp/session/speaker.js';
import type { Connector } from '../../../../src/bgp/session/transport.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { DetRng } from '../../../support/det-rng.js';

export interface Link {
  /** Drop everything written in both directions (a dead path, e.g. the tunnel is gone). */
  blackhole: boolean;
}

export function duplexPair(link: Link = { blackhole: false }): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (i: number): Duplex =>
    new Duplex({
      read() {
        /* data is pushed by the other end */
      },
      write(chunk: Buffer, _enc, cb) {
        if (!link.blackhole) ends[1 - i]?.push(chunk);
        cb();
      },
      final(cb) {
        ends[1 - i]?.push(null);
        cb();
      },
      destroy(err, cb) {
        const other = ends[1 - i];
        if (other && !other.destroyed) other.destroy();
        cb(err);
      },
    });
  ends.push(make(0), make(1));
  return [ends[0] as Duplex, ends[1] as Duplex];
}

export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A little network of speakers joined by in-memory TCP. */
export class MemNet {
  readonly clock = new FakeClock();
  readonly speakers = new Map<string, BgpSpeaker>();
  readonly links: Link[] = [];
  /** When set, the dialled side sees the connection one event-loop turn after the dialler. */
  staggerIncoming = false;
  refuse = new Set<string>();

  connector(localAddress: string): Connector {
    return (req, cb) => {
      let cancelled = false;
      setImmediate(() => {
        if (cancelled) return;
        const target = this.speakers.get(req.remoteAddress);
        if (!target || this.refuse.has(req.remoteAddress)) {
          cb(new Error('ECONNREFUSED'), undefined, undefined);
          return;
        }
        const link: Link = { blackhole: false };
        this.links.push(link);
        const [a, b] = duplexPair(link);
        const deliver = (): void => {
          target.handleIncoming({
            socket: b,
            localAddress: req.remoteAddress,
            remoteAddress: localAddress,
          });
        };
        cb(undefined, a, localAddress);
        if (this.staggerIncoming) setImmediate(deliver);
        else deliver();
      });
      return {
        cancel: () => {
          cancelled = true;
        },
      };
    };
  }

  add(
    address: string,
    bgp: BgpConfig,
    extra: Partial<ConstructorParameters<typeof BgpSpeaker>[0]> = {},
  ): BgpSpeaker {
    const s = new BgpSpeaker({
      bgp,
      clock: this.clock,
      rng: new DetRng(address),
      log: silentLogger(),
      connector: this.connector(address),
      listen: false,
      ...extra,
    });
    this.speakers.set(address, s);
    return s;
  }
}

export function neighbor(
  address: string,
  remoteAs: number,
  o: Partial<BgpNeighbor> = {},
): BgpNeighbor {
  return {
    address,
    remoteAs,
    description: undefined,
    updateSource: undefined,
    ebgpMultihop: undefined,
    passive: false,
    asOverride: false,
    allowasIn: 0,
    nextHopSelf: false,
    maxPrefixes: undefined,
    maxPrefixesOut: undefined,
    routingContext: undefined,
    timers: { keepaliveSec: 30, holdSec: 90 },
    routeMapIn: undefined,
    routeMapOut: undefined,
    prefixListIn: undefined,
    prefixListOut: undefined,
    shutdown: false,
    addressFamilies: ['ipv4-unicast'],
    ...o,
  };
}

export function bgpConfig(
  asn: number,
  routerId: string,
  neighbors: BgpNeighbor[],
  networks: string[] = [],
): BgpConfig {
  return {
    asn,
    routerId,
    maximumPaths: 1,
    timers: { keepaliveSec: 30, holdSec: 90 },
    networks,
    redistribute: [],
    prefixLists: {},
    routeMaps: {},
    neighbors,
  };
}
