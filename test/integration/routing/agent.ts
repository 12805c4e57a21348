/**
 * Runs inside a network namespace (`ip netns exec NS node --import tsx agent.ts`) and drives a
 * real `Routing` over the real `createNetlinkKernel()`. Protocol: one JSON object per line.
 *   stdin:  { id, method, args }   method: applyStatic | setTunnelState | upsertBgp | withdrawBgp |
 *                                          start | stop | view
 *   stdout: { ready: true } once, then { id, ok: true, result } | { id, ok: false, error }
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createNetlinkKernel } from '../../../src/kernel/index.js';
import { systemClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/log.js';
import { Routing, type RoutingConfig } from '../../../src/routing/index.js';

interface Command {
  id: number;
  method: string;
  args: unknown[];
}

const kernel = createNetlinkKernel();
const routing = new Routing({
  kernel,
  clock: systemClock,
  logger: createLogger({ level: 'warn', pretty: false, destination: process.stderr }),
});

function out(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

async function run(c: Command): Promise<unknown> {
  const a = c.args;
  switch (c.method) {
    case 'applyStatic':
      routing.applyStatic(a[0] as RoutingConfig);
      break;
    case 'setTunnelState':
      routing.setTunnelState(a[0] as string, a[1] as boolean);
      break;
    case 'upsertBgp':
      routing.upsertBgp(a[0] as string, a[1] as string, a[2] as string[], { ebgp: true });
      break;
    case 'withdrawBgp':
      routing.withdrawBgp(a[0] as string, a[1] as string);
      break;
    case 'start':
      await routing.start();
      break;
    case 'stop':
      await routing.stop();
      break;
    case 'view':
      return routing.view();
    case 'bulkBgp': {
      // count /24s from 10.64.0.0 via one gateway, in one burst; returns ms until programmed.
      const [count, gateway] = a as [number, string];
      const t0 = performance.now();
      for (let i = 0; i < count; i++)
        routing.upsertBgp(
          'default',
          `10.${64 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}/32`,
          [gateway],
          {
            ebgp: true,
          },
        );
      await routing.settled();
      return performance.now() - t0;
    }
    case 'timedTunnelState': {
      const t0 = performance.now();
      routing.setTunnelState(a[0] as string, a[1] as boolean);
      await routing.settled();
      return performance.now() - t0;
    }
    default:
      throw new Error(`no method ${c.method}`);
  }
  await routing.settled();
  return null;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const c = JSON.parse(line) as Command;
  run(c).then(
    (result) => {
      out({ id: c.id, ok: true, result });
    },
    (e: unknown) => {
      out({ id: c.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    },
  );
});
rl.on('close', () => {
  void routing.stop().finally(() => {
    kernel.close();
  });
});
out({ ready: true });
