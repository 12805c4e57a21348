import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiClient,
  ApiClientError,
  apiBaseUrl,
  resolveEndpoint,
} from '../../../../src/cli/api-client.js';
import { parseRunArgs } from '../../../../src/cli/run.js';
import { main as showMain, parseShowArgs } from '../../../../src/cli/show.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { BearerAuth } from '../../../../src/mgmt/api/auth.js';
import { createDaemonMetrics } from '../../../../src/mgmt/api/metrics.js';
import { ApiServer } from '../../../../src/mgmt/api/server.js';
import { SHOW_COMMANDS } from '../../../../src/mgmt/show/index.js';
import { fakeContext } from '../show/fake-context.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvad-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseShowArgs', () => {
  it('splits words from options in any order', () => {
    expect(
      parseShowArgs([
        'ip',
        '--json',
        'route',
        '--api',
        '[::1]:9',
        '--token-file=/t',
        '-c',
        'x.yaml',
      ]),
    ).toEqual({
      ok: true,
      args: {
        words: ['ip', 'route'],
        json: true,
        api: '[::1]:9',
        tokenFile: '/t',
        config: 'x.yaml',
      },
    });
    expect(parseShowArgs(['version'])).toEqual({
      ok: true,
      args: { words: ['version'], json: false },
    });
    expect(parseShowArgs(['--help'])).toEqual({ ok: true, args: { words: ['help'], json: false } });
  });

  it('reports unknown options and missing values', () => {
    expect(parseShowArgs(['version', '--jsn'])).toEqual({
      ok: false,
      error: 'unknown option --jsn',
    });
    expect(parseShowArgs(['version', '--api'])).toEqual({
      ok: false,
      error: '--api needs a value',
    });
  });
});

describe('parseRunArgs', () => {
  it('needs --config FILE', () => {
    expect(parseRunArgs(['--config', 'a.yaml'])).toEqual({ configFile: 'a.yaml' });
    expect(parseRunArgs(['-c', 'a.yaml'])).toEqual({ configFile: 'a.yaml' });
    expect(parseRunArgs(['--config=a.yaml'])).toEqual({ configFile: 'a.yaml' });
    expect(parseRunArgs([])).toEqual({ error: 'missing --config FILE' });
    expect(parseRunArgs(['--config'])).toEqual({ error: '--config needs a file' });
    expect(parseRunArgs(['a.yaml'])).toEqual({ error: 'unexpected argument "a.yaml"' });
  });
});

describe('resolveEndpoint', () => {
  it('prefers --api, then --config api.listen, then NVAD_API, then the default', async () => {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      'node: {name: x}\napi:\n  listen: "[::1]:9200"\n  token-file: /etc/nvad/token\ntunnels:\n  - psk: ${env:UNSET}\n',
    );
    const env = { NVAD_API: '127.0.0.2:9300' };
    expect(await resolveEndpoint({ api: '10.0.0.1:1', config: cfg }, env)).toEqual({
      baseUrl: 'http://10.0.0.1:1',
      source: '--api',
      tokenFile: '/etc/nvad/token',
    });
    expect(await resolveEndpoint({ config: cfg }, env)).toMatchObject({
      baseUrl: 'http://[::1]:9200',
      source: '--config',
    });
    expect(await resolveEndpoint({}, env)).toEqual({
      baseUrl: 'http://127.0.0.2:9300',
      source: 'NVAD_API',
      tokenFile: undefined,
    });
    expect(await resolveEndpoint({}, {})).toEqual({
      baseUrl: 'http://127.0.0.1:9180',
      source: 'default',
      tokenFile: undefined,
    });
    expect(await resolveEndpoint({ tokenFile: '/a' }, { NVAD_API_TOKEN_FILE: '/b' })).toMatchObject(
      { tokenFile: '/a' },
    );
    expect(await resolveEndpoint({}, { NVAD_API_TOKEN_FILE: '/b' })).toMatchObject({
      tokenFile: '/b',
    });
  });

  it('resolves a relative api.token-file against the config file directory', async () => {
    const cfg = join(dir, 'rel.yaml');
    writeFileSync(cfg, 'api:\n  token-file: secrets/token\n');
    expect(await resolveEndpoint({ config: cfg }, {})).toMatchObject({
      tokenFile: join(dir, 'secrets/token'),
    });
  });

  it('rejects a malformed address and an unreadable config in one line', async () => {
    await expect(resolveEndpoint({ api: 'nonsense' }, {})).rejects.toThrow(
      'invalid API address "nonsense" (from --api; expected HOST:PORT)',
    );
    await expect(resolveEndpoint({ config: join(dir, 'missing.yaml') }, {})).rejects.toThrow(
      `cannot read ${join(dir, 'missing.yaml')} (ENOENT)`,
    );
  });

  it('accepts URLs as API addresses', () => {
    expect(apiBaseUrl('http://127.0.0.1:9180/')).toBe('http://127.0.0.1:9180');
    expect(apiBaseUrl('0.0.0.0:9180')).toBe('http://127.0.0.1:9180');
  });
});

describe('nvad show against a live API', () => {
  let server: ApiServer;
  let base: string;
  const out: string[] = [];
  const err: string[] = [];
  beforeAll(async () => {
    const { ctx } = fakeContext();
    server = new ApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      auth: new BearerAuth('cli-token'),
      logger: silentLogger(),
      registry: createDaemonMetrics({ version: '0.1.0', interfacesUp: () => Promise.resolve(1) })
        .registry,
      commands: SHOW_COMMANDS,
      context: ctx,
      status: () => {
        throw new Error('unused');
      },
    });
    const addr = await server.start();
    base = `127.0.0.1:${addr.port}`;
    writeFileSync(join(dir, 'token'), 'cli-token\n');
    writeFileSync(join(dir, 'bad-token'), 'nope\n');
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server.close();
  });
  afterEach(() => {
    out.length = 0;
    err.length = 0;
  });

  it('prints the rendered table', async () => {
    const code = await showMain(['ver', '--api', base, '--token-file', join(dir, 'token')]);
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/^nvad Software, Version 0\.1\.0\n/);
  });

  it('prints the DTO with --json', async () => {
    const code = await showMain([
      'interfaces',
      '--json',
      '--api',
      base,
      '--token-file',
      join(dir, 'token'),
    ]);
    expect(code).toBe(0);
    const dto = JSON.parse(out.join('')) as { interfaces: { name: string }[] };
    expect(dto.interfaces.map((i) => i.name)).toEqual(['lo']);
  });

  it('explains a refused token in one line, exit 1', async () => {
    expect(await showMain(['version', '--api', base, '--token-file', join(dir, 'bad-token')])).toBe(
      1,
    );
    expect(err.join('')).toBe(
      'nvad show: API refused the request: invalid token (give --token-file or set api.token-file)\n',
    );
    expect(err.join('')).not.toContain('nope');
  });

  it('fails in one line with exit 1 when the daemon is not reachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => {
          resolve(p);
        });
      });
    });
    expect(await showMain(['version', '--api', `127.0.0.1:${port}`])).toBe(1);
    expect(err.join('')).toBe(
      `nvad show: cannot reach the nvad API at http://127.0.0.1:${port} (connection refused); is the daemon running?\n`,
    );
  });

  it('lists commands for "show help" and rejects unknown ones locally', async () => {
    expect(await showMain(['help'])).toBe(0);
    const help = out.join('');
    for (const c of SHOW_COMMANDS) expect(help).toContain(`  ${c.name}`);
    expect(await showMain(['bogus'])).toBe(2);
    expect(err.join('')).toBe('nvad show: unknown show command "bogus"; try "nvad show help"\n');
  });

  it('ApiClient reports HTTP errors with the API message', async () => {
    const client = new ApiClient(`http://${base}`, 'cli-token');
    const e = await client.getJson('/v1/show/nothing').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiClientError);
    expect((e as ApiClientError).status).toBe(404);
    expect((e as Error).message).toBe('unknown show command "nothing"');
    expect(await client.getText('/metrics')).toMatch(/^# HELP/m);
  });
});
