// Wathiq issuer: backing a deployment up, restoring it, and the guard that keeps a restored (or otherwise
// rolled-back) registry from forking the log its verifiers already hold.
//
// A backup folder OUT (`wathiq issuer backup -d DIR --out OUT`):
//   OUT/registry.db        a consistent snapshot of the registry through SQLite's online backup API
//                          (storage::Database::BackupTo), encrypted with the registry's own key
//   OUT/registry.key       the sealed registry key, as in DIR (the snapshot is useless without the passphrase)
//   OUT/log.key            the sealed log key, when the config names a file inside DIR
//   OUT/deployment.json    the config
//   OUT/files/<n>-<name>   key and certificate files the config names outside DIR (sealed keys stay sealed)
//   OUT/manifest.json      {"format": "wathiq-issuer-backup/1", "source_dir", "created", "log_size",
//                           "credentials", "checkpoint_size", "files": [{"name", "size", "sha256",
//                           "original"?}]}
//
// Guarantees:
//  - Backup does not take the deployment's lock: the snapshot is one read transaction, so a running batch
//    keeps going and the snapshot holds whole transactions only. OUT is built in a temporary sibling folder
//    and renamed into place, so OUT is complete or absent; OUT must not exist.
//  - Restore checks the whole backup before touching DIR (every file's size and SHA-256 against the
//    manifest, the registry key unseals under the passphrase, the snapshot passes the full integrity check
//    and its log size is the manifest's). Then, holding DIR's lock, it writes the registry copy and the key
//    files beside their targets and renames them into place (a stale -wal/-shm is removed first); paths
//    in the config that pointed into the backed-up folder are rewritten to DIR. Files the config names
//    outside DIR are put back only where missing. DIR's public and audit folders and its published-
//    checkpoint record are kept.
//  - The published-checkpoint record DIR/published-checkpoint holds the signed note of the newest checkpoint
//    Publish signed; Publish writes it after its transaction commits and before any file. Deployment::Open
//    runs CheckLogAgainstPublished: a registry whose log is shorter than that checkpoint is refused (kState,
//    reason log_behind_published, the message names both sizes), and one whose root at that size differs
//    (log_forked): issuing, revoking or publishing on it would fork the log verifiers hold. A restore passed
//    `published_checkpoint` (the note fetched from the public server, checked with the log key) records it
//    when it is newer than the record, so a deployment restored on a fresh machine is guarded too.
// Thread-safety: reentrant (each call works on its own files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/issuer/registry.h"
#include "wathiq/keys/secret_text.h"

namespace wathiq::issuer {

inline constexpr const char* kBackupFormat = "wathiq-issuer-backup/1";

struct BackupReport {
  std::string dir;  // OUT
  uint64_t log_size = 0;
  uint64_t credentials = 0;
  std::optional<uint64_t> checkpoint_size;  // the registry's last signed checkpoint
  std::vector<std::string> files;           // relative to OUT
  double seconds = 0;
};

Result<BackupReport> BackupDeployment(const std::string& dir, const std::string& out,
                                      const keys::SecretText& passphrase);

struct RestoreOptions {
  // The last checkpoint the public server serves (a signed note), to record when newer than DIR's record;
  // empty: none. Checked with the restored config's log key, opened through `open_key`.
  std::string published_checkpoint;
};

struct RestoreReport {
  std::string dir;
  uint64_t log_size = 0;                     // the restored registry's log
  std::optional<uint64_t> published_size;    // DIR's published-checkpoint record after the restore
  bool behind_published = false;             // the deployment will refuse to act (log_behind_published)
  std::vector<std::string> files_put_back;   // outside files that were missing
  std::vector<std::string> files_differing;  // outside files present with other contents (kept as they are)
};

Result<RestoreReport> RestoreDeployment(const std::string& backup, const std::string& dir,
                                        const keys::SecretText& passphrase, const KeyOpener& open_key,
                                        const RestoreOptions& options = {});

// The guard (see above). A missing record passes; an unreadable or wrongly signed one is kMalformed
// (reason published_checkpoint_unreadable).
Status CheckLogAgainstPublished(const std::string& dir, Registry& registry, std::string_view log_name,
                                const PublicKey& log_key);
// Records a signed checkpoint note as DIR's published checkpoint (atomically).
Status RecordPublishedCheckpoint(const std::string& dir, std::string_view note);

}  // namespace wathiq::issuer
