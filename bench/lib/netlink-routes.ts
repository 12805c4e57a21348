/**
 * Measurement (not a test): install N /24 routes (default 100k) on one nexthop object through the
 * batch API, in a private network namespace, then replace them and delete them.
 *
 *   sudo npx tsx bench/lib/netlink-routes.ts [count] [batchSize]
 *
 * The outer process creates namespace `nvbench<pid>`, re-runs itself inside it with
 * `ip netns exec`, and always deletes the namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, unlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNetlinkKernel, RouteProtocol, type RouteSpec } from '../../src/kernel/index.js';

const count = Number(process.argv[2] ?? 100_000);
const batchSize = Number(process.argv[3] ?? 1000);

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

function specs(n: number, nexthopId: number): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (let i = 0; i < n; i++) {
    // 10.0.0.0/24, 10.0.1.0/24, ... continuing into 11.x for n > 65536.
    const a = 10 + (i >> 16);
    out.push({
      table: 254,
      prefix: `${a}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`,
      nexthopId,
      protocol: RouteProtocol.bgp,
    });
  }
  return out;
}

async function inner(): Promise<void> {
  ip('link', 'add', 'bench0', 'type', 'veth', 'peer', 'name', 'bench1');
  const k = createNetlinkKernel({ batchSize });
  try {
    await k.setLinkUp('bench0', true);
    await k.setLinkUp('bench1', true);
    await k.addAddress('bench0', '192.0.2.1/24');
    await k.replaceNexthop({ id: 1, dev: 'bench0', via: '192.0.2.2', protocol: RouteProtocol.bgp });
    const list = specs(count, 1);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const add = await k.replaceRoutes(list);
    const t1 = performance.now();
    const cpu = process.cpuUsage(c0);
    const again = await k.replaceRoutes(list);
    const t2 = performance.now();
    const dump = await k.listRoutes({ protocol: RouteProtocol.bgp, family: 4 });
    const t3 = performance.now();
    const del = await k.deleteRoutes(list);
    const t4 = performance.now();
    // The same install through `ip -batch` (iproute2 6.1), for a load-independent comparison.
    const file = join(tmpdir(), `nvbench-${process.pid}.batch`);
    writeFileSync(file, list.map((r) => `route replace ${r.prefix} nhid 1 proto bgp\n`).join(''));
    const t5 = performance.now();
    execFileSync('ip', ['-batch', file]);
    const t6 = performance.now();
    unlinkSync(file);
    const ms = (a: number, b: number): string => `${(b - a).toFixed(0)} ms`;
    console.log(
      JSON.stringify({
        routes: count,
        batchSize,
        install: ms(t0, t1),
        installFailed: add.failed.length,
        replaceSame: ms(t1, t2),
        replaceFailed: again.failed.length,
        dump: ms(t2, t3),
        dumped: dump.length,
        delete: ms(t3, t4),
        deleteFailed: del.failed.length,
        routesPerSec: Math.round(count / ((t1 - t0) / 1000)),
        installCpuUser: `${(cpu.user / 1000).toFixed(0)} ms`,
        installCpuSys: `${(cpu.system / 1000).toFixed(0)} ms`,
        ipBatchInstall: ms(t5, t6),
        loadAvg1m: loadavg()[0]?.toFixed(1),
      }),
    );
  } finally {
    k.close();
  }
}

function outer(): void {
  const ns = `nvbench${process.pid}`;
  ip('netns', 'add', ns);
  try {
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        ...process.argv.slice(2),
      ],
      { stdio: 'inherit', env: { ...process.env, NVAD_BENCH_INNER: '1' } },
    );
    process.exitCode = r.status ?? 1;
  } finally {
    ip('netns', 'del', ns);
  }
}

if (process.env.NVAD_BENCH_INNER === '1') await inner();
else outer();
