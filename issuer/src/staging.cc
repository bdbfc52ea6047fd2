// Staged records: validated and registered without the holder's device key, issued at pickup once the
// holder has proven a key (the service checks the proof and calls IssueStaged). A staged record holds no
// status-list slot (so records never picked up use none of the herd) and is in no log entry until it is
// issued; cancelling one writes none either.
#include <ctime>

#include "deployment_internal.h"

namespace wathiq::issuer {
namespace internal {
namespace {

Result<PickupId> ParsePickupId(std::string_view hex) {
  auto b = FromHex(hex);
  PickupId id{};
  if (!b || b->size() != id.size()) {
    return Fail(Errc::kInvalidArgument, "a pickup id is 32 hex digits", "bad_pickup_id");
  }
  std::copy(b->begin(), b->end(), id.begin());
  return id;
}

StagedOutcome Outcome(const StagedRecord& r, bool already) {
  return StagedOutcome{ToHex(r.pickup_id), r.agency, r.doc_type, r.document_number, already};
}

}  // namespace

Result<StagedOutcome> StageIn(Core& core, const IssueInput& input, std::string_view actor, int64_t now) {
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  if (!input.idempotency_key.empty()) {
    WQ_ASSIGN(std::optional<PickupId> known, core.Reg().FindStagedIdempotencyKey(input.idempotency_key));
    if (known) {
      WQ_ASSIGN(std::optional<StagedRecord> rec, core.Reg().StagedById(*known));
      if (!rec) return Fail(Errc::kInternal, "an idempotency key points at no staged record");
      return Outcome(*rec, true);
    }
    WQ_ASSIGN(std::optional<log::CredentialId> issued, core.Reg().FindIdempotencyKey(input.idempotency_key));
    if (issued) {
      return Fail(Errc::kState, "the idempotency key belongs to an issued credential", "duplicate_idempotency_key");
    }
  }
  WQ_ASSIGN(std::string number, core.Check(input, now, false));
  StagedRecord r;
  RandomBytes(r.pickup_id.data(), r.pickup_id.size());
  r.agency = input.agency;
  r.doc_type = input.doc_type;
  r.document_number = number;
  r.claims_json = input.claims_json;
  r.valid_days = input.valid_days;
  r.only_profile = input.only_profile;
  r.staged_at = now;
  r.actor = std::string(actor);
  r.idempotency_key = input.idempotency_key;
  WQ_TRY(core.Reg().InsertStaged(r));
  return Outcome(r, false);
}

}  // namespace internal

Result<StagedOutcome> Deployment::Stage(const IssueInput& input, std::string_view actor, int64_t now) {
  internal::Core& c = core();
  WQ_ASSIGN(auto work, c.Reg().Begin());
  WQ_ASSIGN(StagedOutcome out, internal::StageIn(c, input, actor, now));
  if (!out.already_staged) WQ_TRY(work->Commit());
  return out;
}

Result<IssuedRecord> Deployment::IssueStaged(std::string_view pickup_id, const PublicKey& device_key, int64_t now,
                                             std::string_view actor) {
  internal::Core& c = core();
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  WQ_ASSIGN(PickupId id, internal::ParsePickupId(pickup_id));
  WQ_ASSIGN(auto work, c.Reg().Begin());
  WQ_ASSIGN(std::optional<StagedRecord> rec, c.Reg().StagedById(id));
  if (!rec) return Fail(Errc::kNotFound, "no record is staged under this pickup id", "unknown_pickup");
  if (rec->state != StagedState::kStaged) {
    return Fail(Errc::kState, "the staged record was " + std::string(StagedStateName(rec->state)) + " already",
                "not_staged");
  }
  IssueInput in;
  in.agency = rec->agency;
  in.doc_type = rec->doc_type;
  in.document_number = rec->document_number;
  in.claims_json = rec->claims_json;
  in.device_key = device_key;
  in.valid_days = rec->valid_days;
  in.only_profile = rec->only_profile;
  WQ_ASSIGN(auto results, c.IssueChunk({in}, actor, now, 1));
  if (!results[0]) return Fail(results[0].error());
  WQ_TRY(c.Reg().CloseStaged(id, StagedState::kIssued, results[0]->credential_id, now));
  WQ_TRY(work->Commit());
  return std::move(results[0]);
}

Status Deployment::CancelStaged(std::string_view pickup_id, std::string_view actor, int64_t now) {
  internal::Core& c = core();
  if (actor.empty() || actor.size() > 256) return Fail(Errc::kInvalidArgument, "the acting staff id is 1 to 256 bytes");
  WQ_ASSIGN(PickupId id, internal::ParsePickupId(pickup_id));
  WQ_ASSIGN(auto work, c.Reg().Begin());
  WQ_ASSIGN(std::optional<StagedRecord> rec, c.Reg().StagedById(id));
  if (!rec) return Fail(Errc::kNotFound, "no record is staged under this pickup id", "unknown_pickup");
  if (rec->state != StagedState::kStaged) {
    return Fail(Errc::kState, "the staged record was " + std::string(StagedStateName(rec->state)) + " already",
                "not_staged");
  }
  WQ_TRY(c.Reg().CloseStaged(id, StagedState::kCancelled, std::nullopt, now));
  return work->Commit();
}

}  // namespace wathiq::issuer
