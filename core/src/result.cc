#include "wathiq/core/result.h"

namespace wathiq {

std::string_view ErrcName(Errc code) {
  switch (code) {
    case Errc::kMalformed: return "malformed";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kLimit: return "limit";
    case Errc::kBadSignature: return "bad_signature";
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kNotFound: return "not_found";
    case Errc::kIo: return "io";
    case Errc::kCrypto: return "crypto";
    case Errc::kPermission: return "permission";
    case Errc::kState: return "state";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace wathiq
