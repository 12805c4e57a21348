import { afterEach, describe, expect, it } from 'vitest';
import { BearerAuth } from '../../../../src/mgmt/api/auth.js';
import type { StatusDto } from '../../../../src/mgmt/api/dto.js';
import { createDaemonMetrics } from '../../../../src/mgmt/api/metrics.js';
import { ApiListenError, ApiServer } from '../../../../src/mgmt/api/server.js';
import { SHOW_COMMANDS } from '../../../../src/mgmt/show/index.js';
import type { ShowCommand } from '../../../../src/mgmt/show/registry.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { fakeContext } from '../show/fake-context.js';

const STATUS: StatusDto = {
  nodeName: 'nva-10',
  version: '0.1.0',
  pid: 4242,
  startedAt: '2026-01-02T03:04:05.000Z',
  uptimeSec: 7,
  configFile: '/etc/nvad/nvad.yaml',
  configLoadedAt: '2026-01-02T03:04:05.000Z',
  components: [{ name: 'loopbacks', state: 'running', detail: '1 loopback address' }],
};

const failing: ShowCommand = {
  name: 'broken thing',
  summary: 'always fails',
  collect: () => {
    throw new Error('internal detail psk=hunter2');
  },
  render: () => '',
};

const servers: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(token?: string): Promise<{ server: ApiServer; base: string }> {
  const { ctx } = fakeContext();
  const metrics = createDaemonMetrics({ version: '0.1.0', interfacesUp: () => Promise.resolve(1) });
  metrics.configReloads.inc({ result: 'failure' });
  const server = new ApiServer({
    listen: { host: '127.0.0.1', port: 0 },
    auth: token !== undefined ? new BearerAuth(token) : null,
    logger: silentLogger(),
    registry: metrics.registry,
    commands: [...SHOW_COMMANDS, failing],
    context: ctx,
    status: () => STATUS,
  });
  const addr = await server.start();
  servers.push(server);
  return { server, base: `http://127.0.0.1:${addr.port}` };
}

describe('ApiServer', () => {
  it('serves /v1/status as JSON', async () => {
    const { base } = await startServer();
    const res = await fetch(`${base}/v1/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(STATUS);
  });

  it('serves Prometheus text on /metrics with nvad and process metrics', async () => {
    const { base } = await startServer();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(
      new RegExp(
        `^nvad_build_info\\{version="0\\.1\\.0",node_version="${process.version.replace(/\./g, '\\.')}",openssl_version="[^"]+"\\} 1$`,
        'm',
      ),
    );
    expect(text).toMatch(/^nvad_config_reloads_total\{result="success"\} 0$/m);
    expect(text).toMatch(/^nvad_config_reloads_total\{result="failure"\} 1$/m);
    expect(text).toMatch(/^nvad_interfaces_up 1$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^# TYPE nvad_config_reloads_total counter$/m);
  });

  it('serves show DTOs by words, abbreviations included', async () => {
    const { base } = await startServer();
    const res = await fetch(`${base}/v1/show/ver`);
    expect(res.status).toBe(200);
    const dto = (await res.json()) as { software: string; nodeName: string; pid: number };
    expect(dto).toMatchObject({ software: 'nvad', nodeName: 'nva-10', pid: 4242 });
    const intf = (await (await fetch(`${base}/v1/show/interfaces`)).json()) as {
      interfaces: { name: string }[];
    };
    expect(intf.interfaces.map((i) => i.name)).toEqual(['lo']);
  });

  it('lists the show commands on /v1/show', async () => {
    const { base } = await startServer();
    const body = (await (await fetch(`${base}/v1/show`)).json()) as {
      commands: { name: string }[];
    };
    // Registry order, then the test's failing command.
    expect(body.commands.map((c) => c.name)).toEqual([
      ...SHOW_COMMANDS.map((c) => c.name),
      'broken thing',
    ]);
    expect(body.commands.slice(0, 3).map((c) => c.name)).toEqual([
      'version',
      'running-config',
      'interfaces',
    ]);
  });

  it('answers 404 JSON for unknown paths and unknown show commands', async () => {
    const { base } = await startServer();
    const a = await fetch(`${base}/nope`);
    expect(a.status).toBe(404);
    expect(await a.json()).toEqual({ error: { status: 404, message: 'no such resource: /nope' } });
    const b = await fetch(`${base}/v1/show/no/such/thing`);
    expect(b.status).toBe(404);
    expect(await b.json()).toEqual({
      error: { status: 404, message: 'unknown show command "no such thing"' },
    });
  });

  it('answers 400 for bad show arguments and 405 for other methods', async () => {
    const { base } = await startServer();
    const a = await fetch(`${base}/v1/show/version/extra`);
    expect(a.status).toBe(400);
    const b = await fetch(`${base}/v1/status`, { method: 'POST' });
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('GET, HEAD');
    expect(await b.json()).toEqual({ error: { status: 405, message: 'method POST not allowed' } });
  });

  it('answers a generic 500 without internal detail', async () => {
    const { base } = await startServer();
    const res = await fetch(`${base}/v1/show/broken/thing`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { status: 500, message: 'internal error' } });
    expect(text).not.toContain('hunter2');
  });

  describe('with a token', () => {
    it('rejects a missing token with 401 and WWW-Authenticate', async () => {
      const { base } = await startServer('tok-123');
      const res = await fetch(`${base}/v1/status`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="nvad"');
      expect(await res.json()).toEqual({
        error: { status: 401, message: 'authorization required' },
      });
    });

    it('rejects a wrong token (on every path, 404s included)', async () => {
      const { base } = await startServer('tok-123');
      for (const path of ['/v1/status', '/metrics', '/v1/show/version', '/nope']) {
        const res = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer tok-124' } });
        expect(res.status).toBe(401);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({ error: { status: 401, message: 'invalid token' } });
        expect(text).not.toContain('tok-12');
      }
    });

    it('accepts the right token, and a replaced one after setAuth', async () => {
      const { server, base } = await startServer('tok-123');
      const ok = await fetch(`${base}/v1/status`, { headers: { authorization: 'Bearer tok-123' } });
      expect(ok.status).toBe(200);
      server.setAuth(new BearerAuth('tok-456'));
      const old = await fetch(`${base}/v1/status`, {
        headers: { authorization: 'Bearer tok-123' },
      });
      expect(old.status).toBe(401);
      const neu = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer tok-456' } });
      expect(neu.status).toBe(200);
    });
  });

  it('close() cuts off requests still running after the grace period', async () => {
    const { ctx } = fakeContext();
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const hanging: ShowCommand = {
      name: 'hang',
      summary: 'never answers',
      collect: () => {
        entered();
        return new Promise(() => undefined);
      },
      render: () => '',
    };
    const server = new ApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      auth: null,
      logger: silentLogger(),
      registry: createDaemonMetrics({ version: 'x', interfacesUp: () => Promise.resolve(0) })
        .registry,
      commands: [hanging],
      context: ctx,
      status: () => STATUS,
    });
    const { port } = await server.start();
    const request = fetch(`http://127.0.0.1:${port}/v1/show/hang`).catch((e: unknown) => e);
    await inside;
    const t0 = performance.now();
    await server.close(100);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(await request).toBeInstanceOf(Error);
  });

  it('fails to start with a one-line ApiListenError when the port is taken', async () => {
    const { server } = await startServer();
    const port = server.address?.port ?? 0;
    const { ctx } = fakeContext();
    const second = new ApiServer({
      listen: { host: '127.0.0.1', port },
      auth: null,
      logger: silentLogger(),
      registry: createDaemonMetrics({ version: 'x', interfacesUp: () => Promise.resolve(0) })
        .registry,
      commands: SHOW_COMMANDS,
      context: ctx,
      status: () => STATUS,
    });
    const err = await second.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiListenError);
    expect((err as ApiListenError).code).toBe('EADDRINUSE');
    expect((err as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port}: address already in use (is another nvad running?)`,
    );
  });
});
