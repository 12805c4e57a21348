/**
 * `clear ip bgp {*|ADDR} [soft [in|out]]` (Catalyst/FRR) as an API action:
 *
 *   POST /v1/clear/ip/bgp   {"neighbor": "*" | ADDR, "context"?: NAME, "soft"?: "in"|"out"|"both"}
 *
 * Without `soft` a hard reset: Cease/Administrative Reset (RFC 4486 §4) and a new session (a
 * neighbor held "Idle (PfxCt)" by max-prefixes just restarts). `soft in`: ROUTE-REFRESH (RFC 2918)
 * when the neighbor supports it, else the import policy re-run over the stored Adj-RIB-In.
 * `soft out`: the whole Adj-RIB-Out re-advertised (an explicit operator action: a reload never
 * re-sends unchanged routes).
 */
import { actionKey } from '../show/context.js';
import { ActionInputError, actionBody, ipField, optionalName } from './action-input.js';

export { ActionInputError } from './action-input.js';

export type ClearSoft = 'in' | 'out' | 'both';

export interface ClearBgpRequest {
  /** `*` for every neighbor, else a neighbor address. */
  readonly neighbor: string;
  /** Only neighbors of this routing context (default: any context). */
  readonly context?: string;
  readonly soft?: ClearSoft;
}

/** What was done to one neighbor. */
export type ClearBgpAction =
  /** Cease/Administrative Reset sent (if a session was up), session started again. */
  | 'reset'
  /** Restarted out of "Idle (PfxCt)" (max-prefixes). */
  | 'restart'
  /** ROUTE-REFRESH sent (one per negotiated family). */
  | 'route-refresh'
  /** Import policy re-applied to the stored Adj-RIB-In (no ROUTE-REFRESH support). */
  | 'soft-in'
  /** Adj-RIB-Out re-advertised in full. */
  | 'soft-out'
  /** Nothing done: the neighbor is `shutdown` or (soft) not Established. */
  | 'skipped';

/** `POST /v1/clear/ip/bgp` answer (stable, docs/show-json.md). */
export interface ClearBgpDto {
  readonly neighbors: readonly {
    readonly neighbor: string;
    readonly address: string;
    readonly routingContext: string | null;
    readonly actions: readonly ClearBgpAction[];
  }[];
}

export const CLEAR_IP_BGP = actionKey<ClearBgpRequest, ClearBgpDto>('clear ip bgp');

const SOFT = new Set<string>(['in', 'out', 'both']);

/** Validate a `POST /v1/clear/ip/bgp` body; addresses are normalised ("2001:DB8::1" → "2001:db8::1"). */
export function parseClearBgpRequest(body: unknown): ClearBgpRequest {
  const o = actionBody(body, ['neighbor', 'context', 'soft']);
  const n = o['neighbor'];
  if (typeof n !== 'string' || n === '') {
    throw new ActionInputError('"neighbor" must be "*" or an IP address');
  }
  const neighbor = n === '*' ? n : ipField(n, '"neighbor" must be "*" or an IP address');
  const context = optionalName(o['context'], '"context" must be a routing context name');
  const soft = o['soft'];
  if (soft !== undefined && (typeof soft !== 'string' || !SOFT.has(soft))) {
    throw new ActionInputError('"soft" must be "in", "out" or "both"');
  }
  return {
    neighbor,
    ...(context !== undefined ? { context: context } : {}),
    ...(soft !== undefined ? { soft: soft as ClearSoft } : {}),
  };
}
