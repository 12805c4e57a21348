/**
 * test/support/strongswan.ts against real charons (kernel-libipsec) in two namespaces: generated
 * configs load, a tunnel comes up and carries pings, `--list-sas --raw` parses into objects,
 * CHILD_SA and IKE_SA rekeys and terminate work, the key log holds key material, and stop() only
 * signals pids from our pid file inside the expected namespace. Needs root and strongSwan.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNetns, vethPair, waitFor } from '../../support/netns.js';
import {
  Charon,
  killInNetns,
  parseListSas,
  pidAlive,
  swanctlConf,
} from '../../support/strongswan.js';
import type { SwanConn } from '../../support/strongswan.js';

const PSK = 'test-only-psk-0123456789';

function conn(local: string, remote: string, lts: string, rts: string): SwanConn {
  return {
    name: 't',
    localAddrs: local,
    remoteAddrs: remote,
    psk: PSK,
    proposals: 'aes256-sha256-modp2048',
    children: [
      { name: 'tc', localTs: [lts], remoteTs: [rts], espProposals: 'aes256-sha256-modp2048' },
    ],
  };
}

describe('strongSwan charon support', () => {
  const a = new TestNetns('sws');
  const b = new TestNetns('sws');
  let ca: Charon | undefined;
  let cb: Charon | undefined;

  beforeAll(async () => {
    a.create();
    b.create();
    vethPair(a, 'eth0', b, 'eth0');
    a.addr('eth0', '10.205.0.1/24');
    b.addr('eth0', '10.205.0.2/24');
    a.addr('lo', '172.30.5.1/32');
    b.addr('lo', '172.30.5.2/32');
    ca = await Charon.start({
      ns: a.name,
      name: 'a',
      deadTable220: false,
      conns: [conn('10.205.0.1', '10.205.0.2', '172.30.5.1/32', '172.30.5.2/32')],
    });
    cb = await Charon.start({
      ns: b.name,
      name: 'b',
      deadTable220: false,
      keylog: true,
      conns: [conn('10.205.0.2', '10.205.0.1', '172.30.5.2/32', '172.30.5.1/32')],
    });
  });

  afterAll(async () => {
    for (const c of [ca, cb]) {
      await c?.stop();
      c?.removeDir();
    }
    a.destroy();
    b.destroy();
  });

  it('writes the PSK only to the 0600 swanctl.conf', () => {
    const text = swanctlConf([conn('1.1.1.1', '2.2.2.2', '0.0.0.0/0', '0.0.0.0/0')]);
    expect(text).toContain(`secret = "${PSK}"`);
    expect(ca!.log()).not.toContain(PSK);
    expect(() =>
      swanctlConf([{ ...conn('1.1.1.1', '2.2.2.2', '0.0.0.0/0', '0.0.0.0/0'), psk: 'a"b' }]),
    ).toThrow(/printable ASCII/);
  });

  it('initiates a tunnel that carries pings, and parses list-sas', () => {
    expect(cb!.initiate('tc', 't')).toMatch(/initiate completed successfully/);
    const ping = b.exec('ping', ['-c', '2', '-i', '0.2', '-W', '2', '172.30.5.1']);
    expect(ping).toMatch(/2 received/);
    const [sa] = cb!.listSas();
    expect(sa).toMatchObject({
      name: 't',
      state: 'ESTABLISHED',
      localHost: '10.205.0.2',
      remoteHost: '10.205.0.1',
      remotePort: 4500,
      initiator: true,
      encrAlg: 'AES_CBC',
      prfAlg: 'PRF_HMAC_SHA2_256',
      dhGroup: 'MODP_2048',
    });
    const child = sa!.children[0]!;
    expect(child).toMatchObject({
      name: 'tc',
      state: 'INSTALLED',
      protocol: 'ESP',
      encap: true,
      encrAlg: 'AES_CBC',
      encrKeysize: 256,
      integAlg: 'HMAC_SHA2_256_128',
      localTs: ['172.30.5.2/32'],
      remoteTs: ['172.30.5.1/32'],
    });
    expect(child.packetsOut).toBeGreaterThanOrEqual(2);
    expect(child.spiIn).toMatch(/^[0-9a-f]{8}$/);
    // The responder sees the same SPIs the other way round.
    const peerChild = ca!.listSas()[0]!.children[0]!;
    expect(peerChild.spiIn).toBe(child.spiOut);
    expect(peerChild.spiOut).toBe(child.spiIn);
    // The key log has the child keys (hex dumps), the main log has none.
    expect(cb!.keyLog()).toMatch(/encryption initiator key => 32 bytes/);
    expect(cb!.log()).not.toMatch(/encryption initiator key => 32 bytes/);
  });

  it('rekeys the CHILD_SA and the IKE_SA', async () => {
    const before = cb!.listSas()[0]!;
    expect(cb!.rekeyChild('tc')).toMatch(/rekey completed successfully/);
    const afterChild = await cb!.waitFor((l) =>
      l.some((sa) =>
        sa.children.some((c) => c.state === 'INSTALLED' && c.spiIn !== before.children[0]!.spiIn),
      ),
    );
    expect(afterChild[0]!.children.find((c) => c.state === 'INSTALLED')?.uniqueId).toBeGreaterThan(
      before.children[0]!.uniqueId,
    );
    expect(cb!.rekeyIke('t')).toMatch(/rekey completed successfully/);
    const afterIke = await cb!.waitFor((l) =>
      l.some((sa) => sa.state === 'ESTABLISHED' && sa.spiI !== before.spiI),
    );
    expect(afterIke.find((sa) => sa.state === 'ESTABLISHED')!.uniqueId).toBeGreaterThan(
      before.uniqueId,
    );
    expect(b.exec('ping', ['-c', '1', '-W', '2', '172.30.5.1'])).toMatch(/1 received/);
  });

  it('terminates the IKE_SA', async () => {
    cb!.terminateIke('t');
    await ca!.waitFor((l) => l.length === 0, 5000);
    expect(cb!.listSas()).toEqual([]);
  });

  it('parses an empty list-sas reply', () => {
    expect(parseListSas('list-sas reply {\n}\n')).toEqual([]);
  });

  it('signals only pids in the expected namespace, and stop() kills by pid file', async () => {
    const pid = ca!.pid()!;
    expect(pid).toBeGreaterThan(1);
    expect(existsSync(`${ca!.dir}/varrun/charon.pid`)).toBe(true);
    await killInNetns(pid, b.name); // wrong namespace: must not signal
    expect(pidAlive(pid)).toBe(true);
    await ca!.stop();
    await waitFor('charon a to exit', () => !pidAlive(pid), 3000, 20);
    expect(ca!.pid()).toBeNull();
  });
});
