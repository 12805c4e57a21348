import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  diffConfig,
  type Config,
  type ConfigDiff,
  type ConfigError,
  type LoadResult,
} from '../../../src/config/index.js';
import type { Component } from '../../../src/daemon/component.js';
import { summarizeChanges } from '../../../src/daemon/config-adapter.js';
import type { ConfigPort } from '../../../src/daemon/config-port.js';
import { checkDaemonConfig, Daemon } from '../../../src/daemon/daemon.js';
import { LoopbackComponent } from '../../../src/daemon/loopbacks.js';
import { createLogger } from '../../../src/lib/log.js';
import { ApiListenError } from '../../../src/mgmt/api/server.js';
import { viewKey } from '../../../src/mgmt/show/context.js';
import { SHOW_COMMANDS } from '../../../src/mgmt/show/index.js';
import type { ShowCommand } from '../../../src/mgmt/show/registry.js';
import { FakeClock } from '../../support/fake-clock.js';
import { testConfig } from './config-fixture.js';
import { MemoryKernel } from './fake-kernel.js';

const TOKEN = 'api-T0ken-never-print';

class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  raw = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.raw += chunk.toString();
    for (const l of chunk.toString().split('\n'))
      if (l) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
}

/** A ConfigPort serving queued load results (the real adapter's summary and a plain render). */
class QueueConfigPort implements ConfigPort {
  next: LoadResult | null = null;
  load(): Promise<LoadResult> {
    if (!this.next) throw new Error('no config queued');
    return Promise.resolve(this.next);
  }
  diff(previous: Config, next: Config): ConfigDiff {
    return diffConfig(previous, next);
  }
  summarize(diff: ConfigDiff, previous: Config, next: Config): readonly string[] {
    return summarizeChanges(diff, previous, next);
  }
  render(config: Config): string {
    return `node:\n  name: ${config.node.name}\napi:\n  token: ${String(config.api.token)}\n`;
  }
}

const daemons: Daemon[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('test end')));
  await Promise.all(blockers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function setup(extra: Component[] = []) {
  const kernel = new MemoryKernel();
  const sink = new LogSink();
  const logger = createLogger({ level: 'debug', destination: sink, pretty: false });
  const clock = new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const port = new QueueConfigPort();
  const daemon = new Daemon({
    configFile: '/etc/nvad/nvad.yaml',
    config: port,
    kernel,
    logger,
    clock,
    version: '9.9.9',
    components: [new LoopbackComponent({ kernel, logger }), ...extra],
    pid: 777,
  });
  daemons.push(daemon);
  return { kernel, sink, clock, port, daemon };
}

function baseUrl(d: Daemon): string {
  return `http://127.0.0.1:${d.apiAddress?.port ?? 0}`;
}

async function metric(d: Daemon, name: string): Promise<string> {
  const text = await d.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

const badLoad: LoadResult & { ok: false } = {
  ok: false,
  errors: [
    {
      file: '/etc/nvad/nvad.yaml',
      line: 3,
      col: 5,
      field: 'loopbacks[0]',
      message: 'invalid prefix (expected ADDRESS/LEN)',
      text: '/etc/nvad/nvad.yaml:3:5: loopbacks[0]: invalid prefix (expected ADDRESS/LEN)',
    } satisfies ConfigError,
  ],
};

describe('Daemon', () => {
  it('starts the API and the components; status reflects them', async () => {
    const { kernel, daemon, clock } = setup();
    await daemon.start(testConfig({ name: 'nva-10', token: TOKEN }));
    expect(kernel.addressesOf('lo')).toContain('169.254.21.1/32');
    clock.advance(61_000);
    const res = await fetch(`${baseUrl(daemon)}/v1/status`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await res.json()).toEqual({
      nodeName: 'nva-10',
      version: '9.9.9',
      pid: 777,
      startedAt: '2026-01-02T03:04:05.000Z',
      uptimeSec: 61,
      configFile: '/etc/nvad/nvad.yaml',
      configLoadedAt: '2026-01-02T03:04:05.000Z',
      components: [
        {
          name: 'loopbacks',
          state: 'running',
          detail: '1 loopback address on lo (1 added by nvad)',
        },
      ],
    });
    expect(await metric(daemon, 'nvad_interfaces_up')).toBe('nvad_interfaces_up 1');
    expect(await metric(daemon, 'nvad_build_info{')).toContain('version="9.9.9"');
  });

  it('serves show commands through the API with the live context', async () => {
    const { daemon } = setup();
    await daemon.start(testConfig({ name: 'nva-10' }));
    const v = (await (await fetch(`${baseUrl(daemon)}/v1/show/version`)).json()) as Record<
      string,
      unknown
    >;
    expect(v).toMatchObject({
      nodeName: 'nva-10',
      version: '9.9.9',
      pid: 777,
      configFile: '/etc/nvad/nvad.yaml',
    });
    const i = (await (await fetch(`${baseUrl(daemon)}/v1/show/interfaces`)).json()) as {
      interfaces: { name: string; managed: boolean; addresses: { address: string }[] }[];
    };
    expect(i.interfaces).toHaveLength(1);
    expect(i.interfaces[0]?.managed).toBe(true);
    expect(i.interfaces[0]?.addresses.map((a) => a.address)).toContain('169.254.21.1');
  });

  it('rejects a reload with config errors, logs each at warn, changes nothing', async () => {
    const { kernel, daemon, port, sink } = setup();
    const config = testConfig();
    await daemon.start(config);
    kernel.calls.length = 0;
    port.next = badLoad;
    const outcome = await daemon.reload();
    expect(outcome).toEqual({
      result: 'rejected',
      errors: ['/etc/nvad/nvad.yaml:3:5: loopbacks[0]: invalid prefix (expected ADDRESS/LEN)'],
    });
    expect(kernel.calls).toEqual([]);
    expect(daemon.runningConfig).toBe(config);
    const warns = sink.lines.filter((l) => l['level'] === 40);
    expect(warns.map((l) => l['error'] ?? l['msg'])).toEqual([
      '/etc/nvad/nvad.yaml:3:5: loopbacks[0]: invalid prefix (expected ADDRESS/LEN)',
      'reload rejected; running configuration unchanged',
    ]);
    expect(await metric(daemon, 'nvad_config_reloads_total')).toBe(
      'nvad_config_reloads_total{result="success"} 0\nnvad_config_reloads_total{result="failure"} 1',
    );
  });

  it('rejects a reload that moves the API off loopback without a token', async () => {
    const { daemon, port } = setup();
    await daemon.start(testConfig());
    port.next = { ok: true, config: testConfig({ listen: { host: '0.0.0.0', port: 9180 } }) };
    const outcome = await daemon.reload();
    expect(outcome.result).toBe('rejected');
  });

  it('applies a valid reload as a diff and logs the change summary', async () => {
    const { kernel, daemon, port, sink, clock } = setup();
    await daemon.start(testConfig({ loopbacks: ['169.254.21.1/32', '169.254.22.1/32'] }));
    kernel.calls.length = 0;
    clock.advance(5000);
    port.next = {
      ok: true,
      config: testConfig({ loopbacks: ['169.254.22.1/32', '169.254.23.1/32'], level: 'warn' }),
    };
    const outcome = await daemon.reload();
    expect(outcome).toEqual({
      result: 'applied',
      changes: ['loopbacks: +169.254.23.1/32 -169.254.21.1/32', 'log.level: info -> warn'],
    });
    expect(kernel.calls).toEqual(['del lo 169.254.21.1/32', 'add lo 169.254.23.1/32']);
    expect(sink.lines.find((l) => l['msg'] === 'reload: applying changes')?.['changes']).toEqual([
      'loopbacks: +169.254.23.1/32 -169.254.21.1/32',
      'log.level: info -> warn',
    ]);
    expect(daemon.status().configLoadedAt).toBe('2026-01-02T03:04:10.000Z');
    expect(await metric(daemon, 'nvad_config_reloads_total{result="success"}')).toBe(
      'nvad_config_reloads_total{result="success"} 1',
    );
    // An identical reload changes nothing.
    kernel.calls.length = 0;
    expect(await daemon.reload()).toEqual({ result: 'unchanged' });
    expect(kernel.calls).toEqual([]);
  });

  it('stops components in reverse order, removes what it created and closes the API', async () => {
    const order: string[] = [];
    const probe: Component = {
      name: 'probe',
      start: () => Promise.resolve(void order.push('start probe')),
      apply: () => Promise.resolve(),
      stop: () => Promise.resolve(void order.push('stop probe')),
      status: () => ({ name: 'probe', state: 'running', detail: '' }),
      interfaces: () => [],
    };
    const { kernel, daemon } = setup([probe]);
    await daemon.start(testConfig());
    const url = baseUrl(daemon);
    await daemon.stop('SIGTERM');
    expect(order).toEqual(['start probe', 'stop probe']);
    expect(kernel.calls.at(-1)).toBe('del lo 169.254.21.1/32');
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128']);
    await expect(fetch(`${url}/v1/status`)).rejects.toThrow();
    expect(await daemon.reload()).toEqual({
      result: 'rejected',
      errors: ['daemon is not running'],
    });
  });

  it('rolls back started components when a later one fails to start', async () => {
    const broken: Component = {
      name: 'broken',
      start: () => Promise.reject(new Error('boom')),
      apply: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      status: () => ({ name: 'broken', state: 'failed', detail: 'boom' }),
      interfaces: () => [],
    };
    const { kernel, daemon } = setup([broken]);
    await expect(daemon.start(testConfig())).rejects.toThrow('boom');
    expect(kernel.addressesOf('lo')).toEqual(['127.0.0.1/8', '::1/128']);
    expect(daemon.apiAddress).toBeNull();
  });

  it('fails on a busy API port before touching the kernel', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    const port = await new Promise<number>((r) => {
      blocker.listen(0, '127.0.0.1', () => {
        r((blocker.address() as { port: number }).port);
      });
    });
    const { kernel, daemon } = setup();
    const err = await daemon
      .start(testConfig({ listen: { host: '127.0.0.1', port } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiListenError);
    expect(kernel.calls).toEqual([]);
  });

  it('never logs or serves the API token', async () => {
    const { daemon, sink, port } = setup();
    await daemon.start(testConfig({ token: TOKEN }));
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const run = await (await fetch(`${baseUrl(daemon)}/v1/show/running-config`, auth)).text();
    expect(run).toContain('<redacted>');
    port.next = { ok: true, config: testConfig({ token: TOKEN, loopbacks: [] }) };
    await daemon.reload();
    const status = await (await fetch(`${baseUrl(daemon)}/v1/status`, auth)).text();
    for (const text of [run, status, sink.raw]) expect(text).not.toContain(TOKEN);
  });
});

describe('show commands over component views', () => {
  it('serves a command whose collect reads a view a component published', async () => {
    interface CounterView {
      packets(): number;
    }
    const COUNTER_VIEW = viewKey<CounterView>('counter');
    const counter: Component = {
      name: 'counter',
      start: () => Promise.resolve(),
      apply: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      status: () => ({ name: 'counter', state: 'running', detail: '' }),
      interfaces: () => [],
      publishViews: (views) => {
        views.provide(COUNTER_VIEW, { packets: () => 42 });
      },
    };
    const showCounter: ShowCommand<{ packets: number }> = {
      name: 'counter packets',
      summary: 'test',
      collect: (ctx) => ({ packets: ctx.view(COUNTER_VIEW)?.packets() ?? -1 }),
      render: (dto) => `${dto.packets}\n`,
    };
    const kernel = new MemoryKernel();
    const daemon = new Daemon({
      configFile: '/x.yaml',
      config: new QueueConfigPort(),
      kernel,
      logger: createLogger({ level: 'silent', pretty: false }),
      clock: new FakeClock(),
      version: '1',
      components: [counter],
      commands: [...SHOW_COMMANDS, showCounter],
    });
    daemons.push(daemon);
    await daemon.start(testConfig());
    const res = await fetch(`${baseUrl(daemon)}/v1/show/counter/packets`);
    expect(await res.json()).toEqual({ packets: 42 });
  });
});

describe('checkDaemonConfig', () => {
  it('requires a token for a non-loopback API address', () => {
    expect(
      checkDaemonConfig(testConfig({ listen: { host: '0.0.0.0', port: 9180 } }), '/x.yaml'),
    ).toEqual([
      '/x.yaml: api.listen: 0.0.0.0 is not a loopback address (expected api.token-file when the API listens beyond loopback)',
    ]);
    expect(
      checkDaemonConfig(
        testConfig({ listen: { host: '0.0.0.0', port: 9180 }, token: 't' }),
        '/x.yaml',
      ),
    ).toEqual([]);
    expect(
      checkDaemonConfig(testConfig({ listen: { host: '::1', port: 9180 } }), '/x.yaml'),
    ).toEqual([]);
  });
});
