/**
 * The kernel port: what the daemon asks of Linux networking. The rtnetlink implementation lives in
 * `kernel/netlink/`; `kernel/fake.ts` records calls for unit tests. Methods are idempotent where
 * the comment says so, so reconciliation after a restart can simply re-apply desired state.
 */
export type Family = 4 | 6;

/** rtnetlink route protocol ids (rtnetlink.h / /etc/iproute2/rt_protos). */
export const RouteProtocol = {
  kernel: 2,
  boot: 3,
  static: 4,
  bgp: 186,
} as const;

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Operational carrier (IFF_LOWER_UP / RUNNING). */
  readonly running: boolean;
  readonly mtu: number;
  /** IFLA_INFO_KIND (e.g. "tun", "veth"), when the kernel reports one. */
  readonly kind: string | null;
}

export interface AddressInfo {
  readonly ifindex: number;
  readonly ifname: string;
  readonly family: Family;
  readonly address: string;
  readonly prefixLen: number;
}

export interface NexthopSpec {
  readonly id: number;
  /** Single nexthop: an output device and/or a gateway address. */
  readonly dev?: string;
  readonly via?: string;
  /** Group of other nexthop ids (ECMP); mutually exclusive with dev/via. */
  readonly group?: readonly { readonly id: number; readonly weight?: number }[];
  readonly protocol?: number;
  /** IPv4 or IPv6 nexthop (a device-only nexthop needs a family too). */
  readonly family?: Family;
}

export interface RouteSpec {
  readonly table: number;
  /** Destination prefix, e.g. "10.1.0.0/16" or "2001:db8::/48". */
  readonly prefix: string;
  readonly nexthopId?: number;
  readonly dev?: string;
  readonly via?: string;
  readonly src?: string;
  readonly protocol: number;
  readonly metric?: number;
}

export interface RouteInfo extends RouteSpec {
  readonly family: Family;
}

export interface RuleSpec {
  readonly family: Family;
  readonly priority: number;
  readonly table: number;
  /** Source prefix selector ("from"). */
  readonly src?: string;
  readonly dst?: string;
}

export interface KernelPort {
  listLinks(): Promise<LinkInfo[]>;
  getLink(name: string): Promise<LinkInfo | null>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  setLinkMtu(name: string, mtu: number): Promise<void>;

  listAddresses(ifname?: string): Promise<AddressInfo[]>;
  /** Idempotent: an existing identical address is not an error. */
  addAddress(ifname: string, cidr: string): Promise<void>;
  /** Idempotent: a missing address is not an error. */
  deleteAddress(ifname: string, cidr: string): Promise<void>;

  /** Create or replace (NLM_F_REPLACE). */
  replaceNexthop(spec: NexthopSpec): Promise<void>;
  /** Idempotent. Deleting a nexthop removes every route that uses it. */
  deleteNexthop(id: number): Promise<void>;
  listNexthops(filter?: { protocol?: number }): Promise<NexthopSpec[]>;

  /** Create or replace (NLM_F_REPLACE). */
  replaceRoute(spec: RouteSpec): Promise<void>;
  /** Idempotent. */
  deleteRoute(
    spec: Pick<RouteSpec, 'table' | 'prefix' | 'protocol'> & { metric?: number },
  ): Promise<void>;
  listRoutes(filter?: { table?: number; protocol?: number; family?: Family }): Promise<RouteInfo[]>;

  /** Idempotent. */
  addRule(spec: RuleSpec): Promise<void>;
  /** Idempotent. */
  deleteRule(spec: RuleSpec): Promise<void>;
  listRules(family: Family): Promise<RuleSpec[]>;

  close(): void;
}
