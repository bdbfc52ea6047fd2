// `wathiq demo`: the end-to-end story for a new user, every step printed. A national root and the civil
// registry's signers are created, a trust list is signed and loaded, a civil ID is issued from a PACI
// record and bound to a fresh device key, a three-element QR is written as a PNG, decoded from the image
// and verified offline; then the same QR is shown stale ten minutes later, and a tampered copy refused.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "commands.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/issuer/issuance.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/status/token.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/verifier/report.h"
#include "wathiq/verifier/status_store.h"
#include "wathiq/verifier/verifier.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq::cli {
namespace {

namespace fs = std::filesystem;
namespace qr = mdoc::qr;
constexpr int64_t kDay = 86400;
constexpr const char* kDocType = "kw.gov.paci.civil_id.1";

// The civil registry's record for one resident (PACI), as the agency's system would hand it over.
constexpr const char* kRecord = R"({
  "civil_id_number": "290010112346",
  "card_serial": "KW1234567",
  "full_name_ar": "محمد عبدالله العلي",
  "full_name_en": "Mohammad Abdullah Al-Ali",
  "birth_date": "1990-01-01",
  "sex": 1,
  "nationality": "KW",
  "address_governorate": "KW-HA",
  "issue_date": "2025-06-01",
  "expiry_date": "2030-05-31"
})";

// The demo issuer's status list: two bits per credential (0 valid, 1 revoked, 2 suspended) in a list of
// 131,072 entries, indices drawn at random without reuse, published as a token signed by PACI's status-list
// signer. The verifier learns about a revocation only from a newer signed token.
struct DemoStatusList {
  std::string uri;
  status::StatusList list;
  std::set<uint64_t> used;
  uint64_t Allocate() {
    uint64_t idx;
    do {
      RandomBytes(reinterpret_cast<uint8_t*>(&idx), sizeof idx);
      idx %= list.size();
    } while (!used.insert(idx).second);
    return idx;
  }
  // A token issued at `iat`, valid for a day, refreshed hourly; the demo's audit log is still empty.
  Result<Bytes> Sign(const keys::KeyHandle& key, const keys::Certificate& cert, int64_t iat) const {
    status::StatusListClaims c;
    c.sub = uri;
    c.iat = static_cast<uint64_t>(iat);
    c.ttl = 3600;
    c.exp = c.iat + kDay;
    Bytes empty_root = Sha256(Bytes{});
    status::LogCheckpointRef cp{"log.wathiq.example/demo", 0, {}};
    std::copy(empty_root.begin(), empty_root.end(), cp.root.begin());
    c.log_checkpoint = cp;
    return status::SignStatusListToken(c, list, key, cert.kid());
  }
};

void Step(int n, const std::string& title) { std::printf("\n[%d] %s\n", n, title.c_str()); }
void Say(const std::string& s) { std::printf("    %s\n", s.c_str()); }

std::string Label(const mdoc::DocTypeSpec& spec, const std::string& id) {
  return verifier::ElementLabel(mdoc::Catalogue::Default(), spec.doc_type, id);
}

std::string Show(const cbor::Value& v) { return verifier::ElementValueText(v); }

// The officer's view, indented under the step.
void PrintReport(const verifier::Report& r) {
  std::string text = verifier::ReportText(r, mdoc::Catalogue::Default());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    Say(text.substr(start, end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
}

Status RunDemo(const std::string& out_dir) {
  const int64_t now = std::time(nullptr);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Fail(Errc::kIo, "cannot create " + out_dir + ": " + ec.message());
  chmod(out_dir.c_str(), 0700);
  std::printf("Wathiq end-to-end demo — output in %s/\n", out_dir.c_str());

  Step(1, "National PKI: an offline root (the IACA role), a trust-list signer, and the civil registry (PACI)");
  WQ_ASSIGN(keys::KeyHandle root_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "demo-root"));
  keys::CertificateRequest rr;
  rr.role = keys::CertRole::kRoot;
  rr.subject = {"KW", "", "State of Kuwait", "", "Wathiq Demo National Root"};
  rr.subject_key = root_key.cached_public_key();
  rr.not_before = now - kDay;
  rr.not_after = now + 10 * 365 * kDay;
  rr.issuer_alt_name_uri = "https://pki.wathiq.example";
  WQ_ASSIGN(keys::Certificate root, keys::CreateRootCertificate(root_key, rr));
  auto issue = [&](keys::CertRole role, const PublicKey& key, const std::string& cn, int64_t days) {
    keys::CertificateRequest r;
    r.role = role;
    r.subject = {"KW", "", "State of Kuwait", "", cn};
    r.subject_key = key;
    r.not_before = now - kDay;
    r.not_after = now + days * kDay;
    r.issuer_alt_name_uri = "https://pki.wathiq.example";
    return keys::IssueCertificate(root_key, root, r);
  };
  WQ_ASSIGN(keys::KeyHandle tl_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "demo-trust-list"));
  WQ_ASSIGN(keys::Certificate tl_cert, issue(keys::CertRole::kTrustListSigner, tl_key.cached_public_key(),
                                             "Wathiq Demo Trust List Signer", 730));
  WQ_ASSIGN(keys::KeyHandle ds_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "paci-ds"));
  WQ_ASSIGN(keys::Certificate ds_cert, issue(keys::CertRole::kDocumentSigner, ds_key.cached_public_key(),
                                             "PACI Document Signer 1", 365));
  WQ_ASSIGN(keys::KeyHandle sl_key, keys::KeyHandle::GenerateSoftware(Alg::kES256, "paci-status"));
  WQ_ASSIGN(keys::Certificate sl_cert, issue(keys::CertRole::kStatusListSigner, sl_key.cached_public_key(),
                                             "PACI Status List Signer 1", 365));
  // Keys live sealed at rest: Argon2id + XChaCha20-Poly1305, mode 0600.
  keys::SecretText passphrase = keys::SecretText::FromString(ToHex(RandomBytes(16)));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/demo-passphrase.txt", passphrase.view(), keys::WriteMode::kReplace));
  keys::SealOptions seal;
  seal.kdf = keys::KdfParams::Interactive();
  for (auto* k : {&root_key, &ds_key}) {
    std::string path = out_dir + "/" + k->label() + ".wqkey";
    fs::remove(path, ec);
    WQ_TRY(keys::WriteSealedKeyFile(path, *k, passphrase, seal));
  }
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/root.pem", AsBytes(root.ToPem()), keys::WriteMode::kReplace, 0644));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/paci-ds.pem", AsBytes(ds_cert.ToPem()), keys::WriteMode::kReplace, 0644));
  Say("root:            " + root.subject());
  Say("document signer: " + ds_cert.subject() + "  kid " + ToHex(ds_cert.kid()));
  Say("sealed keys:     root.wqkey, paci-ds.wqkey (passphrase in demo-passphrase.txt, 0600)");

  Step(2, "Trust list: PACI may issue " + std::string(kDocType) + "; signed, then loaded against the pinned root");
  const std::string status_prefix = "https://status.paci.gov.kw/lists";
  const std::string status_uri = status_prefix + "/1";
  keys::TrustListContent content;
  content.sequence = 1;
  content.issued_at = now - 60;
  content.next_update = now + 7 * kDay;
  WQ_ASSIGN(keys::KeyHandle log_key, keys::KeyHandle::GenerateSoftware(Alg::kEdDSA, "demo-log"));
  WQ_ASSIGN(std::string log_vkey, keys::NoteVerifierKey("log.wathiq.example", log_key.cached_public_key()));
  content.log = {"log.wathiq.example/demo", log_vkey};
  content.agencies.push_back({"paci", "الهيئة العامة للمعلومات المدنية", "Public Authority for Civil Information",
                              {kDocType}, {ds_cert.der()}, {sl_cert.der()}, {status_prefix},
                              "https://status.paci.gov.kw/lists"});
  WQ_ASSIGN(Bytes tl_bytes, keys::SignTrustList(content, tl_key, tl_cert));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/trust-list.cbor", tl_bytes, keys::WriteMode::kReplace, 0644));
  // The checkpoint's verifier: its state folder remembers the trust list it holds, the challenges it showed
  // and the presentations it accepted.
  fs::remove_all(out_dir + "/verifier-state", ec);
  WQ_ASSIGN(verifier::FileState state_folder, verifier::FileState::Open(out_dir + "/verifier-state"));
  auto state = std::make_shared<verifier::FileState>(std::move(state_folder));
  WQ_ASSIGN(verifier::TrustState held, state->HeldTrust());
  WQ_ASSIGN(verifier::Verifier checkpoint_verifier, verifier::Verifier::Open(tl_bytes, root, held, now, state));
  WQ_TRY(state->RecordTrust(checkpoint_verifier.trust_state()));
  const keys::TrustList* trust = &checkpoint_verifier.trust_list();
  Say("trust list sequence " + std::to_string(trust->sequence()) + ", " + std::to_string(tl_bytes.size()) +
      " bytes, " + std::to_string(trust->signers().size()) + " signer certificates parsed once; held in verifier-state/");

  Step(3, "Issuance: a civil ID from the PACI record, bound to the citizen's device key");
  const mdoc::DocTypeSpec* spec = mdoc::Catalogue::Default().Find(kDocType);
  if (!spec) return Fail(Errc::kNotFound, "catalogue has no civil ID");
  mdoc::Date today = mdoc::Date::FromUnix(now);
  WQ_ASSIGN(auto elements, mdoc::ValidateRecord(*spec, kRecord, today));
  WQ_ASSIGN(keys::KeyHandle device, keys::KeyHandle::GenerateSoftware(Alg::kES256, "device"));
  WQ_ASSIGN(status::StatusList empty_list, status::StatusList::Create(2, 131072));
  DemoStatusList paci_status{status_uri, std::move(empty_list), {}};
  mdoc::IssueRequest req;
  req.doc_type = kDocType;
  req.name_space = kDocType;
  req.elements = elements;
  req.device_key = device.cached_public_key();
  req.validity = {now, now, now + 365 * kDay};
  req.status = mdoc::StatusRef{status_uri, paci_status.Allocate()};
  WQ_ASSIGN(mdoc::DocumentSigner paci_issuer, mdoc::DocumentSigner::Create(ds_key, ds_cert.der()));
  WQ_ASSIGN(Bytes credential, paci_issuer.Issue(req));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/civil-id.mdoc", credential, keys::WriteMode::kReplace));
  Say(std::to_string(elements.size()) + " elements signed, " + std::to_string(credential.size()) +
      " bytes -> civil-id.mdoc (status list index " + std::to_string(req.status->idx) + ")");
  for (const auto& e : elements) Say("  " + Label(*spec, e.id) + ": " + Show(e.value));
  // PACI publishes its status list as a signed token; the checkpoint syncs the token folder while online.
  const std::string status_dir = out_dir + "/status";
  fs::create_directories(status_dir, ec);
  const std::string token_path = status_dir + "/paci-lists-1.cwt";
  WQ_ASSIGN(Bytes token, paci_status.Sign(sl_key, sl_cert, now - 60));
  WQ_TRY(keys::WriteFileAtomically(token_path, token, keys::WriteMode::kReplace, 0644));
  auto store = std::make_shared<verifier::StatusStore>(checkpoint_verifier.shared_trust_list());
  verifier::StatusLoadReport loaded = store->Load({status_dir}, now);
  if (loaded.accepted.size() != 1) return Fail(Errc::kState, "the demo's status token did not load");
  checkpoint_verifier.set_status(store);
  Say("status list " + status_uri + ": token of " + std::to_string(token.size()) + " bytes for " +
      std::to_string(paci_status.list.size()) + " entries, signed by the PACI status-list signer -> status/paci-lists-1.cwt;");
  Say("  the checkpoint verified it against the trust list (PACI owns " + status_prefix + ") and holds it");

  Step(4, "Wallet: the citizen discloses three elements; the phone shows a QR");
  WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed, mdoc::ParseIssuerSigned(credential));
  qr::PresentationRequest pr;
  pr.credential = &parsed;
  pr.doc_type = kDocType;
  pr.disclose = {"civil_id_number", "full_name_ar", "birth_date"};
  pr.device_key = &device;
  pr.presented_at = now;
  WQ_ASSIGN(qr::Presentation presentation, qr::BuildPresentation(pr));
  WQ_ASSIGN(wallet::QrCode code, wallet::EncodeQr(presentation.text));
  wallet::QrOptions qo;
  std::string png = out_dir + "/presentation.png";
  WQ_TRY(wallet::WritePng(code, qo, png));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/presentation.txt", AsBytes(presentation.text), keys::WriteMode::kReplace, 0644));
  Say(std::to_string(presentation.text.size()) + " characters (" + std::to_string(presentation.cbor_bytes) +
      " bytes of CBOR, " + std::to_string(presentation.zlib_bytes) + " compressed), QR version " +
      std::to_string(code.version) + " at ECC M -> presentation.png, presentation.txt");
  std::printf("%s", wallet::RenderTerminal(code).c_str());

  Step(5, "Checkpoint (offline): decode the PNG with zxing-cpp and verify");
  WQ_ASSIGN(std::string scanned, verifier::DecodeQrImageFile(png));
  Say(std::string("decoded text ") + (scanned == presentation.text ? "matches" : "DIFFERS FROM") + " the wallet's");
  verifier::Policy vp;
  vp.now = now + 5;
  WQ_ASSIGN(verifier::Report ok, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(ok);

  Step(6, "A photo of the same QR shown again a minute later: this verifier already accepted it");
  vp.now = now + 65;
  WQ_ASSIGN(verifier::Report again, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(again);

  Step(7, "The same QR ten minutes later: a screenshot goes stale");
  vp.now = now + 600;
  WQ_ASSIGN(verifier::Report stale, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(stale);

  Step(8, "A tampered QR: the birth date changed inside the signed item, the QR rebuilt");
  std::string tampered;
  {
    auto raw = base45::Decode(std::string_view(scanned).substr(4));
    auto inflated = zlib::Inflate(*raw, qr::kMaxInflated);
    Bytes b = *inflated;
    const std::string from = "1990-01-01", to = "1999-01-01";
    auto it = std::search(b.begin(), b.end(), from.begin(), from.end());
    if (it != b.end()) std::copy(to.begin(), to.end(), it);
    tampered = "WQ1:" + base45::Encode(zlib::Deflate(b));
  }
  vp.now = now + 5;
  WQ_ASSIGN(verifier::Report bad, checkpoint_verifier.Verify(tampered, vp));
  PrintReport(bad);

  Step(9, "Revocation: PACI revokes the card and signs a new token; the checkpoint syncs it");
  WQ_TRY(paci_status.list.Set(req.status->idx, status::kStatusInvalid));
  WQ_ASSIGN(Bytes revoked_token, paci_status.Sign(sl_key, sl_cert, now + 1));
  WQ_TRY(keys::WriteFileAtomically(token_path, revoked_token, keys::WriteMode::kReplace, 0644));
  verifier::StatusLoadReport resynced = store->Load({status_dir}, now + 8);
  bool replaced = resynced.accepted.size() == 1 && resynced.accepted[0].outcome == verifier::TokenOutcome::kReplaced;
  Say(std::string("new token (iat now+1) ") + (replaced ? "replaced the older one" : "WAS NOT TAKEN") +
      "; entry " + std::to_string(req.status->idx) + " is now 1 (revoked)");
  pr.presented_at = now + 10;
  WQ_ASSIGN(qr::Presentation fresh, qr::BuildPresentation(pr));
  vp.now = now + 12;
  WQ_ASSIGN(verifier::Report revoked, checkpoint_verifier.Verify(fresh.text, vp));
  PrintReport(revoked);

  Step(10, "A checkpoint credential: the six checkpoint_identity elements, valid 3 days, refreshed by the wallet");
  issuer::RecordRequest short_req;
  short_req.doc_type = kDocType;
  short_req.claims_json = kRecord;
  short_req.device_key = device.cached_public_key();
  short_req.validity = {now, now, now + 3 * kDay};  // no status reference: it simply is not renewed
  short_req.only_profile = "checkpoint_identity";
  WQ_ASSIGN(issuer::IssuedCredential short_issued, issuer::IssueRecord(mdoc::Catalogue::Default(), paci_issuer, short_req));
  const Bytes& short_cred = short_issued.issuer_signed;
  WQ_ASSIGN(mdoc::ParsedIssuerSigned short_parsed, mdoc::ParseIssuerSigned(short_cred));
  pr.credential = &short_parsed;
  pr.disclose = short_issued.element_ids;
  WQ_ASSIGN(qr::Presentation checkpoint, qr::BuildPresentation(pr));
  WQ_ASSIGN(wallet::QrCode checkpoint_code, wallet::EncodeQr(checkpoint.text));
  std::string checkpoint_png = out_dir + "/checkpoint.png";
  WQ_TRY(wallet::WritePng(checkpoint_code, qo, checkpoint_png));
  pr.credential = &parsed;  // the same six elements from the full card, for comparison
  WQ_ASSIGN(qr::Presentation from_card, qr::BuildPresentation(pr));
  Say(std::to_string(checkpoint.text.size()) + " characters, QR version " + std::to_string(checkpoint_code.version) +
      " -> checkpoint.png; the same six from the " + std::to_string(elements.size()) + "-element card: " +
      std::to_string(from_card.text.size()) + " characters, version " +
      std::to_string(wallet::MinVersionFor(from_card.text.size(), 'M')));
  WQ_ASSIGN(verifier::Report short_ok, checkpoint_verifier.VerifyImageFile(checkpoint_png, vp));
  PrintReport(short_ok);

  bool as_expected = ok.verdict == verifier::Verdict::kValid && again.Has(mdoc::Reason::kReplayed) &&
                     stale.Has(mdoc::Reason::kPresentationStale) && bad.verdict == verifier::Verdict::kInvalid &&
                     revoked.Has(mdoc::Reason::kRevoked) && replaced && scanned == presentation.text &&
                     short_ok.verdict == verifier::Verdict::kValid;
  std::printf("\nDemo %s.\n", as_expected ? "complete: every step behaved as expected" : "FAILED");
  if (!as_expected) return Fail(Errc::kState, "a demo step did not give the expected verdict");
  return Ok();
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, ExitCode& exit_code) {
  auto out = std::make_shared<std::string>("demo-out");
  CLI::App* demo = app.add_subcommand("demo", "end-to-end story: PKI, trust list, issuance, QR, offline verification");
  demo->add_option("--out", *out, "directory for the files the demo writes")->capture_default_str();
  demo->callback([out, &exit_code] {
    Status s = RunDemo(*out);
    if (!s) {
      std::fprintf(stderr, "demo: %s\n", s.error().ToString().c_str());
      exit_code.value = s.error().code == Errc::kState ? kExitCheckFailed : kExitInternal;
    }
  });
}

}  // namespace wathiq::cli
