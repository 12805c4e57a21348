/**
 * Why the data plane dropped a packet. The numeric codes are shared with the native fast path
 * (native/src/esp*.cc): both sides count drops in an array indexed by these codes, so a code is
 * never reused or renumbered. Order of checks on receive (both implementations): length →
 * SPI → replay (with the ESN-inferred seq-high) → ICV → padding → dummy (59) → next header.
 */
export const DROP_REASON = {
  /** Shorter than the ESP header, IV, minimal trailer and ICV; or (CBC) not block-aligned. */
  truncated: 1,
  /** No inbound SA with this SPI. */
  'unknown-spi': 2,
  /** Sequence number already received inside the window (RFC 4303 §3.4.3). */
  replay: 3,
  /** Sequence number left of the window (too old), or the invalid value 0. */
  'replay-stale': 4,
  /** Integrity check failed (HMAC mismatch or GCM tag). */
  icv: 5,
  /** Pad Length past the payload, or padding bytes not 1, 2, 3, … (RFC 4303 §2.4). */
  padding: 6,
  /** Next header not 4 (IPv4) or 41 (IPv6): we only do tunnel mode. */
  'next-header': 7,
  /** Next header 59: a dummy packet (RFC 4303 §2.6), dropped silently and counted. */
  dummy: 8,
  /** Outbound sequence number would pass 2^32 - 1 (2^64 - 1 with ESN): rekey first. */
  'seq-overflow': 9,
  /** Outbound: the tunnel has no outbound SA (interface down). */
  'no-sa': 10,
  /** Outbound: the inner packet is not IPv4 or IPv6. */
  'not-ip': 11,
  /** Inbound datagram shorter than a NAT-T header or otherwise malformed before ESP. */
  malformed: 12,
  /** Native path: the output buffer had no room for the packet. */
  'no-buffer': 13,
  /** Native path: the cipher library refused an operation (should not happen). */
  crypto: 14,
} as const;

export type DropReason = keyof typeof DROP_REASON;
export type DropCode = (typeof DROP_REASON)[DropReason];

/**
 * Size for a counter array indexed by drop code (index 0 is unused; 15 is free for a new reason).
 * Codes 13 and 14 are produced only by the native path.
 */
export const DROP_CODE_COUNT = 16;

const BY_CODE = new Map<number, DropReason>(
  (Object.keys(DROP_REASON) as DropReason[]).map((name) => [DROP_REASON[name], name]),
);

/** Name of a drop code; unknown codes render as `DROP_<n>`. */
export function dropReasonName(code: number): string {
  return BY_CODE.get(code) ?? `DROP_${code}`;
}

export function isDropReason(v: unknown): v is DropReason {
  return typeof v === 'string' && Object.hasOwn(DROP_REASON, v);
}
