/**
 * The JSON contracts in docs/show-json.md are stable: this test extracts each documented field list
 * and checks it against what the code produces, so a renamed, added or removed field shows up here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedFields, fieldPaths } from '../../../support/json-contract.js';
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
      expect(fieldPaths([dto], { needItems: true })).toEqual(documentedFields(name));
    },
  );

  it('every registered show command is documented', () => {
    for (const c of SHOW_COMMANDS) expect(documentedFields(c.name).length).toBeGreaterThan(0);
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
      expect(
        fieldPaths([await (await fetch(`${base}/v1/status`)).json()], { needItems: true }),
      ).toEqual(documentedFields('status'));
    });

    it('error bodies match the error contract', async () => {
      expect(
        fieldPaths([await (await fetch(`${base}/v1/nothing`)).json()], { needItems: true }),
      ).toEqual(documentedFields('error'));
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
        expect(fieldPaths([body], { needItems: true })).toEqual(documentedFields('show-list'));
      } finally {
        await server.close();
      }
    });
  });
});
