// libFuzzer: ISO 18013-5 DeviceResponse parsing and document verification (issuer and device
// authentication) against a real trust list. No fuzzed document may pass device authentication: that
// needs the holder's private key.
#include <cstdlib>

#include "fuzz_pki.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq;
  if (size > 1 << 16) return 0;
  const auto& w = fuzz::GetWorld();
  auto docs = mdoc::ParseDeviceResponse(ByteView(data, size));
  if (!docs) return 0;
  mdoc::DocumentVerifier verifier(*w.pki.trust_list);
  Bytes transcript =
      cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Null()}));
  for (const auto& d : *docs) {
    auto r = verifier.VerifyDocument(d, {transcript, Bytes(32, 7)}, mdoc::VerifyOptions{w.pki.now});
    if (r.ok() && r.document->device_authenticated()) std::abort();
  }
  return 0;
}
