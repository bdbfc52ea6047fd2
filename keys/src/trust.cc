#include "wathiq/keys/trust.h"

#include <algorithm>

#include "wathiq/keys/status_uri.h"

namespace wathiq::keys {

bool TrustedSigner::MayIssue(std::string_view doc_type) const {
  // Only a document signer issues credentials; a status-list signer signs lists, never documents.
  if (role != SignerRole::kDocumentSigner) return false;
  return std::find(doc_types.begin(), doc_types.end(), doc_type) != doc_types.end();
}

bool TrustedSigner::MayReferenceStatus(std::string_view uri) const {
  if (role != SignerRole::kDocumentSigner) return false;
  return std::any_of(status_prefixes.begin(), status_prefixes.end(),
                     [uri](const std::string& p) { return StatusUriUnder(uri, p); });
}

Bytes KidForCertificate(ByteView cert_der) {
  Bytes h = Sha256(cert_der);
  h.resize(8);
  return h;
}

}  // namespace wathiq::keys
