#include "wathiq/status/reason.h"

#include <array>
#include <cstdlib>
#include <string>
#include <utility>

namespace wathiq::status {
namespace {

constexpr std::array<std::pair<RevocationReason, std::string_view>, 10> kReasons = {{
    {RevocationReason::kLost, "lost"},
    {RevocationReason::kStolen, "stolen"},
    {RevocationReason::kDataChanged, "data_changed"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kDeceased, "deceased"},
    {RevocationReason::kIssuedInError, "issued_in_error"},
    {RevocationReason::kKeyCompromise, "key_compromise"},
    {RevocationReason::kCourtOrder, "court_order"},
    {RevocationReason::kHolderRequest, "holder_request"},
    {RevocationReason::kDeviceReplaced, "device_replaced"},
}};

constexpr std::array<RevocationReason, 10> kAll = [] {
  std::array<RevocationReason, 10> out{};
  for (size_t i = 0; i < kReasons.size(); ++i) out[i] = kReasons[i].first;
  return out;
}();

}  // namespace

std::string_view ReasonCode(RevocationReason reason) {
  for (const auto& [r, code] : kReasons) {
    if (r == reason) return code;
  }
  std::abort();  // an enum value outside the list is a broken invariant
}

Result<RevocationReason> ParseReasonCode(std::string_view code) {
  for (const auto& [r, c] : kReasons) {
    if (c == code) return r;
  }
  // The code is echoed only up to a short length: it came from outside.
  return Fail(Errc::kInvalidArgument, "unknown revocation reason \"" + std::string(code.substr(0, 40)) + "\"");
}

std::span<const RevocationReason> AllReasons() { return kAll; }

}  // namespace wathiq::status
