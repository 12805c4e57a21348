/**
 * IKEv2 interop with strongSwan 5.9 (charon, kernel-libipsec), nvad behind a 1:1 NAT, the real
 * daemon in its namespace: for each proposal set and both roles the tunnel comes up, carries
 * pings, survives a CHILD_SA rekey and an IKE_SA rekey triggered from charon (`swanctl --rekey`)
 * and a TCP connection opened before the rekeys still works after them. Needs root and strongSwan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CryptoIkev2SaDto } from '../../../src/mgmt/show/commands/crypto-ikev2-sa.js';
import type { CryptoSessionDto } from '../../../src/mgmt/show/commands/crypto-session.js';
import { IkeLab, until, type CaseOptions, type NvadCrypto } from './lab.js';

interface Suite {
  readonly name: string;
  readonly nvad: NvadCrypto;
  readonly swanIke: string;
  readonly swanEsp: string;
}

const SUITES: readonly Suite[] = [
  {
    name: 'aes256gcm16-prfsha384-ecp384, ESP aes256gcm16',
    nvad: {
      ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [ecp384]'],
      esp: ['encryption: [aes-gcm-256]', 'pfs-group: none'],
    },
    swanIke: 'aes256gcm16-prfsha384-ecp384',
    swanEsp: 'aes256gcm16',
  },
  {
    name: 'aes256gcm16-prfsha384-ecp384, ESP aes256gcm16 with PFS ecp384',
    nvad: {
      ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [ecp384]'],
      esp: ['encryption: [aes-gcm-256]', 'pfs-group: ecp384'],
    },
    swanIke: 'aes256gcm16-prfsha384-ecp384',
    swanEsp: 'aes256gcm16-ecp384',
  },
  {
    name: 'aes256-sha256-modp2048, ESP aes256-sha256 PFS modp2048',
    nvad: {
      ike: [
        'encryption: [aes-cbc-256]',
        'integrity: [sha256]',
        'prf: [sha256]',
        'dh-group: [modp2048]',
      ],
      esp: ['encryption: [aes-cbc-256]', 'integrity: [sha256]', 'pfs-group: modp2048'],
    },
    swanIke: 'aes256-sha256-modp2048',
    swanEsp: 'aes256-sha256-modp2048',
  },
  {
    name: 'Azure Default aes256-sha1-modp1024, ESP aes256-sha1',
    nvad: {
      ike: [
        'encryption: [aes-cbc-256]',
        'integrity: [sha1]',
        'prf: [sha1]',
        'dh-group: [modp1024]',
      ],
      esp: ['encryption: [aes-cbc-256]', 'integrity: [sha1]', 'pfs-group: none'],
    },
    swanIke: 'aes256-sha1-modp1024',
    swanEsp: 'aes256-sha1',
  },
  {
    name: 'aes128gcm16-prfsha256-ecp256, ESP aes128gcm16',
    nvad: {
      ike: ['encryption: [aes-gcm-128]', 'prf: [sha256]', 'dh-group: [ecp256]'],
      esp: ['encryption: [aes-gcm-128]', 'pfs-group: none'],
    },
    swanIke: 'aes128gcm16-prfsha256-ecp256',
    swanEsp: 'aes128gcm16',
  },
  {
    name: 'aes256gcm16-prfsha384-x25519, ESP aes256gcm16',
    nvad: {
      ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [x25519]'],
      esp: ['encryption: [aes-gcm-256]', 'pfs-group: none'],
    },
    swanIke: 'aes256gcm16-prfsha384-x25519',
    swanEsp: 'aes256gcm16',
  },
];

const CASES = SUITES.flatMap((s) =>
  (['nvad', 'charon'] as const).map((initiator) => ({ ...s, initiator })),
);

describe('IKEv2 interop with strongSwan behind a 1:1 NAT', () => {
  let lab: IkeLab;

  beforeAll(() => {
    lab = IkeLab.create(`nvis${process.pid % 100000}`);
  });

  afterAll(async () => {
    await lab.close();
  });

  for (const c of CASES) {
    it(`${c.name}; ${c.initiator} initiates: up, ping, child+IKE rekey, TCP survives`, async () => {
      const opts: CaseOptions = {
        nvad: c.nvad,
        swanIke: c.swanIke,
        swanEsp: c.swanEsp,
        initiator: c.initiator,
      };
      try {
        await lab.start(opts);
        const charon = lab.charon!;
        if (c.initiator === 'charon') {
          expect(charon.initiate('c', 't')).toMatch(/initiate completed successfully/);
        }
        await lab.waitUp();
        const [sa] = charon.listSas();
        expect(sa?.initiator).toBe(c.initiator === 'charon');
        // nvad is behind the NAT: charon sees its public address on 4500.
        expect(sa?.remoteHost).toBe(lab.nat.addr.publicAddress);
        expect(sa?.remotePort).toBe(4500);
        expect(sa?.natRemote).toBe(true);
        expect(lab.ping(), lab.diag()).toBe(true);
        await lab.openTcp();
        expect(await lab.tcpEcho('before-rekeys')).toBe(true);

        // CHILD_SA rekey from charon.
        const oldChild = sa!.children[0]!;
        expect(charon.rekeyChild('c')).toMatch(/rekey completed successfully/);
        await charon.waitFor((l) =>
          l.some((s) =>
            s.children.some((ch) => ch.state === 'INSTALLED' && ch.spiIn !== oldChild.spiIn),
          ),
        );
        expect(lab.ping(), lab.diag()).toBe(true);

        // IKE_SA rekey from charon.
        expect(charon.rekeyIke('t')).toMatch(/rekey completed successfully/);
        await charon.waitFor((l) =>
          l.some((s) => s.state === 'ESTABLISHED' && s.spiI !== sa!.spiI),
        );
        expect(lab.ping(), lab.diag()).toBe(true);
        expect(await lab.tcpEcho('after-rekeys')).toBe(true);

        // Our view agrees: one READY IKE SA behind NAT on 4500, the session UP-ACTIVE.
        const ike = await until('one READY IKE SA in show', () => {
          const d = lab.showJson(['crypto', 'ikev2', 'sa']) as CryptoIkev2SaDto;
          return d.sas.length === 1 && d.sas[0]?.status === 'READY' ? d : null;
        });
        expect(ike.sas[0]).toMatchObject({
          tunnel: 'Tunnel1',
          localPort: 4500,
          remoteAddress: lab.nat.addr.outsideAddress,
          natDetected: true,
          remoteId: lab.nat.addr.outsideAddress,
        });
        const session = lab.showJson(['crypto', 'session']) as CryptoSessionDto;
        expect(session.sessions[0]).toMatchObject({
          interface: 'Tunnel1',
          status: 'UP-ACTIVE',
          lineProtocolUp: true,
        });
        expect(lab.log()).not.toContain('interop-test-psk');
        expect(lab.daemonAlive()).toBe(true);

        // An orderly stop sends an IKE Delete: charon drops the IKE_SA and its children.
        expect(await lab.stopDaemon()).toBe(0);
        await charon.waitFor((l) => l.length === 0, 5000);
      } finally {
        await lab.stopCase();
      }
    }, 90_000);
  }
});
