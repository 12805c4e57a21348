/**
 * Reading a namespace's kernel routes the way the tests need them: the devices a route forwards
 * through, whether it points at a nexthop object, a group of them, or a device directly.
 */
import type { TestNetns } from './netns.js';

interface KernelRoute {
  readonly dst: string;
  readonly protocol?: string;
  readonly nhid?: number;
  readonly dev?: string;
}

interface KernelNexthop {
  readonly id: number;
  readonly dev?: string;
  readonly group?: readonly { readonly id: number }[];
}

/** `ip -j route show PREFIX [args]` in `ns` (main table unless args say otherwise). */
export function kernelRoutes(ns: TestNetns, prefix: string, ...args: string[]): KernelRoute[] {
  return JSON.parse(ns.ip('-j', 'route', 'show', prefix, ...args)) as KernelRoute[];
}

function nexthop(ns: TestNetns, id: number): KernelNexthop | undefined {
  return (JSON.parse(ns.ip('-j', 'nexthop', 'show', 'id', String(id))) as KernelNexthop[])[0];
}

/**
 * Sorted devices the route to `prefix` uses (ECMP group members included); undefined when there is
 * no such route.
 */
export function routeDevs(ns: TestNetns, prefix: string, ...args: string[]): string[] | undefined {
  const r = kernelRoutes(ns, prefix, ...args)[0];
  if (!r) return undefined;
  if (r.nhid === undefined) return r.dev !== undefined ? [r.dev] : [];
  const nh = nexthop(ns, r.nhid);
  if (!nh) return [];
  if (!nh.group) return nh.dev !== undefined ? [nh.dev] : [];
  return nh.group.map((m) => nexthop(ns, m.id)?.dev ?? '?').sort();
}
