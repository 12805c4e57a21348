/**
 * Real kernel, real addon: addresses on lo (IPv4 + IPv6), veth admin state and MTU, link watch.
 * `ip -j` inside the same namespace is the independent oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCallError, Netns } from './netns.js';

interface IpAddrJson {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpLinkJson {
  ifname: string;
  mtu: number;
  flags: string[];
  operstate: string;
}

const ns = new Netns('al');

beforeAll(async () => {
  ns.create();
  ns.ip('link', 'add', 'nva0', 'type', 'veth', 'peer', 'name', 'nva1');
  await ns.start();
});

afterAll(async () => {
  try {
    await ns.stop();
  } finally {
    ns.destroy();
  }
});

function loAddrs(): string[] {
  const [lo] = ns.ipJson<IpAddrJson[]>('addr', 'show', 'dev', 'lo');
  return (lo?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort();
}

describe('addresses', () => {
  it('adds IPv4 and IPv6 addresses on lo, idempotently', async () => {
    await ns.call('addAddress', 'lo', '169.254.21.1/32');
    await ns.call('addAddress', 'lo', '169.254.21.1/32');
    await ns.call('addAddress', 'lo', '2001:db8:21::1/128');
    await ns.call('addAddress', 'lo', '2001:db8:21::1/128');
    expect(loAddrs()).toEqual(['127.0.0.1/8', '169.254.21.1/32', '2001:db8:21::1/128', '::1/128']);
    // IPv6 is added without DAD, so it is usable (not tentative) at once.
    const [lo] = ns.ipJson<{ addr_info: { local: string; tentative?: boolean }[] }[]>(
      'addr',
      'show',
      'dev',
      'lo',
    );
    expect(lo?.addr_info.find((a) => a.local === '2001:db8:21::1')?.tentative).toBeUndefined();
  });

  it('lists what ip lists', async () => {
    const ours = await ns.call<
      { ifname: string; address: string; prefixLen: number; family: number }[]
    >('listAddresses', 'lo');
    expect(ours.map((a) => `${a.address}/${a.prefixLen}`).sort()).toEqual(loAddrs());
    expect(ours.every((a) => a.ifname === 'lo')).toBe(true);
    const all = await ns.call<{ ifname: string }[]>('listAddresses');
    expect(all.length).toBeGreaterThanOrEqual(ours.length);
  });

  it('deletes idempotently', async () => {
    await ns.call('deleteAddress', 'lo', '169.254.21.1/32');
    await ns.call('deleteAddress', 'lo', '169.254.21.1/32');
    await ns.call('deleteAddress', 'lo', '2001:db8:21::1/128');
    await ns.call('deleteAddress', 'lo', '2001:db8:21::1/128');
    await ns.call('deleteAddress', 'nosuch0', '10.0.0.1/32');
    expect(loAddrs()).toEqual(['127.0.0.1/8', '::1/128']);
  });

  it('reports errors with the operation and the errno text', async () => {
    const e = await ns.call('addAddress', 'nosuch0', '10.0.0.1/32').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgentCallError);
    expect((e as AgentCallError).message).toBe(
      'add address 10.0.0.1/32 on nosuch0: No such device',
    );
    const bad = await ns.call('addAddress', 'lo', '10.0.0.1/40').catch((x: unknown) => x);
    expect((bad as AgentCallError).errno).toBe(22);
  });
});

describe('links', () => {
  it('sets a veth up and its MTU', async () => {
    await ns.call('setLinkUp', 'nva0', true);
    await ns.call('setLinkUp', 'nva1', true);
    await ns.call('setLinkMtu', 'nva0', 1400);
    const [l] = ns.ipJson<IpLinkJson[]>('link', 'show', 'dev', 'nva0');
    expect(l?.mtu).toBe(1400);
    expect(l?.flags).toContain('UP');
    const info = await ns.call<{
      up: boolean;
      running: boolean;
      mtu: number;
      kind: string;
      index: number;
    }>('getLink', 'nva0');
    expect(info).toMatchObject({ up: true, running: true, mtu: 1400, kind: 'veth' });
    expect(await ns.call('getLink', 'nosuch0')).toBeNull();
    const e = await ns.call('setLinkMtu', 'nva0', 10).catch((x: unknown) => x);
    expect((e as AgentCallError).message).toMatch(/^set mtu 10 on nva0: Invalid argument/);
  });

  it('lists links like ip link', async () => {
    const ours = await ns.call<{ name: string; mtu: number; up: boolean }[]>('listLinks');
    const theirs = ns.ipJson<IpLinkJson[]>('link', 'show');
    expect(ours.map((l) => `${l.name}:${l.mtu}:${l.up}`).sort()).toEqual(
      theirs.map((l) => `${l.ifname}:${l.mtu}:${l.flags.includes('UP')}`).sort(),
    );
  });

  it('the link watch sees a veth going down (admin) and its peer losing carrier', async () => {
    await ns.call('watchLinks');
    ns.ip('link', 'set', 'nva1', 'down');
    const own = await ns.waitEvent((e) => e.link.name === 'nva1' && !e.link.up);
    expect(own.type).toBe('changed');
    expect(own.previous?.up).toBe(true);
    const peer = await ns.waitEvent((e) => e.link.name === 'nva0' && !e.link.running);
    expect(peer.link.up).toBe(true);
    expect(peer.previous?.running).toBe(true);
    ns.ip('link', 'set', 'nva1', 'up');
    await ns.waitEvent(
      (e) => e.link.name === 'nva0' && e.link.running && e.previous?.running === false,
    );
    ns.ip('link', 'add', 'nvb0', 'type', 'veth', 'peer', 'name', 'nvb1');
    await ns.waitEvent((e) => e.type === 'added' && e.link.name === 'nvb0');
    ns.ip('link', 'del', 'nvb0');
    await ns.waitEvent((e) => e.type === 'removed' && e.link.name === 'nvb0');
  });
});
