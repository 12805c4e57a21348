/**
 * `show crypto ikev2 sa [detail]`: the IKE SAs in the layout of Catalyst's command (Tunnel-id,
 * Local, Remote, fvrf/ivrf, Status, then the negotiated suite and Life/Active Time); `detail`
 * adds SPIs, identities, role, child SA count and the NAT state. The data comes from the IKE
 * component's view (IKE_SA_VIEW), which carries no key material.
 */
import type { IkeSaSnapshot } from '../../../ike/index.js';
import { viewKey } from '../context.js';
import type { ShowCommand } from '../registry.js';
import { ShowError } from '../registry.js';

/** A configured IKE tunnel as the show commands need it. */
export interface IkeTunnelInfo {
  readonly name: string;
  readonly peer: string;
  readonly routingContext: string | null;
  readonly lineProtocolUp: boolean;
  /** Our IKE identity (`local-id`), e.g. "203.0.113.2". */
  readonly localId: string;
  /** Configured IKE SA lifetime in seconds. */
  readonly ikeLifetimeSec: number;
}

/** The query the IKE component publishes. */
export interface IkeSaQuery {
  sas(): readonly IkeSaSnapshot[];
  tunnels(): readonly IkeTunnelInfo[];
}

export const IKE_SA_VIEW = viewKey<IkeSaQuery>('ike.sa');

export interface IkeSaDto {
  /** 1-based position in the list (Catalyst's Tunnel-id column). */
  readonly tunnelId: number;
  readonly tunnel: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly fvrf: string;
  readonly ivrf: string;
  /** READY, IN-NEG or DELETE (Catalyst words). */
  readonly status: string;
  readonly role: 'initiator' | 'responder';
  readonly encryption: string | null;
  readonly keySize: number | null;
  readonly prf: string | null;
  readonly integrity: string | null;
  readonly dhGroup: number | null;
  readonly authSign: string;
  readonly authVerify: string;
  readonly lifetimeSec: number;
  readonly activeTimeSec: number | null;
  readonly spiI: string;
  readonly spiR: string;
  readonly localId: string;
  readonly remoteId: string | null;
  readonly natDetected: boolean;
  readonly nextMessageIdOut: number;
  readonly nextMessageIdIn: number;
  readonly windowSize: number;
  readonly childSas: number;
  readonly lastError: string | null;
}

export interface CryptoIkev2SaDto {
  readonly detail: boolean;
  readonly sas: readonly IkeSaDto[];
}

const DH_IANA: Readonly<Record<string, number>> = {
  modp1024: 2,
  modp2048: 14,
  modp2048s256: 24,
  ecp256: 19,
  ecp384: 20,
  x25519: 31,
};

/** The type tag IKE puts before an identity ("ipv4:198.51.100.2"); Catalyst shows the value. */
const ID_TYPE_PREFIX = /^(ipv4|ipv6|fqdn|rfc822|keyid|dn|der-asn1-dn):/;

function splitEndpoint(s: string): { address: string; port: number } {
  const i = s.lastIndexOf('/');
  return { address: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function statusOf(state: string): string {
  if (state === 'established') return 'READY';
  if (state === 'deleting' || state === 'rekeyed' || state === 'destroyed') return 'DELETE';
  return 'IN-NEG';
}

/** "aes-gcm-256" -> { AES-GCM, 256 }. */
export function catalystEncryption(name: string | null): { name: string; keySize: number | null } {
  if (name === null) return { name: 'Unknown', keySize: null };
  const m = /^(.*)-(\d+)$/.exec(name);
  if (m === null) return { name: name.toUpperCase(), keySize: null };
  return { name: (m[1] ?? '').toUpperCase(), keySize: Number(m[2]) };
}

/** Catalyst's Hash words: SHA96 (hmac-sha1-96), SHA256, SHA384, SHA512; None for AEAD. */
export function catalystHash(integrity: string | null): string {
  if (integrity === null) return 'None';
  if (integrity === 'sha1') return 'SHA96';
  return integrity.toUpperCase();
}

export function vrfName(routingContext: string | null): string {
  return routingContext ?? 'none';
}

export function collectIkeSas(query: IkeSaQuery | undefined, detail: boolean): CryptoIkev2SaDto {
  if (query === undefined) return { detail, sas: [] };
  const tunnels = new Map(query.tunnels().map((t) => [t.name, t]));
  const live = query
    .sas()
    .filter((s) => s.state !== 'destroyed')
    .sort((a, b) => a.tunnel.localeCompare(b.tunnel) || a.spiI.localeCompare(b.spiI));
  return {
    detail,
    sas: live.map((s, i) => {
      const t = tunnels.get(s.tunnel);
      const local = splitEndpoint(s.local);
      const remote = splitEndpoint(s.remote);
      const enc = catalystEncryption(s.encryption);
      const ivrf = vrfName(t?.routingContext ?? null);
      return {
        tunnelId: i + 1,
        tunnel: s.tunnel,
        localAddress: local.address,
        localPort: local.port,
        remoteAddress: remote.address,
        remotePort: remote.port,
        fvrf: 'none',
        ivrf,
        status: statusOf(s.state),
        role: s.role,
        encryption: s.encryption === null ? null : enc.name,
        keySize: enc.keySize,
        prf: s.prf === null ? null : s.prf.toUpperCase(),
        integrity: s.encryption === null ? null : catalystHash(s.integrity),
        dhGroup: s.dhGroup === null ? null : (DH_IANA[s.dhGroup] ?? null),
        authSign: 'PSK',
        authVerify: 'PSK',
        lifetimeSec: t?.ikeLifetimeSec ?? 0,
        activeTimeSec: s.ageSec,
        spiI: s.spiI,
        spiR: s.spiR,
        localId: t?.localId ?? local.address,
        remoteId: s.peerIdentity === null ? null : s.peerIdentity.replace(ID_TYPE_PREFIX, ''),
        natDetected: s.natDetected,
        nextMessageIdOut: s.messageIds.nextRequest,
        nextMessageIdIn: s.messageIds.nextPeerRequest,
        // RFC 7296 §2.3: nvad keeps one request in flight and announces no larger window.
        windowSize: 1,
        childSas: s.children.length,
        lastError: s.lastError,
      };
    }),
  };
}

function renderSa(sa: IkeSaDto, detail: boolean): string[] {
  const lines: string[] = [];
  const dh = sa.dhGroup === null ? 'none' : String(sa.dhGroup);
  lines.push(
    `      Encr: ${sa.encryption ?? 'none'}, keysize: ${sa.keySize ?? 0}, PRF: ${sa.prf ?? 'none'}, ` +
      `Hash: ${sa.integrity ?? 'none'}, DH Grp:${dh}, Auth sign: ${sa.authSign}, ` +
      `Auth verify: ${sa.authVerify}`,
  );
  lines.push(`      Life/Active Time: ${sa.lifetimeSec}/${sa.activeTimeSec ?? 0} sec`);
  if (detail) {
    const mine = sa.role === 'initiator' ? sa.spiI : sa.spiR;
    const theirs = sa.role === 'initiator' ? sa.spiR : sa.spiI;
    lines.push(
      `      Tunnel interface: ${sa.tunnel}, Role: ${sa.role}`,
      `      Status Description: ${sa.status === 'READY' ? 'Negotiation done' : (sa.lastError ?? 'Negotiation in progress')}`,
      `      Local spi: ${mine.toUpperCase()}       Remote spi: ${theirs.toUpperCase()}`,
      `      Local id: ${sa.localId}`,
      `      Remote id: ${sa.remoteId ?? 'none'}`,
      `      Local next msg id: ${sa.nextMessageIdOut}       Remote next msg id: ${sa.nextMessageIdIn}`,
      `      Local window: ${sa.windowSize}       Remote window: ${sa.windowSize}`,
      `      Child SAs: ${sa.childSas}`,
      sa.natDetected ? '      NAT-T is detected' : '      NAT-T is not detected',
    );
  }
  lines.push('');
  return lines;
}

export function renderIkeSas(dto: CryptoIkev2SaDto): string {
  const out: string[] = [' IPv4 Crypto IKEv2  SA', ''];
  const header = ['Tunnel-id', 'Local', 'Remote', 'fvrf/ivrf', 'Status'];
  const widths = [10, 22, 22, 21];
  const row = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
      .join('')
      .trimEnd();
  out.push(row(header));
  for (const sa of dto.sas) {
    out.push(
      row([
        String(sa.tunnelId),
        `${sa.localAddress}/${sa.localPort}`,
        `${sa.remoteAddress}/${sa.remotePort}`,
        `${sa.fvrf}/${sa.ivrf}`,
        sa.status,
      ]),
    );
    out.push(...renderSa(sa, dto.detail));
  }
  if (dto.sas.length === 0) out.push('', 'No IKEv2 SAs');
  return `${out.join('\n')}\n`;
}

export const showCryptoIkev2Sa: ShowCommand<CryptoIkev2SaDto> = {
  name: 'crypto ikev2 sa',
  summary: 'IKEv2 SAs with their suite and lifetime (like Catalyst show crypto ikev2 sa)',
  params: [{ name: 'detail', summary: 'SPIs, identities, role, NAT state', optional: true }],
  collect(ctx, args) {
    const [first, ...rest] = args;
    if (rest.length > 0) throw new ShowError(400, `unexpected argument "${rest.join(' ')}"`);
    let detail = false;
    if (first !== undefined) {
      if (first.length === 0 || !'detailed'.startsWith(first.toLowerCase())) {
        throw new ShowError(400, `unexpected argument "${first}"; expected "detail"`);
      }
      detail = true;
    }
    return collectIkeSas(ctx.view(IKE_SA_VIEW), detail);
  },
  render: renderIkeSas,
};
