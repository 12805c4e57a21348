// Splitting of TUN super-packets (IFF_VNET_HDR + TUNSETOFFLOAD TSO4/TSO6/USO): one read yields a
// virtio_net_hdr and up to 64 KB of TCP or UDP payload, which is cut into MSS-sized packets here,
// each with its own IP/TCP/UDP header and checksums (the wireguard-go gsoSplit technique).
#pragma once
#include <cstddef>
#include <cstdint>

namespace nvad {

// Most slots one burst may use (a super-packet can yield more than the burst size).
constexpr int kMaxSlots = 192;

// buf: virtio_net_hdr (10 bytes) + packet, n bytes in all. Writes packets to
// slots + i*slotSize + headroom for i = first.. and their lengths to lens[i]. Returns how many
// packets were written (0 on malformed input or when nothing fits before maxSlots).
int GsoSplit(const uint8_t* buf, size_t n, uint8_t* slots, size_t slotSize, size_t headroom,
             int first, int maxSlots, size_t* lens);

}  // namespace nvad
