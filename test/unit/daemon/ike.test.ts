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
import { documentedFields, fieldPaths } from '../../support/json-contract.js';
import { CLEAR_CRYPTO_SESSION } from '../../../src/mgmt/api/clear-crypto.js';
import { ACTIONS_VIEW, ViewRegistry } from '../../../src/mgmt/show/context.js';

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

  describe('clear crypto session', () => {
    async function upPair(bTunnels: TunnelConfig[], aTunnels: TunnelConfig[]) {
      const env = setup();
      await env.b.comp.start(config(bTunnels));
      await env.a.comp.start(config(aTunnels));
      env.run();
      return env;
    }
    const established = (s: Side, t = 'Tunnel1') =>
      s.comp
        .query()
        .sas()
        .filter((x) => x.tunnel === t && x.state === 'established');

    it('sends an IKE Delete, the peer drops its SAs, the initiator comes back at once', async () => {
      const { a, b, net, run } = await upPair(
        [tunnel('Tunnel1', B, A)],
        [tunnel('Tunnel1', A, B, { initiate: true })],
      );
      const before = established(a)[0];
      const outBefore = a.installer.outbound('Tunnel1');
      expect(before).toBeDefined();
      expect(outBefore).not.toBeNull();
      const mark = net.summaries().length;
      const answer = a.comp.clear({});
      expect(answer).toEqual({
        sessions: [
          {
            interface: 'Tunnel1',
            peer: B,
            routingContext: null,
            ikeSas: [{ spiI: before?.spiI, spiR: before?.spiR, state: 'established' }],
            childSas: 1,
            next: 'reinitiate',
          },
        ],
      });
      expect(fieldPaths([answer], { needItems: true })).toEqual(
        documentedFields('clear-crypto-session'),
      );
      // The Delete exchange only (no clock advance): both sides have dropped the SAs.
      run();
      expect(net.summaries(mark)).toEqual([
        `${A}>${B} INFORMATIONAL req #2`,
        `${B}>${A} INFORMATIONAL resp #2`,
      ]);
      expect(b.comp.query().sas()).toEqual([]);
      expect(b.installer.outbound('Tunnel1')).toBeNull();
      expect(a.installer.outbound('Tunnel1')).toBeNull();
      // A fresh IKE_SA_INIT goes out at once, not after the 2 s backoff.
      run(100, 10);
      expect(net.summaries(mark)[2]).toBe(`${A}>${B} IKE_SA_INIT req #0`);
      const after = established(a)[0];
      expect(after).toBeDefined();
      expect(after?.spiI).not.toBe(before?.spiI);
      const outAfter = a.installer.outbound('Tunnel1');
      expect(outAfter).not.toBeNull();
      expect(outAfter?.spi).not.toBe(outBefore?.spi);
      expect(b.installer.outbound('Tunnel1')).not.toBeNull();
    });

    it('a down initiating tunnel waiting out its backoff starts over at once', async () => {
      const { a, b, net, run } = setup();
      await b.comp.start(config([tunnel('Tunnel1', B, A)]));
      net.filter = () => 'drop';
      await a.comp.start(config([tunnel('Tunnel1', A, B, { initiate: true })]));
      // The first attempts time out; the tunnel is now between retries (backoff grows to 4 s+).
      run(45_000, 500);
      expect(a.installer.outbound('Tunnel1')).toBeNull();
      net.filter = () => 'deliver';
      const old = new Set(
        a.comp
          .query()
          .sas()
          .map((s) => s.spiI),
      );
      const mark = net.summaries().length;
      const answer = a.comp.clear({ interface: 'Tunnel1' });
      expect(answer?.sessions[0]?.next).toBe('reinitiate');
      run(100, 10);
      expect(net.summaries(mark)[0]).toBe(`${A}>${B} IKE_SA_INIT req #0`);
      expect(a.installer.outbound('Tunnel1')).not.toBeNull();
      const up = established(a);
      expect(up).toHaveLength(1);
      expect(old.has(up[0]!.spiI)).toBe(false);
    });

    it('a responder tunnel is cleared too and waits for its peer to initiate', async () => {
      const { a, b, run } = await upPair(
        [tunnel('Tunnel1', B, A)],
        [tunnel('Tunnel1', A, B, { initiate: true })],
      );
      const before = established(b)[0];
      const answer = b.comp.clear({ remote: A });
      expect(answer?.sessions.map((s) => [s.interface, s.next])).toEqual([
        ['Tunnel1', 'wait-for-peer'],
      ]);
      run();
      expect(b.comp.query().sas()).toEqual([]);
      expect(a.installer.outbound('Tunnel1')).toBeNull();
      // B does not initiate; A starts over after its backoff (2 s + jitter).
      run(1000, 100);
      expect(b.comp.query().sas()).toEqual([]);
      run(3000, 100);
      expect(established(b)[0]?.spiI).toBeDefined();
      expect(established(b)[0]?.spiI).not.toBe(before?.spiI);
      expect(b.installer.outbound('Tunnel1')).not.toBeNull();
    });

    it('filters by interface and remote; unknown ones answer undefined (404)', async () => {
      const C = '10.0.0.3';
      const { a, b, run } = await upPair(
        [tunnel('Tunnel1', B, A), tunnel('Tunnel2', B, A)],
        [tunnel('Tunnel1', A, B, { initiate: true }), tunnel('Tunnel3', A, C)],
      );
      expect(b.comp.manager?.tunnelNames).toEqual(['Tunnel1', 'Tunnel2']);
      const t1 = established(a)[0]?.spiI;
      expect(a.comp.clear({ interface: 'tunnel3' })?.sessions).toEqual([
        {
          interface: 'Tunnel3',
          peer: C,
          routingContext: null,
          ikeSas: [],
          childSas: 0,
          next: 'wait-for-peer',
        },
      ]);
      run();
      // Tunnel1 was not touched.
      expect(established(a)[0]?.spiI).toBe(t1);
      expect(a.comp.clear({ remote: '192.0.2.1' })).toBeUndefined();
      expect(a.comp.clear({ interface: 'Tunnel9' })).toBeUndefined();
      expect(a.comp.clear({ interface: 'Tunnel3', remote: B })).toBeUndefined();
      expect(a.comp.clear({ remote: B })?.sessions.map((s) => s.interface)).toEqual(['Tunnel1']);
      run(200, 10);
      expect(established(a)[0]?.spiI).not.toBe(t1);
    });

    it('is published as the clear crypto session action', async () => {
      const { a, b, run } = await upPair(
        [tunnel('Tunnel1', B, A)],
        [tunnel('Tunnel1', A, B, { initiate: true })],
      );
      const views = new ViewRegistry();
      a.comp.publishViews(views);
      const action = views.get(ACTIONS_VIEW)?.get(CLEAR_CRYPTO_SESSION);
      expect(action).toBeDefined();
      const answer = await action?.({ interface: 'Tunnel1' });
      expect(answer?.sessions).toHaveLength(1);
      run();
      expect(b.comp.query().sas()).toEqual([]);
      const stopped = a.comp.stop();
      run(600);
      await stopped;
      expect(a.comp.clear({})).toEqual({ sessions: [] });
      expect(a.comp.clear({ remote: B })).toBeUndefined();
    });
  });
});
