// libFuzzer: ISO 18013-5 IssuerSigned parsing and verification against a real trust list. Nothing fuzzed
// may verify unless it carries the genuine credential's signature, and then every value must be genuine.
#include <cstdlib>

#include "fuzz_pki.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq;
  if (size > 1 << 16) return 0;
  const auto& w = fuzz::GetWorld();
  auto is = mdoc::ParseIssuerSigned(ByteView(data, size));
  if (!is) return 0;
  mdoc::DocumentVerifier verifier(*w.pki.trust_list);
  auto r = verifier.VerifyIssuerSigned(*is, mdoc::VerifyOptions{w.pki.now});
  if (r.ok()) {
    auto genuine = mdoc::ParseIssuerSigned(w.credential);
    for (const auto& e : r.document->elements()) {
      bool found = false;
      for (const auto& it : genuine->name_spaces.front().items) {
        found = found || (it.element_id == e.id && it.element_value == e.value);
      }
      if (!found) std::abort();
    }
  }
  (void)cbor::Encode(mdoc::IssuerSignedToValue(*is, nullptr, true));
  return 0;
}
