/**
 * Traffic selector narrowing (RFC 7296 §2.9). Route-based tunnels propose any-to-any:
 * 0.0.0.0-255.255.255.255 and, with IPv6 inner traffic, ::-ffff:...:ffff, all protocols and ports.
 * The responder narrows the initiator's TSi/TSr to its own configuration (the intersection);
 * disjoint selectors are TS_UNACCEPTABLE (§2.9). The initiator accepts what the responder returns
 * when it is a subset of what was proposed (§2.9: the responder may only narrow).
 */
import { formatIp, type IpAddr } from '../../lib/ip/addr.js';
import { IkeNotifyError } from '../errors.js';
import { NotifyType, TsType } from '../wire/constants.js';
import type { TrafficSelector } from '../wire/payloads/index.js';

function toBig(a: IpAddr): bigint {
  let v = 0n;
  for (const b of a.bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, family: 4 | 6): IpAddr {
  const n = family === 4 ? 4 : 16;
  const bytes = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { family, bytes };
}

/** The any-address selector of a family. */
export function anySelector(family: 4 | 6): TrafficSelector {
  const n = family === 4 ? 4 : 16;
  return {
    tsType: family === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol: 0,
    startPort: 0,
    endPort: 0xffff,
    startAddr: { family, bytes: new Uint8Array(n) },
    endAddr: { family, bytes: new Uint8Array(n).fill(0xff) },
  };
}

/** What a route-based tunnel proposes: 0.0.0.0/0 and, with IPv6, ::/0. */
export function routeBasedSelectors(ipv6: boolean): TrafficSelector[] {
  return ipv6 ? [anySelector(4), anySelector(6)] : [anySelector(4)];
}

/** Intersection of two selectors, or null when disjoint. */
export function intersectSelector(a: TrafficSelector, b: TrafficSelector): TrafficSelector | null {
  if (a.tsType !== b.tsType) return null;
  if (a.ipProtocol !== 0 && b.ipProtocol !== 0 && a.ipProtocol !== b.ipProtocol) return null;
  const startPort = Math.max(a.startPort, b.startPort);
  const endPort = Math.min(a.endPort, b.endPort);
  const lo = toBig(a.startAddr) > toBig(b.startAddr) ? a.startAddr : b.startAddr;
  const hiA = toBig(a.endAddr);
  const hiB = toBig(b.endAddr);
  const hi = hiA < hiB ? a.endAddr : b.endAddr;
  // Opaque port ranges (start > end, §3.13.1) are kept only when both sides say so.
  if (startPort > endPort || toBig(lo) > toBig(hi)) return null;
  const family = a.startAddr.family;
  return {
    tsType: a.tsType,
    ipProtocol: a.ipProtocol === 0 ? b.ipProtocol : a.ipProtocol,
    startPort,
    endPort,
    startAddr: fromBig(toBig(lo), family),
    endAddr: fromBig(toBig(hi), family),
  };
}

function contains(outer: TrafficSelector, inner: TrafficSelector): boolean {
  const x = intersectSelector(outer, inner);
  return (
    x !== null &&
    toBig(x.startAddr) === toBig(inner.startAddr) &&
    toBig(x.endAddr) === toBig(inner.endAddr) &&
    x.startPort === inner.startPort &&
    x.endPort === inner.endPort &&
    x.ipProtocol === inner.ipProtocol
  );
}

/**
 * Responder: narrow the peer's selectors to ours. Throws TS_UNACCEPTABLE when nothing is left.
 * RFC 7296 §2.9: the first selector may be the specific packet that triggered the SA; keeping
 * every non-empty intersection covers both forms.
 */
export function narrowSelectors(
  theirs: readonly TrafficSelector[],
  ours: readonly TrafficSelector[],
  which: 'TSi' | 'TSr',
): TrafficSelector[] {
  const out: TrafficSelector[] = [];
  for (const t of theirs) {
    for (const o of ours) {
      const x = intersectSelector(t, o);
      if (x !== null && !out.some((y) => contains(y, x))) out.push(x);
    }
  }
  if (out.length === 0) {
    throw new IkeNotifyError(
      NotifyType.TS_UNACCEPTABLE,
      undefined,
      `${which} unacceptable; ours: ${describeSelectors(ours)}; theirs: ${describeSelectors(theirs)}`,
    );
  }
  return out;
}

/** Initiator: the responder's selectors must be a non-empty subset of what we proposed. */
export function checkNarrowed(
  proposed: readonly TrafficSelector[],
  returned: readonly TrafficSelector[],
  which: 'TSi' | 'TSr',
): void {
  if (returned.length === 0 || !returned.every((r) => proposed.some((p) => contains(p, r)))) {
    throw new IkeNotifyError(
      NotifyType.TS_UNACCEPTABLE,
      undefined,
      `${which} from responder not within ours; ours: ${describeSelectors(proposed)}; theirs: ${describeSelectors(returned)}`,
    );
  }
}

function describeOne(s: TrafficSelector): string {
  const range = `${formatIp(s.startAddr)}-${formatIp(s.endAddr)}`;
  const proto = s.ipProtocol === 0 ? '' : ` proto ${s.ipProtocol}`;
  const ports =
    s.startPort === 0 && s.endPort === 0xffff ? '' : ` ports ${s.startPort}-${s.endPort}`;
  return range + proto + ports;
}

export function describeSelectors(ts: readonly TrafficSelector[]): string {
  return ts.length === 0 ? '(none)' : ts.map(describeOne).join(', ');
}
