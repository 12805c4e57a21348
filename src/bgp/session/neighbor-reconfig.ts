/**
 * Neighbor reconfiguration on reload (SIGHUP), touching only what changed, as Catalyst and FRR
 * do: removed neighbors get Cease/Peer De-configured, neighbors whose session parameters changed
 * Cease/Other Configuration Change (RFC 4486 §4) and a new session after IdleHold, `shutdown` /
 * no `shutdown` stop or start the session, and soft settings (policy, max-prefixes, allowas-in)
 * are applied in place, keeping the session ({@link neighborChange} sorts them).
 */
import type { Logger } from '../../lib/log.js';
import type { BgpConfig, BgpNeighbor } from '../../config/types.js';
import { MAX_PREFIXES_EXCEEDED, PrefixLimiter } from '../policy/max-prefixes.js';
import { CeaseSubcode } from '../wire/constants.js';
import { onMaxPrefixEvent } from './inbound-routes.js';
import { neighborKey, type SpeakerNeighbor } from './neighbor.js';
import { cease, neighborChange, type NeighborReconfig } from './session-types.js';

/** What reconfiguration needs from the speaker. */
export interface ReconfigHost {
  readonly neighbors: Map<string, SpeakerNeighbor>;
  /** The speaker is started (sessions may be started). */
  readonly started: boolean;
  readonly log: Logger;
  /** Delay before the new session of a reset neighbor starts. */
  readonly idleHoldSec: number;
  addNeighbor(cfg: BgpNeighbor, delaySec?: number): void;
  requestRouteRefresh(neighbor: string): number;
}

/** Make the neighbors those of `bgp` (the caller checked that asn/router-id are unchanged). */
export function reconfigureNeighbors(host: ReconfigHost, bgp: BgpConfig): NeighborReconfig {
  const r = { added: [], removed: [], reset: [], soft: [], shutdown: [], started: [] } as {
    [K in keyof NeighborReconfig]: string[];
  };
  const neighbors = host.neighbors;
  const wanted = new Map(bgp.neighbors.map((n) => [neighborKey(n), n]));
  for (const [key, n] of [...neighbors]) {
    if (wanted.has(key)) continue;
    n.session.stopWith(cease(CeaseSubcode.PEER_DE_CONFIGURED));
    neighbors.delete(key);
    r.removed.push(key);
  }
  for (const [key, cfg] of wanted) {
    const n = neighbors.get(key);
    if (!n) {
      host.addNeighbor(cfg);
      r.added.push(key);
      continue;
    }
    const change = neighborChange(n.cfg, cfg);
    if (change === 'none') continue;
    if (change === 'reset') {
      n.session.stopWith(cease(CeaseSubcode.OTHER_CONFIGURATION_CHANGE));
      neighbors.delete(key);
      // After IdleHold, as after a hard clear: the peer is still tearing the old session down.
      host.addNeighbor(cfg, host.idleHoldSec);
      r.reset.push(key);
      continue;
    }
    applySoft(host, n, cfg);
    if (change === 'shutdown') {
      n.session.stop('neighbor shutdown');
      r.shutdown.push(key);
    } else if (change === 'no-shutdown') {
      if (host.started) n.session.start();
      r.started.push(key);
    } else {
      r.soft.push(key);
    }
  }
  return r;
}

/** Soft settings in place; the RIB re-runs policy (rib-sync.ts `reconfigure`). */
export function applySoft(host: ReconfigHost, n: SpeakerNeighbor, cfg: BgpNeighbor): void {
  const old = n.cfg;
  n.cfg = cfg;
  if (JSON.stringify(old.maxPrefixes) !== JSON.stringify(cfg.maxPrefixes)) {
    const wasHeld = n.session.stoppedFor === MAX_PREFIXES_EXCEEDED;
    const limiter = new PrefixLimiter(cfg.maxPrefixes);
    for (const r of n.received.values()) limiter.add(r.family);
    n.limiter = limiter;
    const families = new Set([...n.received.values()].map((r) => r.family));
    for (const { family, event } of limiter.check(families)) {
      if (onMaxPrefixEvent(host.log, n, family, event)) break;
    }
    // Held Idle (PfxCt) by the old limit: the operator changed it, so try again.
    if (wasHeld && !cfg.shutdown && host.started) {
      n.session.start();
    }
  }
  if (cfg.allowasIn > old.allowasIn && n.session.negotiated) {
    // Routes with our AS were dropped on receipt (not kept): ask for them again.
    if (host.requestRouteRefresh(n.key) === 0) {
      host.log.info(
        { neighbor: n.key },
        'allowas-in raised but the neighbor has no route refresh: routes arrive on the next reset',
      );
    }
  }
}
