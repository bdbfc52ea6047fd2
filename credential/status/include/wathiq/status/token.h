// Wathiq status: the Status List Token in its CWT form (IETF OAuth Token Status List §5.2), signed with
// COSE_Sign1, and the verifier's status lookup (design/STATUS-AND-LOG.md).
//
// Guarantees:
//  - SignStatusListToken() writes exactly our profile: COSE_Sign1 with tag 18 (never inside the CWT tag
//    61), protected {alg, kid, 16: "application/statuslist+cwt"}, an empty unprotected header, and
//    deterministically encoded claims {sub, iat, exp, ttl, status_list, "log_checkpoint"}. It refuses
//    claims with exp < iat + ttl.
//  - Parsing is strict and bounded: the token's size, CBOR depth and item count are capped, every claim
//    we read has one type, exp >= iat + ttl is enforced, and the list inflates to at most
//    bits * max_entries / 8 bytes (a zlib bomb costs at most that much output). Relaxations, needed only to
//    read foreign tokens such as the draft's example, are named fields of ParseOptions.
//  - Only VerifyStatusListToken() makes a VerifiedStatusList, and it checks the COSE signature BEFORE it
//    inflates the list, so unauthenticated bytes never cost a decompression.
//  - CheckStatus() never answers from an expired token: past `exp` the answer is kUnknown.
// Which key must have signed a token (the agency's status-list signer from the trust list) is the
// caller's decision: the Verifier is a parameter here.
// Thread-safety: functions are reentrant; VerifiedStatusList is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/status/status_list.h"

namespace wathiq::status {

inline constexpr std::string_view kStatusListCwtType = "application/statuslist+cwt";
// CWT claim keys (RFC 8392 and the draft's IANA section); the checkpoint claim is ours, text-keyed.
inline constexpr int64_t kClaimSub = 2;
inline constexpr int64_t kClaimExp = 4;
inline constexpr int64_t kClaimIat = 6;
inline constexpr int64_t kClaimStatusList = 65533;
inline constexpr int64_t kClaimTtl = 65534;
inline constexpr std::string_view kClaimLogCheckpoint = "log_checkpoint";

// The log checkpoint whose entries the list reflects: an auditor replays entries 0..size-1 and must
// arrive at the same list bit for bit.
struct LogCheckpointRef {
  std::string origin;
  uint64_t size = 0;
  std::array<uint8_t, 32> root{};
  bool operator==(const LogCheckpointRef&) const = default;
};

struct StatusListClaims {
  std::string sub;  // the list's URI, equal to the `uri` in every MSO that points into it
  uint64_t iat = 0;
  uint64_t exp = 0;
  uint64_t ttl = 0;  // seconds; only says when to refresh
  std::optional<std::string> aggregation_uri;
  std::optional<LogCheckpointRef> log_checkpoint;  // required by SignStatusListToken and by default parsing
};

// Signs `list` with `signer` under `kid` (the agency's status-list signer certificate's key id).
// kInvalidArgument for an empty sub or kid, exp < iat + ttl, or a missing log_checkpoint.
Result<Bytes> SignStatusListToken(const StatusListClaims& claims, const StatusList& list, const Signer& signer,
                                  ByteView kid);

struct ParseOptions {
  uint64_t max_entries = kDefaultMaxEntries;  // the largest list this deployment declares
  size_t max_token_bytes = size_t{4} << 20;
  // Relaxations for foreign tokens (the draft's example): each one named, all off by default.
  bool require_log_checkpoint = true;
  bool allow_unprotected_kid = false;      // the draft's example carries kid in the unprotected header
  bool allow_unknown_status_list_keys = false;
};

// A parsed token whose signature has NOT been checked: for inspection, auditing and fuzzing.
struct ParsedStatusListToken {
  Alg alg = Alg::kES256;
  Bytes kid;
  StatusListClaims claims;
  StatusList list;
};
Result<ParsedStatusListToken> ParseStatusListToken(ByteView token, const ParseOptions& options = {});

// The protected kid of a token, read without checking the signature or inflating the list: only to choose
// which trusted key to verify with. The same size, depth and header checks as parsing.
Result<Bytes> PeekStatusListTokenKid(ByteView token, const ParseOptions& options = {});

class VerifiedStatusList;
// Checks the COSE signature with `verifier` (kBadSignature on failure, kInvalidArgument when the token's
// alg does not match the key), then parses the claims and inflates the list.
Result<VerifiedStatusList> VerifyStatusListToken(ByteView token, const Verifier& verifier,
                                                 const ParseOptions& options = {});

// A token whose signature verified under the caller's key. Made only by VerifyStatusListToken().
class VerifiedStatusList {
 public:
  const StatusListClaims& claims() const { return claims_; }
  const StatusList& list() const { return list_; }
  const Bytes& kid() const { return kid_; }
  Alg alg() const { return alg_; }

 private:
  friend Result<VerifiedStatusList> VerifyStatusListToken(ByteView, const Verifier&, const ParseOptions&);
  VerifiedStatusList(ParsedStatusListToken p)
      : alg_(p.alg), kid_(std::move(p.kid)), claims_(std::move(p.claims)), list_(std::move(p.list)) {}
  Alg alg_;
  Bytes kid_;
  StatusListClaims claims_;
  StatusList list_;
};

// The verifier's answer for one credential.
enum class StatusOutcome {
  kValid,            // 0
  kInvalid,          // 1: revoked
  kSuspended,        // 2
  kOther,            // any other value (see StatusAnswer::value)
  kUnknown,          // the token is past exp (or not yet issued): it says nothing
  kIndexOutOfRange,  // the credential's index lies beyond the list
};
// "valid", "invalid", "suspended", "status_other", "status_unknown", "status_index_out_of_range".
std::string_view StatusOutcomeName(StatusOutcome outcome);

struct StatusAnswer {
  StatusOutcome outcome = StatusOutcome::kUnknown;
  uint8_t value = 0;   // the raw entry when one was read
  std::string detail;  // for reports: why unknown or out of range
};

struct CheckOptions {
  // A token whose iat lies further in the future than this is refused as unknown (a verifier's clock
  // may lag the issuer's a little; a token from the future is not an answer for now).
  int64_t max_clock_skew_seconds = 300;
};

// For a credential whose MSO names (expected_uri, index), at time `now` (seconds since the epoch):
// kInvalidArgument when the token is for another list (sub != expected_uri); otherwise an answer.
Result<StatusAnswer> CheckStatus(const VerifiedStatusList& token, std::string_view expected_uri, uint64_t index,
                                 int64_t now, const CheckOptions& options = {});

}  // namespace wathiq::status
