/** The RIB alone: selection by distance, ECMP sets, recursive resolution, the show view. */
import { describe, expect, it } from 'vitest';
import { AdminDistance, Rib, formatRouteTable } from '../../../src/routing/index.js';

function rib(): { rib: Rib; t: { now: number } } {
  const t = { now: 0 };
  return { rib: new Rib(() => t.now), t };
}

const tun = (tunnel: string) => ({ kind: 'tunnel', tunnel }) as const;
const gw = (address: string) => ({ kind: 'gateway', address }) as const;

describe('Rib selection', () => {
  it('picks the lowest distance source with a usable next hop', () => {
    const { rib: r } = rib();
    r.set('static', 'default', '10.0.0.0/16', { nexthops: [tun('T1')], distance: 1 });
    r.set('bgp', 'default', '10.0.0.0/16', { nexthops: [tun('T2')], distance: AdminDistance.ebgp });
    expect(r.compute().size).toBe(0); // both tunnels down (unknown = down)
    r.setTunnelState('T2', true);
    expect(r.compute().get('default|10.0.0.0/16')?.source).toBe('bgp');
    r.setTunnelState('T1', true);
    const sel = r.compute().get('default|10.0.0.0/16');
    expect(sel?.source).toBe('static');
    expect(sel?.usable.map((n) => n.dev)).toEqual(['T1']);
  });

  it('keeps the full ECMP candidate set and the usable subset apart', () => {
    const { rib: r } = rib();
    r.set('bgp', 'default', '10.1.0.0/16', { nexthops: [tun('T2'), tun('T1')], distance: 20 });
    r.setTunnelState('T1', true);
    const sel = r.compute().get('default|10.1.0.0/16');
    expect(sel?.candidates.map((n) => n.key)).toEqual(['dev|4|T1', 'dev|4|T2']);
    expect(sel?.usable.map((n) => n.key)).toEqual(['dev|4|T1']);
  });

  it('canonicalises prefixes (host bits cleared, RFC 5952) and reports changes only', () => {
    const { rib: r } = rib();
    expect(
      r.set('static', 'default', '2001:DB8:0:0::1/48', { nexthops: [tun('T1')], distance: 1 }),
    ).toBe(true);
    expect(
      r.set('static', 'default', '2001:db8::/48', { nexthops: [tun('T1')], distance: 1 }),
    ).toBe(false);
    expect([...r.compute().keys()]).toEqual([]);
    r.setTunnelState('T1', true);
    expect([...r.compute().keys()]).toEqual(['default|2001:db8::/48']);
    expect(r.compute().get('default|2001:db8::/48')?.usable[0]?.family).toBe(6);
    expect(() => r.set('static', 'default', '10.0.0.0/33', { nexthops: [], distance: 1 })).toThrow(
      TypeError,
    );
  });

  it('does not loop on a gateway covered only by its own route', () => {
    const { rib: r } = rib();
    r.set('static', 'default', '10.0.0.0/8', { nexthops: [gw('10.1.1.1')], distance: 1 });
    r.set('static', 'default', '10.2.0.0/16', { nexthops: [gw('10.3.0.1')], distance: 1 });
    r.set('static', 'default', '10.3.0.0/16', { nexthops: [gw('10.2.0.1')], distance: 1 });
    expect(r.compute().size).toBe(0);
    expect(r.view().every((v) => v.reason === 'unresolved next hop')).toBe(true);
  });

  it('never resolves a gateway through the route it belongs to, whatever the order', () => {
    for (const order of [0, 1]) {
      const { rib: r } = rib();
      const a = () =>
        r.set('static', 'default', '10.0.0.0/8', { nexthops: [gw('10.1.1.1')], distance: 1 });
      const b = () =>
        r.set('static', 'default', '192.168.0.0/16', { nexthops: [gw('10.1.1.1')], distance: 1 });
      if (order === 0) {
        a();
        b();
      } else {
        b();
        a();
      }
      r.set('static', 'default', '10.1.0.0/16', { nexthops: [tun('T1')], distance: 1 });
      r.setTunnelState('T1', true);
      expect([...r.compute().keys()].sort()).toEqual([
        'default|10.0.0.0/8',
        'default|10.1.0.0/16',
        'default|192.168.0.0/16',
      ]);
      r.set('static', 'default', '10.1.0.0/16', null);
      expect([...r.compute().keys()]).toEqual([]);
    }
  });

  it('keeps a recursive route’s candidate set when the tunnel under it goes down', () => {
    const { rib: r } = rib();
    r.set('static', 'default', '169.254.21.2/32', { nexthops: [tun('T1')], distance: 1 });
    r.set('static', 'default', '169.254.21.6/32', { nexthops: [tun('T2')], distance: 1 });
    r.set('bgp', 'default', '10.9.0.0/16', {
      nexthops: [gw('169.254.21.2'), gw('169.254.21.6')],
      distance: 20,
    });
    r.setTunnelState('T1', true);
    r.setTunnelState('T2', true);
    const before = r.compute().get('default|10.9.0.0/16');
    r.setTunnelState('T2', false);
    const after = r.compute().get('default|10.9.0.0/16');
    expect(after?.candidates).toEqual(before?.candidates);
    expect(after?.usable.map((n) => n.dev)).toEqual(['T1']);
  });

  it('keeps contexts apart', () => {
    const { rib: r } = rib();
    r.set('connected', 'one', '10.100.0.0/30', { nexthops: [tun('T1')], distance: 0 });
    r.set('static', 'two', '10.9.0.0/16', { nexthops: [gw('10.100.0.2')], distance: 1 });
    r.set('static', 'one', '10.9.0.0/16', { nexthops: [gw('10.100.0.2')], distance: 1 });
    r.setTunnelState('T1', true);
    expect([...r.compute().keys()]).toEqual(['one|10.9.0.0/16']);
  });
});

describe('Rib view and show', () => {
  it('gives Catalyst codes, [distance/metric], next hops and age', () => {
    const { rib: r, t } = rib();
    r.set('connected', 'default', '169.254.21.0/30', { nexthops: [tun('Tunnel101')], distance: 0 });
    r.set('static', 'default', '10.1.0.0/24', {
      nexthops: [tun('Tunnel101'), tun('Tunnel102')],
      distance: 1,
    });
    t.now = 5000;
    r.set('bgp', 'default', '10.2.0.0/16', {
      nexthops: [gw('169.254.21.2')],
      distance: 20,
      metric: 0,
      attrs: { asPath: '65515', from: '169.254.21.2' },
    });
    r.setTunnelState('Tunnel101', true);
    t.now = 3_725_000;
    const rows = r.view();
    expect(
      rows.map((v) => `${v.code} ${v.prefix} [${v.distance}/${v.metric}] ${v.selected}`),
    ).toEqual([
      'S 10.1.0.0/24 [1/0] true',
      'B 10.2.0.0/16 [20/0] true',
      'C 169.254.21.0/30 [0/0] true',
    ]);
    const b = rows.find((v) => v.code === 'B');
    expect(b?.ageMs).toBe(3_720_000);
    expect(b?.attrs).toEqual({ asPath: '65515', from: '169.254.21.2' });
    expect(rows[0]?.nexthops).toEqual([
      { via: undefined, interface: 'Tunnel101', usable: true },
      { via: undefined, interface: 'Tunnel102', usable: false },
    ]);
    expect(formatRouteTable(rows).split('\n')).toEqual([
      'Codes: C - connected, S - static, B - BGP',
      '       * - candidate default, (!) - no usable next hop',
      '',
      'S   10.1.0.0/24 [1/0] is directly connected, Tunnel101',
      '                [1/0] is directly connected, Tunnel102 (!)',
      'B   10.2.0.0/16 [20/0] via 169.254.21.2, 01:02:00, Tunnel101',
      'C   169.254.21.0/30 is directly connected, Tunnel101',
      '',
    ]);
  });
});
