// Wathiq keys: the trust anchors a verifier holds after loading a trust list.
//
// This is the interface the credential format and the verifier consume. Every certificate here was parsed
// and its chain to the pinned national root validated once, when the trust list loaded; verification of a
// credential never parses a certificate. A signer's public key comes with a ready Verifier.
// Thread-safety: immutable after construction; safe to share across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"

namespace wathiq::keys {

enum class SignerRole { kDocumentSigner, kStatusListSigner };

struct TrustedSigner {
  std::string agency_id;
  std::string agency_name_ar;
  std::string agency_name_en;
  SignerRole role = SignerRole::kDocumentSigner;
  Bytes cert_der;
  Bytes kid;                    // first 8 bytes of SHA-256 over cert_der (design/QR-PROFILE.md)
  PublicKey public_key;
  std::shared_ptr<const Verifier> verifier;  // built once for public_key's default algorithm
  int64_t not_before = 0;       // certificate validity, seconds since the epoch
  int64_t not_after = 0;
  std::vector<std::string> doc_types;  // what the trust list authorizes this agency to issue
  std::vector<std::string> status_list_uris;

  bool MayIssue(std::string_view doc_type) const;
  bool ValidAt(int64_t t) const { return t >= not_before && t <= not_after; }
};

// The view of trust anchors a credential verifier needs.
class TrustAnchors {
 public:
  virtual ~TrustAnchors() = default;
  // Every signer whose kid matches (several certificates may share a kid prefix; try each).
  virtual std::vector<const TrustedSigner*> FindByKid(ByteView kid, SignerRole role) const = 0;
  // The signer whose certificate is exactly `der`, or nullptr.
  virtual const TrustedSigner* FindByCertificate(ByteView der, SignerRole role) const = 0;
};

// kid = SHA-256(cert_der)[0..8)
Bytes KidForCertificate(ByteView cert_der);

}  // namespace wathiq::keys
