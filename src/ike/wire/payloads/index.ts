/**
 * The payload union and the per-type dispatch used by the payload chain (RFC 7296 §3.2).
 * Each payload module owns its body codec trio; this file maps types to them.
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';
import { assertNever } from '../../../lib/errors.js';
import { PayloadType } from '../constants.js';
import { authLength, decodeAuth, encodeAuth, type AuthPayload } from './auth.js';
import { certLength, decodeCert, encodeCert, type CertPayload } from './cert.js';
import { cpLength, decodeCp, encodeCp, type CpPayload } from './cp.js';
import { decodeDelete, deleteLength, encodeDelete, type DeletePayload } from './delete.js';
import {
  decodeSk,
  decodeSkf,
  encodeSk,
  encodeSkf,
  skfLength,
  skLength,
  type SkfPayload,
  type SkPayload,
} from './encrypted.js';
import { decodeId, encodeId, idLength, type IdPayload } from './id.js';
import { decodeKe, encodeKe, keLength, type KePayload } from './ke.js';
import { decodeNonce, encodeNonce, nonceLength, type NoncePayload } from './nonce.js';
import { decodeNotify, encodeNotify, notifyLength, type NotifyPayload } from './notify.js';
import { decodeSa, encodeSa, saLength, type SaPayload } from './sa.js';
import { decodeTs, encodeTs, tsLength, type TsPayload } from './ts.js';
import { decodeUnknown, encodeUnknown, unknownLength, type UnknownPayload } from './unknown.js';
import { decodeVendor, encodeVendor, vendorLength, type VendorPayload } from './vendor.js';

export type { AuthPayload } from './auth.js';
export type { CertPayload } from './cert.js';
export type { CfgAttribute, CpPayload } from './cp.js';
export type { DeletePayload } from './delete.js';
export type { SkfPayload, SkPayload } from './encrypted.js';
export type { IdPayload } from './id.js';
export type { KePayload } from './ke.js';
export type { NoncePayload } from './nonce.js';
export type { NotifyPayload } from './notify.js';
export type { Proposal, SaPayload, Transform, TransformAttribute } from './sa.js';
export type { TrafficSelector, TsPayload } from './ts.js';
export type { UnknownPayload } from './unknown.js';
export type { VendorPayload } from './vendor.js';
export type { PayloadContext } from './common.js';
export { keyLengthOf, transform } from './sa.js';
export { notify } from './notify.js';

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | TsPayload
  | SkPayload
  | CpPayload
  | SkfPayload
  | UnknownPayload;

export type PayloadKind = Payload['kind'];

/** The payload type number a payload carries on the wire. */
export function payloadTypeOf(p: Payload): number {
  switch (p.kind) {
    case 'sa':
      return PayloadType.SA;
    case 'ke':
      return PayloadType.KE;
    case 'idi':
      return PayloadType.IDi;
    case 'idr':
      return PayloadType.IDr;
    case 'cert':
      return PayloadType.CERT;
    case 'certreq':
      return PayloadType.CERTREQ;
    case 'auth':
      return PayloadType.AUTH;
    case 'nonce':
      return PayloadType.NONCE;
    case 'notify':
      return PayloadType.NOTIFY;
    case 'delete':
      return PayloadType.DELETE;
    case 'vendor':
      return PayloadType.VENDOR_ID;
    case 'tsi':
      return PayloadType.TSi;
    case 'tsr':
      return PayloadType.TSr;
    case 'sk':
      return PayloadType.SK;
    case 'cp':
      return PayloadType.CP;
    case 'skf':
      return PayloadType.SKF;
    case 'unknown':
      return p.type;
    default:
      return assertNever(p, 'payload');
  }
}

/**
 * Decode one payload body. `innerFirst` is the generic header's Next Payload, which for SK/SKF
 * names the first inner payload. Types this implementation does not interpret (including EAP)
 * come back as `unknown` with their critical bit.
 */
export function decodePayloadBody(
  type: number,
  critical: boolean,
  r: Reader,
  innerFirst: number,
): Payload {
  const ctx = { payloadType: type };
  switch (type) {
    case PayloadType.SA:
      return decodeSa(r);
    case PayloadType.KE:
      return decodeKe(r);
    case PayloadType.IDi:
    case PayloadType.IDr:
      return decodeId(r, ctx);
    case PayloadType.CERT:
    case PayloadType.CERTREQ:
      return decodeCert(r, ctx);
    case PayloadType.AUTH:
      return decodeAuth(r);
    case PayloadType.NONCE:
      return decodeNonce(r);
    case PayloadType.NOTIFY:
      return decodeNotify(r);
    case PayloadType.DELETE:
      return decodeDelete(r);
    case PayloadType.VENDOR_ID:
      return decodeVendor(r);
    case PayloadType.TSi:
    case PayloadType.TSr:
      return decodeTs(r, ctx);
    case PayloadType.SK:
      return decodeSk(r, innerFirst);
    case PayloadType.CP:
      return decodeCp(r);
    case PayloadType.SKF:
      return decodeSkf(r, innerFirst);
    default:
      return decodeUnknown(r, type, critical);
  }
}

export function encodePayloadBody(w: Writer, p: Payload): void {
  switch (p.kind) {
    case 'sa': {
      encodeSa(w, p);
      return;
    }
    case 'ke': {
      encodeKe(w, p);
      return;
    }
    case 'idi':
    case 'idr': {
      encodeId(w, p);
      return;
    }
    case 'cert':
    case 'certreq': {
      encodeCert(w, p);
      return;
    }
    case 'auth': {
      encodeAuth(w, p);
      return;
    }
    case 'nonce': {
      encodeNonce(w, p);
      return;
    }
    case 'notify': {
      encodeNotify(w, p);
      return;
    }
    case 'delete': {
      encodeDelete(w, p);
      return;
    }
    case 'vendor': {
      encodeVendor(w, p);
      return;
    }
    case 'tsi':
    case 'tsr': {
      encodeTs(w, p);
      return;
    }
    case 'sk': {
      encodeSk(w, p);
      return;
    }
    case 'cp': {
      encodeCp(w, p);
      return;
    }
    case 'skf': {
      encodeSkf(w, p);
      return;
    }
    case 'unknown': {
      encodeUnknown(w, p);
      return;
    }
    default:
      return assertNever(p, 'payload');
  }
}

export function payloadBodyLength(p: Payload): number {
  switch (p.kind) {
    case 'sa':
      return saLength(p);
    case 'ke':
      return keLength(p);
    case 'idi':
    case 'idr':
      return idLength(p);
    case 'cert':
    case 'certreq':
      return certLength(p);
    case 'auth':
      return authLength(p);
    case 'nonce':
      return nonceLength(p);
    case 'notify':
      return notifyLength(p);
    case 'delete':
      return deleteLength(p);
    case 'vendor':
      return vendorLength(p);
    case 'tsi':
    case 'tsr':
      return tsLength(p);
    case 'sk':
      return skLength(p);
    case 'cp':
      return cpLength(p);
    case 'skf':
      return skfLength(p);
    case 'unknown':
      return unknownLength(p);
    default:
      return assertNever(p, 'payload');
  }
}
