/**
 * The task model (strongSwan `sa/task.h`): one procedure per task. An initiator task builds the
 * request and processes the response; a responder (passive) task processes the request and builds
 * the response. Tasks never touch message IDs, retransmission or sockets: the TaskManager does.
 */
import type { IkeHeader } from '../wire/header.js';
import type { Payload } from '../wire/payloads/index.js';

/** 'done': finished; 'more': needs another exchange (IKE_SA_INIT retry); 'failed': gave up. */
export type TaskStatus = 'done' | 'more' | 'failed';

export type TaskType =
  | 'ike-init'
  | 'ike-auth'
  | 'child-create'
  | 'child-rekey'
  | 'child-delete'
  | 'ike-rekey'
  | 'ike-delete'
  | 'ike-dpd'
  | 'informational';

/** A message being built: tasks append payloads (plaintext; the manager adds SK{}). */
export interface OutMessage {
  readonly exchangeType: number;
  readonly payloads: Payload[];
}

/** A received message after decryption/reassembly and rule checks. */
export interface InMessage {
  readonly header: IkeHeader;
  readonly payloads: readonly Payload[];
  /** The datagram as received (IKE_SA_INIT: RealMessage for AUTH, RFC 7296 §2.15). */
  readonly raw: Buffer;
}

export interface Task {
  readonly type: TaskType;
  /** Exchange an initiator task starts. */
  readonly exchangeType: number;
  build(msg: OutMessage): TaskStatus;
  process(msg: InMessage): TaskStatus;
  /** The message went out (first datagram; for IKE_SA_INIT the RealMessage of §2.15). */
  onSent?(raw: Buffer): void;
  /** Retransmission timeouts in ms overriding RFC 7296 §2.1 backoff (DPD uses Catalyst retries). */
  readonly retransmitScheduleMs?: readonly number[];
  /** The exchange timed out or the SA went away before completion. */
  abort?(reason: string): void;
}

/** Find a notify of a given type. */
export function findNotify(
  payloads: readonly Payload[],
  type: number,
): Extract<Payload, { kind: 'notify' }> | undefined {
  for (const p of payloads) if (p.kind === 'notify' && p.notifyType === type) return p;
  return undefined;
}

/** The payloads whose `kind` union includes K (TS payloads have kind 'tsi' | 'tsr'). */
export type PayloadOfKind<K extends Payload['kind']> = Payload extends infer P
  ? P extends { readonly kind: infer PK }
    ? K extends PK
      ? P
      : never
    : never
  : never;

export function findPayload<K extends Payload['kind']>(
  payloads: readonly Payload[],
  kind: K,
): PayloadOfKind<K> | undefined {
  for (const p of payloads) if (p.kind === kind) return p as PayloadOfKind<K>;
  return undefined;
}
