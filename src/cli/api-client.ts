/**
 * HTTP client of the management API, for `nvad show` and scripts. Every failure becomes an
 * ApiClientError whose message is one line fit for the terminal (no stack, no token).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_API_LISTEN, listenUrl, parseListen } from '../mgmt/api/listen.js';
import { parseTokenFile } from '../mgmt/api/auth.js';

export class ApiClientError extends Error {
  /** HTTP status, or 0 when the daemon could not be reached. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiClientError';
    this.status = status;
  }
}

/** "127.0.0.1:9180", "[::1]:9180" or "http://host:port" → base URL without a trailing slash. */
export function apiBaseUrl(spec: string): string | null {
  if (/^https?:\/\//.test(spec)) {
    try {
      const u = new URL(spec);
      return `${u.protocol}//${u.host}`;
    } catch {
      return null;
    }
  }
  const l = parseListen(spec);
  return l ? listenUrl(l) : null;
}

export interface ApiEndpoint {
  readonly baseUrl: string;
  /** Where the address came from: "--api", "--config", "NVAD_API" or "default". */
  readonly source: string;
  readonly tokenFile: string | undefined;
}

/** The `api` section of a config file, read without resolving secrets (the CLI may lack them). */
async function apiSectionOf(configFile: string): Promise<{ listen?: string; tokenFile?: string }> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(configFile, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'not valid YAML';
    throw new ApiClientError(0, `cannot read ${configFile} (${why})`);
  }
  const api = (doc as { api?: unknown } | null)?.api;
  if (api === null || typeof api !== 'object') return {};
  const { listen, 'token-file': tokenFile } = api as Record<string, unknown>;
  return {
    ...(typeof listen === 'string' ? { listen } : {}),
    // Relative to the config file, as the daemon resolves it.
    ...(typeof tokenFile === 'string'
      ? { tokenFile: resolve(dirname(configFile), tokenFile) }
      : {}),
  };
}

/**
 * Find the API: `--api`, else `--config`'s `api.listen`, else `$NVAD_API`, else 127.0.0.1:9180.
 * The token file: `--token-file`, else `--config`'s `api.token-file`, else `$NVAD_API_TOKEN_FILE`.
 */
export async function resolveEndpoint(
  opts: { api?: string; config?: string; tokenFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiEndpoint> {
  const fromConfig = opts.config !== undefined ? await apiSectionOf(opts.config) : {};
  const candidates: [string | undefined, string][] = [
    [opts.api, '--api'],
    [fromConfig.listen, '--config'],
    [env['NVAD_API'] === '' ? undefined : env['NVAD_API'], 'NVAD_API'],
    [DEFAULT_API_LISTEN, 'default'],
  ];
  const tokenFile =
    opts.tokenFile ?? fromConfig.tokenFile ?? (env['NVAD_API_TOKEN_FILE'] || undefined);
  for (const [spec, source] of candidates) {
    if (spec === undefined) continue;
    const baseUrl = apiBaseUrl(spec);
    if (!baseUrl)
      throw new ApiClientError(
        0,
        `invalid API address "${spec}" (from ${source}; expected HOST:PORT)`,
      );
    return { baseUrl, source, tokenFile };
  }
  throw new ApiClientError(0, 'no API address');
}

export async function readToken(tokenFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(tokenFile, 'utf8');
  } catch (err) {
    throw new ApiClientError(
      0,
      `cannot read token file ${tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const token = parseTokenFile(text);
  if (token === null) throw new ApiClientError(0, `token file ${tokenFile} is empty`);
  return token;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, token?: string, timeoutMs = 10_000) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.timeoutMs = timeoutMs;
  }

  async getJson(path: string): Promise<unknown> {
    const res = await this.request(path);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiClientError(
        res.status,
        `API at ${this.baseUrl} answered ${res.status} with a non-JSON body`,
      );
    }
    if (!res.ok) throw new ApiClientError(res.status, errorMessage(res.status, body));
    return body;
  }

  async getText(path: string): Promise<string> {
    const res = await this.request(path);
    const text = await res.text();
    if (!res.ok) {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      throw new ApiClientError(res.status, errorMessage(res.status, body));
    }
    return text;
  }

  private async request(path: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    try {
      return await fetch(this.baseUrl + path, {
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ApiClientError(
        0,
        `cannot reach the nvad API at ${this.baseUrl} (${networkReason(err)}); is the daemon running?`,
      );
    }
  }
}

function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code !== undefined) return code;
  return err instanceof Error ? err.message : 'network error';
}

function errorMessage(status: number, body: unknown): string {
  const msg = (body as { error?: { message?: unknown } } | null)?.error?.message;
  const text = typeof msg === 'string' ? msg : `HTTP ${status}`;
  if (status === 401)
    return `API refused the request: ${text} (give --token-file or set api.token-file)`;
  return text;
}
