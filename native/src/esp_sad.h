// Inbound SA database: SPI -> (SA, tunnel index). Written by JS (install/delete), read by the RX
// threads; the mutex is held only for the lookup, the SA itself is kept alive by shared_ptr.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "esp_sa.h"

namespace nvad {

// Global (not per-SA) counter slots of a SAD / datapath, uint64 each.
enum GlobalCounterSlot : uint32_t {
  kGlobalRxPackets = 0,   // datagrams received on the UDP sockets
  kGlobalIkePackets = 1,  // non-ESP-marker packets handed to JS
  kGlobalKeepalives = 2,  // NAT-T keepalives absorbed (RFC 3948 §2.3)
  kGlobalTxPackets = 3,   // ESP packets sent
  kGlobalTunRead = 4,     // packets read from TUN devices
  kGlobalTunWrite = 5,    // packets written to TUN devices
  kGlobalMssClamped = 6,  // SYNs whose MSS was lowered
  kGlobalTooBig = 7,      // ICMP too-big answers generated
  kGlobalIoErrors = 8,    // failed send/write syscalls
  kGlobalDropBase = 16,   // + EspDrop: drops outside any SA (unknown SPI, truncated...)
  kGlobalCounterSlots = kGlobalDropBase + kDropCount,
};

class EspSad {
 public:
  struct Entry {
    std::shared_ptr<EspSa> sa;
    int tunnel = -1;
  };
  void Add(std::shared_ptr<EspSa> sa, int tunnel) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint32_t spi = sa->spi();
    map_[spi] = Entry{std::move(sa), tunnel};
  }
  bool Remove(uint32_t spi) {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.erase(spi) != 0;
  }
  bool Find(uint32_t spi, Entry* out) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(spi);
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }
  uint64_t* counters() { return counters_; }
  void CountDrop(uint8_t reason) { counters_[kGlobalDropBase + reason]++; }

 private:
  std::mutex mu_;
  std::unordered_map<uint32_t, Entry> map_;
  alignas(64) uint64_t counters_[kGlobalCounterSlots] = {};
};

}  // namespace nvad
