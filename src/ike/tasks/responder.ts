/** Passive task selection for an incoming request (strongSwan task_manager_v2 process_request). */
import { IkeNotifyError } from '../errors.js';
import type { IkeSa } from '../sa/ike-sa.js';
import { ExchangeType, NotifyType, ProtocolId } from '../wire/constants.js';
import { ChildCreateResponder } from './child-create.js';
import { ChildRekeyResponder } from './child-rekey.js';
import { IkeAuthResponder } from './ike-auth.js';
import { IkeInitResponder } from './ike-init.js';
import { IkeRekeyResponder } from './ike-rekey.js';
import { InformationalResponder } from './informational.js';
import { findNotify, findPayload, type InMessage, type Task } from './task.js';

export function responderTask(sa: IkeSa, msg: InMessage): Task {
  const established = sa.state === 'established' || sa.state === 'rekeying';
  switch (msg.header.exchangeType) {
    case ExchangeType.IKE_SA_INIT:
      if (sa.state !== 'created') break;
      return new IkeInitResponder(sa);
    case ExchangeType.IKE_AUTH:
      if (sa.state !== 'connecting' || sa.keys === null) break;
      return new IkeAuthResponder(sa);
    case ExchangeType.CREATE_CHILD_SA: {
      if (!established) break;
      if (findNotify(msg.payloads, NotifyType.REKEY_SA)) return new ChildRekeyResponder(sa);
      const saP = findPayload(msg.payloads, 'sa');
      if (saP?.proposals[0]?.protocolId === ProtocolId.IKE) {
        return new IkeRekeyResponder(sa);
      }
      return new ChildCreateResponder(sa);
    }
    case ExchangeType.INFORMATIONAL:
      if (sa.keys === null) break;
      return new InformationalResponder(sa);
    default:
      break;
  }
  throw new IkeNotifyError(
    NotifyType.INVALID_SYNTAX,
    undefined,
    `unexpected exchange ${msg.header.exchangeType} in state ${sa.state}`,
  );
}
