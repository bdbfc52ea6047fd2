// Test support: a complete in-memory national PKI and a signed, loaded trust list, for any component's tests.
//
//   auto pki = wathiq::test::MustMakeTestPki();                 // root, trust-list signer, 2 agencies
//   const auto& civil = pki.agency("paci");                       // its DS key + cert, status key + cert
//   cose::SignSign1(civil.ds_key, payload, ...);                  // KeyHandle is a wathiq::Signer
//   pki.trust_list->FindByKid(kid, keys::SignerRole::kDocumentSigner);   // keys::TrustAnchors
//
// Everything is generated fresh per call with software keys (ES256 unless AgencySpec says EdDSA), against
// a fixed clock `now` (default kPkiNow): certificates are valid from now-1d, DS/status certs for 1 year,
// the trust list was issued at now-60s and needs an update at now+7d. Tests pass pki.now (or a time they
// derive from it) to whatever they verify; nothing reads the real clock.
// For negative tests: Issue() makes more certificates under the same root (expired, not yet valid, other
// role) and Sign() re-signs an edited TrustListContent with the real trust-list signer.
// Not thread-safe to build; the result is plain data and may be shared read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"

namespace wathiq::test {

inline constexpr int64_t kPkiNow = 1767225600;  // 2026-01-01T00:00:00Z
inline constexpr int64_t kDay = 86400;

struct AgencySpec {
  std::string id;
  std::string name_ar;
  std::string name_en;
  std::vector<std::string> doc_types;
  Alg ds_alg = Alg::kES256;  // the document signer's algorithm (ES256 or EdDSA)
};

// paci: "الهيئة العامة للمعلومات المدنية" / Public Authority for Civil Information, kw.gov.paci.civil_id.1;
// moi-traffic: mDL doctype org.iso.18013.5.1.mDL.
std::vector<AgencySpec> DefaultAgencies();

struct PkiOptions {
  int64_t now = kPkiNow;
  uint64_t sequence = 1;
  std::vector<AgencySpec> agencies;  // empty: DefaultAgencies()
};

struct TestAgency {
  std::string id;
  std::string name_ar;
  std::string name_en;
  std::vector<std::string> doc_types;
  keys::KeyHandle ds_key;
  keys::Certificate ds_cert;
  keys::KeyHandle status_key;
  keys::Certificate status_cert;
  std::string status_prefix;     // https://status.<id>.example/lists: the agency's status-URI prefix
  std::string status_list_uri;   // https://status.<id>.example/lists/1 (under the prefix)
  std::string aggregation_uri;   // https://status.<id>.example/lists
};

struct TestPki {
  int64_t now = 0;
  keys::KeyHandle root_key;
  keys::Certificate root_cert;
  keys::KeyHandle tl_key;
  keys::Certificate tl_cert;
  keys::KeyHandle log_key;        // Ed25519 key of the transparency log
  std::string log_origin;
  std::string log_verifier_key;   // C2SP signed-note verifier key for log_key
  std::vector<TestAgency> agencies;
  keys::TrustListContent content;
  Bytes trust_list_bytes;         // COSE_Sign1, as published
  std::shared_ptr<const keys::TrustList> trust_list;  // loaded with Policy()

  // Aborts if there is no agency `id` (a test bug).
  const TestAgency& agency(std::string_view id) const;
  // A certificate for `key` under this root, with `role` and the given validity.
  Result<keys::Certificate> Issue(keys::CertRole role, const PublicKey& key, const std::string& common_name,
                                  int64_t not_before, int64_t not_after) const;
  // Signs `c` with the trust-list signer (for edited lists: rotation, rollback, extra agencies).
  Result<Bytes> Sign(const keys::TrustListContent& c) const;
  // now = this->now, min_sequence = 0, no staleness allowance.
  keys::TrustListPolicy Policy() const;
};

Result<TestPki> MakeTestPki(const PkiOptions& options = {});
// As MakeTestPki, printing the error and aborting on failure.
TestPki MustMakeTestPki(const PkiOptions& options = {});

// C2SP signed-note verifier key (forwards to keys::NoteVerifierKey in trust.h).
Result<std::string> NoteVerifierKey(std::string_view name, const PublicKey& ed25519_key);

}  // namespace wathiq::test
