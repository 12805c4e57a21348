// Module registration: each concern adds its functions to `exports`.
#include "nvad.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  nvad::InitOpenSslCheck(env, exports);
  nvad::InitTun(env, exports);
  nvad::InitUdp(env, exports);
  nvad::InitEsp(env, exports);
  nvad::InitNetlink(env, exports);
  nvad::InitSockopt(env, exports);
  return exports;
}

NODE_API_MODULE(nvad, Init)
