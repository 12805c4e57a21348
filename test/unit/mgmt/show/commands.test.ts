import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { showInterfaces } from '../../../../src/mgmt/show/commands/interfaces.js';
import { showRunningConfig } from '../../../../src/mgmt/show/commands/running-config.js';
import { showVersion } from '../../../../src/mgmt/show/commands/version.js';
import { MemoryKernel } from '../../daemon/fake-kernel.js';
import { fakeContext } from './fake-context.js';

describe('show version', () => {
  it('collects process facts and renders the Catalyst-like header', async () => {
    const { ctx } = fakeContext();
    const dto = await showVersion.collect(ctx, []);
    expect(dto).toEqual({
      software: 'nvad',
      version: '0.1.0',
      nodeName: 'nva-10',
      hostname: hostname(),
      configFile: '/etc/nvad/nvad.yaml',
      pid: 4242,
      startedAt: '2026-01-02T03:04:05.000Z',
      uptimeSec: 93784,
      nodeVersion: process.version,
      opensslVersion: process.versions.openssl,
      platform: process.platform,
      arch: process.arch,
    });
    const text = showVersion.render(dto);
    expect(text.split('\n')[0]).toBe('nvad Software, Version 0.1.0');
    expect(text).toContain('nva-10 uptime is 1 day, 2 hours, 3 minutes\n');
    expect(text).toContain('Configuration file is "/etc/nvad/nvad.yaml"\n');
    expect(text).toContain(`Process ID 4242 on host ${hostname()}`);
    expect(text).toContain(`Node.js ${process.version}, OpenSSL ${process.versions.openssl}`);
  });
});

describe('show running-config', () => {
  it('serves the redacted YAML with a Catalyst-like preamble', async () => {
    const yaml = 'node:\n  name: nva-10\ntunnels:\n  - name: Tunnel101\n    psk: <redacted>\n';
    const { ctx } = fakeContext({ yaml });
    const dto = await showRunningConfig.collect(ctx, []);
    expect(dto).toEqual({
      configFile: '/etc/nvad/nvad.yaml',
      loadedAt: '2026-01-02T03:04:06.000Z',
      yaml,
    });
    const text = showRunningConfig.render(dto);
    expect(text).toBe(
      [
        'Building configuration...',
        '',
        `Current configuration : ${Buffer.byteLength(yaml)} bytes`,
        '# loaded from /etc/nvad/nvad.yaml at 2026-01-02T03:04:06.000Z',
        yaml,
      ].join('\n'),
    );
  });
});

describe('show interfaces', () => {
  function kernelWithTunnels(): MemoryKernel {
    const k = new MemoryKernel();
    k.addrs.push({ ifindex: 1, ifname: 'lo', family: 4, address: '169.254.21.1', prefixLen: 32 });
    k.addLink({ index: 7, name: 'Tunnel101', up: true, running: true, mtu: 1400, kind: 'tun' });
    k.addrs.push({
      ifindex: 7,
      ifname: 'Tunnel101',
      family: 4,
      address: '10.100.10.1',
      prefixLen: 32,
    });
    k.addLink({ index: 8, name: 'Tunnel102', up: true, running: false, mtu: 1400, kind: 'tun' });
    k.addLink({ index: 9, name: 'Tunnel103', up: false, running: false, mtu: 1400, kind: 'tun' });
    k.addLink({ index: 2, name: 'eth0', up: true, running: true, mtu: 1500, kind: null });
    return k;
  }

  it('lists lo and the managed interfaces (not others) with all addresses', async () => {
    const { ctx } = fakeContext({
      kernel: kernelWithTunnels(),
      managed: ['lo', 'Tunnel101', 'Tunnel102', 'Tunnel103'],
    });
    const dto = await showInterfaces.collect(ctx, []);
    expect(dto.interfaces.map((i) => i.name)).toEqual([
      'lo',
      'Tunnel101',
      'Tunnel102',
      'Tunnel103',
    ]);
    expect(dto.interfaces[0]).toEqual({
      name: 'lo',
      ifindex: 1,
      adminUp: true,
      operUp: true,
      mtu: 65536,
      kind: null,
      managed: true,
      addresses: [
        { address: '127.0.0.1', prefixLength: 8, family: 4 },
        { address: '169.254.21.1', prefixLength: 32, family: 4 },
        { address: '::1', prefixLength: 128, family: 6 },
      ],
    });
    expect(dto.interfaces[2]).toMatchObject({
      name: 'Tunnel102',
      adminUp: true,
      operUp: false,
      addresses: [],
    });
    expect(dto.interfaces[3]).toMatchObject({ name: 'Tunnel103', adminUp: false, operUp: false });
  });

  it('renders a show ip interface brief table', async () => {
    const { ctx } = fakeContext({
      kernel: kernelWithTunnels(),
      managed: ['lo', 'Tunnel101', 'Tunnel102', 'Tunnel103'],
    });
    const text = showInterfaces.render(await showInterfaces.collect(ctx, []));
    expect(text).toBe(
      [
        'Interface              IP-Address         Status                Protocol   MTU',
        'lo                     127.0.0.1/8        up                    up       65536',
        '                       169.254.21.1/32',
        '                       ::1/128',
        'Tunnel101              10.100.10.1/32     up                    up        1400',
        'Tunnel102              unassigned         up                    down      1400',
        'Tunnel103              unassigned         administratively down down      1400',
        '',
      ].join('\n'),
    );
  });
});
