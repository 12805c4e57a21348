/**
 * The management HTTP API (node:http):
 *
 *   GET  /v1/status            StatusDto
 *   GET  /v1/show              ShowListDto
 *   GET  /v1/show/<words...>   the DTO of one show command (docs/show-json.md)
 *   GET  /metrics              Prometheus text exposition
 *   POST /v1/clear/ip/bgp      operator action `clear ip bgp` (clear-bgp.ts), JSON body
 *   POST /v1/clear/crypto/session  operator action `clear crypto session` (clear-crypto.ts)
 *
 * Actions are looked up in the {@link ActionRegistry} the components publish into (the
 * `ACTIONS_VIEW` of the show context); an action nobody provides answers 503.
 *
 * When a token is configured every request needs `Authorization: Bearer <token>`. Errors are JSON
 * (`ErrorDto`); internal failures are logged and answered with a generic 500 so no detail (and no
 * secret) leaks to the client.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log.js';
import { resolveShow, ShowError, type ShowCommand } from '../show/registry.js';
import {
  ACTIONS_VIEW,
  type ActionKey,
  type ActionRegistry,
  type ShowContext,
} from '../show/context.js';
import { ActionInputError } from './action-input.js';
import { CLEAR_IP_BGP, parseClearBgpRequest } from './clear-bgp.js';
import { CLEAR_CRYPTO_SESSION, parseClearCryptoRequest } from './clear-crypto.js';
import type { BearerAuth } from './auth.js';
import type { ErrorDto, ShowListDto, StatusDto } from './dto.js';
import { formatListen, type ListenAddress } from './listen.js';

export interface ApiServerOptions {
  readonly listen: ListenAddress;
  /** null: no authentication (only allowed on loopback; the caller enforces that). */
  readonly auth: BearerAuth | null;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly commands: readonly ShowCommand[];
  readonly context: ShowContext;
  /** Operator actions (default: the `ACTIONS_VIEW` of `context`). */
  readonly actions?: ActionRegistry;
  status(): StatusDto;
}

/** Largest accepted request body. */
const MAX_BODY_BYTES = 16 * 1024;

/** A POST endpoint: path → action key and body validator. */
interface ActionRoute {
  readonly key: ActionKey<never, unknown>;
  readonly parse: (body: unknown) => unknown;
  /** What to call it in a 503 ("clear ip bgp"). */
  readonly name: string;
  /** The 404 message when the action finds nothing to act on. */
  readonly notFound: string;
}

const ACTION_ROUTES: ReadonlyMap<string, ActionRoute> = new Map([
  [
    '/v1/clear/ip/bgp',
    {
      key: CLEAR_IP_BGP as ActionKey<never, unknown>,
      parse: parseClearBgpRequest,
      name: 'clear ip bgp',
      notFound: 'no such BGP neighbor',
    },
  ],
  [
    '/v1/clear/crypto/session',
    {
      key: CLEAR_CRYPTO_SESSION as ActionKey<never, unknown>,
      parse: parseClearCryptoRequest,
      name: 'clear crypto session',
      notFound: 'no such crypto session (unknown remote or interface)',
    },
  ],
]);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Listening failed; `code` is the errno code ("EADDRINUSE", "EADDRNOTAVAIL", "EACCES"). */
export class ApiListenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiListenError';
    this.code = code;
  }
}

class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body: ErrorDto = { error: { status, message } };
  sendJson(res, status, body, headers);
}

export class ApiServer {
  private readonly opts: ApiServerOptions;
  private readonly server: Server;
  private bound: ListenAddress | null = null;
  private auth: BearerAuth | null;

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.auth = opts.auth;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.logger.error({ err, url: req.url }, 'api request failed');
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Bind and listen; rejects with ApiListenError (one clear line) on failure. */
  start(): Promise<ListenAddress> {
    const { host, port } = this.opts.listen;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const code = err.code ?? 'EUNKNOWN';
        const where = formatListen(this.opts.listen);
        const why =
          code === 'EADDRINUSE'
            ? 'address already in use (is another nvad running?)'
            : code === 'EADDRNOTAVAIL'
              ? 'address not available on this host'
              : code === 'EACCES'
                ? 'permission denied'
                : err.message;
        reject(new ApiListenError(code, `cannot listen on ${where}: ${why}`));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
    });
  }

  /** Replace the token (reload); null disables authentication. */
  setAuth(auth: BearerAuth | null): void {
    this.auth = auth;
  }

  /** The bound address (port resolved when listening on port 0). */
  get address(): ListenAddress | null {
    return this.bound;
  }

  /** Stop accepting, close idle keep-alive connections, give in-flight requests `graceMs`. */
  close(graceMs = 2000): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      // Requests still running after the grace period are cut off.
      const force = setTimeout(() => {
        this.server.closeAllConnections();
      }, graceMs);
      force.unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://nvad.invalid');
    if (this.auth) {
      const result = this.auth.check(req.headers.authorization);
      if (result !== 'ok') {
        this.opts.logger.warn(
          { remote: req.socket.remoteAddress, path: url.pathname, result },
          'api request rejected',
        );
        sendError(res, 401, result === 'missing' ? 'authorization required' : 'invalid token', {
          'www-authenticate': 'Bearer realm="nvad"',
        });
        return;
      }
    }
    try {
      const action = ACTION_ROUTES.get(url.pathname);
      if (action) await this.runAction(req, res, action);
      else await this.route(req, res, url.pathname);
    } catch (err) {
      if (err instanceof HttpError) sendError(res, err.status, err.message, err.headers);
      else if (err instanceof ShowError) sendError(res, err.status, err.message);
      else if (err instanceof ActionInputError) sendError(res, 400, err.message);
      else throw err;
    }
  }

  private async runAction(
    req: IncomingMessage,
    res: ServerResponse,
    route: ActionRoute,
  ): Promise<void> {
    if (req.method !== 'POST') {
      throw new HttpError(405, `method ${req.method ?? '?'} not allowed`, { allow: 'POST' });
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body must be JSON');
    }
    const input = route.parse(body) as never;
    const registry = this.opts.actions ?? this.opts.context.view(ACTIONS_VIEW);
    const action = registry?.get(route.key);
    if (!action) throw new HttpError(503, `${route.name} is not available`);
    const answer = await action(input);
    if (answer === undefined) throw new HttpError(404, route.notFound);
    this.opts.logger.info({ action: route.name, remote: req.socket.remoteAddress }, 'api action');
    sendJson(res, 200, answer);
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const known =
      path === '/metrics' ||
      path === '/v1/status' ||
      path === '/v1/show' ||
      path.startsWith('/v1/show/');
    if (!known) throw new HttpError(404, `no such resource: ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, `method ${req.method ?? '?'} not allowed`, { allow: 'GET, HEAD' });
    }
    if (path === '/metrics') {
      const text = await this.opts.registry.metrics();
      res.writeHead(200, {
        'content-type': this.opts.registry.contentType,
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (path === '/v1/status') {
      sendJson(res, 200, this.opts.status());
      return;
    }
    if (path === '/v1/show') {
      sendJson(res, 200, this.showList());
      return;
    }
    const words = path
      .slice('/v1/show/'.length)
      .split('/')
      .filter((w) => w.length > 0)
      .map((w) => {
        try {
          return decodeURIComponent(w);
        } catch {
          throw new HttpError(400, 'malformed path');
        }
      });
    const { command, args } = resolveShow(this.opts.commands, words);
    const dto = await command.collect(this.opts.context, args);
    sendJson(res, 200, dto);
  }

  private showList(): ShowListDto {
    return {
      commands: this.opts.commands.map((c) => ({
        name: c.name,
        summary: c.summary,
        params: (c.params ?? []).map((p) => ({
          name: p.name,
          summary: p.summary,
          optional: p.optional === true,
        })),
      })),
    };
  }
}
