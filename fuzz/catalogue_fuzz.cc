// libFuzzer: agency records and catalogue files are outside input (JSON). The first byte picks the target:
// 0-4 ValidateRecord against a default document type, 5 ParseDocType. A record that validates must give
// values in catalogue order that survive deterministic CBOR encode/decode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wathiq/core/cbor.h"
#include "wathiq/mdoc/catalogue.h"

namespace {

void CheckValues(const wathiq::mdoc::DocTypeSpec& spec, const std::vector<wathiq::mdoc::ElementValue>& values) {
  size_t next = 0;
  for (const auto& v : values) {
    while (next < spec.elements.size() && spec.elements[next].id != v.id) ++next;
    if (next == spec.elements.size()) std::abort();  // unknown id or out of catalogue order
    ++next;
    wathiq::Bytes encoded = wathiq::cbor::Encode(v.value);
    auto decoded = wathiq::cbor::Decode(encoded);
    if (!decoded || !(*decoded == v.value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  using namespace wathiq::mdoc;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Date today{2025, 6, 1};
  const auto& docs = Catalogue::Default().doc_types();
  const size_t pick = data[0] % (docs.size() + 1);
  if (pick == docs.size()) {
    auto spec = Catalogue::ParseDocType(text);
    if (spec) {
      for (const auto& [name, ids] : spec->profiles) {
        for (const auto& id : ids) {
          if (spec->Find(id) == nullptr) std::abort();
        }
      }
      auto values = ValidateRecord(*spec, "{}", today);
      if (values) CheckValues(*spec, *values);
    }
  } else {
    auto values = ValidateRecord(docs[pick], text, today);
    if (values) CheckValues(docs[pick], *values);
  }
  return 0;
}
