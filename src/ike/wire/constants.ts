/**
 * IKEv2 registries (RFC 7296 §3, IANA "Internet Key Exchange Version 2 (IKEv2) Parameters",
 * RFC 7383 for SKF and IKEV2_FRAGMENTATION_SUPPORTED). Keys use the IANA spelling so a term
 * grepped from the RFC finds the code; each registry has a name function that renders unknown
 * values as e.g. `NOTIFY_16430`.
 */

type Registry = Readonly<Record<string, number>>;

function reverse(reg: Registry): ReadonlyMap<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(reg)) if (!m.has(v)) m.set(v, k);
  return m;
}

/** Build a `nameOf(n)` for a registry; unknown values render as `${prefix}_${n}`. */
export function makeNameOf(reg: Registry, prefix: string): (n: number) => string {
  const rev = reverse(reg);
  return (n) => rev.get(n) ?? `${prefix}_${n}`;
}

/** IKE header flags (RFC 7296 §3.1). */
export const HeaderFlag = {
  INITIATOR: 0x08,
  VERSION: 0x10,
  RESPONSE: 0x20,
} as const;

/** Exchange types (RFC 7296 §3.1, RFC 9242 IKE_INTERMEDIATE). */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_SESSION_RESUME: 38,
  IKE_INTERMEDIATE: 43,
} as const;
export type ExchangeTypeName = keyof typeof ExchangeType;
export const exchangeTypeName = makeNameOf(ExchangeType, 'EXCHANGE');

/** Payload types (RFC 7296 §3.2, RFC 7383 §2.5 SKF). */
export const PayloadType = {
  NO_NEXT_PAYLOAD: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  NOTIFY: 41,
  DELETE: 42,
  VENDOR_ID: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  GSPM: 49,
  SKF: 53,
} as const;
export const payloadTypeName = makeNameOf(PayloadType, 'PAYLOAD');

/** Notify message types (RFC 7296 §3.10.1 and later RFCs). Values below 16384 are errors. */
export const NotifyType = {
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  AUTH_LIFETIME: 16403,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  ANOTHER_AUTH_FOLLOWS: 16405,
  REDIRECT_SUPPORTED: 16406,
  REDIRECT: 16407,
  REDIRECTED_FROM: 16408,
  EAP_ONLY_AUTHENTICATION: 16417,
  CHILDLESS_IKEV2_SUPPORTED: 16418,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
  USE_PPK: 16435,
  PPK_IDENTITY: 16436,
  NO_PPK_AUTH: 16437,
  INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
} as const;
export type NotifyTypeName = keyof typeof NotifyType;
export const notifyTypeName = makeNameOf(NotifyType, 'NOTIFY');

/** RFC 7296 §3.10.1: types 0–16383 are errors, 16384 and up are status. */
export function isErrorNotify(type: number): boolean {
  return type > 0 && type < 16384;
}

/** Security protocol identifiers (RFC 7296 §3.3.1). */
export const ProtocolId = {
  IKE: 1,
  AH: 2,
  ESP: 3,
} as const;
export const protocolIdName = makeNameOf(ProtocolId, 'PROTO');

/** Transform types (RFC 7296 §3.3.2). */
export const TransformType = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  DH: 4,
  ESN: 5,
} as const;
export const transformTypeName = makeNameOf(TransformType, 'TRANSFORM');

/** Transform type 1 IDs (IANA "Transform Type 1 - Encryption Algorithm Transform IDs"). */
export const EncrId = {
  ENCR_DES_IV64: 1,
  ENCR_DES: 2,
  ENCR_3DES: 3,
  ENCR_NULL: 11,
  ENCR_AES_CBC: 12,
  ENCR_AES_CTR: 13,
  ENCR_AES_CCM_8: 14,
  ENCR_AES_CCM_12: 15,
  ENCR_AES_CCM_16: 16,
  ENCR_AES_GCM_8: 18,
  ENCR_AES_GCM_12: 19,
  ENCR_AES_GCM_16: 20,
  ENCR_NULL_AUTH_AES_GMAC: 21,
  ENCR_CHACHA20_POLY1305: 28,
} as const;
export const encrIdName = makeNameOf(EncrId, 'ENCR');

/** Transform type 2 IDs. */
export const PrfId = {
  PRF_HMAC_MD5: 1,
  PRF_HMAC_SHA1: 2,
  PRF_HMAC_TIGER: 3,
  PRF_AES128_XCBC: 4,
  PRF_HMAC_SHA2_256: 5,
  PRF_HMAC_SHA2_384: 6,
  PRF_HMAC_SHA2_512: 7,
  PRF_AES128_CMAC: 8,
} as const;
export const prfIdName = makeNameOf(PrfId, 'PRF');

/** Transform type 3 IDs. */
export const IntegId = {
  NONE: 0,
  AUTH_HMAC_MD5_96: 1,
  AUTH_HMAC_SHA1_96: 2,
  AUTH_DES_MAC: 3,
  AUTH_KPDK_MD5: 4,
  AUTH_AES_XCBC_96: 5,
  AUTH_HMAC_MD5_128: 6,
  AUTH_HMAC_SHA1_160: 7,
  AUTH_AES_CMAC_96: 8,
  AUTH_AES_128_GMAC: 9,
  AUTH_AES_192_GMAC: 10,
  AUTH_AES_256_GMAC: 11,
  AUTH_HMAC_SHA2_256_128: 12,
  AUTH_HMAC_SHA2_384_192: 13,
  AUTH_HMAC_SHA2_512_256: 14,
} as const;
export const integIdName = makeNameOf(IntegId, 'AUTH');

/** Transform type 4 IDs (Key Exchange Method; RFC 3526, RFC 5114, RFC 5903, RFC 8031). */
export const DhId = {
  NONE: 0,
  MODP_768: 1,
  MODP_1024: 2,
  MODP_1536: 5,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  MODP_6144: 17,
  MODP_8192: 18,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  MODP_1024_160: 22,
  MODP_2048_224: 23,
  MODP_2048_256: 24,
  ECP_192: 25,
  ECP_224: 26,
  BRAINPOOL_P224R1: 27,
  BRAINPOOL_P256R1: 28,
  BRAINPOOL_P384R1: 29,
  BRAINPOOL_P512R1: 30,
  CURVE25519: 31,
  CURVE448: 32,
} as const;
export const dhIdName = makeNameOf(DhId, 'DH');

/** Transform type 5 IDs. */
export const EsnId = {
  NO_ESN: 0,
  ESN: 1,
} as const;
export const esnIdName = makeNameOf(EsnId, 'ESN');

/** Transform attribute types (RFC 7296 §3.3.5). */
export const TransformAttr = {
  KEY_LENGTH: 14,
} as const;
export const transformAttrName = makeNameOf(TransformAttr, 'ATTR');

/** Identification types (RFC 7296 §3.5). */
export const IdType = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
  ID_NULL: 13,
} as const;
export const idTypeName = makeNameOf(IdType, 'ID');

/** Authentication methods (RFC 7296 §3.8, RFC 4754, RFC 7427, RFC 7619). */
export const AuthMethod = {
  RSA_DIGITAL_SIGNATURE: 1,
  SHARED_KEY_MIC: 2,
  DSS_DIGITAL_SIGNATURE: 3,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  GENERIC_SECURE_PASSWORD: 12,
  NULL_AUTH: 13,
  DIGITAL_SIGNATURE: 14,
} as const;
export const authMethodName = makeNameOf(AuthMethod, 'AUTH_METHOD');

/** Traffic selector types (RFC 7296 §3.13.1). */
export const TsType = {
  TS_IPV4_ADDR_RANGE: 7,
  TS_IPV6_ADDR_RANGE: 8,
} as const;
export const tsTypeName = makeNameOf(TsType, 'TS');

/** Certificate encodings (RFC 7296 §3.6). */
export const CertEncoding = {
  PKCS7_WRAPPED_X509: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  KERBEROS_TOKEN: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
  RAW_RSA_KEY: 11,
  HASH_URL_X509_CERT: 12,
  HASH_URL_X509_BUNDLE: 13,
} as const;
export const certEncodingName = makeNameOf(CertEncoding, 'CERT');

/** Configuration payload types (RFC 7296 §3.15). */
export const CfgType = {
  CFG_REQUEST: 1,
  CFG_REPLY: 2,
  CFG_SET: 3,
  CFG_ACK: 4,
} as const;
export const cfgTypeName = makeNameOf(CfgType, 'CFG');

/** Fixed sizes (RFC 7296 §3.1, §3.2). */
export const IKE_HEADER_BYTES = 28;
export const GENERIC_PAYLOAD_HEADER_BYTES = 4;
/** RFC 7383 §2.5: SKF adds Fragment Number and Total Fragments after the generic header. */
export const SKF_HEADER_BYTES = 8;
