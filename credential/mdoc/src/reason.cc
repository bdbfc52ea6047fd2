#include <cstdio>

#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {

std::string_view ReasonCode(Reason r) {
  switch (r) {
    case Reason::kMalformed: return "malformed";
    case Reason::kUnsupported: return "unsupported";
    case Reason::kUnknownSigner: return "unknown_signer";
    case Reason::kBadIssuerSignature: return "bad_issuer_signature";
    case Reason::kSignerNotAuthorized: return "signer_not_authorized";
    case Reason::kCertificateInvalid: return "certificate_invalid";
    case Reason::kNotYetValid: return "not_yet_valid";
    case Reason::kExpired: return "expired";
    case Reason::kBadDigest: return "bad_digest";
    case Reason::kBadDeviceSignature: return "bad_device_signature";
    case Reason::kBadDeviceMac: return "bad_device_mac";
    case Reason::kPresentationStale: return "presentation_stale";
    case Reason::kNonceMismatch: return "nonce_mismatch";
    case Reason::kReplayed: return "replayed";
    case Reason::kRevoked: return "revoked";
    case Reason::kSuspended: return "suspended";
    case Reason::kStatusUnknown: return "status_unknown";
    case Reason::kStatusIndexOutOfRange: return "status_index_out_of_range";
  }
  return "malformed";
}

}  // namespace wathiq::mdoc
