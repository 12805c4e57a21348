/**
 * NAT detection (RFC 7296 §2.23): the data of NAT_DETECTION_SOURCE_IP / _DESTINATION_IP is
 *   SHA1(SPIi | SPIr | IP | Port)
 * with the SPIs as in the IKE header (SPIr zero in the IKE_SA_INIT request), the address in
 * network order (4 or 16 bytes) and the port as 2 bytes.
 */
import { createHash } from 'node:crypto';

export function natDetectionHash(
  spiI: bigint,
  spiR: bigint,
  address: Uint8Array,
  port: number,
): Buffer {
  const b = Buffer.alloc(16 + address.length + 2);
  b.writeBigUInt64BE(BigInt.asUintN(64, spiI), 0);
  b.writeBigUInt64BE(BigInt.asUintN(64, spiR), 8);
  b.set(address, 16);
  b.writeUInt16BE(port & 0xffff, 16 + address.length);
  return createHash('sha1').update(b).digest();
}
