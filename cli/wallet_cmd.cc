// `wathiq wallet init | unlock | import | list | show --id | present --id | delete | change-pin | status |
// backup | restore`: the citizen's encrypted wallet (wallet/store.h, wallet/backup.h) with the file keystore
// (wallet/keystore.h). The work is the wallet library's; this file parses arguments and prints. The PIN comes
// from --pin-file, WATHIQ_PIN, or a prompt with echo off when stdin is a terminal; never argv.
#include "wallet_cmd.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "wathiq/keys/trust_list.h"
#include "wathiq/verifier/report.h"
#include "wathiq/wallet/backup.h"
#include "wathiq/wallet/keystore.h"
#include "wathiq/wallet/qr_render.h"
#include "wathiq/wallet/store.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;

constexpr const char* kPinEnv = "WATHIQ_PIN";
constexpr const char* kNewPinEnv = "WATHIQ_NEW_PIN";
constexpr const char* kBackupEnv = "WATHIQ_BACKUP_PASSPHRASE";

Result<keys::SecretText> ReadPin(const SecretOpts& o) { return ReadSecretOrPrompt(o, kPinEnv, "pin", "Wallet PIN: "); }

// A new PIN: from the file or variable, or typed twice at the prompt.
Result<keys::SecretText> ReadNewPin(const SecretOpts& o, const char* env, const char* what) {
  const std::string var = o.env.empty() ? std::string(env) : o.env;
  if (!o.file.empty() || std::getenv(var.c_str()) != nullptr) return ReadSecret(o, env, what);
  WQ_ASSIGN(keys::SecretText first, PromptSecret("New wallet PIN: ", what, var));
  WQ_ASSIGN(keys::SecretText again, PromptSecret("The new PIN again: ", what, var));
  if (!first.Equals(again)) return Fail(Errc::kInvalidArgument, "the two PINs typed differ; nothing was changed");
  return first;
}

Result<std::shared_ptr<const keys::TrustList>> LoadTrust(const Ctx& ctx, const std::string& trust_list,
                                                         const std::string& root_file) {
  if (trust_list.empty() || root_file.empty()) return Fail(Errc::kInvalidArgument, "give --trust-list and --root");
  WQ_ASSIGN(keys::Certificate root, ReadCert(root_file));
  WQ_ASSIGN(Bytes tl_bytes, keys::ReadFileBytes(trust_list, 16u << 20));
  keys::TrustListPolicy policy;
  policy.now = ctx.Now();
  auto tl = keys::TrustList::Load(tl_bytes, root, policy);
  if (!tl) return Fail(tl.error());
  return *tl;
}

std::string DefaultDir(const char* env, const char* xdg, const char* home_rel, const char* leaf) {
  if (const char* d = std::getenv(env); d && *d) return d;
  if (const char* x = std::getenv(xdg); x && *x) return std::string(x) + "/wathiq/" + leaf;
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/" + home_rel + "/wathiq/" + leaf;
  return std::string("./") + leaf;
}

std::string WalletDir(const WalletStoreOpts& o) {
  return o.wallet_dir.empty() ? DefaultDir("WATHIQ_WALLET_DIR", "XDG_DATA_HOME", ".local/share", "wallet")
                              : o.wallet_dir;
}
std::string KeystoreDir(const WalletStoreOpts& o) {
  return o.keystore_dir.empty() ? DefaultDir("WATHIQ_KEYSTORE_DIR", "XDG_STATE_HOME", ".local/state", "keystore")
                                : o.keystore_dir;
}

Result<std::unique_ptr<wallet::FileKeystore>> OpenKeystore(const WalletStoreOpts& o) {
  return wallet::FileKeystore::Open(KeystoreDir(o));
}

struct Opened {
  std::unique_ptr<wallet::FileKeystore> keystore;
  std::optional<wallet::Wallet> wallet;
};

Result<Opened> OpenWallet(const Ctx& ctx, const WalletStoreOpts& o) {
  Opened out;
  WQ_ASSIGN(out.keystore, OpenKeystore(o));
  WQ_ASSIGN(keys::SecretText pin, ReadPin(o.pin));
  WQ_ASSIGN(wallet::Wallet w, wallet::Wallet::Open(WalletDir(o), *out.keystore, pin, ctx.Now()));
  out.wallet.emplace(std::move(w));
  return out;
}

json ValidityJson(const mdoc::Validity& v) {
  return {{"signed", mdoc::FormatTdate(v.signed_at)},
          {"validFrom", mdoc::FormatTdate(v.valid_from)},
          {"validUntil", mdoc::FormatTdate(v.valid_until)}};
}

json SummaryJson(const wallet::CredentialSummary& s) {
  json j{{"id", s.id},
         {"docType", SafeText(s.doc_type, 256)},
         {"name", {{"en", SafeText(s.doc_name_en)}, {"ar", SafeText(s.doc_name_ar)}}},
         {"agency", SafeText(s.agency_id)},
         {"validity", ValidityJson(s.validity)},
         {"deviceKey", s.device_key_id}};
  if (s.status) j["status"] = {{"uri", SafeText(s.status->uri, 1024)}, {"idx", s.status->idx}};
  // The last known state from the status list (`wallet status`), and when it was read.
  j["state"] = std::string(wallet::HeldStatusName(s.held_status));
  if (s.status_checked_at) j["stateCheckedAt"] = s.status_checked_at;
  return j;
}

std::string SummaryText(const wallet::CredentialSummary& s) {
  std::string name =
      s.doc_name_en.empty() ? SafeText(s.doc_type, 256) : SafeText(s.doc_name_en) + " / " + SafeText(s.doc_name_ar);
  std::string state = s.held_status == wallet::HeldStatus::kUnchecked
                          ? std::string()
                          : std::string(", ") + std::string(wallet::HeldStatusName(s.held_status)) + " as of " +
                                std::to_string(s.status_checked_at);
  return std::to_string(s.id) + "  " + name + "  (" + SafeText(s.agency_id) + ", valid until " +
         mdoc::FormatTdate(s.validity.valid_until) + state + ")\n";
}

json PinStateJson(const wallet::PinState& p) {
  return {{"failures", p.failures},
          {"attemptsLeft", p.attempts_left},
          {"totalAttemptsLeft", p.total_attempts_left},
          {"lockedUntil", p.locked_until},
          {"blocked", p.blocked}};
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

template <class F>
std::function<void()> Action(std::shared_ptr<Ctx> ctx, std::string name, F f) {
  return [ctx, name, f] {
    Status s = f();
    if (!s) ctx->Fail(name, s.error());
  };
}

Status RunInit(const Ctx& ctx, const WalletStoreOpts& o) {
  // The keystore holds the counter and the wrap factor: inside the app-data folder, a copy of that folder
  // would carry them along (wallet/README.md).
  std::error_code ec;
  std::string app = std::filesystem::weakly_canonical(WalletDir(o), ec).string() + "/";
  std::string ks_dir = std::filesystem::weakly_canonical(KeystoreDir(o), ec).string() + "/";
  if (ks_dir.rfind(app, 0) == 0 || app.rfind(ks_dir, 0) == 0) {
    return Fail(Errc::kInvalidArgument,
                "the keystore folder must lie outside the wallet's app-data folder (and not contain it)");
  }
  WQ_ASSIGN(auto ks, OpenKeystore(o));
  WQ_ASSIGN(keys::SecretText pin, ReadNewPin(o.pin, kPinEnv, "pin"));
  WQ_ASSIGN(wallet::Wallet w, wallet::Wallet::Create(WalletDir(o), *ks, pin));
  ctx.Success({{"command", "init"}, {"wallet", WalletDir(o)}, {"keystore", KeystoreDir(o)}},
              "wallet created in " + WalletDir(o) + " (keystore " + KeystoreDir(o) + ")\n");
  return Ok();
}

// Checks the PIN (one counted attempt); on failure prints what is left or the wait.
Status RunUnlock(const Ctx& ctx, const WalletStoreOpts& o) {
  WQ_ASSIGN(auto ks, OpenKeystore(o));
  WQ_ASSIGN(keys::SecretText pin, ReadPin(o.pin));
  auto w = wallet::Wallet::Open(WalletDir(o), *ks, pin, ctx.Now());
  auto st = ks->State(ctx.Now());
  if (!w) {
    Error e = w.error();
    if (st)
      e.message += " [failures " + std::to_string(st->failures) + ", attempts left " +
                   std::to_string(st->total_attempts_left) + "]";
    return Fail(e);
  }
  WQ_ASSIGN(auto list, w->List());
  json j{{"command", "unlock"}, {"credentials", list.size()}};
  if (st) j["pin"] = PinStateJson(*st);
  ctx.Success(j, "unlocked: " + std::to_string(list.size()) + " credential(s)\n");
  return Ok();
}

struct ImportOpts {
  std::string file;
  std::string trust_list;
  std::string root;
  std::string batch;
};

Status RunImport(const Ctx& ctx, const WalletStoreOpts& o, const ImportOpts& io) {
  WQ_ASSIGN(auto tl, LoadTrust(ctx, io.trust_list, io.root));
  WQ_ASSIGN(Bytes cred, keys::ReadFileBytes(io.file, wallet::kMaxCredentialBytes + 1));
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  wallet::ImportOptions import;
  import.batch = io.batch;
  auto s = op.wallet->Import(cred, *tl, ctx.Now(), import);
  if (!s) {
    // The refusal's reason is what scripts branch on.
    ctx.Report("import", s.error(), kExitCheckFailed);
    return Ok();
  }
  json j = SummaryJson(*s);
  j["command"] = "import";
  ctx.Success(j, "imported " + SummaryText(*s));
  return Ok();
}

Status RunList(const Ctx& ctx, const WalletStoreOpts& o) {
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(auto list, op.wallet->List());
  json j{{"command", "list"}, {"credentials", json::array()}};
  std::string text;
  for (const auto& s : list) {
    j["credentials"].push_back(SummaryJson(s));
    text += SummaryText(s);
  }
  if (list.empty()) text = "the wallet is empty\n";
  ctx.Success(j, text);
  return Ok();
}

Status RunBatch(const Ctx& ctx, const WalletStoreOpts& o, const std::string& name) {
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(wallet::BatchStatus b, op.wallet->Batch(name, ctx.Now()));
  json j{{"command", "batch"},
         {"batch", SafeText(b.batch, 256)},
         {"docType", SafeText(b.doc_type, 256)},
         {"total", b.total},
         {"unused", b.unused},
         {"usableNow", b.usable_now},
         {"needsRefill", b.needs_refill}};
  ctx.Success(j, std::to_string(b.usable_now) + " of " + std::to_string(b.total) + " single-use credentials left" +
                     (b.needs_refill ? " (ask the issuer for a refill)" : "") + "\n");
  return Ok();
}

Status RunDelete(const Ctx& ctx, const WalletStoreOpts& o, int64_t id) {
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_TRY(op.wallet->Delete(id));
  ctx.Success({{"command", "delete"}, {"id", id}}, "deleted credential " + std::to_string(id) + "\n");
  return Ok();
}

Status RunChangePin(const Ctx& ctx, const WalletStoreOpts& o, const SecretOpts& new_pin_opts) {
  WQ_ASSIGN(auto ks, OpenKeystore(o));
  WQ_ASSIGN(keys::SecretText pin, ReadPin(o.pin));
  WQ_ASSIGN(keys::SecretText new_pin, ReadNewPin(new_pin_opts, kNewPinEnv, "new-pin"));
  WQ_TRY(ks->ChangePin(pin, new_pin, ctx.Now()));
  ctx.Success({{"command", "change-pin"}}, "PIN changed\n");
  return Ok();
}

// A fresh device key in the keystore; its public key (SubjectPublicKeyInfo DER) goes to the issuer
// (`wathiq issuer issue --device-key`). The private key stays in the keystore.
Status RunNewDeviceKey(const Ctx& ctx, const WalletStoreOpts& o, const std::string& out) {
  WQ_TRY(CheckNewOutput(out, "--out"));
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(wallet::DeviceKeyInfo k, op.wallet->NewDeviceKey());
  WQ_ASSIGN(Bytes spki, k.public_key.ToSpki());
  WQ_TRY(keys::WriteFileAtomically(out, spki, keys::WriteMode::kCreateNew, 0644));
  ctx.Success({{"command", "new-device-key"}, {"keyId", k.key_id}, {"out", out}},
              "device key " + k.key_id + ": public key written to " + out + "\n");
  return Ok();
}

struct StatusOpts {
  std::string tokens;
  std::string trust_list;
  std::string root;
};

// Reads the published tokens for every credential's list and stores the last known state.
Status RunStatus(const Ctx& ctx, const WalletStoreOpts& o, const StatusOpts& so) {
  if (so.tokens.empty()) return Fail(Errc::kInvalidArgument, "give --tokens (the published status folder)");
  WQ_ASSIGN(auto tl, LoadTrust(ctx, so.trust_list, so.root));
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(std::vector<wallet::StatusCheck> checks, op.wallet->UpdateStatus(so.tokens, *tl, ctx.Now()));
  WQ_ASSIGN(auto list, op.wallet->List());
  json j{{"command", "status"}, {"credentials", json::array()}};
  std::string text;
  for (const auto& c : checks) {
    auto s = std::find_if(list.begin(), list.end(), [&](const wallet::CredentialSummary& x) { return x.id == c.id; });
    json cj{{"id", c.id}, {"outcome", c.outcome}, {"held", std::string(wallet::HeldStatusName(c.held))}};
    if (!c.reason.empty()) cj["reason"] = c.reason;
    if (!c.detail.empty()) cj["detail"] = SafeText(c.detail, 512);
    if (c.token_iat) cj["tokenIat"] = c.token_iat;
    if (s != list.end()) cj["docType"] = SafeText(s->doc_type, 256);
    j["credentials"].push_back(std::move(cj));
    std::string name =
        s == list.end() ? std::string("?") : SafeText(s->doc_name_en.empty() ? s->doc_type : s->doc_name_en, 256);
    text += std::to_string(c.id) + "  " + name + ": " + c.outcome;
    if (!c.reason.empty()) text += " (" + c.reason + ")";
    if (c.outcome == "unknown" && c.held != wallet::HeldStatus::kUnchecked) {
      text += "; last known: " + std::string(wallet::HeldStatusName(c.held));
    }
    text += "\n";
  }
  if (checks.empty()) text = "the wallet is empty\n";
  ctx.Success(j, text);
  return Ok();
}

struct BackupOpts {
  std::string out;
  std::string recovery_code_out;  // a new recovery code is generated and written here
  SecretOpts passphrase;
};

Status RunBackup(const Ctx& ctx, const WalletStoreOpts& o, const BackupOpts& b) {
  WQ_TRY(CheckNewOutput(b.out, "--out"));
  if (!b.recovery_code_out.empty()) WQ_TRY(CheckNewOutput(b.recovery_code_out, "--new-recovery-code"));
  std::optional<keys::SecretText> secret;
  if (b.recovery_code_out.empty()) {
    WQ_ASSIGN(keys::SecretText p, ReadSecretOrPrompt(b.passphrase, kBackupEnv, "passphrase", "Backup passphrase: "));
    secret.emplace(std::move(p));
  } else {
    secret.emplace(wallet::GenerateRecoveryCode());
  }
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  wallet::WalletBackup backup;
  backup.created_at = ctx.Now();
  WQ_ASSIGN(backup.documents, op.wallet->BackupDocuments());
  WQ_ASSIGN(Bytes sealed, wallet::SealBackup(backup, *secret));
  if (!b.recovery_code_out.empty()) {
    Bytes code(secret->view().begin(), secret->view().end());
    code.push_back('\n');
    auto w = keys::WriteFileAtomically(b.recovery_code_out, code, keys::WriteMode::kCreateNew, 0600);
    SecureWipe(code);
    WQ_TRY(w);
  }
  auto w = keys::WriteFileAtomically(b.out, sealed, keys::WriteMode::kCreateNew, 0600);
  if (!w) {
    if (!b.recovery_code_out.empty()) std::remove(b.recovery_code_out.c_str());  // a code for no backup
    return w;
  }
  size_t credentials = 0;
  for (const auto& d : backup.documents) credentials += d.credentials.size();
  json j{{"command", "backup"},
         {"out", b.out},
         {"documents", backup.documents.size()},
         {"credentials", credentials},
         {"bytes", sealed.size()}};
  std::string text = "backup of " + std::to_string(backup.documents.size()) + " document(s) written to " + b.out +
                     " (" + std::to_string(sealed.size()) + " bytes)\n";
  if (!b.recovery_code_out.empty()) {
    j["recoveryCode"] = b.recovery_code_out;
    text += "the recovery code is in " + b.recovery_code_out +
            ": write it down, keep it away from the backup, then delete that file\n";
  }
  ctx.Success(j, text);
  return Ok();
}

struct RestoreOpts {
  std::string backup;
  std::string requests_out;
  SecretOpts passphrase;
};

// Opens the backup (nothing is created if it does not open), makes fresh device keys in this new wallet and
// writes the re-issue requests for the issuer.
Status RunRestore(const Ctx& ctx, const WalletStoreOpts& o, const RestoreOpts& r) {
  WQ_TRY(CheckNewOutput(r.requests_out, "--requests-out"));
  WQ_ASSIGN(Bytes file, keys::ReadFileBytes(r.backup, wallet::kMaxBackupBytes + 1));
  WQ_ASSIGN(keys::SecretText secret,
            ReadSecretOrPrompt(r.passphrase, kBackupEnv, "passphrase", "Backup passphrase or recovery code: "));
  auto start = std::chrono::steady_clock::now();
  WQ_ASSIGN(wallet::WalletBackup backup, wallet::OpenBackup(file, secret));
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(std::vector<wallet::ReissueRequest> requests, wallet::RestoreFromBackup(*op.wallet, backup));
  json reqs = json::array();
  std::string text;
  for (const auto& q : requests) {
    json old = json::array();
    for (const auto& d : q.old_mso_digests) old.push_back(ToHex(d));
    WQ_ASSIGN(Bytes spki, q.device_key.public_key.ToSpki());
    reqs.push_back({{"agency", q.agency},
                    {"docType", q.doc_type},
                    {"documentNumber", q.document_number},
                    {"label", {{"en", q.label_en}, {"ar", q.label_ar}}},
                    {"oldCredentials", old},
                    {"deviceKey", Base64Encode(spki)},
                    {"deviceKeyId", q.device_key.key_id}});
    text += "  " + SafeText(q.label_en.empty() ? q.doc_type : q.label_en, 256) + " (" + SafeText(q.agency, 256) +
            "): new device key " + q.device_key.key_id + "\n";
  }
  json doc{{"restoreRequests", reqs}, {"backupCreated", backup.created_at}};
  std::string body = Dump(doc) + "\n";
  // The requests name document numbers: 0600, like the backup.
  WQ_TRY(keys::WriteFileAtomically(r.requests_out, AsBytes(body), keys::WriteMode::kCreateNew, 0600));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx.Success({{"command", "restore"}, {"requests", requests.size()}, {"out", r.requests_out}, {"seconds", seconds}},
              std::to_string(requests.size()) + " re-issue request(s) written to " + r.requests_out +
                  " for the issuer:\n" + text);
  return Ok();
}

}  // namespace

void AddWalletStoreOptions(CLI::App* c, WalletStoreOpts& o, bool with_pin) {
  c->add_option("--wallet", o.wallet_dir,
                "the wallet's app-data folder (default $WATHIQ_WALLET_DIR, else ~/.local/share/wathiq/wallet)");
  c->add_option("--keystore", o.keystore_dir,
                "the file keystore folder, outside the app-data folder (default $WATHIQ_KEYSTORE_DIR, else "
                "~/.local/state/wathiq/keystore)");
  if (with_pin) AddSecretOptions(c, o.pin, "pin", kPinEnv);
}

Status RunStoreShow(const Ctx& ctx, const WalletStoreOpts& o, int64_t id) {
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  WQ_ASSIGN(wallet::CredentialView v, op.wallet->Show(id));
  json j = SummaryJson(v.summary);
  j["command"] = "show";
  j["elements"] = json::array();
  std::string text = SummaryText(v.summary);
  for (const auto& e : v.elements) {
    json ej{{"id", SafeText(e.id, 256)},
            {"label", {{"en", SafeText(e.label_en)}, {"ar", SafeText(e.label_ar)}}},
            {"value", verifier::ElementValueJson(e.value)}};
    std::string value = verifier::ElementValueText(e.value);
    if (e.value_label) {
      ej["valueLabel"] = {{"en", SafeText(e.value_label->label_en)}, {"ar", SafeText(e.value_label->label_ar)}};
      value = SafeText(e.value_label->label_en) + " / " + SafeText(e.value_label->label_ar);
    }
    j["elements"].push_back(std::move(ej));
    text += "  " + SafeText(e.label_en) + " / " + SafeText(e.label_ar) + ": " + value + "\n";
  }
  ctx.Success(j, text);
  return Ok();
}

Status RunStorePresent(const Ctx& ctx, const WalletStoreOpts& o, const StorePresentOpts& p) {
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  wallet::DisclosureChoice choice{p.profile, SplitCommas(p.disclose)};
  wallet::PresentOptions po;
  po.now = ctx.Now();
  if (!p.challenge.empty()) {
    WQ_ASSIGN(std::string wqc, ReadScannedCode(p.challenge, 8192));  // the WQC as text or as a photo
    po.challenge_text = std::move(wqc);
  }
  if ((p.id != 0) == !p.batch.empty()) return Fail(Errc::kInvalidArgument, "give one of --id or --batch");
  WQ_ASSIGN(wallet::PresentedQr q,
            p.batch.empty() ? op.wallet->Present(p.id, choice, po) : op.wallet->PresentFromBatch(p.batch, choice, po));
  if (po.challenge_text) {
    std::cerr << "answering a challenge from a verifier that calls itself \"" << q.verifier_name << "\" (unverified)\n";
  }
  WQ_ASSIGN(wallet::QrCode code, wallet::EncodeQr(q.presentation.text));
  if (!p.png.empty()) WQ_TRY(wallet::WritePng(code, {}, p.png));
  if (!p.svg.empty()) WQ_TRY(wallet::WriteSvg(code, {}, p.svg));
  if (!p.text_out.empty()) {
    WQ_TRY(keys::WriteFileAtomically(p.text_out, AsBytes(q.presentation.text), keys::WriteMode::kReplace, 0600));
  }
  json j{{"command", "present"},
         {"id", p.id},
         {"characters", q.presentation.text.size()},
         {"version", code.version},
         {"elements", q.disclosed}};
  std::string text = std::to_string(q.disclosed.size()) + " elements, " + std::to_string(q.presentation.text.size()) +
                     " characters, QR version " + std::to_string(code.version) + "\n";
  if (p.png.empty() && p.svg.empty() && p.text_out.empty()) text += q.presentation.text + "\n";
  ctx.Success(j, text);
  if (p.terminal && !ctx.json_out) std::cout << wallet::RenderTerminal(code);
  return Ok();
}

void RegisterWalletStoreCommands(CLI::App* wallet_cmd, const std::shared_ptr<Ctx>& ctx) {
  auto o = std::make_shared<WalletStoreOpts>();

  CLI::App* init =
      wallet_cmd->add_subcommand("init", "create an encrypted wallet (random database key wrapped under the PIN)");
  AddWalletStoreOptions(init, *o);
  init->callback(Action(ctx, "init", [ctx, o] { return RunInit(*ctx, *o); }));

  CLI::App* unlock = wallet_cmd->add_subcommand("unlock", "check the PIN (counted); shows attempts left or the wait");
  AddWalletStoreOptions(unlock, *o);
  unlock->callback(Action(ctx, "unlock", [ctx, o] { return RunUnlock(*ctx, *o); }));

  auto io = std::make_shared<ImportOpts>();
  CLI::App* import = wallet_cmd->add_subcommand("import", "verify a credential file in full and store it");
  import->add_option("file", io->file, "the credential file (IssuerSigned)")->required();
  import->add_option("--trust-list", io->trust_list, "signed trust list (COSE_Sign1)")->required();
  import->add_option("--root", io->root, "the pinned national root certificate (PEM or DER)")->required();
  import->add_option("--batch", io->batch, "add it to this single-use batch (one QR per credential)");
  AddWalletStoreOptions(import, *o);
  import->callback(Action(ctx, "import", [ctx, o, io] { return RunImport(*ctx, *o, *io);
}));

CLI::App* list = wallet_cmd->add_subcommand("list", "the wallet's credentials");
AddWalletStoreOptions(list, *o);
list->callback(Action(ctx, "list", [ctx, o] { return RunList(*ctx, *o); }));

auto batch_name = std::make_shared<std::string>();
CLI::App* batch = wallet_cmd->add_subcommand("batch", "how many single-use credentials a batch has left");
batch->add_option("name", *batch_name, "the batch name given at import")->required();
AddWalletStoreOptions(batch, *o);
batch->callback(Action(ctx, "batch", [ctx, o, batch_name] { return RunBatch(*ctx, *o, *batch_name); }));

auto del_id = std::make_shared<int64_t>(0);
CLI::App* del = wallet_cmd->add_subcommand("delete", "remove a credential (and its device key)");
del->add_option("--id", *del_id, "the credential's id (wallet list)")->required();
AddWalletStoreOptions(del, *o);
del->callback(Action(ctx, "delete", [ctx, o, del_id] { return RunDelete(*ctx, *o, *del_id); }));

auto key_out = std::make_shared<std::string>();
CLI::App* newkey =
    wallet_cmd->add_subcommand("new-device-key", "create a device key; write its public key for the issuer");
newkey->add_option("--out", *key_out, "the public key file to write (SubjectPublicKeyInfo DER)")->required();
AddWalletStoreOptions(newkey, *o);
newkey->callback(Action(ctx, "new-device-key", [ctx, o, key_out] { return RunNewDeviceKey(*ctx, *o, *key_out); }));

auto so = std::make_shared<StatusOpts>();
CLI::App* status = wallet_cmd->add_subcommand(
    "status", "read the published status tokens: valid, revoked, suspended or unknown (and why) per credential");
status->add_option("--tokens", so->tokens, "the published status folder (<host>/<path> per status URI)")->required();
status->add_option("--trust-list", so->trust_list, "signed trust list (COSE_Sign1)")->required();
status->add_option("--root", so->root, "the pinned national root certificate (PEM or DER)")->required();
AddWalletStoreOptions(status, *o);
status->callback(Action(ctx, "status", [ctx, o, so] { return RunStatus(*ctx, *o, *so); }));

auto bo = std::make_shared<BackupOpts>();
CLI::App* backup = wallet_cmd->add_subcommand(
    "backup", "write an encrypted backup (documents and numbers, no device key) for a new phone");
backup->add_option("--out", bo->out, "the backup file to create")->required();
backup->add_option("--new-recovery-code", bo->recovery_code_out,
                   "generate a recovery code (125 bits) as the backup secret and write it to this new file");
AddSecretOptions(backup, bo->passphrase, "passphrase", kBackupEnv);
AddWalletStoreOptions(backup, *o);
backup->callback(Action(ctx, "backup", [ctx, o, bo] { return RunBackup(*ctx, *o, *bo); }));

auto ro = std::make_shared<RestoreOpts>();
CLI::App* restore = wallet_cmd->add_subcommand(
    "restore", "open a backup in a new wallet: fresh device keys and re-issue requests for the issuer");
restore->add_option("--backup", ro->backup, "the backup file")->required();
restore->add_option("--requests-out", ro->requests_out, "the re-issue requests to write (JSON)")->required();
AddSecretOptions(restore, ro->passphrase, "passphrase", kBackupEnv);
AddWalletStoreOptions(restore, *o);
restore->callback(Action(ctx, "restore", [ctx, o, ro] { return RunRestore(*ctx, *o, *ro); }));

auto new_pin = std::make_shared<SecretOpts>();
CLI::App* change = wallet_cmd->add_subcommand("change-pin", "re-wrap the database key under a new PIN");
AddWalletStoreOptions(change, *o);
AddSecretOptions(change, *new_pin, "new-pin", kNewPinEnv);
change->callback(Action(ctx, "change-pin", [ctx, o, new_pin] { return RunChangePin(*ctx, *o, *new_pin); }));
}  // namespace wathiq::cli

}  // namespace wathiq::cli
