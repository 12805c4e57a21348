/**
 * Notify payload (RFC 7296 §3.10):
 *   Protocol ID(1) SPI Size(1) Notify Message Type(2) SPI(var) Notification Data(var)
 */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface NotifyPayload {
  readonly kind: 'notify';
  /** 0 when the notify is not about a specific SA. */
  readonly protocolId: number;
  readonly notifyType: number;
  readonly spi: Buffer;
  readonly data: Buffer;
}

export function notify(notifyType: number, data: Buffer = Buffer.alloc(0)): NotifyPayload {
  return { kind: 'notify', protocolId: 0, notifyType, spi: Buffer.alloc(0), data };
}

export function decodeNotify(r: Reader): NotifyPayload {
  const protocolId = r.u8();
  const spiSize = r.u8();
  const notifyType = r.u16();
  const spi = Buffer.from(r.bytes(spiSize));
  return { kind: 'notify', protocolId, notifyType, spi, data: Buffer.from(r.rest()) };
}

export function encodeNotify(w: Writer, p: NotifyPayload): void {
  w.u8(p.protocolId).u8(p.spi.length).u16(p.notifyType).bytes(p.spi).bytes(p.data);
}

export function notifyLength(p: NotifyPayload): number {
  return 4 + p.spi.length + p.data.length;
}
