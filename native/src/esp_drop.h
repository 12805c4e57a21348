// ESP drop reasons and counter-block layout shared with TypeScript (src/esp/native-esp.ts).
// Mirrors src/esp/drop-reason.ts (DROP_REASON): never renumber, only append.
#pragma once
#include <cstdint>

namespace nvad {

// Outcome of one packet through seal/open. 0 = delivered.
enum EspDrop : uint8_t {
  kDropNone = 0,
  kDropTruncated = 1,       // too short, or ciphertext not a multiple of the alignment
  kDropUnknownSpi = 2,      // no inbound SA with this SPI
  kDropReplay = 3,          // sequence number already seen (RFC 4303 §3.4.3)
  kDropReplayStale = 4,     // left of the anti-replay window, or sequence number 0
  kDropIcv = 5,             // ICV (GCM tag / HMAC) did not verify
  kDropBadPadding = 6,      // pad length too big or pad bytes not 1,2,3... (RFC 4303 §2.4)
  kDropBadNextHeader = 7,   // next header not IPv4 (4) / IPv6 (41)
  kDropDummy = 8,           // next header 59: dummy packet (RFC 4303 §2.6), discarded silently
  kDropSeqOverflow = 9,     // outbound sequence space used up (RFC 4303 §3.3.3: no wrap)
  kDropNoSa = 10,           // tunnel has no outbound SA
  kDropNotIp = 11,          // inner packet neither IPv4 nor IPv6
  kDropMalformed = 12,      // datagram malformed before ESP (e.g. short NAT-T)
  // Produced only by the native path (also listed in src/esp/drop-reason.ts):
  kDropNoBuffer = 13,       // output capacity too small
  kDropCrypto = 14,         // the cipher library refused (should not happen)
  kDropCount = 16,
};

// Per-SA counter block: kSaCounterSlots little-endian uint64 in a JS ArrayBuffer.
enum SaCounterSlot : uint32_t {
  kSlotPackets = 0,        // packets sealed / opened successfully
  kSlotBytes = 1,          // inner (plaintext) bytes of those packets
  kSlotSeq = 2,            // outbound: last sequence number used; inbound: highest authenticated
  kSlotLastUsedMs = 3,     // CLOCK_MONOTONIC ms of the last good packet, 0 = never
  kSlotFlags = 4,          // bit 0: soft sequence limit reached, bit 1: hard limit reached
  kSlotDropBase = 8,       // kSlotDropBase + EspDrop: drops by reason
  kSaCounterSlots = kSlotDropBase + kDropCount,
};

constexpr uint64_t kFlagSeqSoft = 1;  // src/esp/sequence.ts: soft at limit + 1 - 2^16
constexpr uint64_t kFlagSeqHard = 2;

}  // namespace nvad
