/**
 * Catalyst-style `route-map`: entries in sequence order; the first entry whose match clauses all
 * hold decides (a `deny` entry drops the route, a `permit` entry applies its `set` clauses);
 * an entry without match clauses matches everything; no matching entry = implicit deny.
 *
 * Matches: `prefix-list NAME`, `community C` (the path carries C), `as-path REGEX` (Cisco style,
 * see {@link AsPathRegex}). Sets: AS-path prepend, MED, LOCAL_PREF, communities (replace, or add
 * with `community-additive`).
 *
 * A route-map that is referenced but not defined denies everything (documented choice: fail
 * closed, as Catalyst does for an undefined route-map on a neighbor). A `match prefix-list` naming
 * an undefined prefix-list never matches.
 */
import type { Prefix } from '../../lib/ip/prefix.js';
import type { RouteMapEntry } from '../../config/types.js';
import { asPathText, normaliseCommunities, prependAsns, type PathAttrs } from '../rib/path.js';
import { AsPathRegex } from './as-path-regex.js';
import { parseCommunity } from './community.js';
import type { PolicyAction, PrefixList } from './prefix-list.js';

export interface PolicyRoute {
  readonly prefix: Prefix;
  readonly attrs: PathAttrs;
}

export type PolicyResult =
  | { readonly action: 'permit'; readonly attrs: PathAttrs; readonly seq: number | undefined }
  | { readonly action: 'deny'; readonly seq: number | undefined };

interface CompiledEntry {
  readonly seq: number;
  readonly action: PolicyAction;
  readonly prefixList: string | undefined;
  readonly community: number | undefined;
  readonly asPath: AsPathRegex | undefined;
  readonly set: RouteMapEntry['set'];
  readonly setCommunities: readonly number[] | undefined;
}

export class RouteMap {
  readonly name: string;
  /** False for a referenced-but-undefined route-map (denies everything). */
  readonly defined: boolean;
  readonly #entries: readonly CompiledEntry[];
  readonly #prefixLists: ReadonlyMap<string, PrefixList>;

  constructor(
    name: string,
    entries: readonly RouteMapEntry[] | undefined,
    prefixLists: ReadonlyMap<string, PrefixList>,
  ) {
    this.name = name;
    this.defined = entries !== undefined;
    this.#prefixLists = prefixLists;
    this.#entries = (entries ?? [])
      .map((e) => ({
        seq: e.seq,
        action: e.action,
        prefixList: e.match.prefixList,
        community: e.match.community === undefined ? undefined : parseCommunity(e.match.community),
        asPath: e.match.asPath === undefined ? undefined : new AsPathRegex(e.match.asPath),
        set: e.set,
        setCommunities: e.set.community?.map(parseCommunity),
      }))
      .sort((a, b) => a.seq - b.seq);
  }

  #matches(e: CompiledEntry, r: PolicyRoute): boolean {
    if (e.prefixList !== undefined) {
      const pl = this.#prefixLists.get(e.prefixList);
      if (!pl || !pl.permits(r.prefix)) return false;
    }
    if (e.community !== undefined && !r.attrs.communities.includes(e.community)) return false;
    if (e.asPath && !e.asPath.test(asPathText(r.attrs))) return false;
    return true;
  }

  apply(r: PolicyRoute): PolicyResult {
    for (const e of this.#entries) {
      if (!this.#matches(e, r)) continue;
      if (e.action === 'deny') return { action: 'deny', seq: e.seq };
      return { action: 'permit', attrs: applySet(e, r.attrs), seq: e.seq };
    }
    return { action: 'deny', seq: undefined };
  }
}

function applySet(e: CompiledEntry, a: PathAttrs): PathAttrs {
  let out = a;
  const s = e.set;
  if (s.asPathPrepend && s.asPathPrepend.length > 0) {
    out = { ...out, asPath: prependAsns(out.asPath, s.asPathPrepend) };
  }
  if (s.med !== undefined) out = { ...out, med: s.med };
  if (s.localPref !== undefined) out = { ...out, localPref: s.localPref };
  if (e.setCommunities) {
    const next = s.communityAdditive ? [...out.communities, ...e.setCommunities] : e.setCommunities;
    out = { ...out, communities: normaliseCommunities(next) };
  }
  return out;
}
