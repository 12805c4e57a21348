// N-API surface of the ESP fast path: SA and SAD handles, batched seal/open (one call per batch,
// never per packet on the hot path) and per-packet seal/open for vector tests.
#include <time.h>

#include <cstring>
#include <string>

#include "esp_napi.h"
#include "nvad.h"

namespace nvad {

namespace {

constexpr uint32_t kSaTag = 0x45535341;   // "ESSA"
constexpr uint32_t kSadTag = 0x45535344;  // "ESSD"

struct Handle {
  uint32_t tag;
  std::shared_ptr<EspSa> sa;
  std::shared_ptr<EspSad> sad;
};

Napi::Value MakeHandle(Napi::Env env, Handle* h) {
  return Napi::External<Handle>::New(env, h, [](Napi::Env, Handle* p) { delete p; });
}

Handle* HandleOf(Napi::Value v, uint32_t tag) {
  if (!v.IsExternal()) return nullptr;
  Handle* h = v.As<Napi::External<Handle>>().Data();
  if (h == nullptr || h->tag != tag) return nullptr;
  return h;
}

EspSaConfig ParseConfig(Napi::Env env, Napi::Object o) {
  EspSaConfig cfg;
  if (!o.Get("spi").IsNumber() || !o.Get("direction").IsString() || !o.Get("cipher").IsString() ||
      !o.Get("encKey").IsBuffer()) {
    throw Napi::TypeError::New(env, "espSaCreate needs spi, direction, cipher and encKey (Buffer)");
  }
  cfg.spi = o.Get("spi").As<Napi::Number>().Uint32Value();
  cfg.inbound = o.Get("direction").As<Napi::String>().Utf8Value() == "in";
  const std::string cipher = o.Get("cipher").As<Napi::String>().Utf8Value();
  if (cipher == "gcm") {
    cfg.cipher = EspCipher::kAesGcm;
  } else if (cipher == "cbc") {
    cfg.cipher = EspCipher::kAesCbc;
  } else {
    throw Napi::TypeError::New(env, "cipher must be 'gcm' or 'cbc'");
  }
  Napi::Value integ = o.Get("integrity");
  cfg.integ = EspInteg::kNone;
  if (integ.IsString()) {
    const std::string n = integ.As<Napi::String>().Utf8Value();
    if (n == "sha1") cfg.integ = EspInteg::kSha1;
    else if (n == "sha256") cfg.integ = EspInteg::kSha256;
    else if (n == "sha384") cfg.integ = EspInteg::kSha384;
    else if (n == "sha512") cfg.integ = EspInteg::kSha512;
    else throw Napi::TypeError::New(env, "unknown integrity algorithm");
  }
  Napi::Buffer<uint8_t> ek = o.Get("encKey").As<Napi::Buffer<uint8_t>>();
  cfg.encKey.assign(ek.Data(), ek.Data() + ek.Length());
  Napi::Value ik = o.Get("integKey");
  if (ik.IsBuffer()) {
    Napi::Buffer<uint8_t> b = ik.As<Napi::Buffer<uint8_t>>();
    cfg.integKey.assign(b.Data(), b.Data() + b.Length());
  }
  cfg.esn = o.Get("esn").ToBoolean().Value();
  Napi::Value rw = o.Get("replayWindow");
  cfg.replayWindow = rw.IsNumber() ? rw.As<Napi::Number>().Uint32Value() : 1024;
  Napi::Value ns = o.Get("nextSeq");
  if (ns.IsBigInt()) {
    bool lossless = true;
    cfg.nextSeq = ns.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  Napi::Value rt = o.Get("replayTop");
  if (rt.IsBigInt()) {
    bool lossless = true;
    cfg.replayTop = rt.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return cfg;
}

void Wipe(EspSaConfig* cfg) {
  if (!cfg->encKey.empty()) OPENSSL_cleanse(cfg->encKey.data(), cfg->encKey.size());
  if (!cfg->integKey.empty()) OPENSSL_cleanse(cfg->integKey.data(), cfg->integKey.size());
}

// espSaCreate(params) -> { handle, counters: ArrayBuffer (BigUint64 slots, see esp_drop.h) }
Napi::Value SaCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "espSaCreate(params)");
  EspSaConfig cfg = ParseConfig(env, info[0].As<Napi::Object>());
  std::string error;
  EspSa* raw = EspSa::Create(cfg, &error);
  Wipe(&cfg);
  if (raw == nullptr) throw Napi::Error::New(env, "ESP SA rejected: " + error);
  std::shared_ptr<EspSa> sa(raw);
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", MakeHandle(env, new Handle{kSaTag, sa, nullptr}));
  out.Set("counters", OwnedArrayBuffer(env, sa->counters(), kSaCounterSlots * 8, sa));
  return out;
}

Napi::Value SaDestroy(const Napi::CallbackInfo& info) {
  Handle* h = HandleOf(info[0], kSaTag);
  if (h != nullptr) h->sa.reset();
  return info.Env().Undefined();
}

Napi::Value SadCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto sad = std::make_shared<EspSad>();
  Napi::Object out = Napi::Object::New(env);
  out.Set("handle", MakeHandle(env, new Handle{kSadTag, nullptr, sad}));
  out.Set("counters", OwnedArrayBuffer(env, sad->counters(), kGlobalCounterSlots * 8, sad));
  return out;
}

// espSadAdd(sad, sa, tunnelIndex)
Napi::Value SadAdd(const Napi::CallbackInfo& info) {
  std::shared_ptr<EspSad> sad = SadFromValue(info[0]);
  std::shared_ptr<EspSa> sa = SaFromValue(info[1]);
  if (!sa->inbound()) throw Napi::TypeError::New(info.Env(), "only inbound SAs go in a SAD");
  const int tunnel = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : -1;
  sad->Add(sa, tunnel);
  return info.Env().Undefined();
}

Napi::Value SadRemove(const Napi::CallbackInfo& info) {
  std::shared_ptr<EspSad> sad = SadFromValue(info[0]);
  const uint32_t spi = info[1].As<Napi::Number>().Uint32Value();
  return Napi::Boolean::New(info.Env(), sad->Remove(spi));
}

// espSealOne(sa, inner, iv|null, nextHeader) -> { drop, packet|null }
Napi::Value SealOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<EspSa> sa = SaFromValue(info[0]);
  if (sa->inbound()) throw Napi::TypeError::New(env, "seal needs an outbound SA");
  Napi::Buffer<uint8_t> in = info[1].As<Napi::Buffer<uint8_t>>();
  const uint8_t* iv = nullptr;
  if (info[2].IsBuffer()) {
    Napi::Buffer<uint8_t> ivb = info[2].As<Napi::Buffer<uint8_t>>();
    if (ivb.Length() != sa->HeaderBytes() - 8) throw Napi::RangeError::New(env, "IV length");
    iv = ivb.Data();
  }
  const uint8_t nh = info[3].IsNumber() ? static_cast<uint8_t>(info[3].As<Napi::Number>().Uint32Value()) : 0;
  const size_t cap = in.Length() + sa->SealOverhead(in.Length());
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, cap);
  size_t outLen = 0;
  const uint8_t r = sa->Seal(in.Data(), in.Length(), nh, out.Data(), cap, &outLen, iv);
  if (r == kDropNone) sa->Touch(MonotonicMs());
  Napi::Object res = Napi::Object::New(env);
  res.Set("drop", Napi::Number::New(env, r));
  res.Set("packet", r == kDropNone ? Napi::Value(out) : env.Null());
  return res;
}

// espOpenOne(sa, esp) -> { drop, packet|null, nextHeader }
Napi::Value OpenOne(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<EspSa> sa = SaFromValue(info[0]);
  if (!sa->inbound()) throw Napi::TypeError::New(env, "open needs an inbound SA");
  Napi::Buffer<uint8_t> in = info[1].As<Napi::Buffer<uint8_t>>();
  uint8_t r = kDropNone;
  size_t outLen = 0;
  uint8_t nh = 0;
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, in.Length());
  if (in.Length() < 8) {
    r = kDropTruncated;
  } else if ((static_cast<uint32_t>(in.Data()[0]) << 24 | static_cast<uint32_t>(in.Data()[1]) << 16 |
              static_cast<uint32_t>(in.Data()[2]) << 8 | in.Data()[3]) != sa->spi()) {
    r = kDropUnknownSpi;
  } else {
    r = sa->Open(in.Data(), in.Length(), out.Data(), out.Length(), &outLen, &nh);
  }
  if (r == kDropNone) sa->Touch(MonotonicMs());
  Napi::Object res = Napi::Object::New(env);
  res.Set("drop", Napi::Number::New(env, r));
  res.Set("packet", r == kDropNone ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, out.Data(), outLen))
                                   : env.Null());
  res.Set("nextHeader", Napi::Number::New(env, nh));
  return res;
}

struct BatchArgs {
  uint8_t* in;
  size_t inSize;
  uint32_t* inOff;
  uint32_t* inLen;
  uint32_t count;
  uint8_t* out;
  size_t outSize;
  uint32_t* outOff;
  uint32_t outCap;
  uint32_t* outLen;
  uint8_t* results;
};

template <typename T>
T* TypedData(Napi::Env env, Napi::Value v, size_t minCount, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(what) + " must be a typed array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.ByteLength() < minCount * sizeof(T)) {
    throw Napi::RangeError::New(env, std::string(what) + " is too short");
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
}

// (target, inSlab, inOffsets, inLengths, count, outSlab, outOffsets, outCapacity, outLengths, results)
BatchArgs ParseBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchArgs a{};
  a.count = info[4].As<Napi::Number>().Uint32Value();
  a.in = TypedData<uint8_t>(env, info[1], 0, "inSlab");
  a.inSize = info[1].As<Napi::TypedArray>().ByteLength();
  a.inOff = TypedData<uint32_t>(env, info[2], a.count, "inOffsets");
  a.inLen = TypedData<uint32_t>(env, info[3], a.count, "inLengths");
  a.out = TypedData<uint8_t>(env, info[5], 0, "outSlab");
  a.outSize = info[5].As<Napi::TypedArray>().ByteLength();
  a.outOff = TypedData<uint32_t>(env, info[6], a.count, "outOffsets");
  a.outCap = info[7].As<Napi::Number>().Uint32Value();
  a.outLen = TypedData<uint32_t>(env, info[8], a.count, "outLengths");
  a.results = TypedData<uint8_t>(env, info[9], a.count, "results");
  return a;
}

inline bool InBounds(size_t off, size_t len, size_t size) { return off <= size && len <= size - off; }

// Returns the number of packets sealed; results[i] holds each packet's drop reason.
Napi::Value SealBatch(const Napi::CallbackInfo& info) {
  std::shared_ptr<EspSa> sa = SaFromValue(info[0]);
  if (sa->inbound()) throw Napi::TypeError::New(info.Env(), "seal needs an outbound SA");
  BatchArgs a = ParseBatch(info);
  uint32_t ok = 0;
  for (uint32_t i = 0; i < a.count; i++) {
    a.outLen[i] = 0;
    if (!InBounds(a.inOff[i], a.inLen[i], a.inSize) || !InBounds(a.outOff[i], a.outCap, a.outSize)) {
      a.results[i] = kDropNoBuffer;
      continue;
    }
    size_t outLen = 0;
    const uint8_t r = sa->Seal(a.in + a.inOff[i], a.inLen[i], 0, a.out + a.outOff[i], a.outCap,
                               &outLen, nullptr);
    a.results[i] = r;
    if (r == kDropNone) {
      a.outLen[i] = static_cast<uint32_t>(outLen);
      ok++;
    }
  }
  if (ok != 0) sa->Touch(MonotonicMs());
  return Napi::Number::New(info.Env(), ok);
}

// Open a batch through a SAD (SPI lookup per packet); the inner packet lands at outOffsets[i].
Napi::Value OpenBatch(const Napi::CallbackInfo& info) {
  std::shared_ptr<EspSad> sad = SadFromValue(info[0]);
  BatchArgs a = ParseBatch(info);
  uint32_t ok = 0;
  EspSad::Entry cached;
  uint32_t cachedSpi = 0;
  bool haveCached = false;
  const uint64_t now = MonotonicMs();
  for (uint32_t i = 0; i < a.count; i++) {
    a.outLen[i] = 0;
    if (!InBounds(a.inOff[i], a.inLen[i], a.inSize) || !InBounds(a.outOff[i], a.outCap, a.outSize)) {
      a.results[i] = kDropNoBuffer;
      sad->CountDrop(kDropNoBuffer);
      continue;
    }
    const uint8_t* p = a.in + a.inOff[i];
    if (a.inLen[i] < 8) {
      a.results[i] = kDropTruncated;
      sad->CountDrop(kDropTruncated);
      continue;
    }
    const uint32_t spi = static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
                         static_cast<uint32_t>(p[2]) << 8 | p[3];
    if (!haveCached || spi != cachedSpi) {
      if (!sad->Find(spi, &cached)) {
        haveCached = false;
        a.results[i] = kDropUnknownSpi;
        sad->CountDrop(kDropUnknownSpi);
        continue;
      }
      haveCached = true;
      cachedSpi = spi;
    }
    size_t outLen = 0;
    uint8_t nh = 0;
    const uint8_t r = cached.sa->Open(p, a.inLen[i], a.out + a.outOff[i], a.outCap, &outLen, &nh);
    a.results[i] = r;
    if (r == kDropNone) {
      a.outLen[i] = static_cast<uint32_t>(outLen);
      cached.sa->Touch(now);
      ok++;
    }
  }
  return Napi::Number::New(info.Env(), ok);
}

}  // namespace

uint64_t MonotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

std::shared_ptr<EspSa> SaFromValue(Napi::Value v) {
  Handle* h = HandleOf(v, kSaTag);
  if (h == nullptr || !h->sa) throw Napi::TypeError::New(v.Env(), "not a live ESP SA handle");
  return h->sa;
}

std::shared_ptr<EspSad> SadFromValue(Napi::Value v) {
  Handle* h = HandleOf(v, kSadTag);
  if (h == nullptr || !h->sad) throw Napi::TypeError::New(v.Env(), "not an ESP SAD handle");
  return h->sad;
}

void InitEsp(Napi::Env env, Napi::Object exports) {
  exports.Set("espSaCreate", Napi::Function::New(env, SaCreate));
  exports.Set("espSaDestroy", Napi::Function::New(env, SaDestroy));
  exports.Set("espSadCreate", Napi::Function::New(env, SadCreate));
  exports.Set("espSadAdd", Napi::Function::New(env, SadAdd));
  exports.Set("espSadRemove", Napi::Function::New(env, SadRemove));
  exports.Set("espSealOne", Napi::Function::New(env, SealOne));
  exports.Set("espOpenOne", Napi::Function::New(env, OpenOne));
  exports.Set("espSealBatch", Napi::Function::New(env, SealBatch));
  exports.Set("espOpenBatch", Napi::Function::New(env, OpenBatch));
  // addon.cc registers concerns it knows; the datapath rides on the ESP init.
  InitDatapath(env, exports);
}

}  // namespace nvad
