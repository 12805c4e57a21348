/**
 * Read-only views of IKE SAs for `show crypto ikev2 sa [detail]` and `show crypto session`
 * (no key material: SPIs, suites, identities, timers and counters only).
 */
import { spiHex, type IkeSa } from './sa/ike-sa.js';

export interface ChildSaSnapshot {
  readonly spiIn: string;
  readonly spiOut: string;
  readonly state: string;
  readonly encryption: string;
  readonly integrity: string | null;
  readonly pfsGroup: string | null;
  readonly esn: boolean;
  readonly ageSec: number;
}

/** Read-only view for `show crypto ikev2 sa [detail]` / `show crypto session`. */
export interface IkeSaSnapshot {
  readonly tunnel: string;
  readonly local: string;
  readonly remote: string;
  readonly state: string;
  readonly role: 'initiator' | 'responder';
  readonly spiI: string;
  readonly spiR: string;
  readonly encryption: string | null;
  readonly integrity: string | null;
  readonly prf: string | null;
  readonly dhGroup: string | null;
  readonly natDetected: boolean;
  /** Message IDs (RFC 7296 §2.2): the next request we send, and the next request we expect. */
  readonly messageIds: { readonly nextRequest: number; readonly nextPeerRequest: number };
  readonly peerIdentity: string | null;
  readonly ageSec: number | null;
  readonly lastError: string | null;
  readonly children: readonly ChildSaSnapshot[];
  readonly counters: {
    readonly exchangesInitiated: number;
    readonly exchangesResponded: number;
    readonly retransmits: number;
    readonly failuresByNotify: Readonly<Record<string, number>>;
  };
}

/** The view of one IKE SA at `now` (monotonic ms). */
export function snapshotOf(sa: IkeSa, now: number): IkeSaSnapshot {
  return {
    tunnel: sa.tunnel,
    local: `${sa.local.address}/${sa.local.port}`,
    remote: `${sa.remote.address}/${sa.remote.port}`,
    state: sa.state,
    role: sa.isOriginalInitiator ? 'initiator' : 'responder',
    spiI: spiHex(sa.spiI),
    spiR: spiHex(sa.spiR),
    encryption: sa.suite?.encryption ?? null,
    integrity: sa.suite?.integrity ?? null,
    prf: sa.suite?.prf ?? null,
    dhGroup: sa.suite?.dhGroup ?? null,
    natDetected: sa.natLocal || sa.natRemote,
    messageIds: sa.tm.messageIds,
    peerIdentity: sa.peerIdentity,
    ageSec: sa.establishedAtMs === null ? null : Math.floor((now - sa.establishedAtMs) / 1000),
    lastError: sa.lastError,
    children: sa.children.map((c) => ({
      spiIn: c.label.slice(0, 8),
      spiOut: c.label.slice(9),
      state: c.state,
      encryption: c.suite.encryption,
      integrity: c.suite.integrity,
      pfsGroup: c.suite.dhGroup,
      esn: c.suite.esn,
      ageSec: Math.floor((now - c.createdAtMs) / 1000),
    })),
    counters: {
      exchangesInitiated: sa.tm.counters.exchangesInitiated,
      exchangesResponded: sa.tm.counters.exchangesResponded,
      retransmits: sa.tm.counters.retransmits,
      failuresByNotify: Object.fromEntries(sa.tm.counters.failuresByNotify),
    },
  };
}
