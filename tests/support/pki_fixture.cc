#include "support/pki_fixture.h"

#include <cstdio>
#include <cstdlib>

#include "wathiq/keys/trust.h"

namespace wathiq::test {

std::vector<AgencySpec> DefaultAgencies() {
  return {
      {"paci", "الهيئة العامة للمعلومات المدنية", "Public Authority for Civil Information", {"kw.gov.paci.civil_id.1"},
       Alg::kES256},
      {"moi-traffic", "الإدارة العامة للمرور", "General Traffic Department", {"org.iso.18013.5.1.mDL"}, Alg::kES256},
  };
}

Result<std::string> NoteVerifierKey(std::string_view name, const PublicKey& key) {
  return keys::NoteVerifierKey(name, key);
}

const TestAgency& TestPki::agency(std::string_view id) const {
  for (const auto& a : agencies) {
    if (a.id == id) return a;
  }
  std::fprintf(stderr, "TestPki: no agency '%.*s'\n", static_cast<int>(id.size()), id.data());
  std::abort();
}

Result<keys::Certificate> TestPki::Issue(keys::CertRole role, const PublicKey& key, const std::string& cn,
                                         int64_t not_before, int64_t not_after) const {
  keys::CertificateRequest r;
  r.role = role;
  r.subject = {"KW", "", "Wathiq Test", "", cn};
  r.subject_key = key;
  r.not_before = not_before;
  r.not_after = not_after;
  r.issuer_alt_name_uri = "https://pki.wathiq.example";
  return keys::IssueCertificate(root_key, root_cert, r);
}

Result<Bytes> TestPki::Sign(const keys::TrustListContent& c) const { return keys::SignTrustList(c, tl_key, tl_cert); }

keys::TrustListPolicy TestPki::Policy() const {
  keys::TrustListPolicy p;
  p.now = now;
  return p;
}

Result<TestPki> MakeTestPki(const PkiOptions& options) {
  TestPki pki;
  pki.now = options.now;
  const int64_t nb = options.now - kDay;
  WQ_ASSIGN(pki.root_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "test-root"));
  keys::CertificateRequest rr;
  rr.role = keys::CertRole::kRoot;
  rr.subject = {"KW", "", "Wathiq Test", "", "Wathiq Test National Root"};
  rr.subject_key = pki.root_key.cached_public_key();
  rr.not_before = nb;
  rr.not_after = options.now + 10 * 365 * kDay;
  rr.issuer_alt_name_uri = "https://pki.wathiq.example";
  WQ_ASSIGN(pki.root_cert, keys::CreateRootCertificate(pki.root_key, rr));

  WQ_ASSIGN(pki.tl_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "test-trust-list"));
  WQ_ASSIGN(pki.tl_cert, pki.Issue(keys::CertRole::kTrustListSigner, pki.tl_key.cached_public_key(),
                                   "Wathiq Test Trust List Signer", nb, options.now + 2 * 365 * kDay));

  WQ_ASSIGN(pki.log_key, keys::KeyHandle::GenerateSoftware(Alg::kEdDSA, "test-log"));
  pki.log_origin = "wathiq.example/log";
  WQ_ASSIGN(pki.log_verifier_key, NoteVerifierKey("wathiq.example/log", pki.log_key.cached_public_key()));

  pki.content.sequence = options.sequence;
  pki.content.issued_at = options.now - 60;
  pki.content.next_update = options.now + 7 * kDay;
  pki.content.log = {pki.log_origin, pki.log_verifier_key};
  const auto specs = options.agencies.empty() ? DefaultAgencies() : options.agencies;
  for (const auto& s : specs) {
    TestAgency a;
    a.id = s.id;
    a.name_ar = s.name_ar;
    a.name_en = s.name_en;
    a.doc_types = s.doc_types;
    WQ_ASSIGN(a.ds_key, keys::KeyHandle::GenerateSoftware(s.ds_alg, s.id + "-ds"));
    WQ_ASSIGN(a.ds_cert, pki.Issue(keys::CertRole::kDocumentSigner, a.ds_key.cached_public_key(), s.name_en + " DS",
                                   nb, options.now + 365 * kDay));
    WQ_ASSIGN(a.status_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, s.id + "-status"));
    WQ_ASSIGN(a.status_cert, pki.Issue(keys::CertRole::kStatusListSigner, a.status_key.cached_public_key(),
                                       s.name_en + " Status Lists", nb, options.now + 365 * kDay));
    a.status_prefix = "https://status." + s.id + ".example/lists";
    a.aggregation_uri = a.status_prefix;
    a.status_list_uri = a.status_prefix + "/1";
    keys::AgencyEntry e;
    e.id = a.id;
    e.name_ar = a.name_ar;
    e.name_en = a.name_en;
    e.doc_types = a.doc_types;
    e.document_signer_certs = {a.ds_cert.der()};
    e.status_list_signer_certs = {a.status_cert.der()};
    e.status_prefixes = {a.status_prefix};
    e.aggregation_uri = a.aggregation_uri;
    pki.content.agencies.push_back(std::move(e));
    pki.agencies.push_back(std::move(a));
  }
  WQ_ASSIGN(pki.trust_list_bytes, pki.Sign(pki.content));
  auto loaded = keys::TrustList::Load(pki.trust_list_bytes, pki.root_cert, pki.Policy());
  if (!loaded) return Fail(loaded.error());
  pki.trust_list = std::move(*loaded);
  return pki;
}

TestPki MustMakeTestPki(const PkiOptions& options) {
  auto pki = MakeTestPki(options);
  if (!pki) {
    std::fprintf(stderr, "MustMakeTestPki: %s\n", pki.error().ToString().c_str());
    std::abort();
  }
  return std::move(*pki);
}

}  // namespace wathiq::test
