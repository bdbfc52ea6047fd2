// libFuzzer: bounded inflate. Output never exceeds the cap; what inflates must deflate and come back.
#include <cstdlib>

#include "wathiq/core/zlib.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kCap = 64 * 1024;
  auto out = wathiq::zlib::Inflate(wathiq::ByteView(data, size), kCap);
  if (out) {
    if (out->size() > kCap) std::abort();
    auto back = wathiq::zlib::Inflate(wathiq::zlib::Deflate(*out), kCap);
    if (!back || *back != *out) std::abort();
  }
  return 0;
}
