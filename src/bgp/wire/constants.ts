/**
 * BGP-4 registries (IANA "Border Gateway Protocol (BGP) Parameters").
 *
 * Supported standards: RFC 4271 (BGP-4), RFC 4760 (MP-BGP), RFC 6793 (4-octet AS), RFC 2918 and
 * RFC 7313 (route refresh), RFC 5492 (capabilities), RFC 1997 / RFC 8092 (communities),
 * RFC 4456 (route reflection attributes), RFC 7606 (revised error handling).
 */

function makeNameOf(registry: Readonly<Record<string, number>>, prefix: string) {
  const names = new Map<number, string>();
  for (const [k, v] of Object.entries(registry)) if (!names.has(v)) names.set(v, k);
  return (n: number): string => names.get(n) ?? `${prefix}_${n}`;
}

/** RFC 4271 §4.1: the marker is 16 octets of all ones. */
export const BGP_MARKER_LENGTH = 16;
export const BGP_HEADER_LENGTH = 19;
/** RFC 4271 §4.1: max message size without RFC 8654 extended messages. */
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: max message size with extended messages. */
export const BGP_MAX_EXTENDED_MESSAGE_LENGTH = 65535;
export const BGP_VERSION = 4;
/** RFC 6793 §9: the reserved 2-octet AS number standing in for a 4-octet AS. */
export const AS_TRANS = 23456;
export const BGP_PORT = 179;

/** RFC 4271 §4.1 message types (plus RFC 2918 ROUTE-REFRESH). */
export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];
export const messageTypeName = makeNameOf(MessageType, 'MSG');

/** RFC 4271 §4.5 NOTIFICATION error codes (+ RFC 4486/7313 additions). */
export const ErrorCode = {
  MESSAGE_HEADER_ERROR: 1,
  OPEN_MESSAGE_ERROR: 2,
  UPDATE_MESSAGE_ERROR: 3,
  HOLD_TIMER_EXPIRED: 4,
  FINITE_STATE_MACHINE_ERROR: 5,
  CEASE: 6,
  ROUTE_REFRESH_MESSAGE_ERROR: 7,
} as const;
export const errorCodeName = makeNameOf(ErrorCode, 'ERROR');

/** RFC 4271 §6.1 Message Header Error subcodes. */
export const HeaderErrorSubcode = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** RFC 4271 §6.2 OPEN Message Error subcodes (RFC 5492 adds 7). */
export const OpenErrorSubcode = {
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
  ROLE_MISMATCH: 11,
} as const;

/** RFC 4271 §6.3 UPDATE Message Error subcodes. */
export const UpdateErrorSubcode = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** RFC 6608 FSM error subcodes. */
export const FsmErrorSubcode = {
  UNSPECIFIED: 0,
  UNEXPECTED_MESSAGE_IN_OPENSENT: 1,
  UNEXPECTED_MESSAGE_IN_OPENCONFIRM: 2,
  UNEXPECTED_MESSAGE_IN_ESTABLISHED: 3,
} as const;

/** RFC 4486 / RFC 9003 Cease subcodes. */
export const CeaseSubcode = {
  MAXIMUM_NUMBER_OF_PREFIXES_REACHED: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DE_CONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
} as const;

/** RFC 7313 §5 ROUTE-REFRESH Message Error subcodes. */
export const RouteRefreshErrorSubcode = {
  INVALID_MESSAGE_LENGTH: 1,
} as const;

const SUBCODES: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  [ErrorCode.MESSAGE_HEADER_ERROR]: HeaderErrorSubcode,
  [ErrorCode.OPEN_MESSAGE_ERROR]: OpenErrorSubcode,
  [ErrorCode.UPDATE_MESSAGE_ERROR]: UpdateErrorSubcode,
  [ErrorCode.FINITE_STATE_MACHINE_ERROR]: FsmErrorSubcode,
  [ErrorCode.CEASE]: CeaseSubcode,
  [ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR]: RouteRefreshErrorSubcode,
};

/** "UPDATE_MESSAGE_ERROR/MALFORMED_AS_PATH" style text for logs and `show`. */
export function errorName(code: number, subcode: number): string {
  const reg = SUBCODES[code];
  let sub = `SUBCODE_${subcode}`;
  if (reg) {
    for (const [k, v] of Object.entries(reg)) if (v === subcode) sub = k;
  }
  if (subcode === 0 && sub === 'SUBCODE_0') sub = 'UNSPECIFIC';
  return `${errorCodeName(code)}/${sub}`;
}

/** RFC 4271 §4.3 attribute flag bits. */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** Path attribute type codes (IANA). */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;
export const attrTypeName = makeNameOf(AttrType, 'ATTR');

/** RFC 4271 §4.3 ORIGIN values. */
export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
export type OriginValue = (typeof Origin)[keyof typeof Origin];
export const originName = makeNameOf(Origin, 'ORIGIN');

/** AS_PATH segment types: RFC 4271 §4.3 and RFC 5065 §3 (confederations). */
export const AsPathSegmentType = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
} as const;
export type AsPathSegmentTypeCode = (typeof AsPathSegmentType)[keyof typeof AsPathSegmentType];
export const asPathSegmentTypeName = makeNameOf(AsPathSegmentType, 'SEGMENT');

/** Capability codes (IANA "Capability Codes", RFC 5492). */
export const CapabilityCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  EXTENDED_NEXT_HOP: 5,
  EXTENDED_MESSAGE: 6,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
  LLGR: 71,
  FQDN: 73,
  ROUTE_REFRESH_CISCO: 128,
} as const;
export const capabilityName = makeNameOf(CapabilityCode, 'CAP');

/** RFC 5492 §4: optional parameter type 2 carries capabilities. */
export const OptParamType = { CAPABILITIES: 2 } as const;

/** Address Family Identifiers (IANA). */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
export const afiName = makeNameOf(Afi, 'AFI');

/** Subsequent AFIs (IANA). */
export const Safi = { UNICAST: 1, MULTICAST: 2 } as const;
export const safiName = makeNameOf(Safi, 'SAFI');

/** "ipv4-unicast" style family name, the key used in config and `show`. */
export function familyName(afi: number, safi: number): string {
  const a = afi === Afi.IPV4 ? 'ipv4' : afi === Afi.IPV6 ? 'ipv6' : `afi${afi}`;
  const s =
    safi === Safi.UNICAST ? 'unicast' : safi === Safi.MULTICAST ? 'multicast' : `safi${safi}`;
  return `${a}-${s}`;
}

/** Well-known communities (RFC 1997, RFC 7999, RFC 8326). */
export const WellKnownCommunity = {
  GRACEFUL_SHUTDOWN: 0xffff0000,
  BLACKHOLE: 0xffff029a,
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  NOPEER: 0xffffff04,
} as const;
