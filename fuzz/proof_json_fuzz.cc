// libFuzzer: proof checks with JSON in (CheckProofJson). Never throws, never aborts; its own output is
// valid JSON.
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wathiq/log/proof_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = wathiq::log::CheckProofJson(in);
  if (r) {
    auto j = nlohmann::json::parse(r->ToJson(), nullptr, false);
    if (j.is_discarded() || j["valid"].get<bool>() != r->valid) std::abort();
  }
  return 0;
}
