// Issuance from agency records: a record (document type + claims as JSON) is checked against the
// document-type catalogue, every rule failing with the element's name, then signed as an ISO 18013-5
// credential bound to the holder's device key.
//
//   issuer::RecordRequest r{.doc_type = "kw.gov.paci.civil_id.1", .claims_json = record, .device_key = key,
//                           .validity = {now, now, now + 365 * 86400}, .status = mdoc::StatusRef{uri, idx}};
//   auto issued = issuer::IssueRecord(mdoc::Catalogue::Default(), desk_issuer, r);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/mdoc/catalogue.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::issuer {

struct RecordRequest {
  std::string doc_type;
  std::string claims_json;  // the agency record: a JSON object of element -> value
  PublicKey device_key;     // the holder's device key
  mdoc::Validity validity;  // derived elements (age_over_NN) are computed on signed_at's date
  std::optional<mdoc::StatusRef> status;
  // When set, only this disclosure profile's elements are signed: a smaller credential meant for QR use
  // (fewer digests in the MSO). Together with a validity of a few days and no status reference it gives
  // the smallest QR the verifier accepts.
  std::string only_profile;
};

struct IssuedCredential {
  Bytes issuer_signed;                   // IssuerSigned, with x5chain
  std::vector<std::string> element_ids;  // what was signed, in record order
  Bytes mso_digest;                      // SHA-256 of the signed MobileSecurityObjectBytes
};

Result<IssuedCredential> IssueRecord(const mdoc::Catalogue& catalogue, const mdoc::DocumentSigner& issuer,
                                     const RecordRequest& request);

// The checks of IssueRecord without signing (no device key needed): the record against the catalogue, on
// `signed_at`'s date, and the profile when only_profile is set. Used to stage a record for later pickup.
Status CheckRecord(const mdoc::Catalogue& catalogue, std::string_view doc_type, std::string_view claims_json,
                   std::string_view only_profile, int64_t signed_at);

// A batch: every record is issued or refused on its own, so one bad record never stops the others.
// results[i] answers requests[i].
std::vector<Result<IssuedCredential>> IssueBatch(const mdoc::Catalogue& catalogue, const mdoc::DocumentSigner& issuer,
                                                 const std::vector<RecordRequest>& requests);

}  // namespace wathiq::issuer
