// Wathiq credential format: ISO/IEC 18013-5 mdoc issuance, presentation and verification.
//
// Guarantees:
//  - Issue() builds IssuerSignedItems with fresh 16-byte CSPRNG salts and shuffled digestIDs, a
//    MobileSecurityObject with SHA-256 value digests, and IssuerAuth as COSE_Sign1 with {alg, kid}
//    protected and the document-signer certificate in the unprotected x5chain; all deterministic CBOR.
//  - Verification works on the bytes as received: digests are computed over the tag-24 item bytes that
//    arrived, signatures over the protected header and payload that arrived; nothing is re-encoded first.
//  - Only the verifier constructs a VerifiedDocument. A report lists every failed check by the reason
//    codes of design/QR-PROFILE.md; once the issuer signature fails, nothing in the MSO is trusted and
//    the checks that depend on it are not run.
//  - Certificates and issuer keys come pre-parsed from keys::TrustAnchors: nothing is parsed per call.
// Thread-safety: DocumentSigner and the free functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wathiq/core/calendar.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"
#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/keys/trust.h"
#include "wathiq/mdoc/catalogue.h"

namespace wathiq::mdoc {

// Reason codes (design/QR-PROFILE.md): one vocabulary for the library, CLI, C bridge and tests.
enum class Reason {
  kMalformed,
  kUnsupported,
  kUnknownSigner,
  kBadIssuerSignature,
  kSignerNotAuthorized,
  kCertificateInvalid,
  kNotYetValid,
  kExpired,
  kBadDigest,
  kBadDeviceSignature,
  kBadDeviceMac,
  kPresentationStale,
  kNonceMismatch,
  kReplayed,
  kRevoked,
  kSuspended,
  kStatusUnknown,
  kStatusIndexOutOfRange,
};
std::string_view ReasonCode(Reason r);

struct Finding {
  Reason reason;
  std::string detail;
};

struct StatusRef {
  std::string uri;
  uint64_t idx = 0;
};

struct Validity {
  int64_t signed_at = 0;  // seconds since the epoch
  int64_t valid_from = 0;
  int64_t valid_until = 0;
};

// RFC 3339 date-time <-> seconds since the epoch (ISO 18013-5 tdate): core/calendar.h.
using wathiq::FormatTdate;
using wathiq::ParseTdate;

// ---------------------------------------------------------------------------------------------------------
// Issuance

struct IssueRequest {
  std::string doc_type;
  std::string name_space;
  std::vector<ElementValue> elements;  // typically from ValidateRecord()
  PublicKey device_key;                // the holder's device key, bound in deviceKeyInfo
  Validity validity;
  std::optional<StatusRef> status;  // Token Status List reference
};

// The ISO 18013-5 document signer: a signer (software, keystore or HSM) and its document-signer certificate.
// (The agency-side lifecycle is the issuer/ component; this is only the signing identity.)
class DocumentSigner {
 public:
  // `signer` must outlive the DocumentSigner. The certificate's key must be the signer's (checked).
  static Result<DocumentSigner> Create(const Signer& signer, Bytes certificate_der);
  // IssuerSigned = {"nameSpaces": {ns: [+ #6.24(IssuerSignedItem)]}, "issuerAuth": COSE_Sign1}, encoded.
  // When mso_digest is given it receives SHA-256 of the signed payload (MobileSecurityObjectBytes), which
  // a registry keeps, so the caller need not parse back what was just built.
  Result<Bytes> Issue(const IssueRequest& request, Bytes* mso_digest = nullptr) const;
  const Bytes& kid() const { return kid_; }
  const Bytes& certificate() const { return certificate_; }

 private:
  DocumentSigner(const Signer& s, Bytes cert, Bytes kid)
      : signer_(&s), certificate_(std::move(cert)), kid_(std::move(kid)) {}
  const Signer* signer_;
  Bytes certificate_;
  Bytes kid_;
  Bytes protected_header_;
};

// ---------------------------------------------------------------------------------------------------------
// Parsed structures (no trust implied).

struct ParsedItem {
  Bytes item_bytes;  // the tag-24 content as received (the IssuerSignedItem encoding)
  uint64_t digest_id = 0;
  Bytes random;
  std::string element_id;
  cbor::Value element_value;
};

struct ParsedNameSpace {
  std::string name;
  std::vector<ParsedItem> items;
};

struct ParsedIssuerSigned {
  std::vector<ParsedNameSpace> name_spaces;
  cose::Sign1 issuer_auth;
};

struct ParsedDocument {
  std::string doc_type;
  ParsedIssuerSigned issuer_signed;
  // deviceSigned (absent for a bare IssuerSigned)
  bool has_device_signed = false;
  Bytes device_name_spaces_bytes;  // tag-24 content as received
  std::optional<cose::Sign1> device_signature;
  std::optional<cose::Sign1> device_mac;  // COSE_Mac0 has the same shape; tag is the MAC
};

Result<ParsedIssuerSigned> ParseIssuerSigned(const cbor::Value& v);
Result<ParsedIssuerSigned> ParseIssuerSigned(ByteView bytes);
Result<ParsedDocument> ParseDocument(const cbor::Value& v);
// DeviceResponse: version "1.0", documents, status 0 (others rejected).
Result<std::vector<ParsedDocument>> ParseDeviceResponse(const cbor::Value& v);
Result<std::vector<ParsedDocument>> ParseDeviceResponse(ByteView bytes);
// Re-encodes an IssuerSigned with only the chosen elements of each namespace and, when drop_x5chain,
// without the unprotected certificate (design/QR-PROFILE.md). Signed parts are carried verbatim.
cbor::Value IssuerSignedToValue(const ParsedIssuerSigned& is, const std::vector<std::string>* only_elements,
                                bool drop_x5chain);

// ---------------------------------------------------------------------------------------------------------
// Verification

struct VerifiedElement {
  std::string name_space;
  std::string id;
  cbor::Value value;
};

class VerifiedDocument {
 public:
  const std::string& doc_type() const { return doc_type_; }
  const std::string& agency_id() const { return agency_id_; }
  const std::string& agency_name_ar() const { return agency_name_ar_; }
  const std::string& agency_name_en() const { return agency_name_en_; }
  const std::vector<VerifiedElement>& elements() const { return elements_; }
  const VerifiedElement* Find(std::string_view id) const;
  const Validity& validity() const { return validity_; }
  const std::optional<StatusRef>& status() const { return status_; }
  const PublicKey& device_key() const { return device_key_; }
  bool device_authenticated() const { return device_authenticated_; }
  // SHA-256(first half of the device signature or the MAC tag || DeviceAuthenticationBytes), set once the
  // device authenticated. The first half of an ECDSA signature is r (Ed25519: R): a replayer can flip s to
  // n - s, re-encode or drop items, but cannot change r or the authenticated bytes, so a verifier keys its
  // replay records on this.
  const Bytes& replay_key() const { return replay_key_; }

 private:
  friend class DocumentVerifier;
  VerifiedDocument() = default;
  std::string doc_type_, agency_id_, agency_name_ar_, agency_name_en_;
  std::vector<VerifiedElement> elements_;
  Validity validity_;
  std::optional<StatusRef> status_;
  PublicKey device_key_;
  bool device_authenticated_ = false;
  Bytes replay_key_;
};

struct DocumentReport {
  std::string doc_type;
  std::vector<Finding> failures;
  std::optional<VerifiedDocument> document;  // set only when failures is empty
  bool ok() const { return failures.empty() && document.has_value(); }
  bool Has(Reason r) const;
};

// How the device authenticates the presentation.
struct DeviceAuthContext {
  // The encoded SessionTranscript (not tag-24 wrapped).
  Bytes session_transcript;
  // For deviceMac: the reader's ephemeral P-256 private scalar (ISO 18013-5 9.1.3.5).
  std::optional<Bytes> reader_ephemeral_private;
};

struct VerifyOptions {
  int64_t now = 0;  // the verifier's clock, seconds since the epoch
};

class DocumentVerifier {
 public:
  explicit DocumentVerifier(const keys::TrustAnchors& anchors) : anchors_(&anchors) {}
  // Issuer data authentication only (a credential file).
  DocumentReport VerifyIssuerSigned(const ParsedIssuerSigned& is, const VerifyOptions& o) const;
  // A document of a DeviceResponse: issuer data authentication + mdoc authentication.
  DocumentReport VerifyDocument(const ParsedDocument& doc, const DeviceAuthContext& device,
                                const VerifyOptions& o) const;

 private:
  struct IssuerChecked;
  DocumentReport CheckIssuer(const ParsedIssuerSigned& is, const std::string* outer_doc_type, const VerifyOptions& o,
                             std::optional<cbor::Value>* mso_out) const;
  const keys::TrustAnchors* anchors_;
};

// ---------------------------------------------------------------------------------------------------------
// Device side: DeviceResponse with mdoc authentication by signature.

// DeviceAuthentication = ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes],
// returned as DeviceAuthenticationBytes (#6.24 wrapped), built by splicing the transcript bytes verbatim.
Bytes DeviceAuthenticationBytes(ByteView session_transcript, std::string_view doc_type,
                                ByteView device_name_spaces_bytes);

struct PresentedDocument {
  const ParsedIssuerSigned* issuer_signed;
  std::string doc_type;
  std::vector<std::string> disclose;  // element ids to include (all namespaces)
  const Signer* device_key;           // signs DeviceAuthentication
};

struct DeviceResponseOptions {
  bool drop_x5chain = false;
};
// DeviceResponse {"version": "1.0", "documents": [...], "status": 0} as a value (callers may embed it).
Result<cbor::Value> BuildDeviceResponse(const std::vector<PresentedDocument>& docs, ByteView session_transcript,
                                        const DeviceResponseOptions& options = {});

}  // namespace wathiq::mdoc
