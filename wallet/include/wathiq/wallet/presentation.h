// Wathiq wallet: a presentation from a credential the wallet holds, as the citizen chose to disclose it.
//
// Guarantees:
//  - Only the elements named (by a disclosure profile of the catalogue in use, or one by one) leave the
//    wallet; an element the credential does not hold is an error, not a silent omission.
//  - The credential is parsed strictly and its MSO read only for its docType; the wallet does not trust it
//    more than that (the verifier does the checking).
//  - A challenge's verifierName is the verifier's claim: the caller shows it as such (it is returned
//    escaped, for display).
// Thread-safety: reentrant; the Signer must be safe for the caller's use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wathiq/core/crypto.h"
#include "wathiq/core/result.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/qr.h"

namespace wathiq::wallet {

struct DisclosureChoice {
  std::string profile;                // a named disclosure profile of the document type, or
  std::vector<std::string> elements;  // element ids, when no profile is named
};

struct PresentOptions {
  const mdoc::Catalogue* catalogue = nullptr;  // null: the built-in catalogue
  int64_t now = 0;                             // the wallet's clock (presentedAt)
  std::optional<std::string> challenge_text;   // a scanned "WQC:..." (challenge mode)
};

struct PresentedQr {
  mdoc::qr::Presentation presentation;
  std::string doc_type;
  std::vector<std::string> disclosed;
  std::string verifier_name;  // the challenge's claim, escaped for display; empty in time mode
};

// The credential (an IssuerSigned as issued) presented with the device key bound in it.
Result<PresentedQr> PresentCredential(ByteView credential, const Signer& device_key, const DisclosureChoice& choice,
                                      const PresentOptions& options);

// The docType in a credential's MSO (untrusted: for choosing profiles and labels).
Result<std::string> CredentialDocType(const mdoc::ParsedIssuerSigned& credential);

}  // namespace wathiq::wallet
