// Wathiq keys: the trust-list description, the JSON file an operator writes and `wathiq keys
// sign-trust-list --description` signs. The format, with every field, is in keys/README.md, and
// keys/trust-list-description.example.json is a complete file to start from.
//
// Guarantees: parsing is strict. Strict JSON (core/json.h: no duplicate keys, bounded size and depth), every
// object refuses keys it does not know (a misspelt "status_prefix" is an error, never an agency without
// lists), every field has one type, required fields are required, and the older per-list form
// ("status_list_uris") is refused with a message that names its replacement. Certificate files are read
// relative to the description's folder (absolute paths as given), each bounded; the certificates' roles and
// chains are checked later, when the list is signed (SignTrustList) and loaded (TrustList::Load).
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/keys/trust_list.h"

namespace wathiq::keys {

inline constexpr size_t kMaxDescriptionBytes = 1u << 20;

// `text` is the description; `base_dir` is where relative certificate paths start; `now` fills issued_at
// when the description leaves it out (next_update defaults to issued_at + valid_for_days, 7 by default).
Result<TrustListContent> ParseTrustListDescription(std::string_view text, const std::filesystem::path& base_dir,
                                                   int64_t now);
// Reads the file (bounded) and parses it with its own folder as base_dir.
Result<TrustListContent> ReadTrustListDescription(const std::filesystem::path& path, int64_t now);

}  // namespace wathiq::keys
