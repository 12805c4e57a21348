import { describe, expect, it } from 'vitest';
import {
  createFakeKernel,
  KernelError,
  RouteProtocol,
  type LinkEvent,
} from '../../../src/kernel/index.js';

describe('fake kernel', () => {
  it('models addresses idempotently and records calls', async () => {
    const k = createFakeKernel();
    await k.addAddress('lo', '169.254.21.1/32');
    await k.addAddress('lo', '169.254.21.1/32');
    await k.addAddress('lo', '2001:DB8::1/128');
    expect(await k.listAddresses('lo')).toEqual([
      { ifindex: 1, ifname: 'lo', family: 4, address: '169.254.21.1', prefixLen: 32 },
      { ifindex: 1, ifname: 'lo', family: 6, address: '2001:db8::1', prefixLen: 128 },
    ]);
    await k.deleteAddress('lo', '169.254.21.1/32');
    await k.deleteAddress('lo', '169.254.21.1/32');
    expect((await k.listAddresses()).map((a) => a.address)).toEqual(['2001:db8::1']);
    await expect(k.addAddress('nope', '10.0.0.1/32')).rejects.toThrow(
      'add address 10.0.0.1/32 on nope: No such device',
    );
    expect(k.calls.map((c) => c.method).slice(0, 3)).toEqual([
      'addAddress',
      'addAddress',
      'addAddress',
    ]);
  });

  it('deleting a nexthop removes its routes and its group membership', async () => {
    const k = createFakeKernel();
    k.addLink('Tunnel1', { up: true, running: true });
    k.addLink('Tunnel2', { up: true, running: true });
    await k.replaceNexthop({ id: 1, dev: 'Tunnel1', protocol: RouteProtocol.bgp });
    await k.replaceNexthop({ id: 2, dev: 'Tunnel2', protocol: RouteProtocol.bgp });
    await k.replaceNexthop({ id: 10, group: [{ id: 1 }, { id: 2 }], protocol: RouteProtocol.bgp });
    const r = await k.replaceRoutes([
      { table: 254, prefix: '10.1.0.0/16', nexthopId: 10, protocol: 186 },
      { table: 254, prefix: '10.2.0.0/16', nexthopId: 1, protocol: 186 },
      { table: 254, prefix: '10.3.0.0/16', nexthopId: 99, protocol: 186 },
    ]);
    expect(r.total).toBe(3);
    expect(r.failed.map((f) => [f.index, f.error.errno])).toEqual([[2, 22]]);
    await k.deleteNexthop(1);
    expect((await k.listRoutes()).map((x) => x.prefix)).toEqual(['10.1.0.0/16']);
    expect((await k.listNexthops()).find((n) => n.id === 10)?.group).toEqual([
      { id: 2, weight: 1 },
    ]);
    await k.deleteNexthop(2);
    expect(await k.listRoutes()).toEqual([]);
    expect(await k.listNexthops({ protocol: 186 })).toEqual([]);
  });

  it('routes replace by (table, prefix, metric); deletes match protocol', async () => {
    const k = createFakeKernel();
    await k.replaceRoute({ table: 1000, prefix: '10.0.0.1/8', dev: 'lo', protocol: 4 });
    await k.replaceRoute({ table: 1000, prefix: '10.0.0.0/8', dev: 'lo', protocol: 186 });
    expect(await k.listRoutes({ table: 1000 })).toEqual([
      { table: 1000, prefix: '10.0.0.0/8', dev: 'lo', protocol: 186, family: 4 },
    ]);
    await k.deleteRoute({ table: 1000, prefix: '10.0.0.0/8', protocol: 4 });
    expect(await k.listRoutes()).toHaveLength(1);
    await k.deleteRoute({ table: 1000, prefix: '10.0.0.0/8', protocol: 186 });
    expect(await k.listRoutes()).toHaveLength(0);
  });

  it('rules, link state, injected failures and link events', async () => {
    const k = createFakeKernel();
    const rule = { family: 4 as const, priority: 100, table: 1000, src: '10.1.0.0/16' };
    await k.addRule(rule);
    await k.addRule(rule);
    expect(await k.listRules(4)).toEqual([rule]);
    await k.deleteRule(rule);
    expect(await k.listRules(4)).toEqual([]);

    const events: LinkEvent[] = [];
    const w = k.watchLinks((e) => events.push(e));
    await w.ready;
    k.addLink('Tunnel101', { mtu: 1400 });
    await k.setLinkUp('Tunnel101', true);
    k.setCarrier('Tunnel101', true);
    await k.setLinkMtu('Tunnel101', 1400); // no change, no event
    k.removeLink('Tunnel101');
    expect(events.map((e) => [e.type, e.link.up, e.link.running])).toEqual([
      ['added', false, false],
      ['changed', true, false],
      ['changed', true, true],
      ['removed', true, true],
    ]);
    w.close();

    k.failNext('replaceRoute', 101);
    const err = await k
      .replaceRoute({ table: 254, prefix: '10.0.0.0/8', dev: 'lo', protocol: 186 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).errnoName).toBe('ENETUNREACH');
    await k.replaceRoute({ table: 254, prefix: '10.0.0.0/8', dev: 'lo', protocol: 186 });
    expect(await k.getLink('lo')).toEqual({
      index: 1,
      name: 'lo',
      up: true,
      running: true,
      mtu: 65536,
      kind: null,
    });
  });
});
