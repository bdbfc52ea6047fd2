// `wathiq issuer issue` (agencies), `wathiq wallet show|present` (citizens), `wathiq verify [challenge]`
// (officers): issue a credential from an agency record, show any mdoc (bilingual, --json), make a WQ1 QR
// from a credential, verify a QR from an image or text, make a WQC challenge. The work is the libraries';
// this file parses arguments and prints.
// Exit codes (commands.h): 0 ok / valid, 1 a check failed (invalid, cannot_confirm_status), 2 usage,
// 3 input unreadable, 4 internal.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_util.h"
#include "issuer_cmd.h"
#include "wallet_cmd.h"
#include "wathiq/core/text.h"
#include "wathiq/issuer/issuance.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/qr_decode.h"
#include "wathiq/verifier/report.h"
#include "wathiq/verifier/status_store.h"
#include "wathiq/verifier/verifier.h"
#include "wathiq/wallet/presentation.h"
#include "wathiq/wallet/qr_render.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;
namespace qr = mdoc::qr;
constexpr int64_t kDay = 86400;

Result<std::string> ReadText(const std::string& path, size_t max = 1 << 20) {
  WQ_ASSIGN(Bytes b, keys::ReadFileBytes(path, max));
  return std::string(b.begin(), b.end());
}

// A one-line text file (a WQ1 or WQC code), without its trailing newline.
Result<std::string> ReadLine(const std::string& path, size_t max) {
  WQ_ASSIGN(std::string text, ReadText(path, max));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

json ValueJson(const cbor::Value& v) { return verifier::ElementValueJson(v); }
std::string ValueText(const cbor::Value& v) { return verifier::ElementValueText(v); }
constexpr int64_t kMaxClock = 253402300799;  // 9999-12-31T23:59:59Z

// The catalogue labels come from: --catalogue when given, else the built-in one.
struct CatalogueOpt {
  std::string dir;
  mdoc::Catalogue custom;
  Result<const mdoc::Catalogue*> Get() {
    if (dir.empty()) return &mdoc::Catalogue::Default();
    WQ_ASSIGN(custom, mdoc::Catalogue::LoadDirectory(dir));
    return &custom;
  }
};

// The verifier's state folder: --state, else $WATHIQ_STATE_DIR, else $XDG_STATE_HOME/wathiq/verifier, else
// ~/.local/state/wathiq/verifier.
std::string StateDir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* d = std::getenv("WATHIQ_STATE_DIR"); d && *d) return d;
  std::string base;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = std::string(h) + "/.local/state";
  } else {
    base = ".";
  }
  std::error_code ec;
  std::filesystem::create_directories(base + "/wathiq", ec);
  return base + "/wathiq/verifier";
}

// The MSO of a parsed credential, decoded but not trusted (for display and for finding the docType).
Result<cbor::Value> MsoOf(const mdoc::ParsedIssuerSigned& is) {
  const auto& payload = is.issuer_auth.payload;
  if (!payload.has_value()) return Fail(Errc::kMalformed, "issuerAuth has no payload");
  cbor::DecodeLimits wf;
  wf.strictness = cbor::Strictness::kWellFormed;
  WQ_ASSIGN(cbor::Value outer, cbor::Decode(payload.value(), wf));
  return cbor::DecodeEmbedded(outer, wf);
}

Result<std::pair<mdoc::ParsedIssuerSigned, std::string>> LoadCredential(const Bytes& bytes, const std::string& name) {
  if (auto single = mdoc::ParseIssuerSigned(bytes)) return std::make_pair(std::move(*single), std::string());
  else if (auto docs = mdoc::ParseDeviceResponse(bytes))
    return std::make_pair(std::move(docs->front().issuer_signed), docs->front().doc_type);
  else
    return Fail(Errc::kMalformed, name + " is neither an IssuerSigned nor a DeviceResponse: " + single.error().message);
}

struct TrustOpts {
  std::string trust_list;
  std::string root;
  std::string state_dir;
  uint64_t min_sequence = 0;
  int64_t grace_hours = verifier::kDefaultTrustListGrace / 3600;
};

// Opens the verifier over the trust list, refusing a rollback below what the state folder holds (or
// --min-sequence, when higher), and records the accepted list there.
Result<verifier::Verifier> OpenVerifier(const TrustOpts& t, int64_t now) {
  if (t.trust_list.empty() || t.root.empty()) return Fail(Errc::kInvalidArgument, "give --trust-list and --root");
  WQ_ASSIGN(keys::Certificate root, ReadCert(t.root));
  WQ_ASSIGN(Bytes tl, keys::ReadFileBytes(t.trust_list, 16u << 20));
  WQ_ASSIGN(verifier::FileState folder, verifier::FileState::Open(StateDir(t.state_dir)));
  auto state = std::make_shared<verifier::FileState>(std::move(folder));
  WQ_ASSIGN(verifier::TrustState held, state->HeldTrust());
  if (t.min_sequence > held.sequence) held = {t.min_sequence, {}};
  verifier::VerifierOptions vo;
  vo.trust_list_grace = t.grace_hours * 3600;
  WQ_ASSIGN(verifier::Verifier v, verifier::Verifier::Open(tl, root, held, now, state, vo));
  WQ_TRY(state->RecordTrust(v.trust_state()));
  return v;
}

void AddTrustOptions(CLI::App* c, TrustOpts& t) {
  c->add_option("--trust-list", t.trust_list, "signed trust list (COSE_Sign1)");
  c->add_option("--root", t.root, "the pinned national root certificate (PEM or DER)");
  c->add_option("--state", t.state_dir,
                "the verifier's state folder: trust list held, challenges shown, presentations accepted "
                "(default $WATHIQ_STATE_DIR, else ~/.local/state/wathiq/verifier)");
  c->add_option("--min-sequence", t.min_sequence,
                "refuse trust lists below this sequence (the state folder "
                "already refuses any below the one it holds)");
  c->add_option("--grace-hours", t.grace_hours, "hours past the trust list's next_update verdicts are still given")
      ->check(CLI::Range(int64_t{0}, int64_t{720}))
      ->capture_default_str();
}

// ---- mdoc issue ----

struct IssueOpts {
  std::string record, doc_type, device_key, cert, out, status_uri, catalogue_dir, only_profile;
  KeyOpts signer;
  int valid_days = 365;
  int64_t status_idx = -1;
  // Through a deployment (issuer_cmd.cc): registry, status list slot and log entry.
  std::string deployment, agency, actor, document_number;
};

Status RunIssue(const Ctx& ctx, const IssueOpts& o) {
  if (!o.deployment.empty()) {
    if (!o.cert.empty() || !o.signer.file.empty() || o.signer.pkcs11() || !o.status_uri.empty() || o.status_idx >= 0 ||
        !o.catalogue_dir.empty()) {
      return Fail(Errc::kInvalidArgument,
                  "with --deployment the deployment's signer, status lists and catalogue are "
                  "used: drop --signer-*, --status-*, --catalogue");
    }
    DeploymentIssueArgs a;
    a.deployment = o.deployment;
    a.pass = o.signer.pass;
    a.pin = o.signer.pin;
    a.agency = o.agency;
    a.actor = o.actor;
    a.document_number = o.document_number;
    a.record = o.record;
    a.doc_type = o.doc_type;
    a.device_key = o.device_key;
    a.out = o.out;
    a.only_profile = o.only_profile;
    a.valid_days = o.valid_days;
    return RunDeploymentIssue(ctx, a);
  }
  if (o.cert.empty()) return Fail(Errc::kInvalidArgument, "give --signer-cert (or --deployment)");
  int64_t now = ctx.Now();
  mdoc::Catalogue custom;
  const mdoc::Catalogue* catalogue = &mdoc::Catalogue::Default();
  if (!o.catalogue_dir.empty()) {
    WQ_ASSIGN(custom, mdoc::Catalogue::LoadDirectory(o.catalogue_dir));
    catalogue = &custom;
  }
  WQ_ASSIGN(std::string record, ReadText(o.record));
  WQ_ASSIGN(PublicKey device, ReadPublicKey(o.device_key));
  WQ_ASSIGN(keys::Certificate cert, ReadCert(o.cert));
  WQ_ASSIGN(keys::KeyHandle signer, OpenKey(o.signer));
  WQ_ASSIGN(mdoc::DocumentSigner desk, mdoc::DocumentSigner::Create(signer, cert.der()));
  issuer::RecordRequest r;
  r.doc_type = o.doc_type;
  r.claims_json = std::move(record);
  r.device_key = device;
  r.validity = {now, now, now + static_cast<int64_t>(o.valid_days) * kDay};
  r.only_profile = o.only_profile;
  if (!o.status_uri.empty()) {
    uint64_t idx = 0;
    if (o.status_idx >= 0) {
      idx = static_cast<uint64_t>(o.status_idx);
    } else {
      RandomBytes(reinterpret_cast<uint8_t*>(&idx), sizeof idx);
      idx %= 131072;
    }
    r.status = mdoc::StatusRef{o.status_uri, idx};
  }
  WQ_ASSIGN(issuer::IssuedCredential issued, issuer::IssueRecord(*catalogue, desk, r));
  const Bytes& credential = issued.issuer_signed;
  WQ_TRY(keys::WriteFileAtomically(o.out, credential, keys::WriteMode::kCreateNew, 0600));
  json j{{"command", "issue"},         {"docType", r.doc_type},    {"elements", issued.element_ids.size()},
         {"bytes", credential.size()}, {"kid", ToHex(desk.kid())}, {"out", o.out}};
  if (r.status) j["status"] = {{"uri", r.status->uri}, {"idx", r.status->idx}};
  ctx.Success(j, "issued " + r.doc_type + ": " + std::to_string(issued.element_ids.size()) + " elements, " +
                     std::to_string(credential.size()) + " bytes -> " + o.out + "\n");
  return Ok();
}

// ---- mdoc show ----

struct ShowOpts {
  std::string file;
  TrustOpts trust;
  CatalogueOpt catalogue;
};

// Verification first, then the elements: values from a file that did not verify are shown only after that
// verdict, marked as unverified, and escaped like every other outside string.
Status RunShow(const Ctx& ctx, ShowOpts& o) {
  WQ_ASSIGN(const mdoc::Catalogue* catalogue, o.catalogue.Get());
  WQ_ASSIGN(Bytes bytes, keys::ReadFileBytes(o.file, 4u << 20));
  WQ_ASSIGN(auto loaded, LoadCredential(bytes, o.file));
  const mdoc::ParsedIssuerSigned& is = loaded.first;
  std::string doc_type = loaded.second;
  auto mso = MsoOf(is);
  if (!mso) return Wrap("MSO", mso.error());
  if (const cbor::Value* dt = mso->Find("docType"); dt && dt->is_text()) doc_type = dt->text();
  json j{{"command", "show"}, {"docType", SafeText(doc_type, 256)}};
  std::ostringstream text;
  bool verified = false;
  if (!o.trust.trust_list.empty()) {
    WQ_ASSIGN(verifier::Verifier v, OpenVerifier(o.trust, ctx.Now()));
    auto r = mdoc::DocumentVerifier(v.trust_list()).VerifyIssuerSigned(is, {ctx.Now()});
    verified = r.ok();
    j["verified"] = verified;
    text << "issuer verification: " << (verified ? "valid" : "INVALID") << "\n";
    for (const auto& f : r.failures) {
      j["failures"].push_back({{"reason", mdoc::ReasonCode(f.reason)}, {"detail", SafeText(f.detail, 1024)}});
      text << "  " << mdoc::ReasonCode(f.reason) << ": " << SafeText(f.detail, 1024) << "\n";
    }
    if (verified) {
      text << "  issued by " << SafeText(r.document->agency_name_en()) << " / "
           << SafeText(r.document->agency_name_ar()) << "\n";
    }
  } else {
    j["verified"] = false;
    text << "issuer verification: not done (give --trust-list and --root)\n";
  }
  const char* mark = verified ? "" : " (UNVERIFIED)";
  text << "document type" << mark << ": " << SafeText(doc_type, 256) << "\n";
  if (const cbor::Value* vi = mso->Find("validityInfo")) {
    for (const char* f : {"signed", "validFrom", "validUntil"}) {
      if (const cbor::Value* t = vi->Find(f)) {
        j["validity"][f] = ValueJson(*t);
        text << "  " << f << ": " << ValueText(*t) << "\n";
      }
    }
  }
  if (const cbor::Value* st = mso->Find("status")) {
    j["status"] = ValueJson(*st);
    text << "  status list: " << ValueText(*st) << "\n";
  }
  if (auto kid = is.issuer_auth.kid()) j["kid"] = ToHex(*kid);
  auto chain = is.issuer_auth.x5chain();
  if (chain && !chain->empty()) {
    if (auto c = keys::Certificate::FromDer(chain->front())) {
      j["signer"] = SafeText(c->subject(), 512);
      text << "  signer certificate names" << mark << ": " << SafeText(c->subject(), 512) << "\n";
    }
  }
  text << (verified ? "elements:\n" : "elements (UNVERIFIED: not proven to come from any agency):\n");
  j["elements"] = json::array();
  for (const auto& ns : is.name_spaces) {
    for (const auto& it : ns.items) {
      j["elements"].push_back({{"nameSpace", SafeText(ns.name, 256)},
                               {"id", SafeText(it.element_id, 256)},
                               {"value", ValueJson(it.element_value)}});
      text << "  " << verifier::ElementLabel(*catalogue, doc_type, it.element_id) << ": " << ValueText(it.element_value)
           << "\n";
    }
  }
  if (!o.trust.trust_list.empty() && !verified) {
    ctx.exit->value = kExitCheckFailed;
    if (ctx.json_out) std::cout << Dump(j) << "\n";
    else std::cout << SafeLines(text.str());
    return Ok();
  }
  ctx.Success(j, text.str());
  return Ok();
}

// ---- qr present / verify / challenge ----

struct PresentOpts {
  std::string credential, disclose, profile, challenge, png, svg, text_out;
  KeyOpts device;
  CatalogueOpt catalogue;
  bool terminal = false;
};

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status RunPresent(const Ctx& ctx, PresentOpts& o) {
  WQ_ASSIGN(Bytes bytes, keys::ReadFileBytes(o.credential, 4u << 20));
  WQ_ASSIGN(const mdoc::Catalogue* catalogue, o.catalogue.Get());
  WQ_ASSIGN(keys::KeyHandle device, OpenKey(o.device));
  wallet::DisclosureChoice choice{o.profile, SplitCommas(o.disclose)};
  wallet::PresentOptions po;
  po.catalogue = catalogue;
  po.now = ctx.Now();
  if (!o.challenge.empty()) {
    WQ_ASSIGN(std::string wqc, ReadScannedCode(o.challenge, 8192));  // the WQC as text or as a photo
    po.challenge_text = std::move(wqc);
  }
  WQ_ASSIGN(wallet::PresentedQr q, wallet::PresentCredential(bytes, device, choice, po));
  const qr::Presentation& p = q.presentation;
  if (po.challenge_text) {
    std::cerr << "answering a challenge from a verifier that calls itself \"" << q.verifier_name << "\" (unverified)\n";
  }
  WQ_ASSIGN(wallet::QrCode code, wallet::EncodeQr(p.text));
  if (!o.png.empty()) WQ_TRY(wallet::WritePng(code, {}, o.png));
  if (!o.svg.empty()) WQ_TRY(wallet::WriteSvg(code, {}, o.svg));
  if (!o.text_out.empty())
    WQ_TRY(keys::WriteFileAtomically(o.text_out, AsBytes(p.text), keys::WriteMode::kReplace, 0644));
  json j{{"command", "present"}, {"characters", p.text.size()}, {"version", code.version}, {"elements", q.disclosed}};
  std::string text = std::to_string(q.disclosed.size()) + " elements, " + std::to_string(p.text.size()) +
                     " characters, QR version " + std::to_string(code.version) + "\n";
  if (o.png.empty() && o.svg.empty() && o.text_out.empty()) text += p.text + "\n";
  ctx.Success(j, text);
  // Our own drawing (it may carry ANSI colours), after the escaped text.
  if (o.terminal && !ctx.json_out) std::cout << wallet::RenderTerminal(code);
  return Ok();
}

struct VerifyOpts {
  std::string image, text_file;
  TrustOpts trust;
  CatalogueOpt catalogue;
  std::string challenge;
  int64_t max_age = verifier::kDefaultMaxAge;
  std::vector<std::string> status_paths;  // token files or folders of *.cwt
};

Status RunVerify(const Ctx& ctx, VerifyOpts& o) {
  if (o.image.empty() == o.text_file.empty()) return Fail(Errc::kInvalidArgument, "give one of --image or --text");
  WQ_ASSIGN(const mdoc::Catalogue* catalogue, o.catalogue.Get());
  int64_t now = ctx.Now();
  WQ_ASSIGN(verifier::Verifier v, OpenVerifier(o.trust, now));
  // Status-list tokens synced while online: each verified against the trust list; a refused one is named
  // (its lists then answer status_unknown), never dropped silently.
  std::optional<verifier::StatusLoadReport> loaded;
  if (!o.status_paths.empty()) {
    auto store = std::make_shared<verifier::StatusStore>(v.shared_trust_list());
    loaded = store->Load(o.status_paths, now);
    v.set_status(store);
    if (!ctx.json_out) {
      std::cerr << "status tokens: " << loaded->accepted.size() << " used, " << loaded->refused.size() << " refused\n";
      for (const auto& f : loaded->refused) {
        std::cerr << "  refused " << f.source << ": " << f.reason << ": " << f.detail << "\n";
      }
    }
  }
  verifier::Policy p;
  p.now = now;
  p.max_age = o.max_age;
  if (!o.challenge.empty()) {
    // The challenge this verifier shows now; when it was shown comes from the state folder, never from
    // the command line, so a photographed answer cannot be made fresh again.
    WQ_ASSIGN(std::string wqc, ReadLine(o.challenge, 8192));
    WQ_ASSIGN(qr::Challenge c, qr::ParseChallenge(wqc));
    p.expected_nonce = c.nonce;
  }
  Result<verifier::Report> r = Fail(Errc::kInternal, "not run");
  if (!o.image.empty()) {
    r = v.VerifyImageFile(o.image, p);
  } else {
    WQ_ASSIGN(std::string text, ReadLine(o.text_file, qr::kMaxQrText + 16));
    r = v.Verify(text, p);
  }
  if (!r) return Fail(r.error());
  json j = verifier::ReportJson(*r);
  j["command"] = "verify";
  if (loaded) j["statusTokens"] = verifier::StatusLoadReportJson(*loaded);
  std::string out = verifier::ReportText(*r, *catalogue);
  if (r->verdict == verifier::Verdict::kValid) {
    ctx.Success(j, out);
  } else {
    ctx.exit->value = kExitCheckFailed;
    if (ctx.json_out) std::cout << Dump(j) << "\n";
    else std::cout << SafeLines(out);
  }
  return Ok();
}

struct ChallengeOpts {
  std::string name, out, png, state_dir;
};

// Shows a challenge and records in the state folder when it was shown: `wathiq verify` takes the time from there.
Status RunChallenge(const Ctx& ctx, const ChallengeOpts& o) {
  if (o.name.size() > 256) return Fail(Errc::kInvalidArgument, "--name is at most 256 bytes");
  WQ_ASSIGN(verifier::FileState state, verifier::FileState::Open(StateDir(o.state_dir)));
  qr::Challenge c = qr::NewChallenge(o.name);
  std::string text = qr::EncodeChallenge(c);
  WQ_TRY(state.RecordChallenge({c.nonce, ctx.Now(), 0}));
  if (!o.out.empty()) WQ_TRY(keys::WriteFileAtomically(o.out, AsBytes(text), keys::WriteMode::kReplace, 0600));
  if (!o.png.empty()) {
    WQ_ASSIGN(wallet::QrCode code, wallet::EncodeQr(text));
    WQ_TRY(wallet::WritePng(code, {}, o.png));
  }
  ctx.Success({{"command", "challenge"}, {"text", text}, {"shownAt", ctx.Now()}}, text + "\n");
  return Ok();
}

template <class F>
std::function<void()> Action(std::shared_ptr<Ctx> ctx, std::string name, F f) {
  return [ctx, name, f] {
    Status s = f();
    if (!s) ctx->Fail(name, s.error());
  };
}

// A command group (`wathiq mdoc`, `wathiq qr`) with the options its commands share, and their context.
CLI::App* AddGroup(CLI::App& app, const char* name, const char* help, Ctx& ctx, ExitCode& exit_code) {
  ctx.exit = &exit_code;
  ctx.component = name;
  CLI::App* group = app.add_subcommand(name, help);
  // --json and --now may also follow the subcommand (`wathiq verify ... --json`): FinishGroup.
  group->fallthrough();
  group->add_flag("--json", ctx.json_out, "one JSON object on stdout");
  group->add_option("--now", ctx.now, "the clock, seconds since the epoch (default: system clock)")
      ->check(CLI::Range(int64_t{1}, kMaxClock));
  return group;
}

void FinishGroup(CLI::App* group) {
  for (CLI::App* sub : group->get_subcommands([](CLI::App*) { return true; })) sub->fallthrough();
}

}  // namespace

// The command groups by who uses them: `issuer` (agencies), `wallet` (citizens), `verify` (officers).
void RegisterCredentialCommands(CLI::App& app, ExitCode& exit_code) {
  auto ictx = std::make_shared<Ctx>();
  CLI::App* issuer_cmd = AddGroup(app, "issuer", "agencies: issue credentials from their records", *ictx, exit_code);
  issuer_cmd->require_subcommand(1);

  auto io = std::make_shared<IssueOpts>();
  CLI::App* issue = issuer_cmd->add_subcommand("issue", "record JSON + device key + signer -> credential file");
  issue->add_option("--record", io->record, "the agency record: a JSON object of claims")->required();
  issue->add_option("--doctype", io->doc_type, "document type, e.g. kw.gov.paci.civil_id.1")->required();
  issue->add_option("--device-key", io->device_key, "the holder's device public key (PEM, certificate or sealed key)")
      ->required();
  issue->add_option("--deployment,-d", io->deployment,
                    "issue through this deployment (`issuer init`): registry, status list, log; then give --agency "
                    "and --actor instead of --signer-*");
  issue->add_option("--agency", io->agency, "with --deployment: the issuing agency");
  issue->add_option("--actor", io->actor, "with --deployment: the acting staff id");
  issue->add_option("--document-number", io->document_number,
                    "with --deployment: the document number (default: the record's first *_number element)");
  issue->add_option("--signer-cert", io->cert, "the document-signer certificate");
  AddKeyOptions(issue, io->signer, "--signer-key", "the document-signer key");
  issue->add_option("--valid-days", io->valid_days, "validity in days")
      ->check(CLI::Range(1, 3660))
      ->capture_default_str();
  issue->add_option("--status-uri", io->status_uri, "Token Status List URI");
  issue->add_option("--status-idx", io->status_idx, "index in the list (default: random)");
  issue->add_option("--catalogue", io->catalogue_dir, "a catalogue directory instead of the default");
  issue->add_option("--only", io->only_profile,
                    "sign only this disclosure profile's elements (a smaller credential for QR use; with "
                    "--valid-days 3 and no --status-uri, the smallest QR)");
  issue->add_option("--out", io->out, "credential file to write (not overwritten)")->required();
  issue->callback(Action(ictx, "issue", [ictx, io] { return RunIssue(*ictx, *io); }));
  RegisterIssuerDeploymentCommands(issuer_cmd, ictx);

  auto wctx = std::make_shared<Ctx>();
  CLI::App* wallet_cmd = AddGroup(
      app, "wallet", "citizens: the encrypted wallet; look at a credential, show it as a QR", *wctx, exit_code);
  wallet_cmd->require_subcommand(1);
  RegisterWalletStoreCommands(wallet_cmd, wctx);
  auto store = std::make_shared<WalletStoreOpts>();
  auto store_id = std::make_shared<int64_t>(0);
  auto store_batch = std::make_shared<std::string>();

  auto so = std::make_shared<ShowOpts>();
  CLI::App* show = wallet_cmd->add_subcommand("show", "decode and display an mdoc (IssuerSigned or DeviceResponse)");
  show->add_option("file", so->file, "the credential file (or --id for one in the wallet)");
  show->add_option("--id", *store_id, "a credential in the wallet (wallet list)");
  AddWalletStoreOptions(show, *store);
  AddTrustOptions(show, so->trust);
  show->add_option("--catalogue", so->catalogue.dir, "labels from this catalogue directory instead of the default");
  show->callback(Action(wctx, "show", [wctx, so, store, store_id] {
    if (*store_id != 0) return RunStoreShow(*wctx, *store, *store_id);
    if (so->file.empty()) return Status(Fail(Errc::kInvalidArgument, "give a credential file or --id"));
    return RunShow(*wctx, *so);
  }));

  auto po = std::make_shared<PresentOpts>();
  CLI::App* present = wallet_cmd->add_subcommand("present", "credential + device key -> WQ1 QR (PNG, text, terminal)");
  present->add_option("--credential", po->credential, "the credential file (or --id for one in the wallet)");
  present->add_option("--id", *store_id,
                      "a credential in the wallet (wallet list); the wallet PIN comes from --pin-file / --pin-env");
  present->add_option("--batch", *store_batch, "the next unused credential of this single-use batch in the wallet");
  AddWalletStoreOptions(present, *store, false);
  AddKeyOptions(present, po->device, "--device-key", "the device key bound in the credential");
  present->add_option("--disclose", po->disclose, "element ids, comma separated");
  present->add_option("--profile", po->profile, "a named disclosure profile, e.g. checkpoint_identity");
  present->add_option("--challenge", po->challenge, "a file with the WQC text scanned from the verifier");
  present->add_option("--png", po->png, "write the QR as PNG");
  present->add_option("--svg", po->svg, "write the QR as SVG");
  present->add_option("--text-out", po->text_out, "write the WQ1 text");
  present->add_flag("--terminal", po->terminal, "draw the QR in the terminal");
  present->add_option("--catalogue", po->catalogue.dir,
                      "profiles from this catalogue directory instead of the default");
  present->callback(Action(wctx, "present", [wctx, po, store, store_id, store_batch] {
    if (*store_id != 0 || !store_batch->empty()) {
      store->pin = po->device.pin;  // --pin-file / --pin-env: the wallet PIN here
      StorePresentOpts sp{*store_id, *store_batch, po->profile,  po->disclose, po->challenge,
                          po->png,   po->svg,      po->text_out, po->terminal};
      return RunStorePresent(*wctx, *store, sp);
    }
    if (po->credential.empty()) return Status(Fail(Errc::kInvalidArgument, "give --credential or --id"));
    return RunPresent(*wctx, *po);
  }));

  // `wathiq verify --image qr.png ...` verifies; `wathiq verify challenge ...` shows a challenge first.
  auto vctx = std::make_shared<Ctx>();
  auto vo = std::make_shared<VerifyOpts>();
  CLI::App* verify =
      AddGroup(app, "verify", "officers: verify a QR offline (PNG/JPEG or text), show a challenge", *vctx, exit_code);
  verify->require_subcommand(0, 1);
  verify->add_option("--image", vo->image, "a photo or screenshot of the QR (PNG or JPEG)");
  verify->add_option("--text", vo->text_file, "a file with the WQ1 text");
  AddTrustOptions(verify, vo->trust);
  verify->add_option("--challenge", vo->challenge,
                     "the WQC this verifier shows now (challenge mode; when it was shown comes from --state)");
  verify->add_option("--max-age", vo->max_age, "seconds a time-mode QR stays fresh")
      ->check(CLI::Range(int64_t{0}, int64_t{366} * kDay))
      ->capture_default_str();
  verify->add_option("--status", vo->status_paths,
                     "a status-list token file, a folder of *.cwt tokens, or a published folder (repeatable); "
                     "without it every status is unknown");
  verify->add_option("--catalogue", vo->catalogue.dir, "labels from this catalogue directory instead of the default");

  auto co = std::make_shared<ChallengeOpts>();
  CLI::App* challenge = verify->add_subcommand("challenge", "make a WQC challenge for the wallet to answer");
  challenge->add_option("--name", co->name, "the verifier's name, shown to the citizen as a claim")->required();
  challenge->add_option("--out", co->out, "write the WQC text here");
  challenge->add_option("--png", co->png, "write the WQC as a QR PNG");
  challenge->add_option("--state", co->state_dir, "the verifier's state folder (see verify --state)");
  challenge->callback(Action(vctx, "challenge", [vctx, co] { return RunChallenge(*vctx, *co); }));
  verify->callback([vctx, vo, verify] {
    if (!verify->get_subcommands().empty()) return;  // `verify challenge` ran instead
    Status s = RunVerify(*vctx, *vo);
    if (!s) vctx->Fail("verify", s.error());
  });
  FinishGroup(issuer_cmd);
  FinishGroup(wallet_cmd);
  FinishGroup(verify);
}

}  // namespace wathiq::cli
