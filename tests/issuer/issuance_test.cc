// Issuance from agency records (issuer component): the catalogue's rules, the QR-only profile, batches.
#include "wathiq/issuer/issuance.h"
#include "support/pki_fixture.h"
#include "test_util.h"

using namespace wathiq;
using namespace wathiq::test;

namespace {

constexpr const char* kRecord = R"({"civil_id_number": "290010112346", "card_serial": "KW1234567",
  "full_name_ar": "محمد عبدالله العلي", "full_name_en": "Mohammad Abdullah Al-Ali", "birth_date": "1990-01-01",
  "sex": 1, "nationality": "KW", "issue_date": "2025-06-01", "expiry_date": "2030-05-31"})";

struct Desk {
  TestPki pki = MustMakeTestPki();
  std::unique_ptr<Signer> device = std::move(*GenerateSoftwareSigner(Alg::kES256));
  mdoc::DocumentSigner issuer =
      std::move(*mdoc::DocumentSigner::Create(pki.agency("paci").ds_key, pki.agency("paci").ds_cert.der()));

  issuer::RecordRequest Request(std::string record = kRecord) {
    issuer::RecordRequest r;
    r.doc_type = "kw.gov.paci.civil_id.1";
    r.claims_json = std::move(record);
    r.device_key = *device->public_key();
    r.validity = {pki.now, pki.now, pki.now + 365 * kDay};
    r.status = mdoc::StatusRef{pki.agency("paci").status_list_uri, 41};
    return r;
  }
  mdoc::DocumentReport Verify(const Bytes& credential) {
    auto parsed = mdoc::ParseIssuerSigned(credential);
    REQUIRE(parsed);
    return mdoc::DocumentVerifier(*pki.trust_list).VerifyIssuerSigned(*parsed, {.now = pki.now});
  }
};

}  // namespace

TEST_CASE("a record becomes a verified credential, Arabic intact, age derived on the signing date", "[issuer]") {
  Desk d;
  auto issued = issuer::IssueRecord(mdoc::Catalogue::Default(), d.issuer, d.Request());
  REQUIRE(issued);
  auto r = d.Verify(issued->issuer_signed);
  REQUIRE(r.ok());
  CHECK(r.document->Find("full_name_ar")->value.text() == "محمد عبدالله العلي");
  CHECK(r.document->Find("age_over_18")->value.boolean());
  CHECK(r.document->status()->idx == 41);
  CHECK(issued->element_ids.size() == r.document->elements().size());
  CHECK(std::find(issued->element_ids.begin(), issued->element_ids.end(), "age_over_21") != issued->element_ids.end());
}

TEST_CASE("only_profile signs just that profile's elements", "[issuer]") {
  Desk d;
  auto req = d.Request();
  req.only_profile = "checkpoint_identity";
  auto issued = issuer::IssueRecord(mdoc::Catalogue::Default(), d.issuer, req);
  REQUIRE(issued);
  auto profile = mdoc::Catalogue::Default().Find("kw.gov.paci.civil_id.1")->Profile("checkpoint_identity");
  REQUIRE(profile);
  CHECK(issued->element_ids.size() == profile->size());
  auto r = d.Verify(issued->issuer_signed);
  REQUIRE(r.ok());
  CHECK(r.document->elements().size() == profile->size());
  CHECK_FALSE(r.document->Find("card_serial"));

  req.only_profile = "no_such_profile";
  CHECK_FALSE(issuer::IssueRecord(mdoc::Catalogue::Default(), d.issuer, req));
}

TEST_CASE("a batch issues every good record and names what is wrong with each bad one", "[issuer][negative]") {
  Desk d;
  std::vector<issuer::RecordRequest> batch = {d.Request(), d.Request(R"({"full_name_en": "X"})"), d.Request(),
                                              d.Request("not json"), d.Request()};
  batch[2].doc_type = "kw.gov.nowhere.1";
  auto results = issuer::IssueBatch(mdoc::Catalogue::Default(), d.issuer, batch);
  REQUIRE(results.size() == 5);
  CHECK(results[0]);
  REQUIRE_FALSE(results[1]);
  CHECK_THAT(results[1].error().message, Catch::Contains("civil_id_number"));
  REQUIRE_FALSE(results[2]);
  CHECK_THAT(results[2].error().message, Catch::Contains("kw.gov.nowhere.1"));
  CHECK_FALSE(results[3]);
  REQUIRE(results[4]);
  CHECK(d.Verify(results[4]->issuer_signed).ok());
  CHECK(results[0]->issuer_signed != results[4]->issuer_signed);  // fresh salts every time
}
