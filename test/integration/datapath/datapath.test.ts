/**
 * Native datapath end to end (root + network namespaces): two namespaces joined by a veth pair,
 * each running test/integration/datapath/peer.ts (TUN + native datapath, manual AES-256-GCM SAs
 * with ESN, UDP 4500). Pings cross the tunnel over IPv4 and IPv6 inner; IKE datagrams (non-ESP
 * marker) reach JS on the other side; counters move.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PREFIX = `nvdp${process.pid}`;
const NS_A = `${PREFIX}a`;
const NS_B = `${PREFIX}b`;
const PEER = fileURLToPath(new URL('./peer.ts', import.meta.url));

function sh(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
function inNs(ns: string, args: string[]): string {
  return sh(['ip', 'netns', 'exec', ns, ...args]);
}

interface Peer {
  proc: ChildProcessWithoutNullStreams;
  lines: Interface;
  queue: string[];
  waiters: ((line: string) => void)[];
  stderr: string[];
}

function startPeer(ns: string, cfg: object): Peer {
  const proc = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', PEER, JSON.stringify(cfg)],
    {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    },
  );
  const peer: Peer = {
    proc,
    lines: createInterface({ input: proc.stdout }),
    queue: [],
    waiters: [],
    stderr: [],
  };
  peer.lines.on('line', (l) => {
    const w = peer.waiters.shift();
    if (w) w(l);
    else peer.queue.push(l);
  });
  proc.stderr.on('data', (d: Buffer) => peer.stderr.push(d.toString()));
  return peer;
}

function nextLine(peer: Peer, timeoutMs = 20_000): Promise<string> {
  const q = peer.queue.shift();
  if (q !== undefined) return Promise.resolve(q);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`peer timed out; stderr: ${peer.stderr.join('')}`));
    }, timeoutMs);
    peer.waiters.push((l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
}

interface PeerCounters {
  global: Record<string, number>;
  out: { packets: number; bytes: number };
  in: { packets: number; bytes: number };
  unknownSpi: number;
  ike: string[];
}

async function counters(peer: Peer): Promise<PeerCounters> {
  peer.proc.stdin.write('counters\n');
  return JSON.parse(await nextLine(peer)) as PeerCounters;
}

const peers: Peer[] = [];

function cleanup(): void {
  for (const p of peers) {
    p.proc.stdin.end();
    p.proc.kill('SIGTERM');
  }
  for (const ns of [NS_A, NS_B]) {
    try {
      sh(['ip', 'netns', 'del', ns]);
    } catch {
      // already gone
    }
  }
}

describe('native datapath across two namespaces', () => {
  let a: Peer;
  let b: Peer;

  beforeAll(async () => {
    try {
      sh(['ip', 'netns', 'add', NS_A]);
      sh(['ip', 'netns', 'add', NS_B]);
      sh([
        'ip',
        'link',
        'add',
        `${PREFIX}va`,
        'netns',
        NS_A,
        'type',
        'veth',
        'peer',
        'name',
        `${PREFIX}vb`,
        'netns',
        NS_B,
      ]);
      inNs(NS_A, ['ip', 'addr', 'add', '10.201.0.1/24', 'dev', `${PREFIX}va`]);
      inNs(NS_B, ['ip', 'addr', 'add', '10.201.0.2/24', 'dev', `${PREFIX}vb`]);
      for (const [ns, dev] of [
        [NS_A, `${PREFIX}va`],
        [NS_B, `${PREFIX}vb`],
      ] as const) {
        inNs(ns, ['ip', 'link', 'set', dev, 'up']);
        inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      }
      const keyAB = randomBytes(36).toString('hex');
      const keyBA = randomBytes(36).toString('hex');
      const common = { vnetHdr: false, mtu: 1400, mss4: 1360 };
      a = startPeer(NS_A, {
        ...common,
        tun: 'tunA',
        inner4: '172.31.0.1/30',
        inner6: 'fd00:99::1/64',
        local: '10.201.0.1',
        remote: '10.201.0.2',
        spiIn: 0xb0000001,
        spiOut: 0xa0000001,
        keyInHex: keyBA,
        keyOutHex: keyAB,
      });
      b = startPeer(NS_B, {
        ...common,
        vnetHdr: true,
        tun: 'tunB',
        inner4: '172.31.0.2/30',
        inner6: 'fd00:99::2/64',
        local: '10.201.0.2',
        remote: '10.201.0.1',
        spiIn: 0xa0000001,
        spiOut: 0xb0000001,
        keyInHex: keyAB,
        keyOutHex: keyBA,
      });
      peers.push(a, b);
      expect(await nextLine(a)).toMatch(/^ready/);
      expect(await nextLine(b)).toMatch(/^ready/);
    } catch (err) {
      cleanup();
      throw err;
    }
  });

  afterAll(() => {
    cleanup();
  });

  it('carries IPv4 pings through ESP-in-UDP', async () => {
    const out = inNs(NS_A, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.31.0.2']);
    expect(out).toMatch(/3 received/);
    const ca = await counters(a);
    const cb = await counters(b);
    expect(ca.out.packets).toBeGreaterThanOrEqual(3);
    expect(cb.in.packets).toBeGreaterThanOrEqual(3);
    expect(cb.out.packets).toBeGreaterThanOrEqual(3);
    expect(ca.in.packets).toBeGreaterThanOrEqual(3);
    expect(ca.global.txPackets).toBeGreaterThanOrEqual(3);
  });

  it('carries IPv6 pings, including from the vnet_hdr side', async () => {
    const before = await counters(b);
    const out = inNs(NS_B, ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', 'fd00:99::1']);
    expect(out).toMatch(/3 received/);
    const after = await counters(b);
    expect(after.out.packets - before.out.packets).toBeGreaterThanOrEqual(3);
    expect(after.in.packets - before.in.packets).toBeGreaterThanOrEqual(3);
  });

  it('carries a TCP stream (GSO super-packets split on the vnet_hdr side)', () => {
    const server = spawn('ip', ['netns', 'exec', NS_A, 'iperf3', '-s', '-1', '-B', '172.31.0.1']);
    try {
      execFileSync('sleep', ['0.5']);
      const out = inNs(NS_B, ['iperf3', '-c', '172.31.0.1', '-t', '2', '-J']);
      const result = JSON.parse(out) as {
        end: { sum_received: { bytes: number; bits_per_second: number } };
      };
      expect(result.end.sum_received.bytes).toBeGreaterThan(1_000_000);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('hands IKE datagrams (non-ESP marker) to JS and counts unknown SPIs', async () => {
    a.proc.stdin.write('ike 2122232425\n');
    expect(await nextLine(a)).toBe('sent');
    // A stray ESP packet with an unknown SPI from A's namespace.
    inNs(NS_A, [
      'node',
      '-e',
      `const s=require('dgram').createSocket('udp4');s.send(Buffer.from('deadbeef0000000100000000000000000000000000000000','hex'),4500,'10.201.0.2',()=>s.close())`,
    ]);
    execFileSync('sleep', ['0.3']);
    const cb = await counters(b);
    expect(cb.ike).toContain('10.201.0.1:2122232425');
    expect(cb.global.ikePackets).toBe(1);
    expect(cb.unknownSpi).toBe(1);
  });
});
