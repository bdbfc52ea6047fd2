// libFuzzer: status-list token parsing (COSE_Sign1, claims, bounded inflate of lst) and verification with
// a fixed key. A parsed list never exceeds the declared cap; lookups stay in range.
#include <cstdlib>

#include "wathiq/status/token.h"

namespace {
const wathiq::Verifier& FixedVerifier() {
  static const auto* v = [] {
    wathiq::Bytes seed(32, 0x42);
    auto s = wathiq::SoftwareSignerFromSecret(wathiq::Alg::kEdDSA, seed);
    if (!s) std::abort();
    auto pk = (*s)->public_key();
    if (!pk) std::abort();
    auto ver = wathiq::MakeVerifier(*pk, wathiq::Alg::kEdDSA);
    if (!ver) std::abort();
    return ver->release();
  }();
  return *v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wathiq::status;
  ParseOptions options;
  options.max_entries = 1 << 16;  // keeps each run small; the cap logic is the same at any size
  options.allow_unprotected_kid = size > 0 && (data[0] & 1);
  options.require_log_checkpoint = size > 0 && (data[0] & 2);
  wathiq::ByteView in(data, size);
  auto t = ParseStatusListToken(in, options);
  if (t) {
    const StatusList& list = t->list;
    if (list.size() == 0 || list.size() > options.max_entries + 7) std::abort();
    if (!list.Get(list.size() - 1) || list.Get(list.size())) std::abort();
    if (t->claims.exp < t->claims.iat || t->claims.exp - t->claims.iat < t->claims.ttl) std::abort();
  }
  auto v = VerifyStatusListToken(in, FixedVerifier(), options);
  if (v) {
    auto a = CheckStatus(*v, v->claims().sub, 0, static_cast<int64_t>(v->claims().iat));
    if (!a) std::abort();
  }
  return 0;
}
