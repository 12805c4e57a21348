/**
 * RFC 4271 §4.4 KEEPALIVE: a header only (length 19, checked by the header decoder).
 */
import type { Reader } from '../../lib/bytes/reader.js';
import type { Writer } from '../../lib/bytes/writer.js';

export type KeepaliveMessage = Readonly<Record<string, never>>;

/** The body is empty; the header check already required length 19. */
export function decodeKeepalive(_r: Reader): KeepaliveMessage {
  return {};
}

export function encodeKeepalive(_w: Writer, _m: KeepaliveMessage): void {
  // No body.
}

export function keepaliveLength(_m: KeepaliveMessage): number {
  return 0;
}
