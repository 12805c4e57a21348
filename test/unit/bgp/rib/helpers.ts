import { mustParseIp } from '../../../../src/lib/ip/addr.js';
import { parsePrefix, type Prefix } from '../../../../src/lib/ip/prefix.js';
import { PERMIT_ALL } from '../../../../src/bgp/policy/policy-set.js';
import type { ExportPeer } from '../../../../src/bgp/rib/export-policy.js';
import {
  emptyAttrs,
  makePath,
  routerIdNumber,
  type Path,
  type PathAttrs,
  type PathFlags,
  type PathSource,
} from '../../../../src/bgp/rib/path.js';
import { AsPathSegmentType, Origin } from '../../../../src/bgp/wire/constants.js';

export function pfx(s: string): Prefix {
  const p = parsePrefix(s);
  if (!p) throw new Error(`bad prefix ${s}`);
  return p;
}

export function seq(...asns: number[]): { type: 2; asns: number[] } {
  return { type: AsPathSegmentType.AS_SEQUENCE, asns };
}

/** Attributes with an AS_SEQUENCE path, IGP origin and the given overrides. */
export function attrs(path: number[], over: Partial<PathAttrs> = {}): PathAttrs {
  return {
    ...emptyAttrs(Origin.IGP),
    asPath: path.length > 0 ? [seq(...path)] : [],
    nextHop: mustParseIp('192.0.2.1'),
    ...over,
  };
}

export function peer(address: string, asn: number, over: Partial<PathSource> = {}): PathSource {
  return {
    kind: 'peer',
    address,
    asn,
    routerId: routerIdNumber(address),
    isIbgp: false,
    routingContext: undefined,
    ...over,
  };
}

export function path(
  prefix: string,
  a: PathAttrs,
  source: PathSource,
  receivedAt = 0,
  flags: Partial<PathFlags> = {},
): Path {
  return makePath({ prefix: pfx(prefix), attrs: a, source, receivedAt, flags });
}

export function exportPeer(
  address: string,
  asn: number,
  over: Partial<ExportPeer> = {},
): ExportPeer {
  return {
    address,
    asn,
    isIbgp: false,
    routingContext: undefined,
    asOverride: false,
    nextHopSelf: false,
    localAddressV4: mustParseIp('169.254.21.1'),
    localAddressV6: mustParseIp('fd00::1'),
    exportFilter: PERMIT_ALL,
    ...over,
  };
}
