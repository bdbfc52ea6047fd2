// Shared by audit.cc and revocations.cc: the log side of an audit.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "wathiq/auditor/audit.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/merkle.h"

namespace wathiq::auditor::internal {

struct LogView {
  std::map<uint64_t, log::Checkpoint> checkpoints;  // the audit folder's, signature-checked, by size
  std::optional<log::Checkpoint> public_checkpoint;
  std::filesystem::path public_log_dir;
  std::string public_log_rel;  // <host>/<path> of the log in the public folder
  uint64_t size = 0;           // the largest signed size
};

Result<uint64_t> ParseCanonicalDecimal(std::string_view s);
std::string HexOf(const log::Hash& h);
// Reads and checks every checkpoint (audit folder, public folder); findings for bad ones.
Result<LogView> OpenLog(const AuditInput& in, Findings& f);
// Each signed checkpoint's root against the tree; the held checkpoint (log_truncated, log_rewritten,
// checkpoint_inconsistent through the public tiles).
void CheckSignedRoots(const AuditInput& in, const LogView& v, const log::MemoryTree& tree, Findings& f,
                      uint64_t* checked);

}  // namespace wathiq::auditor::internal
