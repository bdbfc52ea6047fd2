// Internal to mobile-bridge: the helpers every C entry point shares (copies out with malloc, error JSON,
// the catch-all guard). Nothing here throws past its own frame.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "wathiq/core/result.h"
#include "wathiq/core/text.h"
#include "wathiq/wathiq.h"

namespace wathiq::bridge_internal {

// A malloc'd copy for the caller to release with wathiq_string_free; NULL when memory ran out.
inline char* CopyOut(const char* s, size_t n) noexcept {
  char* p = static_cast<char*>(std::malloc(n + 1));
  if (p) {
    std::memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

// {"error": code, "message": message, ...extra}, built without anything that can throw past this function.
inline int Error(char** error_json, int status, std::string_view code, std::string_view message,
                 const nlohmann::json* extra = nullptr) noexcept {
  if (!error_json) return status;
  *error_json = nullptr;
  try {
    nlohmann::json j{{"error", code}, {"message", wathiq::SafeText(message, 2048)}};
    if (extra && extra->is_object()) {
      for (auto it = extra->begin(); it != extra->end(); ++it) j[it.key()] = it.value();
    }
    std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    *error_json = CopyOut(s.data(), s.size());
  } catch (...) {
    static constexpr char kNoMemory[] = R"({"error":"out_of_memory","message":""})";
    *error_json = CopyOut(kNoMemory, sizeof kNoMemory - 1);
  }
  return status;
}

inline int FromError(char** error_json, const wathiq::Error& e) noexcept {
  std::string_view reason = e.reason_code();
  int status = WATHIQ_ERR_REJECTED;
  if (reason == "trust_list_stale") status = WATHIQ_ERR_TRUST_LIST_STALE;
  else if (reason == "trust_list_rollback") status = WATHIQ_ERR_ROLLBACK;
  else if (e.code == wathiq::Errc::kInvalidArgument) status = WATHIQ_ERR_INVALID_ARGUMENT;
  else if (e.code == wathiq::Errc::kLimit || e.code == wathiq::Errc::kState) status = WATHIQ_ERR_STATE;
  else if (e.code == wathiq::Errc::kInternal || e.code == wathiq::Errc::kCrypto) status = WATHIQ_ERR_INTERNAL;
  return Error(error_json, status, reason, e.message);
}

template <class F>
int Guard(char** error_json, F f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Error(error_json, WATHIQ_ERR_NO_MEMORY, "out_of_memory", "out of memory");
  } catch (...) {
    return Error(error_json, WATHIQ_ERR_INTERNAL, "internal", "unexpected failure");
  }
}

inline void ClearOut(char** p) {
  if (p) *p = nullptr;
}

}  // namespace wathiq::bridge_internal
