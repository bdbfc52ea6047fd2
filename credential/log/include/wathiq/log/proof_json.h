// Wathiq log: inclusion and consistency proof checks with JSON in and out, for `wathiq audit` and for
// other implementations (tests/log/go). The CLI only wraps CheckProofJson().
//
// Input (one object; hashes are lowercase or uppercase hex of 32 bytes; sizes are JSON unsigned integers):
//   {"type": "inclusion", "leaf_index": 5, "tree_size": 10, "leaf_hash": "<hex>",
//    "proof": ["<hex>", ...], "root": "<hex>"}
//   {"type": "consistency", "size1": 4, "size2": 10, "root1": "<hex>", "root2": "<hex>",
//    "proof": ["<hex>", ...]}
// Hex rather than base64 because auditors compare hashes by eye and with sha256sum; the checkpoint's own
// base64 root converts with one call.
// Output of a check: {"type": "...", "valid": true} or {"type": "...", "valid": false, "reason": "..."}.
//
// Guarantees: the input is parsed strictly and bounded (64 KiB, nesting depth 3, at most 64 proof hashes,
// no unknown or missing members); a proof that does not verify is an outcome (valid: false), not an
// error; malformed input is an error (kMalformed or kLimit) naming the member at fault.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/log/merkle.h"

namespace wathiq::log {

inline constexpr size_t kMaxProofJsonBytes = 64 * 1024;

struct ProofCheck {
  std::string type;  // "inclusion" or "consistency"
  bool valid = false;
  std::string reason;  // why not valid; empty when valid
  std::string ToJson() const;
};

Result<ProofCheck> CheckProofJson(std::string_view json);

std::string InclusionProofJson(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                               std::span<const Hash> proof, const Hash& root);
std::string ConsistencyProofJson(uint64_t size1, uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                                 const Hash& root2);

}  // namespace wathiq::log
