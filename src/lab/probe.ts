/**
 * Reading the nvads of the lab through their management API (each listens on 127.0.0.1 in its own
 * namespace, so a short `node -e` fetch runs there), and judging from the answers whether an NVA
 * is fully up: every tunnel UP-ACTIVE, every BGP neighbor Established with prefixes received.
 * Show output is rendered here with the same renderers `nvad show` uses.
 */
import { resolveShow, SHOW_COMMANDS } from '../mgmt/show/index.js';
import type { BgpSummaryDto, CryptoSessionDto } from '../mgmt/show/index.js';
import { runCommand } from './exec.js';

/** Fetches every URL given as an argument; prints [[status, body], …] (status 0: no answer). */
const FETCH_ALL = `Promise.all(process.argv.slice(1).map((u) =>
  fetch(u, { signal: AbortSignal.timeout(3000) }).then(
    async (r) => [r.status, await r.text()],
    () => [0, ''])))
  .then((all) => process.stdout.write(JSON.stringify(all)))`;

export interface ApiAnswer {
  readonly status: number;
  readonly body: string;
}

/** GET each path of `baseUrl` inside the namespace; status 0 when nothing answered. */
export async function apiGet(
  netns: string,
  baseUrl: string,
  paths: readonly string[],
): Promise<ApiAnswer[]> {
  const urls = paths.map((p) => `${baseUrl}${p}`);
  const r = await runCommand(
    'ip',
    ['netns', 'exec', netns, process.execPath, '-e', FETCH_ALL, ...urls],
    { timeoutMs: 10_000 },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  return paths.map((_, i) => {
    const a = Array.isArray(parsed) ? (parsed[i] as unknown) : undefined;
    if (!Array.isArray(a)) return { status: 0, body: '' };
    return { status: Number(a[0]) || 0, body: String(a[1] ?? '') };
  });
}

export async function apiAnswers(netns: string, baseUrl: string): Promise<boolean> {
  const [a] = await apiGet(netns, baseUrl, ['/v1/status']);
  return a !== undefined && a.status >= 200 && a.status < 300;
}

export const SESSION_PATH = '/v1/show/crypto/session';
export const BGP_SUMMARY_PATH = '/v1/show/ip/bgp/summary';

export interface NvaHealth {
  readonly apiUp: boolean;
  readonly tunnelsUp: number;
  readonly tunnels: number;
  readonly bgpEstablished: number;
  readonly bgpNeighbors: number;
  /** Established neighbors that sent at least one prefix. */
  readonly bgpWithRoutes: number;
  /** Non-established neighbors as "address State". */
  readonly bgpDown: readonly string[];
  readonly tunnelsDown: readonly string[];
}

function parse(a: ApiAnswer | undefined): unknown {
  if (a === undefined || a.status !== 200) return undefined;
  try {
    return JSON.parse(a.body);
  } catch {
    return undefined;
  }
}

/** Tunnels and BGP of one nvad from its API answers. */
export function judgeHealth(session: ApiAnswer | undefined, bgp: ApiAnswer | undefined): NvaHealth {
  const s = parse(session) as CryptoSessionDto | undefined;
  const b = parse(bgp) as BgpSummaryDto | undefined;
  const sessions = s?.sessions ?? [];
  const neighbors = b?.neighbors ?? [];
  return {
    apiUp: s !== undefined,
    tunnels: sessions.length,
    tunnelsUp: sessions.filter((x) => x.status === 'UP-ACTIVE').length,
    tunnelsDown: sessions
      .filter((x) => x.status !== 'UP-ACTIVE')
      .map((x) => `${x.interface} ${x.status}`),
    bgpNeighbors: neighbors.length,
    bgpEstablished: neighbors.filter((n) => n.established).length,
    bgpWithRoutes: neighbors.filter((n) => n.established && (n.pfxRcd ?? 0) > 0).length,
    bgpDown: neighbors.filter((n) => !n.established).map((n) => `${n.address} ${n.state}`),
  };
}

/**
 * Fully up: API answers, at least one tunnel, all tunnels UP-ACTIVE, all neighbors Established;
 * `routesFrom` neighbors (default all) sent prefixes.
 */
export function isHealthy(h: NvaHealth, needRoutes = true): boolean {
  return (
    h.apiUp &&
    h.tunnels > 0 &&
    h.tunnelsUp === h.tunnels &&
    h.bgpNeighbors > 0 &&
    h.bgpEstablished === h.bgpNeighbors &&
    (!needRoutes || h.bgpWithRoutes === h.bgpNeighbors)
  );
}

export async function nvaHealth(netns: string, baseUrl: string): Promise<NvaHealth> {
  const [session, bgp] = await apiGet(netns, baseUrl, [SESSION_PATH, BGP_SUMMARY_PATH]);
  return judgeHealth(session, bgp);
}

export function describeHealth(h: NvaHealth): string {
  if (!h.apiUp) return 'API not answering';
  const down = [...h.tunnelsDown, ...h.bgpDown];
  return (
    `tunnels ${h.tunnelsUp}/${h.tunnels} up, BGP ${h.bgpEstablished}/${h.bgpNeighbors} Established` +
    (down.length > 0 ? ` (${down.join(', ')})` : '')
  );
}

/** `show <words>` of the nvad in `netns`, rendered as `nvad show` prints it. */
export async function showText(netns: string, baseUrl: string, words: string): Promise<string> {
  const { command, args } = resolveShow(SHOW_COMMANDS, words.split(' '));
  const path = `/v1/show/${[...command.name.split(' '), ...args].map(encodeURIComponent).join('/')}`;
  const [a] = await apiGet(netns, baseUrl, [path]);
  if (a === undefined || a.status === 0) return '% no answer from the nvad API';
  if (a.status !== 200) {
    const err = parse({ status: 200, body: a.body }) as
      { error?: { message?: string } } | undefined;
    const msg = err?.error?.message;
    return `% ${msg ?? `HTTP ${a.status}`}`;
  }
  return command.render(JSON.parse(a.body)).trimEnd();
}
