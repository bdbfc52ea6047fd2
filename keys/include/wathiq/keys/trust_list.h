// Wathiq keys: the signed national trust list.
//
// Wire format: a COSE_Sign1 (tag 18) whose payload is deterministic CBOR (RFC 8949 §4.2.1):
//   TrustList = {
//     "version": 1, "sequence": uint, "issued_at": uint, "next_update": uint,   ; seconds since the epoch
//     "log": {"origin": tstr, "verifier_key": tstr},     ; C2SP signed-note verifier key of the audit log
//     "agencies": [* {
//        "id": tstr, "name_ar": tstr, "name_en": tstr,
//        "doc_types": [* tstr], "document_signers": [* bstr], "status_list_signers": [* bstr],  ; DER certs
//        "status_prefixes": [* tstr], "aggregation_uri": tstr }]
//   }
// Status prefixes (keys/status_uri.h): each a normalized https URI (no query, fragment, percent-encoding,
// dot or empty segment, trailing "/"); at most kMaxStatusPrefixes per agency; no prefix may lie under
// another one anywhere in the list (same agency or not), so every status URI belongs to at most one agency.
// An agency opens new lists under its prefixes without a new trust list; the MSO's status URI must lie under
// a prefix of the agency whose document signer signed it, and a status-list token must be signed by a
// status-list signer of the agency that owns its `sub`.
// Protected header {1: alg, 4: kid (KidForCertificate of the signer cert), 16: "application/wathiq-trust-list+cbor"};
// unprotected {33: x5chain = the trust-list signer's certificate}. The kid binds the unprotected certificate to
// the signature.
// Loading is strict and fails closed, each rejection with its own code (TrustListErrc):
//   malformed shape / unknown keys / duplicates (including one public key certified by two certificates
//   anywhere in the list, refused at signing too: credentials name their certificate in unprotected
//   headers, so the holder could pick which one applies) → kMalformed; chain not to the pinned root → kUntrustedChain;
//   x5chain certificate not a trust-list signer (EKU 1.0.18013.5.1.8, keyUsage digitalSignature) →
//   kNotTrustListSigner; signature → kBadSignature; sequence below the last one seen, or the same sequence
//   with different content when the caller passes the held payload hash → kRollback;
//   now past next_update + max_staleness → kStale; issued_at beyond now + max_clock_skew → kNotYetValid;
//   an agency certificate that does not chain to the root or has the wrong profile → kBadAgencyCertificate.
// Agency certificates that are merely expired or not yet valid are kept (with their validity) — the
// credential verifier decides with TrustedSigner::ValidAt at verification time.
// Every certificate is parsed once at load; lookups never parse. Thread-safety: a loaded TrustList is
// immutable and may be shared across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/trust.h"
#include "wathiq/keys/x509.h"

namespace wathiq::keys {

inline constexpr std::string_view kTrustListContentType = "application/wathiq-trust-list+cbor";

struct AgencyEntry {
  std::string id;
  std::string name_ar;
  std::string name_en;
  std::vector<std::string> doc_types;
  std::vector<Bytes> document_signer_certs;     // DER
  std::vector<Bytes> status_list_signer_certs;  // DER
  std::vector<std::string> status_prefixes;     // see the header comment and keys/status_uri.h
  std::string aggregation_uri;
};

inline constexpr size_t kMaxStatusPrefixes = 64;  // per agency

struct LogInfo {
  std::string origin;        // C2SP tlog-checkpoint origin line
  std::string verifier_key;  // C2SP signed-note verifier key: name+hex8+base64(0x01||ed25519 pub)
};

struct TrustListContent {
  uint64_t sequence = 0;
  int64_t issued_at = 0;
  int64_t next_update = 0;
  LogInfo log;
  std::vector<AgencyEntry> agencies;
};

Result<Bytes> EncodeTrustListPayload(const TrustListContent& content);
Result<TrustListContent> DecodeTrustListPayload(ByteView payload);
// Signs with the trust-list signer. Checks first that `signer` holds `signer_cert`'s key and that the
// certificate has the trust-list-signer profile (kInvalidArgument otherwise).
Result<Bytes> SignTrustList(const TrustListContent& content, const Signer& signer, const Certificate& signer_cert);

// Checks the log verifier key string's shape (name+8 hex+base64 of 33 bytes starting 0x01).
Status CheckNoteVerifierKey(std::string_view vkey);

struct TrustListPolicy {
  int64_t now = 0;            // the verifier's clock, seconds since the epoch (required)
  uint64_t min_sequence = 0;  // the highest sequence already accepted; lower is a rollback
  // SHA-256 of the payload held at min_sequence (TrustList::payload_sha256). When set, a list with the same
  // sequence but other content is refused as kRollback: a signer that equivocates is caught.
  std::optional<Bytes> held_payload_sha256;
  int64_t max_staleness = 0;     // seconds past next_update still accepted (0: none)
  int64_t max_clock_skew = 300;  // issued_at may be this far ahead of now
  size_t max_bytes = 8u << 20;
};

enum class TrustListErrc {
  kMalformed,
  kUnsupported,
  kBadSignature,
  kRollback,
  kStale,
  kNotYetValid,
  kUntrustedChain,
  kNotTrustListSigner,
  kBadAgencyCertificate,
};
std::string_view TrustListErrcName(TrustListErrc code);

// A trust list refused is a wathiq::Error whose reason is "trust_list_" + TrustListErrcName(code); when a
// certificate check lies behind it (kUntrustedChain, kNotTrustListSigner, kBadAgencyCertificate) its cause
// is that check's reason ("cert_expired"). TrustListErrcOf reads the code back.
std::optional<TrustListErrc> TrustListErrcOf(const Error& e);  // nullopt: not a trust-list failure

struct Agency {
  std::string id;
  std::string name_ar;
  std::string name_en;
  std::vector<std::string> doc_types;
  std::vector<std::string> status_prefixes;
  std::string aggregation_uri;
  std::vector<size_t> signer_indexes;  // into TrustList::signers()
};

class TrustList final : public TrustAnchors {
 public:
  static Result<std::shared_ptr<const TrustList>> Load(ByteView bytes, const Certificate& pinned_root,
                                                       const TrustListPolicy& policy);

  uint64_t sequence() const { return sequence_; }
  int64_t issued_at() const { return issued_at_; }
  int64_t next_update() const { return next_update_; }
  const LogInfo& log() const { return log_; }
  const std::vector<Agency>& agencies() const { return agencies_; }
  const Agency* FindAgency(std::string_view id) const;
  // The one agency whose status prefixes cover `uri` (at a path-segment boundary), or nullptr, also for a
  // URI outside the grammar of keys/status_uri.h. Load refuses overlapping prefixes, so there is never a
  // choice between two agencies.
  const Agency* AgencyForStatusUri(std::string_view uri) const;
  // The agency's status-list signers (role kStatusListSigner), in trust-list order.
  std::vector<const TrustedSigner*> StatusListSigners(const Agency& agency) const;
  const std::vector<TrustedSigner>& signers() const { return signers_; }
  const Certificate& signer_certificate() const { return signer_cert_; }
  const Certificate& root() const { return root_; }
  const Bytes& payload_sha256() const { return payload_sha256_; }
  // true while now <= next_update + max_staleness (for caches deciding when to refresh).
  bool FreshAt(int64_t now, int64_t max_staleness) const { return now <= next_update_ + max_staleness; }

  std::vector<const TrustedSigner*> FindByKid(ByteView kid, SignerRole role) const override;
  const TrustedSigner* FindByCertificate(ByteView der, SignerRole role) const override;

 private:
  TrustList() = default;
  uint64_t sequence_ = 0;
  int64_t issued_at_ = 0;
  int64_t next_update_ = 0;
  LogInfo log_;
  std::vector<Agency> agencies_;
  std::vector<TrustedSigner> signers_;
  std::unordered_multimap<uint64_t, size_t> by_kid_;
  Certificate signer_cert_;
  Certificate root_;
  Bytes payload_sha256_;
};

}  // namespace wathiq::keys
