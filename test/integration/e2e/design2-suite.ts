/**
 * The Design 2 checks (dual stack, static; ../shared/examples/dual-stack-static.yaml), shared by
 * the test that runs nvad from the source tree and the one that runs it from the container image.
 * Registers hooks and tests in the caller's `describe`:
 *   1. both tunnels come up (IKE from both outside addresses through the 1:1 NAT, NAT-T);
 *   2. ping and ping6 from the NVA-side host reach the VNet host, over both tunnels (16 source
 *      addresses = 16 flows hashed onto the ECMP routes; per-tunnel counters of
 *      `show crypto ipsec sa --json` grow on both tunnels for IPv4 and again for IPv6);
 *   3. gateway instance 0 stops (IKE Delete, then charon exits): Tunnel0 goes down, its nexthop
 *      leaves both ECMP routes, ping and ping6 keep working through Tunnel1 alone;
 *   4. the instance comes back: nvad re-establishes Tunnel0 by itself and both tunnels carry
 *      IPv4 and IPv6 again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type {
  CryptoIpsecSaDto,
  IpsecTunnelDto,
} from '../../../src/mgmt/show/commands/crypto-ipsec-sa.js';
import type { InterfacesDto } from '../../../src/mgmt/show/commands/interfaces.js';
import { waitFor } from '../../support/netns.js';
import { allAnswered, D2, Design2Lab } from './design2-lab.js';
import type { PingResult } from './design2-lab.js';

/** The NVA under test, however it runs. */
export interface NvaUnderTest {
  /** `nvad show <words> --json`, parsed. */
  show(words: readonly string[]): Promise<unknown>;
  /** What the daemon logged so far (for failure messages). */
  log(): Promise<string>;
  /** Stop it (afterAll; must not throw). */
  stop(): Promise<void>;
}

export interface Design2SuiteOptions {
  /** Namespace tag, unique per test file. */
  readonly tag: string;
  /** Start nvad in `lab.nva` with the example configuration. */
  start(lab: Design2Lab): Promise<NvaUnderTest>;
}

export interface Design2Context {
  lab: Design2Lab | undefined;
  nva: NvaUnderTest | undefined;
}

const NAMES = [D2.tunnels[0].name, D2.tunnels[1].name] as const;

export async function ipsecSa(nva: NvaUnderTest): Promise<CryptoIpsecSaDto> {
  return (await nva.show(['crypto', 'ipsec', 'sa'])) as CryptoIpsecSaDto;
}

export function tunnelOf(dto: CryptoIpsecSaDto, name: string): IpsecTunnelDto {
  const t = dto.tunnels.find((x) => x.interface === name);
  if (t === undefined) throw new Error(`${name} missing in show crypto ipsec sa`);
  return t;
}

/** Wait until the tunnels' line protocols are as given. */
export async function waitTunnels(
  nva: NvaUnderTest,
  up: readonly [boolean, boolean],
  timeoutMs: number,
): Promise<CryptoIpsecSaDto> {
  return waitFor(
    `line protocol ${NAMES[0]} ${up[0] ? 'up' : 'down'}, ${NAMES[1]} ${up[1] ? 'up' : 'down'}`,
    async () => {
      const dto = await ipsecSa(nva);
      const ok = NAMES.every((n, i) => tunnelOf(dto, n).lineProtocolUp === up[i]);
      return ok ? dto : undefined;
    },
    timeoutMs,
    250,
  );
}

/** Encaps/decaps per tunnel, in NAMES order. */
async function counters(nva: NvaUnderTest): Promise<{ enc: number[]; dec: number[] }> {
  const dto = await ipsecSa(nva);
  const ts = NAMES.map((n) => tunnelOf(dto, n));
  return { enc: ts.map((t) => t.pktsEncaps), dec: ts.map((t) => t.pktsDecaps) };
}

function failed(results: readonly PingResult[]): string {
  return JSON.stringify(results.filter((r) => r.received !== r.sent));
}

/** Ping from every source until every probe is answered (convergence after a change). */
export async function pingsSettle(
  lab: Design2Lab,
  family: 4 | 6,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    `every IPv${family} ping answered`,
    async () => allAnswered(await lab.pingFromAll(family, 2)),
    timeoutMs,
    500,
  );
}

/** ECMP members of the route to `prefix` in the NVA's main table (tunnel names). */
async function routeMembers(lab: Design2Lab, prefix: string): Promise<string[]> {
  const out = await lab.ipIn(lab.nva, [
    prefix.includes(':') ? '-6' : '-4',
    'route',
    'show',
    prefix,
  ]);
  return [...out.matchAll(/dev (Tunnel\d)/g)].map((m) => m[1]!).sort();
}

/**
 * A round of 3 pings in `family` from every source must be answered (at most one loss per flow),
 * and the per-tunnel counters must grow on exactly the tunnels in `via` (both directions).
 */
export async function pingRound(
  lab: Design2Lab,
  nva: NvaUnderTest,
  family: 4 | 6,
  via: readonly number[],
): Promise<void> {
  const before = await counters(nva);
  const results = await lab.pingFromAll(family, 3);
  // every flow answered; one lost probe per flow is tolerated on a loaded machine
  expect(
    results.every((r) => r.received >= r.sent - 1),
    `IPv${family} pings lost: ${failed(results)}`,
  ).toBe(true);
  expect(results.reduce((n, r) => n + r.received, 0)).toBeGreaterThanOrEqual(
    Math.ceil(results.length * 3 * 0.95),
  );
  const after = await counters(nva);
  for (const [i, name] of NAMES.entries()) {
    const enc = after.enc[i]! - before.enc[i]!;
    const dec = after.dec[i]! - before.dec[i]!;
    if (via.includes(i)) {
      expect(enc, `${name} encaps over IPv${family}`).toBeGreaterThan(0);
      expect(dec, `${name} decaps over IPv${family}`).toBeGreaterThan(0);
    } else {
      expect(enc, `${name} encaps over IPv${family}`).toBe(0);
    }
  }
  const total = D2.hosts4.length * 3;
  const enc = via.reduce((n, i) => n + after.enc[i]! - before.enc[i]!, 0);
  expect(enc).toBeGreaterThanOrEqual(total);
}

export function design2Suite(opts: Design2SuiteOptions): Design2Context {
  const ctx: Design2Context = { lab: undefined, nva: undefined };

  beforeAll(async () => {
    ctx.lab = await Design2Lab.build(opts.tag);
    ctx.nva = await opts.start(ctx.lab);
  }, 180_000);

  afterAll(async () => {
    try {
      await ctx.nva?.stop();
    } finally {
      await ctx.lab?.destroy();
    }
  }, 120_000);

  it('brings up both tunnels from the two outside addresses through the 1:1 NAT', async () => {
    const lab = ctx.lab!;
    const nva = ctx.nva!;
    const dto = await waitTunnels(nva, [true, true], 60_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${(await nva.log()).slice(-4000)}`);
    });
    for (const [i, t] of D2.tunnels.entries()) {
      const dtoT = tunnelOf(dto, t.name);
      expect(dtoT.localAddress).toBe(t.local);
      expect(dtoT.currentPeer).toBe(D2.gateways[i]!.publicIp);
      expect(dtoT.peerPort).toBe(4500);
      expect(dtoT.plaintextMtu).toBe(1400);
      expect(dtoT.inboundEspSas[0]?.transform).toBe('esp-gcm 256');
      expect(dtoT.inboundEspSas[0]?.inUseSettings).toEqual(['Tunnel', 'UDP-Encaps']);
      // the gateway instance sees the NVA by its public address, as its IKE identity too
      const sa = await waitFor(
        `gateway ${i} SA`,
        () => lab.gatewaySa(i as 0 | 1) ?? undefined,
        10_000,
      );
      expect(sa.remoteHost).toBe(t.publicIp);
      expect(sa.remoteId).toBe(t.publicIp);
      expect(sa.natRemote).toBe(true);
      expect(sa.children[0]?.remoteTs).toEqual(['0.0.0.0/0', '::/0']);
      expect(sa.children[0]?.localTs).toEqual(['0.0.0.0/0', '::/0']);
    }
    const ifs = (await nva.show(['interfaces'])) as InterfacesDto;
    for (const [i, name] of NAMES.entries()) {
      const itf = ifs.interfaces.find((x) => x.name === name);
      expect(itf?.operUp, name).toBe(true);
      expect(itf?.mtu).toBe(1400);
      expect(itf?.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toContain(
        `172.168.0.${i + 1}/32`,
      );
    }
    expect(await routeMembers(lab, '10.1.0.0/24')).toEqual([...NAMES]);
    expect(await routeMembers(lab, '2001:db8:1::/48')).toEqual([...NAMES]);
  }, 90_000);

  it('carries ping and ping6 from the NVA-side host to the VNet host over both tunnels', async () => {
    await pingsSettle(ctx.lab!, 4);
    await pingsSettle(ctx.lab!, 6);
    await pingRound(ctx.lab!, ctx.nva!, 4, [0, 1]);
    await pingRound(ctx.lab!, ctx.nva!, 6, [0, 1]);
  }, 90_000);

  it('keeps ping and ping6 working through Tunnel1 when gateway instance 0 stops (IKE Delete)', async () => {
    const lab = ctx.lab!;
    const nva = ctx.nva!;
    // 10 probes/s per flow, 16 flows per family, across the switch-over
    const streams = Promise.all([lab.pingFromAll(4, 80, 0.1), lab.pingFromAll(6, 80, 0.1)]);
    await new Promise((r) => setTimeout(r, 1500));
    const swanLog = await lab.stopGateway(0);
    expect(swanLog).toMatch(
      /sending DELETE for IKE_SA|initiating Delete|INFORMATIONAL request \d+ \[ D \]/,
    );
    await waitTunnels(nva, [false, true], 20_000);
    await waitFor(
      'Tunnel0 out of both ECMP routes',
      async () =>
        (await routeMembers(lab, '10.1.0.0/24')).join() === 'Tunnel1' &&
        (await routeMembers(lab, '2001:db8:1::/48')).join() === 'Tunnel1',
      10_000,
    );
    const [r4, r6] = await streams;
    const lost = [...r4, ...r6].map((r) => r.sent - r.received);
    const maxLost = Math.max(...lost);
    console.log(
      `Design 2 failover (IKE Delete): ${lost.filter((n) => n > 0).length} of ${lost.length} flows lost probes, ` +
        `at most ${maxLost} of 80 at 10/s (~${maxLost * 100} ms)`,
    );
    // an IKE Delete takes the tunnel out at once: well under 2 s of loss for any flow
    expect(maxLost).toBeLessThanOrEqual(20);
    await pingsSettle(lab, 4, 20_000);
    await pingsSettle(lab, 6, 20_000);
    await pingRound(ctx.lab!, ctx.nva!, 4, [1]);
    await pingRound(ctx.lab!, ctx.nva!, 6, [1]);
  }, 120_000);

  it('re-establishes Tunnel0 by itself when the instance returns, and uses both tunnels again', async () => {
    const lab = ctx.lab!;
    const nva = ctx.nva!;
    await lab.startGateway(0);
    // nvad re-initiates with backoff (2 s doubling) and IKE retransmissions (4 s x 1.8^n)
    await waitTunnels(nva, [true, true], 150_000);
    await waitFor(
      'Tunnel0 back in both ECMP routes',
      async () =>
        (await routeMembers(lab, '10.1.0.0/24')).join() === NAMES.join() &&
        (await routeMembers(lab, '2001:db8:1::/48')).join() === NAMES.join(),
      10_000,
    );
    await waitFor('gateway 0 SA', () => lab.gatewaySa(0) ?? undefined, 10_000);
    await pingsSettle(lab, 4);
    await pingsSettle(lab, 6);
    await pingRound(ctx.lab!, ctx.nva!, 4, [0, 1]);
    await pingRound(ctx.lab!, ctx.nva!, 6, [0, 1]);
  }, 240_000);

  return ctx;
}
