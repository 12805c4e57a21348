/**
 * tshark as an independent ESP decoder (see /work/shared/docs/peers-in-netns.md §6): capture with
 * dumpcap, write Wireshark's `esp_sa` UAT from the manual keys into a private
 * WIRESHARK_CONFIG_DIR with `esp.enable_encryption_decode: TRUE` and
 * `esp.enable_authentication_check: TRUE` (without it the ICV is "[unchecked]"), and read back per packet the
 * SPI, the ICV verdict and the decoded inner protocol.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from '../../support/nat-router.js';

export interface EspSaEntry {
  readonly spi: number;
  readonly suite: 'gcm' | 'cbc';
  /** Hex; GCM: key followed by the 4-byte salt. */
  readonly encKey: string;
  readonly integKey?: string;
}

/** One `esp_sa` UAT line (Wireshark 4.0 field order: protocol, src, dst, SPI, enc, key, auth, key). */
function uatLine(e: EspSaEntry): string {
  const spi = `0x${e.spi.toString(16).padStart(8, '0')}`;
  const enc = e.suite === 'gcm' ? 'AES-GCM with 16 octet ICV [RFC4106]' : 'AES-CBC [RFC3602]';
  const auth = e.suite === 'gcm' ? 'NULL' : 'HMAC-SHA-256-128 [RFC4868]';
  const ikey = e.integKey !== undefined ? `0x${e.integKey}` : '';
  return `"IPv4","*","*","${spi}","${enc}","0x${e.encKey}","${auth}","${ikey}"`;
}

export function writeWiresharkConfig(dir: string, entries: readonly EspSaEntry[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'esp_sa'), `${entries.map(uatLine).join('\n')}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'preferences'),
    'esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n',
  );
}

/** A running dumpcap in a namespace; `stop()` ends it and waits until the file is complete. */
export class Capture {
  private readonly proc: ChildProcess;
  readonly file: string;
  private stderr = '';

  private constructor(proc: ChildProcess, file: string) {
    this.proc = proc;
    this.file = file;
    proc.stderr?.on('data', (b: Buffer) => {
      this.stderr += b.toString('utf8');
    });
  }

  /**
   * Capture ESP leaving `ifnames` (egress only: each datagram once, after the kernel segmented
   * GSO batches, as on a wire).
   */
  static async start(ns: string, ifnames: readonly string[], file: string): Promise<Capture> {
    const ifs = ifnames.flatMap((i) => ['-i', i, '-f', 'outbound and (udp port 4500 or esp)']);
    const proc = spawn('ip', ['netns', 'exec', ns, 'dumpcap', '-P', ...ifs, '-w', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const c = new Capture(proc, file);
    const deadline = Date.now() + 10_000;
    while (!c.stderr.includes('Capturing on')) {
      if (proc.exitCode !== null) throw new Error(`dumpcap failed: ${c.stderr}`);
      if (Date.now() > deadline) throw new Error(`dumpcap did not start: ${c.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    return c;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    // Let dumpcap drain its per-interface buffers before the signal.
    await new Promise((r) => setTimeout(r, 500));
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGINT');
    await done;
  }
}

export interface DecodedEsp {
  readonly frame: number;
  readonly spi: number;
  readonly icvGood: boolean;
  readonly icvBad: boolean;
  /** Inner IP protocol numbers seen inside (1 ICMP, 58 ICMPv6, 6 TCP). */
  readonly innerProtocols: readonly string[];
  readonly icmpType: string;
  readonly sequence: number;
  readonly udpLength: number;
}

/** Decode every ESP packet of a capture with tshark and the given config directory. */
export function decodeEsp(file: string, configDir: string): DecodedEsp[] {
  const out = sh([
    'env',
    `WIRESHARK_CONFIG_DIR=${configDir}`,
    'tshark',
    '-r',
    file,
    '-Y',
    'esp',
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-e',
    'frame.number',
    '-e',
    'esp.spi',
    '-e',
    'esp.icv_good',
    '-e',
    'esp.icv_bad',
    '-e',
    'ip.proto',
    '-e',
    'icmp.type',
    '-e',
    'ipv6.nxt',
    '-e',
    'esp.sequence',
    '-e',
    'udp.length',
  ]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [frame, spi, good, bad, protos, icmp, nxt, seq, udpLen] = line.split('|');
      return {
        frame: Number(frame),
        spi: Number(spi),
        icvGood: (good ?? '').split(',').some((v) => v === '1' || v === 'True'),
        icvBad: (bad ?? '').split(',').some((v) => v === '1' || v === 'True'),
        // ip.proto lists the outer header first (17, UDP), then the decrypted inner one.
        innerProtocols: [
          ...(protos ?? '').split(',').slice(1),
          ...(nxt ?? '').split(',').filter((v) => v !== ''),
        ],
        icmpType: icmp ?? '',
        sequence: Number(seq),
        udpLength: Number(udpLen),
      };
    });
}

/** UDP payloads (hex) of the captured ESP-in-UDP datagrams with this SPI, in capture order. */
export function espPayloads(file: string, spi: number): string[] {
  const out = sh([
    'tshark',
    '-r',
    file,
    '-Y',
    `esp.spi == 0x${spi.toString(16).padStart(8, '0')}`,
    '-T',
    'fields',
    '-e',
    'udp.payload',
  ]);
  return out
    .split('\n')
    .map((l) => l.trim().replace(/:/g, ''))
    .filter((l) => l !== '');
}
