/**
 * IKE_AUTH with pre-shared keys (RFC 7296 §1.2, §2.15, §3.5): IDi/IDr (ID_IPV4_ADDR,
 * ID_IPV6_ADDR, ID_FQDN), AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>),
 * INITIAL_CONTACT (§2.4) and the first child SA with TSi/TSr. The local identity defaults to the
 * tunnel's public address (azure-interop §1.4, pitfall 14); the peer's must match the expected
 * identity or the exchange fails with AUTHENTICATION_FAILED.
 */
import { pskAuthData, signedOctets, verifyPskAuth } from '../../crypto/psk-auth.js';
import type { IkeIdentity } from '../../config/types.js';
import { formatIp, mustParseIp } from '../../lib/ip/addr.js';
import { IkeNotifyError } from '../errors.js';
import type { IkeSa } from '../sa/ike-sa.js';
import {
  AuthMethod,
  ExchangeType,
  IdType,
  isErrorNotify,
  NotifyType,
  notifyTypeName,
} from '../wire/constants.js';
import { notify, type IdPayload } from '../wire/payloads/index.js';
import { ChildAnswer, ChildOffer } from './child-create.js';
import {
  findNotify,
  findPayload,
  type InMessage,
  type OutMessage,
  type Task,
  type TaskStatus,
} from './task.js';

export function idPayload(kind: 'idi' | 'idr', id: IkeIdentity): IdPayload {
  switch (id.type) {
    case 'ipv4':
      return { kind, idType: IdType.ID_IPV4_ADDR, data: Buffer.from(mustParseIp(id.value).bytes) };
    case 'ipv6':
      return { kind, idType: IdType.ID_IPV6_ADDR, data: Buffer.from(mustParseIp(id.value).bytes) };
    case 'fqdn':
      return { kind, idType: IdType.ID_FQDN, data: Buffer.from(id.value, 'ascii') };
  }
}

/** Human-readable identity, e.g. "ipv4:20.1.2.3" / "fqdn:vpn.example". */
export function describeId(p: IdPayload): string {
  if (p.idType === IdType.ID_IPV4_ADDR && p.data.length === 4)
    return `ipv4:${formatIp({ family: 4, bytes: p.data })}`;
  if (p.idType === IdType.ID_IPV6_ADDR && p.data.length === 16)
    return `ipv6:${formatIp({ family: 6, bytes: p.data })}`;
  if (p.idType === IdType.ID_FQDN) return `fqdn:${p.data.toString('ascii')}`;
  return `type${p.idType}:${p.data.toString('hex')}`;
}

function expectedId(id: IkeIdentity): string {
  return id.type === 'fqdn' ? `fqdn:${id.value}` : describeId(idPayload('idi', id));
}

/** RestOfInitIDPayload / RestOfRespIDPayload: ID Type, RESERVED, data (§2.15). */
function idBody(p: IdPayload): Buffer {
  return Buffer.concat([Buffer.of(p.idType, 0, 0, 0), p.data]);
}

function psk(sa: IkeSa): Buffer {
  const s = sa.opts.tunnel.psk;
  if (s === null)
    throw new IkeNotifyError(NotifyType.AUTHENTICATION_FAILED, undefined, 'no PSK configured');
  return Buffer.from(s.reveal(), 'utf8');
}

function authFor(sa: IkeSa, id: IdPayload, asInitiator: boolean): Buffer {
  const keys = sa.keys;
  const suite = sa.suite;
  if (!keys || !suite)
    throw new IkeNotifyError(NotifyType.TEMPORARY_FAILURE, undefined, 'no IKE keys');
  const octets = asInitiator
    ? signedOctets(suite.prf, sa.initRequestRaw, sa.nonceR, keys.skPi, idBody(id))
    : signedOctets(suite.prf, sa.initResponseRaw, sa.nonceI, keys.skPr, idBody(id));
  return pskAuthData(suite.prf, psk(sa), octets);
}

/** Check the peer's ID and AUTH; throws AUTHENTICATION_FAILED with a one-read explanation. */
function verifyPeer(
  sa: IkeSa,
  id: IdPayload | undefined,
  auth: { method: number; data: Buffer } | undefined,
  peerIsInitiator: boolean,
): void {
  const want = expectedId(sa.opts.tunnel.remoteId);
  const fail = (why: string): never => {
    sa.lastError = why;
    sa.log.warn(why);
    throw new IkeNotifyError(NotifyType.AUTHENTICATION_FAILED, undefined, why);
  };
  if (!id || !auth) return fail('peer sent no ID/AUTH');
  const got = describeId(id);
  if (got !== want) return fail(`peer identity mismatch: expected ${want}, peer sent ${got}`);
  if (auth.method !== AuthMethod.SHARED_KEY_MIC)
    return fail(`peer uses auth method ${auth.method}, we expect PSK`);
  const keys = sa.keys;
  const suite = sa.suite;
  if (!keys || !suite) return fail('no IKE keys');
  const octets = peerIsInitiator
    ? signedOctets(suite.prf, sa.initRequestRaw, sa.nonceR, keys.skPi, idBody(id))
    : signedOctets(suite.prf, sa.initResponseRaw, sa.nonceI, keys.skPr, idBody(id));
  if (!verifyPskAuth(suite.prf, psk(sa), octets, auth.data)) {
    return fail(
      `authentication failed: AUTH from ${got} does not verify (pre-shared key mismatch?)`,
    );
  }
  sa.peerIdentity = got;
}

export class IkeAuthInitiator implements Task {
  readonly type = 'ike-auth';
  readonly exchangeType = ExchangeType.IKE_AUTH;
  private readonly sa: IkeSa;
  private offer: ChildOffer | null = null;

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  build(msg: OutMessage): TaskStatus {
    const sa = this.sa;
    const id = idPayload('idi', sa.opts.tunnel.localId);
    this.offer = new ChildOffer(sa, 'ike-auth');
    msg.payloads.push(
      id,
      { kind: 'auth', method: AuthMethod.SHARED_KEY_MIC, data: authFor(sa, id, true) },
      notify(NotifyType.INITIAL_CONTACT),
      ...this.offer.payloads(),
    );
    return 'done';
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    const idr = findPayload(msg.payloads, 'idr');
    const auth = findPayload(msg.payloads, 'auth');
    if (!idr || !auth) {
      const err = msg.payloads.find((p) => p.kind === 'notify' && isErrorNotify(p.notifyType));
      const name = err?.kind === 'notify' ? notifyTypeName(err.notifyType) : 'no AUTH';
      sa.lastError =
        name === 'AUTHENTICATION_FAILED'
          ? `peer rejected our authentication (AUTHENTICATION_FAILED): check the PSK and our identity ${expectedId(sa.opts.tunnel.localId)}`
          : `peer answered IKE_AUTH with ${name}`;
      sa.log.warn(sa.lastError);
      return 'failed';
    }
    try {
      verifyPeer(sa, idr, auth, false);
    } catch (e) {
      if (e instanceof IkeNotifyError) return 'failed';
      throw e;
    }
    sa.markEstablished();
    if (this.offer) {
      try {
        sa.installChild(this.offer.accept(msg), { outbound: true, rekey: false });
      } catch (e) {
        if (!(e instanceof IkeNotifyError)) throw e;
        sa.lastError = e.message;
        sa.log.warn(`first child sa failed: ${e.message}`);
        sa.deps.emit({ type: 'child:failed', tunnel: sa.tunnel, reason: e.message });
      }
    }
    return 'done';
  }
}

export class IkeAuthResponder implements Task {
  readonly type = 'ike-auth';
  readonly exchangeType = ExchangeType.IKE_AUTH;
  private readonly sa: IkeSa;
  private answer: ChildAnswer | null = null;
  private childError: IkeNotifyError | null = null;

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  process(msg: InMessage): TaskStatus {
    const sa = this.sa;
    verifyPeer(sa, findPayload(msg.payloads, 'idi'), findPayload(msg.payloads, 'auth'), true);
    sa.initialContact = findNotify(msg.payloads, NotifyType.INITIAL_CONTACT) !== undefined;
    try {
      this.answer = new ChildAnswer(sa, msg, 'ike-auth');
    } catch (e) {
      // §1.2/§2.21.3: a child failure does not fail the IKE SA; the error goes in the response.
      if (!(e instanceof IkeNotifyError)) throw e;
      this.childError = e;
    }
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    const sa = this.sa;
    sa.switchToNatT();
    const id = idPayload('idr', sa.opts.tunnel.localId);
    msg.payloads.push(id, {
      kind: 'auth',
      method: AuthMethod.SHARED_KEY_MIC,
      data: authFor(sa, id, false),
    });
    if (this.answer) msg.payloads.push(...this.answer.payloads());
    else if (this.childError)
      msg.payloads.push(notify(this.childError.notifyType, this.childError.data));
    return 'done';
  }

  onSent(): void {
    const sa = this.sa;
    sa.markEstablished();
    if (this.answer) sa.installChild(this.answer.child, { outbound: true, rekey: false });
    else if (this.childError)
      sa.deps.emit({ type: 'child:failed', tunnel: sa.tunnel, reason: this.childError.message });
  }
}
