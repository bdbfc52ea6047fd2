// Wathiq auditor: the replay of a log's entries into status lists (design/STATUS-AND-LOG.md,
// docs/PUBLICATION.md).
//
// Rules (the list is a function of the entries alone):
//  - issue sets the slot (status_uri, status_idx) to VALID (0); revoke to INVALID (1); suspend to
//    SUSPENDED (2); reinstate from SUSPENDED back to VALID. INVALID is final: no later event changes a
//    revoked slot.
//  - Bits follow the slot each entry names, issued or not; the credential's own history is checked beside them, and an
//    impossible history is a finding, never a silent repair: an index issued twice (index_reused), a
//    credential id issued twice (credential_reissued), an event for a credential never issued
//    (unknown_credential) or naming another slot (slot_mismatch) or document type (doc_type_mismatch) or
//    agency (agency_mismatch) than its issue, any event after a revoke (event_after_revoke), reinstating a
//    credential that is not suspended (reinstate_not_suspended), an index the deployment's lists cannot
//    hold (index_out_of_range), a URI outside the acting agency's prefixes (uri_not_agency).
//  - key_added, key_retired and trust_list change no list; status_list_published entries are kept
//    (position, URI, token hash) for the token checks. Key events must tell a possible story too: a key
//    added twice, or again after its retirement (key_readded), retired without being added (unknown_key)
//    or twice (key_retired_twice) or by another agency or role than added it (key_mismatch); an issue by
//    an agency whose every document signer was retired (issue_without_signer: an issue entry does not name
//    its key, so this is checked per agency, and only once the log has shown the agency a document signer);
//    a trust_list whose sequence is not above the last one (trust_list_rollback).
// Bounded: memory grows with the credentials issued (about 100 bytes each), never with an index's value.
// Thread-safety: none; one Replayer per replay.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wathiq/auditor/findings.h"
#include "wathiq/core/result.h"
#include "wathiq/log/entry.h"
#include "wathiq/status/status_list.h"

namespace wathiq::auditor {

struct ReplayOptions {
  // An index at or beyond this fits in no list the deployment may publish (status tokens are parsed with
  // the same cap).
  uint64_t max_index = status::kDefaultMaxEntries;
  // When set: the agency that owns a status URI (from the trust list), or nullopt for none.
  std::function<std::optional<std::string>(std::string_view uri)> agency_of_uri;
  // Keep every revoke, suspend and reinstate (for the revocation report).
  bool keep_status_events = false;
};

// A revoke, suspend or reinstate as the log records it.
struct StatusEvent {
  uint64_t entry = 0;
  log::Event event = log::Event::kRevoke;
  uint64_t time = 0;
  std::string agency;
  std::string actor;
  std::optional<std::string> reason;
  log::CredentialId credential_id{};
  std::string doc_type;
  std::string uri;
  uint64_t index = 0;
};

// A status_list_published entry.
struct Publication {
  uint64_t entry = 0;
  std::string agency;
  std::string uri;
  std::array<uint8_t, 32> token_sha256{};
};

class Replayer {
 public:
  // `findings` is borrowed and must outlive the Replayer.
  explicit Replayer(Findings* findings, ReplayOptions options = {});

  // Applies the entry at position size().
  void Apply(const log::Entry& entry);
  // An entry that could not be decoded still takes its position (its leaf is in the tree) but changes
  // nothing.
  void Skip() { ++size_; }
  uint64_t size() const { return size_; }

  // The list `uri` as the entries applied so far make it: 2 bits per entry, `entries` entries (the
  // published token's length). Slots used at or beyond `entries` are appended to *beyond when given.
  Result<status::StatusList> Rebuild(std::string_view uri, uint64_t entries,
                                     std::vector<uint64_t>* beyond = nullptr) const;
  // The value of one slot (0 for a slot never used).
  uint8_t Value(std::string_view uri, uint64_t index) const;

  // Every list URI an issue named, sorted, with the position of its first issue.
  std::vector<std::pair<std::string, uint64_t>> Lists() const;
  uint64_t credentials() const { return creds_.size(); }
  const std::vector<Publication>& publications() const { return publications_; }
  const std::vector<StatusEvent>& status_events() const { return events_; }

 private:
  struct IdHash {
    size_t operator()(const log::CredentialId& id) const;
  };
  struct Cred {
    uint32_t uri = 0;
    uint32_t agency = 0;
    uint32_t doc_type = 0;
    uint8_t state = 0;  // status value of the credential (0 valid, 1 revoked, 2 suspended)
    uint64_t index = 0;
  };
  struct List {
    std::unordered_map<uint64_t, uint8_t> slots;  // every slot an entry named: its value, 0x80 once issued
    uint64_t first_issue = 0;
  };
  uint32_t Intern(std::vector<std::string>& names, std::unordered_map<std::string, uint32_t>& ids,
                  const std::string& s);
  uint32_t ListFor(const std::string& uri);
  void Report(std::string kind, std::string message, const log::Entry& e);
  void ApplyIssue(const log::Entry& e);
  void ApplyChange(const log::Entry& e);
  void ApplyKey(const log::Entry& e);

  Findings* findings_;
  ReplayOptions options_;
  uint64_t size_ = 0;
  std::vector<std::string> uri_names_, agency_names_, doc_type_names_;
  std::unordered_map<std::string, uint32_t> uri_ids_, agency_ids_, doc_type_ids_;
  std::vector<List> lists_;  // by uri id
  std::unordered_map<log::CredentialId, Cred, IdHash> creds_;
  std::vector<Publication> publications_;
  std::vector<StatusEvent> events_;
  struct KeyState {
    std::string agency;
    std::string role;
    bool retired = false;
  };
  std::map<Bytes, KeyState> keys_;
  struct SignerCount {
    uint64_t added = 0;
    uint64_t live = 0;
  };
  std::unordered_map<std::string, SignerCount> document_signers_;  // by agency
  std::optional<uint64_t> trust_list_sequence_;
};

}  // namespace wathiq::auditor
