/**
 * Stateless cookies (RFC 7296 §2.6): above the half-open threshold an IKE_SA_INIT request is
 * answered with a COOKIE notify, and only a request that echoes it creates state.
 * Cookie = VersionIDofSecret | Hash(Ni | IPi | SPIi | <secret>).
 */
import { createHash } from 'node:crypto';
import type { Endpoint } from './ports.js';
import { ExchangeType, HeaderFlag, NotifyType } from './wire/constants.js';
import { encodeMessage, type DecodedMessage } from './wire/message.js';
import { notify } from './wire/payloads/index.js';

export class CookieJar {
  private readonly secret: Buffer;

  constructor(secret: Buffer) {
    this.secret = secret;
  }

  /** The cookie this request's initiator must send back. */
  cookieFor(msg: DecodedMessage, remote: Endpoint): Buffer {
    const ni = msg.payloads.find((p) => p.kind === 'nonce');
    const spi = Buffer.alloc(8);
    spi.writeBigUInt64BE(msg.header.spiI);
    const hash = createHash('sha256')
      .update(ni?.kind === 'nonce' ? ni.nonce : Buffer.alloc(0))
      .update(remote.address)
      .update(spi)
      .update(this.secret)
      .digest();
    return Buffer.concat([Buffer.of(0, 0, 0, 1), hash.subarray(0, 16)]);
  }

  /** Does the request start with the right COOKIE notify? */
  check(msg: DecodedMessage, remote: Endpoint): boolean {
    const c = msg.payloads[0];
    return (
      c?.kind === 'notify' &&
      c.notifyType === NotifyType.COOKIE &&
      c.data.equals(this.cookieFor(msg, remote))
    );
  }

  /** The IKE_SA_INIT response carrying only the COOKIE notify. */
  response(msg: DecodedMessage, remote: Endpoint): Buffer {
    return encodeMessage(
      {
        spiI: msg.header.spiI,
        spiR: 0n,
        exchangeType: ExchangeType.IKE_SA_INIT,
        flags: HeaderFlag.RESPONSE,
        messageId: 0,
      },
      [notify(NotifyType.COOKIE, this.cookieFor(msg, remote))],
    );
  }
}
