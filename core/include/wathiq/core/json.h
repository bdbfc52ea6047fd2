// Wathiq core: strict JSON parsing, once for every component that reads JSON from outside (catalogues,
// trust-list descriptions, records, proofs, state files).
//
// Guarantees: never throws. Beyond nlohmann/json's own checks (RFC 8259 syntax, valid UTF-8 in strings) it
// refuses input over `max_bytes` before reading it, nesting deeper than `max_depth`, and a duplicate key in
// any object (nlohmann would keep the last one silently, so two readers could see different values). A
// hostile input stops at the first problem, before a DOM is built. Messages name `what` and the position.
// Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq {

Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what, size_t max_bytes, int max_depth);

// The keys of `object` that are not in `allowed`, as one message ("unknown key \"x\"") or Ok: for formats
// that refuse what they do not know rather than ignore it.
Status CheckJsonKeys(const nlohmann::json& object, std::initializer_list<std::string_view> allowed,
                     std::string_view what);

}  // namespace wathiq
