/**
 * `nvad clear crypto session` against strongSwan (the real daemon behind a 1:1 NAT, nvad
 * initiates): charon receives an IKE Delete and drops the IKE_SA, nvad starts over at once with
 * a fresh IKE_SA_INIT (new IKE and ESP SPIs), and pings cross the tunnel again afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IkeLab, until } from './lab.js';

describe('nvad clear crypto session (strongSwan peer)', () => {
  let lab: IkeLab;

  beforeAll(() => {
    lab = IkeLab.create(`nvcl${process.pid % 100000}`);
  });

  afterAll(async () => {
    await lab.close();
  });

  it('charon sees an IKE Delete and nvad re-establishes with new SPIs; ping works after', async () => {
    try {
      await lab.start({
        nvad: {
          ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [ecp384]'],
          esp: ['encryption: [aes-gcm-256]', 'pfs-group: none'],
        },
        swanIke: 'aes256gcm16-prfsha384-ecp384',
        swanEsp: 'aes256gcm16',
        initiator: 'nvad',
      });
      const charon = lab.charon!;
      await lab.waitUp(30_000);
      expect(lab.ping(), lab.diag()).toBe(true);
      const [first] = charon.listSas();
      expect(first?.initiator).toBe(false);
      const firstChild = first!.children[0]!;
      const logMark = charon.log().length;

      const out = lab.clear(['crypto', 'session', 'interface', 'Tunnel1']);
      expect(out).toMatch(
        /^Tunnel1 \(peer \S+\): 1 IKE SA and 1 child SA deleted; re-initiating now\n$/,
      );

      // charon got the Delete (INFORMATIONAL with a D payload) and tore its IKE_SA down...
      const after = await charon.waitFor(
        (l) =>
          !l.some((s) => s.spiI === first!.spiI) &&
          l.some(
            (s) => s.state === 'ESTABLISHED' && s.children.some((c) => c.state === 'INSTALLED'),
          ),
        30_000,
      );
      // ...and nvad initiated a fresh one: new IKE SPIs, new ESP SPIs.
      const fresh = after.find((s) => s.state === 'ESTABLISHED')!;
      expect(fresh.initiator).toBe(false);
      expect(fresh.spiI).not.toBe(first!.spiI);
      const child = fresh.children.find((c) => c.state === 'INSTALLED')!;
      expect(child.spiIn).not.toBe(firstChild.spiIn);
      expect(child.spiOut).not.toBe(firstChild.spiOut);
      await until('nvad logs the clear', () => lab.log().includes('"msg":"clear crypto session"'));

      await lab.waitUp(30_000);
      // The new outbound SA may need a moment to be installed on nvad's side.
      let ok = false;
      for (let i = 0; i < 10 && !ok; i++) ok = lab.ping();
      expect(ok, lab.diag()).toBe(true);
      expect(lab.daemonAlive()).toBe(true);
      // charon's file log is buffered: stop it (flushes), then read what it logged since the clear.
      await charon.stop();
      const swanLog = charon.log().slice(logMark);
      expect(swanLog).toMatch(/parsed INFORMATIONAL request \d+ \[ D \]/);
      expect(swanLog).toMatch(/received DELETE for IKE_SA t\[1\]/);
    } finally {
      await lab.stopCase();
    }
  }, 120_000);
});
