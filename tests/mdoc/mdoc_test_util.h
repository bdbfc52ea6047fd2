// Shared fixtures for credential-format tests: a test PKI, a device key, and an issued civil ID.
#pragma once

#include <memory>

#include "support/pki_fixture.h"
#include "test_util.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::test {

inline constexpr const char* kCivilIdDocType = "kw.gov.paci.civil_id.1";

inline cbor::Value FullDate(const char* d) { return cbor::Value::Tag(cbor::kTagFullDate, cbor::Value::Text(d)); }

// Twelve civil ID elements as a PACI record would give them (the issuance benchmark's record).
inline std::vector<mdoc::ElementValue> CivilIdElements() {
  using V = cbor::Value;
  return {
      {"civil_id_number", V::Text("290010112346")},
      {"card_serial", V::Text("KW1234567")},
      {"full_name_ar",
       V::Text("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xb9\xd8\xa8\xd8\xaf\xd8\xa7\xd9\x84\xd9\x84\xd9\x87 "
               "\xd8\xa7\xd9\x84\xd8\xb9\xd9\x84\xd9\x8a")},  // محمد عبدالله العلي
      {"full_name_en", V::Text("Mohammad Abdullah Al-Ali")},
      {"birth_date", FullDate("1990-01-01")},
      {"sex", V::Uint(1)},
      {"nationality", V::Text("KW")},
      {"blood_type", V::Text("O+")},
      {"address_governorate", V::Text("KW-HA")},
      {"issue_date", FullDate("2025-06-01")},
      {"expiry_date", FullDate("2030-05-31")},
      {"age_over_18", V::Bool(true)},
  };
}

struct IssuedCredential {
  Bytes issuer_signed;
  std::unique_ptr<Signer> device_key;
};

inline mdoc::IssueRequest CivilIdRequest(const TestPki& pki, const PublicKey& device, std::string status_uri = "",
                                         uint64_t idx = 7) {
  mdoc::IssueRequest r;
  r.doc_type = kCivilIdDocType;
  r.name_space = kCivilIdDocType;
  r.elements = CivilIdElements();
  r.device_key = device;
  r.validity = {pki.now - 3600, pki.now - 3600, pki.now + 365 * kDay};
  r.status = mdoc::StatusRef{status_uri.empty() ? pki.agency("paci").status_list_uri : status_uri, idx};
  return r;
}

inline IssuedCredential IssueCivilId(const TestPki& pki, const std::function<void(mdoc::IssueRequest&)>& edit = {}) {
  IssuedCredential c;
  auto dk = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(dk);
  c.device_key = std::move(*dk);
  const auto& paci = pki.agency("paci");
  auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
  REQUIRE(issuer);
  auto req = CivilIdRequest(pki, *c.device_key->public_key());
  if (edit) edit(req);
  auto bytes = issuer->Issue(req);
  REQUIRE(bytes);
  c.issuer_signed = std::move(*bytes);
  return c;
}

}  // namespace wathiq::test
