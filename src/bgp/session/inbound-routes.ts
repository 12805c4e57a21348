/**
 * What an UPDATE does to a neighbor's received routes (the speaker's Adj-RIB-In, before policy)
 * and the inbound `max-prefixes` guard on them.
 *
 * Routes carrying our own AS more often than `allowas-in` permits are loops (RFC 4271 §9.1.2):
 * they are not kept and not counted, and withdraw an earlier route for the prefix. The limit
 * counts, per address family, the prefixes announced and not withdrawn; when it is exceeded the
 * session gets Cease/Maximum Number of Prefixes Reached (RFC 4486 §4) unless `action: warn`.
 */
import type { Logger } from '../../lib/log.js';
import type { Prefix } from '../../lib/ip/prefix.js';
import {
  familyAfiSafi,
  MAX_PREFIXES_EXCEEDED,
  maxPrefixesNotification,
  type MaxPrefixEvent,
} from '../policy/max-prefixes.js';
import { findAttr, type UpdateDecodeResult } from '../wire/update.js';
import {
  familyOf,
  routeKey,
  type FamilyName,
  type ReceivedRoute,
  type SpeakerNeighbor,
} from './neighbor.js';

export interface InboundContext {
  readonly nowMs: number;
  readonly localAs: number;
  readonly log: Logger;
}

export interface InboundChange {
  readonly announced: ReceivedRoute[];
  readonly withdrawn: Prefix[];
}

/**
 * Apply an UPDATE (or its RFC 7606 treat-as-withdraw outcome) to `n.received` and its counts.
 * Returns what to publish; nothing announced when the limit tore the session down.
 */
export function receiveUpdate(
  n: SpeakerNeighbor,
  r: UpdateDecodeResult,
  ctx: InboundContext,
): InboundChange {
  const now = ctx.nowMs;
  const withdrawn: Prefix[] = [];
  const announced: ReceivedRoute[] = [];
  const drop = (p: Prefix): void => {
    const k = routeKey(p);
    const had = n.received.get(k);
    if (!had) return;
    n.received.delete(k);
    n.limiter.add(had.family, -1);
    withdrawn.push(p);
  };
  if (r.kind === 'treat-as-withdraw') {
    for (const p of r.withdrawn) drop(p);
    return { announced, withdrawn };
  }
  const u = r.update;
  for (const p of u.withdrawn) drop(p);
  const unreach = findAttr(u.attributes, 'MP_UNREACH_NLRI');
  if (unreach) for (const p of unreach.withdrawn) drop(p);
  const attrs = u.attributes.filter(
    (a) => a.type !== 'MP_REACH_NLRI' && a.type !== 'MP_UNREACH_NLRI',
  );
  const nh = findAttr(u.attributes, 'NEXT_HOP');
  for (const p of u.nlri) {
    announced.push({
      prefix: p,
      family: 'ipv4-unicast',
      attributes: attrs,
      nextHop: nh?.nextHop,
      receivedAtMs: now,
    });
  }
  const reach = findAttr(u.attributes, 'MP_REACH_NLRI');
  const fam = reach ? familyOf(reach) : undefined;
  if (reach && fam) {
    for (const p of reach.nlri) {
      announced.push({
        prefix: p,
        family: fam,
        attributes: attrs,
        nextHop: reach.nextHops[0],
        receivedAtMs: now,
      });
    }
  }
  const asPath = findAttr(attrs, 'AS_PATH');
  const own = asPath
    ? asPath.segments.reduce((c, sg) => c + sg.asns.filter((x) => x === ctx.localAs).length, 0)
    : 0;
  if (own > n.cfg.allowasIn) {
    // RFC 4271 §9.1.2: a route carrying our own AS is a loop; it replaces (withdraws) any
    // earlier route for the prefix.
    for (const a of announced) drop(a.prefix);
    announced.length = 0;
  }
  const added: ReceivedRoute[] = [];
  for (const a of announced) {
    const k = routeKey(a.prefix);
    if (!n.received.has(k)) {
      n.limiter.add(a.family);
      added.push(a);
    }
    n.received.set(k, a);
  }
  if (checkMaxPrefixes(ctx.log, n, announced)) {
    // Torn down: what this UPDATE added was never published; the rest is withdrawn when the
    // session goes down (the speaker's onDown), right after this UPDATE.
    for (const a of added) {
      n.received.delete(routeKey(a.prefix));
      n.limiter.add(a.family, -1);
    }
    announced.length = 0;
  }
  return { announced, withdrawn };
}

/** Inbound max-prefixes after an UPDATE; true when the session is being torn down. */
export function checkMaxPrefixes(
  log: Logger,
  n: SpeakerNeighbor,
  announced: readonly ReceivedRoute[],
): boolean {
  if (!n.limiter.policy || announced.length === 0) return false;
  const families = new Set(announced.map((a) => a.family));
  for (const { family, event } of n.limiter.check(families)) {
    if (onMaxPrefixEvent(log, n, family, event)) return true;
  }
  return false;
}

/** Log a threshold or limit event; true when it stopped the session (Idle (PfxCt)). */
export function onMaxPrefixEvent(
  log: Logger,
  n: SpeakerNeighbor,
  family: FamilyName,
  e: MaxPrefixEvent,
): boolean {
  const fields = { neighbor: n.key, family, count: e.count, limit: e.limit };
  if (e.kind === 'threshold') {
    log.warn(fields, 'maximum prefixes threshold reached');
    return false;
  }
  log.warn({ ...fields, action: e.action }, MAX_PREFIXES_EXCEEDED);
  if (e.action === 'warn') return false;
  const { afi, safi } = familyAfiSafi(family);
  n.session.stopFor(
    MAX_PREFIXES_EXCEEDED,
    maxPrefixesNotification(afi, safi, e.limit),
    n.limiter.policy?.restartSec,
  );
  return true;
}
