// The trust-list description: the shipped example is a working start, and the parser refuses what it
// does not know rather than ignore it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "keys/keys_test_util.h"
#include "support/pki_fixture.h"
#include "wathiq/keys/trust_list_description.h"

using namespace wathiq;
using namespace wathiq::keys;

namespace {

std::string ExampleText() {
  std::ifstream f(std::string(WATHIQ_SOURCE_DIR) + "/keys/trust-list-description.example.json");
  REQUIRE(f.good());
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The example's certificate files, made under a test root.
void WriteExampleCertificates(const test::TestPki& pki, const test::TempDir& dir) {
  for (const char* id : {"paci", "moi-traffic"}) {
    const auto& a = pki.agency(id);
    std::string stem = std::string(id) == "paci" ? "paci" : "traffic";
    test::WriteBytes(dir / (stem + "-ds.pem"), AsBytes(a.ds_cert.ToPem()));
    test::WriteBytes(dir / (stem + "-status.pem"), AsBytes(a.status_cert.ToPem()));
  }
}

Error ParseError(std::string_view text, const test::TempDir& dir) {
  auto r = ParseTrustListDescription(text, dir.path(), test::kPkiNow);
  REQUIRE_FALSE(r);
  return r.error();
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the example trust-list description parses and signs into a list that loads", "[keys][description]") {
  auto pki = test::MustMakeTestPki();
  test::TempDir dir;
  WriteExampleCertificates(pki, dir);
  test::WriteBytes(dir / "tl.json", AsBytes(ExampleText()));

  auto content = ReadTrustListDescription(dir / "tl.json", pki.now);
  INFO((content ? "" : content.error().ToString()));
  REQUIRE(content);
  CHECK(content->sequence == 1);
  CHECK(content->issued_at == pki.now);
  CHECK(content->next_update == pki.now + 7 * 86400);
  CHECK(content->log.origin == "log.wathiq.gov.kw");
  REQUIRE(content->agencies.size() == 2);
  CHECK(content->agencies[0].name_ar == "الهيئة العامة للمعلومات المدنية");  // Arabic byte for byte
  CHECK(content->agencies[0].document_signer_certs.front() == pki.agency("paci").ds_cert.der());
  CHECK(content->agencies[1].status_prefixes == std::vector<std::string>{"https://status.wathiq.gov.kw/moi-traffic"});

  content->log = {pki.log_origin, pki.log_verifier_key};
  auto signed_list = pki.Sign(*content);
  REQUIRE(signed_list);
  auto loaded = TrustList::Load(*signed_list, pki.root_cert, pki.Policy());
  REQUIRE(loaded);
  CHECK((*loaded)->agencies().size() == 2);
}

TEST_CASE("the description parser refuses what it does not know", "[keys][description]") {
  auto pki = test::MustMakeTestPki();
  test::TempDir dir;
  WriteExampleCertificates(pki, dir);
  const std::string good = ExampleText();
  REQUIRE(ParseTrustListDescription(good, dir.path(), pki.now));

  Error e = ParseError(Replace(good, "\"status_prefixes\"", "\"status_prefix\""), dir);
  CHECK(e.reason_code() == "trust_list_description");
  CHECK(e.message.find("unknown key \"status_prefix\"") != std::string::npos);
  CHECK(e.message.find("agency 1") != std::string::npos);

  e = ParseError(Replace(good, "\"valid_for_days\"", "\"valid_days\""), dir);
  CHECK(e.message.find("unknown key \"valid_days\"") != std::string::npos);

  e = ParseError(Replace(good, "\"origin\"", "\"origin\": \"x\", \"origin\""), dir);
  CHECK(e.message.find("duplicate key \"origin\"") != std::string::npos);

  e = ParseError(Replace(good, "\"status_prefixes\"", "\"status_list_uris\": [], \"status_prefixes\""), dir);
  CHECK(e.message.find("replaced by \"status_prefixes\"") != std::string::npos);

  e = ParseError(Replace(good, "\"sequence\": 1,", ""), dir);
  CHECK(e.message.find("missing \"sequence\"") != std::string::npos);

  e = ParseError(Replace(good, "\"sequence\": 1,", "\"sequence\": -1,"), dir);
  CHECK(e.message.find("non-negative integer") != std::string::npos);

  e = ParseError(Replace(good, "\"valid_for_days\": 7,", "\"valid_for_days\": 7, \"next_update\": 99,"), dir);
  CHECK(e.message.find("not both") != std::string::npos);

  e = ParseError(Replace(good, "log.wathiq.gov.kw+", "log.wathiq.gov.kw+zz"), dir);
  CHECK(e.message.find("create-log-key") != std::string::npos);

  e = ParseError(Replace(good, "paci-ds.pem", "missing.pem"), dir);
  CHECK(e.message.find("\"missing.pem\"") != std::string::npos);

  e = ParseError(Replace(good, "\"name_en\": \"Public", "\"name_en\": 7, \"x\": \"Public"), dir);
  CHECK(e.code == Errc::kMalformed);

  e = ParseError(std::string(100, '[') + std::string(100, ']'), dir);
  CHECK(e.code == Errc::kLimit);
  e = ParseError("{\"sequence\": 1", dir);
  CHECK(e.code == Errc::kMalformed);
  e = ParseError("[]", dir);
  CHECK(e.code == Errc::kMalformed);
}
