/**
 * Netlink / rtnetlink constants, spelled as in the Linux UAPI headers so a grep for the kernel
 * name finds the code: linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h,
 * linux/nexthop.h, linux/fib_rules.h, linux/if.h.
 */

/** linux/netlink.h: control message types. */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

/** linux/netlink.h: nlmsg_flags. */
export const NlmF = {
  REQUEST: 0x01,
  MULTI: 0x02,
  ACK: 0x04,
  ECHO: 0x08,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  // GET requests
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  // NEW requests
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  // NLMSG_ERROR (ACK) flags
  CAPPED: 0x100,
  ACK_TLVS: 0x200,
} as const;

/** linux/netlink.h enum nlmsgerr_attrs. */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** linux/netlink.h: attribute type flag bits. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** linux/rtnetlink.h: message types. */
export const RtmType = {
  RTM_NEWLINK: 16,
  RTM_DELLINK: 17,
  RTM_GETLINK: 18,
  RTM_SETLINK: 19,
  RTM_NEWADDR: 20,
  RTM_DELADDR: 21,
  RTM_GETADDR: 22,
  RTM_NEWROUTE: 24,
  RTM_DELROUTE: 25,
  RTM_GETROUTE: 26,
  RTM_NEWRULE: 32,
  RTM_DELRULE: 33,
  RTM_GETRULE: 34,
  RTM_NEWNEXTHOP: 104,
  RTM_DELNEXTHOP: 105,
  RTM_GETNEXTHOP: 106,
} as const;

const rtmNames = new Map<number, string>(Object.entries(RtmType).map(([k, v]) => [v, k]));

/** Name of a netlink message type, `NLMSG_<n>` when unknown. */
export function msgTypeName(type: number): string {
  switch (type) {
    case NLMSG_NOOP:
      return 'NLMSG_NOOP';
    case NLMSG_ERROR:
      return 'NLMSG_ERROR';
    case NLMSG_DONE:
      return 'NLMSG_DONE';
    case NLMSG_OVERRUN:
      return 'NLMSG_OVERRUN';
    default:
      return rtmNames.get(type) ?? `NLMSG_${type}`;
  }
}

/** linux/socket.h address families. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** linux/rtnetlink.h enum rtnetlink_groups (use with NETLINK_ADD_MEMBERSHIP). */
export const RtnlGrp = {
  RTNLGRP_LINK: 1,
  RTNLGRP_IPV4_IFADDR: 5,
  RTNLGRP_IPV4_ROUTE: 7,
  RTNLGRP_IPV6_IFADDR: 9,
  RTNLGRP_IPV6_ROUTE: 11,
  RTNLGRP_NEXTHOP: 32,
} as const;

/** linux/if.h net_device_flags. */
export const Iff = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
} as const;

/** linux/if_link.h IFLA_* (only those we use or decode). */
export const Ifla = {
  IFLA_ADDRESS: 1,
  IFLA_BROADCAST: 2,
  IFLA_IFNAME: 3,
  IFLA_MTU: 4,
  IFLA_LINK: 5,
  IFLA_MASTER: 10,
  IFLA_TXQLEN: 13,
  IFLA_OPERSTATE: 16,
  IFLA_LINKMODE: 17,
  IFLA_LINKINFO: 18,
  IFLA_EXT_MASK: 29,
  IFLA_CARRIER: 33,
} as const;

/** linux/if_link.h IFLA_INFO_*. */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

/** linux/rtnetlink.h RTEXT_FILTER_* for IFLA_EXT_MASK. */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** linux/if.h IF_OPER_* (RFC 2863 operational status). */
export const IfOper = {
  UNKNOWN: 0,
  NOTPRESENT: 1,
  DOWN: 2,
  LOWERLAYERDOWN: 3,
  TESTING: 4,
  DORMANT: 5,
  UP: 6,
} as const;

/** linux/if_addr.h IFA_*. */
export const Ifa = {
  IFA_ADDRESS: 1,
  IFA_LOCAL: 2,
  IFA_LABEL: 3,
  IFA_BROADCAST: 4,
  IFA_ANYCAST: 5,
  IFA_CACHEINFO: 6,
  IFA_MULTICAST: 7,
  IFA_FLAGS: 8,
  IFA_RT_PRIORITY: 9,
  IFA_TARGET_NETNSID: 10,
  IFA_PROTO: 11,
} as const;

/** linux/if_addr.h IFA_F_*. */
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;

/** linux/rtnetlink.h enum rtattr_type_t (RTA_*). */
export const Rta = {
  RTA_DST: 1,
  RTA_SRC: 2,
  RTA_IIF: 3,
  RTA_OIF: 4,
  RTA_GATEWAY: 5,
  RTA_PRIORITY: 6,
  RTA_PREFSRC: 7,
  RTA_METRICS: 8,
  RTA_MULTIPATH: 9,
  RTA_FLOW: 11,
  RTA_CACHEINFO: 12,
  RTA_TABLE: 15,
  RTA_MARK: 16,
  RTA_PREF: 20,
  RTA_VIA: 18,
  RTA_EXPIRES: 23,
  RTA_NH_ID: 30,
} as const;

/** linux/rtnetlink.h: rtm_type. */
export const Rtn = {
  RTN_UNSPEC: 0,
  RTN_UNICAST: 1,
  RTN_LOCAL: 2,
  RTN_BROADCAST: 3,
  RTN_ANYCAST: 4,
  RTN_MULTICAST: 5,
  RTN_BLACKHOLE: 6,
  RTN_UNREACHABLE: 7,
  RTN_PROHIBIT: 8,
} as const;

/** linux/rtnetlink.h: rtm_scope. */
export const RtScope = {
  RT_SCOPE_UNIVERSE: 0,
  RT_SCOPE_SITE: 200,
  RT_SCOPE_LINK: 253,
  RT_SCOPE_HOST: 254,
  RT_SCOPE_NOWHERE: 255,
} as const;

/** linux/rtnetlink.h: reserved table ids. */
export const RtTable = {
  RT_TABLE_UNSPEC: 0,
  RT_TABLE_DEFAULT: 253,
  RT_TABLE_MAIN: 254,
  RT_TABLE_LOCAL: 255,
} as const;

/** linux/rtnetlink.h RTNH_F_* (rtnexthop flags, also reported in rtm_flags). */
export const RTNH_F_DEAD = 1;
export const RTNH_F_ONLINK = 4;
export const RTNH_F_LINKDOWN = 16;

/** linux/nexthop.h NHA_*. */
export const Nha = {
  NHA_ID: 1,
  NHA_GROUP: 2,
  NHA_GROUP_TYPE: 3,
  NHA_BLACKHOLE: 4,
  NHA_OIF: 5,
  NHA_GATEWAY: 6,
  NHA_ENCAP_TYPE: 7,
  NHA_ENCAP: 8,
  NHA_GROUPS: 9,
  NHA_MASTER: 10,
  NHA_FDB: 11,
} as const;

/** linux/nexthop.h NEXTHOP_GRP_TYPE_*. */
export const NEXTHOP_GRP_TYPE_MPATH = 0;

/** linux/fib_rules.h FRA_*. */
export const Fra = {
  FRA_DST: 1,
  FRA_SRC: 2,
  FRA_IIFNAME: 3,
  FRA_GOTO: 4,
  FRA_PRIORITY: 6,
  FRA_FWMARK: 10,
  FRA_TABLE: 15,
  FRA_FWMASK: 16,
  FRA_OIFNAME: 17,
  FRA_PROTOCOL: 21,
} as const;

/** linux/fib_rules.h FR_ACT_*. */
export const FR_ACT_TO_TBL = 1;
