/**
 * Child SA negotiation (RFC 7296 §1.3.1, §2.9, §2.17): the first child inside IKE_AUTH and
 * CREATE_CHILD_SA for new children and rekeys (child-rekey.ts adds REKEY_SA). Keys are
 * KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr): initiator→responder first, so the initiator's outbound
 * keys are the responder's inbound keys.
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/dh.js';
import { deriveChildKeys } from '../../crypto/keymat.js';
import { DH_GROUP } from '../../crypto/transforms.js';
import { IkeNotifyError } from '../errors.js';
import { ChildSa } from '../sa/child-sa.js';
import { newEspSpi, type IkeSa } from '../sa/ike-sa.js';
import {
  espChosenProposal,
  espProposals,
  selectEspProposal,
  validateEspChoice,
  type EspContext,
  type EspSuiteChoice,
} from '../sa/proposal.js';
import { checkNarrowed, narrowSelectors, routeBasedSelectors } from '../sa/ts-narrow.js';
import { ExchangeType, isErrorNotify, NotifyType, notifyTypeName } from '../wire/constants.js';
import type { Payload, TrafficSelector } from '../wire/payloads/index.js';
import {
  findPayload,
  type InMessage,
  type OutMessage,
  type Task,
  type TaskStatus,
} from './task.js';
import { NONCE_BYTES } from './ike-init.js';

/** Initiator half of a child negotiation: what we offered. */
export class ChildOffer {
  readonly spiIn: number;
  readonly ctx: EspContext;
  readonly nonce: Buffer;
  readonly ke: KeyExchange | null;
  readonly tsi: TrafficSelector[];
  readonly tsr: TrafficSelector[];
  private readonly sa: IkeSa;

  constructor(sa: IkeSa, ctx: EspContext) {
    this.sa = sa;
    this.ctx = ctx;
    this.spiIn = newEspSpi(sa.deps.rng);
    this.nonce = ctx === 'create-child' ? sa.deps.rng.bytes(NONCE_BYTES) : sa.nonceI;
    const pfs = sa.opts.ipsecPolicy.proposals[0]?.pfsGroup ?? null;
    this.ke = ctx === 'create-child' && pfs !== null ? createKeyExchange(pfs, sa.deps.rng) : null;
    this.tsi = routeBasedSelectors(sa.opts.tunnel.ipv6);
    this.tsr = routeBasedSelectors(sa.opts.tunnel.ipv6);
  }

  /** SA [, Ni, KE], TSi, TSr. */
  payloads(): Payload[] {
    const out: Payload[] = [
      { kind: 'sa', proposals: espProposals(this.sa.opts.ipsecPolicy, this.spiIn, this.ctx) },
    ];
    if (this.ctx === 'create-child') out.push({ kind: 'nonce', nonce: this.nonce });
    if (this.ke) out.push({ kind: 'ke', group: this.ke.ianaId, data: this.ke.publicKey });
    out.push({ kind: 'tsi', selectors: this.tsi }, { kind: 'tsr', selectors: this.tsr });
    return out;
  }

  /** Validate the response and build the child SA (not yet installed). */
  accept(msg: InMessage): ChildSa {
    const sa = this.sa;
    const err = msg.payloads.find((p) => p.kind === 'notify' && isErrorNotify(p.notifyType));
    if (err?.kind === 'notify') {
      throw new IkeNotifyError(
        err.notifyType,
        undefined,
        `peer refused child SA: ${notifyTypeName(err.notifyType)}`,
      );
    }
    const saP = findPayload(msg.payloads, 'sa');
    const tsi = findPayload(msg.payloads, 'tsi');
    const tsr = findPayload(msg.payloads, 'tsr');
    if (!saP || !tsi || !tsr)
      throw new IkeNotifyError(
        NotifyType.INVALID_SYNTAX,
        undefined,
        'child SA response incomplete',
      );
    const { suite, peerSpi } = validateEspChoice(
      espProposals(sa.opts.ipsecPolicy, this.spiIn, this.ctx),
      saP.proposals,
    );
    checkNarrowed(this.tsi, tsi.selectors, 'TSi');
    checkNarrowed(this.tsr, tsr.selectors, 'TSr');
    let nonceR = sa.nonceR;
    let gir: Buffer | undefined;
    if (this.ctx === 'create-child') {
      const n = findPayload(msg.payloads, 'nonce');
      if (!n) throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, 'no Nr');
      nonceR = n.nonce;
      if (suite.dhGroup !== null) {
        const ke = findPayload(msg.payloads, 'ke');
        if (!ke || !this.ke || ke.group !== this.ke.ianaId) {
          throw new IkeNotifyError(
            NotifyType.INVALID_SYNTAX,
            undefined,
            'PFS KE missing in response',
          );
        }
        gir = this.ke.computeSharedSecret(ke.data);
      }
    }
    return makeChild(sa, {
      suite,
      spiIn: this.spiIn,
      spiOut: peerSpi,
      ni: this.nonce,
      nr: nonceR,
      gir,
      weInitiated: true,
      tsi: tsi.selectors,
      tsr: tsr.selectors,
    });
  }
}

interface MakeChild {
  readonly suite: EspSuiteChoice;
  readonly spiIn: number;
  readonly spiOut: number;
  readonly ni: Buffer;
  readonly nr: Buffer;
  readonly gir: Buffer | undefined;
  readonly weInitiated: boolean;
  readonly tsi: readonly TrafficSelector[];
  readonly tsr: readonly TrafficSelector[];
}

function makeChild(sa: IkeSa, m: MakeChild): ChildSa {
  const keys = sa.keys;
  if (!sa.suite || !keys)
    throw new IkeNotifyError(NotifyType.TEMPORARY_FAILURE, undefined, 'no IKE keys');
  const k = deriveChildKeys(
    sa.suite.prf,
    keys.skD,
    m.suite.encryption,
    m.suite.integrity,
    m.ni,
    m.nr,
    m.gir,
  );
  return new ChildSa({
    spiIn: m.spiIn,
    spiOut: m.spiOut,
    suite: m.suite,
    keysIn: m.weInitiated ? k.responderToInitiator : k.initiatorToResponder,
    keysOut: m.weInitiated ? k.initiatorToResponder : k.responderToInitiator,
    tsi: m.tsi,
    tsr: m.tsr,
    nonceI: m.ni,
    nonceR: m.nr,
    createdByUs: m.weInitiated,
    createdAtMs: sa.deps.clock.now(),
  });
}

/** Responder half: select, narrow and derive from a request; `payloads()` is the answer. */
export class ChildAnswer {
  readonly child: ChildSa;
  private readonly num: number;
  private readonly ke: KeyExchange | null;
  private readonly ctx: EspContext;

  constructor(sa: IkeSa, msg: InMessage, ctx: EspContext) {
    this.ctx = ctx;
    const saP = findPayload(msg.payloads, 'sa');
    const tsi = findPayload(msg.payloads, 'tsi');
    const tsr = findPayload(msg.payloads, 'tsr');
    if (!saP || !tsi || !tsr)
      throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, 'child SA request incomplete');
    let chosen;
    let narrowedI;
    let narrowedR;
    try {
      chosen = selectEspProposal(sa.opts.ipsecPolicy, saP.proposals, ctx);
      const ours = routeBasedSelectors(sa.opts.tunnel.ipv6);
      narrowedI = narrowSelectors(tsi.selectors, ours, 'TSi');
      narrowedR = narrowSelectors(tsr.selectors, ours, 'TSr');
    } catch (e) {
      if (e instanceof IkeNotifyError) {
        sa.lastError = e.message;
        sa.log.warn(e.message);
      }
      throw e;
    }
    this.num = chosen.num;
    let ni = sa.nonceI;
    let nr = sa.nonceR;
    let gir: Buffer | undefined;
    this.ke = null;
    if (ctx === 'create-child') {
      const n = findPayload(msg.payloads, 'nonce');
      if (!n) throw new IkeNotifyError(NotifyType.INVALID_SYNTAX, undefined, 'no Ni');
      ni = n.nonce;
      nr = sa.deps.rng.bytes(NONCE_BYTES);
      const group = chosen.suite.dhGroup;
      if (group !== null) {
        const ke = findPayload(msg.payloads, 'ke');
        const want = DH_GROUP[group].ianaId;
        if (!ke || ke.group !== want) {
          const data = Buffer.alloc(2);
          data.writeUInt16BE(want);
          throw new IkeNotifyError(
            NotifyType.INVALID_KE_PAYLOAD,
            data,
            `child KE must be ${group}`,
          );
        }
        this.ke = createKeyExchange(group, sa.deps.rng);
        gir = this.ke.computeSharedSecret(ke.data);
      }
    }
    this.child = makeChild(sa, {
      suite: chosen.suite,
      spiIn: newEspSpi(sa.deps.rng),
      spiOut: chosen.peerSpi,
      ni,
      nr,
      gir,
      weInitiated: false,
      tsi: narrowedI,
      tsr: narrowedR,
    });
  }

  payloads(): Payload[] {
    const c = this.child;
    const out: Payload[] = [
      { kind: 'sa', proposals: [espChosenProposal(c.suite, this.num, c.spiIn)] },
    ];
    if (this.ctx === 'create-child') out.push({ kind: 'nonce', nonce: c.nonceR });
    if (this.ke) out.push({ kind: 'ke', group: this.ke.ianaId, data: this.ke.publicKey });
    out.push({ kind: 'tsi', selectors: c.tsi }, { kind: 'tsr', selectors: c.tsr });
    return out;
  }
}

/** CREATE_CHILD_SA for an additional child SA (initiator). */
export class ChildCreateInitiator implements Task {
  readonly type: Task['type'] = 'child-create';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  protected readonly sa: IkeSa;
  protected offer: ChildOffer | null = null;

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  build(msg: OutMessage): TaskStatus {
    this.offer = new ChildOffer(this.sa, 'create-child');
    msg.payloads.push(...this.offer.payloads());
    return 'done';
  }

  process(msg: InMessage): TaskStatus {
    if (!this.offer) return 'failed';
    let child: ChildSa;
    try {
      child = this.offer.accept(msg);
    } catch (e) {
      if (!(e instanceof IkeNotifyError)) throw e;
      this.sa.lastError = e.message;
      this.sa.log.warn({ tunnel: this.sa.tunnel, peer: this.sa.remote.address }, e.message);
      return 'failed';
    }
    this.sa.installChild(child, { outbound: true, rekey: false });
    return 'done';
  }
}

/** CREATE_CHILD_SA responder for a new child SA. */
export class ChildCreateResponder implements Task {
  readonly type: Task['type'] = 'child-create';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private readonly sa: IkeSa;
  private answer: ChildAnswer | null = null;

  constructor(sa: IkeSa) {
    this.sa = sa;
  }

  process(msg: InMessage): TaskStatus {
    this.answer = new ChildAnswer(this.sa, msg, 'create-child');
    return 'done';
  }

  build(msg: OutMessage): TaskStatus {
    if (!this.answer) return 'failed';
    msg.payloads.push(...this.answer.payloads());
    this.sa.installChild(this.answer.child, { outbound: true, rekey: false });
    return 'done';
  }
}
