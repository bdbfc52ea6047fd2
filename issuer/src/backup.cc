#include "wathiq/issuer/backup.h"

#include "deployment_internal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "wathiq/core/file.h"
#include "wathiq/core/json.h"
#include "wathiq/keys/sealed_secret.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/note.h"
#include "wathiq/storage/database.h"

namespace wathiq::issuer {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kConfigFile = "deployment.json";
constexpr const char* kRegistryKeyFile = "registry.key";
constexpr const char* kRegistryFile = "registry.db";
constexpr const char* kLogKeyFile = "log.key";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kPublishedFile = "published-checkpoint";
constexpr size_t kMaxSmallFile = 4u << 20;

Status SyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(Errc::kIo, "cannot open " + path + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Fail(Errc::kIo, "cannot sync " + path);
  return Ok();
}

// Renames with a clear error.
Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Fail(Errc::kIo, "cannot rename " + from + " to " + to);
  return Ok();
}

bool Under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// Every file path a config names: the log key, and each agency's signer keys and certificates.
std::vector<std::string*> ConfigPaths(DeploymentConfig& c) {
  std::vector<std::string*> out;
  if (c.log_key && !c.log_key->file.empty()) out.push_back(&c.log_key->file);
  for (auto& a : c.agencies) {
    if (!a.document_signer.file.empty()) out.push_back(&a.document_signer.file);
    out.push_back(&a.document_signer_cert);
    if (!a.status_signer.file.empty()) out.push_back(&a.status_signer.file);
    out.push_back(&a.status_signer_cert);
  }
  return out;
}

Result<DeploymentConfig> ReadConfig(const std::string& path, const std::string& base) {
  WQ_ASSIGN(Bytes text, ReadFileBytes(path, 1u << 20));
  auto c = ParseDeploymentConfig(AsString(text), base);
  if (!c) return Wrap(path, c.error());
  return c;
}

struct Snapshot {
  uint64_t log_size = 0;
  uint64_t credentials = 0;
  std::optional<uint64_t> checkpoint_size;
};

Result<Snapshot> Describe(const std::string& db_path, const SecureBuffer& key) {
  WQ_ASSIGN(std::unique_ptr<Registry> reg, OpenSqlcipherRegistry(db_path, key, false));
  Snapshot s;
  WQ_ASSIGN(s.log_size, reg->LogSize());
  WQ_ASSIGN(s.credentials, reg->CredentialCount());
  WQ_ASSIGN(std::optional<StoredCheckpoint> last, reg->LastCheckpoint());
  if (last) s.checkpoint_size = last->size;
  return s;
}

Result<log::NoteVerifier> VerifierOf(std::string_view log_name, const PublicKey& key) {
  if (key.curve() != Curve::kEd25519) return Fail(Errc::kInvalidArgument, "the log key is not Ed25519");
  return log::NoteVerifier::FromPublicKey(log_name, key.raw());
}

// DIR's published-checkpoint record, opened with the log key; nullopt when there is none.
Result<std::optional<log::Checkpoint>> ReadPublished(const std::string& dir, const log::NoteVerifier& v,
                                                     std::string_view origin) {
  std::string path = dir + "/" + kPublishedFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<log::Checkpoint>();
  auto bytes = ReadFileBytes(path, 64 * 1024);
  if (!bytes) {
    return Fail(Errc::kMalformed, "cannot read the published-checkpoint record " + path + ": " + bytes.error().message,
                "published_checkpoint_unreadable");
  }
  auto c = log::OpenCheckpoint(AsString(*bytes), v, origin);
  if (!c) {
    return Fail(Errc::kMalformed,
                "the published-checkpoint record " + path +
                    " is not a checkpoint signed by this log's key: " + c.error().message,
                "published_checkpoint_unreadable");
  }
  return std::optional<log::Checkpoint>(std::move(*c));
}

json FileEntry(const std::string& name, ByteView bytes) {
  return {{"name", name}, {"size", bytes.size()}, {"sha256", ToHex(Sha256(bytes))}};
}

}  // namespace

Status RecordPublishedCheckpoint(const std::string& dir, std::string_view note) {
  return WriteFileAtomically(dir + "/" + kPublishedFile, AsBytes(note), WriteMode::kReplace, 0600);
}

Status CheckLogAgainstPublished(const std::string& dir, Registry& registry, std::string_view log_name,
                                const PublicKey& log_key) {
  WQ_ASSIGN(log::NoteVerifier v, VerifierOf(log_name, log_key));
  WQ_ASSIGN(std::optional<log::Checkpoint> published, ReadPublished(dir, v, log_name));
  if (!published) return Ok();
  WQ_ASSIGN(uint64_t size, registry.LogSize());
  if (size < published->size) {
    return Fail(Errc::kState,
                "the registry's log has " + std::to_string(size) + " entries but a checkpoint of size " +
                    std::to_string(published->size) +
                    " was published: entries were lost (an older backup restored?); acting now would fork "
                    "the published log. Restore a backup taken after that publication",
                "log_behind_published");
  }
  WQ_ASSIGN(log::Hash root, log::TreeRoot(registry, published->size));
  if (root != published->root) {
    return Fail(Errc::kState,
                "the registry's log at size " + std::to_string(published->size) +
                    " does not have the root of the published checkpoint of that size: the log was forked",
                "log_forked");
  }
  return Ok();
}

Result<BackupReport> BackupDeployment(const std::string& dir_in, const std::string& out_in,
                                      const keys::SecretText& passphrase) {
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::string dir = fs::absolute(dir_in, ec).lexically_normal().string();
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  std::string out = fs::absolute(out_in, ec).lexically_normal().string();
  if (!out.empty() && out.back() == '/') out.pop_back();
  if (!fs::exists(dir + "/" + kConfigFile, ec)) {
    return Fail(Errc::kNotFound, dir_in + " is not an issuer deployment (no " + std::string(kConfigFile) + ")",
                "no_deployment");
  }
  if (fs::exists(fs::symlink_status(out, ec))) {
    return Fail(Errc::kState, out_in + " exists; a backup goes to a new folder", "output_exists");
  }
  if (out == dir || Under(out, dir)) {
    return Fail(Errc::kInvalidArgument, "the backup folder must lie outside the deployment");
  }
  WQ_ASSIGN(DeploymentConfig config, ReadConfig(dir + "/" + kConfigFile, dir));
  auto key = keys::OpenSealedSecretFile(dir + "/" + kRegistryKeyFile, passphrase);
  if (!key) return Wrap("registry key", key.error());

  std::string tmp = out + ".partial-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp + "/files", ec) || ec) return Fail(Errc::kIo, "cannot create " + tmp);
  fs::permissions(tmp, fs::perms::owner_all, ec);
  BackupReport rep;
  Status built = [&]() -> Status {
    {
      storage::OpenOptions oo;
      oo.mode = storage::OpenMode::kOpenExisting;
      auto db = storage::Database::Open(dir + "/" + kRegistryFile, *key, oo);
      if (!db) return Wrap("registry", db.error());
      WQ_TRY(db->BackupTo(tmp + "/" + kRegistryFile, *key));
      WQ_TRY(db->Close());
    }
    WQ_ASSIGN(Snapshot snap, Describe(tmp + "/" + kRegistryFile, *key));
    rep.log_size = snap.log_size;
    rep.credentials = snap.credentials;
    rep.checkpoint_size = snap.checkpoint_size;

    json files = json::array();
    {
      WQ_ASSIGN(Bytes db_bytes, ReadFileBytes(tmp + "/" + kRegistryFile, size_t{1} << 40));
      files.push_back(FileEntry(kRegistryFile, db_bytes));
    }
    auto copy = [&](const std::string& from, const std::string& name, bool outside) -> Status {
      WQ_ASSIGN(Bytes b, ReadFileBytes(from, kMaxSmallFile));
      WQ_TRY(WriteFileAtomically(tmp + "/" + name, b, WriteMode::kCreateNew, 0600));
      json e = FileEntry(name, b);
      if (outside) e["original"] = from;
      files.push_back(std::move(e));
      rep.files.push_back(name);
      return Ok();
    };
    rep.files.push_back(kRegistryFile);
    WQ_TRY(copy(dir + "/" + kRegistryKeyFile, kRegistryKeyFile, false));
    WQ_TRY(copy(dir + "/" + kConfigFile, kConfigFile, false));
    size_t n = 0;
    for (std::string* p : ConfigPaths(config)) {
      if (*p == dir + "/" + kLogKeyFile) {
        WQ_TRY(copy(*p, kLogKeyFile, false));
      } else if (!Under(*p, dir)) {
        WQ_TRY(copy(*p, "files/" + std::to_string(++n) + "-" + fs::path(*p).filename().string(), true));
      } else {
        return Fail(Errc::kUnsupported, "the config names " + *p + " inside the deployment; only log.key is backed up");
      }
    }
    json manifest{{"format", kBackupFormat},
                  {"source_dir", dir},
                  {"created", static_cast<int64_t>(std::time(nullptr))},
                  {"log_size", rep.log_size},
                  {"credentials", rep.credentials},
                  {"files", files}};
    if (rep.checkpoint_size) manifest["checkpoint_size"] = *rep.checkpoint_size;
    WQ_TRY(
        WriteFileAtomically(tmp + "/" + kManifestFile, AsBytes(manifest.dump(2) + "\n"), WriteMode::kCreateNew, 0600));
    WQ_TRY(SyncPath(tmp + "/files"));
    WQ_TRY(SyncPath(tmp));
    WQ_TRY(RenameFile(tmp, out));
    std::string parent = fs::path(out).parent_path().string();
    return SyncPath(parent.empty() ? "." : parent);
  }();
  if (!built) {
    fs::remove_all(tmp, ec);
    return Fail(built.error());
  }
  rep.dir = out;
  rep.files.push_back(kManifestFile);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

Result<RestoreReport> RestoreDeployment(const std::string& backup_in, const std::string& dir_in,
                                        const keys::SecretText& passphrase, const KeyOpener& open_key,
                                        const RestoreOptions& options) {
  std::error_code ec;
  std::string backup = fs::absolute(backup_in, ec).lexically_normal().string();
  if (!backup.empty() && backup.back() == '/') backup.pop_back();
  std::string dir = fs::absolute(dir_in, ec).lexically_normal().string();
  if (!dir.empty() && dir.back() == '/') dir.pop_back();
  auto bad_backup = [&](const std::string& why) {
    return Fail(Errc::kMalformed, backup_in + " is not a usable backup: " + why, "backup_damaged");
  };

  // 1. The backup, checked whole before anything in DIR changes.
  auto mtext = ReadFileBytes(backup + "/" + kManifestFile, 1u << 20);
  if (!mtext) return bad_backup("no readable " + std::string(kManifestFile) + " (" + mtext.error().message + ")");
  auto parsed_manifest = ParseJsonStrict(AsString(*mtext), "the backup manifest", 1u << 20, 8);
  if (!parsed_manifest) return bad_backup(parsed_manifest.error().message);
  json manifest = std::move(*parsed_manifest);
  if (!manifest.is_object() || manifest.value("format", "") != kBackupFormat || !manifest["files"].is_array() ||
      !manifest["source_dir"].is_string() || !manifest["log_size"].is_number_unsigned()) {
    return bad_backup("the manifest is not a " + std::string(kBackupFormat) + " manifest");
  }
  std::string source_dir = manifest["source_dir"].get<std::string>();
  struct Outside {
    std::string name, original, sha256;
  };
  std::vector<Outside> outside;
  bool have_log_key = false;
  for (const json& f : manifest["files"]) {
    if (!f.is_object() || !f["name"].is_string() || !f["sha256"].is_string() || !f["size"].is_number_unsigned())
      return bad_backup("a manifest file entry is malformed");
    std::string name = f["name"].get<std::string>();
    if (name.empty() || name.find("..") != std::string::npos || name[0] == '/')
      return bad_backup("a manifest file name is not a plain relative name");
    auto bytes = ReadFileBytes(backup + "/" + name, name == kRegistryFile ? size_t{1} << 40 : kMaxSmallFile);
    if (!bytes) return bad_backup(name + ": " + bytes.error().message);
    if (bytes->size() != f["size"].get<uint64_t>() || ToHex(Sha256(*bytes)) != f["sha256"].get<std::string>())
      return bad_backup(name + " does not match the manifest (size or SHA-256)");
    if (name == kLogKeyFile) have_log_key = true;
    if (f.contains("original")) {
      if (!f["original"].is_string()) return bad_backup("a manifest original path is not a string");
      outside.push_back({name, f["original"].get<std::string>(), f["sha256"].get<std::string>()});
    }
  }
  for (const char* need : {kRegistryFile, kRegistryKeyFile, kConfigFile}) {
    if (!fs::exists(backup + "/" + need, ec)) return bad_backup(std::string("no ") + need);
  }
  auto key = keys::OpenSealedSecretFile(backup + "/" + kRegistryKeyFile, passphrase);
  if (!key) return Wrap("the backup's registry key", key.error());
  WQ_ASSIGN(DeploymentConfig config, ReadConfig(backup + "/" + kConfigFile, source_dir));
  // Paths that pointed into the backed-up folder point into DIR now.
  for (std::string* p : ConfigPaths(config)) {
    if (Under(*p, source_dir)) *p = dir + p->substr(source_dir.size());
  }

  // 2. DIR: new, empty, or a deployment (whose lock this restore holds).
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return Fail(Errc::kInvalidArgument, dir_in + " is not a folder");
    if (!fs::is_empty(dir, ec) && !fs::exists(dir + "/" + kConfigFile, ec)) {
      return Fail(Errc::kState,
                  dir_in +
                      " holds files but no deployment; restore into a deployment, an "
                      "empty folder or a new one",
                  "not_a_deployment");
    }
  } else if (!fs::create_directories(dir, ec) || ec) {
    return Fail(Errc::kIo, "cannot create " + dir_in);
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  WQ_ASSIGN(internal::DeploymentLock lock, internal::DeploymentLock::Take(dir));

  // 3. The registry copy beside its target, checked, then everything renamed into place.
  std::string db_new = dir + "/" + kRegistryFile + ".restoring";
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db_new + suffix).c_str());
  RestoreReport rep;
  {
    storage::OpenOptions oo;
    oo.mode = storage::OpenMode::kOpenExisting;
    auto src = storage::Database::Open(backup + "/" + kRegistryFile, *key, oo);
    if (!src) return bad_backup("registry.db: " + src.error().message);
    if (auto ok = src->CheckIntegrity(); !ok) return bad_backup(ok.error().message);
    WQ_TRY(src->BackupTo(db_new, *key));
    WQ_TRY(src->Close());
  }
  auto snap = Describe(db_new, *key);
  if (!snap || snap->log_size != manifest["log_size"].get<uint64_t>()) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db_new + suffix).c_str());
    return bad_backup(snap ? "its log size is not the manifest's" : snap.error().message);
  }
  rep.log_size = snap->log_size;
  for (const auto& o : outside) {
    if (fs::exists(o.original, ec)) {
      auto cur = ReadFileBytes(o.original, kMaxSmallFile);
      if (!cur || ToHex(Sha256(*cur)) != o.sha256) rep.files_differing.push_back(o.original);
      continue;
    }
    WQ_ASSIGN(Bytes b, ReadFileBytes(backup + "/" + o.name, kMaxSmallFile));
    fs::create_directories(fs::path(o.original).parent_path(), ec);
    WQ_TRY(WriteFileAtomically(o.original, b, WriteMode::kCreateNew, 0600));
    rep.files_put_back.push_back(o.original);
  }
  {
    WQ_ASSIGN(Bytes k, ReadFileBytes(backup + "/" + kRegistryKeyFile, kMaxSmallFile));
    WQ_TRY(WriteFileAtomically(dir + "/" + kRegistryKeyFile + ".restoring", k, WriteMode::kReplace, 0600));
  }
  if (have_log_key) {
    WQ_ASSIGN(Bytes k, ReadFileBytes(backup + "/" + kLogKeyFile, kMaxSmallFile));
    WQ_TRY(WriteFileAtomically(dir + "/" + kLogKeyFile, k, WriteMode::kReplace, 0600));
  }
  // The old registry's WAL must not be replayed into the restored file.
  for (const char* suffix : {"-wal", "-shm"}) ::unlink((dir + "/" + kRegistryFile + suffix).c_str());
  WQ_TRY(RenameFile(dir + "/" + kRegistryKeyFile + ".restoring", dir + "/" + kRegistryKeyFile));
  WQ_TRY(RenameFile(db_new, dir + "/" + kRegistryFile));
  WQ_TRY(
      WriteFileAtomically(dir + "/" + kConfigFile, AsBytes(DeploymentConfigJson(config)), WriteMode::kReplace, 0600));
  WQ_TRY(SyncPath(dir));

  // 4. The published-checkpoint record, and where the restored log stands against it.
  if (!config.log_key) return Fail(Errc::kMalformed, "the backup's config names no log key");
  auto lk = open_key(*config.log_key);
  if (!lk) return Wrap("log key", lk.error());
  PublicKey log_pub = lk->cached_public_key();
  WQ_ASSIGN(log::NoteVerifier v, VerifierOf(config.log_name, log_pub));
  WQ_ASSIGN(std::optional<log::Checkpoint> recorded, ReadPublished(dir, v, config.log_name));
  if (!options.published_checkpoint.empty()) {
    auto given = log::OpenCheckpoint(options.published_checkpoint, v, config.log_name);
    if (!given) return Wrap("the published checkpoint given", given.error());
    if (!recorded || given->size > recorded->size) {
      WQ_TRY(RecordPublishedCheckpoint(dir, options.published_checkpoint));
      recorded = *given;
    }
  }
  rep.dir = dir;
  if (recorded) {
    rep.published_size = recorded->size;
    rep.behind_published = rep.log_size < recorded->size;
  }
  return rep;
}

}  // namespace wathiq::issuer
