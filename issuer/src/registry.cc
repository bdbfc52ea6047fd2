// The SQLCipher registry: every SQL statement of the issuer lives in this file.
#include "wathiq/issuer/registry.h"

#include <algorithm>
#include <cstring>

#include "wathiq/storage/database.h"

namespace wathiq::issuer {

std::string_view CredentialStateName(CredentialState state) {
  switch (state) {
    case CredentialState::kValid: return "valid";
    case CredentialState::kSuspended: return "suspended";
    case CredentialState::kRevoked: return "revoked";
  }
  return "valid";
}

Result<CredentialState> ParseCredentialState(std::string_view name) {
  if (name == "valid") return CredentialState::kValid;
  if (name == "suspended") return CredentialState::kSuspended;
  if (name == "revoked") return CredentialState::kRevoked;
  return Fail(Errc::kMalformed, "unknown credential state in the registry");
}

std::string_view StagedStateName(StagedState state) {
  switch (state) {
    case StagedState::kStaged: return "staged";
    case StagedState::kIssued: return "issued";
    case StagedState::kCancelled: return "cancelled";
  }
  return "staged";
}

uint8_t StatusValue(CredentialState state) {
  switch (state) {
    case CredentialState::kValid: return 0;
    case CredentialState::kRevoked: return 1;
    case CredentialState::kSuspended: return 2;
  }
  return 0;
}

namespace {

using storage::Database;
using storage::Migration;
using storage::Statement;

const Migration kMigrations[] = {
    {1,
     "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
     "CREATE TABLE agencies(id TEXT PRIMARY KEY, document_signer_kid BLOB NOT NULL, status_signer_kid BLOB NOT "
     "NULL, doc_types TEXT NOT NULL, status_prefix TEXT NOT NULL, aggregation_uri TEXT NOT NULL);"
     "CREATE TABLE status_lists(id INTEGER PRIMARY KEY, agency TEXT NOT NULL REFERENCES agencies(id), number "
     "INTEGER NOT NULL, uri TEXT NOT NULL UNIQUE, size INTEGER NOT NULL CHECK (size >= 131072), used INTEGER NOT "
     "NULL DEFAULT 0 CHECK (used <= size), UNIQUE(agency, number));"
     "CREATE TABLE credentials(rowid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE CHECK (length(id) = 16), "
     "document_number TEXT NOT NULL, "
     "agency TEXT NOT NULL REFERENCES agencies(id), doc_type TEXT NOT NULL, holder_thumbprint BLOB NOT NULL, "
     "valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL, issued_at INTEGER NOT NULL, list_id INTEGER NOT "
     "NULL REFERENCES status_lists(id), idx INTEGER NOT NULL CHECK (idx >= 0), mso_digest BLOB NOT NULL, state "
     "TEXT NOT NULL CHECK (state IN ('valid','suspended','revoked')), claims TEXT NOT NULL, credential BLOB NOT "
     "NULL, idempotency_key TEXT UNIQUE, UNIQUE(list_id, idx));"
     "CREATE INDEX credentials_by_document ON credentials(document_number);"
     "CREATE TABLE credential_history(seq INTEGER PRIMARY KEY, credential_id BLOB NOT NULL REFERENCES "
     "credentials(id), time INTEGER NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, "
     "log_index INTEGER NOT NULL);"
     "CREATE INDEX history_by_credential ON credential_history(credential_id);"
     "CREATE TABLE log_entries(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);"
     "CREATE TABLE log_nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL CHECK (length(hash) "
     "= 32), PRIMARY KEY(level, idx)) WITHOUT ROWID;"
     "CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, signed_at "
     "INTEGER NOT NULL);"},
    // Which document signer signed each credential (NULL for rows of schema 1: the agency's first signer),
    // the agencies' further document signers, and records staged for pickup.
    {2,
     "ALTER TABLE credentials ADD COLUMN signer_key BLOB;"
     "CREATE INDEX credentials_by_signer ON credentials(agency, signer_key);"
     "CREATE TABLE signers(rowid INTEGER PRIMARY KEY, key_id BLOB NOT NULL UNIQUE CHECK (length(key_id) = 32), "
     "agency TEXT NOT NULL REFERENCES agencies(id), spec TEXT NOT NULL, cert BLOB NOT NULL, added_at INTEGER NOT "
     "NULL, retired_at INTEGER, retire_reason TEXT NOT NULL DEFAULT '');"
     "CREATE TABLE staged(rowid INTEGER PRIMARY KEY, pickup_id BLOB NOT NULL UNIQUE CHECK (length(pickup_id) = 16), "
     "agency TEXT NOT NULL REFERENCES agencies(id), doc_type TEXT NOT NULL, document_number TEXT NOT NULL, claims "
     "TEXT NOT NULL, valid_days INTEGER NOT NULL, only_profile TEXT NOT NULL, staged_at INTEGER NOT NULL, actor TEXT "
     "NOT NULL, state TEXT NOT NULL CHECK (state IN ('staged','issued','cancelled')), credential_id BLOB, closed_at "
     "INTEGER NOT NULL DEFAULT 0, idempotency_key TEXT UNIQUE);"
     "CREATE INDEX staged_by_document ON staged(document_number);"},
};

// Column lists as macros: SQL must be a literal (storage::Sql), so they are joined by the preprocessor.
// clang-format off
#define WQ_CREDENTIAL_COLUMNS                                                                                         \
  "SELECT c.id, c.document_number, c.agency, c.doc_type, c.holder_thumbprint, c.valid_from, c.valid_until, "        \
  "c.issued_at, c.list_id, l.uri, c.idx, c.mso_digest, c.state, c.claims, c.credential, "                            \
  "COALESCE(c.idempotency_key, ''), c.signer_key FROM credentials c JOIN status_lists l ON l.id = c.list_id "
#define WQ_STAGED_COLUMNS                                                                                             \
  "SELECT pickup_id, agency, doc_type, document_number, claims, valid_days, only_profile, staged_at, actor, state, " \
  "credential_id, closed_at, COALESCE(idempotency_key, '') FROM staged "
// clang-format on

std::string JoinTypes(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitTypes(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

Result<log::Hash> ToHash(const Bytes& b) {
  if (b.size() != 32) return Fail(Errc::kMalformed, "a stored hash is not 32 bytes");
  log::Hash h;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

Result<log::CredentialId> ToId(const Bytes& b) {
  if (b.size() != 16) return Fail(Errc::kMalformed, "a stored credential id is not 16 bytes");
  log::CredentialId id;
  std::copy(b.begin(), b.end(), id.begin());
  return id;
}

int64_t I64(uint64_t v) { return static_cast<int64_t>(v); }

class SqlcipherRegistry;

class SqlWork final : public Registry::Work {
 public:
  SqlWork(storage::Transaction t, bool* open) : txn_(std::move(t)), open_(open) {}
  ~SqlWork() override { *open_ = false; }
  Status Commit() override { return txn_.Commit(); }

 private:
  storage::Transaction txn_;
  bool* open_;
};

class SqlcipherRegistry final : public Registry {
 public:
  explicit SqlcipherRegistry(Database db) : db_(std::make_unique<Database>(std::move(db))) {}

  Result<std::unique_ptr<Work>> Begin() override {
    if (work_open_) return Fail(Errc::kState, "a unit of work is already open on the registry");
    WQ_ASSIGN(storage::Transaction t, db_->Begin());
    work_open_ = true;
    return std::unique_ptr<Work>(new SqlWork(std::move(t), &work_open_));
  }

  Status PutAgency(const AgencyRecord& a) override {
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT OR REPLACE INTO agencies(id, document_signer_kid, status_signer_kid, "
                                        "doc_types, status_prefix, aggregation_uri) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    WQ_TRY(s.BindText(1, a.id));
    WQ_TRY(s.BindBlob(2, a.document_signer_kid));
    WQ_TRY(s.BindBlob(3, a.status_signer_kid));
    WQ_TRY(s.BindText(4, JoinTypes(a.doc_types)));
    WQ_TRY(s.BindText(5, a.status_prefix));
    WQ_TRY(s.BindText(6, a.aggregation_uri));
    return s.Run();
  }

  Result<std::vector<AgencyRecord>> Agencies() override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT id, document_signer_kid, status_signer_kid, doc_types, status_prefix, "
                                        "aggregation_uri FROM agencies ORDER BY id"));
    std::vector<AgencyRecord> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      AgencyRecord a;
      WQ_ASSIGN(a.id, s.ColumnText(0));
      WQ_ASSIGN(a.document_signer_kid, s.ColumnBlob(1));
      WQ_ASSIGN(a.status_signer_kid, s.ColumnBlob(2));
      WQ_ASSIGN(std::string types, s.ColumnText(3));
      a.doc_types = SplitTypes(types);
      WQ_ASSIGN(a.status_prefix, s.ColumnText(4));
      WQ_ASSIGN(a.aggregation_uri, s.ColumnText(5));
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<std::vector<StatusListRecord>> Lists(std::string_view agency) override {
    std::vector<StatusListRecord> out;
    auto read = [&](Statement& s) -> Status {
      while (true) {
        WQ_ASSIGN(bool row, s.Step());
        if (!row) break;
        StatusListRecord l;
        WQ_ASSIGN(l.id, s.ColumnInt64(0));
        WQ_ASSIGN(l.agency, s.ColumnText(1));
        WQ_ASSIGN(l.number, s.ColumnInt64(2));
        WQ_ASSIGN(l.uri, s.ColumnText(3));
        WQ_ASSIGN(int64_t size, s.ColumnInt64(4));
        WQ_ASSIGN(int64_t used, s.ColumnInt64(5));
        l.size = static_cast<uint64_t>(size);
        l.used = static_cast<uint64_t>(used);
        out.push_back(std::move(l));
      }
      return Ok();
    };
    if (agency.empty()) {
      WQ_ASSIGN(Statement s, db_->Prepare("SELECT id, agency, number, uri, size, used FROM status_lists ORDER BY id"));
      WQ_TRY(read(s));
    } else {
      WQ_ASSIGN(Statement s, db_->Prepare("SELECT id, agency, number, uri, size, used FROM status_lists WHERE agency "
                                          "= ?1 ORDER BY id"));
      WQ_TRY(s.BindText(1, agency));
      WQ_TRY(read(s));
    }
    return out;
  }

  Result<StatusListRecord> OpenList(const StatusListRecord& l) override {
    if (l.size < kMinStatusListSize) return Fail(Errc::kInvalidArgument, "a status list holds at least 131072 entries");
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT INTO status_lists(agency, number, uri, size, used) VALUES (?1, ?2, ?3, "
                                        "?4, 0)"));
    WQ_TRY(s.BindText(1, l.agency));
    WQ_TRY(s.BindInt64(2, l.number));
    WQ_TRY(s.BindText(3, l.uri));
    WQ_TRY(s.BindInt64(4, I64(l.size)));
    auto run = s.Run();
    if (!run) return Wrap("status list " + l.uri + " already exists or cannot be stored", run.error());
    StatusListRecord out = l;
    out.id = db_->LastInsertRowId();
    out.used = 0;
    return out;
  }

  Result<bool> SlotTaken(int64_t list_id, uint64_t idx) override {
    if (!slot_taken_) {
      WQ_ASSIGN(Statement s, db_->Prepare("SELECT 1 FROM credentials WHERE list_id = ?1 AND idx = ?2"));
      slot_taken_ = std::make_unique<Statement>(std::move(s));
    }
    Statement& s = *slot_taken_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.BindInt64(1, list_id));
    WQ_TRY(s.BindInt64(2, I64(idx)));
    WQ_ASSIGN(bool row, s.Step());
    WQ_TRY(s.Reset());
    return row;
  }

  Result<std::vector<std::pair<uint64_t, CredentialState>>> Slots(int64_t list_id) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT idx, state FROM credentials WHERE list_id = ?1"));
    WQ_TRY(s.BindInt64(1, list_id));
    std::vector<std::pair<uint64_t, CredentialState>> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      WQ_ASSIGN(int64_t idx, s.ColumnInt64(0));
      WQ_ASSIGN(std::string state, s.ColumnText(1));
      WQ_ASSIGN(CredentialState st, ParseCredentialState(state));
      out.emplace_back(static_cast<uint64_t>(idx), st);
    }
    return out;
  }

  Status InsertCredential(const CredentialRecord& r, const HistoryEntry& first) override {
    if (!insert_credential_) {
      WQ_ASSIGN(
          Statement s,
          db_->Prepare("INSERT INTO credentials(id, document_number, agency, doc_type, holder_thumbprint, "
                       "valid_from, valid_until, issued_at, list_id, idx, mso_digest, state, claims, credential, "
                       "idempotency_key, signer_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                       "?14, ?15, ?16)"));
      insert_credential_ = std::make_unique<Statement>(std::move(s));
      WQ_ASSIGN(Statement u, db_->Prepare("UPDATE status_lists SET used = used + 1 WHERE id = ?1"));
      bump_list_ = std::make_unique<Statement>(std::move(u));
    }
    Statement& s = *insert_credential_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.ClearBindings());
    WQ_TRY(s.BindBlob(1, r.id));
    WQ_TRY(s.BindText(2, r.document_number));
    WQ_TRY(s.BindText(3, r.agency));
    WQ_TRY(s.BindText(4, r.doc_type));
    WQ_TRY(s.BindBlob(5, r.holder_thumbprint));
    WQ_TRY(s.BindInt64(6, r.valid_from));
    WQ_TRY(s.BindInt64(7, r.valid_until));
    WQ_TRY(s.BindInt64(8, r.issued_at));
    WQ_TRY(s.BindInt64(9, r.list_id));
    WQ_TRY(s.BindInt64(10, I64(r.status_idx)));
    WQ_TRY(s.BindBlob(11, r.mso_digest));
    WQ_TRY(s.BindText(12, CredentialStateName(r.state)));
    WQ_TRY(s.BindText(13, r.claims_json));
    WQ_TRY(s.BindBlob(14, r.credential));
    if (r.idempotency_key.empty()) {
      WQ_TRY(s.BindNull(15));
    } else {
      WQ_TRY(s.BindText(15, r.idempotency_key));
    }
    if (r.signer_key.empty()) {
      WQ_TRY(s.BindNull(16));
    } else {
      WQ_TRY(s.BindBlob(16, r.signer_key));
    }
    auto run = s.Run();
    WQ_TRY(s.Reset());
    if (!run) {
      return Fail(Errc::kState,
                  "the credential cannot be stored (slot, id or idempotency key taken): " + run.error().message);
    }
    Statement& u = *bump_list_;
    WQ_TRY(u.Reset());
    WQ_TRY(u.BindInt64(1, r.list_id));
    WQ_TRY(u.Run());
    WQ_TRY(u.Reset());
    if (db_->Changes() != 1) return Fail(Errc::kState, "the credential's status list does not exist or is full");
    return AddHistory(r.id, first);
  }

  Result<std::vector<CredentialRecord>> ByDocument(std::string_view document_number, bool with_bytes) override {
    if (!by_document_) {
      WQ_ASSIGN(Statement st, db_->Prepare(WQ_CREDENTIAL_COLUMNS "WHERE c.document_number = ?1 ORDER BY c.rowid"));
      by_document_ = std::make_unique<Statement>(std::move(st));
    }
    Statement& s = *by_document_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.BindText(1, document_number));
    std::vector<CredentialRecord> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      WQ_ASSIGN(CredentialRecord r, ReadCredential(s, with_bytes));
      out.push_back(std::move(r));
    }
    WQ_TRY(s.Reset());
    return out;
  }

  Result<std::optional<CredentialRecord>> ById(const log::CredentialId& id) override {
    WQ_ASSIGN(Statement s, db_->Prepare(WQ_CREDENTIAL_COLUMNS "WHERE c.id = ?1"));
    WQ_TRY(s.BindBlob(1, id));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<CredentialRecord>();
    WQ_ASSIGN(CredentialRecord r, ReadCredential(s, true));
    return std::optional<CredentialRecord>(std::move(r));
  }

  Status SetState(const log::CredentialId& id, CredentialState state, const HistoryEntry& change) override {
    WQ_ASSIGN(Statement s, db_->Prepare("UPDATE credentials SET state = ?2 WHERE id = ?1"));
    WQ_TRY(s.BindBlob(1, id));
    WQ_TRY(s.BindText(2, CredentialStateName(state)));
    WQ_TRY(s.Run());
    if (db_->Changes() != 1) return Fail(Errc::kNotFound, "no such credential");
    return AddHistory(id, change);
  }

  Result<std::vector<CredentialRecord>> LiveBySigner(std::string_view agency, ByteView signer_key,
                                                     bool include_unattributed) override {
    WQ_ASSIGN(Statement s, db_->Prepare(WQ_CREDENTIAL_COLUMNS
                                        "WHERE c.agency = ?1 AND c.state != 'revoked' AND (c.signer_key = ?2 OR (?3 "
                                        "AND c.signer_key IS NULL)) ORDER BY c.rowid"));
    WQ_TRY(s.BindText(1, agency));
    WQ_TRY(s.BindBlob(2, signer_key));
    WQ_TRY(s.BindInt64(3, include_unattributed ? 1 : 0));
    std::vector<CredentialRecord> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      WQ_ASSIGN(CredentialRecord r, ReadCredential(s, false));
      out.push_back(std::move(r));
    }
    return out;
  }

  Status PutSigner(const SignerRecord& r) override {
    if (r.key_id.size() != 32) return Fail(Errc::kInvalidArgument, "a signer's key id is a SHA-256");
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT INTO signers(key_id, agency, spec, cert, added_at, retired_at, "
                                        "retire_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key_id) DO "
                                        "UPDATE SET retired_at = excluded.retired_at, retire_reason = "
                                        "excluded.retire_reason WHERE agency = excluded.agency"));
    WQ_TRY(s.BindBlob(1, r.key_id));
    WQ_TRY(s.BindText(2, r.agency));
    WQ_TRY(s.BindText(3, r.spec_json));
    WQ_TRY(s.BindBlob(4, r.cert_der));
    WQ_TRY(s.BindInt64(5, r.added_at));
    if (r.retired_at) {
      WQ_TRY(s.BindInt64(6, *r.retired_at));
    } else {
      WQ_TRY(s.BindNull(6));
    }
    WQ_TRY(s.BindText(7, r.retire_reason));
    WQ_TRY(s.Run());
    if (db_->Changes() != 1) return Fail(Errc::kState, "the signer belongs to another agency");
    return Ok();
  }

  Result<std::vector<SignerRecord>> Signers(std::string_view agency) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT key_id, agency, spec, cert, added_at, retired_at, retire_reason FROM "
                                        "signers WHERE ?1 = '' OR agency = ?1 ORDER BY rowid"));
    WQ_TRY(s.BindText(1, agency));
    std::vector<SignerRecord> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      SignerRecord r;
      WQ_ASSIGN(r.key_id, s.ColumnBlob(0));
      WQ_ASSIGN(r.agency, s.ColumnText(1));
      WQ_ASSIGN(r.spec_json, s.ColumnText(2));
      WQ_ASSIGN(r.cert_der, s.ColumnBlob(3));
      WQ_ASSIGN(r.added_at, s.ColumnInt64(4));
      if (!s.ColumnIsNull(5)) {
        WQ_ASSIGN(int64_t at, s.ColumnInt64(5));
        r.retired_at = at;
      }
      WQ_ASSIGN(r.retire_reason, s.ColumnText(6));
      out.push_back(std::move(r));
    }
    return out;
  }

  Status InsertStaged(const StagedRecord& r) override {
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT INTO staged(pickup_id, agency, doc_type, document_number, claims, "
                                        "valid_days, only_profile, staged_at, actor, state, idempotency_key) VALUES "
                                        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'staged', ?10)"));
    WQ_TRY(s.BindBlob(1, r.pickup_id));
    WQ_TRY(s.BindText(2, r.agency));
    WQ_TRY(s.BindText(3, r.doc_type));
    WQ_TRY(s.BindText(4, r.document_number));
    WQ_TRY(s.BindText(5, r.claims_json));
    WQ_TRY(s.BindInt64(6, r.valid_days));
    WQ_TRY(s.BindText(7, r.only_profile));
    WQ_TRY(s.BindInt64(8, r.staged_at));
    WQ_TRY(s.BindText(9, r.actor));
    if (r.idempotency_key.empty()) {
      WQ_TRY(s.BindNull(10));
    } else {
      WQ_TRY(s.BindText(10, r.idempotency_key));
    }
    auto run = s.Run();
    if (!run) return Fail(Errc::kState, "the staged record cannot be stored: " + run.error().message);
    return Ok();
  }

  Result<std::optional<StagedRecord>> StagedById(const PickupId& id) override {
    WQ_ASSIGN(Statement s, db_->Prepare(WQ_STAGED_COLUMNS "WHERE pickup_id = ?1"));
    WQ_TRY(s.BindBlob(1, id));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<StagedRecord>();
    WQ_ASSIGN(StagedRecord r, ReadStaged(s));
    return std::optional<StagedRecord>(std::move(r));
  }

  Result<std::vector<StagedRecord>> StagedByDocument(std::string_view number) override {
    WQ_ASSIGN(Statement s, db_->Prepare(WQ_STAGED_COLUMNS "WHERE document_number = ?1 ORDER BY rowid"));
    WQ_TRY(s.BindText(1, number));
    std::vector<StagedRecord> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      WQ_ASSIGN(StagedRecord r, ReadStaged(s));
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<std::optional<PickupId>> FindStagedIdempotencyKey(std::string_view key) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT pickup_id FROM staged WHERE idempotency_key = ?1"));
    WQ_TRY(s.BindText(1, key));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<PickupId>();
    WQ_ASSIGN(Bytes b, s.ColumnBlob(0));
    PickupId id{};
    if (b.size() != id.size()) return Fail(Errc::kMalformed, "a stored pickup id is not 16 bytes");
    std::copy(b.begin(), b.end(), id.begin());
    return std::optional<PickupId>(id);
  }

  Status CloseStaged(const PickupId& id, StagedState state, const std::optional<log::CredentialId>& credential,
                     int64_t time) override {
    if (state == StagedState::kStaged)
      return Fail(Errc::kInvalidArgument, "a staged record closes as issued or cancelled");
    WQ_ASSIGN(Statement s, db_->Prepare("UPDATE staged SET state = ?2, credential_id = ?3, closed_at = ?4 WHERE "
                                        "pickup_id = ?1 AND state = 'staged'"));
    WQ_TRY(s.BindBlob(1, id));
    WQ_TRY(s.BindText(2, StagedStateName(state)));
    if (credential) {
      WQ_TRY(s.BindBlob(3, *credential));
    } else {
      WQ_TRY(s.BindNull(3));
    }
    WQ_TRY(s.BindInt64(4, time));
    WQ_TRY(s.Run());
    if (db_->Changes() != 1) return Fail(Errc::kState, "the record is not staged (issued or cancelled already)");
    return Ok();
  }

  Result<std::vector<HistoryEntry>> History(const log::CredentialId& id) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT time, event, reason, actor, log_index FROM credential_history WHERE "
                                        "credential_id = ?1 ORDER BY seq"));
    WQ_TRY(s.BindBlob(1, id));
    std::vector<HistoryEntry> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      HistoryEntry h;
      WQ_ASSIGN(h.time, s.ColumnInt64(0));
      WQ_ASSIGN(h.event, s.ColumnText(1));
      WQ_ASSIGN(h.reason, s.ColumnText(2));
      WQ_ASSIGN(h.actor, s.ColumnText(3));
      WQ_ASSIGN(int64_t li, s.ColumnInt64(4));
      h.log_index = static_cast<uint64_t>(li);
      out.push_back(std::move(h));
    }
    return out;
  }

  Result<std::optional<log::CredentialId>> FindIdempotencyKey(std::string_view key) override {
    if (!find_idem_) {
      WQ_ASSIGN(Statement s, db_->Prepare("SELECT id FROM credentials WHERE idempotency_key = ?1"));
      find_idem_ = std::make_unique<Statement>(std::move(s));
    }
    Statement& s = *find_idem_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.BindText(1, key));
    WQ_ASSIGN(bool row, s.Step());
    std::optional<log::CredentialId> out;
    if (row) {
      WQ_ASSIGN(Bytes b, s.ColumnBlob(0));
      WQ_ASSIGN(out, ToId(b));
    }
    WQ_TRY(s.Reset());
    return out;
  }

  Result<uint64_t> CredentialCount() override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT count(*) FROM credentials"));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return uint64_t{0};
    WQ_ASSIGN(int64_t n, s.ColumnInt64(0));
    return static_cast<uint64_t>(n);
  }

  Result<uint64_t> LogSize() override {
    if (!log_size_) {
      WQ_ASSIGN(Statement st, db_->Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries"));
      log_size_ = std::make_unique<Statement>(std::move(st));
    }
    Statement& s = *log_size_;
    WQ_TRY(s.Reset());
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return Fail(Errc::kInternal, "the log size query returned no row");
    WQ_ASSIGN(int64_t n, s.ColumnInt64(0));
    WQ_TRY(s.Reset());
    return static_cast<uint64_t>(n);
  }

  Result<uint64_t> AppendLog(ByteView entry) override {
    if (!append_entry_) {
      WQ_ASSIGN(Statement a, db_->Prepare("INSERT INTO log_entries(idx, entry) VALUES (?1, ?2)"));
      append_entry_ = std::make_unique<Statement>(std::move(a));
      WQ_ASSIGN(Statement n, db_->Prepare("INSERT INTO log_nodes(level, idx, hash) VALUES (?1, ?2, ?3)"));
      insert_node_ = std::make_unique<Statement>(std::move(n));
    }
    WQ_ASSIGN(uint64_t index, LogSize());
    Statement& a = *append_entry_;
    WQ_TRY(a.Reset());
    WQ_TRY(a.BindInt64(1, I64(index)));
    WQ_TRY(a.BindBlob(2, entry));
    WQ_TRY(a.Run());
    WQ_TRY(a.Reset());
    log::Hash node = log::LeafHash(entry);
    WQ_TRY(InsertNode(0, index, node));
    unsigned level = 0;
    uint64_t i = index;
    while (i & 1) {
      WQ_ASSIGN(log::Hash left, Node(level, i - 1));
      node = log::NodeHash(left, node);
      ++level;
      i >>= 1;
      WQ_TRY(InsertNode(level, i, node));
    }
    return index;
  }

  Result<std::vector<Bytes>> LogEntries(uint64_t from, uint64_t to) override {
    WQ_ASSIGN(Statement s,
              db_->Prepare("SELECT idx, entry FROM log_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"));
    WQ_TRY(s.BindInt64(1, I64(from)));
    WQ_TRY(s.BindInt64(2, I64(to)));
    std::vector<Bytes> out;
    while (true) {
      WQ_ASSIGN(bool row, s.Step());
      if (!row) break;
      WQ_ASSIGN(int64_t idx, s.ColumnInt64(0));
      if (static_cast<uint64_t>(idx) != from + out.size()) return Fail(Errc::kMalformed, "the log has a gap");
      WQ_ASSIGN(Bytes e, s.ColumnBlob(1));
      out.push_back(std::move(e));
    }
    if (out.size() != to - from) return Fail(Errc::kNotFound, "the log does not hold the entries asked for");
    return out;
  }

  Result<log::Hash> Node(unsigned level, uint64_t index) const override {
    if (!get_node_) {
      WQ_ASSIGN(Statement s, db_->Prepare("SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2"));
      get_node_ = std::make_unique<Statement>(std::move(s));
    }
    Statement& s = *get_node_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.BindInt64(1, level));
    WQ_TRY(s.BindInt64(2, I64(index)));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) {
      WQ_TRY(s.Reset());
      return Fail(Errc::kNotFound,
                  "the log has no node at level " + std::to_string(level) + " index " + std::to_string(index));
    }
    WQ_ASSIGN(Bytes b, s.ColumnBlob(0));
    WQ_TRY(s.Reset());
    return ToHash(b);
  }

  Status PutCheckpoint(const StoredCheckpoint& c) override {
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT INTO checkpoints(size, root, note, signed_at) VALUES (?1, ?2, ?3, ?4) "
                                        "ON CONFLICT(size) DO UPDATE SET note = excluded.note, signed_at = "
                                        "excluded.signed_at WHERE root = excluded.root"));
    WQ_TRY(s.BindInt64(1, I64(c.size)));
    WQ_TRY(s.BindBlob(2, c.root));
    WQ_TRY(s.BindText(3, c.note));
    WQ_TRY(s.BindInt64(4, c.signed_at));
    WQ_TRY(s.Run());
    if (db_->Changes() != 1) {
      return Fail(Errc::kState,
                  "a checkpoint of size " + std::to_string(c.size) + " with another root was signed before");
    }
    return Ok();
  }

  Result<std::optional<StoredCheckpoint>> LastCheckpoint() override {
    WQ_ASSIGN(Statement s,
              db_->Prepare("SELECT size, root, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1"));
    return ReadCheckpoint(s);
  }

  Result<std::optional<StoredCheckpoint>> CheckpointAt(uint64_t size) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT size, root, note, signed_at FROM checkpoints WHERE size = ?1"));
    WQ_TRY(s.BindInt64(1, I64(size)));
    return ReadCheckpoint(s);
  }

  Status PutMeta(std::string_view key, int64_t value) override {
    WQ_ASSIGN(Statement s, db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)"));
    WQ_TRY(s.BindText(1, key));
    WQ_TRY(s.BindInt64(2, value));
    return s.Run();
  }

  Result<std::optional<int64_t>> GetMeta(std::string_view key) override {
    WQ_ASSIGN(Statement s, db_->Prepare("SELECT value FROM meta WHERE key = ?1"));
    WQ_TRY(s.BindText(1, key));
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<int64_t>();
    WQ_ASSIGN(int64_t v, s.ColumnInt64(0));
    return std::optional<int64_t>(v);
  }

  Status CheckIntegrity() override { return db_->CheckIntegrity(); }

 private:
  Status InsertNode(unsigned level, uint64_t index, const log::Hash& h) {
    Statement& n = *insert_node_;
    WQ_TRY(n.Reset());
    WQ_TRY(n.BindInt64(1, level));
    WQ_TRY(n.BindInt64(2, I64(index)));
    WQ_TRY(n.BindBlob(3, h));
    WQ_TRY(n.Run());
    return n.Reset();
  }

  Status AddHistory(const log::CredentialId& id, const HistoryEntry& h) {
    if (!add_history_) {
      WQ_ASSIGN(Statement s, db_->Prepare("INSERT INTO credential_history(credential_id, time, event, reason, actor, "
                                          "log_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      add_history_ = std::make_unique<Statement>(std::move(s));
    }
    Statement& s = *add_history_;
    WQ_TRY(s.Reset());
    WQ_TRY(s.BindBlob(1, id));
    WQ_TRY(s.BindInt64(2, h.time));
    WQ_TRY(s.BindText(3, h.event));
    WQ_TRY(s.BindText(4, h.reason));
    WQ_TRY(s.BindText(5, h.actor));
    WQ_TRY(s.BindInt64(6, I64(h.log_index)));
    WQ_TRY(s.Run());
    return s.Reset();
  }

  static Result<CredentialRecord> ReadCredential(Statement& s, bool with_bytes) {
    CredentialRecord r;
    WQ_ASSIGN(Bytes id, s.ColumnBlob(0));
    WQ_ASSIGN(r.id, ToId(id));
    WQ_ASSIGN(r.document_number, s.ColumnText(1));
    WQ_ASSIGN(r.agency, s.ColumnText(2));
    WQ_ASSIGN(r.doc_type, s.ColumnText(3));
    WQ_ASSIGN(r.holder_thumbprint, s.ColumnBlob(4));
    WQ_ASSIGN(r.valid_from, s.ColumnInt64(5));
    WQ_ASSIGN(r.valid_until, s.ColumnInt64(6));
    WQ_ASSIGN(r.issued_at, s.ColumnInt64(7));
    WQ_ASSIGN(r.list_id, s.ColumnInt64(8));
    WQ_ASSIGN(r.status_uri, s.ColumnText(9));
    WQ_ASSIGN(int64_t idx, s.ColumnInt64(10));
    r.status_idx = static_cast<uint64_t>(idx);
    WQ_ASSIGN(r.mso_digest, s.ColumnBlob(11));
    WQ_ASSIGN(std::string state, s.ColumnText(12));
    WQ_ASSIGN(r.state, ParseCredentialState(state));
    if (with_bytes) {
      WQ_ASSIGN(r.claims_json, s.ColumnText(13));
      WQ_ASSIGN(r.credential, s.ColumnBlob(14));
    }
    WQ_ASSIGN(r.idempotency_key, s.ColumnText(15));
    if (!s.ColumnIsNull(16)) {
      WQ_ASSIGN(r.signer_key, s.ColumnBlob(16));
    }
    return r;
  }

  static Result<StagedRecord> ReadStaged(Statement& s) {
    StagedRecord r;
    WQ_ASSIGN(Bytes id, s.ColumnBlob(0));
    if (id.size() != r.pickup_id.size()) return Fail(Errc::kMalformed, "a stored pickup id is not 16 bytes");
    std::copy(id.begin(), id.end(), r.pickup_id.begin());
    WQ_ASSIGN(r.agency, s.ColumnText(1));
    WQ_ASSIGN(r.doc_type, s.ColumnText(2));
    WQ_ASSIGN(r.document_number, s.ColumnText(3));
    WQ_ASSIGN(r.claims_json, s.ColumnText(4));
    WQ_ASSIGN(r.valid_days, s.ColumnInt64(5));
    WQ_ASSIGN(r.only_profile, s.ColumnText(6));
    WQ_ASSIGN(r.staged_at, s.ColumnInt64(7));
    WQ_ASSIGN(r.actor, s.ColumnText(8));
    WQ_ASSIGN(std::string state, s.ColumnText(9));
    if (state == "staged") {
      r.state = StagedState::kStaged;
    } else if (state == "issued") {
      r.state = StagedState::kIssued;
    } else if (state == "cancelled") {
      r.state = StagedState::kCancelled;
    } else {
      return Fail(Errc::kMalformed, "unknown staged state in the registry");
    }
    if (!s.ColumnIsNull(10)) {
      WQ_ASSIGN(Bytes cred, s.ColumnBlob(10));
      WQ_ASSIGN(log::CredentialId cid, ToId(cred));
      r.credential_id = cid;
    }
    WQ_ASSIGN(r.closed_at, s.ColumnInt64(11));
    WQ_ASSIGN(r.idempotency_key, s.ColumnText(12));
    return r;
  }

  static Result<std::optional<StoredCheckpoint>> ReadCheckpoint(Statement& s) {
    WQ_ASSIGN(bool row, s.Step());
    if (!row) return std::optional<StoredCheckpoint>();
    StoredCheckpoint c;
    WQ_ASSIGN(int64_t size, s.ColumnInt64(0));
    c.size = static_cast<uint64_t>(size);
    WQ_ASSIGN(Bytes root, s.ColumnBlob(1));
    WQ_ASSIGN(c.root, ToHash(root));
    WQ_ASSIGN(c.note, s.ColumnText(2));
    WQ_ASSIGN(c.signed_at, s.ColumnInt64(3));
    return std::optional<StoredCheckpoint>(std::move(c));
  }

  std::unique_ptr<Database> db_;
  bool work_open_ = false;
  std::unique_ptr<Statement> slot_taken_, insert_credential_, bump_list_, find_idem_, append_entry_, insert_node_,
      add_history_, by_document_, log_size_;
  mutable std::unique_ptr<Statement> get_node_;
};

}  // namespace

Result<std::unique_ptr<Registry>> OpenSqlcipherRegistry(const std::string& path, const SecureBuffer& key, bool create) {
  storage::OpenOptions o;
  o.mode = create ? storage::OpenMode::kCreateOrOpen : storage::OpenMode::kOpenExisting;
  WQ_ASSIGN(Database db, Database::Open(path, key, o));
  WQ_TRY(db.Migrate(kMigrations));
  // A batch chunk's pages stay in memory until its commit (encrypting and writing a spilled page costs more
  // than the signature): up to 64 MiB of cache.
  WQ_TRY(db.Execute("PRAGMA cache_size = -65536"));
  return std::unique_ptr<Registry>(new SqlcipherRegistry(std::move(db)));
}

}  // namespace wathiq::issuer
