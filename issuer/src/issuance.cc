#include "wathiq/issuer/issuance.h"

#include <algorithm>

namespace wathiq::issuer {

Result<IssuedCredential> IssueRecord(const mdoc::Catalogue& catalogue, const mdoc::DocumentSigner& issuer,
                                     const RecordRequest& request) {
  const mdoc::DocTypeSpec* spec = catalogue.Find(request.doc_type);
  if (!spec) return Fail(Errc::kInvalidArgument, "the catalogue has no document type " + request.doc_type);
  WQ_ASSIGN(std::vector<mdoc::ElementValue> elements,
            mdoc::ValidateRecord(*spec, request.claims_json, mdoc::Date::FromUnix(request.validity.signed_at)));
  if (!request.only_profile.empty()) {
    WQ_ASSIGN(std::vector<std::string> profile, spec->Profile(request.only_profile));
    std::erase_if(elements, [&](const mdoc::ElementValue& e) {
      return std::find(profile.begin(), profile.end(), e.id) == profile.end();
    });
    if (elements.empty()) {
      return Fail(Errc::kInvalidArgument, "the record has none of profile " + request.only_profile + "'s elements");
    }
  }
  mdoc::IssueRequest r;
  r.doc_type = spec->doc_type;
  r.name_space = spec->name_space;
  r.elements = std::move(elements);
  r.device_key = request.device_key;
  r.validity = request.validity;
  r.status = request.status;
  Bytes mso_digest;
  WQ_ASSIGN(Bytes credential, issuer.Issue(r, &mso_digest));
  IssuedCredential out{std::move(credential), {}, std::move(mso_digest)};
  for (const auto& e : r.elements) out.element_ids.push_back(e.id);
  return out;
}

Status CheckRecord(const mdoc::Catalogue& catalogue, std::string_view doc_type, std::string_view claims_json,
                   std::string_view only_profile, int64_t signed_at) {
  const mdoc::DocTypeSpec* spec = catalogue.Find(std::string(doc_type));
  if (!spec) return Fail(Errc::kInvalidArgument, "the catalogue has no document type " + std::string(doc_type));
  WQ_ASSIGN(std::vector<mdoc::ElementValue> elements,
            mdoc::ValidateRecord(*spec, claims_json, mdoc::Date::FromUnix(signed_at)));
  if (!only_profile.empty()) {
    WQ_ASSIGN(std::vector<std::string> profile, spec->Profile(std::string(only_profile)));
    std::erase_if(elements, [&](const mdoc::ElementValue& e) {
      return std::find(profile.begin(), profile.end(), e.id) == profile.end();
    });
    if (elements.empty()) {
      return Fail(Errc::kInvalidArgument,
                  "the record has none of profile " + std::string(only_profile) + "'s elements");
    }
  }
  return Ok();
}

std::vector<Result<IssuedCredential>> IssueBatch(const mdoc::Catalogue& catalogue, const mdoc::DocumentSigner& issuer,
                                                 const std::vector<RecordRequest>& requests) {
  std::vector<Result<IssuedCredential>> results;
  results.reserve(requests.size());
  for (const auto& r : requests) results.push_back(IssueRecord(catalogue, issuer, r));
  return results;
}

}  // namespace wathiq::issuer
