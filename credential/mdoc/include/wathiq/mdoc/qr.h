// Wathiq credential format: the one-way QR presentation profile WQ1 and its challenge WQC
// (design/QR-PROFILE.md): an ISO 18013-5 DeviceResponse in "WQ1:" || Base45(zlib(CBOR([1, presentedAt,
// nonce, DeviceResponse]))), device-signed over SessionTranscript [null, null, ["WathiqQR", presentedAt,
// nonce]].
//
// Guarantees:
//  - Parsing is strict and bounded: exact prefix, at most kMaxQrText characters, inflated size at most
//    kMaxInflated bytes, core deterministic CBOR with capped depth, exactly the profile's shape (extra or
//    missing fields, unknown versions, trailing bytes rejected).
//  - ParseEnvelope also enforces the profile's shape rules (one document per docType, nameSpaces present,
//    only x5chain unprotected on issuerAuth, nothing unprotected on the device signature, no label in both
//    headers): each is refused as kMalformed.
//  - This is the format only: the verification policy, the checks and the verdict are the verifier's
//    (wathiq/verifier/presentation.h).
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc::qr {

inline constexpr std::string_view kPresentationPrefix = "WQ1:";
inline constexpr std::string_view kChallengePrefix = "WQC:";
inline constexpr size_t kMaxQrText = 4296;  // QR version 40, alphanumeric, ECC L: nothing longer scans
inline constexpr size_t kMaxInflated = 64 * 1024;
inline constexpr size_t kNonceBytes = 16;
// The envelope only: how fresh a QR must be, how long a challenge lives and which credentials need a
// status reference are the verifier's policy (verifier/presentation.h).

// ---- Challenge (verifier → wallet) ----

struct Challenge {
  Bytes nonce;                // 16 bytes from the verifier's CSPRNG
  std::string verifier_name;  // the verifier's claim, never authenticated: show it as a claim
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
  std::string text;   // "WQ1:..."
  size_t cbor_bytes;  // before compression
  size_t zlib_bytes;
};
Result<Presentation> BuildPresentation(const PresentationRequest& request);

struct Envelope {
  int64_t presented_at = 0;
  std::optional<Bytes> nonce;
  std::vector<ParsedDocument> documents;
};
Result<Envelope> ParseEnvelope(std::string_view text);

}  // namespace wathiq::mdoc::qr
