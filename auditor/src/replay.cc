#include "wathiq/auditor/replay.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "wathiq/core/crypto.h"

namespace wathiq::auditor {
namespace {

constexpr uint64_t kNoIssue = std::numeric_limits<uint64_t>::max();
constexpr uint8_t kIssued = 0x80;  // in a slot's byte: an issue used it
constexpr uint8_t kValueMask = 0x03;

std::string IdHex(const log::CredentialId& id) { return ToHex(ByteView(id.data(), id.size())); }

}  // namespace

size_t Replayer::IdHash::operator()(const log::CredentialId& id) const {
  // Credential ids are random: their first bytes are already a good hash.
  uint64_t h;
  std::memcpy(&h, id.data(), sizeof h);
  return static_cast<size_t>(h);
}

Replayer::Replayer(Findings* findings, ReplayOptions options) : findings_(findings), options_(std::move(options)) {}

uint32_t Replayer::Intern(std::vector<std::string>& names, std::unordered_map<std::string, uint32_t>& ids,
                          const std::string& s) {
  auto [it, inserted] = ids.try_emplace(s, static_cast<uint32_t>(names.size()));
  if (inserted) names.push_back(s);
  return it->second;
}

void Replayer::Report(std::string kind, std::string message, const log::Entry& e) {
  Finding f;
  f.kind = std::move(kind);
  f.message = "entry " + std::to_string(size_) + " (" + std::string(log::EventName(e.event)) + "): " + message;
  f.entry = size_;
  if (e.status_uri) f.uri = *e.status_uri;
  f.index = e.status_idx;
  findings_->Add(std::move(f));
}

void Replayer::Apply(const log::Entry& e) {
  switch (e.event) {
    case log::Event::kIssue: ApplyIssue(e); break;
    case log::Event::kRevoke:
    case log::Event::kSuspend:
    case log::Event::kReinstate: ApplyChange(e); break;
    case log::Event::kStatusListPublished:
      if (!e.status_uri || !e.token_sha256) {
        Report("entry_incomplete", "no status_uri or token_sha256", e);
      } else {
        publications_.push_back(Publication{size_, e.agency, *e.status_uri, *e.token_sha256});
      }
      break;
    case log::Event::kKeyAdded:
    case log::Event::kKeyRetired: ApplyKey(e); break;
    case log::Event::kTrustList:
      if (e.sequence) {
        if (trust_list_sequence_ && *e.sequence <= *trust_list_sequence_) {
          Report("trust_list_rollback",
                 "sequence " + std::to_string(*e.sequence) + " after " + std::to_string(*trust_list_sequence_), e);
        } else {
          trust_list_sequence_ = *e.sequence;
        }
      }
      break;
  }
  ++size_;
}

void Replayer::ApplyKey(const log::Entry& e) {
  if (!e.key_id || !e.key_role) {
    Report("entry_incomplete", "a key event needs key_id and key_role", e);
    return;
  }
  const std::string id = ToHex(*e.key_id);
  const bool document_signer = *e.key_role == "document_signer";
  auto it = keys_.find(*e.key_id);
  if (e.event == log::Event::kKeyAdded) {
    if (it != keys_.end()) {
      Report(
          "key_readded",
          "key " + id + " was added before" + (it->second.retired ? " and retired (a retired key never returns)" : ""),
          e);
      return;
    }
    keys_.emplace(*e.key_id, KeyState{e.agency, *e.key_role, false});
    if (document_signer) {
      auto& c = document_signers_[e.agency];
      ++c.added;
      ++c.live;
    }
    return;
  }
  if (it == keys_.end()) {
    Report("unknown_key", "key " + id + " was never added", e);
    return;
  }
  if (it->second.agency != e.agency || it->second.role != *e.key_role) {
    Report("key_mismatch", "key " + id + " was added as " + it->second.role + " of \"" + it->second.agency + "\"", e);
    return;
  }
  if (it->second.retired) {
    Report("key_retired_twice", "key " + id + " was retired before", e);
    return;
  }
  it->second.retired = true;
  if (document_signer) --document_signers_[e.agency].live;
}

void Replayer::ApplyIssue(const log::Entry& e) {
  if (!e.credential_id || !e.status_uri || !e.status_idx || !e.doc_type) {
    Report("entry_incomplete", "an issue needs credential_id, status_uri, status_idx and doc_type", e);
    return;
  }
  const uint64_t idx = *e.status_idx;
  if (auto ds = document_signers_.find(e.agency); ds != document_signers_.end() && ds->second.live == 0) {
    Report("issue_without_signer", "agency \"" + e.agency + "\" retired every document signer it had", e);
  }
  if (options_.agency_of_uri) {
    auto owner = options_.agency_of_uri(*e.status_uri);
    if (!owner || *owner != e.agency) {
      Report("uri_not_agency",
             "agency \"" + e.agency + "\" issued into a list " +
                 (owner ? "of agency \"" + *owner + "\"" : std::string("no agency owns")),
             e);
    }
  }
  if (idx >= options_.max_index) {
    Report("index_out_of_range",
           "index " + std::to_string(idx) + " is beyond any list (" + std::to_string(options_.max_index) +
               " entries at most)",
           e);
    return;
  }
  uint32_t uri = ListFor(*e.status_uri);
  List& list = lists_[uri];
  if (list.first_issue == kNoIssue) list.first_issue = size_;
  auto [slot, fresh] = list.slots.try_emplace(idx, status::kStatusValid);
  if (!fresh && (slot->second & kIssued)) {
    Report("index_reused", "index " + std::to_string(idx) + " of " + *e.status_uri + " was issued before", e);
  }
  // A revoked slot stays revoked whoever is issued into it; otherwise the issue sets it VALID.
  if ((slot->second & kValueMask) != status::kStatusInvalid) slot->second = status::kStatusValid;
  slot->second |= kIssued;
  Cred c{uri, Intern(agency_names_, agency_ids_, e.agency), Intern(doc_type_names_, doc_type_ids_, *e.doc_type),
         status::kStatusValid, idx};
  auto [cred, new_cred] = creds_.try_emplace(*e.credential_id, c);
  if (!new_cred) {
    Report("credential_reissued", "credential " + IdHex(*e.credential_id) + " was issued before", e);
    cred->second = c;
  }
}

void Replayer::ApplyChange(const log::Entry& e) {
  if (!e.credential_id || !e.status_uri || !e.status_idx) {
    Report("entry_incomplete", "needs credential_id, status_uri and status_idx", e);
    return;
  }
  if (options_.keep_status_events) {
    events_.push_back(StatusEvent{size_, e.event, e.time, e.agency, e.actor, e.reason, *e.credential_id,
                                  e.doc_type.value_or(""), *e.status_uri, *e.status_idx});
  }
  const uint64_t idx = *e.status_idx;
  const std::string id = IdHex(*e.credential_id);
  auto cred = creds_.find(*e.credential_id);
  if (cred == creds_.end()) {
    Report("unknown_credential", "credential " + id + " was never issued", e);
  } else {
    Cred& c = cred->second;
    if (uri_names_[c.uri] != *e.status_uri || c.index != idx) {
      Report("slot_mismatch",
             "credential " + id + " was issued at " + uri_names_[c.uri] + " index " + std::to_string(c.index), e);
    }
    if (e.doc_type && doc_type_names_[c.doc_type] != *e.doc_type) {
      Report("doc_type_mismatch", "credential " + id + " was issued as " + doc_type_names_[c.doc_type], e);
    }
    if (agency_names_[c.agency] != e.agency) {
      Report("agency_mismatch",
             "agency \"" + e.agency + "\" acted on a credential of agency \"" + agency_names_[c.agency] + "\"", e);
    }
    if (c.state == status::kStatusInvalid) {
      Report("event_after_revoke", "credential " + id + " was revoked before (revocation is final)", e);
    } else if (e.event == log::Event::kReinstate && c.state != status::kStatusSuspended) {
      Report("reinstate_not_suspended", "credential " + id + " is not suspended", e);
    } else {
      c.state = e.event == log::Event::kRevoke    ? status::kStatusInvalid
                : e.event == log::Event::kSuspend ? status::kStatusSuspended
                                                  : status::kStatusValid;
    }
  }
  // The bits follow the slot the entry names (docs/PUBLICATION.md: revoke -> 1, suspend -> 2, reinstate ->
  // 0), revocation final per slot, whether or not the history above made sense.
  if (idx >= options_.max_index) {
    Report("index_out_of_range",
           "index " + std::to_string(idx) + " is beyond any list (" + std::to_string(options_.max_index) +
               " entries at most)",
           e);
    return;
  }
  uint8_t& v = lists_[ListFor(*e.status_uri)].slots.try_emplace(idx, status::kStatusValid).first->second;
  const uint8_t issued = v & kIssued;
  if ((v & kValueMask) == status::kStatusInvalid) return;
  switch (e.event) {
    case log::Event::kRevoke: v = status::kStatusInvalid | issued; break;
    case log::Event::kSuspend: v = status::kStatusSuspended | issued; break;
    default: v = status::kStatusValid | issued; break;
  }
}

uint32_t Replayer::ListFor(const std::string& uri) {
  uint32_t id = Intern(uri_names_, uri_ids_, uri);
  if (id >= lists_.size()) lists_.resize(id + 1, List{{}, kNoIssue});
  return id;
}

Result<status::StatusList> Replayer::Rebuild(std::string_view uri, uint64_t entries,
                                             std::vector<uint64_t>* beyond) const {
  WQ_ASSIGN(status::StatusList list, status::StatusList::Create(2, entries, std::max(entries, options_.max_index)));
  auto it = uri_ids_.find(std::string(uri));
  if (it == uri_ids_.end()) return list;
  for (const auto& [idx, value] : lists_[it->second].slots) {
    if (idx >= list.size()) {
      if (beyond) beyond->push_back(idx);
      continue;
    }
    if ((value & kValueMask) != status::kStatusValid) WQ_TRY(list.Set(idx, value & kValueMask));
  }
  if (beyond) std::sort(beyond->begin(), beyond->end());
  return list;
}

uint8_t Replayer::Value(std::string_view uri, uint64_t index) const {
  auto it = uri_ids_.find(std::string(uri));
  if (it == uri_ids_.end()) return status::kStatusValid;
  auto slot = lists_[it->second].slots.find(index);
  return slot == lists_[it->second].slots.end() ? status::kStatusValid : slot->second & kValueMask;
}

std::vector<std::pair<std::string, uint64_t>> Replayer::Lists() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (size_t i = 0; i < lists_.size(); ++i) {
    if (lists_[i].first_issue != kNoIssue) out.emplace_back(uri_names_[i], lists_[i].first_issue);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace wathiq::auditor
