/**
 * Message rules per exchange and direction (strongSwan `message.c` rule tables; RFC 7296 §1.2–
 * §1.5): which payloads may appear, how often, and whether they travel inside SK.
 *
 * Violations throw IkeNotifyError: INVALID_SYNTAX for a missing/duplicated/disallowed payload,
 * UNSUPPORTED_CRITICAL_PAYLOAD (data: the payload type octet) for an unknown payload with the
 * critical bit set (RFC 7296 §2.5). Unknown non-critical payloads are ignored.
 * A message carrying an error notify, or a COOKIE, is exempt from minimum counts (§2.6, §2.21).
 */
import { IkeNotifyError } from '../errors.js';
import {
  ExchangeType,
  exchangeTypeName,
  isErrorNotify,
  NotifyType,
  PayloadType,
  payloadTypeName,
} from './constants.js';
import { payloadTypeOf, type Payload } from './payloads/index.js';

export interface PayloadRule {
  readonly type: number;
  readonly min: number;
  readonly max: number;
}

export interface MessageRules {
  /** Whether the payloads travel inside SK (every exchange after IKE_SA_INIT). */
  readonly encrypted: boolean;
  readonly rules: readonly PayloadRule[];
}

const MANY = Number.POSITIVE_INFINITY;
const P = PayloadType;

function rule(type: number, min: number, max: number): PayloadRule {
  return { type, min, max };
}

/** Any number of notifies and vendor IDs, allowed in every message. */
const NOTIFY_VID = [rule(P.NOTIFY, 0, MANY), rule(P.VENDOR_ID, 0, MANY)];

/** The first child SA in IKE_AUTH; absent for childless IKE SAs (RFC 6023). */
const FIRST_CHILD = [rule(P.SA, 0, 1), rule(P.TSi, 0, 1), rule(P.TSr, 0, 1)];

const IKE_SA_INIT_REQUEST: MessageRules = {
  encrypted: false,
  rules: [rule(P.SA, 1, 1), rule(P.KE, 1, 1), rule(P.NONCE, 1, 1), ...NOTIFY_VID],
};

const IKE_SA_INIT_RESPONSE: MessageRules = {
  encrypted: false,
  rules: [...IKE_SA_INIT_REQUEST.rules, rule(P.CERTREQ, 0, MANY)],
};

const IKE_AUTH_REQUEST: MessageRules = {
  encrypted: true,
  rules: [
    rule(P.IDi, 1, 1),
    rule(P.CERT, 0, MANY),
    rule(P.CERTREQ, 0, MANY),
    rule(P.IDr, 0, 1),
    // AUTH may be absent when EAP is used (RFC 7296 §2.16).
    rule(P.AUTH, 0, 1),
    rule(P.CP, 0, 1),
    ...FIRST_CHILD,
    ...NOTIFY_VID,
    rule(P.EAP, 0, 1),
  ],
};

const IKE_AUTH_RESPONSE: MessageRules = {
  encrypted: true,
  rules: [
    rule(P.IDr, 0, 1),
    rule(P.CERT, 0, MANY),
    rule(P.AUTH, 0, 1),
    rule(P.CP, 0, 1),
    ...FIRST_CHILD,
    ...NOTIFY_VID,
    rule(P.EAP, 0, 1),
  ],
};

const CREATE_CHILD_SA: MessageRules = {
  encrypted: true,
  rules: [
    rule(P.SA, 1, 1),
    rule(P.NONCE, 1, 1),
    rule(P.KE, 0, 1),
    rule(P.TSi, 0, 1),
    rule(P.TSr, 0, 1),
    ...NOTIFY_VID,
  ],
};

const INFORMATIONAL: MessageRules = {
  encrypted: true,
  rules: [
    rule(P.NOTIFY, 0, MANY),
    rule(P.DELETE, 0, MANY),
    rule(P.CP, 0, 1),
    rule(P.VENDOR_ID, 0, MANY),
  ],
};

/** The rule table for an exchange and direction, or null for an exchange we do not handle. */
export function rulesFor(exchangeType: number, isResponse: boolean): MessageRules | null {
  switch (exchangeType) {
    case ExchangeType.IKE_SA_INIT:
      return isResponse ? IKE_SA_INIT_RESPONSE : IKE_SA_INIT_REQUEST;
    case ExchangeType.IKE_AUTH:
      return isResponse ? IKE_AUTH_RESPONSE : IKE_AUTH_REQUEST;
    case ExchangeType.CREATE_CHILD_SA:
      return CREATE_CHILD_SA;
    case ExchangeType.INFORMATIONAL:
      return INFORMATIONAL;
    default:
      return null;
  }
}

function syntax(message: string): never {
  throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, message);
}

function exemptFromMinimum(payloads: readonly Payload[]): boolean {
  return payloads.some(
    (p) =>
      p.kind === 'notify' && (isErrorNotify(p.notifyType) || p.notifyType === NotifyType.COOKIE),
  );
}

/** Check counts of a plaintext payload list against a rule table. */
function checkCounts(mr: MessageRules, payloads: readonly Payload[], where: string): void {
  const counts = new Map<number, number>();
  for (const p of payloads) {
    if (p.kind === 'unknown') {
      if (p.critical) {
        throw new IkeNotifyError(
          NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD,
          Buffer.of(p.type & 0xff),
          `unsupported critical payload ${p.type}`,
        );
      }
      continue; // RFC 7296 §2.5: unknown non-critical payloads are skipped.
    }
    const t = payloadTypeOf(p);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const exempt = exemptFromMinimum(payloads);
  for (const [t, n] of counts) {
    const r = mr.rules.find((x) => x.type === t);
    if (!r) syntax(`${payloadTypeName(t)} not allowed in ${where}`);
    if (n > r.max) syntax(`too many ${payloadTypeName(t)} in ${where}`);
  }
  if (exempt) return;
  for (const r of mr.rules) {
    if ((counts.get(r.type) ?? 0) < r.min) syntax(`${payloadTypeName(r.type)} missing in ${where}`);
  }
}

/**
 * Check a message. `outer` is the decoded (plaintext) chain; `inner` the decrypted SK content,
 * or null when checking before decryption (then only the outer layout is checked).
 */
export function checkMessageRules(
  exchangeType: number,
  isResponse: boolean,
  outer: readonly Payload[],
  inner: readonly Payload[] | null,
): void {
  const mr = rulesFor(exchangeType, isResponse);
  const where = `${exchangeTypeName(exchangeType)} ${isResponse ? 'response' : 'request'}`;
  if (!mr) syntax(`unsupported exchange in ${where}`);
  if (!mr.encrypted) {
    if (outer.some((p) => p.kind === 'sk' || p.kind === 'skf')) syntax(`SK in ${where}`);
    checkCounts(mr, outer, where);
    return;
  }
  const last = outer[outer.length - 1];
  if (outer.length !== 1 || (last?.kind !== 'sk' && last?.kind !== 'skf')) {
    // RFC 7296 §3.14: every payload of these exchanges travels inside SK.
    syntax(`unprotected payloads in ${where}`);
  }
  if (inner !== null) checkCounts(mr, inner, where);
}
