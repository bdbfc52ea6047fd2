// The mobile bridge's C ABI, called from C (bridge_c.c) and directly: verdicts, errors, hostile input.
#include <cstring>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/wathiq.h"

extern "C" int bridge_c_verify(const uint8_t* tl, size_t tl_len, const uint8_t* root, size_t root_len, const char* qr,
                               int64_t now, char* out, size_t out_cap);

using namespace wathiq;
using namespace wathiq::test;

namespace {

nlohmann::json Parse(const char* s) {
  auto j = nlohmann::json::parse(s, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

std::string ShortLivedQr(const TestPki& pki) {
  auto cred = IssueCivilId(pki, [&](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity = {pki.now, pki.now, pki.now + 2 * kDay};
  });
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  mdoc::qr::PresentationRequest r{&*parsed, kCivilIdDocType, {"full_name_ar", "civil_id_number"}, cred.device_key.get(),
                                  pki.now, std::nullopt};
  auto p = mdoc::qr::BuildPresentation(r);
  REQUIRE(p);
  return p->text;
}

}  // namespace

TEST_CASE("mobile bridge: a C caller verifies a QR and gets the report as JSON", "[bridge]") {
  auto pki = MustMakeTestPki();
  std::string qr = ShortLivedQr(pki);
  const Bytes& root = pki.root_cert.der();
  std::string out(64 * 1024, '\0');
  int rc = bridge_c_verify(pki.trust_list_bytes.data(), pki.trust_list_bytes.size(), root.data(), root.size(), qr.c_str(),
                           pki.now + 5, out.data(), out.size());
  INFO(out.c_str());
  REQUIRE(rc == WATHIQ_OK);
  auto j = Parse(out.c_str());
  CHECK(j["verdict"] == "valid");
  CHECK(j["documents"][0]["elements"]["full_name_ar"] == "محمد عبدالله العلي");
  CHECK(j["documents"][0]["issuer"]["id"] == "paci");
  CHECK(j["checks"].size() == 10);

  // Ten minutes later the same QR is stale: still WATHIQ_OK, the verdict says why.
  rc = bridge_c_verify(pki.trust_list_bytes.data(), pki.trust_list_bytes.size(), root.data(), root.size(), qr.c_str(),
                       pki.now + 600, out.data(), out.size());
  REQUIRE(rc == WATHIQ_OK);
  j = Parse(out.c_str());
  CHECK(j["verdict"] == "invalid");
  CHECK(j["documents"].empty());
  CHECK(j.dump().find("presentation_stale") != std::string::npos);
}

TEST_CASE("mobile bridge: bad trust input, null pointers and hostile text give errors, never a crash", "[bridge][negative]") {
  auto pki = MustMakeTestPki();
  const Bytes& root = pki.root_cert.der();
  Bytes tl = pki.trust_list_bytes;
  wathiq_verifier* v = nullptr;
  char* err = nullptr;

  CHECK(wathiq_verifier_open(nullptr, 0, root.data(), root.size(), pki.now, &v, &err) == WATHIQ_INVALID_ARGUMENT);
  REQUIRE(err);
  CHECK(Parse(err)["error"] == "invalid_argument");
  wathiq_string_free(err);
  CHECK(wathiq_verifier_open(tl.data(), tl.size(), root.data(), root.size(), pki.now, nullptr, nullptr) ==
        WATHIQ_INVALID_ARGUMENT);

  Bytes flipped = tl;
  flipped[flipped.size() / 2] ^= 1;
  CHECK(wathiq_verifier_open(flipped.data(), flipped.size(), root.data(), root.size(), pki.now, &v, &err) == WATHIQ_REJECTED);
  CHECK(v == nullptr);
  REQUIRE(err);
  CHECK_THAT(Parse(err)["message"].get<std::string>(), Catch::StartsWith("trust list"));
  wathiq_string_free(err);

  Bytes junk_root(40, 0x30);
  CHECK(wathiq_verifier_open(tl.data(), tl.size(), junk_root.data(), junk_root.size(), pki.now, &v, &err) == WATHIQ_REJECTED);
  wathiq_string_free(err);

  REQUIRE(wathiq_verifier_open(tl.data(), tl.size(), root.data(), root.size(), pki.now, &v, nullptr) == WATHIQ_OK);
  char* report = nullptr;
  CHECK(wathiq_verify_qr(v, nullptr, pki.now, &report) == WATHIQ_INVALID_ARGUMENT);
  wathiq_string_free(report);
  CHECK(wathiq_verify_qr(v, "x", pki.now, nullptr) == WATHIQ_INVALID_ARGUMENT);
  for (const char* text : {"", "WQ1:", "WQ1:%%%%", "HC1:6BFOXN", "WQ1:0000000000"}) {
    INFO(text);
    REQUIRE(wathiq_verify_qr(v, text, pki.now, &report) == WATHIQ_OK);
    CHECK(Parse(report)["verdict"] == "invalid");
    wathiq_string_free(report);
  }
  std::string huge(100000, 'A');
  CHECK(wathiq_verify_qr(v, huge.c_str(), pki.now, &report) == WATHIQ_INVALID_ARGUMENT);
  wathiq_string_free(report);
  wathiq_verifier_free(v);
  wathiq_verifier_free(nullptr);
  wathiq_string_free(nullptr);
  CHECK(std::strlen(wathiq_version()) > 0);
}
