/** Shared fixtures for the routing unit tests: a fake kernel with tunnels and a Routing facade. */
import { createFakeKernel, type FakeKernel, type NexthopSpec } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/lib/log.js';
import { Routing, NEXTHOP_ID_BASE, type RoutingConfig } from '../../../src/routing/index.js';
import type { StaticRoute } from '../../../src/config/types.js';
import { FakeClock } from '../../support/fake-clock.js';

export interface Fixture {
  readonly kernel: FakeKernel;
  readonly clock: FakeClock;
  readonly routing: Routing;
}

export function fixture(tunnels: readonly string[] = ['Tunnel0', 'Tunnel1']): Fixture {
  const kernel = createFakeKernel();
  for (const t of tunnels) kernel.addLink(t, { kind: 'tun', up: true, running: true, mtu: 1400 });
  kernel.calls.length = 0;
  const clock = new FakeClock();
  const routing = new Routing({ kernel, logger: silentLogger(), clock });
  return { kernel, clock, routing };
}

export function route(
  prefix: string,
  via: string[] | string,
  extra: Partial<StaticRoute> = {},
): StaticRoute {
  const gw = typeof via === 'string';
  return {
    prefix,
    via: gw ? [] : via,
    nextHop: gw ? via : undefined,
    routingContext: undefined,
    distance: 1,
    ...extra,
  };
}

export function config(
  staticRoutes: StaticRoute[],
  tunnels: RoutingConfig['tunnels'] = [],
  routingContexts: RoutingConfig['routingContexts'] = {},
): RoutingConfig {
  return { staticRoutes, tunnels, routingContexts };
}

export function ours(n: NexthopSpec): boolean {
  return n.id >= NEXTHOP_ID_BASE && n.id < NEXTHOP_ID_BASE + 0x10000;
}

/** Kernel calls that change state (list and get calls excluded). */
export function mutations(k: FakeKernel, from = 0): string[] {
  return k.calls
    .slice(from)
    .map((c) => c.method)
    .filter((m) => !m.startsWith('list') && !m.startsWith('get') && m !== 'watchLinks');
}

export async function up(f: Fixture, ...names: string[]): Promise<void> {
  for (const n of names) f.routing.setTunnelState(n, true);
  await f.routing.settled();
}

export async function down(f: Fixture, ...names: string[]): Promise<void> {
  for (const n of names) f.routing.setTunnelState(n, false);
  await f.routing.settled();
}
