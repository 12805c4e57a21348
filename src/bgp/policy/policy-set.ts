/**
 * The compiled policy of one BGP configuration: prefix-lists and route-maps by name, and the
 * per-neighbor import/export filters in Catalyst order — prefix-list first, then route-map.
 */
import type { BgpConfig, BgpNeighbor } from '../../config/types.js';
import type { PathAttrs } from '../rib/path.js';
import { PrefixList } from './prefix-list.js';
import { RouteMap, type PolicyRoute } from './route-map.js';

/** A neighbor filter: the (possibly rewritten) attributes, or undefined when the route is denied. */
export type RouteFilter = (r: PolicyRoute) => PathAttrs | undefined;

export const PERMIT_ALL: RouteFilter = (r) => r.attrs;

export class PolicySet {
  readonly prefixLists: ReadonlyMap<string, PrefixList>;
  readonly routeMaps: ReadonlyMap<string, RouteMap>;

  constructor(cfg: Pick<BgpConfig, 'prefixLists' | 'routeMaps'>) {
    const pls = new Map<string, PrefixList>();
    for (const [name, entries] of Object.entries(cfg.prefixLists)) {
      pls.set(name, new PrefixList(name, entries));
    }
    this.prefixLists = pls;
    const rms = new Map<string, RouteMap>();
    for (const [name, entries] of Object.entries(cfg.routeMaps)) {
      rms.set(name, new RouteMap(name, entries, pls));
    }
    this.routeMaps = rms;
  }

  /** The route-map by name; an undefined name gives a map that denies everything. */
  routeMap(name: string): RouteMap {
    return this.routeMaps.get(name) ?? new RouteMap(name, undefined, this.prefixLists);
  }

  /** Filter built from an optional prefix-list and an optional route-map (both by name). */
  filter(prefixList: string | undefined, routeMap: string | undefined): RouteFilter {
    if (prefixList === undefined && routeMap === undefined) return PERMIT_ALL;
    // A referenced but undefined prefix-list denies everything too (fail closed).
    const pl = prefixList === undefined ? undefined : this.prefixLists.get(prefixList);
    const rm = routeMap === undefined ? undefined : this.routeMap(routeMap);
    return (r) => {
      if (prefixList !== undefined && (!pl || !pl.permits(r.prefix))) return undefined;
      if (!rm) return r.attrs;
      const res = rm.apply(r);
      return res.action === 'permit' ? res.attrs : undefined;
    };
  }

  importFilter(n: Pick<BgpNeighbor, 'prefixListIn' | 'routeMapIn'>): RouteFilter {
    return this.filter(n.prefixListIn, n.routeMapIn);
  }

  exportFilter(n: Pick<BgpNeighbor, 'prefixListOut' | 'routeMapOut'>): RouteFilter {
    return this.filter(n.prefixListOut, n.routeMapOut);
  }
}
