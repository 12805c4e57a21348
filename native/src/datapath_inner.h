// Inner-packet processing in the data path, byte-for-byte the same as the TypeScript references
// src/tunnel/mss-clamp.ts and src/tunnel/icmp-too-big.ts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nvad {

// Offset of the TCP header in an IPv4/IPv6 packet, or -1 when it is not a (first) TCP segment.
int TcpOffset(const uint8_t* p, size_t len);

// Clamp the MSS option of a SYN / SYN-ACK to maxMss (RFC 9293 §3.7.1), fixing the TCP checksum
// incrementally (RFC 1624). Returns true when the packet changed.
bool ClampMss(uint8_t* p, size_t len, uint16_t maxMss);

// ICMP "fragmentation needed" (RFC 792/1191) or ICMPv6 Packet Too Big (RFC 4443 §3.2) answering
// packet p (longer than mtu), from `source` (4 bytes for IPv4, 16 for IPv6, null when none).
// Writes into out (capacity >= 1280) and returns its length, or 0 when no error must be sent.
size_t BuildTooBig(const uint8_t* p, size_t len, uint32_t mtu, const uint8_t* source4,
                   const uint8_t* source6, uint8_t* out, size_t cap);

// Internet checksum helpers (RFC 1071).
uint32_t OnesSum(const uint8_t* p, size_t len, uint32_t initial);
uint16_t FoldComplement(uint32_t sum);

}  // namespace nvad
