/**
 * Which neighbor a connection or a tunnel belongs to: an accepted TCP connection is matched by
 * remote address (and local address when the neighbor has an `update-source`); a tunnel carries
 * the neighbors whose update-source is its inside address or that a static route sends through it.
 */
import { formatIp, mustParseIp } from '../../lib/ip/addr.js';
import { parseInterfaceAddress, parsePrefix, prefixContains } from '../../lib/ip/prefix.js';
import type { StaticRoute } from '../../config/types.js';
import type { SpeakerNeighbor } from './neighbor.js';
import type { IncomingConnection } from './transport.js';

export interface TunnelRef {
  readonly name: string;
  /** Inside address with length, e.g. `169.254.21.1/32`. */
  readonly address: string | undefined;
}

/** The neighbor an incoming connection is for: update-source match first, then one without. */
export function matchIncoming(
  neighbors: Iterable<SpeakerNeighbor>,
  c: Pick<IncomingConnection, 'remoteAddress' | 'localAddress'>,
): SpeakerNeighbor | undefined {
  const candidates = [...neighbors].filter((n) => n.cfg.address === c.remoteAddress);
  return (
    candidates.find(
      (n) => n.cfg.updateSource !== undefined && n.cfg.updateSource === c.localAddress,
    ) ?? candidates.find((n) => n.cfg.updateSource === undefined)
  );
}

/** Neighbors reached through a tunnel: update-source on it, or a static route via it. */
export function neighborsVia(
  neighbors: Iterable<SpeakerNeighbor>,
  tunnels: readonly TunnelRef[] | undefined,
  staticRoutes: readonly StaticRoute[] | undefined,
  tunnel: string,
): SpeakerNeighbor[] {
  const t = tunnels?.find((x) => x.name === tunnel);
  const tunnelAddr = t?.address ? parseInterfaceAddress(t.address) : null;
  const routes = (staticRoutes ?? []).filter((r) => r.via.includes(tunnel));
  return [...neighbors].filter((n) => {
    if (tunnelAddr && n.cfg.updateSource === formatIp(tunnelAddr.addr)) return true;
    const addr = mustParseIp(n.cfg.address);
    return routes.some((r) => {
      if (r.routingContext !== n.cfg.routingContext) return false;
      const p = parsePrefix(r.prefix);
      return p !== null && prefixContains(p, addr);
    });
  });
}
