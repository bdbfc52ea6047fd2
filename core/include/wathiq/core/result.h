// Wathiq core: the result type every component returns for expected failures.
//
// Guarantees: an Error always carries a code from a fixed vocabulary and a message meant for a human
// (never secret material). Our code throws nothing; broken invariants abort.
// Thread-safety: value types, no shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace wathiq {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
inline std::string AsString(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

enum class Errc {
  kMalformed,        // input bytes do not parse, or break an encoding rule
  kUnsupported,      // a version, algorithm or feature we do not implement
  kLimit,            // a size, depth or count cap was hit
  kBadSignature,     // a signature or MAC did not verify
  kInvalidArgument,  // the caller passed something unusable
  kNotFound,         // a key, file, item or record is not there
  kIo,               // the file system or a device failed
  kCrypto,           // a crypto library failed for a reason other than a bad signature
  kPermission,       // wrong PIN / passphrase, not authorized
  kState,            // the object is not in a state that allows the call
  kInternal,         // a library we call failed unexpectedly
};

std::string_view ErrcName(Errc code);

struct Error {
  Error() = default;
  Error(Errc c, std::string m, std::string r = {}) : code(c), message(std::move(m)), reason(std::move(r)) {}

  Errc code = Errc::kInternal;
  std::string message;
  // A stable machine-readable reason finer than `code` where callers branch on it ("trust_list_stale",
  // "trust_list_rollback"); empty means ErrcName(code).
  std::string reason;
  // The finer reason below this one, when a check failed because another did ("cert_expired" behind
  // "trust_list_untrusted_chain"); empty when there is none.
  std::string cause;

  std::string_view reason_code() const { return reason.empty() ? ErrcName(code) : std::string_view(reason); }
  std::string ToString() const { return std::string(reason_code()) + ": " + message; }
};

// Result<T>: a value or an Error. [[nodiscard]] so an ignored failure does not compile quietly.
template <class T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  Result(const tl::expected<T, Error>& e) : tl::expected<T, Error>(e) {}        // NOLINT
  Result(tl::expected<T, Error>&& e) : tl::expected<T, Error>(std::move(e)) {}  // NOLINT
};

using Status = Result<void>;

inline tl::unexpected<Error> Fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }
// A failure with a stable machine-readable reason (Error::reason).
inline tl::unexpected<Error> Fail(Errc code, std::string message, std::string reason) {
  return tl::unexpected<Error>(Error(code, std::move(message), std::move(reason)));
}
inline Status Ok() { return {}; }

// Prepends context to an error as it travels up: "issuerAuth: " + inner message.
inline tl::unexpected<Error> Wrap(std::string_view context, const Error& e) {
  Error out{e.code, std::string(context) + ": " + e.message, e.reason};
  out.cause = e.cause;
  return tl::unexpected<Error>(std::move(out));
}

}  // namespace wathiq

// Early-return helpers. WQ_TRY(expr) for Status; WQ_ASSIGN(var, expr) declares var from Result<T>.
#define WQ_CONCAT_INNER(a, b) a##b
#define WQ_CONCAT(a, b) WQ_CONCAT_INNER(a, b)
#define WQ_TRY(expr)                                                               \
  do {                                                                             \
    auto wq_status_ = (expr);                                                      \
    if (!wq_status_) return ::tl::unexpected<::wathiq::Error>(wq_status_.error()); \
  } while (0)
#define WQ_ASSIGN_IMPL(tmp, decl, expr)                                       \
  auto tmp = (expr);                                                          \
  if (!tmp) return ::tl::unexpected<::wathiq::Error>(std::move(tmp).error()); \
  decl = std::move(*tmp)
#define WQ_ASSIGN(decl, expr) WQ_ASSIGN_IMPL(WQ_CONCAT(wq_result_, __LINE__), decl, expr)
