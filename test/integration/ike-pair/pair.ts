import { Writable } from 'node:stream';
import { pino } from 'pino';
import type {
  DpdConfig,
  IkePolicy,
  IkeProposal,
  IpsecPolicy,
  IpsecProposal,
  TunnelConfig,
} from '../../../src/config/types.js';
import { Secret } from '../../../src/config/secret.js';
import { IkeSaManager, type IkeEvent } from '../../../src/ike/index.js';
import type { IkeSa } from '../../../src/ike/sa/ike-sa.js';
import { REDACT_PATHS } from '../../../src/lib/log.js';
import { DetRng } from '../../support/det-rng.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeNet } from '../../support/fake-net.js';
import { RecordingInstaller } from '../../support/recording-installer.js';

export const A_ADDR = '198.51.100.1';
export const B_ADDR = '203.0.113.2';
export const PSK = 'correct horse battery staple 42';

export interface SideOptions {
  readonly ike?: readonly IkeProposal[];
  readonly esp?: readonly IpsecProposal[];
  readonly psk?: string;
  readonly initiate?: boolean;
  readonly dpd?: DpdConfig;
  readonly localId?: TunnelConfig['localId'];
  readonly remoteId?: TunnelConfig['remoteId'];
  readonly ipsecLifetimeSec?: number;
  readonly ipv6?: boolean;
  readonly esn?: boolean;
  /** Our private address (behind a NAT to `address`). */
  readonly privateAddress?: string;
  readonly fragmentSize?: number;
  readonly cookieThreshold?: number;
}

export interface Side {
  readonly name: 'A' | 'B';
  readonly address: string;
  readonly mgr: IkeSaManager;
  readonly installer: RecordingInstaller;
  readonly events: IkeEvent[];
  /** Everything this side logged (JSON lines). */
  readonly logs: string[];
}

export interface Pair {
  readonly clock: FakeClock;
  readonly net: FakeNet;
  readonly a: Side;
  readonly b: Side;
  /** Deliver until quiet. */
  run(): void;
  /** Advance the clock by ms, delivering traffic at each step. */
  advance(ms: number, stepMs?: number): void;
}

export const TUNNEL = 'Tunnel1';

export const GCM_ECP384: IkeProposal = {
  encryption: ['aes-gcm-256'],
  integrity: [],
  prf: ['sha384'],
  dhGroup: ['ecp384'],
};
export const ESP_GCM: IpsecProposal = {
  encryption: ['aes-gcm-256'],
  integrity: [],
  pfsGroup: null,
};

function side(
  name: 'A' | 'B',
  clock: FakeClock,
  net: FakeNet,
  me: string,
  peer: string,
  o: SideOptions,
): Side {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const log = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '<redacted>' }, base: null },
    stream,
  );
  const installer = new RecordingInstaller();
  const bindAddr = o.privateAddress ?? me;
  const mgr = new IkeSaManager(
    { clock, rng: new DetRng(`side-${name}`), installer, transport: net.transport(bindAddr), log },
    {
      initialBackoffMs: 2000,
      ...(o.fragmentSize === undefined ? {} : { fragmentSize: o.fragmentSize }),
      ...(o.cookieThreshold === undefined ? {} : { cookieThreshold: o.cookieThreshold }),
    },
  );
  const events: IkeEvent[] = [];
  for (const t of [
    'ike:sa:established',
    'ike:sa:failed',
    'ike:sa:deleted',
    'child:installed',
    'child:deleted',
    'child:failed',
    'peer-dead',
  ] as const) {
    mgr.on(t, (e) => events.push(e));
  }
  const ikePolicy: IkePolicy = {
    name: 'ike',
    lifetimeSec: 28800,
    proposals: o.ike ?? [GCM_ECP384],
  };
  const ipsecPolicy: IpsecPolicy = {
    name: 'esp',
    lifetimeSec: o.ipsecLifetimeSec ?? 27000,
    lifetimeKilobytes: 102400000,
    replayWindow: 1024,
    esn: o.esn ?? false,
    proposals: o.esp ?? [ESP_GCM],
  };
  const tunnel: TunnelConfig = {
    name: TUNNEL,
    localAddress: bindAddr,
    publicAddress: me,
    peer,
    psk: new Secret(o.psk ?? PSK),
    ikePolicy: 'ike',
    ipsecPolicy: 'esp',
    azurePolicy: null,
    address: undefined,
    ipv6: o.ipv6 ?? false,
    mtu: 1400,
    tcpMss: undefined,
    dpd: o.dpd ?? { intervalSec: 10, retries: 2, mode: 'periodic' },
    initiate: o.initiate ?? false,
    routingContext: undefined,
    localId: o.localId ?? { type: 'ipv4', value: me },
    remoteId: o.remoteId ?? { type: 'ipv4', value: peer },
    natKeepaliveSec: 20,
    manualSa: undefined,
  };
  mgr.addTunnel({ tunnel, ikePolicy, ipsecPolicy, local: { address: bindAddr, port: 500 } });
  return { name, address: me, mgr, installer, events, logs };
}

/** Two IkeSaManagers over FakeNet + FakeClock + DetRng. A is created first. */
export function makePair(a: SideOptions = {}, b: SideOptions = {}): Pair {
  const clock = new FakeClock();
  const net = new FakeNet();
  if (a.privateAddress) net.addNat(a.privateAddress, A_ADDR);
  const sa = side('A', clock, net, A_ADDR, B_ADDR, { initiate: true, ...a });
  const sb = side('B', clock, net, B_ADDR, A_ADDR, b);
  return {
    clock,
    net,
    a: sa,
    b: sb,
    run: () => {
      net.flush();
    },
    advance(ms: number, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t));
        net.flush();
      }
    },
  };
}

export function established(s: Side): IkeSa[] {
  return s.mgr.sas(TUNNEL).filter((x) => x.state === 'established');
}

/** The installed outbound SA of one side must be an inbound SA of the other with equal keys. */
export function keysMatch(from: Side, to: Side): boolean {
  const out = from.installer.outbound(TUNNEL);
  if (!out) return false;
  const inn = to.installer.inbound(TUNNEL, out.spi);
  return (
    inn !== undefined &&
    inn.encKey.equals(out.encKey) &&
    inn.encryption === out.encryption &&
    (inn.integKey === null
      ? out.integKey === null
      : out.integKey !== null && inn.integKey.equals(out.integKey))
  );
}
