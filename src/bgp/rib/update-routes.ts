/**
 * A decoded UPDATE → routes for {@link BgpRib.receive}: classic NLRI/withdrawn (IPv4) plus
 * MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760). An RFC 7606 treat-as-withdraw result withdraws
 * every prefix the UPDATE carried (RFC 7606 §2); withdrawing a prefix never received is a no-op.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import { findAttr } from '../wire/attributes/types.js';
import type { UpdateDecodeResult } from '../wire/update.js';
import { familyOfPrefix, normaliseAttrs, type PathAttrs } from './path.js';

export interface ReceivedRoutes {
  readonly announce: readonly { readonly prefix: Prefix; readonly attrs: PathAttrs }[];
  readonly withdraw: readonly Prefix[];
}

export function routesFromUpdate(r: UpdateDecodeResult): ReceivedRoutes {
  if (r.kind === 'treat-as-withdraw') return { announce: [], withdraw: r.withdrawn };
  const u = r.update;
  const withdraw: Prefix[] = [...u.withdrawn];
  const mpUnreach = findAttr(u.attributes, 'MP_UNREACH_NLRI');
  if (mpUnreach) withdraw.push(...mpUnreach.withdrawn);
  const announce: { prefix: Prefix; attrs: PathAttrs }[] = [];
  if (u.nlri.length > 0) {
    const attrs = normaliseAttrs(u.attributes, 'ipv4-unicast');
    for (const prefix of u.nlri) announce.push({ prefix, attrs });
  }
  const mpReach = findAttr(u.attributes, 'MP_REACH_NLRI');
  if (mpReach && mpReach.nlri.length > 0) {
    const first = mpReach.nlri[0] as Prefix;
    // The MP next hop applies to MP NLRI (RFC 4760 §3), IPv4 ones included (RFC 8950).
    const attrs = {
      ...normaliseAttrs(u.attributes, familyOfPrefix(first)),
      nextHop: mpReach.nextHops[0],
    };
    for (const prefix of mpReach.nlri) announce.push({ prefix, attrs });
  }
  return { announce, withdraw };
}
