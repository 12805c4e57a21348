/**
 * ESP acceptance, hostile and oversized traffic (root + network namespaces, the two-daemon NAT lab
 * of esp-lab.ts with AES-GCM-256):
 *   - an ESP datagram captured on the router and re-injected unchanged is dropped as a replay;
 *   - a copy with a fresh sequence number and a flipped ciphertext byte fails the ICV;
 *   - a copy with an unknown SPI is dropped outside any tunnel;
 *   each counted by reason in `nvad show crypto ipsec sa --json`;
 *   - a DF packet too big for the 1400-byte tunnel, forwarded from a host behind the daemon, gets
 *     ICMP "fragmentation needed" with MTU 1400 (IPv4) and ICMPv6 "packet too big" (IPv6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CryptoIpsecSaDto } from '../../../src/mgmt/show/commands/crypto-ipsec-sa.js';
import { EspLab } from './esp-lab.js';
import { Capture, espPayloads } from './tshark-oracle.js';

/** Send one UDP datagram (hex payload) from the router's outside address to B's port 4500. */
const SENDER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for h in sys.argv[3:]:
    s.sendto(bytes.fromhex(h), (sys.argv[2], 4500))
`;

describe('ESP drops and MTU handling between two nvad daemons', () => {
  let lab: EspLab | undefined;
  let work = '';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nvad-espd-'));
    lab = await EspLab.start({ prefix: `nvd${process.pid % 100000}`, suite: 'gcm' });
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  function showB(): CryptoIpsecSaDto {
    const l = lab!;
    return l.showSa(l.nsB);
  }

  function inject(payloads: readonly string[]): void {
    const l = lab!;
    l.exec(l.nat.router, [
      'python3',
      '-c',
      SENDER,
      l.nat.addr.outsideGateway,
      l.nat.addr.outsideAddress,
      ...payloads,
    ]);
  }

  it('drops and counts replayed, corrupted and unknown-SPI packets', async () => {
    const l = lab!;
    const file = join(work, 'one.pcap');
    const cap = await Capture.start(
      l.nat.router,
      [l.nat.routerOutsideIf, l.nat.routerInsideIf],
      file,
    );
    try {
      l.exec(l.nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.31.0.2']);
    } finally {
      await cap.stop();
    }
    const captured = espPayloads(file, l.keys.ab.spi);
    expect(captured.length).toBeGreaterThanOrEqual(1);
    const original = Buffer.from(captured[0] ?? '', 'hex');
    const before = showB();
    const t0 = before.tunnels[0];
    const decaps0 = t0?.pktsDecaps ?? 0;

    // 1. Replay: the very same datagram (its sequence number was already received).
    inject([original.toString('hex'), original.toString('hex')]);
    // 2. Corrupted: a fresh sequence number (right of the window) and one flipped ciphertext byte.
    const corrupt = Buffer.from(original);
    corrupt.writeUInt32BE((corrupt.readUInt32BE(4) + 100_000) >>> 0, 4);
    const at = corrupt.length - 20;
    corrupt[at] = (corrupt[at] ?? 0) ^ 0x40;
    inject([corrupt.toString('hex')]);
    // 3. Unknown SPI.
    const unknown = Buffer.from(original);
    unknown.writeUInt32BE(0x0badf00d, 0);
    inject([unknown.toString('hex'), unknown.toString('hex'), unknown.toString('hex')]);
    await new Promise((r) => setTimeout(r, 300));

    const after = showB();
    const t = after.tunnels[0];
    expect(t?.drops.replay ?? 0).toBe((t0?.drops.replay ?? 0) + 2);
    expect(t?.replayDrops).toBe((t0?.replayDrops ?? 0) + 2);
    expect(t?.drops.icv ?? 0).toBe((t0?.drops.icv ?? 0) + 1);
    expect(t?.verifyFailed).toBe((t0?.verifyFailed ?? 0) + 1);
    expect(t?.recvErrors).toBe((t0?.recvErrors ?? 0) + 3);
    expect(after.unattributedDrops['unknown-spi'] ?? 0).toBe(
      (before.unattributedDrops['unknown-spi'] ?? 0) + 3,
    );
    // None of them was decrypted and delivered.
    expect(t?.pktsDecaps).toBe(decaps0);
    // The text form shows the same numbers.
    const text = l.showText(l.nsB, ['crypto', 'ipsec', 'sa']);
    expect(text).toContain(`#pkts replay failed (rcv): ${t?.replayDrops ?? -1}`);
    expect(text).toMatch(/drops outside any tunnel: .*unknown-spi \d+/);
    // The tunnel still works after the attack (the window was not advanced by forged packets).
    expect(l.exec(l.nsA, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '172.31.0.2'])).toMatch(
      /2 received/,
    );
  });

  it('answers an oversized DF packet with ICMP fragmentation needed, MTU 1400', () => {
    const l = lab!;
    const out = l.execOutput(l.hostA, [
      'ping',
      '-M',
      'do',
      '-s',
      '1472',
      '-c',
      '1',
      '-W',
      '2',
      '192.168.60.2',
    ]);
    expect(out).toMatch(/Frag needed and DF set \(mtu = 1400\)/);
    // A packet that fits goes through.
    expect(
      l.exec(l.hostA, ['ping', '-M', 'do', '-s', '1372', '-c', '1', '-W', '2', '192.168.60.2']),
    ).toMatch(/1 received/);
  });

  it('answers an oversized IPv6 packet with ICMPv6 packet too big, MTU 1400', () => {
    const l = lab!;
    const out = l.execOutput(l.hostA, [
      'ping',
      '-6',
      '-M',
      'do',
      '-s',
      '1452',
      '-c',
      '1',
      '-W',
      '2',
      'fd00:60::2',
    ]);
    expect(out).toMatch(/Packet too big: mtu=1400/);
    expect(
      l.exec(l.hostA, ['ping', '-6', '-M', 'do', '-s', '1352', '-c', '1', '-W', '2', 'fd00:60::2']),
    ).toMatch(/1 received/);
  });
});
