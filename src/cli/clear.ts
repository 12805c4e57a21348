/**
 * `nvad clear … [--json] [--api HOST:PORT] [--token-file FILE] [--config FILE]`: Catalyst/FRR
 * operations on the running daemon.
 *
 * - `clear ip bgp [vrf NAME] {*|ADDR} [soft [in|out]]` through `POST /v1/clear/ip/bgp`
 *   (src/mgmt/api/clear-bgp.ts). `soft` alone is both directions; `--context NAME` is a synonym of
 *   `vrf NAME` (nvad's routing contexts).
 * - `clear crypto session [remote ADDR] [interface NAME]` and `clear crypto ikev2 sa [ADDR]`
 *   through `POST /v1/clear/crypto/session` (clear-crypto.ts).
 */
import type { ClearBgpDto, ClearBgpRequest, ClearSoft } from '../mgmt/api/clear-bgp.js';
import type { ClearCryptoDto, ClearCryptoRequest } from '../mgmt/api/clear-crypto.js';
import { ApiClientError, readToken, resolveEndpoint } from './api-client.js';
import { parseClearCryptoWords, renderClearCrypto } from './clear-crypto.js';

interface ClearOptions {
  readonly json: boolean;
  readonly api?: string;
  readonly tokenFile?: string;
  readonly config?: string;
}

export type ClearArgs =
  | (ClearOptions & { readonly action: 'ip bgp'; readonly request: ClearBgpRequest })
  | (ClearOptions & { readonly action: 'crypto session'; readonly request: ClearCryptoRequest });

export type ParsedClearArgs = { ok: true; args: ClearArgs } | { ok: false; error: string };

export const CLEAR_USAGE = `usage: nvad clear ip bgp [vrf NAME] {*|ADDR} [soft [in|out]]
       nvad clear crypto session [remote ADDR] [interface NAME]
       nvad clear crypto ikev2 sa [ADDR]
         [--json] [--api HOST:PORT] [--token-file FILE] [--config FILE]

  clear ip bgp ADDR            hard reset: Cease/Administrative Reset, new session
                               (also restarts a neighbor held Idle by max-prefixes)
  clear ip bgp * soft in       ask every neighbor for its routes again (ROUTE-REFRESH)
  clear ip bgp ADDR soft out   re-advertise our whole table to ADDR
  clear crypto session         IKE Delete for every tunnel's IKE and child SAs; tunnels that
                               initiate come back at once, responders wait for the peer
  clear crypto session interface Tunnel1 | remote ADDR
                               only that tunnel / the tunnels to that peer
  clear crypto ikev2 sa ADDR   the same for the IKE SAs with ADDR
`;

const VALUE_FLAGS = {
  '--api': 'api',
  '--token-file': 'tokenFile',
  '--config': 'config',
  '-c': 'config',
  '--context': 'context',
} as const;

const IP_LIKE = /^[0-9a-fA-F:.]+$/;

export function parseClearArgs(argv: readonly string[]): ParsedClearArgs {
  const words: string[] = [];
  let json = false;
  const values: { api?: string; tokenFile?: string; config?: string; context?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') {
      json = true;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (Object.hasOwn(VALUE_FLAGS, flag)) {
      const key = VALUE_FLAGS[flag as keyof typeof VALUE_FLAGS];
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return { ok: false, error: `${flag} needs a value` };
      values[key] = value;
      continue;
    }
    if (a.startsWith('-') && a !== '*') return { ok: false, error: `unknown option ${a}` };
    words.push(a);
  }
  if (words[0] === 'crypto') {
    if (values.context !== undefined) return { ok: false, error: '--context is for clear ip bgp' };
    const crypto = parseClearCryptoWords(words.slice(1));
    if (!crypto.ok) return crypto;
    const { context: _unused, ...endpoint } = values;
    return {
      ok: true,
      args: { action: 'crypto session', request: crypto.request, json, ...endpoint },
    };
  }
  // "ip bgp" (Catalyst) or "bgp" (FRR's newer form).
  let w = words;
  if (w[0] === 'ip') w = w.slice(1);
  if (w[0] !== 'bgp') return { ok: false, error: 'expected "clear ip bgp …" or "clear crypto …"' };
  w = w.slice(1);
  if (w[0] === 'vrf') {
    const name = w[1];
    if (name === undefined) return { ok: false, error: 'vrf needs a name' };
    values.context = name;
    w = w.slice(2);
  }
  const neighbor = w[0];
  if (neighbor === undefined) return { ok: false, error: 'which neighbor? give * or an address' };
  if (neighbor !== '*' && !IP_LIKE.test(neighbor)) {
    return { ok: false, error: `"${neighbor}" is not * or an IP address` };
  }
  let soft: ClearSoft | undefined;
  const rest = w.slice(1);
  if (rest.length > 0) {
    if (rest[0] !== 'soft') return { ok: false, error: `unexpected "${rest[0] ?? ''}"` };
    const dir = rest[1];
    if (rest.length > 2 || (dir !== undefined && dir !== 'in' && dir !== 'out')) {
      return { ok: false, error: 'soft takes "in", "out" or nothing (both)' };
    }
    soft = dir ?? 'both';
  }
  const { context, ...endpoint } = values;
  return {
    ok: true,
    args: {
      action: 'ip bgp',
      request: {
        neighbor,
        ...(context !== undefined ? { context } : {}),
        ...(soft !== undefined ? { soft } : {}),
      },
      json,
      ...endpoint,
    },
  };
}

const ACTION_TEXT: Record<string, string> = {
  reset: 'reset (Cease/Administrative Reset sent, session restarting)',
  restart: 'restarted (was Idle after max-prefixes)',
  'route-refresh': 'ROUTE-REFRESH sent',
  'soft-in': 'inbound policy re-applied to the stored routes (no route refresh capability)',
  'soft-out': 'outbound table re-advertised',
  skipped: 'nothing done (shutdown or not Established)',
};

/** One line per neighbor, as a router would confirm it. */
export function renderClear(dto: ClearBgpDto): string {
  if (dto.neighbors.length === 0) return '% no BGP neighbors\n';
  return dto.neighbors
    .map((n) => {
      const who = n.routingContext === null ? n.address : `${n.address} (vrf ${n.routingContext})`;
      return `${who}: ${n.actions.map((a) => ACTION_TEXT[a] ?? a).join(', ')}\n`;
    })
    .join('');
}

async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  token: string | undefined,
): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
  };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(baseUrl + path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    const why =
      (err as Error).name === 'TimeoutError'
        ? 'timed out'
        : code === 'ECONNREFUSED'
          ? 'connection refused'
          : (code ?? 'network error');
    throw new ApiClientError(
      0,
      `cannot reach the nvad API at ${baseUrl} (${why}); is the daemon running?`,
    );
  }
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(await res.text());
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const msg = (parsed as { error?: { message?: unknown } } | null)?.error?.message;
    const text = typeof msg === 'string' ? msg : `HTTP ${res.status}`;
    throw new ApiClientError(
      res.status,
      res.status === 401
        ? `API refused the request: ${text} (give --token-file or set api.token-file)`
        : text,
    );
  }
  return parsed;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') {
    process.stdout.write(CLEAR_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const parsed = parseClearArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`nvad clear: ${parsed.error}\n${CLEAR_USAGE}`);
    return 2;
  }
  const args = parsed.args;
  try {
    const endpoint = await resolveEndpoint(args);
    const token =
      endpoint.tokenFile !== undefined ? await readToken(endpoint.tokenFile) : undefined;
    let text: string;
    if (args.action === 'crypto session') {
      const dto = (await postJson(
        endpoint.baseUrl,
        '/v1/clear/crypto/session',
        args.request,
        token,
      )) as ClearCryptoDto;
      text = args.json ? JSON.stringify(dto, null, 2) + '\n' : renderClearCrypto(dto);
    } else {
      const dto = (await postJson(
        endpoint.baseUrl,
        '/v1/clear/ip/bgp',
        args.request,
        token,
      )) as ClearBgpDto;
      text = args.json ? JSON.stringify(dto, null, 2) + '\n' : renderClear(dto);
    }
    process.stdout.write(text);
    return 0;
  } catch (err) {
    if (err instanceof ApiClientError) {
      process.stderr.write(`nvad clear: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
