// Credential and QR figures (issues 4 and 5):
//  - issuance rate of 12-element civil IDs on one core beside raw ES256 signing (target >= 0.7), size;
//  - WQ1 text -> verdict for the six-element checkpoint_identity profile beside the two raw signature
//    verifications it contains (issuer key pre-loaded, device key imported from its COSE_Key) (>= 0.8);
//  - presentation size and QR version at ECC M for 3 elements, checkpoint_identity and all elements.
#include <openssl/evp.h>

#include <cstdio>

#include "bench_util.h"
#include "wathiq/core/secure_buffer.h"
#include "support/pki_fixture.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/status_store.h"
#include "wathiq/verifier/verifier.h"
#include "support/status_fixture.h"
#include "wathiq/wallet/qr_render.h"

using namespace wathiq;

namespace {

constexpr const char* kDocType = "kw.gov.paci.civil_id.1";

std::vector<mdoc::ElementValue> TwelveElements(const mdoc::Catalogue& catalogue) {
  const char* record = R"({
    "civil_id_number": "290010112346", "card_serial": "KW1234567",
    "full_name_ar": "محمد عبدالله العلي", "full_name_en": "Mohammad Abdullah Al-Ali",
    "birth_date": "1990-01-01", "sex": 1, "nationality": "KW",
    "address_governorate": "KW-HA", "issue_date": "2025-06-01", "expiry_date": "2030-05-31"
    })";
  const mdoc::DocTypeSpec* spec = catalogue.Find(kDocType);
  if (!spec) std::abort();
  auto elements = mdoc::ValidateRecord(*spec, record, mdoc::Date{2026, 1, 1});
  if (!elements) {
    std::fprintf(stderr, "record: %s\n", elements.error().message.c_str());
    std::abort();
  }
  return *elements;
}

// Signs nothing: returns a fixed signature, so that issuance without it shows what the format work costs.
class FixedSigner : public Signer {
 public:
  explicit FixedSigner(const Signer& real) : real_(real) {}
  Alg alg() const override { return real_.alg(); }
  Curve curve() const override { return real_.curve(); }
  Result<Bytes> Sign(ByteView) const override { return Bytes(64, 1); }
  Result<PublicKey> public_key() const override { return real_.public_key(); }

 private:
  const Signer& real_;
};

// The bench verifies one presentation many times; a real state would (rightly) call every repeat a replay.
// This one remembers nothing, so each round does the whole verification and ends valid.
class ForgetfulState : public verifier::VerifierState {
 public:
  Status RecordChallenge(const verifier::ChallengeRecord&) override { return Ok(); }
  Result<std::optional<verifier::ChallengeRecord>> FindChallenge(ByteView) override { return std::nullopt; }
  Result<bool> MarkChallengeAnswered(ByteView, int64_t) override { return true; }
  Result<bool> MarkAccepted(ByteView, int64_t, int64_t) override { return true; }
};

}  // namespace

int main() {
  auto pki = test::MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  auto device = GenerateSoftwareSigner(Alg::kES256);
  auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
  if (!device || !issuer) std::abort();
  auto elements = TwelveElements(mdoc::Catalogue::Default());
  mdoc::IssueRequest req;
  req.doc_type = kDocType;
  req.name_space = kDocType;
  req.elements = elements;
  req.device_key = *(*device)->public_key();
  req.validity = {pki.now - 60, pki.now - 60, pki.now + 365 * test::kDay};
  req.status = mdoc::StatusRef{paci.status_list_uri, 93731};

  std::printf("Wathiq credential and QR benchmark (one core; compare ratios, the machine is noisy)\n\n");
  std::printf("Issuance (%zu-element civil ID, software ES256 signer):\n", elements.size());
  Bytes credential = *issuer->Issue(req);
  // Raw ES256 signing of a message of the MSO's size with OpenSSL: key generated in OpenSSL, fetched digest.
  EVP_PKEY* raw_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Bytes msg = RandomBytes(900);
  unsigned char sig[80];
  auto [issue_rate, raw_sign] = bench::RatePair(
      [&] {
        if (!issuer->Issue(req)) std::abort();
      },
      [&] {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        size_t len = sizeof sig;
        if (EVP_DigestSignInit(ctx, nullptr, sha256, nullptr, raw_key) != 1 ||
            EVP_DigestSign(ctx, sig, &len, msg.data(), msg.size()) != 1) {
          std::abort();
        }
        EVP_MD_CTX_free(ctx);
      });
  double core_sign = bench::Rate([&] {
    if (!paci.ds_key.Sign(msg)) std::abort();
  });
  FixedSigner fixed(paci.ds_key);
  auto unsigned_issuer = mdoc::DocumentSigner::Create(fixed, paci.ds_cert.der());
  double format_only = bench::Rate([&] {
    if (!unsigned_issuer->Issue(req)) std::abort();
  });
  EVP_MD_free(sha256);
  EVP_PKEY_free(raw_key);
  bench::Row("issue civil ID (items, salts, digests, MSO, COSE_Sign1)", issue_rate);
  bench::Row("raw ES256 sign (OpenSSL EVP_DigestSign, 900 bytes)", raw_sign);
  bench::Row("the issuer's signer alone (core ES256 over OpenSSL, 900 bytes)", core_sign);
  char each[32];
  std::snprintf(each, sizeof each, "%.1f us each", 1e6 / format_only);
  bench::Row("issuance with a fixed signature (the format work alone)", format_only, each);
  bench::Ratio("ratio issuance / raw signing", issue_rate, raw_sign, 0.7);
  std::printf("  credential size (IssuerSigned with x5chain): %zu bytes\n", credential.size());

  std::printf("\nWQ1 verification (checkpoint_identity, a signed status-list token loaded):\n");
  auto parsed = mdoc::ParseIssuerSigned(credential);
  const mdoc::DocTypeSpec* spec = mdoc::Catalogue::Default().Find(kDocType);
  auto profile = spec->Profile("checkpoint_identity");
  mdoc::qr::PresentationRequest pr{&*parsed, kDocType, *profile, device->get(), pki.now, std::nullopt};
  auto presentation = mdoc::qr::BuildPresentation(pr);
  if (!presentation) std::abort();
  auto root = keys::Certificate::FromDer(pki.root_cert.der());
  auto officer = verifier::Verifier::Open(pki.trust_list_bytes, *root, {}, pki.now, std::make_shared<ForgetfulState>());
  if (!officer) std::abort();
  // A real signed status-list token for PACI's list (131,072 entries), verified and held by the status store.
  auto status = std::make_shared<verifier::StatusStore>(officer->shared_trust_list());
  auto token = test::MustSignStatusToken(paci, test::MustStatusList(), paci.status_list_uri, pki.now - 60);
  if (!status->AddToken(token, pki.now)) std::abort();
  officer->set_status(status);
  verifier::Policy policy;
  policy.now = pki.now;
  auto check = officer->Verify(presentation->text, policy);
  if (!check || check->verdict != verifier::Verdict::kValid) {
    std::fprintf(stderr, "presentation did not verify\n");
    return 1;
  }
  // The two raw verifications inside it.
  auto env = mdoc::qr::ParseEnvelope(presentation->text);
  const auto& doc = env->documents.front();
  const auto& auth = doc.issuer_signed.issuer_auth;
  Bytes issuer_tbs = cose::SigStructure(auth.protected_bytes, {}, *auth.payload);
  const auto* signer = pki.trust_list->FindByKid(*auth.kid(), keys::SignerRole::kDocumentSigner).front();
  Bytes transcript = mdoc::qr::SessionTranscript(pki.now, std::nullopt);
  Bytes device_tbs = cose::SigStructure(doc.device_signature->protected_bytes, {},
                                        mdoc::DeviceAuthenticationBytes(transcript, kDocType, doc.device_name_spaces_bytes));
  cbor::Value cose_key = cose::CoseKeyFromPublicKey(*(*device)->public_key());
  auto [verify_rate, raw_two] = bench::RatePair(
      [&] {
        auto r = officer->Verify(presentation->text, policy);
        if (!r || r->verdict != verifier::Verdict::kValid) std::abort();
      },
      [&] {
        if (!signer->verifier->Verify(issuer_tbs, auth.signature)) std::abort();
        auto key = cose::PublicKeyFromCoseKey(cose_key);
        auto v = MakeVerifier(*key);
        if (!(*v)->Verify(device_tbs, doc.device_signature->signature)) std::abort();
      });
  bench::Row("WQ1 text -> verdict (the verifier object)", verify_rate);
  bench::Row("raw: issuer verify (key pre-loaded) + device verify (COSE_Key import)", raw_two);
  bench::Ratio("ratio verdict / raw verifications", verify_rate, raw_two, 0.8);
  // Where the rest goes: the envelope alone (Base45, zlib, CBOR, the DeviceResponse's structure).
  auto z = base45::Decode(presentation->text.substr(4));
  double env_rate = bench::Rate([&] {
    if (!mdoc::qr::ParseEnvelope(presentation->text)) std::abort();
  });
  double inflate_rate = bench::Rate([&] {
    if (!zlib::Inflate(*z, 1 << 20)) std::abort();
  });
  std::printf("  %-58s %9.1f us\n", "  of which: parse the envelope", 1e6 / env_rate);
  std::printf("  %-58s %9.1f us\n", "    of which: zlib inflate", 1e6 / inflate_rate);
  std::printf("  %-58s %9.1f us  (raw %.1f us)\n", "  one verdict", 1e6 / verify_rate, 1e6 / raw_two);

  std::printf("\nPresentation size and QR version (ECC M, alphanumeric):\n");
  std::printf("  %-28s %8s %8s %10s %8s\n", "disclosed", "CBOR", "zlib", "Base45+4", "version");
  std::vector<std::pair<std::string, std::vector<std::string>>> sets = {
      {"3 elements", {"civil_id_number", "full_name_ar", "birth_date"}},
      {"checkpoint_identity (6)", *profile},
  };
  std::vector<std::string> all;
  for (const auto& e : elements) all.push_back(e.id);
  sets.push_back({"all " + std::to_string(all.size()) + " elements", all});
  for (const auto& [name, ids] : sets) {
    mdoc::qr::PresentationRequest r{&*parsed, kDocType, ids, device->get(), pki.now, std::nullopt};
    auto p = mdoc::qr::BuildPresentation(r);
    if (!p) std::abort();
    std::printf("  %-28s %8zu %8zu %10zu %8d\n", name.c_str(), p->cbor_bytes, p->zlib_bytes, p->text.size(),
                wallet::MinVersionFor(p->text.size(), 'M'));
  }
  // Credentials issued for QR use, still ordinary ISO 18013-5 mdocs of the same docType and device key:
  // only the checkpoint_identity elements signed (six digests in the MSO instead of twelve), and/or
  // short-lived (3 days) with no status reference, which the verifier accepts without a status list.
  auto variant = [&](const char* name, bool only_profile, bool short_lived, const Signer& dk) {
    mdoc::IssueRequest v = req;
    v.device_key = *dk.public_key();
    if (only_profile) {
      v.elements.clear();
      for (const auto& e : elements) {
        if (std::find(profile->begin(), profile->end(), e.id) != profile->end()) v.elements.push_back(e);
      }
      v.status = mdoc::StatusRef{paci.status_list_uri, 93731};
    }
    if (short_lived) {
      v.status.reset();
      v.validity.valid_until = v.validity.valid_from + 3 * test::kDay;
    }
    auto vbytes = issuer->Issue(v);
    auto vparsed = mdoc::ParseIssuerSigned(*vbytes);
    mdoc::qr::PresentationRequest r{&*vparsed, kDocType, *profile, &dk, pki.now, std::nullopt};
    auto p = mdoc::qr::BuildPresentation(r);
    if (!p) std::abort();
    auto report = officer->Verify(p->text, policy);
    std::printf("  %-28s %8zu %8zu %10zu %8d  %s\n", name, p->cbor_bytes, p->zlib_bytes, p->text.size(),
                wallet::MinVersionFor(p->text.size(), 'M'), report ? std::string(verifier::VerdictName(report->verdict)).c_str() : report.error().message.c_str());
  };
  std::printf("  checkpoint_identity from a credential issued for the QR:\n");
  variant("6 of 12, 3 days, no status", false, true, **device);
  variant("6 of 6, status list", true, false, **device);
  variant("6 of 6, 3 days, no status", true, true, **device);
  auto ed_device = GenerateSoftwareSigner(Alg::kEdDSA);
  variant("6 of 6, 3 days, Ed25519 key", true, true, **ed_device);
  std::printf("  (target: checkpoint_identity at version 27 or lower, at most 1,637 characters)\n");
  return 0;
}
