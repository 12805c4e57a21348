/**
 * `show crypto ipsec sa`: per tunnel, its child SAs and counters in the layout of Catalyst's
 * `show crypto ipsec sa` (route-based VTI: ident 0.0.0.0/0.0.0.0/0/0 both ways). The data comes
 * from the tunnels component's view (TUNNELS_SA_VIEW); no key material ever reaches it. Drops are
 * listed by reason after Catalyst's `#pkts ... failed` lines; drops that belong to no tunnel
 * (unknown SPI, malformed datagrams) are counted once, below the tunnels.
 */
import type { ShowCommand } from '../registry.js';
import { viewKey } from '../context.js';

export interface IpsecSaInfo {
  readonly spi: number;
  readonly encryption: string;
  readonly integrity: string | null;
  readonly esn: boolean;
  /** Inbound anti-replay window in packets (0: off). */
  readonly replayWindow: number;
  readonly hardKb: number | null;
  readonly hardSec: number | null;
  readonly ageSec: number;
  readonly packets: number;
  readonly bytes: number;
  /** Drops by reason name (src/esp/drop-reason.ts), zero counts omitted. */
  readonly drops: Readonly<Record<string, number>>;
}

export interface IpsecTunnelInfo {
  readonly name: string;
  readonly routingContext: string | null;
  readonly localAddress: string;
  readonly peer: string;
  /** Peer UDP port (ESP-in-UDP) or null for raw ESP. */
  readonly peerPort: number | null;
  readonly udpEncap: boolean;
  readonly mtu: number;
  readonly lineProtocolUp: boolean;
  readonly pfs: boolean;
  readonly dhGroup: string | null;
  readonly inbound: readonly IpsecSaInfo[];
  readonly outbound: IpsecSaInfo | null;
}

/** The query the tunnels component publishes. */
export interface TunnelSaQuery {
  tunnels(): readonly IpsecTunnelInfo[];
  /** Drops outside any tunnel's SAs, by reason name. */
  unattributedDrops(): Readonly<Record<string, number>>;
}

export const TUNNELS_SA_VIEW = viewKey<TunnelSaQuery>('tunnels.sa');

export interface IpsecIdentDto {
  readonly address: string;
  readonly mask: string;
  readonly protocol: number;
  readonly port: number;
}

export interface IpsecEspSaDto {
  readonly spi: number;
  /** Catalyst transform text, e.g. "esp-gcm 256" or "esp-256-aes esp-sha256-hmac". */
  readonly transform: string;
  readonly inUseSettings: readonly string[];
  readonly remainingKb: number | null;
  readonly remainingSec: number | null;
  readonly replayDetection: boolean;
  readonly esn: boolean;
  readonly packets: number;
  readonly bytes: number;
  readonly status: 'ACTIVE';
}

export interface IpsecTunnelDto {
  readonly interface: string;
  readonly cryptoMapTag: string;
  readonly localAddress: string;
  readonly protectedVrf: string | null;
  readonly localIdent: IpsecIdentDto;
  readonly remoteIdent: IpsecIdentDto;
  readonly currentPeer: string;
  readonly peerPort: number | null;
  readonly lineProtocolUp: boolean;
  readonly pktsEncaps: number;
  readonly pktsEncrypt: number;
  readonly pktsDigest: number;
  readonly pktsDecaps: number;
  readonly pktsDecrypt: number;
  readonly pktsVerify: number;
  readonly bytesEncaps: number;
  readonly bytesDecaps: number;
  readonly sendErrors: number;
  readonly recvErrors: number;
  readonly replayDrops: number;
  readonly verifyFailed: number;
  /** Inbound and outbound drops of this tunnel's SAs by reason. */
  readonly drops: Readonly<Record<string, number>>;
  readonly localCryptoEndpoint: string;
  readonly remoteCryptoEndpoint: string;
  readonly plaintextMtu: number;
  readonly pathMtu: number;
  readonly currentOutboundSpi: number | null;
  readonly pfs: boolean;
  readonly dhGroup: string | null;
  readonly inboundEspSas: readonly IpsecEspSaDto[];
  readonly outboundEspSas: readonly IpsecEspSaDto[];
}

/** JSON contract: docs/show-json.md#show-crypto-ipsec-sa (stable). */
export interface CryptoIpsecSaDto {
  readonly tunnels: readonly IpsecTunnelDto[];
  readonly unattributedDrops: Readonly<Record<string, number>>;
}

const ANY: IpsecIdentDto = { address: '0.0.0.0', mask: '0.0.0.0', protocol: 0, port: 0 };
const REPLAY_REASONS = ['replay', 'replay-stale'];
/** Silently discarded by design, not an error. */
const NOT_ERRORS = new Set(['dummy']);

/** Catalyst transform-set words: "esp-gcm 256", "esp-256-aes esp-sha256-hmac". */
export function catalystTransform(encryption: string, integrity: string | null): string {
  const gcm = /^aes-gcm-(\d+)$/.exec(encryption);
  if (gcm) return `esp-gcm${gcm[1] === '128' ? '' : ` ${gcm[1] ?? ''}`}`;
  const cbc = /^aes-cbc-(\d+)$/.exec(encryption);
  const enc = cbc ? `esp-${cbc[1] ?? ''}-aes` : `esp-${encryption}`;
  if (integrity === null) return enc;
  const integ = integrity === 'sha1' ? 'esp-sha-hmac' : `esp-${integrity}-hmac`;
  return `${enc} ${integ}`;
}

function sum(rec: Readonly<Record<string, number>>, pick: (k: string) => boolean): number {
  return Object.entries(rec).reduce((n, [k, v]) => (pick(k) ? n + v : n), 0);
}

function addInto(into: Record<string, number>, rec: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(rec)) into[k] = (into[k] ?? 0) + v;
}

function saDto(sa: IpsecSaInfo, t: IpsecTunnelInfo, inbound: boolean): IpsecEspSaDto {
  return {
    spi: sa.spi,
    transform: catalystTransform(sa.encryption, sa.integrity),
    inUseSettings: t.udpEncap ? ['Tunnel', 'UDP-Encaps'] : ['Tunnel'],
    remainingKb: sa.hardKb === null ? null : Math.max(0, sa.hardKb - Math.floor(sa.bytes / 1024)),
    remainingSec: sa.hardSec === null ? null : Math.max(0, Math.floor(sa.hardSec - sa.ageSec)),
    replayDetection: inbound ? sa.replayWindow > 0 : true,
    esn: sa.esn,
    packets: sa.packets,
    bytes: sa.bytes,
    status: 'ACTIVE',
  };
}

export function tunnelDto(t: IpsecTunnelInfo, pathMtu: number): IpsecTunnelDto {
  const drops: Record<string, number> = {};
  const inDrops: Record<string, number> = {};
  for (const sa of t.inbound) addInto(inDrops, sa.drops);
  addInto(drops, inDrops);
  const outDrops = t.outbound?.drops ?? {};
  addInto(drops, outDrops);
  const decaps = t.inbound.reduce((n, sa) => n + sa.packets, 0);
  const encaps = t.outbound?.packets ?? 0;
  return {
    interface: t.name,
    cryptoMapTag: `${t.name}-head-0`,
    localAddress: t.localAddress,
    protectedVrf: t.routingContext,
    localIdent: ANY,
    remoteIdent: ANY,
    currentPeer: t.peer,
    peerPort: t.peerPort,
    lineProtocolUp: t.lineProtocolUp,
    pktsEncaps: encaps,
    pktsEncrypt: encaps,
    pktsDigest: encaps,
    pktsDecaps: decaps,
    pktsDecrypt: decaps,
    pktsVerify: decaps,
    bytesEncaps: t.outbound?.bytes ?? 0,
    bytesDecaps: t.inbound.reduce((n, sa) => n + sa.bytes, 0),
    sendErrors: sum(outDrops, (k) => !NOT_ERRORS.has(k)),
    recvErrors: sum(inDrops, (k) => !NOT_ERRORS.has(k)),
    replayDrops: sum(inDrops, (k) => REPLAY_REASONS.includes(k)),
    verifyFailed: inDrops.icv ?? 0,
    drops,
    localCryptoEndpoint: t.localAddress,
    remoteCryptoEndpoint: t.peer,
    plaintextMtu: t.mtu,
    pathMtu,
    currentOutboundSpi: t.outbound?.spi ?? null,
    pfs: t.pfs,
    dhGroup: t.dhGroup,
    inboundEspSas: t.inbound.map((sa) => saDto(sa, t, true)),
    outboundEspSas: t.outbound === null ? [] : [saDto(t.outbound, t, false)],
  };
}

function hexSpi(spi: number): string {
  return `0x${spi.toString(16).toUpperCase().padStart(8, '0')}(${spi})`;
}

function renderSa(sa: IpsecEspSaDto, lines: string[]): void {
  const life = (v: number | null): string => (v === null ? 'unlimited' : String(v));
  lines.push(`      spi: ${hexSpi(sa.spi)}`);
  lines.push(`        transform: ${sa.transform} ,`);
  lines.push(`        in use settings ={${sa.inUseSettings.join(' ')}, }`);
  lines.push(
    `        sa timing: remaining key lifetime (k/sec): (${life(sa.remainingKb)}/${life(sa.remainingSec)})`,
  );
  lines.push(`        replay detection support: ${sa.replayDetection ? 'Y' : 'N'}`);
  lines.push(`        Status: ${sa.status}(${sa.status})`);
  lines.push('');
}

function renderDrops(drops: Readonly<Record<string, number>>): string {
  const parts = Object.entries(drops)
    .filter(([, v]) => v > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function renderTunnel(t: IpsecTunnelDto): string[] {
  const lines: string[] = [];
  const peerPort = t.peerPort === null ? '' : ` port ${t.peerPort}`;
  lines.push(`interface: ${t.interface}`);
  lines.push(`    Crypto map tag: ${t.cryptoMapTag}, local addr ${t.localAddress}`);
  lines.push('');
  lines.push(`   protected vrf: ${t.protectedVrf ?? '(none)'}`);
  const ident = (i: IpsecIdentDto): string => `(${i.address}/${i.mask}/${i.protocol}/${i.port})`;
  lines.push(`   local  ident (addr/mask/prot/port): ${ident(t.localIdent)}`);
  lines.push(`   remote ident (addr/mask/prot/port): ${ident(t.remoteIdent)}`);
  lines.push(`   current_peer ${t.currentPeer}${peerPort}`);
  lines.push('     PERMIT, flags={origin_is_acl,}');
  lines.push(
    `    #pkts encaps: ${t.pktsEncaps}, #pkts encrypt: ${t.pktsEncrypt}, #pkts digest: ${t.pktsDigest}`,
  );
  lines.push(
    `    #pkts decaps: ${t.pktsDecaps}, #pkts decrypt: ${t.pktsDecrypt}, #pkts verify: ${t.pktsVerify}`,
  );
  lines.push(
    `    #pkts replay failed (rcv): ${t.replayDrops}, #pkts verify failed: ${t.verifyFailed}`,
  );
  lines.push(`    #send errors ${t.sendErrors}, #recv errors ${t.recvErrors}`);
  lines.push(`    drops by reason: ${renderDrops(t.drops)}`);
  lines.push('');
  lines.push(
    `     local crypto endpt.: ${t.localCryptoEndpoint}, remote crypto endpt.: ${t.remoteCryptoEndpoint}`,
  );
  lines.push(`     plaintext mtu ${t.plaintextMtu}, path mtu ${t.pathMtu}`);
  lines.push(
    `     current outbound spi: ${t.currentOutboundSpi === null ? '0x0(0)' : hexSpi(t.currentOutboundSpi)}`,
  );
  lines.push(`     PFS (Y/N): ${t.pfs ? 'Y' : 'N'}, DH group: ${t.dhGroup ?? 'none'}`);
  lines.push('');
  lines.push('     inbound esp sas:');
  for (const sa of t.inboundEspSas) renderSa(sa, lines);
  lines.push('     outbound esp sas:');
  for (const sa of t.outboundEspSas) renderSa(sa, lines);
  lines.push('');
  return lines;
}

export const showCryptoIpsecSa: ShowCommand<CryptoIpsecSaDto> = {
  name: 'crypto ipsec sa',
  summary: 'child SAs and ESP counters per tunnel (like Catalyst show crypto ipsec sa)',
  async collect(ctx) {
    const view = ctx.view(TUNNELS_SA_VIEW);
    if (view === undefined) return { tunnels: [], unattributedDrops: {} };
    const infos = view.tunnels();
    let links: Awaited<ReturnType<typeof ctx.kernel.listLinks>> = [];
    let addrs: Awaited<ReturnType<typeof ctx.kernel.listAddresses>> = [];
    if (infos.length > 0) {
      [links, addrs] = await Promise.all([ctx.kernel.listLinks(), ctx.kernel.listAddresses()]);
    }
    const pathMtu = (local: string): number => {
      const a = addrs.find((x) => x.address === local);
      const l = a === undefined ? undefined : links.find((x) => x.index === a.ifindex);
      return l?.mtu ?? 1500;
    };
    return {
      tunnels: [...infos]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((t) => tunnelDto(t, pathMtu(t.localAddress))),
      unattributedDrops: view.unattributedDrops(),
    };
  },
  render(dto) {
    const lines: string[] = [];
    for (const t of dto.tunnels) lines.push(...renderTunnel(t));
    if (dto.tunnels.length === 0) lines.push('No IPsec SAs (no tunnels configured)', '');
    lines.push(`drops outside any tunnel: ${renderDrops(dto.unattributedDrops)}`);
    return `${lines.join('\n')}\n`;
  },
};
