// libFuzzer: the bounded CBOR decoder, both strictness levels. Any decoded value must re-encode, and in
// deterministic mode the re-encoding must reproduce the input exactly (decode is injective there).
#include <cstdlib>

#include "wathiq/core/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  wathiq::ByteView in(data, size);
  auto strict = wathiq::cbor::Decode(in);
  if (strict) {
    wathiq::Bytes again = wathiq::cbor::Encode(*strict);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    (void)wathiq::cbor::Diagnostic(*strict);
  }
  wathiq::cbor::DecodeLimits wf;
  wf.strictness = wathiq::cbor::Strictness::kWellFormed;
  auto loose = wathiq::cbor::Decode(in, wf);
  if (strict && !loose) std::abort();  // deterministic input is always well-formed
  if (loose) {
    wathiq::Bytes canon = wathiq::cbor::Encode(*loose);
    auto back = wathiq::cbor::Decode(canon);
    if (!back || !(*back == *loose)) std::abort();  // canonical form decodes strictly to the same value
  }
  return 0;
}
