// `wathiq demo`: the end-to-end story for a new user, every step printed. A national root and the civil
// registry's signers are created; PACI's issuer deployment (issuer/deployment.h: registry, log, status
// lists) is created in the output folder and a trust list is signed from what it reports; a civil ID is
// issued through the deployment and published (docs/PUBLICATION.md); a three-element QR is written as a PNG,
// decoded from the image and verified offline with the published token; the same QR is shown again, stale,
// and tampered; then the card is revoked (stolen) and published -> revoked; a second citizen's card is
// suspended -> suspended and reinstated -> valid; the clock moves past the token's exp ->
// cannot_confirm_status; finally the auditor rebuilds every published list from the log.
// The work is the libraries'; this file only calls them in order and prints.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "commands.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/text.h"
#include "wathiq/core/zlib.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/issuer/issuance.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/keys/x509.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/status/reason.h"
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

// The civil registry's records for two residents (PACI), as the agency's system would hand them over.
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
constexpr const char* kRecord2 = R"({
  "civil_id_number": "295051501236",
  "card_serial": "KW7654321",
  "full_name_ar": "فاطمة أحمد الصباح",
  "full_name_en": "Fatima Ahmad Al-Sabah",
  "birth_date": "1995-05-15",
  "sex": 2,
  "nationality": "KW",
  "address_governorate": "KW-FA",
  "issue_date": "2025-09-01",
  "expiry_date": "2030-08-31"
})";

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

// A path under the demo's folder, as the user sees it.
std::string Rel(const std::string& path, const std::string& out_dir) {
  std::error_code ec;
  fs::path r = fs::relative(path, out_dir, ec);
  return ec || r.empty() ? path : r.generic_string();
}

Status RunDemo(const std::string& out_dir) {
  const int64_t now = std::time(nullptr);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Fail(Errc::kIo, "cannot create " + out_dir + ": " + ec.message());
  chmod(out_dir.c_str(), 0700);
  // The demo owns these folders; a re-run starts them afresh (a deployment is created in a new folder).
  for (const char* sub : {"issuer", "public", "audit", "verifier-state"}) fs::remove_all(out_dir + "/" + sub, ec);
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
  for (auto* k : {&root_key, &ds_key, &sl_key}) {
    std::string path = out_dir + "/" + k->label() + ".wqkey";
    fs::remove(path, ec);
    WQ_TRY(keys::WriteSealedKeyFile(path, *k, passphrase, seal));
  }
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/root.pem", AsBytes(root.ToPem()), keys::WriteMode::kReplace, 0644));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/paci-ds.pem", AsBytes(ds_cert.ToPem()), keys::WriteMode::kReplace, 0644));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/paci-status.pem", AsBytes(sl_cert.ToPem()), keys::WriteMode::kReplace, 0644));
  Say("root:              " + root.subject());
  Say("document signer:   " + ds_cert.subject() + "  kid " + ToHex(ds_cert.kid()));
  Say("status-list signer: " + sl_cert.subject() + "  kid " + ToHex(sl_cert.kid()));
  Say("sealed keys:       root.wqkey, paci-ds.wqkey, paci-status.wqkey (passphrase in demo-passphrase.txt, 0600)");

  Step(2, "PACI's issuer deployment (`wathiq issuer init`): registry, transparency log, status lists -> issuer/");
  issuer::DeploymentConfig config;
  config.log_name = "log.paci.gov.kw";
  config.log_url = "https://log.paci.gov.kw/wathiq";
  issuer::AgencyConfig paci;
  paci.id = "paci";
  paci.doc_types = {kDocType};
  paci.status_prefix = "https://status.paci.gov.kw/lists";
  paci.aggregation_uri = "https://status.paci.gov.kw/aggregation";
  paci.document_signer.file = fs::absolute(out_dir + "/paci-ds.wqkey").string();
  paci.document_signer_cert = fs::absolute(out_dir + "/paci-ds.pem").string();
  paci.status_signer.file = fs::absolute(out_dir + "/paci-status.wqkey").string();
  paci.status_signer_cert = fs::absolute(out_dir + "/paci-status.pem").string();
  config.agencies.push_back(paci);
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/issuer-config.json", AsBytes(issuer::DeploymentConfigJson(config)),
                                   keys::WriteMode::kReplace, 0644));
  const std::string dep_dir = out_dir + "/issuer";
  const issuer::KeyOpener opener = issuer::SealedFileOpener(passphrase);
  issuer::InitOptions init_options;
  init_options.kdf = keys::KdfParams::Interactive();
  WQ_ASSIGN(issuer::TrustInfo info, issuer::Deployment::Init(dep_dir, config, passphrase, opener, init_options));
  WQ_ASSIGN(issuer::Deployment deployment, issuer::Deployment::Open(dep_dir, passphrase, opener));
  if (info.agencies.size() != 1) return Fail(Errc::kState, "the deployment reports no agency");
  const issuer::TrustInfo::Agency& agency = info.agencies[0];
  Say("config issuer-config.json -> issuer/ (registry.db encrypted, its key and the log key sealed)");
  Say("log " + info.log_name + " at " + info.log_url);
  Say("log verifier key: " + info.log_verifier_key);
  Say("agency " + agency.id + ": status lists under " + agency.status_prefix + ", aggregation " + agency.aggregation_uri);

  Step(3, "Trust list: PACI may issue " + std::string(kDocType) + "; it names the log's key and PACI's status prefix");
  keys::TrustListContent content;
  content.sequence = 1;
  content.issued_at = now - 60;
  content.next_update = now + 7 * kDay;
  content.log = {info.log_name, info.log_verifier_key};
  content.agencies.push_back({agency.id, "الهيئة العامة للمعلومات المدنية", "Public Authority for Civil Information",
                              agency.doc_types, {ds_cert.der()}, {sl_cert.der()}, {agency.status_prefix},
                              agency.aggregation_uri});
  WQ_ASSIGN(Bytes tl_bytes, keys::SignTrustList(content, tl_key, tl_cert));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/trust-list.cbor", tl_bytes, keys::WriteMode::kReplace, 0644));
  // The checkpoint's verifier: its state folder remembers the trust list it holds, the challenges it showed
  // and the presentations it accepted.
  WQ_ASSIGN(verifier::FileState state_folder, verifier::FileState::Open(out_dir + "/verifier-state"));
  auto state = std::make_shared<verifier::FileState>(std::move(state_folder));
  WQ_ASSIGN(verifier::TrustState held, state->HeldTrust());
  WQ_ASSIGN(verifier::Verifier checkpoint_verifier, verifier::Verifier::Open(tl_bytes, root, held, now, state));
  WQ_TRY(state->RecordTrust(checkpoint_verifier.trust_state()));
  const keys::TrustList* trust = &checkpoint_verifier.trust_list();
  Say("trust list sequence " + std::to_string(trust->sequence()) + ", " + std::to_string(tl_bytes.size()) +
      " bytes, " + std::to_string(trust->signers().size()) +
      " signer certificates parsed once -> trust-list.cbor; held in verifier-state/");

  // Publishing (`wathiq issuer publish`) and the checkpoint's sync of the published tokens while online.
  auto store = std::make_shared<verifier::StatusStore>(checkpoint_verifier.shared_trust_list());
  checkpoint_verifier.set_status(store);
  const std::string public_dir = out_dir + "/public";
  const std::string audit_dir = out_dir + "/audit";
  int publications = 0;
  bool synced_all = true;
  auto publish_and_sync = [&](int64_t at) -> Status {
    issuer::PublishOptions po;
    po.public_dir = public_dir;
    po.audit_dir = audit_dir;
    po.now = at;
    WQ_ASSIGN(issuer::PublishReport rep, deployment.Publish(po));
    ++publications;
    Say("published at log size " + std::to_string(rep.checkpoint_size) + " (tokens reflect entries 0.." +
        std::to_string(rep.reflected_size) + "), checkpoint -> " + Rel(rep.checkpoint_file, out_dir));
    std::vector<std::string> files;
    for (const auto& t : rep.tokens) {
      Say("  " + t.uri + ": " + std::to_string(t.revoked) + " revoked, " + std::to_string(t.suspended) +
          " suspended of " + std::to_string(t.entries) + " -> " + Rel(t.file, out_dir));
      files.push_back(t.file);
    }
    verifier::StatusLoadReport loaded = store->Load(files, at);
    for (const auto& a : loaded.accepted) {
      Say("  checkpoint synced " + a.uri + " (iat " + std::to_string(a.iat) + ", exp " + std::to_string(a.exp) +
          "): " + std::string(verifier::TokenOutcomeName(a.outcome)));
      if (a.outcome == verifier::TokenOutcome::kSuperseded) synced_all = false;
    }
    for (const auto& r : loaded.refused) Say("  token REFUSED: " + r.source + ": " + r.reason + " " + r.detail);
    if (!loaded.refused.empty() || loaded.accepted.size() != files.size()) synced_all = false;
    return Ok();
  };

  Step(4, "Issuance (`wathiq issuer issue`): a civil ID from the PACI record, bound to the citizen's device key");
  const mdoc::DocTypeSpec* spec = mdoc::Catalogue::Default().Find(kDocType);
  if (!spec) return Fail(Errc::kNotFound, "catalogue has no civil ID");
  WQ_ASSIGN(keys::KeyHandle device, keys::KeyHandle::GenerateSoftware(Alg::kES256, "device"));
  issuer::IssueInput in;
  in.agency = "paci";
  in.doc_type = kDocType;
  in.claims_json = kRecord;
  in.device_key = device.cached_public_key();
  in.valid_days = 365;
  WQ_ASSIGN(issuer::IssuedRecord issued, deployment.Issue(in, "clerk-7", now - 120));
  const Bytes& credential = issued.credential;
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/civil-id.mdoc", credential, keys::WriteMode::kReplace));
  WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed, mdoc::ParseIssuerSigned(credential));
  WQ_ASSIGN(auto elements, mdoc::ValidateRecord(*spec, kRecord, mdoc::Date::FromUnix(now)));
  Say("document " + issued.document_number + ": credential " + ToHex(issued.credential_id) + ", " +
      std::to_string(credential.size()) + " bytes -> civil-id.mdoc");
  Say("status " + issued.status_uri + " #" + std::to_string(issued.status_idx) + " (a random unused index), log entry " +
      std::to_string(issued.log_index));
  for (const auto& e : elements) Say("  " + Label(*spec, e.id) + ": " + Show(e.value));
  Say("PACI publishes (`wathiq issuer publish`): signed tokens and checkpoint -> public/, entries -> audit/");
  WQ_TRY(publish_and_sync(now - 60));

  Step(5, "Wallet: the citizen discloses three elements; the phone shows a QR");
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

  Step(6, "Checkpoint (offline): decode the PNG with zxing-cpp and verify, with the published token");
  WQ_ASSIGN(std::string scanned, verifier::DecodeQrImageFile(png));
  Say(std::string("decoded text ") + (scanned == presentation.text ? "matches" : "DIFFERS FROM") + " the wallet's");
  verifier::Policy vp;
  vp.now = now + 5;
  WQ_ASSIGN(verifier::Report ok, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(ok);

  Step(7, "A photo of the same QR shown again a minute later: this verifier already accepted it");
  vp.now = now + 65;
  WQ_ASSIGN(verifier::Report again, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(again);

  Step(8, "The same QR ten minutes later: a screenshot goes stale");
  vp.now = now + 600;
  WQ_ASSIGN(verifier::Report stale, checkpoint_verifier.Verify(scanned, vp));
  PrintReport(stale);

  Step(9, "A tampered QR: the birth date changed inside the signed item, the QR rebuilt");
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

  Step(10, "A checkpoint credential: the six checkpoint_identity elements, valid 3 days, refreshed by the wallet");
  // No status reference (it is simply not renewed), so it is signed by the document signer directly and is
  // in no status list; the QR verifier accepts such credentials only when short-lived.
  WQ_ASSIGN(mdoc::DocumentSigner paci_issuer, mdoc::DocumentSigner::Create(ds_key, ds_cert.der()));
  issuer::RecordRequest short_req;
  short_req.doc_type = kDocType;
  short_req.claims_json = kRecord;
  short_req.device_key = device.cached_public_key();
  short_req.validity = {now, now, now + 3 * kDay};
  short_req.only_profile = "checkpoint_identity";
  WQ_ASSIGN(issuer::IssuedCredential short_issued, issuer::IssueRecord(mdoc::Catalogue::Default(), paci_issuer, short_req));
  const Bytes& short_cred = short_issued.issuer_signed;
  WQ_ASSIGN(mdoc::ParsedIssuerSigned short_parsed, mdoc::ParseIssuerSigned(short_cred));
  pr.credential = &short_parsed;
  pr.disclose = short_issued.element_ids;
  pr.presented_at = now + 20;
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
  vp.now = now + 22;
  WQ_ASSIGN(verifier::Report short_ok, checkpoint_verifier.VerifyImageFile(checkpoint_png, vp));
  PrintReport(short_ok);

  // A fresh presentation of a held credential at `at`, verified at at + 2.
  auto present_and_verify = [&](const mdoc::ParsedIssuerSigned& cred, const keys::KeyHandle& key,
                                int64_t at) -> Result<verifier::Report> {
    qr::PresentationRequest p;
    p.credential = &cred;
    p.doc_type = kDocType;
    p.disclose = {"civil_id_number", "full_name_ar", "birth_date"};
    p.device_key = &key;
    p.presented_at = at;
    WQ_ASSIGN(qr::Presentation shown, qr::BuildPresentation(p));
    verifier::Policy policy;
    policy.now = at + 2;
    return checkpoint_verifier.Verify(shown.text, policy);
  };

  Step(11, "Revocation (`wathiq issuer revoke --reason stolen`): the card is reported stolen; PACI publishes");
  WQ_ASSIGN(issuer::ActionOutcome rev, deployment.Revoke("paci", issued.document_number, status::RevocationReason::kStolen,
                                                        "officer-12", now + 100));
  Say("document " + rev.document_number + ": " + std::to_string(rev.credentials.size()) +
      " credential(s) revoked (stolen), log size " + std::to_string(rev.log_size));
  WQ_TRY(publish_and_sync(now + 110));
  Say("a fresh QR from the stolen phone:");
  WQ_ASSIGN(verifier::Report revoked, present_and_verify(parsed, device, now + 120));
  PrintReport(revoked);

  Step(12, "Suspension (`wathiq issuer suspend --reason court_order`): a second citizen's card");
  WQ_ASSIGN(keys::KeyHandle device2, keys::KeyHandle::GenerateSoftware(Alg::kES256, "device-2"));
  issuer::IssueInput in2 = in;
  in2.claims_json = kRecord2;
  in2.device_key = device2.cached_public_key();
  WQ_ASSIGN(issuer::IssuedRecord issued2, deployment.Issue(in2, "clerk-7", now + 200));
  WQ_TRY(keys::WriteFileAtomically(out_dir + "/civil-id-2.mdoc", issued2.credential, keys::WriteMode::kReplace));
  WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed2, mdoc::ParseIssuerSigned(issued2.credential));
  Say("issued document " + issued2.document_number + " -> civil-id-2.mdoc, status " + issued2.status_uri + " #" +
      std::to_string(issued2.status_idx));
  WQ_ASSIGN(issuer::ActionOutcome sus, deployment.Suspend("paci", issued2.document_number,
                                                          status::RevocationReason::kCourtOrder, "officer-12", now + 210));
  Say("document " + sus.document_number + ": " + std::to_string(sus.credentials.size()) +
      " credential(s) suspended (court_order), log size " + std::to_string(sus.log_size));
  WQ_TRY(publish_and_sync(now + 220));
  WQ_ASSIGN(verifier::Report suspended, present_and_verify(parsed2, device2, now + 230));
  PrintReport(suspended);

  Step(13, "Reinstatement (`wathiq issuer reinstate`): the order is lifted; PACI publishes");
  WQ_ASSIGN(issuer::ActionOutcome back, deployment.Reinstate("paci", issued2.document_number, "officer-12", now + 300));
  Say("document " + back.document_number + ": " + std::to_string(back.credentials.size()) +
      " credential(s) reinstated, log size " + std::to_string(back.log_size));
  WQ_TRY(publish_and_sync(now + 310));
  WQ_ASSIGN(verifier::Report valid_again, present_and_verify(parsed2, device2, now + 320));
  PrintReport(valid_again);

  Step(14, "The checkpoint stays offline past the token's exp: it cannot confirm the status any more");
  const int64_t past_exp = now + 310 + static_cast<int64_t>(config.token_lifetime) + 60;
  Say("clock at the last token's iat + " + std::to_string(config.token_lifetime) + " s + 60 s");
  WQ_ASSIGN(verifier::Report unconfirmed, present_and_verify(parsed2, device2, past_exp));
  PrintReport(unconfirmed);

  Step(15, "Auditor (`wathiq audit rebuild`): replay the log from audit/, rebuild every list, compare with public/");
  auditor::AuditInput ai;
  ai.audit_dir = audit_dir;
  ai.public_dir = public_dir;
  ai.trust = auditor::AuditTrust::FromTrustList(*trust);
  ai.log_url = info.log_url;
  WQ_ASSIGN(auditor::AuditReport audit, auditor::RebuildAndCompare(ai));
  size_t compared = 0;
  for (const auto& t : audit.tokens) {
    if (t.compared && t.signature_ok && t.differences == 0) ++compared;
  }
  Say("log " + audit.origin + ": " + std::to_string(audit.log_size) + " entries, " +
      std::to_string(audit.checkpoints_checked) + " signed checkpoints, " + std::to_string(audit.tiles_checked) +
      " hash tile(s), " + std::to_string(audit.credentials) + " credentials in " + std::to_string(audit.lists.size()) +
      " list(s)");
  Say(std::to_string(compared) + " of " + std::to_string(audit.tokens.size()) +
      " published tokens (" + std::to_string(publications) + " publications) rebuilt bit for bit from the log");
  for (const auto& f : audit.findings.list()) Say("  FINDING " + f.kind + ": " + SafeText(f.message, 300));
  Say(audit.clean() ? "every list matches the log: no findings" : "the audit FAILED: the lists do not match the log");

  bool as_expected = ok.verdict == verifier::Verdict::kValid && again.Has(mdoc::Reason::kReplayed) &&
                     stale.Has(mdoc::Reason::kPresentationStale) && bad.verdict == verifier::Verdict::kInvalid &&
                     scanned == presentation.text && short_ok.verdict == verifier::Verdict::kValid &&
                     revoked.Has(mdoc::Reason::kRevoked) && suspended.Has(mdoc::Reason::kSuspended) &&
                     valid_again.verdict == verifier::Verdict::kValid &&
                     unconfirmed.verdict == verifier::Verdict::kCannotConfirmStatus &&
                     unconfirmed.Has(mdoc::Reason::kStatusUnknown) && synced_all && audit.clean() &&
                     compared == audit.tokens.size() && !audit.tokens.empty();
  std::printf("\nDemo %s.\n", as_expected ? "complete: every step behaved as expected" : "FAILED");
  std::printf("The issuer deployment is in %s/issuer (registry, log), what it published in %s/public and %s/audit.\n",
              out_dir.c_str(), out_dir.c_str(), out_dir.c_str());
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
