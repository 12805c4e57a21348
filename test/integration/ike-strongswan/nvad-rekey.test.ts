/**
 * Rekeys started by nvad against strongSwan (nvad behind a 1:1 NAT, the real daemon): with the
 * shortest lifetimes the config allows (child 120 s, IKE 300 s) nvad rekeys the CHILD_SA at
 * about 102-108 s and the IKE_SA at about 255-270 s on its own; pings and a TCP connection opened
 * before still work after both. Slow by nature (about 4.5 minutes), so it has a file of its own
 * and runs beside the interop matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IkeLab } from './lab.js';

describe('rekeys initiated by nvad (lifetimes)', () => {
  let lab: IkeLab;

  beforeAll(() => {
    lab = IkeLab.create(`nvir${process.pid % 100000}`);
  });

  afterAll(async () => {
    await lab.close();
  });

  it('nvad rekeys the CHILD_SA and the IKE_SA before they expire; traffic and TCP survive', async () => {
    try {
      await lab.start({
        nvad: {
          ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [ecp384]'],
          esp: ['encryption: [aes-gcm-256]', 'pfs-group: ecp384'],
          ikeLifetimeSec: 300,
          childLifetimeSec: 120,
        },
        swanIke: 'aes256gcm16-prfsha384-ecp384',
        swanEsp: 'aes256gcm16-ecp384',
        initiator: 'charon',
      });
      const charon = lab.charon!;
      expect(charon.initiate('c', 't')).toMatch(/initiate completed successfully/);
      await lab.waitUp();
      const [first] = charon.listSas();
      expect(first?.initiator).toBe(true);
      const firstChild = first!.children[0]!;
      expect(lab.ping(), lab.diag()).toBe(true);
      await lab.openTcp();
      expect(await lab.tcpEcho('before')).toBe(true);

      // Child rekey by nvad: a new CHILD_SA (with PFS) on the same IKE_SA.
      const afterChild = await charon.waitFor(
        (l) =>
          l.some((s) =>
            s.children.some((c) => c.state === 'INSTALLED' && c.spiIn !== firstChild.spiIn),
          ),
        125_000,
      );
      expect(afterChild.find((s) => s.spiI === first!.spiI)?.state).toBe('ESTABLISHED');
      // charon lists the new CHILD_SA as soon as it has sent its response; nvad logs the install
      // once it has processed that response and pino has flushed: poll briefly.
      for (let i = 0; i < 50 && !/"rekey":true,"msg":"child sa installed"/.test(lab.log()); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(lab.log()).toMatch(/"rekey":true,"msg":"child sa installed"/);
      expect(lab.ping(), lab.diag()).toBe(true);

      // IKE rekey by nvad: charon is the responder of the new IKE_SA.
      const afterIke = await charon.waitFor(
        (l) => l.some((s) => s.state === 'ESTABLISHED' && s.spiI !== first!.spiI),
        200_000,
      );
      const rekeyed = afterIke.find((s) => s.state === 'ESTABLISHED' && s.spiI !== first!.spiI)!;
      expect(rekeyed.initiator).toBe(false);
      expect(rekeyed.children.some((c) => c.state === 'INSTALLED')).toBe(true);
      expect(lab.ping(), lab.diag()).toBe(true);
      expect(await lab.tcpEcho('after')).toBe(true);
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 360_000);
});
