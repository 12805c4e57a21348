/**
 * Per-payload semantic checks (strongSwan's payload `verify()`; RFC 7296 §3). Syntax is the
 * codecs' job, counts per exchange are `rules.ts`'. Failures throw IkeNotifyError(INVALID_SYNTAX).
 */
import { IkeNotifyError } from '../errors.js';
import { DhId, IdType, NotifyType, ProtocolId, TransformAttr, TransformType } from './constants.js';
import type {
  DeletePayload,
  IdPayload,
  KePayload,
  NotifyPayload,
  Payload,
  SaPayload,
  TsPayload,
} from './payloads/index.js';

function invalid(message: string): never {
  throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, message);
}

/** Key Exchange Data length per group (RFC 7296 §3.4, RFC 5903 §7, RFC 8031 §3). */
export const KE_DATA_BYTES: Readonly<Record<number, number>> = {
  [DhId.MODP_768]: 96,
  [DhId.MODP_1024]: 128,
  [DhId.MODP_1536]: 192,
  [DhId.MODP_2048]: 256,
  [DhId.MODP_3072]: 384,
  [DhId.MODP_4096]: 512,
  [DhId.MODP_2048_224]: 256,
  [DhId.MODP_2048_256]: 256,
  [DhId.ECP_256]: 64,
  [DhId.ECP_384]: 96,
  [DhId.ECP_521]: 132,
  [DhId.CURVE25519]: 32,
};

function verifySa(p: SaPayload, isResponse: boolean): void {
  // RFC 7296 §3.3.1: a response carries exactly one proposal, which keeps the number it had in the
  // request (any of 1, 2, …).
  if (isResponse && p.proposals.length !== 1) invalid('a response SA must carry one proposal');
  p.proposals.forEach((prop, i) => {
    // RFC 7296 §3.3.1: the first Proposal Num is 1, each next one is one more.
    if (isResponse ? prop.num < 1 : prop.num !== i + 1) {
      invalid(`proposal number ${prop.num} at position ${i + 1}`);
    }
    const proto = prop.protocolId;
    if (proto !== ProtocolId.IKE && proto !== ProtocolId.AH && proto !== ProtocolId.ESP) {
      invalid(`proposal protocol ${proto}`);
    }
    // §3.3.1: IKE SPI size is 0 in IKE_SA_INIT or 8 when rekeying; ESP/AH SPIs are 4.
    const okSpi =
      proto === ProtocolId.IKE
        ? prop.spi.length === 0 || prop.spi.length === 8
        : prop.spi.length === 4;
    if (!okSpi) invalid(`SPI size ${prop.spi.length} for protocol ${proto}`);
    for (const t of prop.transforms) {
      if (t.type < TransformType.ENCR || t.type > TransformType.ESN) {
        // Unknown transform types are skipped by negotiation (§3.3.6), not a syntax error.
        continue;
      }
      for (const a of t.attributes) {
        if (a.type === TransformAttr.KEY_LENGTH) {
          if (t.type !== TransformType.ENCR || typeof a.value !== 'number') {
            invalid('KEY_LENGTH attribute misplaced');
          }
        }
      }
    }
  });
}

function verifyKe(p: KePayload): void {
  if (p.data.length === 0) invalid('empty key exchange data');
  const expected = KE_DATA_BYTES[p.group];
  if (expected !== undefined && p.data.length !== expected) {
    invalid(`KE data ${p.data.length} bytes for group ${p.group}`);
  }
}

function verifyNotify(p: NotifyPayload): void {
  if (p.spi.length !== 0 && p.spi.length !== 4 && p.spi.length !== 8) {
    invalid(`notify SPI size ${p.spi.length}`);
  }
  const n = p.data.length;
  switch (p.notifyType) {
    case NotifyType.INVALID_KE_PAYLOAD:
      // §3.10.1: the accepted group, two octets.
      if (n !== 2) invalid('INVALID_KE_PAYLOAD data must be 2 bytes');
      break;
    case NotifyType.COOKIE:
      // §2.6: a cookie is 1 to 64 octets.
      if (n < 1 || n > 64) invalid('COOKIE must be 1-64 bytes');
      break;
    case NotifyType.NAT_DETECTION_SOURCE_IP:
    case NotifyType.NAT_DETECTION_DESTINATION_IP:
      // §2.23: a SHA-1 digest.
      if (n !== 20) invalid('NAT_DETECTION data must be 20 bytes');
      break;
    case NotifyType.REKEY_SA:
      if (p.spi.length !== 4 && p.spi.length !== 8) invalid('REKEY_SA needs an SPI');
      break;
    case NotifyType.INVALID_SPI:
      if (n !== 4 && p.spi.length !== 4) invalid('INVALID_SPI needs an SPI');
      break;
    case NotifyType.SET_WINDOW_SIZE:
      if (n !== 4) invalid('SET_WINDOW_SIZE data must be 4 bytes');
      break;
    case NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD:
      if (n !== 1) invalid('UNSUPPORTED_CRITICAL_PAYLOAD data must be 1 byte');
      break;
    default:
      break;
  }
}

function verifyDelete(p: DeletePayload): void {
  if (p.protocolId === ProtocolId.IKE) {
    // §3.11: an IKE SA delete has SPI size 0 and no SPIs.
    if (p.spiSize !== 0 || p.spis.length !== 0) invalid('IKE delete carries SPIs');
  } else if (p.protocolId === ProtocolId.ESP || p.protocolId === ProtocolId.AH) {
    if (p.spiSize !== 4 || p.spis.length === 0) invalid('ESP/AH delete needs 4-byte SPIs');
  } else {
    invalid(`delete protocol ${p.protocolId}`);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function verifyTs(p: TsPayload): void {
  if (p.selectors.length === 0) invalid('empty traffic selector payload');
  for (const s of p.selectors) {
    if (s.startPort > s.endPort && !(s.startPort === 0xffff && s.endPort === 0)) {
      // §3.13.1: start > end is only allowed as the OPAQUE marker 65535..0.
      invalid('traffic selector ports reversed');
    }
    if (compareBytes(s.startAddr.bytes, s.endAddr.bytes) > 0) {
      invalid('traffic selector addresses reversed');
    }
  }
}

function verifyId(p: IdPayload): void {
  switch (p.idType) {
    case IdType.ID_IPV4_ADDR:
      if (p.data.length !== 4) invalid('ID_IPV4_ADDR must be 4 bytes');
      break;
    case IdType.ID_IPV6_ADDR:
      if (p.data.length !== 16) invalid('ID_IPV6_ADDR must be 16 bytes');
      break;
    case IdType.ID_NULL:
      if (p.data.length !== 0) invalid('ID_NULL carries data');
      break;
    default:
      if (p.data.length === 0) invalid('empty identification data');
  }
}

/** Semantic checks of one payload. */
export function verifyPayload(p: Payload, isResponse = false): void {
  switch (p.kind) {
    case 'sa': {
      verifySa(p, isResponse);
      return;
    }
    case 'ke': {
      verifyKe(p);
      return;
    }
    case 'nonce':
      // §2.10: nonces are at least 128 bits and at most 2048 bits.
      if (p.nonce.length < 16 || p.nonce.length > 256) invalid('nonce must be 16-256 bytes');
      return;
    case 'notify': {
      verifyNotify(p);
      return;
    }
    case 'delete': {
      verifyDelete(p);
      return;
    }
    case 'tsi':
    case 'tsr': {
      verifyTs(p);
      return;
    }
    case 'idi':
    case 'idr': {
      verifyId(p);
      return;
    }
    case 'auth':
      if (p.data.length === 0) invalid('empty authentication data');
      return;
    case 'cert':
    case 'certreq':
    case 'vendor':
    case 'cp':
    case 'sk':
    case 'skf':
    case 'unknown':
      return;
    default:
      return;
  }
}

/** Per-payload checks; `isResponse` relaxes SA proposal numbering (RFC 7296 §3.3.1). */
export function verifyPayloads(payloads: readonly Payload[], isResponse = false): void {
  for (const p of payloads) verifyPayload(p, isResponse);
}
