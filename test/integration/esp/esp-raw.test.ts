/**
 * ESP as IP protocol 50 (`udp-encap: false`, the manual-SA default) between two real daemons, A
 * behind the 1:1 NAT router (iptables NATs protocol 50 like any other IP protocol): IPv4 and IPv6
 * pings through the tunnel, counted in `show crypto ipsec sa --json` without UDP encapsulation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EspLab } from './esp-lab.js';

describe('raw ESP (protocol 50) between two nvad daemons', () => {
  let lab: EspLab | undefined;

  beforeAll(async () => {
    lab = await EspLab.start({
      prefix: `nvr${process.pid % 100000}`,
      suite: 'gcm',
      udpEncap: false,
    });
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('pings through the tunnel and counts without UDP encapsulation', () => {
    const l = lab!;
    expect(l.exec(l.nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.31.0.2'])).toMatch(
      /3 received/,
    );
    expect(
      l.exec(l.hostB, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd00:50::2']),
    ).toMatch(/2 received/);
    const a = l.showSa(l.nsA).tunnels[0];
    const b = l.showSa(l.nsB).tunnels[0];
    expect(a?.peerPort).toBeNull();
    expect(a?.inboundEspSas[0]?.inUseSettings).toEqual(['Tunnel']);
    expect(a?.pktsEncaps).toBeGreaterThanOrEqual(5);
    expect(b?.pktsDecaps).toBeGreaterThanOrEqual(5);
    expect(b?.currentPeer).toBe('203.0.113.2');
    expect(l.showText(l.nsA, ['crypto', 'ipsec', 'sa'])).toContain(
      '   current_peer 198.51.100.2\n',
    );
  });
});
