// `wathiq issuer backup -d DIR --out OUT` and `wathiq issuer restore --from OUT -d DIR [--checkpoint FILE]`:
// a deployment's consistent, still-encrypted snapshot and its restore (issuer/backup.h). Exit codes as in
// issuer_cmd.cc; a restore whose log is behind the published checkpoint succeeds but says so (the deployment
// then refuses to act, reason log_behind_published).
#include <fstream>
#include <sstream>

#include "issuer_cmd.h"
#include "wathiq/core/text.h"
#include "wathiq/issuer/backup.h"
#include "wathiq/keys/keystore.h"

namespace wathiq::cli {
namespace {

using nlohmann::json;

struct BackupOpts {
  std::string dir;
  std::string out;
  SecretOpts pass;
};

struct RestoreOpts {
  std::string from;
  std::string dir;
  std::string checkpoint;
  SecretOpts pass;
  SecretOpts pin;
};

Status RunBackup(const Ctx& ctx, const BackupOpts& o) {
  WQ_ASSIGN(keys::SecretText pass, ReadSecret(o.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  WQ_ASSIGN(issuer::BackupReport r, issuer::BackupDeployment(o.dir, o.out, pass));
  json j{{"command", "backup"},          {"out", r.dir},     {"log_size", r.log_size},
         {"credentials", r.credentials}, {"files", r.files}, {"seconds", r.seconds}};
  if (r.checkpoint_size) j["checkpoint_size"] = *r.checkpoint_size;
  std::ostringstream t;
  t << "backup of " << o.dir << " -> " << r.dir << ": log size " << r.log_size << ", " << r.credentials
    << " credential(s), " << r.files.size() << " files (encrypted; restore needs the deployment passphrase)\n";
  ctx.Success(j, t.str());
  return Ok();
}

Status RunRestore(const Ctx& ctx, const RestoreOpts& o) {
  WQ_ASSIGN(keys::SecretText pass_text, ReadSecret(o.pass, "WATHIQ_PASSPHRASE", "passphrase"));
  auto pass = std::make_shared<keys::SecretText>(std::move(pass_text));
  const issuer::KeyOpener opener = MakeOpener(pass, o.pin);
  issuer::RestoreOptions ro;
  if (!o.checkpoint.empty()) {
    WQ_ASSIGN(Bytes b, keys::ReadFileBytes(o.checkpoint, 64 * 1024));
    ro.published_checkpoint.assign(b.begin(), b.end());
  }
  WQ_ASSIGN(issuer::RestoreReport r, issuer::RestoreDeployment(o.from, o.dir, *pass, opener, ro));
  json j{{"command", "restore"},
         {"dir", r.dir},
         {"log_size", r.log_size},
         {"behind_published", r.behind_published},
         {"files_put_back", r.files_put_back},
         {"files_differing", r.files_differing}};
  if (r.published_size) j["published_size"] = *r.published_size;
  std::ostringstream t;
  t << "restored " << o.from << " -> " << r.dir << ": log size " << r.log_size << "\n";
  for (const auto& f : r.files_put_back) t << "  put back (was missing): " << f << "\n";
  for (const auto& f : r.files_differing) t << "  kept as it is (differs from the backup): " << f << "\n";
  if (r.behind_published) {
    t << "WARNING: the restored log (" << r.log_size << " entries) is behind the published checkpoint (size "
      << *r.published_size
      << "): the deployment will refuse to issue, revoke or publish. Restore a backup taken after that "
         "publication.\n";
  }
  ctx.Success(j, t.str());
  return Ok();
}

}  // namespace

void RegisterIssuerBackupCommands(CLI::App* issuer_cmd, std::shared_ptr<Ctx> ctx) {
  {
    auto o = std::make_shared<BackupOpts>();
    CLI::App* c = issuer_cmd->add_subcommand(
        "backup", "a consistent, encrypted snapshot of a deployment (registry, sealed keys, config) into a new folder");
    c->add_option("--deployment,-d", o->dir, "the deployment folder")->required();
    c->add_option("--out", o->out, "the new backup folder (must not exist)")->required();
    AddSecretOptions(c, o->pass, "passphrase", "WATHIQ_PASSPHRASE");
    c->callback([ctx, o] {
      Status s = RunBackup(*ctx, *o);
      if (!s) ctx->Fail("backup", s.error());
    });
  }
  {
    auto o = std::make_shared<RestoreOpts>();
    CLI::App* c = issuer_cmd->add_subcommand(
        "restore", "restore a backup into a deployment folder (checked whole first; keeps public/audit folders)");
    c->add_option("--from", o->from, "the backup folder (made by `wathiq issuer backup`)")->required();
    c->add_option("--deployment,-d", o->dir, "the deployment folder (existing, empty or new)")->required();
    c->add_option("--checkpoint", o->checkpoint,
                  "the checkpoint the public server serves now (guards a restore on a fresh machine)");
    AddSecretOptions(c, o->pass, "passphrase", "WATHIQ_PASSPHRASE");
    c->add_option("--pin-env", o->pin.env, "PIN variable for a token log key (default WATHIQ_PIN)");
    c->add_option("--pin-file", o->pin.file, "read the PIN for a token log key from this file");
    c->callback([ctx, o] {
      Status s = RunRestore(*ctx, *o);
      if (!s) ctx->Fail("restore", s.error());
    });
  }
}

}  // namespace wathiq::cli
