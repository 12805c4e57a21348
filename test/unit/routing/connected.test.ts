/** `redistribute connected`: which prefixes of the routing table count (src/routing/connected.ts). */
import { describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, type Prefix } from '../../../src/lib/ip/prefix.js';
import {
  globalConnectedPrefixes,
  redistributableConnected,
  Rib,
} from '../../../src/routing/index.js';

function p(s: string): Prefix {
  const x = parsePrefix(s);
  if (!x) throw new Error(s);
  return x;
}

describe('redistribute connected', () => {
  it('never takes host-internal or link-local prefixes', () => {
    expect(redistributableConnected(p('169.254.21.1/32'))).toBe(true);
    expect(redistributableConnected(p('10.0.0.0/8'))).toBe(true);
    expect(redistributableConnected(p('2001:db8::/64'))).toBe(true);
    expect(redistributableConnected(p('127.0.0.1/32'))).toBe(false);
    expect(redistributableConnected(p('fe80::/64'))).toBe(false);
    expect(redistributableConnected(p('::1/128'))).toBe(false);
  });

  it('takes loopbacks, up tunnels and interfaces of the global table, nothing of a context', () => {
    const rib = new Rib(() => 0);
    const connected = (ctx: string, prefix: string, tunnel?: string): void => {
      rib.set('connected', ctx, prefix, {
        nexthops: [
          tunnel !== undefined ? { kind: 'tunnel', tunnel } : { kind: 'interface', ifname: 'eth1' },
        ],
        distance: 0,
      });
    };
    connected('default', '10.99.3.0/30', 'Tunnel3');
    connected('default', '10.99.5.0/30', 'Tunnel5');
    connected('red', '10.99.4.0/30', 'Tunnel4');
    connected('default', '10.77.0.0/24');
    connected('default', 'fe80::/64');
    rib.set('static', 'default', '10.50.0.0/16', {
      nexthops: [{ kind: 'tunnel', tunnel: 'Tunnel3' }],
      distance: 1,
    });
    for (const t of ['Tunnel3', 'Tunnel4']) rib.setTunnelState(t, true);
    const got = globalConnectedPrefixes(['169.254.21.1/32', '127.0.0.2/32'], rib.view());
    expect(got.map(formatPrefix).sort()).toEqual([
      '10.77.0.0/24',
      '10.99.3.0/30',
      '169.254.21.1/32',
    ]);
  });
});
