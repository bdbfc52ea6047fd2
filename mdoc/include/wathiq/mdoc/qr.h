// Wathiq credential format: the one-way QR presentation profile WQ1 and its challenge WQC
// (design/QR-PROFILE.md): an ISO 18013-5 DeviceResponse in "WQ1:" || Base45(zlib(CBOR([1, presentedAt,
// nonce, DeviceResponse]))), device-signed over SessionTranscript [null, null, ["WathiqQR", presentedAt,
// nonce]].
//
// Guarantees:
//  - Parsing is strict and bounded: exact prefix, at most kMaxQrText characters, inflated size at most
//    kMaxInflated bytes, core deterministic CBOR with capped depth, exactly the profile's shape (extra or
//    missing fields, unknown versions, trailing bytes rejected).
//  - VerifyPresentation runs every check of the profile and reports each by name and reason code; the
//    verdict is kValid only when all passed, kCannotConfirmStatus when the only failure is status_unknown.
//  - Issuer certificates and keys come from keys::TrustAnchors, pre-parsed; nothing is parsed twice per QR.
// Thread-safety: all functions are safe to call concurrently; StatusLookup implementations must be too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc::qr {

inline constexpr std::string_view kPresentationPrefix = "WQ1:";
inline constexpr std::string_view kChallengePrefix = "WQC:";
inline constexpr size_t kMaxQrText = 4296;        // QR version 40, alphanumeric, ECC L: nothing longer scans
inline constexpr size_t kMaxInflated = 64 * 1024;
inline constexpr size_t kNonceBytes = 16;
inline constexpr int64_t kDefaultMaxAge = 120;     // seconds a time-mode QR stays fresh
inline constexpr int64_t kDefaultMaxAhead = 30;    // seconds a wallet clock may run ahead
inline constexpr int64_t kDefaultChallengeLifetime = 300;
// A credential with no status reference cannot be revoked or suspended, so it is accepted only when it is
// short-lived (the ISO 18013-5 practice of refreshing short-lived MSOs): validity of at most 3 days.
inline constexpr int64_t kDefaultMaxUnlistedValidity = 3 * 86400;

// ---- Challenge (verifier → wallet) ----

struct Challenge {
  Bytes nonce;                 // 16 bytes from the verifier's CSPRNG
  std::string verifier_name;   // the verifier's claim, never authenticated: show it as a claim
};
Challenge NewChallenge(std::string verifier_name);
std::string EncodeChallenge(const Challenge& c);
Result<Challenge> ParseChallenge(std::string_view text);

// ---- Presentation (wallet → verifier) ----

// The encoded SessionTranscript [null, null, ["WathiqQR", presentedAt, nonce / null]].
Bytes SessionTranscript(int64_t presented_at, const std::optional<Bytes>& nonce);

struct PresentationRequest {
  const ParsedIssuerSigned* credential = nullptr;
  std::string doc_type;
  std::vector<std::string> disclose;   // element ids; only these items are included
  const Signer* device_key = nullptr;  // the key bound in the credential's MSO
  int64_t presented_at = 0;            // wallet clock
  std::optional<Bytes> nonce;          // from a scanned WQC: challenge mode
};

struct Presentation {
  std::string text;     // "WQ1:..."
  size_t cbor_bytes;    // before compression
  size_t zlib_bytes;
};
Result<Presentation> BuildPresentation(const PresentationRequest& request);

struct Envelope {
  int64_t presented_at = 0;
  std::optional<Bytes> nonce;
  std::vector<ParsedDocument> documents;
};
Result<Envelope> ParseEnvelope(std::string_view text);

// ---- Verification ----

enum class StatusValue { kValid, kRevoked, kSuspended, kUnknown, kIndexOutOfRange };
struct StatusAnswer {
  StatusValue value = StatusValue::kUnknown;
  std::string detail;
};
// Answers from status lists the verifier synced while online; must not block on the network.
class StatusLookup {
 public:
  virtual ~StatusLookup() = default;
  virtual StatusAnswer Lookup(const StatusRef& ref, int64_t now) const = 0;
};

struct Policy {
  int64_t now = 0;
  int64_t max_age = kDefaultMaxAge;
  int64_t max_ahead = kDefaultMaxAhead;
  // Challenge mode: the verifier's current challenge and when it was shown (its own clock).
  std::optional<Bytes> expected_nonce;
  int64_t challenge_issued_at = 0;
  int64_t challenge_lifetime = kDefaultChallengeLifetime;
  // validUntil - validFrom allowed for a credential without a status reference; longer gives
  // status_unknown (verdict cannot_confirm_status).
  int64_t max_unlisted_validity = kDefaultMaxUnlistedValidity;
};

enum class Verdict { kValid, kInvalid, kCannotConfirmStatus };
std::string_view VerdictName(Verdict v);

enum class CheckState { kPassed, kFailed, kSkipped };
struct Check {
  std::string name;   // envelope, issuer_signer, issuer_signature, authorization, certificate, validity,
                      // digests, device_signature, freshness, status
  CheckState state = CheckState::kSkipped;
  std::vector<Finding> findings;
};

struct Report {
  Verdict verdict = Verdict::kInvalid;
  std::vector<Check> checks;
  std::vector<Finding> failures;               // every failed check's findings, in check order
  std::vector<VerifiedDocument> documents;     // set only when verdict is kValid or kCannotConfirmStatus
  int64_t presented_at = 0;
  bool challenge_mode = false;
  bool Has(Reason r) const;
};

Report VerifyPresentation(std::string_view text, const keys::TrustAnchors& anchors, const StatusLookup* status,
                          const Policy& policy);

}  // namespace wathiq::mdoc::qr
