/**
 * The daemon's BGP and routing components (src/daemon/bgp.ts over src/routing's `Routing` on the
 * real rtnetlink kernel) inside a test namespace, for multi-context.test.ts. The veths named
 * Tunnel0/Tunnel1 stand in for the TUN devices; `tunnel NAME up|down` does what the tunnels
 * component does on a line-protocol change (routing first, then BGP).
 *
 * argv[2]: the YAML config file. stdin: `{id, cmd, ...}` per line; stdout: `{ready}` once, then
 * `{id, result}` / `{id, error}`. Logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfigText } from '../../../src/config/index.js';
import { BgpComponent } from '../../../src/daemon/bgp.js';
import { createNetlinkKernel } from '../../../src/kernel/index.js';
import { systemClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/log.js';
import { systemRng } from '../../../src/lib/rng.js';
import { Routing } from '../../../src/routing/index.js';

const file = process.argv[2] ?? '';
const loaded = loadConfigText(readFileSync(file, 'utf8'), file, {
  secrets: { env: () => 'multi-context-test-psk', readFile: () => '' },
});
if (!loaded.ok) {
  process.stderr.write(`${JSON.stringify(loaded.errors)}\n`);
  process.exit(2);
}
const config = loaded.config;
const logger = createLogger({ level: 'info', pretty: false, destination: process.stderr });
const kernel = createNetlinkKernel();
const routing = new Routing({ kernel, logger, clock: systemClock });
const bgp = new BgpComponent({
  routing,
  logger,
  clock: systemClock,
  rng: systemRng,
  listen: false,
  connectRetrySec: 2,
});

function out(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

type Cmd = { id: number; cmd: string } & Record<string, unknown>;

async function run(c: Cmd): Promise<unknown> {
  switch (c.cmd) {
    case 'tunnel': {
      const name = String(c.name);
      const up = c.up === true;
      routing.setTunnelState(name, up);
      bgp.onTunnelState(name, up);
      await routing.settled();
      return null;
    }
    case 'summary':
      return bgp.query().summary();
    case 'destinations':
      return bgp.query().destinations();
    case 'advertised':
      return bgp.query().advertisedRoutes(String(c.neighbor));
    case 'routes':
      return routing.view().routes;
    case 'stop':
      await bgp.stop();
      await routing.stop();
      kernel.close();
      setTimeout(() => process.exit(0), 100);
      return 'stopping';
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

async function main(): Promise<void> {
  routing.applyStatic(config);
  await routing.start();
  for (const t of config.tunnels) routing.setTunnelState(t.name, true);
  await routing.settled();
  await bgp.start(config);
  createInterface({ input: process.stdin }).on('line', (line) => {
    let c: Cmd;
    try {
      c = JSON.parse(line) as Cmd;
    } catch {
      return;
    }
    run(c).then(
      (result) => {
        out({ id: c.id, result: result ?? null });
      },
      (e: unknown) => {
        out({ id: c.id, error: e instanceof Error ? e.message : String(e) });
      },
    );
  });
  process.stdin.on('end', () => {
    void bgp
      .stop()
      .then(() => routing.stop())
      .finally(() => process.exit(0));
  });
  out({ ready: true });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `agent failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
