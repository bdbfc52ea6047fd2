// Wathiq log: the entries of an issuer deployment's append-only log (design/STATUS-AND-LOG.md).
//
// An entry records one event of an agency with no personal data: no name, document number or claim value
// of a citizen ever appears, only the random credential id, the document type and the status-list slot.
// The encoding is a deterministically encoded CBOR map (RFC 8949 §4.2.1: shortest heads, keys sorted
// bytewise) with text keys:
//
//   "v"             uint, the entry format version, 1
//   "event"         tstr, one of EventName() below
//   "time"          uint, seconds since the epoch
//   "agency"        tstr, the agency id as in the trust list
//   "actor"         tstr, the authenticated staff id (or a service name for automatic events)
//   "credential_id" bstr(16)   issue, revoke, suspend, reinstate
//   "doc_type"      tstr       issue (and revoke/suspend/reinstate)
//   "status_uri"    tstr       issue, revoke, suspend, reinstate, status_list_published
//   "status_idx"    uint       issue, revoke, suspend, reinstate
//   "valid_until"   uint       issue: the credential's validUntil (an auditor can tell live from expired)
//   "reason"        tstr       revoke, suspend (a code of status::ReasonCode), key_retired (optional)
//   "token_sha256"  bstr(32)   status_list_published: SHA-256 of the published token's bytes;
//                              trust_list (optional): SHA-256 of the signed trust list's bytes
//   "key_id"        bstr       key_added, key_retired: the key's id (SHA-256 of its SubjectPublicKeyInfo)
//   "key_role"      tstr       key_added, key_retired: "document_signer", "status_list_signer", "log"
//   "sequence"      uint       trust_list: the trust list's sequence number
//
// Which fields an event carries is fixed: EncodeEntry() refuses an entry with a field its event does not
// take or without one it needs, and DecodeEntry() refuses the same on the wire, plus unknown keys,
// duplicate keys, non-canonical encodings (re-encoding must give the same bytes), and entries over
// kMaxEntryBytes. So one event has exactly one encoding, and the log's leaf hashes are reproducible.
//
// Status bits follow from the events alone (auditor/ replays them): issue sets the slot to VALID (0),
// revoke to INVALID (1, final), suspend to SUSPENDED (2), reinstate from SUSPENDED back to VALID.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/log/tiles.h"  // kMaxEntryBytes

namespace wathiq::log {

enum class Event {
  kIssue,
  kRevoke,
  kSuspend,
  kReinstate,
  kKeyAdded,
  kKeyRetired,
  kTrustList,
  kStatusListPublished,
};

// "issue", "revoke", "suspend", "reinstate", "key_added", "key_retired", "trust_list",
// "status_list_published".
std::string_view EventName(Event event);
Result<Event> ParseEventName(std::string_view name);

using CredentialId = std::array<uint8_t, 16>;

struct Entry {
  Event event = Event::kIssue;
  uint64_t time = 0;
  std::string agency;
  std::string actor;
  std::optional<CredentialId> credential_id;
  std::optional<std::string> doc_type;
  std::optional<std::string> status_uri;
  std::optional<uint64_t> status_idx;
  std::optional<uint64_t> valid_until;
  std::optional<std::string> reason;
  std::optional<std::array<uint8_t, 32>> token_sha256;
  std::optional<Bytes> key_id;
  std::optional<std::string> key_role;
  std::optional<uint64_t> sequence;
  bool operator==(const Entry&) const = default;
};

// kInvalidArgument naming the field when the entry does not have exactly its event's fields, a reason is
// not a known code, agency or actor is empty, or a text field is not valid UTF-8.
Result<Bytes> EncodeEntry(const Entry& entry);
// kMalformed naming what is wrong; the rules of EncodeEntry plus canonical form and kMaxEntryBytes.
Result<Entry> DecodeEntry(ByteView bytes);

}  // namespace wathiq::log
