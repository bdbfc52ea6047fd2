// Wathiq auditor: what an audit found, one finding per difference or impossible fact, each with a stable
// machine-readable kind (tests and scripts branch on it) and where it was found.
//
// Kinds (the vocabulary; messages are for humans and may change):
//   log:     entry_bundle_missing, entry_bundle_malformed, entry_malformed, log_too_short,
//            checkpoint_bad_signature, checkpoint_misfiled, checkpoint_root_mismatch,
//            checkpoint_unverifiable, public_checkpoint_invalid, public_checkpoint_not_in_audit,
//            log_truncated, log_rewritten, checkpoint_inconsistent, tile_missing, tile_mismatch
//   replay:  index_reused, credential_reissued, unknown_credential, slot_mismatch, doc_type_mismatch,
//            agency_mismatch, event_after_revoke, reinstate_not_suspended, index_out_of_range,
//            uri_not_agency, entry_incomplete
//   tokens:  token_unreadable, token_unknown_signer, token_bad_signature, token_wrong_agency,
//            token_wrong_log, token_misfiled, token_checkpoint_beyond_log, token_root_mismatch,
//            token_bits, token_not_logged, token_unverifiable, status_mismatch, index_beyond_list,
//            published_token_missing (a status_list_published entry whose token the history lacks),
//            public_token_missing, public_token_wrong_list, public_token_not_in_history,
//            list_not_published (a list in use that no aggregation document serves),
//            aggregation_missing, aggregation_malformed, aggregation_foreign_uri, unexpected_file
// Guarantees: a Findings keeps at most `max` findings (a hostile folder cannot make the report unbounded)
// and still counts every one by kind, so a report that dropped some says so.
// Thread-safety: value types; Findings is not safe for concurrent Add.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wathiq::auditor {

struct Finding {
  std::string kind;                  // from the vocabulary above
  std::string message;               // for a human; text from the folders in it is raw (escape before display)
  std::optional<uint64_t> entry;     // the log position concerned
  std::string uri;                   // the status list concerned
  std::optional<uint64_t> index;     // the list index concerned
  std::optional<uint8_t> expected;   // status_mismatch: the value the replay gives
  std::optional<uint8_t> published;  // status_mismatch: the value the token carries
  std::string file;                  // the file concerned, relative to the audit or public folder
};

class Findings {
 public:
  explicit Findings(size_t max = 10000) : max_(max) {}
  void Add(Finding f);
  void Add(std::string kind, std::string message) {
    Add(Finding{std::move(kind), std::move(message), {}, {}, {}, {}, {}, {}});
  }

  const std::vector<Finding>& list() const { return list_; }
  uint64_t total() const { return total_; }
  uint64_t dropped() const { return total_ - list_.size(); }
  bool empty() const { return total_ == 0; }
  // Every kind seen with its count, dropped findings included.
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  uint64_t Count(std::string_view kind) const;

 private:
  size_t max_;
  uint64_t total_ = 0;
  std::vector<Finding> list_;
  std::map<std::string, uint64_t> counts_;
};

}  // namespace wathiq::auditor
