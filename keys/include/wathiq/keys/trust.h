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
  std::vector<std::string> status_prefixes;  // the agency's status-URI prefixes (keys/status_uri.h)

  bool MayIssue(std::string_view doc_type) const;
  // A document signer may point a credential at `uri` only when it lies under one of its agency's status
  // prefixes (at a path-segment boundary); a status-list signer never signs credentials.
  bool MayReferenceStatus(std::string_view uri) const;
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

// ---- Implemented by the lead in keys/src/trust_basics.cc (do not implement again elsewhere) ----

// The subject public key of a DER certificate, without any validation (for consistency checks such as
// "this certificate belongs to this signer"). kMalformed when it does not parse.
Result<PublicKey> PublicKeyOfCertificate(ByteView cert_der);

// Parses a certificate once into a TrustedSigner (key, kid, validity, ready verifier), with the given
// agency details. No chain validation: callers that have not validated the chain must not trust it.
Result<TrustedSigner> TrustedSignerFromCertificate(ByteView cert_der, SignerRole role, std::string agency_id,
                                                   std::vector<std::string> doc_types);

// The C2SP signed-note verifier key of an Ed25519 key: name+hex(SHA-256(name||"\n"||0x01||pub)[:4])+
// base64(0x01||pub). The audit log publishes this in the trust list.
Result<std::string> NoteVerifierKey(std::string_view name, const PublicKey& ed25519_key);

// TrustAnchors over an explicit list of signers (a loaded trust list builds one; so do tests).
class StaticTrustAnchors final : public TrustAnchors {
 public:
  StaticTrustAnchors() = default;
  explicit StaticTrustAnchors(std::vector<TrustedSigner> signers) : signers_(std::move(signers)) {}
  void Add(TrustedSigner s) { signers_.push_back(std::move(s)); }
  const std::vector<TrustedSigner>& signers() const { return signers_; }
  std::vector<const TrustedSigner*> FindByKid(ByteView kid, SignerRole role) const override;
  const TrustedSigner* FindByCertificate(ByteView der, SignerRole role) const override;

 private:
  std::vector<TrustedSigner> signers_;
};

}  // namespace wathiq::keys
