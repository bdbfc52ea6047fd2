#include "wathiq/storage/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "wathiq/core/crypto.h"

#ifndef SQLITE_HAS_CODEC
#error "storage must be compiled with SQLITE_HAS_CODEC against SQLCipher's sqlite3.h"
#endif

namespace wathiq::storage {
namespace {

constexpr int kPageSize = 4096;
constexpr char kPlainHeader[16] = "SQLite format 3";  // 15 characters and the NUL: the plaintext magic

Errc CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT: return Errc::kMalformed;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISUSE:
    case SQLITE_READONLY: return Errc::kState;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: return Errc::kIo;
    case SQLITE_PERM:
    case SQLITE_AUTH: return Errc::kPermission;
    case SQLITE_TOOBIG:
    case SQLITE_NOMEM:
    case SQLITE_RANGE: return Errc::kLimit;
    default: return Errc::kInternal;
  }
}

// The message is SQLite's own (it never contains bound values).
tl::unexpected<Error> SqlFail(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (db && (sqlite3_extended_errcode(db) & 0xff) != (rc & 0xff)) detail = sqlite3_errstr(rc);
  // An I/O failure names the system error (a full disk, a file-size limit), not only SQLite's "disk I/O error".
  if (db && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL) && sqlite3_system_errno(db) != 0) {
    detail += std::string(" (") + std::strerror(sqlite3_system_errno(db)) + ")";
  }
  return Fail(CodeFor(rc), std::string(what) + ": " + detail);
}

Status ExecRaw(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlFail(db, rc, what);
  return Ok();
}

// First column of the first row as text; "" if no row.
Result<std::string> QueryText(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (rc != SQLITE_OK) return SqlFail(db, rc, sql);
  std::string out;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    if (t) out.assign(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlFail(db, rc, sql);
  return out;
}

// The process must be running the SQLCipher it was compiled against: a plain libsqlite3 winning symbol
// resolution (design/DEPENDENCIES.md, trap 1) shows up as a different version or a missing codec.
Status CheckLibrary() {
  if (sqlite3_libversion_number() != SQLITE_VERSION_NUMBER || !sqlite3_compileoption_used("SQLITE_HAS_CODEC")) {
    return Fail(Errc::kUnsupported, std::string("the SQLite library loaded in this process (") + sqlite3_libversion() +
                                        ") is not the SQLCipher " SQLITE_VERSION
                                        " this program was built with; refusing to open an unencrypted database "
                                        "(link SQLCipher before Botan, see design/DEPENDENCIES.md)");
  }
  return Ok();
}

struct FileProbe {
  bool exists = false;
  bool regular = false;
  int64_t size = 0;
  bool plaintext_sqlite = false;
};

FileProbe Probe(const std::string& path) {
  FileProbe p;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return p;
  p.exists = true;
  p.regular = S_ISREG(st.st_mode);
  p.size = st.st_size;
  if (p.regular && p.size >= 16) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char head[16];
      if (pread(fd, head, sizeof head, 0) == 16) p.plaintext_sqlite = std::memcmp(head, kPlainHeader, 16) == 0;
      close(fd);
    }
  }
  return p;
}

// SQLCipher's raw-key form: the text x'<64 hex digits>', built in sodium_malloc'd memory.
SecureBuffer RawKeyText(const SecureBuffer& key) {
  static constexpr char kHex[] = "0123456789abcdef";
  SecureBuffer text(3 + 2 * key.size());
  uint8_t* p = text.data();
  *p++ = 'x';
  *p++ = '\'';
  for (size_t i = 0; i < key.size(); ++i) {
    *p++ = static_cast<uint8_t>(kHex[key.data()[i] >> 4]);
    *p++ = static_cast<uint8_t>(kHex[key.data()[i] & 0xf]);
  }
  *p = '\'';
  return text;
}

}  // namespace

SecureBuffer GenerateDatabaseKey() {
  SecureBuffer key(kDatabaseKeyBytes);
  RandomBytes(key.data(), key.size());
  return key;
}

// ------------------------------------------------------------------------------------------------------
// Connection state shared by the Database and its open Transaction, so a finished or abandoned transaction
// can never roll back a later one.

struct ConnState {
  sqlite3* db = nullptr;
  uint64_t next_tx = 1;
  uint64_t active_tx = 0;
};

struct Database::Impl {
  std::shared_ptr<ConnState> conn = std::make_shared<ConnState>();
  std::string path;
  std::string cipher_version;
  ~Impl() {
    // close_v2: if a Statement or Transaction still holds prepared statements, the connection stays alive
    // (as a zombie) until they are finalized, so they never touch freed memory.
    if (conn->db) sqlite3_close_v2(conn->db);
    conn->db = nullptr;
  }
};

struct Statement::Impl {
  sqlite3* db = nullptr;
  sqlite3_stmt* stmt = nullptr;
  ~Impl() {
    if (stmt) sqlite3_finalize(stmt);
  }
};

struct Transaction::Impl {
  std::shared_ptr<ConnState> conn;
  sqlite3* db = nullptr;  // stays valid while commit/rollback are prepared (close_v2 keeps a zombie)
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  uint64_t serial = 0;
  bool finished = false;

  bool Owns() const { return !finished && conn->active_tx == serial; }
  void Finish() {
    finished = true;
    if (conn->active_tx == serial) conn->active_tx = 0;
  }
  ~Impl() {
    if (Owns() && !sqlite3_get_autocommit(db)) {
      sqlite3_step(rollback);
      sqlite3_reset(rollback);
    }
    Finish();
    if (commit) sqlite3_finalize(commit);
    if (rollback) sqlite3_finalize(rollback);
  }
};

// ------------------------------------------------------------------------------------------------------
// Statement

Statement::Statement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Statement::Statement(Statement&& o) noexcept = default;
Statement& Statement::operator=(Statement&& o) noexcept = default;
Statement::~Statement() = default;

namespace {
Status BindResult(sqlite3* db, int rc, int index) {
  if (rc == SQLITE_OK) return Ok();
  return SqlFail(db, rc, "bind parameter " + std::to_string(index));
}
}  // namespace

Status Statement::BindInt64(int index, int64_t value) {
  return BindResult(impl_->db, sqlite3_bind_int64(impl_->stmt, index, value), index);
}
Status Statement::BindText(int index, std::string_view utf8) {
  return BindResult(impl_->db,
                    sqlite3_bind_text64(impl_->stmt, index, utf8.data(), utf8.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
                    index);
}
Status Statement::BindBlob(int index, ByteView bytes) {
  // A zero-length blob must still be a blob, not NULL: sqlite3_bind_blob64 with a null pointer binds NULL.
  static const uint8_t kEmpty = 0;
  const void* p = bytes.empty() ? &kEmpty : bytes.data();
  return BindResult(impl_->db, sqlite3_bind_blob64(impl_->stmt, index, p, bytes.size(), SQLITE_TRANSIENT), index);
}
Status Statement::BindNull(int index) { return BindResult(impl_->db, sqlite3_bind_null(impl_->stmt, index), index); }
Status Statement::ClearBindings() {
  sqlite3_clear_bindings(impl_->stmt);
  return Ok();
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(impl_->stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto err = SqlFail(impl_->db, rc, "statement");
  sqlite3_reset(impl_->stmt);
  return err;
}

Status Statement::Run() {
  WQ_ASSIGN(bool row, Step());
  sqlite3_reset(impl_->stmt);
  if (row) return Fail(Errc::kState, "Run() on a statement that returns rows; use Step()");
  return Ok();
}

Status Statement::Reset() {
  sqlite3_reset(impl_->stmt);  // its return code repeats the last Step's error, already reported
  return Ok();
}

int Statement::ColumnCount() const { return sqlite3_column_count(impl_->stmt); }

ColumnType Statement::ColumnTypeAt(int column) const {
  switch (sqlite3_column_type(impl_->stmt, column)) {
    case SQLITE_INTEGER: return ColumnType::kInteger;
    case SQLITE_FLOAT: return ColumnType::kFloat;
    case SQLITE_TEXT: return ColumnType::kText;
    case SQLITE_BLOB: return ColumnType::kBlob;
    default: return ColumnType::kNull;
  }
}

namespace {
Status CheckColumn(const Statement& s, int column, ColumnType want, const char* name) {
  if (column < 0 || column >= s.ColumnCount()) {
    return Fail(Errc::kInvalidArgument, "column " + std::to_string(column) + " is out of range");
  }
  if (s.ColumnTypeAt(column) != want) {
    return Fail(Errc::kState, "column " + std::to_string(column) + " is not " + name);
  }
  return Ok();
}
}  // namespace

Result<int64_t> Statement::ColumnInt64(int column) const {
  WQ_TRY(CheckColumn(*this, column, ColumnType::kInteger, "an integer"));
  return static_cast<int64_t>(sqlite3_column_int64(impl_->stmt, column));
}

Result<std::string> Statement::ColumnText(int column) const {
  WQ_TRY(CheckColumn(*this, column, ColumnType::kText, "text"));
  const unsigned char* t = sqlite3_column_text(impl_->stmt, column);
  int n = sqlite3_column_bytes(impl_->stmt, column);
  if (!t && n > 0) return Fail(Errc::kLimit, "out of memory reading a text column");
  return std::string(reinterpret_cast<const char*>(t ? t : reinterpret_cast<const unsigned char*>("")),
                     static_cast<size_t>(n));
}

Result<Bytes> Statement::ColumnBlob(int column) const {
  WQ_TRY(CheckColumn(*this, column, ColumnType::kBlob, "a blob"));
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(impl_->stmt, column));
  int n = sqlite3_column_bytes(impl_->stmt, column);
  if (n == 0) return Bytes{};
  if (!p) return Fail(Errc::kLimit, "out of memory reading a blob column");
  return Bytes(p, p + n);
}

// ------------------------------------------------------------------------------------------------------
// Transaction

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::Transaction(Transaction&& o) noexcept = default;
Transaction::~Transaction() = default;

bool Transaction::active() const { return impl_ && impl_->Owns() && !sqlite3_get_autocommit(impl_->db); }

Status Transaction::Commit() {
  if (!impl_ || !impl_->Owns()) return Fail(Errc::kState, "the transaction is already finished");
  if (sqlite3_get_autocommit(impl_->db)) {
    // SQLite rolled it back itself after an error (disk full, I/O): nothing was committed.
    impl_->Finish();
    return Fail(Errc::kState, "the transaction was rolled back after an earlier error; nothing was committed");
  }
  int rc = sqlite3_step(impl_->commit);
  sqlite3_reset(impl_->commit);
  if (rc != SQLITE_DONE) return SqlFail(impl_->db, rc, "commit");
  impl_->Finish();
  return Ok();
}

Status Transaction::Rollback() {
  if (!impl_ || !impl_->Owns()) return Fail(Errc::kState, "the transaction is already finished");
  int rc = SQLITE_DONE;
  if (!sqlite3_get_autocommit(impl_->db)) {
    rc = sqlite3_step(impl_->rollback);
    sqlite3_reset(impl_->rollback);
  }
  impl_->Finish();
  if (rc != SQLITE_DONE) return SqlFail(impl_->db, rc, "rollback");
  return Ok();
}

// ------------------------------------------------------------------------------------------------------
// Database

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::Database(Database&& o) noexcept = default;
Database& Database::operator=(Database&& o) noexcept = default;
Database::~Database() = default;

Result<Database> Database::Open(const std::string& path, const SecureBuffer& key, const OpenOptions& options) {
  if (key.size() != kDatabaseKeyBytes) {
    return Fail(Errc::kInvalidArgument,
                "a database key must be exactly " + std::to_string(kDatabaseKeyBytes) + " bytes");
  }
  if (path.empty()) return Fail(Errc::kInvalidArgument, "empty database path");
  WQ_TRY(CheckLibrary());

  FileProbe probe = Probe(path);
  if (probe.exists && !probe.regular) return Fail(Errc::kInvalidArgument, path + " is not a regular file");
  if (probe.plaintext_sqlite) {
    return Fail(Errc::kUnsupported, path + " is an unencrypted SQLite database; refusing to use it");
  }
  if (probe.exists && probe.size == 0 && options.mode == OpenMode::kOpenExisting) {
    // A registry truncated to nothing must not come back as a fresh, empty database.
    return Fail(
        Error{Errc::kMalformed, path + " is empty (truncated?); expected an existing database", "database_truncated"});
  }
  if (probe.exists && probe.size % kPageSize != 0) {
    // SQLCipher writes whole 4096-byte pages; any other size is a cut file or not ours. (SQLite would take a
    // file shorter than a page as a new database and write over it.)
    return Fail(Error{Errc::kMalformed,
                      path + " is not a Wathiq database or is truncated (" + std::to_string(probe.size) +
                          " bytes is not a whole number of 4096-byte pages)",
                      "database_truncated"});
  }
  if (!probe.exists) {
    if (options.mode == OpenMode::kOpenExisting) return Fail(Errc::kNotFound, "no database at " + path);
    // Created here so it is 0600 from the first byte; SQLite gives its -wal and -shm files the same mode.
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return Fail(Errc::kIo, "cannot create " + path + ": " + std::strerror(errno));
    }
    if (fd >= 0) close(fd);
  }

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
                           nullptr);
  impl->conn->db = db;  // closed by ~Impl on every path below
  if (rc != SQLITE_OK) return SqlFail(db, rc, "cannot open " + path);
  sqlite3_extended_result_codes(db, 1);

  // Before the key goes anywhere: this connection must be SQLCipher 4.
  auto cv = QueryText(db, "PRAGMA cipher_version");
  if (!cv || cv->empty() || (*cv)[0] < '4' || (*cv)[1] != '.') {
    return Fail(Errc::kUnsupported, "the database library is not SQLCipher 4 (PRAGMA cipher_version gave '" +
                                        (cv ? *cv : std::string()) +
                                        "'); refusing to write an unencrypted database (design/DEPENDENCIES.md)");
  }
  impl->cipher_version = *cv;
  // SQLCipher would print every failed page HMAC to stderr; the failure comes back to the caller as an Error.
  WQ_TRY(ExecRaw(db, "PRAGMA cipher_log_level = NONE", "cipher settings"));

  {
    SecureBuffer text = RawKeyText(key);
    rc = sqlite3_key_v2(db, "main", text.data(), static_cast<int>(text.size()));
  }  // the key text is wiped here; SQLCipher keeps its own copy in locked memory and wipes it on close
  if (rc != SQLITE_OK) return SqlFail(db, rc, "cannot key " + path);

  // Pinned settings, set again on every open (SQLCipher does not store them). cipher_compatibility first:
  // it resets the others.
  WQ_TRY(ExecRaw(db,
                 "PRAGMA cipher_compatibility = 4;"
                 "PRAGMA cipher_page_size = 4096;"
                 "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;"
                 "PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA512;"
                 "PRAGMA cipher_plaintext_header_size = 0;",
                 "cipher settings"));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);

  // The first read decrypts page 1: a wrong key (or a file that is not ours) fails here with NOTADB.
  rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_NOTADB) {
      FileProbe now = Probe(path);
      if (now.size < kPageSize || now.size % kPageSize != 0) {
        return Fail(Error{Errc::kMalformed,
                          path + " is not a Wathiq database or is truncated (" + std::to_string(now.size) +
                              " bytes is not a whole number of 4096-byte pages)",
                          "database_truncated"});
      }
      return Fail(Error{Errc::kPermission,
                        "wrong key for database " + path + " (or the file is not a Wathiq database or is damaged)",
                        "wrong_key_or_damaged"});
    }
    return SqlFail(db, rc, "cannot read " + path);
  }

  auto mode = QueryText(db, "PRAGMA journal_mode = WAL");
  if (!mode) return Wrap(path, mode.error());
  if (*mode != "wal") return Fail(Errc::kIo, path + ": cannot switch to WAL mode (journal_mode is " + *mode + ")");
  WQ_TRY(ExecRaw(db,
                 "PRAGMA synchronous = FULL;"
                 "PRAGMA secure_delete = ON;"
                 "PRAGMA temp_store = MEMORY;"
                 "PRAGMA foreign_keys = ON;",
                 "connection settings"));

  // Read the settings back rather than trusting that every pragma took.
  struct Want {
    const char* sql;
    const char* value;
  };
  for (const Want& w : {Want{"PRAGMA cipher_page_size", "4096"}, Want{"PRAGMA cipher_hmac_algorithm", "HMAC_SHA512"},
                        Want{"PRAGMA cipher_kdf_algorithm", "PBKDF2_HMAC_SHA512"}, Want{"PRAGMA synchronous", "2"},
                        Want{"PRAGMA secure_delete", "1"}, Want{"PRAGMA temp_store", "2"}}) {
    WQ_ASSIGN(std::string got, QueryText(db, w.sql));
    if (got != w.value) {
      return Fail(Errc::kInternal, std::string(w.sql) + " is '" + got + "', expected '" + w.value + "'");
    }
  }

  // Belt and braces against trap 1: what is on disk now must not be a plaintext SQLite header.
  if (Probe(path).plaintext_sqlite) {
    return Fail(Errc::kInternal, path + " was written unencrypted: the SQLCipher codec is not active");
  }
  return Database(std::move(impl));
}

Status Database::Close() {
  if (!impl_) return Ok();
  sqlite3* db = impl_->conn->db;
  impl_->conn->db = nullptr;
  impl_.reset();
  int rc = db ? sqlite3_close_v2(db) : SQLITE_OK;
  if (rc != SQLITE_OK) return Fail(Errc::kIo, std::string("closing the database: ") + sqlite3_errstr(rc));
  return Ok();
}

Result<int> Database::SchemaVersion() {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  WQ_ASSIGN(std::string v, QueryText(impl_->conn->db, "PRAGMA user_version"));
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') return Fail(Errc::kInternal, "PRAGMA user_version gave '" + v + "'");
  return static_cast<int>(n);
}

Status Database::Migrate(std::span<const Migration> migrations) {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Fail(Errc::kInvalidArgument, "migration " + std::to_string(i) + " has version " +
                                              std::to_string(migrations[i].version) +
                                              "; versions must count 1, 2, 3, ...");
    }
  }
  const int latest = static_cast<int>(migrations.size());
  auto newer = [&](int current) {
    return Fail(Errc::kUnsupported, impl_->path + " has schema version " + std::to_string(current) +
                                        ", newer than this program knows (" + std::to_string(latest) +
                                        "); upgrade the program, do not downgrade the database");
  };
  WQ_ASSIGN(int current, SchemaVersion());
  if (current > latest) return newer(current);
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    WQ_ASSIGN(Transaction tx, Begin());
    // Another process may have migrated while we waited for the write lock.
    WQ_ASSIGN(int now, SchemaVersion());
    if (now > latest) return newer(now);
    if (now >= m.version) {
      current = now;
      continue;
    }
    std::string step = "schema migration to version " + std::to_string(m.version);
    WQ_TRY(ExecRaw(impl_->conn->db, m.sql.text().data(), step));
    std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);  // our integer, not input
    WQ_TRY(ExecRaw(impl_->conn->db, set_version.c_str(), step));
    WQ_TRY(tx.Commit());
    current = m.version;
  }
  return Ok();
}

Result<Transaction> Database::Begin() {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  auto& conn = impl_->conn;
  sqlite3* db = conn->db;
  if (conn->active_tx != 0 || !sqlite3_get_autocommit(db)) {
    return Fail(Errc::kState, "a transaction is already open on this connection");
  }
  auto t = std::make_unique<Transaction::Impl>();
  t->conn = conn;
  t->db = db;
  t->finished = true;  // until BEGIN succeeds, the destructor must not roll anything back
  int rc = sqlite3_prepare_v2(db, "COMMIT", -1, &t->commit, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "ROLLBACK", -1, &t->rollback, nullptr);
  if (rc != SQLITE_OK) return SqlFail(db, rc, "begin");
  rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlFail(db, rc, "begin");
  t->serial = conn->next_tx++;
  t->finished = false;
  conn->active_tx = t->serial;
  return Transaction(std::move(t));
}

Result<Statement> Database::Prepare(Sql sql) {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  sqlite3* db = impl_->conn->db;
  auto s = std::make_unique<Statement::Impl>();
  s->db = db;
  const char* tail = nullptr;
  std::string_view text = sql.text();
  int rc =
      sqlite3_prepare_v3(db, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &s->stmt, &tail);
  if (rc != SQLITE_OK) return SqlFail(db, rc, "prepare");
  if (!s->stmt) return Fail(Errc::kInvalidArgument, "prepare: no SQL statement in the text");
  for (const char* p = tail; p && p < text.data() + text.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      return Fail(Errc::kInvalidArgument, "prepare takes exactly one statement");
    }
  }
  return Statement(std::move(s));
}

Status Database::Execute(Sql sql) {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  return ExecRaw(impl_->conn->db, sql.text().data(), "execute");
}

int64_t Database::LastInsertRowId() const {
  return impl_ && impl_->conn->db ? sqlite3_last_insert_rowid(impl_->conn->db) : 0;
}
int64_t Database::Changes() const { return impl_ && impl_->conn->db ? sqlite3_changes64(impl_->conn->db) : 0; }

Status Database::CheckIntegrity() {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  sqlite3* db = impl_->conn->db;
  // cipher_integrity_check: one row per page whose HMAC fails; no rows when every page is intact.
  WQ_ASSIGN(std::string hmac, QueryText(db, "PRAGMA cipher_integrity_check"));
  if (!hmac.empty()) return Fail(Error{Errc::kMalformed, impl_->path + " is damaged: " + hmac, "database_damaged"});
  WQ_ASSIGN(std::string quick, QueryText(db, "PRAGMA quick_check"));
  if (quick != "ok") return Fail(Error{Errc::kMalformed, impl_->path + " is damaged: " + quick, "database_damaged"});
  return Ok();
}

Status Database::BackupTo(const std::string& path, const SecureBuffer& key) {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  if (impl_->conn->active_tx != 0) return Fail(Errc::kState, "a backup cannot run inside a transaction");
  if (Probe(path).exists) return Fail(Errc::kState, path + " exists; a backup is written to a new file");
  auto cleanup = [&path] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  };
  Status result = [&]() -> Status {
    OpenOptions oo;
    oo.mode = OpenMode::kCreateOrOpen;
    WQ_ASSIGN(Database dest, Database::Open(path, key, oo));
    sqlite3* to = dest.impl_->conn->db;
    sqlite3_backup* b = sqlite3_backup_init(to, "main", impl_->conn->db, "main");
    if (!b) return SqlFail(to, sqlite3_errcode(to), "backup of " + impl_->path);
    // One step over every page: a single read transaction, so the copy is one consistent snapshot even while
    // other connections write (WAL readers do not block writers). A busy source is retried for a while.
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 500; ++attempt) {
      rc = sqlite3_backup_step(b, -1);
      if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
      sqlite3_sleep(20);
    }
    int finish = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) return SqlFail(to, rc, "backup of " + impl_->path);
    if (finish != SQLITE_OK) return SqlFail(to, finish, "backup of " + impl_->path);
    WQ_TRY(dest.CheckIntegrity());
    WQ_TRY(dest.Checkpoint());
    WQ_TRY(dest.Close());
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
      if (fd >= 0) close(fd);
      return Fail(Errc::kIo, "cannot sync " + path + ": " + std::strerror(errno));
    }
    close(fd);
    return Ok();
  }();
  if (!result) cleanup();
  return result;
}

Status Database::Checkpoint() {
  if (!impl_ || !impl_->conn->db) return Fail(Errc::kState, "the database is closed");
  int rc = sqlite3_wal_checkpoint_v2(impl_->conn->db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlFail(impl_->conn->db, rc, "checkpoint");
  return Ok();
}

const std::string& Database::path() const {
  static const std::string kNone;
  return impl_ ? impl_->path : kNone;
}
std::string Database::cipher_version() const { return impl_ ? impl_->cipher_version : std::string(); }
std::string Database::sqlite_version() const { return sqlite3_libversion(); }

}  // namespace wathiq::storage
