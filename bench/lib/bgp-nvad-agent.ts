/**
 * The nvad side of the BGP ingest benchmark (a program, not a test). Run inside the receiver
 * namespace as its own process, so its memory and CPU are its own:
 *
 *   ip netns exec NS node --import tsx bench/lib/bgp-nvad-agent.ts '<json options>'
 *
 * Wires the real pieces the daemon uses: BgpSpeaker → SpeakerRib (Adj-RIB-In, Loc-RIB) →
 * connectRouteSink → Routing (RIB + FIB programmer, nexthop objects) → createNetlinkKernel().
 * stdout: one JSON line per event (`ready`, `session`, `rib`, `mem`), each with `at` (epoch ms);
 * logs (warnings only) go to stderr. stdin: `mem` asks for heap figures (and, with
 * BENCH_BGP_HEAP_SNAPSHOT=<file>, writes a heap snapshot there). Exits when stdin closes or on
 * SIGTERM.
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { BgpSpeaker, SpeakerRib, connectRouteSink } from '../../src/bgp/session/index.js';
import type { BgpConfig } from '../../src/config/types.js';
import { createNetlinkKernel } from '../../src/kernel/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/log.js';
import { systemRng } from '../../src/lib/rng.js';
import { Routing } from '../../src/routing/index.js';

export interface NvadAgentOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly peerAs: number;
  /** Emit `{event:'rib'}` once this many best paths have been handed to Routing. */
  readonly expect: number;
}

function out(v: Record<string, unknown>): void {
  // Wall-clock milliseconds with sub-ms precision, comparable with the parent's clock.
  process.stdout.write(
    `${JSON.stringify({ ...v, at: performance.timeOrigin + performance.now() })}\n`,
  );
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as NvadAgentOptions;
  const log = createLogger({ destination: process.stderr, pretty: false, level: 'warn' });
  const bgp: BgpConfig = {
    asn: o.asn,
    routerId: o.routerId,
    maximumPaths: 1,
    timers: { keepaliveSec: 30, holdSec: 90 },
    networks: [],
    redistribute: [],
    prefixLists: {},
    routeMaps: {},
    neighbors: [
      {
        address: o.peerAddress,
        remoteAs: o.peerAs,
        description: 'bench source',
        updateSource: o.localAddress,
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
      },
    ],
  };
  const kernel = createNetlinkKernel();
  const routing = new Routing({ kernel, clock: systemClock, logger: log });
  routing.applyStatic({ staticRoutes: [], routingContexts: {}, tunnels: [] });
  await routing.start();

  const speaker = new BgpSpeaker({
    bgp,
    clock: systemClock,
    rng: systemRng,
    log,
    originateNetworks: false,
    connectRetrySec: 1,
  });
  const rib = new SpeakerRib({ speaker, bgp, clock: systemClock, log });
  rib.originate();
  let upserts = 0;
  connectRouteSink(rib, {
    upsertBgp: (ctx, prefix, hops, attrs, parsed) => {
      routing.upsertBgp(ctx, prefix, hops, attrs, parsed);
      if (++upserts === o.expect) out({ event: 'rib' });
    },
    withdrawBgp: (ctx, prefix) => {
      routing.withdrawBgp(ctx, prefix);
    },
  });
  speaker.onSessionChange((neighbor, up, reason) => {
    out({ event: 'session', neighbor, up, reason });
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    speaker.stop('benchmark done');
    // The namespace (and its routes) is deleted by the parent; no need to clean the FIB here.
    kernel.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  // "mem" on stdin: answer with the V8 heap after a full GC (needs --expose-gc), i.e. what the
  // ingested table really retains, as opposed to the peak RSS.
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'mem') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const m = process.memoryUsage();
    // BENCH_BGP_HEAP_SNAPSHOT=<file>: also write a heap snapshot of the converged table.
    const snap = process.env.BENCH_BGP_HEAP_SNAPSHOT;
    if (snap !== undefined && snap !== '') writeHeapSnapshot(snap);
    out({
      event: 'mem',
      heapUsed: m.heapUsed,
      rss: m.rss,
      external: m.external,
      gc: gc !== undefined,
    });
  });

  speaker.start();
  out({ event: 'ready' });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `nvad agent failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
