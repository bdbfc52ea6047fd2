// Wathiq storage: one encrypted SQLCipher 4 database file, opened with a raw 256-bit key.
//
// Guarantees:
//  - Every database is SQLCipher-encrypted with a raw key (`x'<64 hex>'` through sqlite3_key_v2; the text
//    is built and wiped in sodium_malloc'd memory, no PBKDF2, no passphrase in SQL) and pinned settings:
//    cipher_compatibility 4, 4096-byte pages, HMAC-SHA512, PBKDF2-HMAC-SHA512 (set on every open).
//  - Open refuses a process whose `sqlite3_*` symbols are not SQLCipher 4 (the Botan/libsqlite3 trap in
//    design/DEPENDENCIES.md: PRAGMA cipher_version must answer, before the key is given), refuses a plain
//    SQLite file, and after keying reads the file's first bytes back to check they are not plaintext.
//  - Wrong key: kPermission (reason wrong_key_or_damaged). A file whose size is not a whole number of pages,
//    or an empty file where a database must exist (kOpenExisting): kMalformed (reason database_truncated).
//    A damaged page read later: kMalformed (CheckIntegrity: reason database_damaged). Never a crash, and a
//    failed Open never writes to the file.
//  - SQLCipher is linked statically into every executable that links this library (CMake target
//    wathiq_sqlcipher), so a libsqlite3 loaded by Botan cannot take over its symbols.
//  - Durability: WAL with synchronous=FULL (a committed transaction survives power loss), secure_delete on,
//    temp_store in memory, foreign keys enforced, a busy timeout.
//  - SQL text comes only from string literals in our code (the Sql type below cannot be built at run
//    time); every value goes through a typed bind.
//
// The seam for PostgreSQL: this API is the SQLite implementation. Components keep their SQL inside a small
// repository class of their own (e.g. the issuer's registry) behind an interface that speaks in domain
// terms; a PostgreSQL back end implements that interface with libpq, it does not emulate Database. So only
// these types (Database, Transaction, Statement, Migration) name SQLite concepts, and none of SQLite's or
// SQLCipher's types appear here.
//
// Thread-safety: a Database, its Statements and its Transaction are used by one thread at a time (move the
// object across threads freely). For parallel readers open one Database per thread; SQLite's file locking
// and the busy timeout serialize writers across connections and processes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"
#include "wathiq/core/secure_buffer.h"

namespace wathiq::storage {

inline constexpr size_t kDatabaseKeyBytes = 32;

// A fresh random database key (libsodium's CSPRNG) in secure memory. Seal it at rest with
// keys::WriteSealedSecretFile (or wrap it with a token or device keystore); never derive it from a PIN.
SecureBuffer GenerateDatabaseKey();

// SQL text that can only come from a string literal: the constructor is consteval, so a std::string or a
// runtime buffer does not compile. Values are always bound, never spliced.
class Sql {
 public:
  template <size_t N>
  consteval Sql(const char (&literal)[N]) : text_(literal, N - 1) {}  // NOLINT: implicit on purpose
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

// One schema step. Versions start at 1 and go up by one; `sql` may hold several statements.
struct Migration {
  int version;
  Sql sql;
};

enum class OpenMode {
  kOpenExisting,  // kNotFound if the file is not there
  kCreateOrOpen,  // creates an empty encrypted database (mode 0600) if missing
};

struct OpenOptions {
  OpenMode mode = OpenMode::kCreateOrOpen;
  int busy_timeout_ms = 5000;
};

enum class ColumnType { kNull, kInteger, kFloat, kText, kBlob };

// A prepared statement. Parameters are 1-based (`?1`, `?2`, ...); columns are 0-based. Column reads are
// strict: reading an integer column as text (or a NULL as anything) is kState, not a silent conversion.
class Statement {
 public:
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Status BindInt64(int index, int64_t value);
  Status BindText(int index, std::string_view utf8);  // bytes stored as given (no normalization)
  Status BindBlob(int index, ByteView bytes);
  Status BindNull(int index);
  Status ClearBindings();

  // true: a row is ready to read; false: the statement has finished.
  Result<bool> Step();
  // Steps to the end; kState if the statement produced a row (use Step for queries).
  Status Run();
  // Back to before the first Step, bindings kept.
  Status Reset();

  int ColumnCount() const;
  ColumnType ColumnTypeAt(int column) const;
  bool ColumnIsNull(int column) const { return ColumnTypeAt(column) == ColumnType::kNull; }
  Result<int64_t> ColumnInt64(int column) const;
  Result<std::string> ColumnText(int column) const;
  Result<Bytes> ColumnBlob(int column) const;

 private:
  friend class Database;
  struct Impl;
  explicit Statement(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// BEGIN IMMEDIATE on construction (the write lock is taken up front, so a transaction never fails half way
// with SQLITE_BUSY on its first write); rolled back on destruction unless Commit succeeded. With WAL and
// synchronous=FULL, a successful Commit is durable.
class [[nodiscard]] Transaction {
 public:
  Transaction(Transaction&& o) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status Commit();
  Status Rollback();
  bool active() const;

 private:
  friend class Database;
  struct Impl;
  explicit Transaction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Database {
 public:
  // `key` must be exactly kDatabaseKeyBytes random bytes. The key is copied into SQLCipher (which wipes it
  // on close); the caller keeps and wipes its own buffer.
  static Result<Database> Open(const std::string& path, const SecureBuffer& key, const OpenOptions& options = {});

  Database(Database&& o) noexcept;
  Database& operator=(Database&& o) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();  // rolls back an open transaction, closes

  // Applies, in order, every migration above the file's PRAGMA user_version, each in its own IMMEDIATE
  // transaction together with the new user_version. kUnsupported if the file's schema is newer than the
  // last migration (an older program must not write a newer schema); kInvalidArgument if the list does not
  // count 1, 2, 3, ... A failing step rolls back that step and leaves the earlier ones applied.
  Status Migrate(std::span<const Migration> migrations);
  Result<int> SchemaVersion();

  Result<Transaction> Begin();
  Result<Statement> Prepare(Sql sql);
  // One or more statements without parameters (schema changes, fixed maintenance).
  Status Execute(Sql sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;  // rows changed by the last INSERT/UPDATE/DELETE

  // Full check: every page's HMAC (PRAGMA cipher_integrity_check) and SQLite's b-tree check
  // (quick_check). Reads the whole file; call it after a restore or a crash, not on every open.
  Status CheckIntegrity();
  // Copies the WAL into the main file and truncates the WAL.
  Status Checkpoint();
  // A consistent snapshot of this database into a new file at `path` (SQLite's online backup API, one read
  // transaction, so other connections and processes keep writing meanwhile), encrypted with `key` and the
  // same pinned settings, integrity-checked, checkpointed and fsynced. kState if `path` exists or a
  // Transaction is open here; on any failure the new file is removed.
  Status BackupTo(const std::string& path, const SecureBuffer& key);
  // Closes now, reporting an error the destructor would have to swallow.
  Status Close();

  const std::string& path() const;
  std::string cipher_version() const;  // e.g. "4.6.1 community"
  std::string sqlite_version() const;  // the SQLite core inside SQLCipher, e.g. "3.46.1"

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wathiq::storage
