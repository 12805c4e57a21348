/**
 * The tunnels component with the real native data path (UDP 4500 on 127.0.0.1 / 127.0.0.2, no
 * root needed), TUN devices replaced by datagram socket pairs (TunDevice.socketPairForTests) and
 * the in-memory kernel (src/kernel/fake.ts) recording links, addresses and routes.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { diffConfig, loadConfigText, type Config } from '../../../src/config/index.js';
import { TunnelsComponent } from '../../../src/daemon/tunnels.js';
import type { ChildSaParams } from '../../../src/ike/ports.js';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/index.js';
import { silentLogger } from '../../../src/lib/log.js';
import { Routing } from '../../../src/routing/index.js';
import { showCryptoIpsecSa } from '../../../src/mgmt/show/commands/crypto-ipsec-sa.js';
import { ViewRegistry } from '../../../src/mgmt/show/context.js';
import { TunDevice } from '../../../src/tunnel/tun-device.js';
import type { TunLike } from '../../../src/tunnel/tunnel-interface.js';
import { FakeClock } from '../../support/fake-clock.js';
import { fakeContext } from '../mgmt/show/fake-context.js';
import { ipv4 } from './packets.js';

const KEY_AB = '11'.repeat(36);
const KEY_BA = '22'.repeat(36);

function yaml(side: 'a' | 'b', extra = ''): string {
  const me = side === 'a' ? '127.0.0.1' : '127.0.0.2';
  const peer = side === 'a' ? '127.0.0.2' : '127.0.0.1';
  const [spiIn, spiOut] = side === 'a' ? [0x2001, 0x1001] : [0x1001, 0x2001];
  const [kin, kout] = side === 'a' ? [KEY_BA, KEY_AB] : [KEY_AB, KEY_BA];
  return `node: { name: unit-${side} }
${CRYPTO}underlay: { local-address: ${me} }
tunnels:
  - name: Tunnel1
    peer: ${peer}
    address: 172.31.0.${side === 'a' ? 1 : 2}/30
    mtu: 1400
    manual-sa:
      spi-in: ${spiIn}
      spi-out: ${spiOut}
      encryption: aes-gcm-256
      key-in: "${kin}"
      key-out: "${kout}"
      udp-encap: true
${extra}static-routes:
  - { prefix: 10.9.0.0/16, via: Tunnel1 }
api: { listen: 127.0.0.1:9180 }
`;
}

const IKE_TUNNEL = `  - name: Tunnel2
    peer: 127.0.0.9
    psk: not-used-here
    address: 172.31.1.1/30
    ike-policy: p1
    ipsec-policy: p1
`;

const CRYPTO = `crypto:
  ike-policies:
    p1:
      proposals:
        - { encryption: [aes-gcm-256], prf: [sha256], dh-group: [ecp256] }
  ipsec-policies:
    p1:
      proposals:
        - { encryption: [aes-gcm-256] }
`;

function load(text: string): Config {
  const r = loadConfigText(text, 'unit.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r.config;
}

interface Side {
  readonly comp: TunnelsComponent;
  readonly kernel: FakeKernel;
  readonly peers: Map<string, TunDevice>;
}

const running: TunnelsComponent[] = [];

function side(clock: FakeClock, withRouting = false): Side {
  const kernel = createFakeKernel();
  const peers = new Map<string, TunDevice>();
  const openTun = (name: string): TunLike => {
    const { device, peer } = TunDevice.socketPairForTests(name);
    kernel.addLink(name, { kind: 'tun', up: false, running: true, mtu: 1500 });
    peers.set(name, peer);
    return {
      name,
      fd: device.fd,
      vnetHdr: false,
      setMtu: (mtu) => {
        device.setMtu(mtu);
      },
      close: () => {
        device.close();
        peer.close();
        kernel.removeLink(name);
      },
    };
  };
  const routing = withRouting
    ? new Routing({ kernel, logger: silentLogger(), clock, importInterfaceRoutes: false })
    : undefined;
  const comp = new TunnelsComponent({
    kernel,
    logger: silentLogger(),
    clock,
    openTun,
    ...(routing !== undefined ? { routing } : {}),
  });
  running.push(comp);
  return { comp, kernel, peers };
}

async function readPacket(peer: TunDevice, timeoutMs = 2000): Promise<Buffer> {
  const buf = Buffer.alloc(2048);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = peer.read(buf);
    if (n > 0) return Buffer.from(buf.subarray(0, n));
    if (Date.now() > deadline) throw new Error('no packet');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function linkUp(k: FakeKernel, name: string): Promise<boolean | undefined> {
  return k.getLink(name).then((l) => l?.up);
}

afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

describe('TunnelsComponent', () => {
  it('creates the TUN with MTU and address, brings it up with the manual SA and routes into it', async () => {
    const a = side(new FakeClock());
    await a.comp.start(load(yaml('a')));
    await a.comp.settled();
    const link = await a.kernel.getLink('Tunnel1');
    expect(link?.mtu).toBe(1400);
    expect(link?.up).toBe(true);
    expect(
      (await a.kernel.listAddresses('Tunnel1')).map((x) => `${x.address}/${x.prefixLen}`),
    ).toEqual(['172.31.0.1/30']);
    const routes = await a.kernel.listRoutes({ protocol: 4 });
    expect(routes.map((r) => [r.prefix, r.dev, r.table])).toEqual([
      ['10.9.0.0/16', 'Tunnel1', 254],
    ]);
    expect(a.comp.interfaces()).toEqual(['Tunnel1']);
    expect(a.comp.status()).toEqual({
      name: 'tunnels',
      state: 'running',
      detail: '1 tunnel, 1 up',
    });
  });

  it('carries an inner packet A -> B through the native data path and counts it in show', async () => {
    const clock = new FakeClock();
    const a = side(clock);
    const b = side(clock);
    await a.comp.start(load(yaml('a')));
    await b.comp.start(load(yaml('b')));
    const pkt = ipv4(17, Buffer.from('0035003500100000deadbeefcafebabe', 'hex'));
    a.peers.get('Tunnel1')?.write(pkt);
    const got = await readPacket(b.peers.get('Tunnel1')!);
    expect(got.equals(pkt)).toBe(true);

    const views = new ViewRegistry();
    b.comp.publishViews(views);
    const { ctx } = fakeContext();
    const dto = await showCryptoIpsecSa.collect({ ...ctx, view: (k) => views.get(k) }, []);
    const t = dto.tunnels[0];
    expect(t?.pktsDecaps).toBe(1);
    expect(t?.bytesDecaps).toBe(pkt.length);
    expect(t?.currentOutboundSpi).toBe(0x2001);
    expect(t?.inboundEspSas.map((s) => [s.spi, s.transform, s.inUseSettings])).toEqual([
      [0x1001, 'esp-gcm 256', ['Tunnel', 'UDP-Encaps']],
    ]);
    expect(t?.peerPort).toBe(4500);
    const text = showCryptoIpsecSa.render(dto);
    expect(text).toContain('interface: Tunnel1');
    expect(text).toContain('#pkts decaps: 1, #pkts decrypt: 1, #pkts verify: 1');
    expect(text).toContain('current outbound spi: 0x00002001(8193)');
    expect(text + JSON.stringify(dto)).not.toContain(KEY_AB);

    const registry = new Registry();
    b.comp.registerMetrics(registry);
    const metrics = await registry.metrics();
    expect(metrics).toContain('nvad_tunnel_packets_total{tunnel="Tunnel1",direction="in"} 1');
    expect(metrics).toContain('nvad_tunnel_up{tunnel="Tunnel1"} 1');
  });

  it('keeps an IKE tunnel down until IKE installs an outbound SA, and down again after delete', async () => {
    const clock = new FakeClock();
    const a = side(clock);
    await a.comp.start(load(yaml('a').replace('static-routes:', `${IKE_TUNNEL}static-routes:`)));
    await a.comp.settled();
    expect(await linkUp(a.kernel, 'Tunnel2')).toBe(false);
    expect(a.comp.status().detail).toBe('2 tunnels, 1 up');
    const ike = a.comp.installer();
    const sa = (spi: number): ChildSaParams => ({
      spi,
      encryption: 'aes-gcm-256',
      integrity: null,
      encKey: Buffer.alloc(36, 7),
      integKey: null,
      esn: false,
      replayWindow: 64,
      lifetime: { softSec: null, hardSec: 3600, softKb: null, hardKb: null },
    });
    const path = {
      local: { address: '127.0.0.1', port: 4500 },
      remote: { address: '127.0.0.9', port: 4500 },
      udpEncap: true,
    };
    ike.addInbound('Tunnel2', sa(0xc0000001), path);
    ike.setOutbound('Tunnel2', sa(0xd0000001), path);
    await a.comp.settled();
    expect(await linkUp(a.kernel, 'Tunnel2')).toBe(true);
    clock.advance(600_000);
    const views = new ViewRegistry();
    a.comp.publishViews(views);
    const { ctx } = fakeContext();
    const dto = await showCryptoIpsecSa.collect({ ...ctx, view: (k) => views.get(k) }, []);
    const t2 = dto.tunnels.find((t) => t.interface === 'Tunnel2');
    expect(t2?.outboundEspSas[0]?.remainingSec).toBe(3000);
    ike.delete('Tunnel2', 0xd0000001, 'out');
    await a.comp.settled();
    expect(await linkUp(a.kernel, 'Tunnel2')).toBe(false);
  });

  it('follows the hard lifetime: the tunnel goes down and its static route is withdrawn', async () => {
    const clock = new FakeClock();
    const a = side(clock);
    const cfg = load(
      yaml('a')
        .replace(
          '  - { prefix: 10.9.0.0/16, via: Tunnel1 }',
          '  - { prefix: 10.8.0.0/16, via: Tunnel2 }',
        )
        .replace('static-routes:', `${IKE_TUNNEL}static-routes:`),
    );
    await a.comp.start(cfg);
    const ike = a.comp.installer();
    const params: ChildSaParams = {
      spi: 0xd0000002,
      encryption: 'aes-gcm-256',
      integrity: null,
      encKey: Buffer.alloc(36, 9),
      integKey: null,
      esn: false,
      replayWindow: 64,
      lifetime: { softSec: null, hardSec: 10, softKb: null, hardKb: null },
    };
    ike.setOutbound('Tunnel2', params, {
      local: { address: '127.0.0.1', port: 4500 },
      remote: { address: '127.0.0.9', port: 4500 },
      udpEncap: true,
    });
    await a.comp.settled();
    expect((await a.kernel.listRoutes({ protocol: 4 })).map((r) => r.dev)).toEqual(['Tunnel2']);
    clock.advance(10_000);
    await a.comp.settled();
    expect(await linkUp(a.kernel, 'Tunnel2')).toBe(false);
    expect(await a.kernel.listRoutes({ protocol: 4 })).toEqual([]);
  });

  it('applies a reload to added and removed tunnels only, and stop removes everything', async () => {
    const a = side(new FakeClock());
    const first = load(yaml('a'));
    await a.comp.start(first);
    const idx = (await a.kernel.getLink('Tunnel1'))?.index;
    const second = load(yaml('a').replace('static-routes:', `${IKE_TUNNEL}static-routes:`));
    await a.comp.apply(diffConfig(first, second), second);
    expect((await a.kernel.getLink('Tunnel1'))?.index).toBe(idx);
    expect(await a.kernel.getLink('Tunnel2')).not.toBeNull();
    const third = load(yaml('a').replace('mtu: 1400', 'mtu: 1300'));
    await a.comp.apply(diffConfig(second, third), third);
    await a.comp.settled();
    expect(await a.kernel.getLink('Tunnel2')).toBeNull();
    expect((await a.kernel.getLink('Tunnel1'))?.mtu).toBe(1300);
    expect(await linkUp(a.kernel, 'Tunnel1')).toBe(true);
    await a.comp.stop();
    expect(await a.kernel.getLink('Tunnel1')).toBeNull();
    expect(await a.kernel.listRoutes({ protocol: 4 })).toEqual([]);
    expect(a.comp.status().state).toBe('stopped');
  });

  it('keeps a tunnel whose local address cannot be bound down without failing the others', async () => {
    const a = side(new FakeClock());
    const text = yaml('a').replace(
      'static-routes:',
      `${IKE_TUNNEL}    local-address: 192.0.2.77\nstatic-routes:`,
    );
    await a.comp.start(load(text));
    await a.comp.settled();
    expect(await linkUp(a.kernel, 'Tunnel1')).toBe(true);
    expect(await linkUp(a.kernel, 'Tunnel2')).toBe(false);
    const st = a.comp.status();
    expect(st.state).toBe('degraded');
    expect(st.detail).toMatch(/^2 tunnels, 1 up; Tunnel2: .*192\.0\.2\.77:4500/);
    expect(a.comp.interfaces()).toEqual(['Tunnel1', 'Tunnel2']);
  });

  it('hands static routes and line protocol to the routing module when given one', async () => {
    const clock = new FakeClock();
    const a = side(clock, true);
    await a.comp.start(load(yaml('a').replace('static-routes:', `${IKE_TUNNEL}static-routes:`)));
    await a.comp.settled();
    const route = (await a.kernel.listRoutes({ table: 254 })).find(
      (r) => r.prefix === '10.9.0.0/16',
    );
    expect(route?.nexthopId).toBeDefined();
    const nh = (await a.kernel.listNexthops()).find((n) => n.id === route?.nexthopId);
    expect(nh?.dev).toBe('Tunnel1');
    // The line protocol reaches the routing module: Tunnel1 going down withdraws its route.
    a.comp.installer().delete('Tunnel1', 0x1001, 'out');
    await a.comp.settled();
    expect(
      (await a.kernel.listRoutes({ table: 254 })).some((r) => r.prefix === '10.9.0.0/16'),
    ).toBe(false);
    await a.comp.stop();
    expect(await a.kernel.listRoutes({ table: 254 })).toEqual([]);
    expect(await a.kernel.listNexthops()).toEqual([]);
  });
});
