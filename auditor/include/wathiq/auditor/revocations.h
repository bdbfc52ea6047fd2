// Wathiq auditor: the revocation report — who revoked, suspended or reinstated what, when and why, from
// the log's entries alone (agency, actor, time, reason, credential id, status URI and index).
//
// Guarantees: only entries covered by a checkpoint signed by the log's key are reported, and only when
// they hash to that checkpoint's root (otherwise an error with reason "checkpoint_root_mismatch" or the
// reading error's reason): a report never rests on entries the log did not commit to. No personal data is
// in the entries, hence none in the report.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "wathiq/auditor/audit.h"

namespace wathiq::auditor {

struct RevocationReport {
  std::string origin;
  uint64_t log_size = 0;
  log::Hash root{};
  std::vector<StatusEvent> events;  // in log order
  // {"origin", "log_size", "root", "counts": {"revoke": n, "suspend": n, "reinstate": n},
  //  "events": [{"entry", "event", "time", "time_utc", "agency", "actor", "reason", "credential_id",
  //  "doc_type", "status_uri", "status_idx"}]}; outside text escaped with SafeText.
  std::string ToJson() const;
};

// Reads the checkpoints of input.audit_dir (the largest signed one gives the size) and the entries up to
// it; tokens and the public folder are not read.
Result<RevocationReport> ReadRevocations(const AuditInput& input);

}  // namespace wathiq::auditor
