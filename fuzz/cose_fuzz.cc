// libFuzzer: COSE_Sign1 parsing and verification with a fixed ES256 and Ed25519 key; also COSE_Key.
#include <cstdlib>

#include "wathiq/core/cose.h"

namespace {
struct Keys {
  std::unique_ptr<wathiq::Verifier> es256, ed25519;
  Keys() {
    auto s = wathiq::SoftwareSignerFromSecret(wathiq::Alg::kES256, wathiq::Bytes(32, 7));
    auto e = wathiq::SoftwareSignerFromSecret(wathiq::Alg::kEdDSA, wathiq::Bytes(32, 9));
    if (!s || !e) std::abort();
    es256 = std::move(*wathiq::MakeVerifier(*(*s)->public_key()));
    ed25519 = std::move(*wathiq::MakeVerifier(*(*e)->public_key()));
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Keys keys;
  if (size > 1 << 16) return 0;
  wathiq::ByteView in(data, size);
  auto msg = wathiq::cose::ParseSign1(in);
  if (msg) {
    wathiq::cose::VerifyOptions o;
    o.allow_unprotected_alg = size % 2;
    if (!msg->payload) o.detached_payload = wathiq::Bytes{1, 2, 3};
    // A fuzzer cannot forge a signature: success here would be a verification bug.
    if (wathiq::cose::VerifySign1(*msg, *keys.es256, o)) std::abort();
    if (wathiq::cose::VerifySign1(*msg, *keys.ed25519, o)) std::abort();
    (void)msg->x5chain();
    (void)msg->kid();
  }
  wathiq::cbor::DecodeLimits wf;
  wf.strictness = wathiq::cbor::Strictness::kWellFormed;
  if (auto v = wathiq::cbor::Decode(in, wf)) {
    if (auto k = wathiq::cose::PublicKeyFromCoseKey(*v)) (void)wathiq::MakeVerifier(*k);
  }
  return 0;
}
