/** Which gateway the lab runs, and what it says when packages are missing (it installs nothing). */
import { describe, expect, it } from 'vitest';
import {
  chooseGateway,
  labProblems,
  missingGatewayPackages,
  type HostFacts,
} from '../../../src/lab/prereqs.js';

const full: HostFacts = { uid: 0, which: (n) => `/usr/bin/${n}`, exists: () => true };
const noSwan: HostFacts = {
  uid: 0,
  which: (n) => (n === 'swanctl' || n === 'vtysh' ? undefined : `/usr/bin/${n}`),
  exists: (p) => !p.startsWith('/usr/lib/ipsec') && !p.startsWith('/usr/lib/frr'),
};

describe('lab prerequisites', () => {
  it('needs root, ip, iptables and ping, each with its package', () => {
    expect(labProblems({ uid: 1000, which: () => undefined, exists: () => false })).toEqual([
      'the lab creates network namespaces and must run as root (try: sudo nvad lab …)',
      'command "ip" not found: install it with "apt-get install iproute2"',
      'command "iptables" not found: install it with "apt-get install iptables"',
      'command "ping" not found: install it with "apt-get install iputils-ping"',
    ]);
    expect(labProblems(full)).toEqual([]);
  });

  it('lists the missing gateway packages once each', () => {
    expect(missingGatewayPackages(noSwan)).toEqual([
      'frr',
      'libcharon-extra-plugins',
      'libstrongswan-standard-plugins',
      'strongswan-charon',
      'strongswan-swanctl',
    ]);
    expect(missingGatewayPackages(full)).toEqual([]);
  });

  it('auto takes strongSwan + FRR when installed, else nvad and says how to get strongSwan', () => {
    expect(chooseGateway('auto', full)).toMatchObject({ kind: 'strongswan' });
    const d = chooseGateway('auto', noSwan);
    expect(d).toMatchObject({ kind: 'nvad' });
    expect('note' in d && d.note).toContain('apt-get install frr libcharon-extra-plugins');
  });

  it('strongswan fails with the packages and the apt-get command; nvad always works', () => {
    const d = chooseGateway('strongswan', noSwan);
    expect('error' in d && d.error).toMatch(
      /not installed: frr, .*strongswan-swanctl; install them with "apt-get install frr /,
    );
    expect(chooseGateway('nvad', noSwan)).toMatchObject({ kind: 'nvad' });
    expect(chooseGateway('nvad', full)).toMatchObject({ kind: 'nvad' });
  });
});
