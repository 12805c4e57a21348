/**
 * Translation between the port's route/nexthop specs (text prefixes, device names) and rtmsg
 * messages. Kept apart from the socket code so it is unit-testable without a kernel.
 */
import {
  formatIp,
  formatPrefix,
  ipFromBytes,
  parseIp,
  parsePrefix,
  type IpAddr,
} from '../lib/index.js';
import { Errno, KernelError } from './errors.js';
import { AF_INET, AF_INET6, Rta, RtScope, Rtn } from './netlink/constants.js';
import { decodeRoute, encodeRoute, type RouteMessage } from './netlink/route.js';
import type { NlWriter } from './netlink/wire.js';
import type { Family, RouteInfo, RouteSpec } from './port.js';

/** rtm_flags RTM_F_CLONED: a cached clone (IPv6 exceptions), not a configured route. */
const RTM_F_CLONED = 0x200;

export function familyToAf(f: Family): number {
  return f === 4 ? AF_INET : AF_INET6;
}

export function parseAddr(s: string, op: string): IpAddr {
  const a = parseIp(s);
  if (!a) throw new KernelError(op, Errno.EINVAL, null, `not an address: ${s}`);
  return a;
}

export interface RouteTarget {
  readonly oif?: number;
}

type RouteInput = Pick<RouteSpec, 'table' | 'prefix' | 'protocol'> &
  Partial<Pick<RouteSpec, 'nexthopId' | 'via' | 'src' | 'metric' | 'dev'>>;

/** Build the rtmsg for a replace (create) or delete of `spec`. */
export function routeMessage(
  spec: RouteInput,
  target: RouteTarget,
  mode: 'replace' | 'delete',
): RouteMessage {
  const op = `${mode} route ${spec.prefix} table ${spec.table}`;
  const p = parsePrefix(spec.prefix);
  if (!p) throw new KernelError(op, Errno.EINVAL, null, `not a prefix: ${spec.prefix}`);
  const family = familyToAf(p.addr.family);
  const gw = spec.via !== undefined ? parseAddr(spec.via, op) : undefined;
  const src = spec.src !== undefined ? parseAddr(spec.src, op) : undefined;
  const hasNexthop = spec.nexthopId !== undefined || gw !== undefined;
  // As iproute2: a device-only route is scope link; a delete matches any scope.
  const scope =
    mode === 'delete'
      ? RtScope.RT_SCOPE_NOWHERE
      : hasNexthop || target.oif === undefined
        ? RtScope.RT_SCOPE_UNIVERSE
        : RtScope.RT_SCOPE_LINK;
  return {
    family,
    dstLen: p.len,
    srcLen: 0,
    tos: 0,
    table: spec.table,
    protocol: spec.protocol,
    scope,
    type: mode === 'delete' ? Rtn.RTN_UNSPEC : Rtn.RTN_UNICAST,
    flags: 0,
    ...(p.len > 0 ? { dst: p.addr.bytes } : {}),
    ...(spec.metric !== undefined ? { priority: spec.metric } : {}),
    ...(src !== undefined ? { prefsrc: src.bytes } : {}),
    ...(spec.nexthopId !== undefined && mode === 'replace' ? { nhId: spec.nexthopId } : {}),
    ...(gw !== undefined && mode === 'replace' ? { gateway: gw.bytes } : {}),
    ...(target.oif !== undefined && mode === 'replace' ? { oif: target.oif } : {}),
  };
}

const scratch4 = new Uint8Array(4);

/**
 * Fast path for "a.b.c.d/n" (the bulk-install case): parses into a shared scratch buffer with
 * host bits cleared. Returns the prefix length, or -1 when `s` is not that shape.
 */
function parseV4PrefixInto(s: string, out: Uint8Array): number {
  let octet = 0;
  let digits = 0;
  let part = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 || c === 47) {
      if (digits === 0 || part > 3) return -1;
      out[part++] = octet;
      octet = 0;
      digits = 0;
      if (c === 47) break;
    } else {
      return -1;
    }
  }
  if (part !== 4 || i >= s.length) return -1;
  let len = 0;
  digits = 0;
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || ++digits > 2) return -1;
    len = len * 10 + (c - 48);
  }
  if (digits === 0 || len > 32) return -1;
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(8, len - k * 8));
    out[k] = (out[k] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return len;
}

/**
 * Encode the rtmsg for `spec` straight into `w`: the same bytes as
 * `encodeRoute(w, routeMessage(spec, target, mode))`, without intermediate objects (this runs
 * once per route in bulk installs).
 */
export function buildRouteMessage(
  w: NlWriter,
  spec: RouteInput,
  target: RouteTarget,
  mode: 'replace' | 'delete',
): void {
  const len =
    spec.via === undefined && spec.src === undefined
      ? parseV4PrefixInto(spec.prefix, scratch4)
      : -1;
  if (len < 0) {
    encodeRoute(w, routeMessage(spec, target, mode));
    return;
  }
  const replace = mode === 'replace';
  const scope = !replace
    ? RtScope.RT_SCOPE_NOWHERE
    : spec.nexthopId !== undefined || target.oif === undefined
      ? RtScope.RT_SCOPE_UNIVERSE
      : RtScope.RT_SCOPE_LINK;
  const table = spec.table;
  w.u8(AF_INET)
    .u8(len)
    .u8(0)
    .u8(0)
    .u8(table < 256 ? table : 0)
    .u8(spec.protocol);
  w.u8(scope)
    .u8(replace ? Rtn.RTN_UNICAST : Rtn.RTN_UNSPEC)
    .u32(0);
  if (len > 0) w.attr(Rta.RTA_DST, scratch4);
  if (spec.metric !== undefined) w.attrU32(Rta.RTA_PRIORITY, spec.metric);
  if (replace && target.oif !== undefined) w.attrU32(Rta.RTA_OIF, target.oif);
  if (replace && spec.nexthopId !== undefined) w.attrU32(Rta.RTA_NH_ID, spec.nexthopId);
  if (table > 255) w.attrU32(Rta.RTA_TABLE, table);
}

/** A dumped route as the port's RouteInfo, or null for non-unicast and cloned entries. */
export function decodeRouteInfo(
  payload: Buffer,
  byIndex: ReadonlyMap<number, string>,
): RouteInfo | null {
  const m = decodeRoute(payload);
  return routeInfoOf(m, byIndex);
}

export function routeInfoOf(
  m: RouteMessage,
  byIndex: ReadonlyMap<number, string>,
): RouteInfo | null {
  if (m.type !== Rtn.RTN_UNICAST || (m.flags & RTM_F_CLONED) !== 0) return null;
  if (m.family !== AF_INET && m.family !== AF_INET6) return null;
  const family: Family = m.family === AF_INET ? 4 : 6;
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  if (m.dst !== undefined) bytes.set(m.dst.subarray(0, bytes.length));
  const prefix = formatPrefix({ addr: { family, bytes }, len: m.dstLen });
  // With a nexthop object, IPv6 dumps also report the resolved oif/gateway; those belong to
  // the nexthop (listNexthops), not to the route, so they are left out as IPv4 dumps do.
  const viaObject = m.nhId !== undefined;
  const dev = m.oif !== undefined && !viaObject ? byIndex.get(m.oif) : undefined;
  return {
    family,
    table: m.table,
    prefix,
    protocol: m.protocol,
    ...(m.nhId !== undefined ? { nexthopId: m.nhId } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(m.gateway !== undefined && !viaObject ? { via: formatIp(ipFromBytes(m.gateway)) } : {}),
    ...(m.prefsrc !== undefined ? { src: formatIp(ipFromBytes(m.prefsrc)) } : {}),
    ...(m.priority !== undefined ? { metric: m.priority } : {}),
  };
}
