// MSS clamping and ICMP too-big generation on inner packets (see datapath_inner.h).
#include "datapath_inner.h"

#include <cstring>

namespace nvad {

namespace {

constexpr uint8_t kProtoTcp = 6;

inline uint16_t Word(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void PutWord(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint16_t UpdateChecksum(uint16_t hc, uint16_t oldWord, uint16_t newWord) {
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
  uint32_t sum = static_cast<uint16_t>(~hc) + static_cast<uint16_t>(~oldWord) + newWord;
  return FoldComplement(sum);
}

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

uint32_t OnesSum(const uint8_t* p, size_t len, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (i < len) sum += static_cast<uint32_t>(p[i] << 8);
  while (sum >> 32) sum = (sum & 0xffffffffu) + (sum >> 32);
  return static_cast<uint32_t>(sum);
}

uint16_t FoldComplement(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

int TcpOffset(const uint8_t* p, size_t len) {
  if (len < 20) return -1;
  const uint8_t version = p[0] >> 4;
  if (version == 4) {
    const size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl) return -1;
    if (p[9] != kProtoTcp) return -1;
    const uint16_t fragOffset = static_cast<uint16_t>((p[6] & 0x1f) << 8 | p[7]);
    return fragOffset == 0 ? static_cast<int>(ihl) : -1;
  }
  if (version != 6 || len < 40) return -1;
  uint8_t next = p[6];
  size_t off = 40;
  for (int hops = 0; hops < 8; hops++) {
    if (next == kProtoTcp) return static_cast<int>(off);
    if (off + 8 > len) return -1;
    if (next == 0 || next == 43 || next == 60) {
      const size_t ext = (static_cast<size_t>(p[off + 1]) + 1) * 8;
      next = p[off];
      off += ext;
    } else if (next == 44) {
      if ((Word(p + off + 2) >> 3) != 0) return -1;
      next = p[off];
      off += 8;
    } else {
      return -1;
    }
  }
  return -1;
}

bool ClampMss(uint8_t* p, size_t len, uint16_t maxMss) {
  const int toff = TcpOffset(p, len);
  if (toff < 0) return false;
  const size_t tcp = static_cast<size_t>(toff);
  if (tcp + 20 > len) return false;
  if ((p[tcp + 13] & 0x02) == 0) return false;  // not a SYN
  const size_t dataOffset = static_cast<size_t>(p[tcp + 12] >> 4) * 4;
  if (dataOffset < 20 || tcp + dataOffset > len) return false;
  size_t i = tcp + 20;
  const size_t end = tcp + dataOffset;
  while (i < end) {
    const uint8_t kind = p[i];
    if (kind == 0) return false;
    if (kind == 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const size_t optLen = p[i + 1];
    if (optLen < 2 || i + optLen > end) return false;
    if (kind == 2 && optLen == 4) {
      const size_t at = i + 2;
      if (Word(p + at) <= maxMss) return false;
      // The field may straddle two checksum words when options put it at an odd offset.
      const size_t first = tcp + ((at - tcp) & ~static_cast<size_t>(1));
      const size_t last = tcp + ((at + 1 - tcp) & ~static_cast<size_t>(1));
      const uint16_t oldFirst = Word(p + first);
      const uint16_t oldLast = Word(p + last);
      PutWord(p + at, maxMss);
      uint16_t csum = Word(p + tcp + 16);
      csum = UpdateChecksum(csum, oldFirst, Word(p + first));
      if (last != first) csum = UpdateChecksum(csum, oldLast, Word(p + last));
      PutWord(p + tcp + 16, csum);
      return true;
    }
    i += optLen;
  }
  return false;
}

size_t BuildTooBig(const uint8_t* p, size_t len, uint32_t mtu, const uint8_t* source4,
                   const uint8_t* source6, uint8_t* out, size_t cap) {
  if (len <= mtu || len < 20 || cap < 1280) return 0;
  const uint8_t version = p[0] >> 4;
  if (version == 4 && source4 != nullptr) {
    const size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl) return 0;
    const uint16_t flagsFrag = Word(p + 6);
    if ((flagsFrag & 0x4000) == 0) return 0;  // no DF: may be fragmented
    if ((flagsFrag & 0x1fff) != 0) return 0;  // non-first fragment
    const uint8_t* src = p + 12;
    if (AllZero(src, 4) || src[0] >= 224) return 0;
    if (p[9] == 1 && len > ihl) {
      const uint8_t t = p[ihl];
      if (t == 3 || t == 4 || t == 5 || t == 11 || t == 12) return 0;  // ICMP error
    }
    const size_t quoted = len < 576 - 28 ? len : 576 - 28;
    const size_t total = 28 + quoted;
    std::memset(out, 0, 28);
    out[0] = 0x45;
    PutWord(out + 2, static_cast<uint16_t>(total));
    out[8] = 64;
    out[9] = 1;
    std::memcpy(out + 12, source4, 4);
    std::memcpy(out + 16, src, 4);
    PutWord(out + 10, FoldComplement(OnesSum(out, 20, 0)));
    out[20] = 3;
    out[21] = 4;
    PutWord(out + 26, static_cast<uint16_t>(mtu > 0xffff ? 0xffff : mtu));
    std::memcpy(out + 28, p, quoted);
    PutWord(out + 22, FoldComplement(OnesSum(out + 20, total - 20, 0)));
    return total;
  }
  if (version == 6 && source6 != nullptr && len >= 40) {
    const uint8_t* src = p + 8;
    if (AllZero(src, 16) || src[0] == 0xff) return 0;
    if (p[6] == 58 && len > 40 && p[40] < 128) return 0;  // RFC 4443 §2.4 (e.1)
    const size_t quoted = len < 1280 - 48 ? len : 1280 - 48;
    const size_t icmpLen = 8 + quoted;
    std::memset(out, 0, 48);
    out[0] = 0x60;
    PutWord(out + 4, static_cast<uint16_t>(icmpLen));
    out[6] = 58;
    out[7] = 64;
    std::memcpy(out + 8, source6, 16);
    std::memcpy(out + 24, src, 16);
    out[40] = 2;
    out[44] = static_cast<uint8_t>(mtu >> 24);
    out[45] = static_cast<uint8_t>(mtu >> 16);
    out[46] = static_cast<uint8_t>(mtu >> 8);
    out[47] = static_cast<uint8_t>(mtu);
    std::memcpy(out + 48, p, quoted);
    // RFC 8200 §8.1 pseudo-header: addresses, upper-layer length, next header.
    uint32_t pseudo = OnesSum(out + 8, 32, 0);
    pseudo += static_cast<uint32_t>(icmpLen >> 16) + static_cast<uint32_t>(icmpLen & 0xffff) + 58;
    PutWord(out + 42, FoldComplement(OnesSum(out + 40, icmpLen, pseudo)));
    return 40 + icmpLen;
  }
  return 0;
}

}  // namespace nvad
