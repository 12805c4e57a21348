/**
 * UPDATEs for locally originated prefixes (`bgp.networks`) and End-of-RIB markers.
 * RFC 4271 §5.1 (ORIGIN, AS_PATH, NEXT_HOP; LOCAL_PREF towards iBGP), RFC 4760 §3 (MP_REACH for
 * IPv6, next hop per RFC 2545 §3; an IPv4 session carries an IPv4-mapped IPv6 next hop),
 * RFC 6793 §4.2.2 (AS_TRANS + AS4_PATH towards a 2-octet-only peer), RFC 4724 §2 (End-of-RIB).
 */
import { mustParseIp, parseIp, type IpAddr } from '../../lib/ip/addr.js';
import type { Prefix } from '../../lib/ip/prefix.js';
import { Afi, AsPathSegmentType, AttrFlag, Origin, Safi } from '../wire/constants.js';
import { withAs4ForOldSpeaker } from '../wire/attributes/as4.js';
import type { PathAttribute } from '../wire/attributes/types.js';
import type { UpdateMessage } from '../wire/update.js';

const T = AttrFlag.TRANSITIVE;
const O = AttrFlag.OPTIONAL;

/** Prefixes per UPDATE: keeps every message well under 4096 octets (5 / 17 octets a prefix). */
const V4_PER_UPDATE = 500;
const V6_PER_UPDATE = 150;

function ipv6NextHop(local: string | undefined): IpAddr {
  const a = local === undefined ? undefined : parseIp(local);
  if (a?.family === 6) return a;
  if (a?.family === 4) return mustParseIp(`::ffff:${local ?? ''}`);
  return mustParseIp('::');
}

export function buildOriginUpdates(o: {
  readonly family: 'ipv4-unicast' | 'ipv6-unicast';
  readonly prefixes: readonly Prefix[];
  readonly localAs: number;
  readonly ibgp: boolean;
  /** The peer speaks 4-octet AS (else AS_TRANS + AS4_PATH). */
  readonly as4: boolean;
  /** Local address of the TCP connection: our next hop. */
  readonly localAddress: string | undefined;
}): UpdateMessage[] {
  if (o.prefixes.length === 0) return [];
  let base: PathAttribute[] = [
    { type: 'ORIGIN', flags: T, origin: Origin.IGP },
    {
      type: 'AS_PATH',
      flags: T,
      segments: o.ibgp ? [] : [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [o.localAs] }],
    },
  ];
  if (o.ibgp) base.push({ type: 'LOCAL_PREF', flags: T, localPref: 100 });
  if (!o.as4) base = withAs4ForOldSpeaker(base);
  const out: UpdateMessage[] = [];
  if (o.family === 'ipv4-unicast') {
    const local = o.localAddress === undefined ? undefined : parseIp(o.localAddress);
    const nextHop = local?.family === 4 ? local : mustParseIp('0.0.0.0');
    for (let i = 0; i < o.prefixes.length; i += V4_PER_UPDATE) {
      out.push({
        withdrawn: [],
        attributes: [...base, { type: 'NEXT_HOP', flags: T, nextHop }],
        nlri: o.prefixes.slice(i, i + V4_PER_UPDATE),
      });
    }
    return out;
  }
  const nh = ipv6NextHop(o.localAddress);
  for (let i = 0; i < o.prefixes.length; i += V6_PER_UPDATE) {
    out.push({
      withdrawn: [],
      attributes: [
        ...base,
        {
          type: 'MP_REACH_NLRI',
          flags: O,
          afi: Afi.IPV6,
          safi: Safi.UNICAST,
          nextHops: [nh],
          nlri: o.prefixes.slice(i, i + V6_PER_UPDATE),
        },
      ],
      nlri: [],
    });
  }
  return out;
}

/** Withdraw prefixes of one family. */
export function buildWithdraw(
  family: 'ipv4-unicast' | 'ipv6-unicast',
  prefixes: readonly Prefix[],
): UpdateMessage {
  if (family === 'ipv4-unicast') return { withdrawn: prefixes, attributes: [], nlri: [] };
  return {
    withdrawn: [],
    attributes: [
      { type: 'MP_UNREACH_NLRI', flags: O, afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: prefixes },
    ],
    nlri: [],
  };
}

/** RFC 4724 §2: an empty UPDATE (IPv4) or an empty MP_UNREACH_NLRI (other families). */
export function endOfRib(family: 'ipv4-unicast' | 'ipv6-unicast'): UpdateMessage {
  return buildWithdraw(family, []);
}
