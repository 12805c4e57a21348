/** The routing component with a real `Routing` on the fake kernel. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Config, StaticRoute } from '../../../src/config/index.js';
import { diffConfig } from '../../../src/config/index.js';
import { installedBySource, RoutingComponent } from '../../../src/daemon/routing.js';
import { createFakeKernel } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/lib/log.js';
import { ViewRegistry } from '../../../src/mgmt/show/context.js';
import { ROUTING_VIEW } from '../../../src/mgmt/show/commands/ip-route.js';
import { Routing } from '../../../src/routing/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { testConfig } from './config-fixture.js';

function viaTunnel(prefix: string, tunnel: string): StaticRoute {
  return { prefix, via: [tunnel], nextHop: undefined, routingContext: undefined, distance: 1 };
}

function setup(): {
  comp: RoutingComponent;
  routing: Routing;
  kernel: ReturnType<typeof createFakeKernel>;
} {
  const kernel = createFakeKernel();
  kernel.addLink('Tunnel1', { kind: 'tun', up: true, running: true, mtu: 1400 });
  const routing = new Routing({
    kernel,
    logger: silentLogger(),
    clock: new FakeClock(),
    importInterfaceRoutes: false,
  });
  return { comp: new RoutingComponent({ routing, logger: silentLogger() }), routing, kernel };
}

async function mainPrefixes(kernel: ReturnType<typeof createFakeKernel>): Promise<string[]> {
  return (await kernel.listRoutes({ table: 254 })).map((r) => r.prefix).sort();
}

describe('RoutingComponent', () => {
  it('programs static routes on start, follows reloads and removes everything on stop', async () => {
    const { comp, routing, kernel } = setup();
    const cfg: Config = {
      ...testConfig(),
      staticRoutes: [viaTunnel('10.2.0.0/16', 'Tunnel1'), viaTunnel('169.254.21.2/32', 'Tunnel1')],
    };
    await comp.start(cfg);
    routing.setTunnelState('Tunnel1', true);
    await routing.settled();
    expect(await mainPrefixes(kernel)).toEqual(['10.2.0.0/16', '169.254.21.2/32']);
    expect(comp.status()).toEqual({
      name: 'routing',
      state: 'running',
      detail: '0 connected, 2 static, 0 BGP routes installed; 0 kernel failures',
    });

    const next: Config = { ...cfg, staticRoutes: [viaTunnel('169.254.21.2/32', 'Tunnel1')] };
    await comp.apply(diffConfig(cfg, next), next);
    await routing.settled();
    expect(await mainPrefixes(kernel)).toEqual(['169.254.21.2/32']);

    await comp.stop();
    expect(await mainPrefixes(kernel)).toEqual([]);
    expect(comp.status().state).toBe('stopped');
  });

  it('publishes the routing view and nvad_routes_installed{source}', async () => {
    const { comp, routing } = setup();
    await comp.start({ ...testConfig(), staticRoutes: [viaTunnel('10.2.0.0/16', 'Tunnel1')] });
    routing.setTunnelState('Tunnel1', true);
    routing.upsertBgp('default', '10.20.0.0/16', [{ kind: 'tunnel', tunnel: 'Tunnel1' }], {
      ebgp: true,
      asPath: '65515',
    });
    await routing.settled();
    const views = new ViewRegistry();
    comp.publishViews(views);
    const v = views.get(ROUTING_VIEW)?.view();
    expect(v?.routes.filter((r) => r.selected).map((r) => `${r.code} ${r.prefix}`)).toEqual([
      'S 10.2.0.0/16',
      'B 10.20.0.0/16',
    ]);
    const registry = new Registry();
    comp.registerMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain('nvad_routes_installed{source="static"} 1');
    expect(text).toContain('nvad_routes_installed{source="bgp"} 1');
    expect(text).toContain('nvad_routes_installed{source="connected"} 0');
    await comp.stop();
  });

  it('counts only selected routes with a usable next hop', () => {
    const hop = (usable: boolean) => ({ via: undefined, interface: 'Tunnel1', usable });
    expect(
      installedBySource([
        { source: 'static', selected: true, nexthops: [hop(true)] },
        { source: 'static', selected: false, nexthops: [hop(true)] },
        { source: 'bgp', selected: true, nexthops: [hop(false)] },
      ]),
    ).toEqual({ connected: 0, static: 1, bgp: 0 });
  });
});
