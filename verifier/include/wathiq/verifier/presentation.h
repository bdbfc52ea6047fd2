// Wathiq verifier: the checks of a WQ1 presentation, the verdict and the report.
//
// Guarantees:
//  - VerifyPresentation runs every check of the profile (design/QR-PROFILE.md) and reports each failure
//    by check name and reason code. Every reason belongs to exactly one check (CheckFor), so a failure
//    cannot drop out of the report; the verdict is kValid only when nothing failed, kCannotConfirmStatus
//    when the only failures are status_unknown.
//  - Freshness is the verifier's own: in challenge mode the nonce must be one this verifier showed (its
//    VerifierState knows when), unexpired and not answered before; in time mode presentedAt must lie in the
//    window and the presentation must not have been accepted before (replayed). Records are written only
//    for presentations that are accepted, so a forged QR cannot burn a citizen's challenge.
//  - Details that quote text from the QR are escaped and capped (wathiq/core/text.h).
// Thread-safety: safe to call concurrently when the StatusLookup and VerifierState are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/keys/trust.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/mdoc/qr.h"

namespace wathiq::verifier {

using mdoc::Finding;
using mdoc::Reason;
using mdoc::ReasonCode;

enum class StatusValue { kValid, kRevoked, kSuspended, kUnknown, kIndexOutOfRange };
struct StatusAnswer {
  StatusValue value = StatusValue::kUnknown;
  std::string detail;
};
// Answers from status lists the verifier synced while online; must not block on the network.
class StatusLookup {
 public:
  virtual ~StatusLookup() = default;
  virtual StatusAnswer Lookup(const mdoc::StatusRef& ref, int64_t now) const = 0;
};

// What a verifier remembers between scans: the challenges it showed and the presentations it accepted.
// Implementations: MemoryState (a process, the C bridge) and FileState (the CLI's state folder), state.h.
struct ChallengeRecord {
  Bytes nonce;
  int64_t shown_at = 0;
  int64_t answered_at = 0;  // 0 while unanswered
};
class VerifierState {
 public:
  virtual ~VerifierState() = default;
  virtual Status RecordChallenge(const ChallengeRecord& record) = 0;
  virtual Result<std::optional<ChallengeRecord>> FindChallenge(ByteView nonce) = 0;
  // Marks the challenge answered at `at`. false when it was already answered (a replay); atomic.
  virtual Result<bool> MarkChallengeAnswered(ByteView nonce, int64_t at) = 0;
  // Records an accepted time-mode presentation until `keep_until` (records past `now` may be dropped).
  // false when it was recorded before
  // (a replay); atomic.
  virtual Result<bool> MarkAccepted(ByteView replay_key, int64_t now, int64_t keep_until) = 0;
};

// The checkpoint policy's defaults (design/QR-PROFILE.md).
inline constexpr int64_t kDefaultMaxAge = 120;   // seconds a time-mode QR stays fresh
inline constexpr int64_t kDefaultMaxAhead = 30;  // seconds a wallet clock may run ahead
inline constexpr int64_t kDefaultChallengeLifetime = 300;
// A credential with no status reference cannot be revoked or suspended, so it is accepted only when it is
// short-lived (the ISO 18013-5 practice of refreshing short-lived MSOs): validity of at most 3 days.
inline constexpr int64_t kDefaultMaxUnlistedValidity = 3 * 86400;

struct Policy {
  int64_t now = 0;
  int64_t max_age = kDefaultMaxAge;
  int64_t max_ahead = kDefaultMaxAhead;
  // Challenge mode: when set, the QR must answer this challenge (the one the verifier shows now). Without
  // it, a QR with a nonce must answer any unexpired, unanswered challenge in the state.
  std::optional<Bytes> expected_nonce;
  int64_t challenge_lifetime = kDefaultChallengeLifetime;
  // validUntil - validFrom allowed for a credential without a status reference; longer gives
  // status_unknown (verdict cannot_confirm_status).
  int64_t max_unlisted_validity = kDefaultMaxUnlistedValidity;
};
// Refuses values that would overflow the window arithmetic or make no sense (negative windows).
Status CheckPolicy(const Policy& p);

enum class Verdict { kValid, kInvalid, kCannotConfirmStatus };
std::string_view VerdictName(Verdict v);

enum class CheckState { kPassed, kFailed, kSkipped };
// "pass", "FAIL" or "skip".
std::string_view CheckStateName(CheckState s);

// The checks in profile order.
enum class CheckId {
  kEnvelope,
  kIssuerSigner,
  kIssuerSignature,
  kAuthorization,
  kCertificate,
  kValidity,
  kDigests,
  kDeviceSignature,
  kFreshness,
  kStatus,
};
inline constexpr size_t kCheckCount = 10;
std::string_view CheckName(CheckId c);
// The check each reason belongs to (a switch: a new reason without a check does not compile quietly).
CheckId CheckFor(Reason r);

struct Check {
  CheckId id = CheckId::kEnvelope;
  std::string name;
  CheckState state = CheckState::kSkipped;
  std::vector<Finding> findings;
};

struct Report {
  Verdict verdict = Verdict::kInvalid;
  std::vector<Check> checks;                      // all kCheckCount, in profile order
  std::vector<Finding> failures;                  // every finding, in check order
  std::vector<mdoc::VerifiedDocument> documents;  // only when verdict is kValid or kCannotConfirmStatus
  int64_t presented_at = 0;
  bool challenge_mode = false;
  bool Has(Reason r) const;
};

// The whole pipeline for one scanned text. An error (no report at all) only when the state cannot be read
// or written: the verifier then fails closed. `status` may be null (every status is then unknown).
Result<Report> VerifyPresentation(std::string_view text, const keys::TrustAnchors& anchors, const StatusLookup* status,
                                  VerifierState& state, const Policy& policy);

}  // namespace wathiq::verifier
