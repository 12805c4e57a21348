/**
 * Connection collision detection, RFC 4271 §6.8 (with RFC 6286 §2.3 for equal identifiers).
 * The session calls {@link collisionToDump} when an OPEN arrives on a second connection and feeds
 * OpenCollisionDump to the loser's FSM.
 */
import type { BgpState } from './fsm-types.js';

/**
 * RFC 4271 §6.8: which side's connection survives a collision. The connection initiated by the
 * speaker with the higher BGP Identifier (compared as unsigned 32-bit integers) is kept. RFC 6286
 * §2.3: when the identifiers are equal, the one initiated by the speaker with the larger AS wins.
 */
export function collisionWinner(p: {
  readonly localBgpId: number;
  readonly remoteBgpId: number;
  readonly localAs: number;
  readonly remoteAs: number;
}): 'locally-initiated' | 'remotely-initiated' {
  const l = p.localBgpId >>> 0;
  const r = p.remoteBgpId >>> 0;
  if (l !== r) return l > r ? 'locally-initiated' : 'remotely-initiated';
  return p.localAs >= p.remoteAs ? 'locally-initiated' : 'remotely-initiated';
}

/** A connection as seen by collision detection. */
export interface CollisionCandidate {
  readonly state: BgpState;
  readonly locallyInitiated: boolean;
}

/**
 * RFC 4271 §6.8: given the existing connection and a new one whose OPEN just arrived (so the remote
 * BGP Identifier is known), which connection gets OpenCollisionDump, or `none` when there is no
 * collision to resolve. An Established connection always wins (CollisionDetectEstablishedState is
 * FALSE); a collision is only detected against OpenConfirm (or OpenSent, when the peer's identifier
 * is already known from the new OPEN).
 */
export function collisionToDump(
  existing: CollisionCandidate,
  incoming: CollisionCandidate,
  ids: Parameters<typeof collisionWinner>[0],
): 'existing' | 'incoming' | 'none' {
  if (existing.state === 'Established') return 'incoming';
  if (existing.state !== 'OpenConfirm' && existing.state !== 'OpenSent') return 'none';
  if (existing.locallyInitiated === incoming.locallyInitiated) return 'none';
  const winner = collisionWinner(ids);
  const keepLocal = winner === 'locally-initiated';
  return existing.locallyInitiated === keepLocal ? 'incoming' : 'existing';
}
