/**
 * Runs our BGP speaker inside a test namespace (spawned with `ip netns exec NS node --import tsx`).
 * stdin: one JSON command per line `{id, cmd, ...}`; stdout: `{id, result}` / `{id, error}` answers
 * and `{event, ...}` lines for session changes, routes and ROUTE-REFRESH. Logs go to stderr.
 */
import { createInterface } from 'node:readline';
import { systemClock } from '../../../src/lib/clock.js';
import { systemRng } from '../../../src/lib/rng.js';
import { createLogger } from '../../../src/lib/log.js';
import { formatPrefix } from '../../../src/lib/ip/prefix.js';
import {
  BgpSpeaker,
  describeRoute,
  type SpeakerOptions,
} from '../../../src/bgp/session/speaker.js';
import { SpeakerRib } from '../../../src/bgp/session/rib-sync.js';
import { nativeSocketOptions } from '../../unit/bgp/session/native-sockopts.js';

const log = createLogger({ destination: process.stderr, pretty: false, level: 'debug' });
let speaker: BgpSpeaker | undefined;
let rib: SpeakerRib | undefined;

function out(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v)}\n`);
}

type Cmd = { id: number; cmd: string } & Record<string, unknown>;

function handle(c: Cmd): unknown {
  switch (c.cmd) {
    case 'start': {
      const opts = c.opts as Omit<SpeakerOptions, 'clock' | 'rng' | 'log'>;
      // With `rib`, routes flow through Adj-RIB-In/Loc-RIB/Adj-RIB-Out (SpeakerRib).
      const useRib = c.rib === true;
      // The native socket options (TTL per neighbor) as the composition root wires them; a test
      // may turn them off with `nativeTtl: false`.
      const s = new BgpSpeaker({
        ...opts,
        ...(c.nativeTtl === false ? {} : { socketOptions: nativeSocketOptions() }),
        clock: systemClock,
        rng: systemRng,
        log,
        originateNetworks: !useRib,
      });
      if (useRib) {
        rib = new SpeakerRib({ speaker: s, bgp: opts.bgp, clock: systemClock, log });
        rib.originate();
      }
      s.onSessionChange((neighbor, up, reason) => {
        out({ event: 'session', neighbor, up, reason });
      });
      s.onRoutes((e) => {
        out({
          event: 'routes',
          neighbor: e.neighbor,
          announced: e.announced.map(describeRoute),
          withdrawn: e.withdrawn.map(formatPrefix),
        });
      });
      s.onRouteRefresh((neighbor, m) => {
        out({ event: 'refresh', neighbor, afi: m.afi, safi: m.safi });
      });
      s.start();
      speaker = s;
      return 'started';
    }
    case 'locrib':
      return rib
        ? [...rib.locRib.destinations()].map(
            (d) => `${formatPrefix(d.prefix)} ${d.best?.source.address ?? '-'}`,
          )
        : null;
    case 'summary':
      return speaker?.summary();
    case 'clear':
      return speaker?.clearNeighbor(String(c.neighbor));
    case 'details':
      return speaker?.neighborDetails().map((d) => ({ ...d, negotiated: undefined }));
    case 'negotiated':
      return speaker?.session(String(c.neighbor))?.negotiated;
    case 'received':
      return speaker?.received(String(c.neighbor)).map(describeRoute).sort();
    case 'refresh':
      return speaker?.requestRouteRefresh(String(c.neighbor));
    case 'tunnelDown':
      return speaker?.tunnelDown(String(c.name));
    case 'tunnelUp':
      return speaker?.tunnelUp(String(c.name));
    case 'stop':
      speaker?.stop(typeof c.text === 'string' ? c.text : 'test done');
      setTimeout(() => process.exit(0), 300);
      return 'stopping';
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let c: Cmd;
  try {
    c = JSON.parse(line) as Cmd;
  } catch {
    return;
  }
  try {
    out({ id: c.id, result: handle(c) ?? null });
  } catch (e) {
    out({ id: c.id, error: (e as Error).message });
  }
});
process.stdin.on('end', () => process.exit(0));
