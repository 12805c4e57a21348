// N-API handles for ESP objects, shared by esp.cc and datapath.cc.
#pragma once
#include <napi.h>

#include <memory>

#include "esp_sa.h"
#include "esp_sad.h"

namespace nvad {

// Throws a JS TypeError when `v` is not a live handle of that kind.
std::shared_ptr<EspSa> SaFromValue(Napi::Value v);
std::shared_ptr<EspSad> SadFromValue(Napi::Value v);

// An ArrayBuffer over `data` that keeps `owner` alive until it is garbage-collected.
template <typename T>
Napi::ArrayBuffer OwnedArrayBuffer(Napi::Env env, void* data, size_t len, std::shared_ptr<T> owner) {
  auto* hint = new std::shared_ptr<T>(std::move(owner));
  return Napi::ArrayBuffer::New(
      env, data, len, [](Napi::Env, void*, std::shared_ptr<T>* h) { delete h; }, hint);
}

uint64_t MonotonicMs();

}  // namespace nvad
