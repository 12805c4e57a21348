/**
 * Pre-shared key authentication (RFC 7296 §2.15):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI,
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)     (ID type, RESERVED, data)
 *   (responder: RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload))
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 */
import { timingSafeEqual } from 'node:crypto';
import { prf } from './prf.js';
import type { PrfName } from './transforms.js';

/** The 17 ASCII characters without a terminating NUL. */
export const KEY_PAD_FOR_IKEV2 = Buffer.from('Key Pad for IKEv2', 'ascii');

/** RealMessage | peer's Nonce Data | prf(SK_p, ID payload body). */
export function signedOctets(
  prfName: PrfName,
  realMessage: Buffer,
  peerNonce: Buffer,
  skP: Buffer,
  idPayloadBody: Buffer,
): Buffer {
  return Buffer.concat([realMessage, peerNonce, prf(prfName, skP, idPayloadBody)]);
}

export function pskAuthData(prfName: PrfName, psk: Buffer, octets: Buffer): Buffer {
  return prf(prfName, prf(prfName, psk, KEY_PAD_FOR_IKEV2), octets);
}

/** Constant-time comparison of received AUTH data with the expected value. */
export function verifyPskAuth(
  prfName: PrfName,
  psk: Buffer,
  octets: Buffer,
  received: Buffer,
): boolean {
  const expected = pskAuthData(prfName, psk, octets);
  return received.length === expected.length && timingSafeEqual(received, expected);
}
