/**
 * `show crypto session`: one block per IKE tunnel in the layout of Catalyst's command (Interface,
 * Session status, Peer and port, IKEv2 SA, IPSEC FLOW of a route-based VTI, Active SAs). Session
 * status words are Catalyst's: UP-ACTIVE (IKE SA and child SAs), UP-IDLE (IKE SA, no child SA),
 * DOWN-NEGOTIATING (IKE SA being set up) and DOWN.
 */
import type { ShowCommand } from '../registry.js';
import { ShowError } from '../registry.js';
import { collectIkeSas, IKE_SA_VIEW, vrfName, type IkeSaDto } from './crypto-ikev2-sa.js';

export interface CryptoSessionIkeDto {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Active (READY), Negotiating (IN-NEG) or Deleting (DELETE). */
  readonly state: string;
}

export interface CryptoSessionDto {
  readonly sessions: readonly {
    readonly interface: string;
    readonly ivrf: string;
    /** UP-ACTIVE, UP-IDLE, DOWN-NEGOTIATING or DOWN. */
    readonly status: string;
    readonly peer: string;
    readonly peerPort: number;
    readonly lineProtocolUp: boolean;
    readonly ikeSas: readonly CryptoSessionIkeDto[];
    readonly flow: string;
    /** Child SAs counted per direction (Catalyst's "Active SAs"). */
    readonly activeSas: number;
  }[];
}

const FLOW = 'permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0';

function ikeState(status: string): string {
  if (status === 'READY') return 'Active';
  if (status === 'DELETE') return 'Deleting';
  return 'Negotiating';
}

export const showCryptoSession: ShowCommand<CryptoSessionDto> = {
  name: 'crypto session',
  summary: 'IKE and IPsec session state per tunnel (like Catalyst show crypto session)',
  collect(ctx, args) {
    if (args.length > 0) throw new ShowError(400, `unexpected argument "${args.join(' ')}"`);
    const query = ctx.view(IKE_SA_VIEW);
    if (query === undefined) return { sessions: [] };
    const sas = collectIkeSas(query, false).sas;
    const tunnels = [...query.tunnels()].sort((a, b) => a.name.localeCompare(b.name));
    return {
      sessions: tunnels.map((t) => {
        const mine: IkeSaDto[] = sas.filter((s) => s.tunnel === t.name);
        const ready = mine.filter((s) => s.status === 'READY');
        const children = ready.reduce((n, s) => n + s.childSas, 0);
        const status =
          ready.length > 0
            ? children > 0
              ? 'UP-ACTIVE'
              : 'UP-IDLE'
            : mine.length > 0
              ? 'DOWN-NEGOTIATING'
              : 'DOWN';
        const main = ready[0] ?? mine[0];
        return {
          interface: t.name,
          ivrf: vrfName(t.routingContext),
          status,
          peer: main?.remoteAddress ?? t.peer,
          peerPort: main?.remotePort ?? 500,
          lineProtocolUp: t.lineProtocolUp,
          ikeSas: mine.map((s) => ({
            localAddress: s.localAddress,
            localPort: s.localPort,
            remoteAddress: s.remoteAddress,
            remotePort: s.remotePort,
            state: ikeState(s.status),
          })),
          flow: FLOW,
          activeSas: children * 2,
        };
      }),
    };
  },
  render(dto) {
    const out: string[] = ['Crypto session current status', ''];
    for (const s of dto.sessions) {
      out.push(`Interface: ${s.interface}`);
      out.push(`Session status: ${s.status}`);
      out.push(`Peer: ${s.peer} port ${s.peerPort}`);
      for (const ike of s.ikeSas) {
        out.push(
          `  IKEv2 SA: local ${ike.localAddress}/${ike.localPort} remote ` +
            `${ike.remoteAddress}/${ike.remotePort} ${ike.state}`,
        );
      }
      out.push(`  IPSEC FLOW: ${s.flow}`);
      out.push(`        Active SAs: ${s.activeSas}, origin: crypto map`);
      out.push('');
    }
    if (dto.sessions.length === 0) out.push('No crypto sessions (no IKE tunnels configured)');
    return `${out.join('\n')}\n`;
  },
};
