// libFuzzer: ISO 18013-5 IssuerSigned and DeviceResponse parsing and verification against a real trust
// list. The first byte picks the structure. Nothing fuzzed may verify: that would be a forgery.
#include <cstdlib>

#include "fuzz_pki.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq;
  if (size < 1 || size > 1 << 16) return 0;
  const auto& w = fuzz::GetWorld();
  ByteView in(data + 1, size - 1);
  mdoc::DocumentVerifier verifier(*w.pki.trust_list);
  mdoc::VerifyOptions o{w.pki.now};
  if (data[0] & 1) {
    auto docs = mdoc::ParseDeviceResponse(in);
    if (!docs) return 0;
    Bytes transcript = cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Null()}));
    for (const auto& d : *docs) {
      auto r = verifier.VerifyDocument(d, {transcript, Bytes(32, 7)}, o);
      if (r.ok() && r.document->device_authenticated()) std::abort();  // a device signature needs the device key
    }
  } else {
    auto is = mdoc::ParseIssuerSigned(in);
    if (!is) return 0;
    auto r = verifier.VerifyIssuerSigned(*is, o);
    // Only the genuine credential's issuer signature can verify; then every value must be the genuine one.
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
  }
  return 0;
}
