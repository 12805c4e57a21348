/**
 * A real ApiServer on 127.0.0.1 (port 0) for the `POST /v1/clear/...` tests: the actions given
 * either straight to the server or published as a view (as the daemon does), an optional bearer
 * token, and a POST helper. Servers started here are closed by {@link closeActionServers}.
 */
import { BearerAuth } from '../../../../src/mgmt/api/auth.js';
import { createDaemonMetrics } from '../../../../src/mgmt/api/metrics.js';
import { ApiServer } from '../../../../src/mgmt/api/server.js';
import { ACTIONS_VIEW, ActionRegistry, ViewRegistry } from '../../../../src/mgmt/show/context.js';
import { SHOW_COMMANDS } from '../../../../src/mgmt/show/index.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { fakeContext } from '../show/fake-context.js';

const servers: ApiServer[] = [];

/** Close every server started (afterEach). */
export async function closeActionServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => s.close()));
}

export interface ActionServerOptions {
  readonly token?: string;
  /** Publish the actions through the show context's views instead of the server option. */
  readonly viaView?: boolean;
}

/** Start a server with `actions`; returns its base URL. */
export async function startActionServer(
  actions: ActionRegistry,
  opts: ActionServerOptions = {},
): Promise<string> {
  const { ctx } = fakeContext();
  const views = new ViewRegistry();
  views.provide(ACTIONS_VIEW, actions);
  const server = new ApiServer({
    listen: { host: '127.0.0.1', port: 0 },
    auth: opts.token !== undefined ? new BearerAuth(opts.token) : null,
    logger: silentLogger(),
    registry: createDaemonMetrics({ version: '0', interfacesUp: () => Promise.resolve(0) })
      .registry,
    commands: SHOW_COMMANDS,
    context: opts.viaView ? { ...ctx, view: (k) => views.get(k) } : ctx,
    ...(opts.viaView ? {} : { actions }),
    status: () => {
      throw new Error('unused');
    },
  });
  const addr = await server.start();
  servers.push(server);
  return `http://127.0.0.1:${addr.port}`;
}

/** POST a raw body (JSON content type unless headers say otherwise). */
export function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}
