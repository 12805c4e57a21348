/**
 * The IKE daemon component: two components (A initiates, B answers) over FakeNet with recording
 * installers standing in for the tunnels component's data path. Start configures PSK tunnels only
 * and binds port 500; the SA comes up; stop sends an IKE Delete; reloads add and remove tunnels;
 * a dead peer takes the outbound SA away at once; the show view and metrics reflect it all.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Config, TunnelConfig } from '../../../src/config/index.js';
import { Secret } from '../../../src/config/index.js';
import type { ConfigDiff } from '../../../src/config/index.js';
import {
  IkeComponent,
  type IkeComponentOptions,
  type IkeTunnelsPort,
} from '../../../src/daemon/ike.js';
import type { LinkEvent, LinkInfo } from '../../../src/kernel/index.js';
import type { Endpoint } from '../../../src/ike/ports.js';
import { silentLogger } from '../../../src/lib/log.js';
import { DetRng } from '../../support/det-rng.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeNet } from '../../support/fake-net.js';
import { RecordingInstaller } from '../../support/recording-installer.js';
import { testConfig } from './config-fixture.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const PSK = 'unit-test-psk-0123456789';

function tunnel(name: string, me: string, peer: string, over: Partial<TunnelConfig> = {}) {
  const t: TunnelConfig = {
    name,
    localAddress: me,
    publicAddress: me,
    peer,
    psk: new Secret(PSK),
    ikePolicy: 'ike',
    ipsecPolicy: 'esp',
    azurePolicy: null,
    address: undefined,
    ipv6: false,
    mtu: 1400,
    tcpMss: undefined,
    dpd: { intervalSec: 10, retries: 2, mode: 'periodic' },
    initiate: false,
    routingContext: undefined,
    localId: { type: 'ipv4', value: me },
    remoteId: { type: 'ipv4', value: peer },
    natKeepaliveSec: 20,
    manualSa: undefined,
    ...over,
  };
  return t;
}

function config(tunnels: TunnelConfig[]): Config {
  const base = testConfig();
  return {
    ...base,
    crypto: {
      ikePolicies: {
        ike: {
          name: 'ike',
          lifetimeSec: 28800,
          proposals: [
            { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
          ],
        },
      },
      ipsecPolicies: {
        esp: {
          name: 'esp',
          lifetimeSec: 27000,
          lifetimeKilobytes: 102400000,
          replayWindow: 1024,
          esn: false,
          proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null }],
        },
      },
      azurePolicies: {},
    },
    tunnels,
  };
}

function diff(over: { added?: string[]; removed?: string[]; changed?: string[] }): ConfigDiff {
  return {
    node: false,
    underlay: false,
    loopbacks: { added: [], removed: [] },
    tunnels: { added: over.added ?? [], removed: over.removed ?? [], changed: over.changed ?? [] },
    staticRoutes: { added: [], removed: [] },
    routingContexts: { added: [], removed: [], changed: [] },
    bgp: {
      added: false,
      removed: false,
      global: false,
      policy: false,
      neighbors: { added: [], removed: [], changed: [] },
    },
    api: false,
  } as unknown as ConfigDiff;
}

interface Side {
  readonly comp: IkeComponent;
  readonly installer: RecordingInstaller;
  readonly sockets: Endpoint[];
}

function side(
  clock: FakeClock,
  net: FakeNet,
  me: string,
  seed: string,
  extra: Partial<IkeComponentOptions> = {},
): Side {
  const installer = new RecordingInstaller();
  const transport = net.transport(me);
  const sockets: Endpoint[] = [];
  const port: IkeTunnelsPort = {
    installer: () => ({
      addInbound: (t, sa, p) => {
        installer.addInbound(t, sa, p);
      },
      setOutbound: (t, sa, p) => {
        installer.setOutbound(t, sa, p);
      },
      delete: (t, spi, d) => {
        installer.delete(t, spi, d);
      },
      updatePath: (t, p) => {
        installer.updatePath(t, p);
      },
      counters: (t, spi, d) => installer.counters(t, spi, d),
      onEvent: (l) => {
        installer.onEvent(l);
      },
      send: (data, from, to) => {
        transport.send(data, from, to);
      },
      sendKeepalive: (from, to) => {
        transport.sendKeepalive(from, to);
      },
      onReceive: (l) => {
        transport.onReceive(l);
      },
      addSocket: (local) => {
        sockets.push(local);
        return local;
      },
    }),
    isUp: (name) => installer.outbound(name) !== null,
  };
  const comp = new IkeComponent({
    tunnels: port,
    logger: silentLogger(),
    clock,
    rng: new DetRng(seed),
    stopGraceMs: 500,
    ...extra,
  });
  return { comp, installer, sockets };
}

function setup(extraA: Partial<IkeComponentOptions> = {}) {
  const clock = new FakeClock();
  const net = new FakeNet();
  const a = side(clock, net, A, 'a', extraA);
  const b = side(clock, net, B, 'b');
  const run = (ms = 0, step = 100): void => {
    net.flush();
    for (let t = 0; t < ms; t += step) {
      clock.advance(step);
      net.flush();
    }
  };
  return { clock, net, a, b, run };
}

describe('IkeComponent', () => {
  it('configures PSK tunnels only, binds IKE port 500 once per address and comes up', async () => {
    const { a, b, run } = setup();
    const manual = tunnel('Tunnel9', A, '10.0.0.9', {
      psk: null,
      ikePolicy: null,
      ipsecPolicy: null,
      manualSa: {} as TunnelConfig['manualSa'],
    });
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true }), manual]));
    expect(a.sockets).toEqual([{ address: A, port: 500 }]);
    expect(a.comp.manager?.tunnelNames).toEqual(['Tunnel1']);
    run();
    const sas = a.comp.query().sas();
    expect(sas).toHaveLength(1);
    expect(sas[0]).toMatchObject({ tunnel: 'Tunnel1', state: 'established', role: 'initiator' });
    expect(a.installer.outbound('Tunnel1')).not.toBeNull();
    expect(b.installer.outbound('Tunnel1')).not.toBeNull();
    expect(a.comp.status()).toEqual({
      name: 'ike',
      state: 'running',
      detail: '1 IKE tunnel, 1 IKE SA established',
    });
    expect(a.comp.query().tunnels()).toEqual([
      {
        name: 'Tunnel1',
        peer: B,
        routingContext: null,
        lineProtocolUp: true,
        localId: A,
        ikeLifetimeSec: 28800,
      },
    ]);
  });

  it('stop() sends an IKE Delete: the peer removes its SAs, ours are gone', async () => {
    const { a, b, run } = setup();
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
    run();
    const stopped = a.comp.stop();
    run(200);
    await stopped;
    expect(a.comp.manager).toBeNull();
    expect(a.installer.outbound('Tunnel1')).toBeNull();
    expect(b.installer.outbound('Tunnel1')).toBeNull();
    expect(
      b.comp
        .query()
        .sas()
        .filter((s) => s.state === 'established'),
    ).toHaveLength(0);
    expect(a.comp.status().state).toBe('stopped');
  });

  it('stop() closes locally when the peer does not answer the Delete', async () => {
    const { a, b, net, run } = setup();
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
    run();
    net.filter = () => 'drop';
    const stopped = a.comp.stop();
    run(700);
    await stopped;
    expect(a.installer.outbound('Tunnel1')).toBeNull();
    expect(b.installer.outbound('Tunnel1')).not.toBeNull();
  });

  it('reload: a removed tunnel is closed with a Delete, an added one comes up', async () => {
    const { a, b, run } = setup();
    const t1 = tunnel('Tunnel1', A, B, { initiate: true });
    await b.comp.start(config([tunnel('Tunnel1', B, A), tunnel('Tunnel2', B, A)]));
    await a.comp.start(config([t1]));
    run();
    await a.comp.apply(diff({ added: ['Tunnel2'] }), config([t1, tunnel('Tunnel2', A, B)]));
    expect(a.comp.manager?.tunnelNames).toEqual(['Tunnel1', 'Tunnel2']);
    await a.comp.apply(diff({ removed: ['Tunnel1'] }), config([tunnel('Tunnel2', A, B)]));
    run();
    expect(a.comp.manager?.tunnelNames).toEqual(['Tunnel2']);
    expect(b.installer.outbound('Tunnel1')).toBeNull();
    expect(a.installer.outbound('Tunnel1')).toBeNull();
  });

  it('a dead peer takes the outbound SA away at once (line protocol down)', async () => {
    const { a, b, net, run } = setup();
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
    run();
    expect(a.installer.outbound('Tunnel1')).not.toBeNull();
    net.filter = () => 'drop';
    run(120_000, 1000);
    expect(a.comp.totals.peerDead).toBeGreaterThanOrEqual(1);
    expect(a.installer.outbound('Tunnel1')).toBeNull();
    expect(a.comp.query().tunnels()[0]?.lineProtocolUp).toBe(false);
  });

  it('exports IKE metrics: exchanges, SAs up, child rekeys', async () => {
    const { a, b, run } = setup();
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
    run();
    const registry = new Registry();
    a.comp.registerMetrics(registry);
    const text = await registry.metrics();
    expect(text).toMatch(/^nvad_ike_exchanges_total 2$/m);
    expect(text).toMatch(/^nvad_ike_sas_up 1$/m);
    expect(text).toMatch(/^nvad_ike_rekeys_total\{kind="child"\} 0$/m);
    expect(text).toMatch(/^nvad_ike_retransmits_total 0$/m);
    expect(text).not.toContain(PSK);
  });

  it('a link coming up restarts a tunnel that is down at once, not after its backoff', async () => {
    let emit: ((ev: LinkEvent) => void) | null = null;
    let closed = false;
    const { a, b, net, run } = setup({
      watchLinks: (cb) => {
        emit = cb;
        return {
          ready: Promise.resolve(),
          close: () => {
            closed = true;
          },
        };
      },
    });
    await b.comp.start(config([tunnel('Tunnel1', B, A)]));
    await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
    run();
    expect(a.installer.outbound('Tunnel1')).not.toBeNull();
    // The underlay dies: DPD declares the peer dead, retries fail and back off.
    net.filter = () => 'drop';
    run(90_000, 1000);
    expect(a.installer.outbound('Tunnel1')).toBeNull();
    // It comes back; without the link event the next attempt would wait for a retransmission.
    net.filter = () => 'deliver';
    const link = (up: boolean): LinkInfo => ({
      index: 2,
      name: 'eth0',
      up,
      running: up,
      mtu: 1500,
      kind: 'veth',
    });
    // Our own tunnel interface coming up is not an underlay event.
    emit!({ type: 'changed', link: { ...link(true), name: 'Tunnel1' }, previous: link(false) });
    run(600, 100);
    expect(a.installer.outbound('Tunnel1')).toBeNull();
    emit!({ type: 'changed', link: link(true), previous: link(false) });
    run(600, 100);
    expect(a.installer.outbound('Tunnel1')).not.toBeNull();
    const stopped = a.comp.stop();
    run(600);
    await stopped;
    expect(closed).toBe(true);
  });
});
