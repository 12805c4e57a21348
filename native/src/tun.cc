// Placeholder: filled in by the issue that owns this concern.
#include "nvad.h"

namespace nvad {

void InitTun(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace nvad
