/**
 * ESP hot-path benchmark (`npm run bench:esp`): one run prints
 *   1. the crypto ceiling `openssl speed -elapsed -seconds 1 -bytes 1400 -evp aes-256-gcm`,
 *   2. the native fast path (native/src/esp_sa.cc): AES-256-GCM and AES-256-CBC + HMAC-SHA-256-128,
 *      encrypt and decrypt, 1400-byte inner packets, batches of 64 (one N-API call per batch),
 *   3. the TypeScript reference path (src/esp/wire.ts sealEsp/openEsp, node:crypto per packet),
 * each with its ratio to the openssl figure (target: native GCM encrypt >= 0.5x).
 *
 * Sections are a list (`SECTIONS`), selected with `--only <name>`. With `--e2e` (root, iperf3) it
 * also runs one TCP stream through two native tunnel ends in network namespaces
 * (test/integration/datapath/netns-pair.ts), plain TUN and IFF_VNET_HDR, and one through a strongSwan
 * kernel-libipsec tunnel (bench/esp-e2e.ts), and prints the Gbps and the nvad/strongSwan ratio.
 */
import { randomBytes } from 'node:crypto';
import type { EncryptionName, IntegrityName } from '../src/crypto/transforms.js';
import { EspBatch, NativeEspSa, NativeEspSad } from '../src/esp/native-esp.js';
import { openEsp, sealEsp } from '../src/esp/wire.js';
import type { ChildSaParams } from '../src/ike/ports.js';
import { formatTable, opensslSpeed, timeLoop } from './lib/measure.js';
import type { Row } from './lib/measure.js';
import { NetnsPair, iperfThroughTunnel } from '../test/integration/datapath/netns-pair.js';
import { printE2eRatio, strongswanE2eRows } from './esp-e2e.js';

const PACKET_BYTES = 1400;
const BATCH = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

function saParams(encryption: EncryptionName, integrity: IntegrityName | null): ChildSaParams {
  const gcm = encryption.startsWith('aes-gcm');
  return {
    spi: 0x0b0e0001,
    encryption,
    integrity,
    encKey: randomBytes(gcm ? 36 : 32),
    integKey: integrity === null ? null : randomBytes(32),
    esn: false,
    replayWindow: 1024,
    lifetime: { softSec: null, hardSec: null, softKb: null, hardKb: null },
  };
}

function innerPacket(): Buffer {
  const b = randomBytes(PACKET_BYTES);
  b[0] = 0x45;
  return b;
}

function nativeRows(label: string, p: ChildSaParams): Row[] {
  const batch = new EspBatch(BATCH);
  for (let i = 0; i < BATCH; i++) batch.setInput(i, innerPacket());
  // Encrypt: the sequence space (2^32) is far beyond what a few seconds use.
  const out = new NativeEspSa(p, 'out');
  const enc = timeLoop(() => out.sealBatch(batch, BATCH), PACKET_BYTES, SECONDS);

  // Decrypt: pre-seal a ring of batches, open them in order; a fresh inbound SA per pass keeps the
  // replay window honest (every packet is new to it).
  const RING = 128;
  const sealer = new NativeEspSa(p, 'out');
  const ring: EspBatch[] = [];
  for (let r = 0; r < RING; r++) {
    sealer.sealBatch(batch, BATCH);
    const b = new EspBatch(BATCH);
    b.inSlab.set(batch.outSlab);
    b.inLengths.set(batch.outLengths);
    ring.push(b);
  }
  let sad = new NativeEspSad();
  sad.add(new NativeEspSa(p, 'in'));
  let next = 0;
  const dec = timeLoop(
    () => {
      if (next === RING) {
        next = 0;
        sad = new NativeEspSad();
        sad.add(new NativeEspSa(p, 'in'));
      }
      const b = ring[next++]!;
      return sad.openBatch(b, BATCH);
    },
    PACKET_BYTES,
    SECONDS,
  );
  return [
    { path: `native ${label} encrypt (batch ${BATCH})`, rate: enc },
    { path: `native ${label} decrypt (batch ${BATCH})`, rate: dec },
  ];
}

function tsRows(label: string, p: ChildSaParams): Row[] {
  const inner = innerPacket();
  const gcm = p.integrity === null;
  const iv = randomBytes(16);
  let seq = 1n;
  const enc = timeLoop(
    () => {
      sealEsp(p, seq++, inner, 4, gcm ? undefined : iv);
      return 1;
    },
    PACKET_BYTES,
    SECONDS,
  );
  const sealed = sealEsp(p, 1n, inner, 4, gcm ? undefined : iv);
  const dec = timeLoop(
    () => {
      const r = openEsp(p, sealed, 0);
      if (typeof r === 'string') throw new Error(`reference open failed: ${r}`);
      return 1;
    },
    PACKET_BYTES,
    SECONDS,
  );
  return [
    { path: `ts reference ${label} encrypt (per packet)`, rate: enc },
    { path: `ts reference ${label} decrypt (per packet)`, rate: dec },
  ];
}

interface Section {
  readonly name: string;
  run(): Row[] | Promise<Row[]>;
}

const E2E_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? '5');

async function e2eRows(vnetHdr: boolean): Promise<Row[]> {
  const pair = await NetnsPair.start({ vnetHdr, prefix: `nvbe${process.pid}` });
  try {
    const r = iperfThroughTunnel(pair, E2E_SECONDS);
    const pps = (r.gbps * 1e9) / (PACKET_BYTES * 8);
    const label = vnetHdr ? 'vnet_hdr/TSO TUN' : 'plain TUN';
    return [
      {
        path: `e2e iperf3 1 TCP stream, ${label} (${r.retransmits} retr)`,
        rate: { packets: pps * E2E_SECONDS, seconds: E2E_SECONDS, pps, gbps: r.gbps },
      },
    ];
  } finally {
    pair.close();
  }
}

const GCM = saParams('aes-gcm-256', null);
const CBC = saParams('aes-cbc-256', 'sha256');

const SECTIONS: readonly Section[] = [
  { name: 'native-gcm', run: () => nativeRows('aes-256-gcm', GCM) },
  { name: 'native-cbc', run: () => nativeRows('aes-256-cbc+sha256', CBC) },
  { name: 'ts-gcm', run: () => tsRows('aes-256-gcm', GCM) },
  { name: 'ts-cbc', run: () => tsRows('aes-256-cbc+sha256', CBC) },
];

/** End to end through two namespaces (needs root and iperf3): only with --e2e. */
const E2E_SECTIONS: readonly Section[] = [
  { name: 'e2e-plain', run: () => e2eRows(false) },
  { name: 'e2e-vnet', run: () => e2eRows(true) },
  { name: 'e2e-strongswan', run: () => strongswanE2eRows(E2E_SECONDS) },
];

async function main(): Promise<void> {
  const onlyIdx = process.argv.indexOf('--only');
  const only = onlyIdx >= 0 ? process.argv[onlyIdx + 1] : undefined;
  const speed = opensslSpeed('aes-256-gcm', PACKET_BYTES);
  console.log(`# ${speed.command}`);
  console.log(
    speed.gbps === null
      ? `openssl figure unavailable:\n${speed.raw}`
      : `openssl aes-256-gcm ${PACKET_BYTES} B: ${speed.gbps.toFixed(2)} Gbps (one core)`,
  );
  const rows: Row[] = [];
  const sections = process.argv.includes('--e2e') ? [...SECTIONS, ...E2E_SECTIONS] : SECTIONS;
  for (const s of sections) {
    if (only !== undefined && s.name !== only) continue;
    rows.push(...(await s.run()));
  }
  console.log(
    `\n# ${PACKET_BYTES}-byte inner packets, ${SECONDS} s per row, node ${process.version}`,
  );
  console.log(formatTable(rows, speed.gbps));
  const gcmEnc = rows.find((r) => r.path.startsWith('native aes-256-gcm encrypt'));
  if (gcmEnc !== undefined && speed.gbps !== null) {
    const ratio = gcmEnc.rate.gbps / speed.gbps;
    console.log(`\nnative GCM encrypt / openssl = ${ratio.toFixed(2)} (target >= 0.5)`);
  }
  printE2eRatio(rows);
}

await main();
