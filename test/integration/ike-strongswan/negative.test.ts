/**
 * Failures against strongSwan (nvad behind a 1:1 NAT, the real daemon): proposal mismatch, wrong
 * PSK, identity mismatch and PFS required by one side only (visible at the child rekey). Each
 * fails with a clear log line on nvad's side, no secret is logged, and the daemon stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CryptoSessionDto } from '../../../src/mgmt/show/commands/crypto-session.js';
import { IkeLab, PSK, until, type CaseOptions, type NvadCrypto } from './lab.js';

const GCM: NvadCrypto = {
  ike: ['encryption: [aes-gcm-256]', 'prf: [sha384]', 'dh-group: [ecp384]'],
  esp: ['encryption: [aes-gcm-256]', 'pfs-group: none'],
};
const BASE: CaseOptions = {
  nvad: GCM,
  swanIke: 'aes256gcm16-prfsha384-ecp384',
  swanEsp: 'aes256gcm16',
  initiator: 'nvad',
};

describe('IKEv2 failures against strongSwan', () => {
  let lab: IkeLab;

  beforeAll(() => {
    lab = IkeLab.create(`nvin${process.pid % 100000}`);
  });

  afterAll(async () => {
    await lab.close();
  });

  async function expectLog(re: RegExp): Promise<void> {
    await until(
      `nvad log ${String(re)}`,
      () => re.test(lab.log()),
      15_000,
      () => lab.diag(),
    );
  }

  function session(): CryptoSessionDto['sessions'][number] | undefined {
    return (lab.showJson(['crypto', 'session']) as CryptoSessionDto).sessions[0];
  }

  it('proposal mismatch, nvad initiating: the peer answers NO_PROPOSAL_CHOSEN', async () => {
    try {
      await lab.start({ ...BASE, swanIke: 'aes256-sha256-modp2048' });
      await expectLog(/peer answered IKE_SA_INIT with NO_PROPOSAL_CHOSEN/);
      expect(lab.daemonAlive()).toBe(true);
      expect(session()?.status).not.toBe('UP-ACTIVE');
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('proposal mismatch, charon initiating: nvad logs that no proposal matched', async () => {
    try {
      await lab.start({ ...BASE, initiator: 'charon', swanIke: 'aes256-sha256-modp2048' });
      expect(() => lab.charon!.initiate('c', 't', 5)).toThrow();
      await expectLog(
        /no IKE proposal chosen; ours: aes-gcm-256\/prf-sha384\/ecp384; theirs: aes-cbc-256\/sha256\/prf-sha256\/modp2048/,
      );
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('wrong PSK: the peer answers AUTHENTICATION_FAILED; the key is never logged', async () => {
    const wrong = 'not-the-right-psk-0000';
    try {
      await lab.start({ ...BASE, nvadPsk: wrong });
      await expectLog(
        /peer rejected our authentication \(AUTHENTICATION_FAILED\): check the PSK and our identity/,
      );
      expect(lab.log()).not.toContain(wrong);
      expect(lab.log()).not.toContain(PSK);
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('wrong PSK, charon initiating: nvad cannot verify the AUTH and says so', async () => {
    const wrong = 'not-the-right-psk-1111';
    try {
      await lab.start({ ...BASE, initiator: 'charon', nvadPsk: wrong });
      expect(() => lab.charon!.initiate('c', 't', 5)).toThrow();
      await expectLog(
        /authentication failed: AUTH from ipv4:198.51.100.2 does not verify \(pre-shared key mismatch\?\)/,
      );
      expect(lab.log()).not.toContain(wrong);
      expect(lab.log()).not.toContain(PSK);
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('identity mismatch: the peer authenticates as someone else than remote-id', async () => {
    try {
      await lab.start({ ...BASE, nvadRemoteId: 'azure-gw.example.net' });
      await expectLog(
        /peer identity mismatch: expected fqdn:azure-gw.example.net, peer sent ipv4:198.51.100.2/,
      );
      expect(lab.daemonAlive()).toBe(true);
      expect(session()?.status).not.toBe('UP-ACTIVE');
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('PFS required by nvad only: the tunnel comes up, the peer child rekey is refused', async () => {
    try {
      await lab.start({
        ...BASE,
        nvad: { ...GCM, esp: ['encryption: [aes-gcm-256]', 'pfs-group: ecp384'] },
        swanEsp: 'aes256gcm16',
      });
      await lab.waitUp();
      expect(lab.ping(), lab.diag()).toBe(true);
      expect(() => lab.charon!.rekeyChild('c')).not.toThrow();
      await expectLog(
        /peer's child sa rekey refused: no ESP proposal chosen; ours: aes-gcm-256\/ecp384\/noesn; theirs: aes-gcm-256\/noesn/,
      );
      // The old child stays in use: traffic still flows.
      expect(lab.ping(), lab.diag()).toBe(true);
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('PFS required by charon only: its child rekey with KE is refused by nvad', async () => {
    try {
      await lab.start({ ...BASE, swanEsp: 'aes256gcm16-ecp384' });
      await lab.waitUp();
      expect(lab.ping(), lab.diag()).toBe(true);
      expect(() => lab.charon!.rekeyChild('c')).not.toThrow();
      await expectLog(
        /peer's child sa rekey refused: no ESP proposal chosen; ours: aes-gcm-256\/noesn; theirs: aes-gcm-256\/ecp384\/noesn/,
      );
      expect(lab.ping(), lab.diag()).toBe(true);
      expect(lab.daemonAlive()).toBe(true);
    } finally {
      await lab.stopCase();
    }
  }, 60_000);

  it('dead peer: the tunnel goes down at once, and comes back when the peer answers again', async () => {
    const block = ['iptables', '-I', 'FORWARD', '-j', 'DROP'];
    let blocked = false;
    try {
      await lab.start({ ...BASE, nvadDpd: { intervalSec: 2, retries: 1 } });
      await lab.waitUp();
      expect(lab.ping(), lab.diag()).toBe(true);
      lab.exec(lab.nat.router, block);
      blocked = true;
      await expectLog(/"msg":"peer dead; tunnel down"/);
      await until(
        'Tunnel1 down',
        () => !lab.exec(lab.nvadNs, ['ip', '-o', 'link', 'show', 'Tunnel1']).includes(',UP'),
        5000,
        () => lab.diag(),
      );
      expect(session()?.lineProtocolUp).toBe(false);
      expect(lab.daemonAlive()).toBe(true);
      lab.exec(lab.nat.router, ['iptables', '-D', 'FORWARD', '-j', 'DROP']);
      blocked = false;
      // nvad re-initiates with backoff; INITIAL_CONTACT clears charon's stale SA.
      await until(
        'tunnel back',
        () => lab.ping(1),
        30_000,
        () => lab.diag(),
      );
    } finally {
      if (blocked) lab.exec(lab.nat.router, ['iptables', '-D', 'FORWARD', '-j', 'DROP']);
      await lab.stopCase();
    }
  }, 90_000);
});
