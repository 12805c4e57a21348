/**
 * End-to-end ESP benchmark (root, iperf3, strongSwan): in one run, one TCP stream for
 * BENCH_E2E_SECONDS (default 8) through
 *   (a) an nvad-to-nvad tunnel between two namespaces (the native datapath with manual
 *       AES-256-GCM SAs, ESP in UDP 4500: test/integration/datapath/netns-pair.ts, as the
 *       `--e2e` section of bench/esp.bench.ts), plain TUN and IFF_VNET_HDR, and
 *   (b) a strongSwan 5.9 kernel-libipsec tunnel (charon <-> charon, IKEv2 PSK, AES-256-GCM-16,
 *       UDP-encapsulated): bench/lib/strongswan-pair.ts,
 * then prints both in Gbps and their ratio (target: nvad >= 5x strongSwan).
 *
 * Standalone: `tsx bench/esp-e2e.ts` (BENCH_E2E_RUNS=3 for medians of interleaved runs); the
 * strongSwan row is also a section of `npm run bench:esp -- --e2e`.
 */
import { fileURLToPath } from 'node:url';
import { NetnsPair, iperfThroughTunnel } from '../test/integration/datapath/netns-pair.js';
import type { Row } from './lib/measure.js';
import { StrongswanPair, iperfOneStream } from './lib/strongswan-pair.js';
import type { IperfFigures } from './lib/strongswan-pair.js';

const PACKET_BYTES = 1400;
export const E2E_TARGET_RATIO = 5;
const STRONGSWAN_PREFIX = 'strongSwan kernel-libipsec';

function row(path: string, r: IperfFigures, seconds: number): Row {
  const pps = (r.gbps * 1e9) / (PACKET_BYTES * 8);
  return {
    path: `${path} (${r.retransmits} retr)`,
    rate: { packets: pps * seconds, seconds, pps, gbps: r.gbps },
  };
}

/** (a) nvad-to-nvad: one TCP stream B -> A through the native datapath. */
export async function nvadE2e(seconds: number, vnetHdr: boolean): Promise<IperfFigures> {
  const pair = await NetnsPair.start({ vnetHdr, prefix: `nvbx${process.pid}` });
  try {
    return iperfThroughTunnel(pair, seconds);
  } finally {
    pair.close();
  }
}

/** (b) strongSwan kernel-libipsec: one TCP stream B -> A. */
export async function strongswanE2e(seconds: number): Promise<IperfFigures> {
  const pair = await StrongswanPair.start(`nvbs${process.pid}`);
  try {
    return await iperfOneStream(pair.nsA, pair.innerA, pair.nsB, pair.innerB, seconds);
  } finally {
    await pair.close();
  }
}

/** The strongSwan row for bench/esp.bench.ts's table. */
export async function strongswanE2eRows(seconds: number): Promise<Row[]> {
  const r = await strongswanE2e(seconds);
  return [row(`e2e iperf3 1 TCP stream, ${STRONGSWAN_PREFIX} aes-256-gcm`, r, seconds)];
}

/** Print best nvad e2e row / strongSwan row, when both are in `rows`. */
export function printE2eRatio(rows: readonly Row[]): void {
  const ss = rows.find((r) => r.path.includes(STRONGSWAN_PREFIX));
  const nvad = rows
    .filter((r) => r.path.startsWith('e2e ') && !r.path.includes(STRONGSWAN_PREFIX))
    .sort((x, y) => y.rate.gbps - x.rate.gbps)[0];
  if (ss === undefined || nvad === undefined || ss.rate.gbps <= 0) return;
  const ratio = nvad.rate.gbps / ss.rate.gbps;
  console.log(
    `\ne2e nvad (${nvad.path}) / strongSwan = ${ratio.toFixed(2)}x (target >= ${E2E_TARGET_RATIO}x)`,
  );
}

export interface E2eResult {
  readonly nvadPlain: IperfFigures;
  readonly nvadVnet: IperfFigures;
  readonly strongswan: IperfFigures;
  readonly ratio: number;
}

function median(xs: readonly IperfFigures[]): IperfFigures {
  const sorted = [...xs].sort((x, y) => x.gbps - y.gbps);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  if (m === undefined) throw new Error('no runs');
  return m;
}

/**
 * Run the three paths `runs` times (interleaved, so load from other work hits all of them alike),
 * print every run and the medians, and the ratio of the better nvad median to strongSwan's.
 */
export async function runEspE2e(seconds: number, runs = 1): Promise<E2eResult> {
  const fmt = (r: IperfFigures): string =>
    `${r.gbps.toFixed(2).padStart(6)} Gbps  (${r.retransmits} retransmits)`;
  const plain: IperfFigures[] = [];
  const vnet: IperfFigures[] = [];
  const ss: IperfFigures[] = [];
  console.log(`# iperf3, one TCP stream, ${seconds} s, ${runs} run(s), node ${process.version}`);
  for (let i = 0; i < runs; i++) {
    plain.push(await nvadE2e(seconds, false));
    vnet.push(await nvadE2e(seconds, true));
    ss.push(await strongswanE2e(seconds));
    if (runs > 1) {
      console.log(
        `run ${i + 1}: nvad plain ${plain[i]!.gbps.toFixed(2)}, nvad vnet_hdr ` +
          `${vnet[i]!.gbps.toFixed(2)}, strongSwan ${ss[i]!.gbps.toFixed(2)} Gbps`,
      );
    }
  }
  const nvadPlain = median(plain);
  const nvadVnet = median(vnet);
  const strongswan = median(ss);
  const best = Math.max(nvadPlain.gbps, nvadVnet.gbps);
  const ratio = strongswan.gbps > 0 ? best / strongswan.gbps : Infinity;
  const what = runs > 1 ? 'median ' : '';
  console.log(`${what}nvad <-> nvad, plain TUN                      ${fmt(nvadPlain)}`);
  console.log(`${what}nvad <-> nvad, IFF_VNET_HDR TUN               ${fmt(nvadVnet)}`);
  console.log(`${what}strongSwan kernel-libipsec, AES-256-GCM, UDP  ${fmt(strongswan)}`);
  console.log(
    `ratio nvad (best) / strongSwan = ${ratio.toFixed(2)}x (target >= ${E2E_TARGET_RATIO}x: ` +
      `${ratio >= E2E_TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  return { nvadPlain, nvadVnet, strongswan, ratio };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runEspE2e(
    Number(process.env.BENCH_E2E_SECONDS ?? '8'),
    Number(process.env.BENCH_E2E_RUNS ?? '1'),
  );
}
