// Wathiq status: the one fixed list of revocation and suspension reasons (design/STATUS-AND-LOG.md).
//
// Guarantees: every reason has exactly one stable string code, used in log entries and reports alike;
// parsing accepts only those codes (case-sensitive), so a typo never becomes a new reason.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <span>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq::status {

enum class RevocationReason {
  kLost,
  kStolen,
  kDataChanged,
  kSuperseded,
  kDeceased,
  kIssuedInError,
  kKeyCompromise,
  kCourtOrder,
  kHolderRequest,
  kDeviceReplaced,
};

// "lost", "stolen", "data_changed", "superseded", "deceased", "issued_in_error", "key_compromise",
// "court_order", "holder_request", "device_replaced".
std::string_view ReasonCode(RevocationReason reason);
// kInvalidArgument for anything that is not one of the codes above.
Result<RevocationReason> ParseReasonCode(std::string_view code);
// Every reason, in the order of the design note.
std::span<const RevocationReason> AllReasons();

}  // namespace wathiq::status
