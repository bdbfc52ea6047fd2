// Interop both ways with independent implementations (pinned npm peers and a Python encoder written only
// from the profile text): what we issue verifies there, what they issue verifies here, and a credential
// from a root the other side does not trust is refused on both sides.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

// Each peer run is bounded, so that a hang is a named failure (rc 124) rather than the test's timeout.
ShellRun Sh(const std::string& cmd) { return RunShell("timeout -k 5 120 " + cmd); }

std::string Node() { return std::string(WATHIQ_NODE) + " " + WATHIQ_INTEROP_DIR + "/"; }


void WriteFile(const std::string& path, ByteView b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(f.good());
}
void WriteFile(const std::string& path, const std::string& s) { WriteFile(path, AsBytes(s)); }

Bytes ReadBytes(const std::string& path) {
  std::string s = ReadFile(path);
  return Bytes(s.begin(), s.end());
}

// Our civil ID, presented with x5chain kept, as an ISO DeviceResponse over the WQ1 session transcript.
void WriteOurResponse(const TestPki& pki, const TempDir& dir, int64_t presented_at) {
  auto cred = IssueCivilId(pki);
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  Bytes transcript = mdoc::qr::SessionTranscript(presented_at, std::nullopt);
  mdoc::PresentedDocument doc{&*parsed, kCivilIdDocType, {"civil_id_number", "full_name_ar", "full_name_en", "birth_date"},
                              cred.device_key.get()};
  auto resp = mdoc::BuildDeviceResponse({doc}, transcript);
  REQUIRE(resp);
  WriteFile(dir / "response.cbor", cbor::Encode(*resp));
  WriteFile(dir / "transcript.cbor", transcript);
  WriteFile(dir / "root.pem", pki.root_cert.ToPem());
}

// A foreign DS certificate, validated against the foreign IACA we choose to pin, as trust anchors.
keys::StaticTrustAnchors ForeignAnchors(const std::string& dir, int64_t now, bool* chain_ok) {
  auto root = keys::Certificate::FromDer(ReadBytes(dir + "/iaca.der"));
  auto ds = keys::Certificate::FromDer(ReadBytes(dir + "/ds.der"));
  REQUIRE(root);
  REQUIRE(ds);
  auto valid = keys::ValidateCertificate(*ds, keys::CertRole::kDocumentSigner, *root, now);
  if (!valid) UNSCOPED_INFO("foreign DS chain: " << valid.error().message);
  *chain_ok = valid.has_value();
  keys::StaticTrustAnchors anchors;
  auto signer = keys::TrustedSignerFromCertificate(ds->der(), keys::SignerRole::kDocumentSigner, "foreign",
                                                   {"org.iso.18013.5.1.mDL"});
  REQUIRE(signer);
  anchors.Add(std::move(*signer));
  return anchors;
}

}  // namespace

TEST_CASE("our credentials verify in @auth0/mdl and @owf/mdoc - under another IACA they are refused", "[interop]") {
  auto pki = MustMakeTestPki({.now = std::time(nullptr), .sequence = 1, .agencies = {}});
  TempDir dir("interop");
  WriteOurResponse(pki, dir, pki.now);
  for (const char* lib : {"auth0", "owf"}) {
    INFO(lib);
    auto ok = Sh(Node() + "mdoc_verify.mjs --lib " + lib + " --iaca " + (dir / "root.pem") + " --response " +
                 (dir / "response.cbor") + " --transcript " + (dir / "transcript.cbor"));
    INFO(ok.text);
    CHECK(ok.rc == 0);
    CHECK(ok.text.find("\"ok\":true") != std::string::npos);
    CHECK(ok.text.find("Mohammad Abdullah Al-Ali") != std::string::npos);
    CHECK(ok.text.find("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf") != std::string::npos);  // Arabic intact
  }
  // Pinning a root we did not issue under: both refuse.
  auto other = Sh(Node() + "mdoc_issue.mjs --iaca-out --out " + (dir / "other"));
  REQUIRE(other.rc == 0);
  for (const char* lib : {"auth0", "owf"}) {
    INFO(lib);
    auto refused = Sh(Node() + "mdoc_verify.mjs --lib " + lib + " --iaca " + (dir / "other/iaca.pem") + " --response " +
                      (dir / "response.cbor") + " --transcript " + (dir / "transcript.cbor"));
    INFO(refused.text);
    CHECK(refused.rc == 1);
  }
}

TEST_CASE("credentials and DeviceResponses from @auth0/mdl and @owf/mdoc verify in ours", "[interop]") {
  for (const char* lib : {"auth0", "owf"}) {
    INFO(lib);
    TempDir dir("interop");
    auto issued = Sh(Node() + "mdoc_issue.mjs --lib " + lib + " --out " + dir.path().string());
    INFO(issued.text);
    REQUIRE(issued.rc == 0);
    int64_t now = std::time(nullptr);
    bool chain_ok = false;
    auto anchors = ForeignAnchors(dir.path().string(), now, &chain_ok);
    CHECK(chain_ok);

    auto docs = mdoc::ParseDeviceResponse(ReadBytes(dir / "device_response.cbor"));
    REQUIRE(docs);
    REQUIRE(docs->size() == 1);
    mdoc::DocumentVerifier verifier(anchors);
    mdoc::DeviceAuthContext ctx{ReadBytes(dir / "session_transcript.cbor"), std::nullopt};
    auto r = verifier.VerifyDocument(docs->front(), ctx, {.now = now});
    for (const auto& f : r.failures) UNSCOPED_INFO(mdoc::ReasonCode(f.reason) << ": " << f.detail);
    REQUIRE(r.ok());
    CHECK(r.document->device_authenticated());
    CHECK(r.document->doc_type() == "org.iso.18013.5.1.mDL");
    CHECK(r.document->elements().size() == 8);
    CHECK(r.document->Find("birth_date")->value.is_tag());

    // Their IssuerSigned alone.
    auto is = mdoc::ParseIssuerSigned(ReadBytes(dir / "issuer_signed.cbor"));
    REQUIRE(is);
    CHECK(verifier.VerifyIssuerSigned(*is, {.now = now}).ok());

    // A root we do not trust: their DS does not chain to our national root, and is not in our trust list.
    auto pki = MustMakeTestPki({.now = now, .sequence = 1, .agencies = {}});
    auto ds = keys::Certificate::FromDer(ReadBytes(dir / "ds.der"));
    REQUIRE(ds);
    CHECK_FALSE(keys::ValidateCertificate(*ds, keys::CertRole::kDocumentSigner, pki.root_cert, now).has_value());
    auto refused = mdoc::DocumentVerifier(*pki.trust_list).VerifyDocument(docs->front(), ctx, {.now = now});
    CHECK(refused.Has(mdoc::Reason::kUnknownSigner));
  }
}

TEST_CASE("a WQ1 presentation from an independent encoder verifies - its tampered copies do not", "[interop][qr]") {
  auto pki = MustMakeTestPki({.now = std::time(nullptr), .sequence = 1, .agencies = {}});
  TempDir dir("interop");
  const auto& paci = pki.agency("paci");
  // Hand the Python encoder our DS key and certificate; it writes everything else itself.
  auto secret = ExportSoftwareSecretForSealing(*paci.ds_key.inner());  // test-only: the peer signs as our DS
  REQUIRE(secret);
  WriteFile(dir / "ds.der", paci.ds_cert.der());
  auto keygen = Sh(std::string(WATHIQ_PYTHON3) + " -c \"import sys;from cryptography.hazmat.primitives.asymmetric import ec;"
                   "from cryptography.hazmat.primitives import serialization as s;"
                   "k=ec.derive_private_key(int('" + ToHex(*secret) + "',16), ec.SECP256R1());"
                   "open('" + (dir / "ds_key.pem") + "','wb').write(k.private_bytes(s.Encoding.PEM,s.PrivateFormat.PKCS8,s.NoEncryption()));"
                   "d=ec.generate_private_key(ec.SECP256R1());"
                   "open('" + (dir / "device_key.pem") + "','wb').write(d.private_bytes(s.Encoding.PEM,s.PrivateFormat.PKCS8,s.NoEncryption()))\"");
  SecureWipe(*secret);
  REQUIRE(keygen.rc == 0);
  WriteFile(dir / "claims.json", std::string(R"({"civil_id_number":"290010112346","full_name_ar":"محمد عبدالله العلي",)"
                                             R"("full_name_en":"Mohammad Abdullah Al-Ali","birth_date":"1990-01-01",)"
                                             R"("nationality":"KW","expiry_date":"2030-05-31"})"));
  auto encode = [&](const std::string& extra) {
    return Sh(std::string(WATHIQ_PYTHON3) + " " + WATHIQ_INTEROP_DIR + "/wq1_encoder.py --issuer-key " + (dir / "ds_key.pem") +
              " --issuer-cert " + (dir / "ds.der") + " --device-key " + (dir / "device_key.pem") +
              " --doctype kw.gov.paci.civil_id.1 --namespace kw.gov.paci.civil_id.1 --claims " + (dir / "claims.json") +
              " --disclose civil_id_number,full_name_ar,birth_date --presented-at " + std::to_string(pki.now) +
              " --status-uri " + paci.status_list_uri + " --status-idx 42 --valid-from " + mdoc::FormatTdate(pki.now - 3600) +
              " --signed " + mdoc::FormatTdate(pki.now - 3600) + " " + extra);
  };
  auto good = encode("");
  INFO(good.text);
  REQUIRE(good.rc == 0);
  std::string text = good.text.substr(0, good.text.find_first_of("\r\n"));
  verifier::Policy policy;
  policy.now = pki.now;
  class Valid : public verifier::StatusLookup {
   public:
    verifier::StatusAnswer Lookup(const mdoc::StatusRef& ref, int64_t) const override {
      return {ref.idx == 42 ? verifier::StatusValue::kValid : verifier::StatusValue::kUnknown, ""};
    }
  } status;
  verifier::MemoryState state;
  auto result = verifier::VerifyPresentation(text, *pki.trust_list, &status, state, policy);
  REQUIRE(result);
  const verifier::Report& r = *result;
  for (const auto& f : r.failures) UNSCOPED_INFO(mdoc::ReasonCode(f.reason) << ": " << f.detail);
  REQUIRE(r.verdict == verifier::Verdict::kValid);
  CHECK(r.documents.front().Find("full_name_ar")->value.text() == "محمد عبدالله العلي");

  const std::pair<const char*, mdoc::Reason> tampered[] = {
      {"value", mdoc::Reason::kBadDigest},
      {"digest", mdoc::Reason::kBadDigest},  // a salt bit flipped: the item no longer matches its digest
      {"device_sig", mdoc::Reason::kBadDeviceSignature},
      {"issuer_sig", mdoc::Reason::kBadIssuerSignature},
      {"doctype", mdoc::Reason::kMalformed},
  };
  for (const auto& [kind, reason] : tampered) {
    INFO(kind);
    auto bad = encode(std::string("--tamper ") + kind);
    REQUIRE(bad.rc == 0);
    verifier::MemoryState fresh;
    auto rr_result = verifier::VerifyPresentation(bad.text.substr(0, bad.text.find_first_of("\r\n")), *pki.trust_list,
                                                  &status, fresh, policy);
    REQUIRE(rr_result);
    const verifier::Report& rr = *rr_result;
    for (const auto& f : rr.failures) UNSCOPED_INFO(mdoc::ReasonCode(f.reason) << ": " << f.detail);
    CHECK(rr.verdict == verifier::Verdict::kInvalid);
    CHECK(rr.Has(reason));
  }
}
