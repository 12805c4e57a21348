/**
 * ESP acceptance (root + network namespaces): two real daemons (`nvad run`) with manual SAs, A
 * behind a 1:1 NAT router, ESP in UDP 4500. For AES-GCM-256 and for AES-CBC-256 + HMAC-SHA-256:
 * IPv4 and IPv6 pings through the tunnel, an iperf3 TCP transfer between hosts behind the two
 * daemons, packet counters both ways in `nvad show crypto ipsec sa --json`, and tshark as an
 * independent decoder of the captured ESP (every packet decrypts, ICV correct, inner ICMP decodes),
 * pings and a bulk TCP transfer alike. The capture is taken on the NAT router's egress, where
 * the kernel has segmented the senders' UDP GSO batches as a wire would (see nat-router.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EspLab, type Suite } from './esp-lab.js';
import { Capture, decodeEsp, writeWiresharkConfig } from './tshark-oracle.js';

const SUITES: readonly Suite[] = ['gcm', 'cbc'];

describe.each(SUITES)('ESP through NAT between two nvad daemons (%s)', (suite) => {
  let lab: EspLab | undefined;
  let work = '';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nvad-esp-'));
    lab = await EspLab.start({ prefix: `nv${suite[0] ?? 'x'}${process.pid % 100000}`, suite });
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('pings across the tunnel over IPv4 and IPv6 inner addresses', () => {
    const l = lab!;
    expect(l.exec(l.nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.31.0.2'])).toMatch(
      /3 received/,
    );
    expect(
      l.exec(l.nsB, [
        'ping',
        '-6',
        '-c',
        '3',
        '-i',
        '0.2',
        '-W',
        '2',
        '-I',
        'fd00:b::1',
        'fd00:a::1',
      ]),
    ).toMatch(/3 received/);
    // Forwarded traffic: host behind A to host behind B.
    expect(l.exec(l.hostA, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '192.168.60.2'])).toMatch(
      /2 received/,
    );
  });

  it('carries an iperf3 TCP transfer between the hosts behind the daemons', async () => {
    const l = lab!;
    const server = spawn(
      'ip',
      ['netns', 'exec', l.hostB, 'iperf3', '-s', '-1', '-B', '192.168.60.2'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const out = l.exec(l.hostA, ['iperf3', '-c', '192.168.60.2', '-t', '3', '-J']);
      const r = JSON.parse(out) as {
        end: { sum_received: { bytes: number; bits_per_second: number } };
      };
      const mbps = r.end.sum_received.bits_per_second / 1e6;
      console.log(`iperf3 ${suite} through NAT: ${mbps.toFixed(0)} Mbit/s`);
      expect(r.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    } finally {
      server.kill('SIGKILL');
    }
  }, 30_000);

  it('carries an iperf3 TCP transfer over IPv6 inner between the hosts', async () => {
    const l = lab!;
    const server = spawn(
      'ip',
      ['netns', 'exec', l.hostB, 'iperf3', '-s', '-1', '-B', 'fd00:60::2'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const out = l.exec(l.hostA, ['iperf3', '-6', '-c', 'fd00:60::2', '-t', '3', '-J']);
      const r = JSON.parse(out) as {
        end: { sum_received: { bytes: number; bits_per_second: number } };
      };
      console.log(
        `iperf3 ${suite} IPv6 inner through NAT: ${(r.end.sum_received.bits_per_second / 1e6).toFixed(0)} Mbit/s`,
      );
      expect(r.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    } finally {
      server.kill('SIGKILL');
    }
  }, 30_000);

  it('counts packets both ways in show crypto ipsec sa --json (NAT-T, no keys)', () => {
    const l = lab!;
    const a = l.showSa(l.nsA);
    const b = l.showSa(l.nsB);
    for (const dto of [a, b]) {
      const t = dto.tunnels[0];
      expect(t?.interface).toBe('Tunnel1');
      expect(t?.lineProtocolUp).toBe(true);
      expect(t?.pktsEncaps).toBeGreaterThan(100);
      expect(t?.pktsDecaps).toBeGreaterThan(100);
      expect(t?.recvErrors).toBe(0);
      expect(t?.peerPort).toBe(4500);
      expect(t?.inboundEspSas[0]?.inUseSettings).toEqual(['Tunnel', 'UDP-Encaps']);
      expect(t?.inboundEspSas[0]?.transform).toBe(
        suite === 'gcm' ? 'esp-gcm 256' : 'esp-256-aes esp-sha256-hmac',
      );
    }
    // B sees A only by its public (post-NAT) address.
    expect(b.tunnels[0]?.currentPeer).toBe('203.0.113.2');
    expect(a.tunnels[0]?.currentOutboundSpi).toBe(l.keys.ab.spi);
    expect(b.tunnels[0]?.currentOutboundSpi).toBe(l.keys.ba.spi);
    // A's encaps are B's decaps (same SA), give or take packets in flight.
    const text = l.showText(l.nsA, ['crypto', 'ipsec', 'sa']);
    expect(text).toContain('interface: Tunnel1');
    expect(text).toContain('in use settings ={Tunnel UDP-Encaps, }');
    for (const secret of [l.keys.ab.enc, l.keys.ba.enc, l.keys.ab.integ, l.keys.ba.integ]) {
      if (secret === undefined) continue;
      expect(JSON.stringify(a) + JSON.stringify(b) + text).not.toContain(secret);
      expect(l.log(l.nsA) + l.log(l.nsB)).not.toContain(secret);
    }
  });

  it('is decrypted by tshark: every ESP packet decrypts with a good ICV, inner ICMP decodes', async () => {
    const l = lab!;
    const file = join(work, 'capture.pcap');
    const cap = await Capture.start(
      l.nat.router,
      [l.nat.routerOutsideIf, l.nat.routerInsideIf],
      file,
    );
    try {
      l.exec(l.nsA, ['ping', '-c', '5', '-i', '0.2', '-W', '2', '172.31.0.2']);
      l.exec(l.nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '-s', '1000', '172.31.0.2']);
      l.exec(l.nsB, [
        'ping',
        '-6',
        '-c',
        '3',
        '-i',
        '0.2',
        '-W',
        '2',
        '-I',
        'fd00:b::1',
        'fd00:a::1',
      ]);
      // Bulk TCP from B's own stack: TSO super-packets split natively, then batched UDP GSO.
      const server = spawn(
        'ip',
        ['netns', 'exec', l.nsA, 'iperf3', '-s', '-1', '-B', '172.31.0.1'],
        {
          stdio: 'ignore',
        },
      );
      try {
        await new Promise((r) => setTimeout(r, 500));
        l.exec(l.nsB, ['iperf3', '-c', '172.31.0.1', '-n', '1M']);
      } finally {
        server.kill('SIGKILL');
      }
    } finally {
      await cap.stop();
    }
    const k = l.keys;
    const dir = join(work, 'wireshark');
    writeWiresharkConfig(dir, [
      {
        spi: k.ab.spi,
        suite,
        encKey: k.ab.enc,
        ...(k.ab.integ !== undefined ? { integKey: k.ab.integ } : {}),
      },
      {
        spi: k.ba.spi,
        suite,
        encKey: k.ba.enc,
        ...(k.ba.integ !== undefined ? { integKey: k.ba.integ } : {}),
      },
    ]);
    const packets = decodeEsp(file, dir);
    expect(packets.length).toBeGreaterThanOrEqual(200);
    const bad = packets.filter((p) => !p.icvGood || p.icvBad || p.innerProtocols.length === 0);
    expect(bad, JSON.stringify(bad)).toEqual([]);
    const spis = new Set(packets.map((p) => p.spi));
    expect(spis).toEqual(new Set([k.ab.spi, k.ba.spi]));
    const icmp = packets.filter((p) => p.innerProtocols.includes('1'));
    expect(icmp.filter((p) => p.icmpType === '8').length).toBeGreaterThanOrEqual(5);
    expect(icmp.filter((p) => p.icmpType === '0').length).toBeGreaterThanOrEqual(5);
    expect(packets.some((p) => p.innerProtocols.includes('58'))).toBe(true);
    expect(packets.filter((p) => p.innerProtocols.includes('6')).length).toBeGreaterThan(150);
  }, 30_000);

  it('removes the tunnel interface and its routes on SIGTERM (exit 0)', async () => {
    const l = lab!;
    expect(await l.stopDaemon(l.nsA)).toBe(0);
    expect(l.exec(l.nsA, ['ip', '-o', 'link'])).not.toContain('Tunnel1');
    expect(l.exec(l.nsA, ['ip', 'route', 'show', 'proto', 'static'])).toBe('');
    expect(l.exec(l.nsA, ['ip', '-6', 'route', 'show', 'proto', 'static'])).toBe('');
  });
});
