/**
 * Locally originated paths: `network` statements (ORIGIN IGP) and `redistribute static|connected`
 * (ORIGIN INCOMPLETE), RFC 4271 §9.4. They have an empty AS_PATH and no next hop: the export side
 * sets the session's local address as next hop.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import { Origin } from '../wire/constants.js';
import { emptyAttrs, makePath, type Path, type PathSource } from './path.js';

export function localSource(asn: number, routerId: number, routingContext?: string): PathSource {
  return { kind: 'local', address: '0.0.0.0', asn, routerId, isIbgp: false, routingContext };
}

export function originateNetwork(prefix: Prefix, source: PathSource, now: number): Path {
  return makePath({
    prefix,
    attrs: emptyAttrs(Origin.IGP),
    source,
    receivedAt: now,
    flags: { local: 'network' },
  });
}

export function originateRedistributed(
  prefix: Prefix,
  kind: 'static' | 'connected',
  source: PathSource,
  now: number,
): Path {
  return makePath({
    prefix,
    attrs: emptyAttrs(Origin.INCOMPLETE),
    source,
    receivedAt: now,
    flags: { local: kind },
  });
}
