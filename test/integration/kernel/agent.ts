/**
 * Runs inside a network namespace (`ip netns exec NS node --import tsx agent.ts`) and drives a
 * real `createNetlinkKernel()` for the integration tests. Protocol: one JSON object per line.
 *   stdin:  { id, method, args }          method: any NetlinkKernel method, or "bulkRoutes"
 *   stdout: { id, ok: true, result } | { id, ok: false, error: { message, errno, code } }
 *           { event: "link", type, link, previous }   after "watchLinks"
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import {
  createNetlinkKernel,
  KernelError,
  type LinkWatch,
  type RouteSpec,
} from '../../../src/kernel/index.js';

interface Command {
  id: number;
  method: string;
  args: unknown[];
}

const kernel = createNetlinkKernel();
let watch: LinkWatch | null = null;

function out(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** Prefixes a.b.c.0/24 from a start octet, `count` of them. */
function bulkSpecs(
  count: number,
  firstOctet: number,
  table: number,
  nexthopId: number,
): RouteSpec[] {
  const specs: RouteSpec[] = [];
  for (let i = 0; i < count; i++) {
    specs.push({
      table,
      prefix: `${firstOctet + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`,
      nexthopId,
      protocol: 186,
    });
  }
  return specs;
}

async function run(c: Command): Promise<unknown> {
  if (c.method === 'bulkRoutes') {
    const [count, firstOctet, table, nexthopId] = c.args as number[];
    const specs = bulkSpecs(count ?? 0, firstOctet ?? 10, table ?? 254, nexthopId ?? 1);
    const t0 = performance.now();
    const r = await kernel.replaceRoutes(specs);
    return { ms: performance.now() - t0, total: r.total, failed: r.failed.length };
  }
  if (c.method === 'watchLinks') {
    watch = kernel.watchLinks((ev) => {
      out({ event: 'link', ...ev });
    });
    await watch.ready;
    return null;
  }
  const f = (kernel as unknown as Record<string, (...a: unknown[]) => unknown>)[c.method];
  if (typeof f !== 'function') throw new Error(`no method ${c.method}`);
  return await f(...c.args);
}

/** KernelErrors (e.g. inside batch results) as plain objects. */
function toJson(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v ?? null, (_k, x: unknown) =>
      x instanceof KernelError ? { message: x.message, errno: x.errno, code: x.code } : x,
    ),
  );
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const c = JSON.parse(line) as Command;
  run(c).then(
    (result) => {
      out({ id: c.id, ok: true, result: toJson(result) });
    },
    (e: unknown) => {
      const err =
        e instanceof KernelError
          ? { message: e.message, errno: e.errno, code: e.code }
          : { message: String(e), errno: 0, code: 'ERR' };
      out({ id: c.id, ok: false, error: err });
    },
  );
});
rl.on('close', () => {
  watch?.close();
  kernel.close();
});
out({ ready: true });
