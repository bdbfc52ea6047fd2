// `wathiq wallet init | unlock | import | list | show --id | present --id | delete | change-pin`: the
// citizen's encrypted wallet (wallet/store.h) with the file keystore (wallet/keystore.h). The work is the
// wallet library's; this file parses arguments and prints.
#include "wallet_cmd.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "wathiq/keys/trust_list.h"
#include "wathiq/verifier/report.h"
#include "wathiq/wallet/keystore.h"
#include "wathiq/wallet/qr_render.h"
#include "wathiq/wallet/store.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;

constexpr const char* kPinEnv = "WATHIQ_PIN";
constexpr const char* kNewPinEnv = "WATHIQ_NEW_PIN";

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
  WQ_ASSIGN(keys::SecretText pin, ReadSecret(o.pin, kPinEnv, "pin"));
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
  return j;
}

std::string SummaryText(const wallet::CredentialSummary& s) {
  std::string name =
      s.doc_name_en.empty() ? SafeText(s.doc_type, 256) : SafeText(s.doc_name_en) + " / " + SafeText(s.doc_name_ar);
  return std::to_string(s.id) + "  " + name + "  (" + SafeText(s.agency_id) + ", valid until " +
         mdoc::FormatTdate(s.validity.valid_until) + ")\n";
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
  WQ_ASSIGN(keys::SecretText pin, ReadSecret(o.pin, kPinEnv, "pin"));
  WQ_ASSIGN(wallet::Wallet w, wallet::Wallet::Create(WalletDir(o), *ks, pin));
  ctx.Success({{"command", "init"}, {"wallet", WalletDir(o)}, {"keystore", KeystoreDir(o)}},
              "wallet created in " + WalletDir(o) + " (keystore " + KeystoreDir(o) + ")\n");
  return Ok();
}

// Checks the PIN (one counted attempt); on failure prints what is left or the wait.
Status RunUnlock(const Ctx& ctx, const WalletStoreOpts& o) {
  WQ_ASSIGN(auto ks, OpenKeystore(o));
  WQ_ASSIGN(keys::SecretText pin, ReadSecret(o.pin, kPinEnv, "pin"));
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
  if (io.trust_list.empty() || io.root.empty()) return Fail(Errc::kInvalidArgument, "give --trust-list and --root");
  WQ_ASSIGN(keys::Certificate root, ReadCert(io.root));
  WQ_ASSIGN(Bytes tl_bytes, keys::ReadFileBytes(io.trust_list, 16u << 20));
  keys::TrustListPolicy policy;
  policy.now = ctx.Now();
  auto tl = keys::TrustList::Load(tl_bytes, root, policy);
  if (!tl) return Fail(tl.error());
  WQ_ASSIGN(Bytes cred, keys::ReadFileBytes(io.file, wallet::kMaxCredentialBytes + 1));
  WQ_ASSIGN(Opened op, OpenWallet(ctx, o));
  wallet::ImportOptions import;
  import.batch = io.batch;
  auto s = op.wallet->Import(cred, **tl, ctx.Now(), import);
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
  WQ_ASSIGN(keys::SecretText pin, ReadSecret(o.pin, kPinEnv, "pin"));
  WQ_ASSIGN(keys::SecretText new_pin, ReadSecret(new_pin_opts, kNewPinEnv, "new-pin"));
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
    WQ_ASSIGN(Bytes b, keys::ReadFileBytes(p.challenge, 8192));
    std::string wqc(b.begin(), b.end());
    while (!wqc.empty() && (wqc.back() == '\n' || wqc.back() == '\r')) wqc.pop_back();
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

auto new_pin = std::make_shared<SecretOpts>();
CLI::App* change = wallet_cmd->add_subcommand("change-pin", "re-wrap the database key under a new PIN");
AddWalletStoreOptions(change, *o);
AddSecretOptions(change, *new_pin, "new-pin", kNewPinEnv);
change->callback(Action(ctx, "change-pin", [ctx, o, new_pin] { return RunChangePin(*ctx, *o, *new_pin); }));
}  // namespace wathiq::cli

}  // namespace wathiq::cli
