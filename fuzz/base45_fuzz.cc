// libFuzzer: Base45 decoding; whatever decodes must re-encode to the same text.
#include <cstdlib>
#include <string_view>

#include "wathiq/core/base45.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = wathiq::base45::Decode(text);
  if (d && wathiq::base45::Encode(*d) != text) std::abort();
  return 0;
}
