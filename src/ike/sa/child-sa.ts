/**
 * A child (ESP) SA: explicit state, SPIs (uint32, ours = inbound), the negotiated suite, keys per
 * direction (never logged), traffic selectors and the nonces of its creation (RFC 7296 §2.8.1
 * needs them to resolve simultaneous rekeys).
 */
import type { DirectionKeys } from '../../crypto/keymat.js';
import type { Timer } from '../../lib/clock.js';
import type { TrafficSelector } from '../wire/payloads/index.js';
import type { EspSuiteChoice } from './proposal.js';

export type ChildSaState =
  'creating' | 'installed' | 'rekeying' | 'rekeyed' | 'deleting' | 'deleted';

export interface ChildSaInit {
  readonly spiIn: number;
  readonly spiOut: number;
  readonly suite: EspSuiteChoice;
  readonly keysIn: DirectionKeys;
  readonly keysOut: DirectionKeys;
  readonly tsi: readonly TrafficSelector[];
  readonly tsr: readonly TrafficSelector[];
  readonly nonceI: Buffer;
  readonly nonceR: Buffer;
  /** We initiated the exchange that created it. */
  readonly createdByUs: boolean;
  readonly createdAtMs: number;
}

export class ChildSa {
  state: ChildSaState = 'creating';
  readonly spiIn: number;
  readonly spiOut: number;
  readonly suite: EspSuiteChoice;
  /** Keys are kept off enumerable logging paths; never pass a ChildSa to a logger. */
  readonly #keysIn: DirectionKeys;
  readonly #keysOut: DirectionKeys;
  readonly tsi: readonly TrafficSelector[];
  readonly tsr: readonly TrafficSelector[];
  readonly nonceI: Buffer;
  readonly nonceR: Buffer;
  readonly createdByUs: boolean;
  readonly createdAtMs: number;
  /** Outbound SA installed (a rekey responder waits for the old SA's Delete, make-before-break). */
  outboundInstalled = false;
  /** The new SA that replaced this one. */
  replacedBy: ChildSa | null = null;
  /** RFC 7296 §2.8.1: the peer's rekey of this SA that crossed ours. */
  peerRekey: ChildSa | null = null;
  rekeyTimer: Timer | null = null;
  expireTimer: Timer | null = null;

  constructor(init: ChildSaInit) {
    this.spiIn = init.spiIn;
    this.spiOut = init.spiOut;
    this.suite = init.suite;
    this.#keysIn = init.keysIn;
    this.#keysOut = init.keysOut;
    this.tsi = init.tsi;
    this.tsr = init.tsr;
    this.nonceI = init.nonceI;
    this.nonceR = init.nonceR;
    this.createdByUs = init.createdByUs;
    this.createdAtMs = init.createdAtMs;
  }

  keys(dir: 'in' | 'out'): DirectionKeys {
    return dir === 'in' ? this.#keysIn : this.#keysOut;
  }

  /** The lower of the two nonces of the creating exchange (§2.8.1 collision rule). */
  get minNonce(): Buffer {
    return Buffer.compare(this.nonceI, this.nonceR) <= 0 ? this.nonceI : this.nonceR;
  }

  stopTimers(): void {
    this.rekeyTimer?.cancel();
    this.expireTimer?.cancel();
  }

  /** e.g. "c0ffee01/0badf00d". */
  get label(): string {
    return `${hex8(this.spiIn)}/${hex8(this.spiOut)}`;
  }

  toJSON(): Record<string, unknown> {
    return { spiIn: hex8(this.spiIn), spiOut: hex8(this.spiOut), state: this.state };
  }
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
