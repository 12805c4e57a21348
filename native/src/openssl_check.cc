// The ESP fast path uses the OpenSSL that the node binary exports. This reports which one is linked
// so the loader can refuse to start the fast path when the symbols are missing or too old.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nvad.h"

namespace nvad {

static Napi::Value OpenSslVersion(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("text", Napi::String::New(info.Env(), OpenSSL_version(OPENSSL_VERSION)));
  out.Set("number", Napi::Number::New(info.Env(), static_cast<double>(OpenSSL_version_num())));
  // A cipher lookup proves the EVP layer is usable, not just linked.
  out.Set("hasAesGcm", Napi::Boolean::New(info.Env(), EVP_aes_256_gcm() != nullptr));
  return out;
}

void InitOpenSslCheck(Napi::Env env, Napi::Object exports) {
  exports.Set("opensslVersion", Napi::Function::New(env, OpenSslVersion));
}

}  // namespace nvad
