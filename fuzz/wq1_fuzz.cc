// libFuzzer: the whole WQ1 verification path, text in, verdict out, against a real trust list. The input
// is used as QR text directly (bit 0 of the first byte clear) or compressed and Base45-encoded behind the
// prefix first (set), so the fuzzer reaches the CBOR and ISO layers as easily as the text layer.
#include <cstdlib>

#include "fuzz_pki.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"

namespace {
class NoStatus : public wathiq::verifier::StatusLookup {
 public:
  wathiq::verifier::StatusAnswer Lookup(const wathiq::mdoc::StatusRef&, int64_t) const override {
    return {wathiq::verifier::StatusValue::kValid, ""};
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq;
  if (size < 1 || size > 8192) return 0;
  const auto& w = fuzz::GetWorld();
  std::string text;
  if (data[0] & 1) {
    text = "WQ1:" + base45::Encode(zlib::Deflate(ByteView(data + 1, size - 1), 1));
  } else {
    text.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  }
  NoStatus status;
  verifier::Policy p;
  p.now = w.pki.now;
  verifier::MemoryState state;
  auto r = verifier::VerifyPresentation(text, *w.pki.trust_list, &status, state, p);
  if (!r) std::abort();  // a memory state never fails
  // The fuzzer holds no device key: nothing it makes can pass the device signature.
  if (r->verdict != verifier::Verdict::kInvalid) std::abort();
  if (r->checks.size() != verifier::kCheckCount) std::abort();
  (void)mdoc::qr::ParseChallenge(text);
  return 0;
}
