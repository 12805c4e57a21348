// ESP SA: seal/open of tunnel-mode ESP (RFC 4303) with AES-GCM (RFC 4106) or AES-CBC (RFC 3602)
// + HMAC-SHA1-96 / SHA2 (RFC 2404, RFC 4868), ESN (RFC 4303 §2.2.1, Appendix A) and an RFC 6479
// anti-replay ring.
//
//   0               4               8
//   | SPI           | Seq (low 32)  | IV (GCM 8 / CBC 16) | payload | pad 1,2,3.. | padlen | NH | ICV |
//   |<------------- authenticated (CBC+HMAC; GCM: SPI/seq are AAD) ------------------------->|
#include "esp_sa.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>

namespace nvad {

namespace {

inline void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline uint32_t GetBe32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

EVP_MAC* HmacAlgorithm() {
  static std::once_flag once;
  static EVP_MAC* mac = nullptr;
  std::call_once(once, [] { mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr); });
  return mac;
}

const EVP_CIPHER* GcmCipher(size_t keyBytes) {
  switch (keyBytes) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
  }
}
const EVP_CIPHER* CbcCipher(size_t keyBytes) {
  switch (keyBytes) {
    case 16: return EVP_aes_128_cbc();
    case 24: return EVP_aes_192_cbc();
    case 32: return EVP_aes_256_cbc();
    default: return nullptr;
  }
}

struct IntegInfo {
  const char* digest;
  size_t keyBytes;
  size_t icvBytes;
};
bool IntegFor(EspInteg integ, IntegInfo* info) {
  switch (integ) {
    case EspInteg::kSha1: *info = {"SHA1", 20, 12}; return true;
    case EspInteg::kSha256: *info = {"SHA256", 32, 16}; return true;
    case EspInteg::kSha384: *info = {"SHA384", 48, 24}; return true;
    case EspInteg::kSha512: *info = {"SHA512", 64, 32}; return true;
    case EspInteg::kNone: return false;
  }
  return false;
}

}  // namespace

EspSa* EspSa::Create(const EspSaConfig& cfg, std::string* error) {
  EspSa* sa = new EspSa();
  sa->spi_ = cfg.spi;
  sa->inbound_ = cfg.inbound;
  sa->cipher_ = cfg.cipher;
  sa->esn_ = cfg.esn;
  sa->nextSeq_ = cfg.nextSeq == 0 ? 1 : cfg.nextSeq;
  sa->seqLimit_ = cfg.esn ? ~0ull : 0xffffffffull;
  sa->seqSoft_ = sa->seqLimit_ - 0xffffull;  // limit + 1 - 2^16 (src/esp/sequence.ts)
  auto fail = [&](const char* msg) -> EspSa* {
    *error = msg;
    delete sa;
    return nullptr;
  };
  const bool enc = !cfg.inbound;
  sa->ctx_ = EVP_CIPHER_CTX_new();
  if (sa->ctx_ == nullptr) return fail("out of memory");
  if (cfg.cipher == EspCipher::kAesGcm) {
    if (cfg.encKey.size() < 4) return fail("GCM key material must be key || 4-byte salt");
    const size_t keyBytes = cfg.encKey.size() - 4;
    const EVP_CIPHER* c = GcmCipher(keyBytes);
    if (c == nullptr) return fail("GCM key must be 16, 24 or 32 bytes plus a 4-byte salt");
    if (cfg.integ != EspInteg::kNone) return fail("GCM takes no integrity algorithm");
    std::memcpy(sa->salt_, cfg.encKey.data() + keyBytes, 4);
    sa->ivBytes_ = 8;
    sa->icvBytes_ = 16;
    sa->blockAlign_ = 4;
    if (EVP_CipherInit_ex(sa->ctx_, c, nullptr, cfg.encKey.data(), nullptr, enc ? 1 : 0) != 1) {
      return fail("cipher init failed");
    }
  } else {
    const EVP_CIPHER* c = CbcCipher(cfg.encKey.size());
    if (c == nullptr) return fail("CBC key must be 16, 24 or 32 bytes");
    IntegInfo info{};
    if (!IntegFor(cfg.integ, &info)) return fail("CBC needs an integrity algorithm");
    if (cfg.integKey.size() != info.keyBytes) return fail("integrity key has the wrong length");
    sa->ivBytes_ = 16;
    sa->icvBytes_ = info.icvBytes;
    sa->blockAlign_ = 16;
    if (EVP_CipherInit_ex(sa->ctx_, c, nullptr, cfg.encKey.data(), nullptr, enc ? 1 : 0) != 1) {
      return fail("cipher init failed");
    }
    EVP_CIPHER_CTX_set_padding(sa->ctx_, 0);
    EVP_MAC* hmac = HmacAlgorithm();
    if (hmac == nullptr) return fail("HMAC unavailable");
    sa->mac_ = EVP_MAC_CTX_new(hmac);
    if (sa->mac_ == nullptr) return fail("out of memory");
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(info.digest), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(sa->mac_, cfg.integKey.data(), cfg.integKey.size(), params) != 1) {
      return fail("HMAC init failed");
    }
    if (enc) {
      // IVs are AES-ECB(ivKey, seq): unpredictable without a per-packet RNG call.
      uint8_t ivKey[16];
      if (RAND_bytes(ivKey, sizeof ivKey) != 1) return fail("RNG failed");
      sa->ivCtx_ = EVP_CIPHER_CTX_new();
      const bool ok = sa->ivCtx_ != nullptr &&
                      EVP_EncryptInit_ex(sa->ivCtx_, EVP_aes_128_ecb(), nullptr, ivKey, nullptr) == 1;
      OPENSSL_cleanse(ivKey, sizeof ivKey);
      if (!ok) return fail("IV generator init failed");
      EVP_CIPHER_CTX_set_padding(sa->ivCtx_, 0);
    }
  }
  if (cfg.inbound) {
    // Window rounded up to a multiple of 32 (src/esp/replay.ts); ring of 64-bit blocks with one
    // spare block so the oldest in-window block is never the one being cleared (RFC 6479).
    sa->window_ = (cfg.replayWindow + 31u) / 32u * 32u;
    uint64_t blocks = 1;
    while (blocks < (static_cast<uint64_t>(sa->window_) + 63) / 64 + 1) blocks <<= 1;
    sa->ring_.assign(blocks, 0);
    sa->ringMask_ = blocks - 1;
    sa->top_ = cfg.replayTop;
  }
  sa->counters_[kSlotSeq] = cfg.inbound ? sa->top_ : sa->nextSeq_ - 1;
  return sa;
}

EspSa::~EspSa() {
  if (ctx_ != nullptr) EVP_CIPHER_CTX_free(ctx_);
  if (ivCtx_ != nullptr) EVP_CIPHER_CTX_free(ivCtx_);
  if (mac_ != nullptr) EVP_MAC_CTX_free(mac_);
  OPENSSL_cleanse(salt_, sizeof salt_);
}

size_t EspSa::SealOverhead(size_t len) const {
  const size_t padded = (len + 2 + blockAlign_ - 1) / blockAlign_ * blockAlign_;
  return 8 + ivBytes_ + (padded - len) + icvBytes_;
}

void EspSa::NextCbcIv(uint64_t seq, uint8_t* iv) {
  uint8_t block[16];
  PutBe32(block, static_cast<uint32_t>(seq >> 32));
  PutBe32(block + 4, static_cast<uint32_t>(seq));
  PutBe32(block + 8, spi_);
  PutBe32(block + 12, 0x45535049u);  // "ESPI"
  int outl = 0;
  EVP_EncryptUpdate(ivCtx_, iv, &outl, block, 16);
}

bool EspSa::Mac(const uint8_t* data, size_t len, uint32_t seqHigh, uint8_t* icv) {
  uint8_t full[EVP_MAX_MD_SIZE];
  size_t outl = 0;
  if (EVP_MAC_init(mac_, nullptr, 0, nullptr) != 1) return false;
  if (EVP_MAC_update(mac_, data, len) != 1) return false;
  if (esn_) {
    // RFC 4303 §2.2.1: the high-order 32 bits are appended to the MAC input, not sent.
    uint8_t hi[4];
    PutBe32(hi, seqHigh);
    if (EVP_MAC_update(mac_, hi, 4) != 1) return false;
  }
  if (EVP_MAC_final(mac_, full, &outl, sizeof full) != 1 || outl < icvBytes_) return false;
  std::memcpy(icv, full, icvBytes_);
  return true;
}

uint8_t EspSa::SealRaw(const uint8_t* in, size_t len, uint8_t nextHeader, uint8_t* out,
                    size_t outCap, size_t* outLen, const uint8_t* iv) {
  if (nextHeader == 0) {
    if (len == 0) return kDropNotIp;
    const uint8_t version = in[0] >> 4;
    if (version == 4) {
      nextHeader = 4;
    } else if (version == 6) {
      nextHeader = 41;
    } else {
      return kDropNotIp;
    }
  }
  const size_t padded = (len + 2 + blockAlign_ - 1) / blockAlign_ * blockAlign_;
  const size_t total = 8 + ivBytes_ + padded + icvBytes_;
  if (total > outCap) return kDropNoBuffer;
  // RFC 4303 §3.3.3: the sequence number never cycles; the SA must be rekeyed first.
  if (nextSeq_ > seqLimit_ || nextSeq_ == 0) {
    counters_[kSlotFlags] |= kFlagSeqHard | kFlagSeqSoft;
    return kDropSeqOverflow;
  }
  const uint64_t seq = nextSeq_++;
  if (seq >= seqSoft_) counters_[kSlotFlags] |= kFlagSeqSoft;
  if (seq == seqLimit_) counters_[kSlotFlags] |= kFlagSeqHard;
  const uint32_t seqHigh = static_cast<uint32_t>(seq >> 32);
  const uint32_t seqLow = static_cast<uint32_t>(seq);

  uint8_t* p = out + 8 + ivBytes_;
  if (in != p) std::memmove(p, in, len);
  PutBe32(out, spi_);
  PutBe32(out + 4, seqLow);
  const size_t padLen = padded - len - 2;
  for (size_t i = 0; i < padLen; i++) p[len + i] = static_cast<uint8_t>(i + 1);
  p[padded - 2] = static_cast<uint8_t>(padLen);
  p[padded - 1] = nextHeader;

  int outl = 0;
  if (cipher_ == EspCipher::kAesGcm) {
    uint8_t* ivOut = out + 8;
    if (iv != nullptr) {
      std::memcpy(ivOut, iv, 8);
    } else {
      // RFC 4106 §3.1: the IV is the 64-bit sequence number, unique per key.
      PutBe32(ivOut, seqHigh);
      PutBe32(ivOut + 4, seqLow);
    }
    uint8_t nonce[12];
    std::memcpy(nonce, salt_, 4);
    std::memcpy(nonce + 4, ivOut, 8);
    uint8_t aad[12];
    size_t aadLen = 8;
    PutBe32(aad, spi_);
    if (esn_) {
      PutBe32(aad + 4, seqHigh);
      PutBe32(aad + 8, seqLow);
      aadLen = 12;
    } else {
      PutBe32(aad + 4, seqLow);
    }
    if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_EncryptUpdate(ctx_, nullptr, &outl, aad, static_cast<int>(aadLen)) != 1 ||
        EVP_EncryptUpdate(ctx_, p, &outl, p, static_cast<int>(padded)) != 1 ||
        EVP_EncryptFinal_ex(ctx_, p + padded, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, 16, p + padded) != 1) {
      return kDropCrypto;
    }
  } else {
    uint8_t* ivOut = out + 8;
    if (iv != nullptr) {
      std::memcpy(ivOut, iv, 16);
    } else {
      NextCbcIv(seq, ivOut);
    }
    if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, ivOut) != 1 ||
        EVP_EncryptUpdate(ctx_, p, &outl, p, static_cast<int>(padded)) != 1 ||
        EVP_EncryptFinal_ex(ctx_, p + padded, &outl) != 1) {
      return kDropCrypto;
    }
    if (!Mac(out, 8 + 16 + padded, seqHigh, p + padded)) return kDropCrypto;
  }
  *outLen = total;
  counters_[kSlotPackets]++;
  counters_[kSlotBytes] += len;
  counters_[kSlotSeq] = seq;
  return kDropNone;
}

// RFC 4303 Appendix A2.2: infer the high-order 32 bits from the window position.
bool EspSa::InferSeq(uint32_t seqLow, uint64_t* seq) const {
  if (!esn_) {
    *seq = seqLow;
    return true;
  }
  const uint32_t w = window_ != 0 ? window_ : 1;  // as src/esp/esn.ts: max(1, window)
  const uint32_t tl = static_cast<uint32_t>(top_);
  const uint32_t th = static_cast<uint32_t>(top_ >> 32);
  const uint32_t bottom = tl - w + 1;  // modulo 2^32
  uint32_t sh = th;
  if (tl >= w - 1) {
    // Case A: the window lies within one sequence-number subspace.
    if (seqLow < bottom && th != 0xffffffffu) sh = th + 1;
  } else {
    // Case B: the window spans two subspaces; the upper part belongs to the older one.
    if (seqLow >= bottom && th != 0) sh = th - 1;
  }
  *seq = (static_cast<uint64_t>(sh) << 32) | seqLow;
  return true;
}

bool EspSa::ReplayCheck(uint64_t seq) const {
  const uint64_t bit = 1ull << (seq & 63);
  return (ring_[(seq >> 6) & ringMask_] & bit) == 0;
}

void EspSa::ReplayUpdate(uint64_t seq) {
  if (seq > top_) {
    const uint64_t from = top_ >> 6;
    uint64_t diff = (seq >> 6) - from;
    if (diff > ringMask_ + 1) diff = ringMask_ + 1;
    for (uint64_t i = 1; i <= diff; i++) ring_[(from + i) & ringMask_] = 0;
    top_ = seq;
  }
  if (window_ != 0) ring_[(seq >> 6) & ringMask_] |= 1ull << (seq & 63);
}

uint8_t EspSa::OpenRaw(const uint8_t* in, size_t len, uint8_t* out, size_t outCap, size_t* outLen,
                    uint8_t* nextHeader) {
  const size_t hdr = 8 + ivBytes_;
  if (len < hdr + icvBytes_ + 2) return kDropTruncated;
  const size_t ctLen = len - hdr - icvBytes_;
  if (ctLen % blockAlign_ != 0) return kDropTruncated;
  if (ctLen > outCap) return kDropNoBuffer;
  const uint32_t seqLow = GetBe32(in + 4);
  uint64_t seq = 0;
  if (!InferSeq(seqLow, &seq)) return kDropReplayStale;
  // RFC 4303 §3.4.3: sequence 0 is never sent; then the window check before the ICV.
  if (seq == 0) return kDropReplayStale;
  if (window_ != 0 && seq <= top_) {
    if (top_ - seq >= window_) return kDropReplayStale;
    if (!ReplayCheck(seq)) return kDropReplay;
  }
  const uint32_t seqHigh = static_cast<uint32_t>(seq >> 32);
  const uint8_t* ct = in + hdr;
  int outl = 0;
  if (cipher_ == EspCipher::kAesGcm) {
    uint8_t nonce[12];
    std::memcpy(nonce, salt_, 4);
    std::memcpy(nonce + 4, in + 8, 8);
    uint8_t aad[12];
    size_t aadLen = 8;
    std::memcpy(aad, in, 4);
    if (esn_) {
      PutBe32(aad + 4, seqHigh);
      std::memcpy(aad + 8, in + 4, 4);
      aadLen = 12;
    } else {
      std::memcpy(aad + 4, in + 4, 4);
    }
    uint8_t tag[16];
    std::memcpy(tag, in + len - 16, 16);
    if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce) != 1 ||
        EVP_DecryptUpdate(ctx_, nullptr, &outl, aad, static_cast<int>(aadLen)) != 1 ||
        EVP_DecryptUpdate(ctx_, out, &outl, ct, static_cast<int>(ctLen)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1) {
      return kDropCrypto;
    }
    if (EVP_DecryptFinal_ex(ctx_, out + ctLen, &outl) != 1) return kDropIcv;
  } else {
    uint8_t icv[EVP_MAX_MD_SIZE];
    if (!Mac(in, len - icvBytes_, seqHigh, icv)) return kDropCrypto;
    if (CRYPTO_memcmp(icv, in + len - icvBytes_, icvBytes_) != 0) return kDropIcv;
    if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, in + 8) != 1 ||
        EVP_DecryptUpdate(ctx_, out, &outl, ct, static_cast<int>(ctLen)) != 1 ||
        EVP_DecryptFinal_ex(ctx_, out + ctLen, &outl) != 1) {
      return kDropCrypto;
    }
  }
  // Authenticated: now the window may move (RFC 4303 §3.4.3).
  ReplayUpdate(seq);
  counters_[kSlotSeq] = top_;
  const uint8_t padLen = out[ctLen - 2];
  const uint8_t nh = out[ctLen - 1];
  if (static_cast<size_t>(padLen) + 2 > ctLen) return kDropBadPadding;
  const size_t innerLen = ctLen - 2 - padLen;
  for (size_t i = 0; i < padLen; i++) {
    if (out[innerLen + i] != static_cast<uint8_t>(i + 1)) return kDropBadPadding;
  }
  if (nh == 59) return kDropDummy;
  if (nh != 4 && nh != 41) return kDropBadNextHeader;
  *outLen = innerLen;
  *nextHeader = nh;
  counters_[kSlotPackets]++;
  counters_[kSlotBytes] += innerLen;
  return kDropNone;
}

}  // namespace nvad
