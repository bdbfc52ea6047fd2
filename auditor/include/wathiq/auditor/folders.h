// Wathiq auditor: reading the folders of docs/PUBLICATION.md — the audit folder (entry bundles, every
// signed checkpoint, every token ever published) and the public folder (checkpoint, hash tiles, latest
// tokens, aggregation documents).
//
// Guarantees: every read is bounded (file sizes by the format's own cap, file counts and the log's size by
// AuditLimits); names are accepted only in their canonical form; a URL maps to a file only when it is in
// the status-URI grammar of keys/status_uri.h (https, lower-case host, no dot segments), so no name from a
// folder or a trust list can reach outside the folder.
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq::auditor {

struct AuditLimits {
  uint64_t max_log_size = uint64_t{1} << 28;  // entries; the tree costs about 64 bytes per entry
  size_t max_checkpoint_files = 1'000'000;
  size_t max_token_files = 1'000'000;                  // history tokens walked (files and folders)
  size_t max_token_bytes = size_t{4} << 20;            // one token
  uint64_t max_total_token_bytes = uint64_t{1} << 30;  // every token kept until its list is compared
  uint64_t max_list_entries = uint64_t{1} << 24;       // the largest list a token may hold (status::ParseOptions)
  size_t max_findings = 10000;
  size_t max_differences_per_token = 100;  // status_mismatch findings kept per token (all are counted)
};

// Calls visit(position, entry bytes) for entries [0, size) of the entry bundles under audit_dir/tile/entries,
// in order. A missing partial bundle is read from a wider one (C2SP tlog-tiles: a prefix of a wider bundle
// holds the same entries). Errors carry reason "entry_bundle_missing" or "entry_bundle_malformed" and name
// the bundle; *read (when given) is the number of entries visited before the error. A visit error stops
// the walk and is returned as it is.
Status ForEachEntry(const std::filesystem::path& audit_dir, uint64_t size,
                    const std::function<Status(uint64_t position, ByteView entry)>& visit, uint64_t* read = nullptr);

}  // namespace wathiq::auditor
