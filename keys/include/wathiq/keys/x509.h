// Wathiq keys: X.509 certificates for the national PKI (ISO/IEC 18013-5 Annex B profiles), issued by any
// wathiq::Signer and validated against one pinned root.
//
// The PKI has two levels and no intermediates: the national root (the IACA role of ISO 18013-5) directly
// issues the trust-list signer, each agency's document signers (DS) and status-list signers.
// Profiles (what IssueCertificate writes and CheckProfile requires):
//   root:              self-signed, basicConstraints critical CA:TRUE pathLen:0, keyUsage critical
//                      keyCertSign+cRLSign, SKI; issuerAltName and CRL distribution point when given;
//                      subject must carry countryName (ISO 18013-5 B.1.2).
//   trust-list signer: keyUsage critical digitalSignature, EKU critical 1.0.18013.5.1.8
//                      (id-mdl-kp-mdlVICAL: our trust list plays the VICAL role, ISO 18013-5 Annex C).
//   document signer:   keyUsage critical digitalSignature, EKU critical 1.0.18013.5.1.2 (mdlDS).
//   status-list signer:keyUsage critical digitalSignature, EKU critical kOidStatusListSigner (Wathiq arc).
//   Leaves carry SKI, AKI (keyIdentifier = the root's SKI), no basicConstraints (absent = not a CA), and
//   exactly one of the three EKUs: a key has one role. anyExtendedKeyUsage is refused.
// Issuance never hands a private key to OpenSSL: OpenSSL builds the TBSCertificate, the Signer signs its
// DER (ECDSA r||s is converted to a DER ECDSA-Sig-Value), and the result is re-parsed and checked against
// the issuer's key before it is returned. The issuer key may therefore live in an HSM or a sealed file.
// Validation returns one precise reason (CertErrc) per failure. Thread-safety: Certificate is immutable and
// shareable; all functions are reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"

namespace wathiq::keys {

enum class CertRole { kRoot, kTrustListSigner, kDocumentSigner, kStatusListSigner };
std::string_view CertRoleName(CertRole role);              // "root", "trust-list-signer", "document-signer", ...
Result<CertRole> CertRoleFromName(std::string_view name);  // also accepts "tl", "ds", "status"

// Extended key usage OIDs.
inline constexpr std::string_view kOidMdlDocumentSigner = "1.0.18013.5.1.2";  // ISO 18013-5 mdlDS
inline constexpr std::string_view kOidTrustListSigner = "1.0.18013.5.1.8";    // ISO 18013-5 mdlVICAL
// Wathiq's own arc is a UUID OID (ITU-T X.667, 2.25.<uuid as integer>): needs no registration.
inline constexpr std::string_view kOidWathiqArc = "2.25.249271586761709762343366941905371474994";
inline constexpr std::string_view kOidStatusListSigner = "2.25.249271586761709762343366941905371474994.1.2";

// keyUsage bits as in RFC 5280 (digitalSignature = bit 0 ...), as OpenSSL reports them.
enum KeyUsageBit : uint32_t {
  kKuDigitalSignature = 0x80,
  kKuNonRepudiation = 0x40,
  kKuKeyEncipherment = 0x20,
  kKuDataEncipherment = 0x10,
  kKuKeyAgreement = 0x08,
  kKuKeyCertSign = 0x04,
  kKuCrlSign = 0x02,
};

// A parsed certificate. Parsing happens once; every accessor is a field read.
class Certificate {
 public:
  Certificate() = default;  // empty; accessors abort. Check valid().
  static Result<Certificate> FromDer(ByteView der);
  static Result<Certificate> FromPem(std::string_view pem);
  // DER, or PEM if the bytes start with "-----BEGIN".
  static Result<Certificate> FromBytes(ByteView der_or_pem);

  bool valid() const { return impl_ != nullptr; }
  const Bytes& der() const;
  std::string ToPem() const;
  std::string subject() const;  // RFC 2253, UTF-8 kept
  std::string issuer() const;
  const Bytes& subject_der() const;
  const Bytes& issuer_der() const;
  std::string serial_hex() const;
  int64_t not_before() const;  // seconds since the epoch
  int64_t not_after() const;
  const PublicKey& public_key() const;
  Alg signature_alg() const;              // the algorithm the issuer signed this certificate with
  const Bytes& subject_key_id() const;    // empty if absent
  const Bytes& authority_key_id() const;  // keyIdentifier of AKI; empty if absent
  bool is_ca() const;
  int path_len() const;  // -1 if unlimited / absent
  bool has_key_usage() const;
  uint32_t key_usage() const;                                   // KeyUsageBit mask; 0 when absent
  const std::vector<std::string>& extended_key_usages() const;  // dotted OIDs
  bool self_issued() const;                                     // subject == issuer
  std::string issuer_alt_name() const;                          // first URI or email, for display
  Bytes sha256() const;                                         // fingerprint of der()
  Bytes kid() const;                                            // KidForCertificate(der())
  // The role the extensions describe (by EKU / CA flag), or nullopt.
  std::optional<CertRole> role() const;

  bool operator==(const Certificate& o) const { return impl_ && o.impl_ && der() == o.der(); }

  struct Impl;  // opaque: defined in x509.cc

 private:
  friend struct CertAccess;
  std::shared_ptr<const Impl> impl_;
};

// Distinguished name fields; only non-empty ones are written, in the order C, ST, O, OU, CN.
struct DistinguishedName {
  std::string country;  // ISO 3166-1 alpha-2, e.g. "KW"
  std::string state_or_province;
  std::string organization;
  std::string organizational_unit;
  std::string common_name;
};

struct CertificateRequest {
  CertRole role = CertRole::kDocumentSigner;
  DistinguishedName subject;
  PublicKey subject_key;
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::string issuer_alt_name_uri;   // ISO 18013-5 wants issuerAltName on IACA and DS certificates
  std::string crl_distribution_uri;  // optional
  Bytes serial;                      // empty: 16 random bytes (≥ 63 bits of entropy, positive)
};

// Self-signed root. `root_key` signs; req.subject_key must be its public key; req.role must be kRoot.
Result<Certificate> CreateRootCertificate(const Signer& root_key, const CertificateRequest& req);
// A leaf under `issuer_cert`, signed by `issuer_key` (which must hold the issuer certificate's key:
// kInvalidArgument otherwise). req.role must not be kRoot.
Result<Certificate> IssueCertificate(const Signer& issuer_key, const Certificate& issuer_cert,
                                     const CertificateRequest& req);

// Validation ----------------------------------------------------------------------------------------------

enum class CertErrc {
  kMalformed,      // does not parse, missing required extension, unknown critical extension
  kUnsupported,    // signature or key algorithm we do not accept, chain shape we do not support
  kExpired,        // now is after notAfter (of the certificate or of the root)
  kNotYetValid,    // now is before notBefore
  kWrongKeyUsage,  // keyUsage / EKU / CA flag do not fit the role asked for
  kUnknownRoot,    // the chain does not lead to the pinned root (different root, or same name other key)
  kBadSignature,   // the issuer's signature does not verify with the pinned root's key
  kWrongIssuer,    // the certificate names an issuer other than the pinned root
};
std::string_view CertErrcName(CertErrc code);  // "expired", "not_yet_valid", "wrong_key_usage", ...

// A certificate check's failure is a wathiq::Error whose reason is "cert_" + CertErrcName(code) (and whose
// message starts "certificate <name>: "); CertErrcOf reads the code back.
tl::unexpected<Error> CertFail(CertErrc code, std::string message);
std::optional<CertErrc> CertErrcOf(const Error& e);  // nullopt: not a certificate failure

// Checks that `cert`'s extensions fit `role` (see the profiles above). No signature or time checks.
Status CheckProfile(const Certificate& cert, CertRole role);

// Validates `leaf` for `role` against the pinned root: the root's own profile, issuer name, AKI against
// the root's SKI, the signature, the leaf's profile and, when `at` is set, both validity periods at `at`.
// `at` = nullopt skips the time checks (the trust-list loader records validity and the credential verifier
// applies it at verification time). For role kRoot, `leaf` must be the pinned root itself.
Status ValidateCertificate(const Certificate& leaf, CertRole role, const Certificate& pinned_root,
                           std::optional<int64_t> at);
// A chain as carried in COSE x5chain, leaf first: [leaf] or [leaf, root]; a root included must be
// byte-identical to the pinned one (kUnknownRoot otherwise). Longer chains are kUnsupported.
Status ValidateChain(std::span<const Certificate> chain, CertRole role, const Certificate& pinned_root,
                     std::optional<int64_t> at);

}  // namespace wathiq::keys
