// Shared by the credential fuzz targets: one fixed national PKI built once per process, and one credential
// of it, so that fuzzed inputs can reach every check after the parsers.
#pragma once

#include <cstdlib>

#include "support/pki_fixture.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::fuzz {

struct World {
  test::TestPki pki = test::MustMakeTestPki();
  std::unique_ptr<Signer> device;
  Bytes credential;
  World() {
    auto d = GenerateSoftwareSigner(Alg::kES256);
    const auto& paci = pki.agency("paci");
    auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
    if (!d || !issuer) std::abort();
    device = std::move(*d);
    mdoc::IssueRequest r;
    r.doc_type = r.name_space = "kw.gov.paci.civil_id.1";
    r.elements = {{"civil_id_number", cbor::Value::Text("290010112346")},
                  {"full_name_en", cbor::Value::Text("Mohammad Abdullah Al-Ali")},
                  {"birth_date", cbor::Value::Tag(cbor::kTagFullDate, cbor::Value::Text("1990-01-01"))}};
    r.device_key = *device->public_key();
    r.validity = {pki.now - 60, pki.now - 60, pki.now + 86400 * 365};
    r.status = mdoc::StatusRef{"https://status.paci.example/lists/1", 5};
    auto c = issuer->Issue(r);
    if (!c) std::abort();
    credential = std::move(*c);
  }
};

inline const World& GetWorld() {
  static const World* w = new World();
  return *w;
}

}  // namespace wathiq::fuzz
