// Wathiq auditor: the list rebuild (issue 12) — replay every log entry, rebuild every status list bit for
// bit, and compare it with every token the deployment published (docs/PUBLICATION.md).
//
// What RebuildAndCompare() checks, each failure a Finding (findings.h) rather than an error:
//  1. The log: every checkpoint in the audit folder and the public checkpoint are signed by the log's key
//     for the log's origin; the entries, read from the audit folder's bundles and decoded strictly, hash
//     (RFC 9162) to the root of every signed checkpoint; the public hash tiles are the tiles of that tree;
//     a checkpoint the auditor held before is consistent with the log now (same root at its size, and a
//     consistency proof from the public tiles to the public checkpoint verifies): a log rewritten or
//     truncated since is caught (log_rewritten, log_truncated, checkpoint_inconsistent).
//  2. The replay (replay.h): impossible histories.
//  3. Every token (the audit folder's history and the public folder's latest, found through each
//     agency's aggregation document): signed by a status-list signer of the agency whose prefixes cover
//     its `sub`; its log_checkpoint names this log, a size within it, and the root the entries give at
//     that size; its SHA-256 is in a status_list_published entry for its list at or after that size; and
//     its list equals, bit for bit, the list the replay of entries 0..size-1 gives at the token's length.
//     Each differing slot is a status_mismatch naming uri, index, expected and published values.
//  4. Completeness: every status_list_published entry's token is in the history; every list the entries
//     used before the latest publication is served in the public folder through its agency's aggregation.
// Errors (not findings) are kept for an audit that cannot start: unusable trust input, an audit folder
// without checkpoints, a log larger than the limits.
// Cost: one pass over the entries; memory about 64 bytes per entry (the tree) plus about 100 bytes per
// credential (the replay); each token costs one list of its length.
// Thread-safety: reentrant; the trust objects are only read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/auditor/findings.h"
#include "wathiq/auditor/folders.h"
#include "wathiq/auditor/replay.h"
#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/log/checkpoint.h"

namespace wathiq::keys {
class TrustList;
}

namespace wathiq::auditor {

// A key that may sign an agency's status-list tokens.
struct ListSignerKey {
  Bytes kid;  // the token's protected kid must equal it; empty: any kid
  std::shared_ptr<const Verifier> verifier;
};

struct AgencyKeys {
  std::string id;
  std::vector<std::string> status_prefixes;  // keys/status_uri.h
  std::string aggregation_uri;               // empty: the agency publishes no aggregation document
  std::vector<ListSignerKey> list_signers;
};

// What the auditor trusts: the log's origin and verifier key, and each agency's prefixes and status-list
// signers. From a loaded trust list, or given (tests, an auditor holding keys out of band).
struct AuditTrust {
  std::string log_origin;
  std::string log_verifier_key;  // C2SP signed-note verifier key
  std::vector<AgencyKeys> agencies;

  static AuditTrust FromTrustList(const keys::TrustList& trust_list);
  // The agency whose prefixes cover `uri` at a path-segment boundary, or nullptr.
  const AgencyKeys* AgencyForUri(std::string_view uri) const;
};

struct AuditInput {
  std::filesystem::path audit_dir;
  std::filesystem::path public_dir;
  AuditTrust trust;
  // The log's URL (its checkpoint is <log url>/checkpoint); default "https://" + origin.
  std::optional<std::string> log_url;
  // A checkpoint the auditor accepted earlier (already signature-checked by the caller).
  std::optional<log::Checkpoint> held_checkpoint;
  AuditLimits limits;
  bool keep_status_events = false;  // fill AuditReport::status_events
};

// One token checked (a token found both in the history and the public folder is checked once).
struct TokenCheck {
  std::vector<std::string> files;  // relative to the audit folder ("tokens/...") or the public folder
  bool in_history = false;
  bool in_public = false;
  std::string uri;    // its sub
  uint64_t size = 0;  // its log_checkpoint size
  uint64_t iat = 0;
  bool signature_ok = false;
  bool compared = false;     // the list was rebuilt and compared
  uint64_t differences = 0;  // slots that differ (all of them, beyond the findings kept)
  std::array<uint8_t, 32> sha256{};
};

struct AuditReport {
  std::string origin;
  uint64_t log_size = 0;          // entries the signed checkpoints cover
  uint64_t entries_replayed = 0;  // entries read (less than log_size when the log is unreadable beyond)
  log::Hash root{};               // the recomputed root at entries_replayed
  std::optional<log::Checkpoint> public_checkpoint;
  uint64_t checkpoints_checked = 0;
  uint64_t tiles_checked = 0;
  uint64_t credentials = 0;
  std::vector<std::pair<std::string, uint64_t>> lists;  // every list the entries name, first issue position
  std::vector<TokenCheck> tokens;
  Findings findings;
  std::vector<StatusEvent> status_events;  // when AuditInput::keep_status_events
  double seconds = 0;

  bool clean() const { return findings.empty(); }
  // {"clean", "origin", "log_size", "entries_replayed", "root", "checkpoints_checked", "tiles_checked",
  //  "credentials", "lists", "tokens": [...], "findings": [...], "findings_total", "findings_dropped",
  //  "finding_counts": {kind: n}}; outside text escaped with SafeText.
  std::string ToJson() const;
};

Result<AuditReport> RebuildAndCompare(const AuditInput& input);

}  // namespace wathiq::auditor
