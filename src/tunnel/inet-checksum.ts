/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624 eqn. 3), over Buffers.
 * Sums are kept unfolded (32-bit accumulators) so pieces (pseudo-header, header, payload) add up.
 */

/** One's-complement sum of 16-bit big-endian words of buf[start, end), plus `initial`. */
export function onesSum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (i < end) sum += (buf[i] ?? 0) << 8; // odd length: pad with a zero byte
  return sum;
}

/** Fold a 32-bit accumulator into 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Checksum field value for buf[start, end) plus an initial (pseudo-header) sum. */
export function inetChecksum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  return ~foldSum(onesSum(buf, start, end, initial)) & 0xffff;
}

/** Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 793 / RFC 8200 §8.1); addresses 4 or 16 bytes. */
export function pseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  upperLength: number,
): number {
  let sum = onesSum(src, 0, src.length) + onesSum(dst, 0, dst.length);
  sum += protocol;
  sum += (upperLength >>> 16) + (upperLength & 0xffff);
  return sum;
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'. */
export function updateChecksum(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}
