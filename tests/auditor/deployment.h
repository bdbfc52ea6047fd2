// Test support for the auditor: a small issuer deployment written by hand, exactly as docs/PUBLICATION.md
// lays it out (entries, checkpoints, token history in the audit folder; checkpoint, hash tiles, latest
// tokens and aggregation documents in the public folder), with hooks a dishonest issuer would use.
// It knows nothing of issuer/: the auditor must agree with the contract, not with one implementation.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/pki_fixture.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/note.h"
#include "wathiq/status/token.h"

namespace wathiq::test {

struct PublishHooks {
  // Edits a list (or its claims) after the honest rebuild, before signing: a dishonest issuer.
  std::function<void(const std::string& uri, status::StatusList& list, status::StatusListClaims& claims)> tamper;
  // false: no status_list_published entry for this list's token.
  std::function<bool(const std::string& uri)> log_token;
};

class Deployment {
 public:
  // A fresh deployment under `dir` (removed first), with the test PKI's agencies and one list each.
  explicit Deployment(const std::filesystem::path& dir, uint64_t list_entries = 131072);
  Deployment(const Deployment&) = delete;

  log::CredentialId Issue(const std::string& agency, const std::string& uri, uint64_t index);
  void Change(log::Event event, const log::CredentialId& id, const std::string& agency, const std::string& uri,
              uint64_t index, const std::string& reason = "lost");
  void AppendRaw(const log::Entry& e);  // any entry (for impossible histories)
  // One publication: tokens at the current size S, their entries, checkpoints S and S', folders.
  void Publish(const PublishHooks& hooks = {});
  // Rewrites the whole deployment from `entries` (the folders are emptied first) and publishes: an
  // issuer rewriting history and re-signing everything.
  void RewriteFrom(std::vector<Bytes> entries);

  auditor::AuditInput Input() const;
  log::Checkpoint LatestCheckpoint() const { return last_checkpoint_; }
  std::string SignCheckpointNote(uint64_t size) const;
  const TestAgency& agency(const std::string& id) const { return pki.agency(id); }
  std::string ListUri(const std::string& agency_id, int n = 1) const;
  std::filesystem::path TokenHistoryDir(const std::string& uri) const;
  Bytes SignToken(const std::string& agency, const std::string& uri, const status::StatusList& list, uint64_t size,
                  uint64_t iat) const;

  TestPki pki;
  std::shared_ptr<const keys::TrustList> trust_list;
  Bytes trust_list_bytes;  // as published (aggregation URIs beside the lists)
  std::filesystem::path dir, audit, pub, log_dir;
  std::vector<Bytes> entries;
  std::vector<log::Entry> decoded;
  log::MemoryTree tree;
  std::map<std::string, status::StatusList> lists;  // the issuer's own lists
  std::map<std::string, std::string> list_agency;
  uint64_t now = static_cast<uint64_t>(kPkiNow);
  std::map<std::string, Bytes> last_tokens;

 private:
  void Write(uint64_t size_before_publications);
  std::unique_ptr<log::NoteSigner> note_;
  log::Checkpoint last_checkpoint_;
  uint64_t list_entries_;
  uint64_t counter_ = 0;
};

}  // namespace wathiq::test
