// One direction of an ESP SA (RFC 4303, tunnel mode) on pre-keyed OpenSSL contexts.
// seal()/open() never allocate: per packet only the IV/nonce is set on the keyed context.
// Thread model: one thread seals on an outbound SA, one thread opens on an inbound SA; the counter
// block is written by that thread and read by JS without locks (aligned 64-bit stores).
#pragma once
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "esp_drop.h"

namespace nvad {

enum class EspCipher : uint8_t { kAesGcm, kAesCbc };
enum class EspInteg : uint8_t { kNone, kSha1, kSha256, kSha384, kSha512 };

struct EspSaConfig {
  uint32_t spi = 0;
  bool inbound = false;
  EspCipher cipher = EspCipher::kAesGcm;
  std::vector<uint8_t> encKey;   // GCM: key || 4-byte salt (RFC 4106 §8.1)
  EspInteg integ = EspInteg::kNone;
  std::vector<uint8_t> integKey;
  bool esn = false;
  uint32_t replayWindow = 1024;  // inbound; 0 disables the check
  uint64_t nextSeq = 1;          // outbound: first sequence number to use (tests start near limits)
  uint64_t replayTop = 0;        // inbound: highest sequence number already seen (tests, vectors)
};

class EspSa {
 public:
  // Returns nullptr and sets `error` on bad parameters (message never contains key bytes).
  static EspSa* Create(const EspSaConfig& cfg, std::string* error);
  ~EspSa();
  EspSa(const EspSa&) = delete;
  EspSa& operator=(const EspSa&) = delete;

  uint32_t spi() const { return spi_; }
  bool inbound() const { return inbound_; }
  // Bytes seal() adds around an inner packet of `len` bytes (header, IV, padding, trailer, ICV).
  size_t SealOverhead(size_t len) const;
  size_t HeaderBytes() const { return 8 + ivBytes_; }

  // Encapsulate `in` (inner IP packet, `len` bytes) into `out`. `in` may alias out + HeaderBytes().
  // `iv` (ivBytes_) overrides the generated IV (vectors only); `nextHeader` 0 = from IP version.
  // Sets *outLen; returns kDropNone or a drop reason.
  uint8_t Seal(const uint8_t* in, size_t len, uint8_t nextHeader, uint8_t* out, size_t outCap,
               size_t* outLen, const uint8_t* iv) {
    const uint8_t r = SealRaw(in, len, nextHeader, out, outCap, outLen, iv);
    if (r != kDropNone) counters_[kSlotDropBase + r]++;
    return r;
  }
  // Decapsulate ESP packet `in`; the inner packet goes to `out` (may equal in + HeaderBytes()).
  // Sets *outLen and *nextHeader. Replay state is updated only after the ICV verifies.
  uint8_t Open(const uint8_t* in, size_t len, uint8_t* out, size_t outCap, size_t* outLen,
               uint8_t* nextHeader) {
    const uint8_t r = OpenRaw(in, len, out, outCap, outLen, nextHeader);
    if (r != kDropNone) counters_[kSlotDropBase + r]++;
    return r;
  }

  // Counters the caller batches (one clock read per batch).
  void Touch(uint64_t nowMs) { counters_[kSlotLastUsedMs] = nowMs; }
  // The counter block JS maps as a BigUint64Array (external ArrayBuffer that keeps the SA alive).
  uint64_t* counters() { return counters_; }

 private:
  EspSa() = default;
  uint8_t SealRaw(const uint8_t* in, size_t len, uint8_t nextHeader, uint8_t* out, size_t outCap,
                  size_t* outLen, const uint8_t* iv);
  uint8_t OpenRaw(const uint8_t* in, size_t len, uint8_t* out, size_t outCap, size_t* outLen,
                  uint8_t* nextHeader);
  bool ReplayCheck(uint64_t seq) const;
  void ReplayUpdate(uint64_t seq);
  bool InferSeq(uint32_t seqLow, uint64_t* seq) const;
  bool Mac(const uint8_t* data, size_t len, uint32_t seqHigh, uint8_t* icv);
  void NextCbcIv(uint64_t seq, uint8_t* iv);

  uint32_t spi_ = 0;
  bool inbound_ = false;
  EspCipher cipher_ = EspCipher::kAesGcm;
  bool esn_ = false;
  size_t ivBytes_ = 8;
  size_t icvBytes_ = 16;
  size_t blockAlign_ = 4;
  uint8_t salt_[4] = {0, 0, 0, 0};
  EVP_CIPHER_CTX* ctx_ = nullptr;    // pre-keyed, direction-specific
  EVP_CIPHER_CTX* ivCtx_ = nullptr;  // CBC outbound: AES-ECB under a random IV key
  EVP_MAC_CTX* mac_ = nullptr;       // pre-keyed HMAC, re-initialised per packet
  alignas(64) uint64_t counters_[kSaCounterSlots] = {};

  // Outbound sequence state.
  uint64_t nextSeq_ = 1;
  uint64_t seqLimit_ = 0xffffffffull;
  uint64_t seqSoft_ = 0;

  // Inbound: RFC 6479 ring of 64-bit blocks, top = highest authenticated sequence number.
  uint32_t window_ = 0;
  uint64_t top_ = 0;
  std::vector<uint64_t> ring_;
  uint64_t ringMask_ = 0;  // number of blocks - 1 (power of two)
};

}  // namespace nvad
