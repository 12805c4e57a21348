/** Vendor ID payload (RFC 7296 §3.12): opaque Vendor ID bytes. */
import type { Reader } from '../../../lib/bytes/reader.js';
import type { Writer } from '../../../lib/bytes/writer.js';

export interface VendorPayload {
  readonly kind: 'vendor';
  readonly data: Buffer;
}

export function decodeVendor(r: Reader): VendorPayload {
  return { kind: 'vendor', data: Buffer.from(r.rest()) };
}

export function encodeVendor(w: Writer, p: VendorPayload): void {
  w.bytes(p.data);
}

export function vendorLength(p: VendorPayload): number {
  return p.data.length;
}
