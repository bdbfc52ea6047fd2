// Wathiq issuer: the registry — what an issuer deployment issued to whom and in what state, its status
// lists, and its append-only log (entries and Merkle tree nodes), behind an interface in domain terms.
//
// Guarantees:
//  - The SQLCipher implementation (OpenSqlcipherRegistry) keeps every row — claims, credentials, document
//    numbers, history, the log — in one SQLCipher 4 file opened with a raw 256-bit key (storage/database.h);
//    nothing is written outside it. All SQL lives in registry.cc; a PostgreSQL back end implements this
//    interface, it does not emulate storage::Database.
//  - Changes happen inside a Work (one IMMEDIATE transaction): a Work that is destroyed without Commit
//    rolls back, so one domain action (issue + log append, revoke + log append, publication) is all or
//    nothing, and a committed Work is durable (WAL, synchronous=FULL).
//  - A status-list slot (list, index) belongs to one credential forever: credentials are never deleted and
//    (list_id, idx) is unique, so an index is never reused.
//  - The log stores each entry and every complete subtree hash as it is appended (RFC 9162 hashing), so a
//    root or proof of any size up to the current one costs O(log^2 n) node reads, never a rescan.
// Thread-safety: one thread at a time (a Registry wraps one database connection).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/merkle.h"

namespace wathiq::issuer {

// The smallest list an agency publishes (the herd a credential hides in).
inline constexpr uint64_t kMinStatusListSize = 131072;

enum class CredentialState { kValid, kSuspended, kRevoked };
// "valid", "suspended", "revoked".
std::string_view CredentialStateName(CredentialState state);
Result<CredentialState> ParseCredentialState(std::string_view name);
// The Token Status List value of a state: valid 0, revoked 1, suspended 2.
uint8_t StatusValue(CredentialState state);

struct AgencyRecord {
  std::string id;
  Bytes document_signer_kid;
  Bytes status_signer_kid;
  std::vector<std::string> doc_types;
  std::string status_prefix;
  std::string aggregation_uri;
};

struct StatusListRecord {
  int64_t id = 0;  // assigned by the registry
  std::string agency;
  int64_t number = 0;  // 1, 2, ... per agency; the URI is <prefix>/<number>
  std::string uri;
  uint64_t size = 0;  // entries, >= kMinStatusListSize
  uint64_t used = 0;  // slots taken (never given back)
};

struct CredentialRecord {
  log::CredentialId id{};
  std::string document_number;
  std::string agency;
  std::string doc_type;
  Bytes holder_thumbprint;  // SHA-256 of the device key's SubjectPublicKeyInfo
  int64_t valid_from = 0;
  int64_t valid_until = 0;
  int64_t issued_at = 0;
  int64_t list_id = 0;
  std::string status_uri;
  uint64_t status_idx = 0;
  Bytes mso_digest;  // SHA-256 of the MobileSecurityObject bytes that were signed
  CredentialState state = CredentialState::kValid;
  std::string claims_json;      // the agency record as validated
  Bytes credential;             // IssuerSigned
  std::string idempotency_key;  // empty: none
  // SHA-256 of the SubjectPublicKeyInfo of the document signer that signed it; empty for credentials
  // issued before the registry recorded it (schema 1): those were signed by the agency's first signer.
  Bytes signer_key;
};

// A document signer of an agency (besides the one deployment.json names, which need not have a row until
// it is retired). Rows are never deleted: a retired key stays, so it can never be added again.
struct SignerRecord {
  Bytes key_id;  // SHA-256 of its SubjectPublicKeyInfo (the log's key_id)
  std::string agency;
  std::string spec_json;  // where the key lives: {"file": ...} or the pkcs11 fields (deployment.h KeySpec)
  Bytes cert_der;         // its document-signer certificate
  int64_t added_at = 0;
  std::optional<int64_t> retired_at;
  std::string retire_reason;  // a status::ReasonCode, or empty (a planned retirement)
};

enum class StagedState { kStaged, kIssued, kCancelled };
// "staged", "issued", "cancelled".
std::string_view StagedStateName(StagedState state);

using PickupId = std::array<uint8_t, 16>;

// A record validated and registered without the holder's device key, waiting to be picked up (signed and
// issued once the holder proves a key). It holds no status-list slot: the slot is drawn at pickup.
struct StagedRecord {
  PickupId pickup_id{};
  std::string agency;
  std::string doc_type;
  std::string document_number;
  std::string claims_json;
  int64_t valid_days = 365;
  std::string only_profile;
  int64_t staged_at = 0;
  std::string actor;
  StagedState state = StagedState::kStaged;
  std::optional<log::CredentialId> credential_id;  // once issued
  int64_t closed_at = 0;                           // issued or cancelled at (0: still staged)
  std::string idempotency_key;                     // empty: none
};

struct HistoryEntry {
  int64_t time = 0;
  std::string event;   // "issue", "revoke", "suspend", "reinstate"
  std::string reason;  // empty when none
  std::string actor;
  uint64_t log_index = 0;
};

struct StoredCheckpoint {
  uint64_t size = 0;
  log::Hash root{};
  std::string note;  // the signed note
  int64_t signed_at = 0;
};

class Registry : public log::NodeSource {
 public:
  // A unit of work: one transaction. Rolled back on destruction unless committed.
  class Work {
   public:
    virtual ~Work() = default;
    virtual Status Commit() = 0;
  };
  // kState when a Work is already open on this registry.
  virtual Result<std::unique_ptr<Work>> Begin() = 0;

  // Agencies (insert or replace by id).
  virtual Status PutAgency(const AgencyRecord& agency) = 0;
  virtual Result<std::vector<AgencyRecord>> Agencies() = 0;

  // Status lists of an agency (or of every agency when empty), by id.
  virtual Result<std::vector<StatusListRecord>> Lists(std::string_view agency) = 0;
  // Adds a list; returns it with its id. kState when its uri or (agency, number) exists.
  virtual Result<StatusListRecord> OpenList(const StatusListRecord& list) = 0;
  virtual Result<bool> SlotTaken(int64_t list_id, uint64_t idx) = 0;
  // Every taken slot of a list with its credential's state.
  virtual Result<std::vector<std::pair<uint64_t, CredentialState>>> Slots(int64_t list_id) = 0;

  // Stores a new credential (taking its slot: kState if taken, or if the id or idempotency key exists) and
  // its first history entry.
  virtual Status InsertCredential(const CredentialRecord& record, const HistoryEntry& first) = 0;
  // Every credential issued for a document number, by any agency, oldest first (without their bytes when
  // with_bytes is false).
  virtual Result<std::vector<CredentialRecord>> ByDocument(std::string_view document_number, bool with_bytes) = 0;
  virtual Result<std::optional<CredentialRecord>> ById(const log::CredentialId& id) = 0;
  virtual Status SetState(const log::CredentialId& id, CredentialState state, const HistoryEntry& change) = 0;
  virtual Result<std::vector<HistoryEntry>> History(const log::CredentialId& id) = 0;
  virtual Result<std::optional<log::CredentialId>> FindIdempotencyKey(std::string_view key) = 0;
  virtual Result<uint64_t> CredentialCount() = 0;
  // The credentials of an agency signed by `signer_key` that are not revoked (without their bytes), oldest
  // first; with include_unattributed also those issued before the registry recorded signers.
  virtual Result<std::vector<CredentialRecord>> LiveBySigner(std::string_view agency, ByteView signer_key,
                                                             bool include_unattributed) = 0;

  // Document signers (insert or replace by key id); an agency's rows oldest first.
  virtual Status PutSigner(const SignerRecord& signer) = 0;
  virtual Result<std::vector<SignerRecord>> Signers(std::string_view agency) = 0;

  // Staged records. InsertStaged: kState when the pickup id or idempotency key exists.
  virtual Status InsertStaged(const StagedRecord& record) = 0;
  virtual Result<std::optional<StagedRecord>> StagedById(const PickupId& id) = 0;
  virtual Result<std::vector<StagedRecord>> StagedByDocument(std::string_view document_number) = 0;
  virtual Result<std::optional<PickupId>> FindStagedIdempotencyKey(std::string_view key) = 0;
  // Closes a staged record (kState unless it is still staged).
  virtual Status CloseStaged(const PickupId& id, StagedState state, const std::optional<log::CredentialId>& credential,
                             int64_t time) = 0;

  // The log.
  virtual Result<uint64_t> LogSize() = 0;
  // Appends an encoded entry (and its Merkle nodes); returns its index.
  virtual Result<uint64_t> AppendLog(ByteView entry) = 0;
  // Entries [from, to).
  virtual Result<std::vector<Bytes>> LogEntries(uint64_t from, uint64_t to) = 0;
  // NodeSource: complete subtree hashes stored at append time.
  Result<log::Hash> Node(unsigned level, uint64_t index) const override = 0;

  // Signed checkpoints, by size.
  virtual Status PutCheckpoint(const StoredCheckpoint& checkpoint) = 0;
  virtual Result<std::optional<StoredCheckpoint>> LastCheckpoint() = 0;
  virtual Result<std::optional<StoredCheckpoint>> CheckpointAt(uint64_t size) = 0;

  // Small named values (e.g. the log size whose files were last written).
  virtual Status PutMeta(std::string_view key, int64_t value) = 0;
  virtual Result<std::optional<int64_t>> GetMeta(std::string_view key) = 0;

  // The full check of the file (storage::Database::CheckIntegrity).
  virtual Status CheckIntegrity() = 0;
};

// Opens (kCreateOrOpen when create, else kOpenExisting) and migrates the SQLCipher registry at `path`.
Result<std::unique_ptr<Registry>> OpenSqlcipherRegistry(const std::string& path, const SecureBuffer& key, bool create);

}  // namespace wathiq::issuer
