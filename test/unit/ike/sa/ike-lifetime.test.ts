/**
 * IKE SA lifetime (RFC 7296 §2.8: an SA is rekeyed before its lifetime ends): the rekey is queued
 * a margin before the lifetime, a refused rekey is tried again, and an SA still not rekeyed when
 * its lifetime runs out is deleted (the tunnel then starts over) instead of living on.
 */
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../../src/config/secret.js';
import type { IkePolicy, IpsecPolicy, TunnelConfig } from '../../../../src/config/types.js';
import { IkeSa } from '../../../../src/ike/sa/ike-sa.js';
import { responderTask } from '../../../../src/ike/tasks/responder.js';
import type { Task } from '../../../../src/ike/tasks/task.js';
import { silentLogger } from '../../../../src/lib/log.js';
import { DetRng } from '../../../support/det-rng.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { RecordingInstaller } from '../../../support/recording-installer.js';

const LIFETIME_SEC = 120;

function makeSa() {
  const ikePolicy: IkePolicy = {
    name: 'ike',
    lifetimeSec: LIFETIME_SEC,
    proposals: [
      { encryption: ['aes-gcm-256'], integrity: [], prf: ['sha384'], dhGroup: ['ecp384'] },
    ],
  };
  const ipsecPolicy: IpsecPolicy = {
    name: 'esp',
    lifetimeSec: 60,
    lifetimeKilobytes: 1000000,
    replayWindow: 64,
    esn: false,
    proposals: [{ encryption: ['aes-gcm-256'], integrity: [], pfsGroup: null }],
  };
  const tunnel: TunnelConfig = {
    name: 'Tunnel1',
    localAddress: '10.0.0.1',
    publicAddress: '10.0.0.1',
    peer: '10.0.0.2',
    psk: new Secret('lifetime-test-psk'),
    ikePolicy: 'ike',
    ipsecPolicy: 'esp',
    azurePolicy: null,
    address: undefined,
    ipv6: false,
    mtu: 1400,
    tcpMss: undefined,
    dpd: { intervalSec: 0, retries: 2, mode: 'periodic' },
    initiate: true,
    routingContext: undefined,
    localId: { type: 'ipv4', value: '10.0.0.1' },
    remoteId: { type: 'ipv4', value: '10.0.0.2' },
    natKeepaliveSec: 20,
    manualSa: undefined,
  };
  const clock = new FakeClock();
  const rekeys: number[] = [];
  const deletes: { at: number; reason: string }[] = [];
  const sa = new IkeSa(
    {
      tunnel,
      ikePolicy,
      ipsecPolicy,
      local: { address: '10.0.0.1', port: 500 },
      remote: { address: '10.0.0.2', port: 500 },
      fragmentSize: 1280,
    },
    {
      clock,
      rng: new DetRng('lifetime'),
      installer: new RecordingInstaller(),
      log: silentLogger(),
      send: () => undefined,
      emit: () => undefined,
      responderTask,
      onDestroyed: () => undefined,
      onEstablished: () => undefined,
      onPeerDead: () => undefined,
      queueChildRekey: () => undefined,
      queueDpd: () => undefined,
      queueIkeRekey: () => rekeys.push(clock.now()),
      queueIkeDelete: (_s, reason) => deletes.push({ at: clock.now(), reason }),
      createRekeyed: () => {
        throw new Error('not in this test');
      },
    },
    { initiator: true, spiI: 0x0102030405060708n },
  );
  return { sa, clock, rekeys, deletes };
}

describe('IKE SA lifetime', () => {
  it('queues the rekey a margin (lifetime/10 plus jitter) before the lifetime', () => {
    const { sa, clock, rekeys, deletes } = makeSa();
    sa.markEstablished();
    clock.advance(LIFETIME_SEC * 1000 - 1);
    expect(rekeys).toHaveLength(1);
    expect(rekeys[0]).toBeGreaterThanOrEqual((LIFETIME_SEC - 18) * 1000);
    expect(rekeys[0]).toBeLessThanOrEqual((LIFETIME_SEC - 12) * 1000);
    expect(deletes).toEqual([]);
  });

  it('tries a refused rekey again, and deletes the SA when its lifetime runs out', () => {
    const { sa, clock, rekeys, deletes } = makeSa();
    sa.markEstablished();
    clock.advance((LIFETIME_SEC - 12) * 1000);
    expect(rekeys).toHaveLength(1);
    // The peer refuses (e.g. TEMPORARY_FAILURE): again after lifetime/8 = 15 s at most.
    sa.onTaskFailed({ type: 'ike-rekey' } as Task, 'initiator');
    clock.advance(15_000);
    expect(rekeys).toHaveLength(2);
    expect(rekeys[1]! - rekeys[0]!).toBeGreaterThanOrEqual(15_000);
    // Still not rekeyed at the lifetime: deleted.
    clock.advance(LIFETIME_SEC * 1000);
    expect(deletes).toEqual([{ at: LIFETIME_SEC * 1000, reason: 'lifetime expired' }]);
  });

  it('a destroyed SA arms nothing any more', () => {
    const { sa, clock, rekeys, deletes } = makeSa();
    sa.markEstablished();
    sa.destroy('test');
    clock.advance(LIFETIME_SEC * 2000);
    expect(rekeys).toEqual([]);
    expect(deletes).toEqual([]);
  });
});
