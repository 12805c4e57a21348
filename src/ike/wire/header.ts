/**
 * IKE header (RFC 7296 §3.1):
 *   IKE SA Initiator's SPI(8) IKE SA Responder's SPI(8) Next Payload(1) MjVer(4 bits)|MnVer(4 bits)
 *   Exchange Type(1) Flags(1: R=0x20 V=0x10 I=0x08) Message ID(4) Length(4)
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';
import { IkeNotifyError } from '../errors.js';
import { HeaderFlag, IKE_HEADER_BYTES, NotifyType } from './constants.js';

export interface IkeHeader {
  readonly spiI: bigint;
  readonly spiR: bigint;
  readonly nextPayload: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly exchangeType: number;
  /** Raw flag bits; see {@link HeaderFlag}. */
  readonly flags: number;
  /** uint32. */
  readonly messageId: number;
  /** Total message length in bytes, header included. */
  readonly length: number;
}

/** The header fields a sender chooses; Next Payload and Length follow from the payloads. */
export type HeaderFields = Omit<
  IkeHeader,
  'nextPayload' | 'length' | 'majorVersion' | 'minorVersion'
>;

export function isInitiator(h: Pick<IkeHeader, 'flags'>): boolean {
  return (h.flags & HeaderFlag.INITIATOR) !== 0;
}

export function isResponse(h: Pick<IkeHeader, 'flags'>): boolean {
  return (h.flags & HeaderFlag.RESPONSE) !== 0;
}

export function decodeHeader(r: Reader): IkeHeader {
  const spiI = r.u64();
  const spiR = r.u64();
  const nextPayload = r.u8();
  const ver = r.u8();
  const exchangeType = r.u8();
  const flags = r.u8();
  const messageId = r.u32();
  const length = r.u32();
  const majorVersion = ver >> 4;
  // RFC 7296 §2.5: a higher major version is dropped (INVALID_MAJOR_VERSION may be sent).
  if (majorVersion !== 2) {
    throw new IkeNotifyError(
      NotifyType.INVALID_MAJOR_VERSION,
      undefined,
      `IKE major version ${majorVersion}`,
    );
  }
  return {
    spiI,
    spiR,
    nextPayload,
    majorVersion,
    minorVersion: ver & 0x0f,
    exchangeType,
    flags,
    messageId,
    length,
  };
}

export function encodeHeader(w: Writer, h: IkeHeader): void {
  w.u64(h.spiI).u64(h.spiR).u8(h.nextPayload);
  w.u8(((h.majorVersion & 0x0f) << 4) | (h.minorVersion & 0x0f));
  w.u8(h.exchangeType).u8(h.flags).u32(h.messageId).u32(h.length);
}

export function headerLength(_h: IkeHeader): number {
  return IKE_HEADER_BYTES;
}
