#include "wathiq/wallet/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <map>

#include "wathiq/core/file.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/status/accept.h"
#include "wathiq/storage/database.h"

namespace wathiq::wallet {
namespace {

using storage::Migration;

// Schema. Claim values live only inside issuer_signed (the credential as issued, verified at import); the
// columns beside it are what List needs without parsing. The digest makes a second import of the same bytes
// a refusal, not a copy.
const std::array<Migration, 3> kMigrations = {
    Migration{1,
              "CREATE TABLE credentials ("
              "  id INTEGER PRIMARY KEY,"
              "  doc_type TEXT NOT NULL,"
              "  agency_id TEXT NOT NULL,"
              "  device_key_id TEXT NOT NULL,"
              "  signed_at INTEGER NOT NULL,"
              "  valid_from INTEGER NOT NULL,"
              "  valid_until INTEGER NOT NULL,"
              "  status_uri TEXT,"
              "  status_idx INTEGER,"
              "  imported_at INTEGER NOT NULL,"
              "  digest BLOB NOT NULL UNIQUE,"
              "  issuer_signed BLOB NOT NULL"
              ");"
              "CREATE INDEX credentials_device_key ON credentials(device_key_id);"},
    // Single-use batches: the batch a credential belongs to, and when it was presented.
    Migration{2,
              "ALTER TABLE credentials ADD COLUMN batch TEXT;"
              "ALTER TABLE credentials ADD COLUMN used_at INTEGER;"
              "CREATE INDEX credentials_batch ON credentials(batch, used_at);"},
    // The last known status from the credential's status list (HeldStatus as 0..3), the iat of the token
    // it came from and when that token was read.
    Migration{3,
              "ALTER TABLE credentials ADD COLUMN status_state INTEGER NOT NULL DEFAULT 0;"
              "ALTER TABLE credentials ADD COLUMN status_iat INTEGER NOT NULL DEFAULT 0;"
              "ALTER TABLE credentials ADD COLUMN status_checked_at INTEGER NOT NULL DEFAULT 0;"},
};

// The summary's columns, in ReadSummary's order (a macro: SQL text must stay a literal, storage::Sql).
#define WQ_WALLET_SUMMARY_COLUMNS                                                                        \
  "id, doc_type, agency_id, device_key_id, signed_at, valid_from, valid_until, status_uri, status_idx, " \
  "imported_at, batch, used_at, status_state, status_iat, status_checked_at"
constexpr int kSummaryColumnCount = 15;

Error Refused(std::string reason, std::string message) {
  return Error(Errc::kInvalidArgument, "import refused: " + message, std::move(reason));
}

Errc CodeForReason(mdoc::Reason r) {
  switch (r) {
    case mdoc::Reason::kMalformed: return Errc::kMalformed;
    case mdoc::Reason::kUnsupported: return Errc::kUnsupported;
    case mdoc::Reason::kBadIssuerSignature:
    case mdoc::Reason::kBadDigest: return Errc::kBadSignature;
    default: return Errc::kPermission;
  }
}

std::string DbPath(const std::string& dir) { return dir + "/" + std::string(kWalletDbName); }

Result<CredentialSummary> ReadSummary(storage::Statement& st, const mdoc::Catalogue& catalogue) {
  CredentialSummary s;
  WQ_ASSIGN(s.id, st.ColumnInt64(0));
  WQ_ASSIGN(s.doc_type, st.ColumnText(1));
  WQ_ASSIGN(s.agency_id, st.ColumnText(2));
  WQ_ASSIGN(s.device_key_id, st.ColumnText(3));
  WQ_ASSIGN(s.validity.signed_at, st.ColumnInt64(4));
  WQ_ASSIGN(s.validity.valid_from, st.ColumnInt64(5));
  WQ_ASSIGN(s.validity.valid_until, st.ColumnInt64(6));
  if (!st.ColumnIsNull(7)) {
    mdoc::StatusRef ref;
    WQ_ASSIGN(ref.uri, st.ColumnText(7));
    WQ_ASSIGN(int64_t idx, st.ColumnInt64(8));
    ref.idx = static_cast<uint64_t>(idx);
    s.status = std::move(ref);
  }
  WQ_ASSIGN(s.imported_at, st.ColumnInt64(9));
  if (!st.ColumnIsNull(10)) {
    WQ_ASSIGN(s.batch, st.ColumnText(10));
  }
  if (!st.ColumnIsNull(11)) {
    WQ_ASSIGN(s.used_at, st.ColumnInt64(11));
  }
  WQ_ASSIGN(int64_t held, st.ColumnInt64(12));
  if (held < 0 || held > 3) return Fail(Error(Errc::kMalformed, "wallet database: bad status state", "wallet_damaged"));
  s.held_status = static_cast<HeldStatus>(held);
  WQ_ASSIGN(int64_t iat, st.ColumnInt64(13));
  s.status_iat = static_cast<uint64_t>(std::max<int64_t>(iat, 0));
  WQ_ASSIGN(s.status_checked_at, st.ColumnInt64(14));
  if (const mdoc::DocTypeSpec* spec = catalogue.Find(s.doc_type)) {
    s.doc_name_ar = spec->name_ar;
    s.doc_name_en = spec->name_en;
  }
  return s;
}

// The label of a coded value: text as is, unsigned integers in decimal (catalogue.h).
std::optional<mdoc::ValueLabel> ValueLabelOf(const mdoc::ElementSpec& spec, const cbor::Value& v) {
  if (spec.value_labels.empty()) return std::nullopt;
  std::string key;
  if (v.is_text()) {
    key = v.text();
  } else if (v.is_uint()) {
    key = std::to_string(v.uint());
  } else {
    return std::nullopt;
  }
  auto it = spec.value_labels.find(key);
  if (it == spec.value_labels.end()) return std::nullopt;
  return it->second;
}

}  // namespace

struct Wallet::Impl {
  std::string dir;
  DeviceKeystore* keystore = nullptr;
  const mdoc::Catalogue* catalogue = nullptr;
  int64_t refill_below = 3;
  storage::Database db;
  explicit Impl(storage::Database d) : db(std::move(d)) {}
};

Wallet::Wallet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Wallet::Wallet(Wallet&&) noexcept = default;
Wallet& Wallet::operator=(Wallet&&) noexcept = default;
Wallet::~Wallet() = default;

const std::string& Wallet::db_path() const { return impl_->db.path(); }

Result<Wallet> Wallet::Create(const std::string& app_dir, DeviceKeystore& keystore, const keys::SecretText& pin,
                              const WalletOptions& options) {
  WQ_TRY(CheckPinShape(pin));
  if (app_dir.empty()) return Fail(Errc::kInvalidArgument, "the app-data folder is empty");
  std::error_code ec;
  std::filesystem::create_directories(app_dir, ec);
  if (ec) return Fail(Errc::kIo, "app-data folder: " + ec.message());
  if (::chmod(app_dir.c_str(), 0700) != 0)
    return Fail(Errc::kIo, "app-data folder: " + std::string(std::strerror(errno)));
  std::string path = DbPath(app_dir);
  if (std::filesystem::exists(path, ec) || std::filesystem::exists(path + "-wal", ec)) {
    return Fail(Error(Errc::kState, "a wallet already exists in this folder", "wallet_exists"));
  }
  SecureBuffer key = storage::GenerateDatabaseKey();
  auto cleanup = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
  };
  auto db = storage::Database::Open(path, key, {storage::OpenMode::kCreateOrOpen});
  if (!db) {
    cleanup();
    return Fail(db.error());
  }
  if (auto m = db->Migrate(kMigrations); !m) {
    (void)db->Close();
    cleanup();
    return Fail(m.error());
  }
  if (auto p = keystore.Provision(key, pin); !p) {
    (void)db->Close();
    cleanup();
    return Fail(p.error());
  }
  auto impl = std::make_unique<Impl>(std::move(*db));
  impl->dir = app_dir;
  impl->keystore = &keystore;
  impl->catalogue = options.catalogue ? options.catalogue : &mdoc::Catalogue::Default();
  impl->refill_below = options.refill_below;
  return Wallet(std::move(impl));
}

Result<Wallet> Wallet::Open(const std::string& app_dir, DeviceKeystore& keystore, const keys::SecretText& pin,
                            int64_t now, const WalletOptions& options) {
  std::string path = DbPath(app_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Fail(Error(Errc::kNotFound, "no wallet in this folder (run init first)", "no_wallet"));
  }
  WQ_ASSIGN(SecureBuffer key, keystore.Unlock(pin, now));
  auto db = storage::Database::Open(path, key, {storage::OpenMode::kOpenExisting});
  if (!db) {
    Error e = db.error();
    if (e.code == Errc::kPermission) {
      // The keystore released a key that does not open this file: another wallet's keystore, or a database
      // replaced from elsewhere.
      return Fail(
          Error(Errc::kPermission, "the wallet database does not belong to this keystore", "wallet_key_mismatch"));
    }
    return Fail(
        Error(e.code, "wallet database: " + e.message, e.code == Errc::kMalformed ? "wallet_damaged" : e.reason));
  }
  if (auto m = db->Migrate(kMigrations); !m) {
    Error e = m.error();
    return Fail(
        Error(e.code, "wallet database: " + e.message, e.code == Errc::kMalformed ? "wallet_damaged" : e.reason));
  }
  auto impl = std::make_unique<Impl>(std::move(*db));
  impl->dir = app_dir;
  impl->keystore = &keystore;
  impl->catalogue = options.catalogue ? options.catalogue : &mdoc::Catalogue::Default();
  impl->refill_below = options.refill_below;
  return Wallet(std::move(impl));
}

Result<DeviceKeyInfo> Wallet::NewDeviceKey(Alg alg) { return impl_->keystore->CreateDeviceKey(alg); }

Result<CredentialSummary> Wallet::Import(ByteView bytes, const keys::TrustAnchors& anchors, int64_t now,
                                         const ImportOptions& import) {
  if (import.batch.size() > 256) return Fail(Errc::kInvalidArgument, "a batch name is at most 256 bytes");
  if (bytes.size() > kMaxCredentialBytes) return Fail(Refused("too_large", "the credential is over 1 MiB"));
  auto parsed = mdoc::ParseIssuerSigned(bytes);
  if (!parsed) {
    return Fail(Error(parsed.error().code == Errc::kUnsupported ? Errc::kUnsupported : Errc::kMalformed,
                      "import refused: " + parsed.error().message,
                      parsed.error().code == Errc::kUnsupported ? "unsupported" : "malformed"));
  }
  // Issuer signature, signer in the trust list, its right to issue the doc type and to point at the status
  // list, certificate and credential validity, every item's digest: the verifier's own checks (mdoc/).
  mdoc::DocumentVerifier verifier(anchors);
  mdoc::VerifyOptions vo;
  vo.now = now;
  mdoc::DocumentReport report = verifier.VerifyIssuerSigned(*parsed, vo);
  if (!report.ok()) {
    std::string message;
    for (const auto& f : report.failures) {
      if (!message.empty()) message += "; ";
      message += std::string(mdoc::ReasonCode(f.reason)) + ": " + f.detail;
    }
    const mdoc::Reason first = report.failures.empty() ? mdoc::Reason::kMalformed : report.failures.front().reason;
    return Fail(Error(CodeForReason(first), "import refused: " + message, std::string(mdoc::ReasonCode(first))));
  }
  const mdoc::VerifiedDocument& doc = *report.document;

  const mdoc::DocTypeSpec* spec = impl_->catalogue->Find(doc.doc_type());
  if (!spec) return Fail(Refused("unknown_doc_type", "the catalogue has no document type " + Quoted(doc.doc_type())));
  for (const auto& ns : parsed->name_spaces) {
    for (const auto& item : ns.items) {
      if (ns.name != spec->name_space || !spec->Find(item.element_id)) {
        return Fail(Refused("unknown_element", "element " + Quoted(ns.name + "/" + item.element_id) +
                                                   " is not in the catalogue's " + Quoted(spec->doc_type)));
      }
    }
  }

  WQ_ASSIGN(std::string device_key_id, keys::KeyIdForPublicKey(doc.device_key()));
  WQ_ASSIGN(std::vector<DeviceKeyInfo> mine, impl_->keystore->DeviceKeys());
  auto own = std::find_if(mine.begin(), mine.end(), [&](const DeviceKeyInfo& k) {
    return k.key_id == device_key_id && k.public_key.curve() == doc.device_key().curve() &&
           ConstantTimeEqual(k.public_key.raw(), doc.device_key().raw());
  });
  if (own == mine.end()) {
    return Fail(Refused("device_key_not_mine", "the credential is bound to a device key this wallet does not hold"));
  }

  Bytes digest = Sha256(bytes);
  WQ_ASSIGN(storage::Transaction tx, impl_->db.Begin());
  {
    WQ_ASSIGN(storage::Statement dup, impl_->db.Prepare("SELECT id FROM credentials WHERE digest = ?1"));
    WQ_TRY(dup.BindBlob(1, digest));
    WQ_ASSIGN(bool exists, dup.Step());
    if (exists) return Fail(Refused("duplicate_credential", "this credential is already in the wallet"));
  }
  if (!import.batch.empty()) {
    // Unlinkability needs a key per credential, and a batch is one document.
    WQ_ASSIGN(storage::Statement reuse, impl_->db.Prepare("SELECT id FROM credentials WHERE device_key_id = ?1"));
    WQ_TRY(reuse.BindText(1, device_key_id));
    WQ_ASSIGN(bool reused, reuse.Step());
    if (reused) return Fail(Refused("device_key_reused", "a single-use credential needs a device key of its own"));
    WQ_ASSIGN(storage::Statement other,
              impl_->db.Prepare("SELECT id FROM credentials WHERE batch = ?1 AND doc_type <> ?2"));
    WQ_TRY(other.BindText(1, import.batch));
    WQ_TRY(other.BindText(2, doc.doc_type()));
    WQ_ASSIGN(bool mismatch, other.Step());
    if (mismatch) return Fail(Refused("batch_doc_type_mismatch", "the batch holds another document type"));
  }
  WQ_ASSIGN(storage::Statement ins,
            impl_->db.Prepare("INSERT INTO credentials (doc_type, agency_id, device_key_id, signed_at, valid_from, "
                              "valid_until, status_uri, status_idx, imported_at, digest, issuer_signed, batch) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  WQ_TRY(ins.BindText(1, doc.doc_type()));
  WQ_TRY(ins.BindText(2, doc.agency_id()));
  WQ_TRY(ins.BindText(3, device_key_id));
  WQ_TRY(ins.BindInt64(4, doc.validity().signed_at));
  WQ_TRY(ins.BindInt64(5, doc.validity().valid_from));
  WQ_TRY(ins.BindInt64(6, doc.validity().valid_until));
  if (doc.status()) {
    if (doc.status()->idx > static_cast<uint64_t>(INT64_MAX)) {
      return Fail(Refused("malformed", "status index out of range"));
    }
    WQ_TRY(ins.BindText(7, doc.status()->uri));
    WQ_TRY(ins.BindInt64(8, static_cast<int64_t>(doc.status()->idx)));
  } else {
    WQ_TRY(ins.BindNull(7));
    WQ_TRY(ins.BindNull(8));
  }
  WQ_TRY(ins.BindInt64(9, now));
  WQ_TRY(ins.BindBlob(10, digest));
  WQ_TRY(ins.BindBlob(11, bytes));
  if (import.batch.empty()) {
    WQ_TRY(ins.BindNull(12));
  } else {
    WQ_TRY(ins.BindText(12, import.batch));
  }
  WQ_TRY(ins.Run());
  int64_t id = impl_->db.LastInsertRowId();
  WQ_TRY(tx.Commit());

  CredentialSummary s;
  s.id = id;
  s.doc_type = doc.doc_type();
  s.doc_name_ar = spec->name_ar;
  s.doc_name_en = spec->name_en;
  s.agency_id = doc.agency_id();
  s.validity = doc.validity();
  s.status = doc.status();
  s.device_key_id = device_key_id;
  s.imported_at = now;
  s.batch = import.batch;
  return s;
}

Result<std::vector<CredentialSummary>> Wallet::List() {
  WQ_ASSIGN(storage::Statement st,
            impl_->db.Prepare("SELECT " WQ_WALLET_SUMMARY_COLUMNS " FROM credentials ORDER BY id"));
  std::vector<CredentialSummary> out;
  while (true) {
    WQ_ASSIGN(bool row, st.Step());
    if (!row) break;
    WQ_ASSIGN(CredentialSummary s, ReadSummary(st, *impl_->catalogue));
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

struct Row {
  CredentialSummary summary;
  Bytes issuer_signed;
};

Result<Row> LoadRow(storage::Database& db, const mdoc::Catalogue& catalogue, int64_t id) {
  WQ_ASSIGN(storage::Statement st,
            db.Prepare("SELECT " WQ_WALLET_SUMMARY_COLUMNS ", issuer_signed FROM credentials WHERE id = ?1"));
  WQ_TRY(st.BindInt64(1, id));
  WQ_ASSIGN(bool found, st.Step());
  if (!found)
    return Fail(Error(Errc::kNotFound, "no credential " + std::to_string(id) + " in the wallet", "unknown_credential"));
  Row r;
  WQ_ASSIGN(r.summary, ReadSummary(st, catalogue));
  WQ_ASSIGN(r.issuer_signed, st.ColumnBlob(kSummaryColumnCount));
  return r;
}

}  // namespace

Result<CredentialView> Wallet::Show(int64_t id) {
  WQ_ASSIGN(Row row, LoadRow(impl_->db, *impl_->catalogue, id));
  WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed, mdoc::ParseIssuerSigned(row.issuer_signed));
  CredentialView v;
  v.summary = std::move(row.summary);
  const mdoc::DocTypeSpec* spec = impl_->catalogue->Find(v.summary.doc_type);
  std::vector<ShownElement> rest;
  for (const auto& ns : parsed.name_spaces) {
    for (const auto& item : ns.items) {
      ShownElement e;
      e.name_space = ns.name;
      e.id = item.element_id;
      e.value = item.element_value;
      const mdoc::ElementSpec* es = spec ? spec->Find(item.element_id) : nullptr;
      e.label_ar = es ? es->label_ar : item.element_id;
      e.label_en = es ? es->label_en : item.element_id;
      if (es) e.value_label = ValueLabelOf(*es, e.value);
      rest.push_back(std::move(e));
    }
  }
  if (spec) {  // catalogue order first
    for (const auto& es : spec->elements) {
      auto it = std::find_if(rest.begin(), rest.end(), [&](const ShownElement& e) { return e.id == es.id; });
      if (it != rest.end()) {
        v.elements.push_back(std::move(*it));
        rest.erase(it);
      }
    }
  }
  for (auto& e : rest) v.elements.push_back(std::move(e));
  return v;
}

Status Wallet::Delete(int64_t id) {
  WQ_ASSIGN(Row row, LoadRow(impl_->db, *impl_->catalogue, id));
  {
    WQ_ASSIGN(storage::Transaction tx, impl_->db.Begin());
    WQ_ASSIGN(storage::Statement del, impl_->db.Prepare("DELETE FROM credentials WHERE id = ?1"));
    WQ_TRY(del.BindInt64(1, id));
    WQ_TRY(del.Run());
    WQ_TRY(tx.Commit());
  }
  WQ_ASSIGN(storage::Statement users, impl_->db.Prepare("SELECT COUNT(*) FROM credentials WHERE device_key_id = ?1"));
  WQ_TRY(users.BindText(1, row.summary.device_key_id));
  WQ_ASSIGN(bool got, users.Step());
  if (!got) return Fail(Errc::kInternal, "COUNT returned no row");
  WQ_ASSIGN(int64_t n, users.ColumnInt64(0));
  if (n == 0) {
    auto d = impl_->keystore->DeleteDeviceKey(row.summary.device_key_id);
    if (!d && d.error().code != Errc::kNotFound) return d;
  }
  return Ok();
}

Status Wallet::ChangePin(const keys::SecretText& old_pin, const keys::SecretText& new_pin, int64_t now) {
  return impl_->keystore->ChangePin(old_pin, new_pin, now);
}

Result<PresentedQr> Wallet::Present(int64_t id, const DisclosureChoice& choice, PresentOptions options) {
  WQ_ASSIGN(Row row, LoadRow(impl_->db, *impl_->catalogue, id));
  // The last known state stands offline: a revoked or suspended document is not shown to anyone.
  if (row.summary.held_status == HeldStatus::kRevoked) {
    return Fail(Error(Errc::kState,
                      "this document was revoked by its issuer (status list read at " +
                          std::to_string(row.summary.status_checked_at) + "); it cannot be presented",
                      "credential_revoked"));
  }
  if (row.summary.held_status == HeldStatus::kSuspended) {
    return Fail(Error(Errc::kState,
                      "this document is suspended by its issuer (status list read at " +
                          std::to_string(row.summary.status_checked_at) +
                          "); it cannot be presented until it is reinstated",
                      "credential_suspended"));
  }
  if (!row.summary.batch.empty()) {
    if (row.summary.used_at != 0) {
      return Fail(Error(Errc::kState, "this single-use credential was already presented", "single_use_spent"));
    }
    WQ_ASSIGN(storage::Transaction tx, impl_->db.Begin());
    WQ_ASSIGN(storage::Statement mark,
              impl_->db.Prepare("UPDATE credentials SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL"));
    WQ_TRY(mark.BindInt64(1, id));
    WQ_TRY(mark.BindInt64(2, std::max<int64_t>(options.now, 1)));
    WQ_TRY(mark.Run());
    if (impl_->db.Changes() != 1) {
      return Fail(Error(Errc::kState, "this single-use credential was already presented", "single_use_spent"));
    }
    WQ_TRY(tx.Commit());  // used before it is signed: a crash wastes one, never reuses one
  }
  WQ_ASSIGN(std::shared_ptr<const Signer> signer, impl_->keystore->DeviceSigner(row.summary.device_key_id));
  if (!options.catalogue) options.catalogue = impl_->catalogue;
  return PresentCredential(row.issuer_signed, *signer, choice, options);
}

Result<PresentedQr> Wallet::PresentFromBatch(std::string_view batch, const DisclosureChoice& choice,
                                             PresentOptions options) {
  WQ_ASSIGN(storage::Statement pick,
            impl_->db.Prepare("SELECT id FROM credentials WHERE batch = ?1 AND used_at IS NULL AND valid_from <= ?2 "
                              "AND valid_until >= ?2 ORDER BY valid_until, id LIMIT 1"));
  WQ_TRY(pick.BindText(1, batch));
  WQ_TRY(pick.BindInt64(2, options.now));
  WQ_ASSIGN(bool found, pick.Step());
  if (!found)
    return Fail(
        Error(Errc::kNotFound, "no unused credential is left in this batch: ask for a refill", "batch_exhausted"));
  WQ_ASSIGN(int64_t id, pick.ColumnInt64(0));
  WQ_TRY(pick.Reset());
  return Present(id, choice, std::move(options));
}

Result<BatchStatus> Wallet::Batch(std::string_view batch, int64_t now) {
  WQ_ASSIGN(storage::Statement st,
            impl_->db.Prepare("SELECT COUNT(*), "
                              "COALESCE(SUM(used_at IS NULL), 0), "
                              "COALESCE(SUM(used_at IS NULL AND valid_from <= ?2 AND valid_until >= ?2), 0), "
                              "MIN(doc_type) FROM credentials WHERE batch = ?1"));
  WQ_TRY(st.BindText(1, batch));
  WQ_TRY(st.BindInt64(2, now));
  WQ_ASSIGN(bool row, st.Step());
  if (!row) return Fail(Errc::kInternal, "COUNT returned no row");
  BatchStatus b;
  b.batch = std::string(batch);
  WQ_ASSIGN(b.total, st.ColumnInt64(0));
  WQ_ASSIGN(b.unused, st.ColumnInt64(1));
  WQ_ASSIGN(b.usable_now, st.ColumnInt64(2));
  if (!st.ColumnIsNull(3)) {
    WQ_ASSIGN(b.doc_type, st.ColumnText(3));
  }
  b.needs_refill = b.usable_now < impl_->refill_below;
  return b;
}

std::string_view HeldStatusName(HeldStatus status) {
  switch (status) {
    case HeldStatus::kUnchecked: return "unchecked";
    case HeldStatus::kValid: return "valid";
    case HeldStatus::kSuspended: return "suspended";
    case HeldStatus::kRevoked: return "revoked";
  }
  return "unchecked";
}

namespace {

// One list's token as read from the folder: accepted, or why not.
struct ReadToken {
  std::optional<status::AcceptedToken> accepted;
  std::string reason;
  std::string detail;
};

ReadToken ReadListToken(const std::string& dir, const std::string& uri, const keys::TrustList& trust, int64_t now) {
  ReadToken r;
  auto path = keys::StatusUriPath(dir, uri);
  if (!path) return {std::nullopt, "malformed", SafeText(path.error().message, 512)};
  status::AcceptOptions ao;
  auto bytes = ReadFileBytes(path->string(), ao.parse.max_token_bytes);
  if (!bytes) {
    const Errc c = bytes.error().code;
    return {std::nullopt,
            c == Errc::kNotFound ? "no_token"
            : c == Errc::kLimit  ? "limit"
                                 : "unreadable",
            SafeText(path->string() + ": " + bytes.error().message, 512)};
  }
  auto accepted = status::AcceptStatusListToken(*bytes, trust, now, ao);
  if (!accepted) {
    const Error& e = accepted.error();
    return {std::nullopt, e.reason == "expired" ? "stale" : std::string(e.reason_code()), e.message};
  }
  r.accepted = std::move(*accepted);
  return r;
}

}  // namespace

Result<std::vector<StatusCheck>> Wallet::UpdateStatus(const std::string& tokens_dir, const keys::TrustList& trust,
                                                      int64_t now) {
  WQ_ASSIGN(std::vector<CredentialSummary> all, List());
  std::map<std::string, ReadToken> tokens;  // by URI: each list is read and verified once
  std::vector<StatusCheck> out;
  WQ_ASSIGN(storage::Transaction tx, impl_->db.Begin());
  WQ_ASSIGN(storage::Statement upd, impl_->db.Prepare("UPDATE credentials SET status_state = ?2, status_iat = ?3, "
                                                      "status_checked_at = ?4 WHERE id = ?1"));
  for (const CredentialSummary& s : all) {
    StatusCheck c;
    c.id = s.id;
    c.held = s.held_status;
    c.outcome = "unknown";
    if (!s.status) {
      c.reason = "no_status_reference";
      c.detail = "the credential names no status list";
      out.push_back(std::move(c));
      continue;
    }
    auto it = tokens.find(s.status->uri);
    if (it == tokens.end())
      it = tokens.emplace(s.status->uri, ReadListToken(tokens_dir, s.status->uri, trust, now)).first;
    const ReadToken& t = it->second;
    if (!t.accepted) {
      c.reason = t.reason;
      c.detail = t.detail;
      out.push_back(std::move(c));
      continue;
    }
    const status::VerifiedStatusList& token = t.accepted->token;
    c.token_iat = token.claims().iat;
    auto answer = status::CheckStatus(token, s.status->uri, s.status->idx, now);
    if (!answer) {
      c.reason = "wrong_list";
      c.detail = "the file for " + Quoted(s.status->uri) + " holds the token of " + Quoted(token.claims().sub);
      out.push_back(std::move(c));
      continue;
    }
    HeldStatus said = HeldStatus::kUnchecked;
    switch (answer->outcome) {
      case status::StatusOutcome::kValid: said = HeldStatus::kValid; break;
      case status::StatusOutcome::kInvalid: said = HeldStatus::kRevoked; break;
      case status::StatusOutcome::kSuspended: said = HeldStatus::kSuspended; break;
      case status::StatusOutcome::kOther: c.reason = "status_other"; break;
      case status::StatusOutcome::kUnknown: c.reason = "stale"; break;
      case status::StatusOutcome::kIndexOutOfRange: c.reason = "index_out_of_range"; break;
    }
    c.detail = SafeText(answer->detail, 512);
    if (said == HeldStatus::kUnchecked) {
      out.push_back(std::move(c));
      continue;
    }
    if (token.claims().iat < s.status_iat) {
      c.reason = "older_token";
      c.detail = "the token (iat " + std::to_string(token.claims().iat) +
                 ") is older than the one the held state came "
                 "from (iat " +
                 std::to_string(s.status_iat) + ")";
      out.push_back(std::move(c));
      continue;
    }
    c.outcome = std::string(HeldStatusName(said));
    // Revocation is final: no token brings a revoked credential back.
    c.held = s.held_status == HeldStatus::kRevoked ? HeldStatus::kRevoked : said;
    WQ_TRY(upd.Reset());
    WQ_TRY(upd.BindInt64(1, s.id));
    WQ_TRY(upd.BindInt64(2, static_cast<int64_t>(c.held)));
    WQ_TRY(upd.BindInt64(3, static_cast<int64_t>(std::min<uint64_t>(token.claims().iat, INT64_MAX))));
    WQ_TRY(upd.BindInt64(4, now));
    WQ_TRY(upd.Run());
    out.push_back(std::move(c));
  }
  WQ_TRY(tx.Commit());
  return out;
}

Result<std::vector<BackupDocument>> Wallet::BackupDocuments() {
  WQ_ASSIGN(storage::Statement st,
            impl_->db.Prepare("SELECT doc_type, agency_id, valid_until, status_uri, status_idx, batch, issuer_signed "
                              "FROM credentials ORDER BY id"));
  std::vector<BackupDocument> docs;
  while (true) {
    WQ_ASSIGN(bool row, st.Step());
    if (!row) break;
    BackupCredential c;
    WQ_ASSIGN(std::string doc_type, st.ColumnText(0));
    WQ_ASSIGN(std::string agency, st.ColumnText(1));
    WQ_ASSIGN(c.valid_until, st.ColumnInt64(2));
    if (!st.ColumnIsNull(3)) {
      WQ_ASSIGN(c.status_uri, st.ColumnText(3));
      WQ_ASSIGN(int64_t idx, st.ColumnInt64(4));
      c.status_idx = static_cast<uint64_t>(std::max<int64_t>(idx, 0));
    }
    if (!st.ColumnIsNull(5)) {
      WQ_ASSIGN(c.batch, st.ColumnText(5));
    }
    WQ_ASSIGN(Bytes bytes, st.ColumnBlob(6));
    WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed, mdoc::ParseIssuerSigned(bytes));
    if (!parsed.issuer_auth.payload) return Fail(Errc::kMalformed, "a stored credential has no MSO");
    c.mso_digest = Sha256(*parsed.issuer_auth.payload);
    // The document number as the issuer takes it: the first catalogue element whose id ends in "_number".
    const mdoc::DocTypeSpec* spec = impl_->catalogue->Find(doc_type);
    std::string number;
    for (size_t e = 0; spec && e < spec->elements.size() && number.empty(); ++e) {
      const std::string& id = spec->elements[e].id;
      if (id.size() <= 7 || !id.ends_with("_number")) continue;
      for (const auto& ns : parsed.name_spaces) {
        for (const auto& item : ns.items) {
          if (item.element_id == id && item.element_value.is_text()) number = item.element_value.text();
        }
      }
    }
    if (number.empty()) {
      return Fail(Error(Errc::kInvalidArgument, "a " + Quoted(doc_type) + " credential carries no document number",
                        "no_document_number"));
    }
    auto it = std::find_if(docs.begin(), docs.end(), [&](const BackupDocument& d) {
      return d.agency == agency && d.document_number == number && d.doc_type == doc_type;
    });
    if (it == docs.end()) {
      BackupDocument d;
      d.agency = agency;
      d.doc_type = doc_type;
      d.document_number = number;
      if (spec) {
        d.label_en = spec->name_en;
        d.label_ar = spec->name_ar;
      }
      docs.push_back(std::move(d));
      it = docs.end() - 1;
    }
    it->credentials.push_back(std::move(c));
  }
  return docs;
}

Status Wallet::CheckIntegrity() { return impl_->db.CheckIntegrity(); }

}  // namespace wathiq::wallet
