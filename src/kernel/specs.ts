/**
 * Translation between the port's nexthop and rule specs (text addresses, device names) and
 * nhmsg / fib_rule_hdr messages. Pure, so it is unit-testable without a kernel.
 */
import { formatIp, formatPrefix, ipFromBytes, parsePrefix } from '../lib/index.js';
import { Errno, KernelError } from './errors.js';
import { AF_INET6, AF_UNSPEC, FR_ACT_TO_TBL } from './netlink/constants.js';
import type { NexthopMessage } from './netlink/nexthop.js';
import type { RuleMessage } from './netlink/rule.js';
import type { Family, NexthopSpec, RuleSpec } from './port.js';
import { RouteProtocol } from './port.js';
import { familyToAf, parseAddr } from './route-spec.js';

function invalid(op: string, detail: string): KernelError {
  return new KernelError(op, Errno.EINVAL, null, detail);
}

/** nhmsg for a replace; `oif` is the resolved index of `spec.dev`. */
export function nexthopMessage(
  spec: NexthopSpec,
  oif: number | undefined,
  op: string,
): NexthopMessage {
  const protocol = spec.protocol ?? RouteProtocol.static;
  const base = { scope: 0, protocol, flags: 0, id: spec.id };
  if (spec.group !== undefined) {
    if (spec.dev !== undefined || spec.via !== undefined)
      throw invalid(op, 'group excludes dev/via');
    return {
      ...base,
      family: AF_UNSPEC,
      group: spec.group.map((g) => ({ id: g.id, weight: g.weight ?? 1 })),
    };
  }
  if (spec.dev === undefined && spec.via === undefined)
    throw invalid(op, 'needs dev, via or group');
  const gw = spec.via !== undefined ? parseAddr(spec.via, op) : undefined;
  const family = spec.family ?? gw?.family ?? 4;
  return {
    ...base,
    family: familyToAf(family),
    ...(oif !== undefined ? { oif } : {}),
    ...(gw !== undefined ? { gateway: gw.bytes } : {}),
  };
}

export function nexthopSpecOf(
  nh: NexthopMessage,
  byIndex: ReadonlyMap<number, string>,
): NexthopSpec {
  const id = nh.id ?? 0;
  if (nh.group !== undefined) {
    return {
      id,
      protocol: nh.protocol,
      group: nh.group.map((g) => ({ id: g.id, weight: g.weight })),
    };
  }
  const dev = nh.oif !== undefined ? byIndex.get(nh.oif) : undefined;
  return {
    id,
    protocol: nh.protocol,
    family: nh.family === AF_INET6 ? 6 : 4,
    ...(dev !== undefined ? { dev } : {}),
    ...(nh.gateway !== undefined ? { via: formatIp(ipFromBytes(nh.gateway)) } : {}),
  };
}

export function ruleOp(verb: string, s: RuleSpec): string {
  const sel = [s.src !== undefined ? `from ${s.src}` : '', s.dst !== undefined ? `to ${s.dst}` : '']
    .filter((x) => x !== '')
    .join(' ');
  return `${verb} rule pref ${s.priority}${sel ? ` ${sel}` : ''} table ${s.table}`;
}

export function ruleMessage(s: RuleSpec, op: string): RuleMessage {
  const af = familyToAf(s.family);
  const sel = (cidr: string | undefined): { bytes?: Uint8Array; len: number } => {
    if (cidr === undefined) return { len: 0 };
    const p = parsePrefix(cidr);
    if (p?.addr.family !== s.family) throw invalid(op, `bad prefix ${cidr}`);
    return { bytes: p.addr.bytes, len: p.len };
  };
  const src = sel(s.src);
  const dst = sel(s.dst);
  return {
    family: af,
    dstLen: dst.len,
    srcLen: src.len,
    tos: 0,
    table: s.table,
    action: FR_ACT_TO_TBL,
    flags: 0,
    priority: s.priority,
    ...(src.bytes ? { src: src.bytes } : {}),
    ...(dst.bytes ? { dst: dst.bytes } : {}),
  };
}

export function ruleSpecOf(m: RuleMessage, family: Family): RuleSpec {
  const cidr = (b: Uint8Array | undefined, len: number): string | undefined =>
    b !== undefined && len > 0 ? formatPrefix({ addr: ipFromBytes(b), len }) : undefined;
  const src = cidr(m.src, m.srcLen);
  const dst = cidr(m.dst, m.dstLen);
  return {
    family,
    priority: m.priority ?? 0,
    table: m.table,
    ...(src !== undefined ? { src } : {}),
    ...(dst !== undefined ? { dst } : {}),
  };
}
