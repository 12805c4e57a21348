/**
 * Real kernel, real addon: two veth pairs stand in for tunnels (a veth has carrier while its peer
 * is up, like a TUN with its reader attached). `ip -j` in the same namespace is the oracle.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const agentPath = fileURLToPath(new URL('./agent.ts', import.meta.url));
const NS = `nvrt${process.pid}`;
const BASE = 0x4e560000;

let agent: ChildProcessWithoutNullStreams | null = null;
let stderr = '';
let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed view of ip's JSON
function ipJson<T>(...args: string[]): T {
  const text = ip('-j', ...args).trim();
  return JSON.parse(text === '' ? '[]' : text) as T;
}

function destroy(): void {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

function call(method: string, ...args: unknown[]): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    agent?.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
  });
}

async function startAgent(): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', agentPath], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  agent = child;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`agent exited (${code}): ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as {
        ready?: boolean;
        id?: number;
        ok?: boolean;
        result?: unknown;
        error?: string;
      };
      if (m.ready) {
        resolve();
        return;
      }
      const w = waiting.get(m.id ?? -1);
      if (!w) return;
      waiting.delete(m.id ?? -1);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
  });
}

interface NhJson {
  id: number;
  dev?: string;
  group?: { id: number }[];
  family?: string;
}
interface RouteJson {
  dst: string;
  nhid?: number;
  protocol?: string;
}
interface RuleJson {
  priority: number;
  src?: string;
  srclen?: number;
  table: string;
}

const CONFIG = {
  tunnels: [
    { name: 'nvt0', address: '10.200.0.1/32', routingContext: 'one' },
    { name: 'nvt1', address: undefined, routingContext: undefined },
  ],
  staticRoutes: [
    {
      prefix: '10.1.0.0/24',
      via: ['nvt0', 'nvt1'],
      nextHop: undefined,
      routingContext: undefined,
      distance: 1,
    },
    {
      prefix: '10.0.255.254/32',
      via: ['nvt0'],
      nextHop: undefined,
      routingContext: 'one',
      distance: 1,
    },
  ],
  routingContexts: { one: { name: 'one', table: 101, priority: 100, auto: false } },
};
const ours = (n: NhJson): boolean => n.id >= BASE && n.id < BASE + 0x10000;

async function waitFor(cond: () => boolean, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

function groupDevs(): string[] {
  const nhs = ipJson<NhJson[]>('nexthop', 'show');
  const byId = new Map(nhs.map((n) => [n.id, n]));
  const g = nhs.find((n) => ours(n) && n.group !== undefined);
  return (g?.group ?? []).map((m) => byId.get(m.id)?.dev ?? '?').sort();
}

beforeAll(async () => {
  destroy();
  execFileSync('ip', ['netns', 'add', NS]);
  ip('link', 'set', 'lo', 'up');
  for (const i of [0, 1]) {
    ip('link', 'add', `nvt${i}`, 'type', 'veth', 'peer', 'name', `nvp${i}`);
    ip('link', 'set', `nvt${i}`, 'up');
    ip('link', 'set', `nvp${i}`, 'up');
  }
  await startAgent();
});

afterAll(async () => {
  try {
    if (agent) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.stdin.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      agent.kill();
    }
  } finally {
    destroy();
  }
});

describe('routing on the real kernel', () => {
  it('installs an ECMP route over two device nexthops and one group', async () => {
    await call('applyStatic', CONFIG);
    await call('start');
    await call('setTunnelState', 'nvt0', true);
    await call('setTunnelState', 'nvt1', true);
    expect(groupDevs()).toEqual(['nvt0', 'nvt1']);
    const routes = ipJson<RouteJson[]>('route', 'show', '10.1.0.0/24');
    const group = ipJson<NhJson[]>('nexthop', 'show').find((n) => ours(n) && n.group !== undefined);
    expect(routes).toEqual([
      expect.objectContaining({ dst: '10.1.0.0/24', nhid: group?.id, protocol: 'static' }),
    ]);
  });

  it('contexts produce a table and a source rule', () => {
    const t101 = ipJson<RouteJson[]>('route', 'show', 'table', '101');
    expect(t101.map((r) => r.dst)).toEqual(['10.0.255.254']);
    const rules = ipJson<RuleJson[]>('rule', 'show');
    expect(rules).toContainEqual(
      expect.objectContaining({ priority: 100, src: '10.200.0.1', table: '101' }),
    );
  });

  it('a link losing carrier leaves the group within one second; the route stays', async () => {
    ip('link', 'set', 'nvp1', 'down'); // nvt1 loses carrier
    const ms = await waitFor(() => groupDevs().join() === 'nvt0', 1000);
    expect(ms).toBeLessThan(1000);
    console.log(`carrier loss → group shrunk in ${ms.toFixed(1)} ms`);
    const routes = ipJson<RouteJson[]>('route', 'show', '10.1.0.0/24');
    expect(routes).toHaveLength(1);
    ip('link', 'set', 'nvp1', 'up');
    const back = await waitFor(() => groupDevs().join() === 'nvt0,nvt1', 1000);
    console.log(`carrier back → member restored in ${back.toFixed(1)} ms`);
    const view = (await call('view')) as { fib: { routes: number } };
    expect(view.fib.routes).toBe(2);
  });

  it('a restarted daemon removes the previous run’s objects and re-installs', async () => {
    const before = ipJson<NhJson[]>('nexthop', 'show').filter(ours).length;
    expect(before).toBe(3);
    agent?.kill('SIGKILL');
    await new Promise((r) => agent?.once('exit', r));
    await startAgent();
    await call('applyStatic', CONFIG);
    await call('start'); // no tunnel declared up yet: stale objects go, nothing new
    expect(ipJson<NhJson[]>('nexthop', 'show').filter(ours)).toEqual([]);
    expect(ipJson<RouteJson[]>('route', 'show', '10.1.0.0/24')).toEqual([]);
    await call('setTunnelState', 'nvt0', true);
    await call('setTunnelState', 'nvt1', true);
    expect(groupDevs()).toEqual(['nvt0', 'nvt1']);
    expect(ipJson<RuleJson[]>('rule', 'show').filter((r) => r.table === '101')).toHaveLength(1);
  });

  it('BGP routes share the group; stop removes everything', async () => {
    for (let i = 0; i < 50; i++)
      await call('upsertBgp', 'default', `10.50.${i}.0/24`, ['10.1.0.1']);
    const bgp = ipJson<RouteJson[]>('route', 'show', 'proto', 'bgp');
    expect(bgp).toHaveLength(50);
    expect(new Set(bgp.map((r) => r.nhid)).size).toBe(1);
    const bulkMs = (await call('bulkBgp', 10000, '10.1.0.1')) as number;
    expect(ipJson<RouteJson[]>('route', 'show', 'proto', 'bgp')).toHaveLength(10050);
    const downMs = (await call('timedTunnelState', 'nvt1', false)) as number;
    expect(groupDevs()).toEqual(['nvt0']);
    expect(ipJson<RouteJson[]>('route', 'show', 'proto', 'bgp')).toHaveLength(10050);
    console.log(
      `10k BGP routes programmed in ${bulkMs.toFixed(0)} ms; tunnel down handled in ${downMs.toFixed(1)} ms`,
    );
    await call('stop');
    expect(ipJson<NhJson[]>('nexthop', 'show').filter(ours)).toEqual([]);
    expect(ipJson<RouteJson[]>('route', 'show', 'proto', 'bgp')).toEqual([]);
    expect(ipJson<RouteJson[]>('route', 'show', 'table', '101')).toEqual([]);
    expect(ipJson<RuleJson[]>('rule', 'show').filter((r) => r.table === '101')).toEqual([]);
  });
});
