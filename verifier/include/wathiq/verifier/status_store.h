// Wathiq verifier: the status lookup backed by signed status-list tokens (design/STATUS-AND-LOG.md).
//
// A verifier syncs tokens while online (files `*.cwt`, or bytes from the app) and answers offline.
//
// Guarantees:
//  - A token is used only when it verifies under a status-list signer of the agency that owns its `sub`
//    (the trust list's status prefixes, keys/status_uri.h): a status signer of agency B never answers for a
//    URI of agency A. The signer's certificate must be valid at the token's iat and now.
//  - Every token not used is reported with a stable reason code and a detail; nothing is dropped silently.
//    Codes: "unreadable", "malformed", "limit", "unknown_signer", "bad_signature", "unknown_list" (sub lies
//    under no agency's prefix), "signer_not_authorized" (the signer's agency does not own sub),
//    "certificate_invalid", "expired", "not_yet_valid".
//  - Per URI the newest valid token (largest iat) is kept; an older or equally old one changes nothing.
//  - Lookup is a hash lookup of the URI and one bit read (StatusList::Get): its cost does not depend on how
//    many lists or entries are held. Past a token's `exp` it answers status_unknown, never the old bit; no
//    token for the URI is status_unknown; an index beyond the list is status_index_out_of_range.
//  - Bounded: at most max_tokens lists and max_total_bytes of inflated list bytes are held, each token is at
//    most max_token_bytes and inflates to at most max_entries entries, and one Load reads at most
//    max_files files. The signature is checked before a list is inflated.
//  - Memory: the packed lists (2 bits per credential) plus a few hundred bytes per list; 5,000,000
//    credentials in 40 lists of 131,072 entries hold 1.25 MiB (bench/status_bench.cc).
// Thread-safety: Lookup may run concurrently with itself and with Add*/Load (a reader-writer lock guards
// the map; verification of a token runs outside it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "wathiq/core/result.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/status/status_list.h"
#include "wathiq/verifier/presentation.h"

namespace wathiq::verifier {

struct StatusStoreOptions {
  size_t max_tokens = 4096;                           // lists held at once
  uint64_t max_total_bytes = 256ull << 20;            // inflated (packed) list bytes across all lists
  size_t max_token_bytes = size_t{4} << 20;           // one token (file)
  uint64_t max_entries = status::kDefaultMaxEntries;  // per list (2^24: 4 MiB at 2 bits)
  size_t max_files = 16384;                           // files one Load call reads
  int64_t max_clock_skew = 300;                       // a token's iat may be this far ahead of now
};

// A token that was not used, and why.
struct TokenRefusal {
  std::string source;  // the file, or "token" for bytes; escaped for display
  std::string reason;  // one of the codes above
  std::string detail;  // escaped, capped
};

enum class TokenOutcome {
  kAdded,       // the first token for its URI
  kReplaced,    // newer than the one held, which it replaced
  kSuperseded,  // a token at least as new is already held: nothing changed
};
std::string_view TokenOutcomeName(TokenOutcome o);  // "added", "replaced", "superseded"

struct TokenAccepted {
  std::string source;
  std::string uri;  // the token's sub
  std::string agency_id;
  uint64_t iat = 0;
  uint64_t exp = 0;
  uint64_t entries = 0;
  TokenOutcome outcome = TokenOutcome::kAdded;
};

struct StatusLoadReport {
  std::vector<TokenAccepted> accepted;
  std::vector<TokenRefusal> refused;
};

class StatusStore final : public StatusLookup {
 public:
  // `trust` must be the trust list the verifier uses (Verifier::shared_trust_list()).
  explicit StatusStore(std::shared_ptr<const keys::TrustList> trust, StatusStoreOptions options = {});

  // Verifies one token at `now` and keeps it when it is the newest for its URI. The error's reason() is one
  // of the codes above and its message the detail.
  Result<TokenAccepted> AddToken(ByteView token, int64_t now, std::string_view source = "token");
  // Each path is a token file (any name), a folder whose regular files named *.cwt are read (not
  // recursively, in name order), or a published folder as `wathiq issuer publish` writes it and a static
  // web server serves it (docs/PUBLICATION.md; a folder with no *.cwt file of its own): there the files
  // under each of the trust list's status prefixes (keys::StatusUriPath) are read, recursively, in name
  // order. At most options.max_files files in all. Never fails as a whole: every file lands in accepted or
  // refused.
  StatusLoadReport Load(const std::vector<std::string>& paths, int64_t now);

  StatusAnswer Lookup(const mdoc::StatusRef& ref, int64_t now) const override;

  size_t list_count() const;
  uint64_t held_bytes() const;  // packed list bytes held (the bulk of the memory)

 private:
  std::vector<std::string> PublishedTokenFiles(
      const std::string& root, size_t already,
      const std::function<void(const std::string&, const char*, const std::string&)>& refuse) const;

  struct Entry {
    status::StatusList list;
    std::string agency_id;
    uint64_t iat = 0;
    uint64_t exp = 0;
  };
  std::shared_ptr<const keys::TrustList> trust_;
  StatusStoreOptions options_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> lists_;  // by sub
  uint64_t held_bytes_ = 0;
};

// The JSON a caller prints for a load: {"accepted": [{source, uri, agency, iat, exp, entries, outcome}],
// "refused": [{source, reason, detail}]} (strings escaped).
nlohmann::json StatusLoadReportJson(const StatusLoadReport& r);

}  // namespace wathiq::verifier
