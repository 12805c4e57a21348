/**
 * The JSON contracts in docs/show-json.md are stable: this test extracts each documented field list
 * and checks it against what the code produces, so a renamed, added or removed field shows up here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffConfig } from '../../../../src/config/index.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { createDaemonMetrics } from '../../../../src/mgmt/api/metrics.js';
import { ApiServer } from '../../../../src/mgmt/api/server.js';
import { SHOW_COMMANDS } from '../../../../src/mgmt/show/index.js';
import type { ShowCommand } from '../../../../src/mgmt/show/registry.js';
import { Daemon } from '../../../../src/daemon/daemon.js';
import { LoopbackComponent } from '../../../../src/daemon/loopbacks.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { testConfig } from '../../daemon/config-fixture.js';
import { MemoryKernel } from '../../daemon/fake-kernel.js';
import { fakeContext } from './fake-context.js';

const DOC = readFileSync(join(import.meta.dirname, '../../../../docs/show-json.md'), 'utf8');

/** Field paths of one `<!-- contract: NAME -->` table. */
function documented(name: string): string[] {
  const start = DOC.indexOf(`<!-- contract: ${name} -->`);
  if (start < 0) throw new Error(`no contract ${name} in docs/show-json.md`);
  const fields: string[] = [];
  for (const line of DOC.slice(start).split('\n').slice(1)) {
    if (line.trim() === '') {
      if (fields.length > 0) break;
      continue;
    }
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m?.[1] !== undefined) fields.push(m[1]);
  }
  return fields.sort();
}

/** Every field path of a JSON value ("a", "a[]", "a[].b"); arrays are described by their items. */
function paths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    expect(value.length, `sample for ${prefix} must not be empty`).toBeGreaterThan(0);
    const items = value.flatMap((v: unknown) => paths(v, `${prefix}[]`));
    return [...new Set(items)];
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const p = prefix === '' ? k : prefix.endsWith('[]') ? `${prefix}.${k}` : `${prefix}.${k}`;
      return [p, ...paths(v, p)];
    });
  }
  return [];
}

function fieldsOf(value: unknown): string[] {
  return paths(value)
    .filter((p) => !p.endsWith('[]'))
    .sort();
}

function byName(name: string): ShowCommand {
  const c = SHOW_COMMANDS.find((x) => x.name === name);
  if (!c) throw new Error(name);
  return c;
}

describe('docs/show-json.md contracts', () => {
  it.each(['version', 'running-config', 'interfaces'])(
    'show %s DTO matches the documented fields',
    async (name) => {
      const { ctx } = fakeContext();
      const dto = await byName(name).collect(ctx, []);
      expect(fieldsOf(dto)).toEqual(documented(name));
    },
  );

  it('every registered show command is documented', () => {
    for (const c of SHOW_COMMANDS) expect(DOC).toContain(`<!-- contract: ${c.name} -->`);
  });

  describe('API bodies', () => {
    let daemon: Daemon;
    let base: string;
    beforeAll(async () => {
      const kernel = new MemoryKernel();
      const logger = silentLogger();
      daemon = new Daemon({
        configFile: '/etc/nvad/nvad.yaml',
        config: {
          load: () => Promise.reject(new Error('unused')),
          diff: diffConfig,
          summarize: () => [],
          render: () => '',
        },
        kernel,
        logger,
        clock: new FakeClock(),
        version: '0.1.0',
        components: [new LoopbackComponent({ kernel, logger })],
      });
      await daemon.start(testConfig());
      base = `http://127.0.0.1:${daemon.apiAddress?.port ?? 0}`;
    });
    afterAll(async () => {
      await daemon.stop();
    });

    it('GET /v1/status matches the status contract', async () => {
      expect(fieldsOf(await (await fetch(`${base}/v1/status`)).json())).toEqual(
        documented('status'),
      );
    });

    it('error bodies match the error contract', async () => {
      expect(fieldsOf(await (await fetch(`${base}/v1/nothing`)).json())).toEqual(
        documented('error'),
      );
    });

    it('GET /v1/show matches the show-list contract', async () => {
      const { ctx } = fakeContext();
      const withParams: ShowCommand = {
        name: 'sample',
        summary: 's',
        params: [{ name: 'X', summary: 'x' }],
        collect: () => ({}),
        render: () => '',
      };
      const server = new ApiServer({
        listen: { host: '127.0.0.1', port: 0 },
        auth: null,
        logger: silentLogger(),
        registry: createDaemonMetrics({ version: 'x', interfacesUp: () => Promise.resolve(0) })
          .registry,
        commands: [withParams],
        context: ctx,
        status: () => daemon.status(),
      });
      const a = await server.start();
      try {
        const body = await (await fetch(`http://127.0.0.1:${a.port}/v1/show`)).json();
        expect(fieldsOf(body)).toEqual(documented('show-list'));
      } finally {
        await server.close();
      }
    });
  });
});
