// Deployment::ReplaceDevice: a holder's new phone. The new wallet sends the document's number, the digests of
// the credentials its backup names and a fresh device key; the document is re-issued from the registry's
// stored record (never from claims the request carries) and every live credential of it is revoked as
// device_replaced, in one transaction (Deployment::ReplaceFor, shared with Replace).
//
// What this does not do: prove that the person asking is the holder. The digests show the request comes
// from someone who had the old wallet's backup; identity proofing (at the counter, or with the old device's
// signature while it still exists) is the agency's procedure in front of this call.
#include <algorithm>

#include "wathiq/core/crypto.h"
#include "wathiq/issuer/deployment.h"

namespace wathiq::issuer {
namespace {

constexpr int64_t kDaySeconds = 86400;

}  // namespace

Result<ReplaceOutcome> Deployment::ReplaceDevice(const DeviceReplacement& request, std::string_view actor,
                                                 int64_t now) {
  if (request.document_number.empty())
    return Fail(Errc::kInvalidArgument, "a device replacement needs the document number");
  if (request.old_mso_digests.empty() || request.old_mso_digests.size() > 4096) {
    return Fail(Errc::kInvalidArgument, "a device replacement names 1 to 4096 old credentials");
  }
  if (request.new_device_key.raw().empty()) {
    return Fail(Errc::kInvalidArgument, "invalid device key", "invalid_device_key");
  }
  WQ_ASSIGN(std::vector<CredentialRecord> all, registry().ByDocument(request.document_number, true));
  if (all.empty()) {
    return Fail(Errc::kNotFound, "no document " + request.document_number + " was issued here", "unknown_document");
  }
  bool names_live = false;  // a replayed request (its credentials all revoked since) re-issues nothing
  for (const auto& digest : request.old_mso_digests) {
    auto it = std::find_if(all.begin(), all.end(), [&](const CredentialRecord& r) {
      return r.mso_digest.size() == digest.size() && ConstantTimeEqual(r.mso_digest, digest);
    });
    if (it == all.end()) {
      return Fail(Errc::kPermission,
                  "a credential named in the request is not one of document " + request.document_number,
                  "unknown_credential");
    }
    if (it->agency != request.agency) {
      return Fail(Errc::kPermission, "document " + request.document_number + " was issued by another agency",
                  "other_agency");
    }
    if (it->state != CredentialState::kRevoked) names_live = true;
  }
  const CredentialRecord* base = nullptr;  // the newest live credential: its record is re-issued
  for (const auto& r : all) {
    if (r.agency != request.agency) continue;
    if (r.state == CredentialState::kSuspended) {
      return Fail(Errc::kState,
                  "document " + request.document_number + " is suspended; it is not re-issued to a new device",
                  "document_suspended");
    }
    if (r.state == CredentialState::kValid) base = &r;
  }
  if (!base || !names_live) {
    return Fail(Errc::kState,
                "none of the credentials named is live: document " + request.document_number +
                    " has nothing to re-issue to this device",
                "nothing_to_replace");
  }
  IssueInput in;
  in.agency = request.agency;
  in.doc_type = base->doc_type;
  in.document_number = request.document_number;
  in.claims_json = base->claims_json;  // the record as validated at issue (ByDocument with bytes)
  if (in.claims_json.empty()) return Fail(Errc::kInternal, "the registry returned a record without its claims");
  in.device_key = request.new_device_key;
  const int64_t left = base->valid_until - now;
  in.valid_days = std::clamp<int64_t>(left <= 0 ? 1 : (left + kDaySeconds - 1) / kDaySeconds, 1, 3660);
  return ReplaceFor(in, status::RevocationReason::kDeviceReplaced, actor, now);
}

}  // namespace wathiq::issuer
