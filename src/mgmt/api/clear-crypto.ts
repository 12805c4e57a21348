/**
 * `clear crypto session [remote ADDR] [interface TunnelN]` and `clear crypto ikev2 sa [ADDR]`
 * (Catalyst) as an API action:
 *
 *   POST /v1/clear/crypto/session   {"remote"?: ADDR, "interface"?: NAME}
 *
 * Every IKE SA of the matching tunnels is torn down with an IKE Delete to the peer, taking its
 * child SAs along (RFC 7296 §1.4.1). A tunnel that initiates starts a fresh IKE_SA_INIT at once
 * (backoff reset); a responder tunnel waits for its peer. No field: every IKE tunnel. `remote`
 * matches the configured peer address or the address an IKE SA talks to (its NAT mapping).
 */
import { actionKey } from '../show/context.js';
import { actionBody, ipField, optionalName } from './action-input.js';

export interface ClearCryptoRequest {
  /** Only tunnels to this peer (normalised address). */
  readonly remote?: string;
  /** Only this tunnel interface (case-insensitive, "Tunnel1"). */
  readonly interface?: string;
}

/** What happens next on a cleared tunnel. */
export type ClearCryptoNext =
  /** We initiate: a fresh IKE_SA_INIT goes out now. */
  | 'reinitiate'
  /** Responder tunnel: it comes back when the peer initiates. */
  | 'wait-for-peer';

/** `POST /v1/clear/crypto/session` answer (stable, docs/show-json.md). */
export interface ClearCryptoDto {
  readonly sessions: readonly {
    readonly interface: string;
    readonly peer: string;
    readonly routingContext: string | null;
    /** IKE SAs torn down (state before the clear: `established`, `connecting`…). */
    readonly ikeSas: readonly {
      readonly spiI: string;
      readonly spiR: string;
      readonly state: string;
    }[];
    /** Child SA pairs deleted with them. */
    readonly childSas: number;
    readonly next: ClearCryptoNext;
  }[];
}

export const CLEAR_CRYPTO_SESSION = actionKey<ClearCryptoRequest, ClearCryptoDto>(
  'clear crypto session',
);

/** Validate a `POST /v1/clear/crypto/session` body. */
export function parseClearCryptoRequest(body: unknown): ClearCryptoRequest {
  const o = actionBody(body, ['remote', 'interface']);
  const remote =
    o['remote'] === undefined ? undefined : ipField(o['remote'], '"remote" must be an IP address');
  const iface = optionalName(o['interface'], '"interface" must be a tunnel interface name');
  return {
    ...(remote !== undefined ? { remote } : {}),
    ...(iface !== undefined ? { interface: iface } : {}),
  };
}
