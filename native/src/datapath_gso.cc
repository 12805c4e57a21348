// GSO splitting of TUN reads (see datapath_gso.h). virtio_net_hdr fields are little-endian
// (host order on x86/arm64 without TUNSETVNETBE).
#include "datapath_gso.h"

#include <cstring>

#include "datapath_inner.h"

namespace nvad {

namespace {

constexpr uint8_t kNeedsCsum = 1;
constexpr uint8_t kGsoNone = 0;
constexpr uint8_t kGsoTcp4 = 1;
constexpr uint8_t kGsoTcp6 = 4;
constexpr uint8_t kGsoUdpL4 = 5;
constexpr uint8_t kGsoEcn = 0x80;
constexpr size_t kVnet = 10;

inline uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Pseudo-header sum (RFC 793 / RFC 8200 §8.1) for the packet's addresses.
uint32_t PseudoSum(const uint8_t* ip, uint8_t proto, size_t l4Len) {
  uint32_t sum;
  if ((ip[0] >> 4) == 4) {
    sum = OnesSum(ip + 12, 8, 0);
  } else {
    sum = OnesSum(ip + 8, 32, 0);
  }
  return sum + proto + static_cast<uint32_t>(l4Len >> 16) + static_cast<uint32_t>(l4Len & 0xffff);
}

void FixIp(uint8_t* ip, size_t total, uint16_t idDelta) {
  if ((ip[0] >> 4) == 4) {
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
    PutBe16(ip + 2, static_cast<uint16_t>(total));
    PutBe16(ip + 4, static_cast<uint16_t>(Be16(ip + 4) + idDelta));
    ip[10] = 0;
    ip[11] = 0;
    PutBe16(ip + 10, FoldComplement(OnesSum(ip, ihl, 0)));
  } else {
    PutBe16(ip + 4, static_cast<uint16_t>(total - 40));
  }
}

}  // namespace

int GsoSplit(const uint8_t* buf, size_t n, uint8_t* slots, size_t slotSize, size_t headroom,
             int first, int maxSlots, size_t* lens) {
  if (n <= kVnet || first >= maxSlots) return 0;
  const uint8_t flags = buf[0];
  const uint8_t gsoType = static_cast<uint8_t>(buf[1] & ~kGsoEcn);
  const size_t gsoSize = Le16(buf + 4);
  const size_t csumStart = Le16(buf + 6);
  const size_t csumOffset = Le16(buf + 8);
  const uint8_t* pkt = buf + kVnet;
  const size_t len = n - kVnet;
  const size_t room = slotSize - headroom - 64;
  if (gsoType == kGsoNone || gsoSize == 0) {
    if (len > room) return 0;
    uint8_t* out = slots + static_cast<size_t>(first) * slotSize + headroom;
    std::memcpy(out, pkt, len);
    if ((flags & kNeedsCsum) != 0 && csumStart + csumOffset + 2 <= len) {
      // The field holds the pseudo-header sum; complete it over the transport segment.
      uint16_t c = FoldComplement(OnesSum(out + csumStart, len - csumStart, 0));
      if (c == 0 && ((out[0] >> 4) == 4 ? out[9] : out[6]) == 17) c = 0xffff;  // UDP: 0 means none
      PutBe16(out + csumStart + csumOffset, c);
    }
    lens[first] = len;
    return 1;
  }
  if (len < 20 || csumStart >= len) return 0;
  const bool tcp = gsoType == kGsoTcp4 || gsoType == kGsoTcp6;
  if (!tcp && gsoType != kGsoUdpL4) return 0;
  const size_t l4 = csumStart;
  size_t hdrLen;
  if (tcp) {
    if (l4 + 20 > len) return 0;
    hdrLen = l4 + static_cast<size_t>(pkt[l4 + 12] >> 4) * 4;
  } else {
    hdrLen = l4 + 8;
  }
  if (hdrLen > len || hdrLen + gsoSize > room) return 0;
  const uint8_t proto = tcp ? 6 : 17;
  uint32_t seq = 0;
  if (tcp) {
    seq = static_cast<uint32_t>(pkt[l4 + 4]) << 24 | static_cast<uint32_t>(pkt[l4 + 5]) << 16 |
          static_cast<uint32_t>(pkt[l4 + 6]) << 8 | pkt[l4 + 7];
  }
  int count = 0;
  size_t off = hdrLen;
  for (int slot = first; off < len && slot < maxSlots; slot++, count++) {
    const size_t seg = len - off < gsoSize ? len - off : gsoSize;
    const bool last = off + seg >= len;
    uint8_t* out = slots + static_cast<size_t>(slot) * slotSize + headroom;
    std::memcpy(out, pkt, hdrLen);
    std::memcpy(out + hdrLen, pkt + off, seg);
    const size_t total = hdrLen + seg;
    FixIp(out, total, static_cast<uint16_t>(count));
    uint8_t* h = out + l4;
    const size_t l4Len = total - l4;
    if (tcp) {
      const uint32_t s = seq + static_cast<uint32_t>(off - hdrLen);
      h[4] = static_cast<uint8_t>(s >> 24);
      h[5] = static_cast<uint8_t>(s >> 16);
      h[6] = static_cast<uint8_t>(s >> 8);
      h[7] = static_cast<uint8_t>(s);
      if (!last) h[13] &= static_cast<uint8_t>(~0x09);  // FIN, PSH only on the last segment
      if (count != 0) h[13] &= static_cast<uint8_t>(~0x80);  // CWR only on the first
      h[16] = 0;
      h[17] = 0;
      PutBe16(h + 16, FoldComplement(OnesSum(h, l4Len, PseudoSum(out, proto, l4Len))));
    } else {
      PutBe16(h + 4, static_cast<uint16_t>(l4Len));
      h[6] = 0;
      h[7] = 0;
      uint16_t c = FoldComplement(OnesSum(h, l4Len, PseudoSum(out, proto, l4Len)));
      PutBe16(h + 6, c == 0 ? 0xffff : c);
    }
    lens[slot] = total;
    off += seg;
  }
  return count;
}

}  // namespace nvad
