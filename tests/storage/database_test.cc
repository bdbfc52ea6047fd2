// storage: SQLCipher files on disk, encrypted, keyed raw, migrated, transactional.
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "storage/storage_test_util.h"
#include "test_util.h"
#include "wathiq/keys/backup.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/storage/database.h"

namespace wathiq::storage {
namespace {

using test::Contains;
using test::kArabicName;
using test::kLatinName;
using test::OpenOk;
using test::ReadRaw;
using test::TempDir;

constexpr Migration kPeopleSchema[] = {
    {1, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, photo BLOB);"},
};

void InsertPerson(Database& db, int64_t id, std::string_view name) {
  auto st = db.Prepare("INSERT INTO people (id, name) VALUES (?1, ?2)");
  REQUIRE_OK(st);
  REQUIRE_OK(st->BindInt64(1, id));
  REQUIRE_OK(st->BindText(2, name));
  REQUIRE_OK(st->Run());
}

int64_t CountPeople(Database& db) {
  auto st = db.Prepare("SELECT count(*) FROM people");
  REQUIRE_OK(st);
  auto row = st->Step();
  REQUIRE_OK(row);
  REQUIRE(*row);
  auto n = st->ColumnInt64(0);
  REQUIRE_OK(n);
  return *n;
}

std::string PragmaText(Database& db, Sql pragma) {
  auto st = db.Prepare(pragma);
  REQUIRE_OK(st);
  auto row = st->Step();
  REQUIRE_OK(row);
  REQUIRE(*row);
  if (st->ColumnTypeAt(0) == ColumnType::kInteger) return std::to_string(*st->ColumnInt64(0));
  auto t = st->ColumnText(0);
  REQUIRE_OK(t);
  return *t;
}

TEST_CASE("SQLCipher 4, not plain SQLite, answers in a process that also loads Botan and libsqlite3",
          "[storage][trap]") {
  // Make Botan do real work so its shared library (and the libsqlite3 it depends on) is loaded and used.
  auto key = keys::KeyHandle::GenerateSoftware(Alg::kEdDSA);
  REQUIRE_OK(key);
  auto shares = keys::SplitKeyForBackup(*key, 2, 3);
  REQUIRE_OK(shares);
  std::string maps = ReadRaw("/proc/self/maps");
  CHECK(Contains(maps, "libbotan-2"));
  CHECK(Contains(maps, "libsqlite3.so"));  // the trap's precondition is really present

  TempDir dir;
  SecureBuffer dbkey = GenerateDatabaseKey();
  Database db = OpenOk(dir / "trap.db", dbkey);
  INFO(db.cipher_version());
  CHECK(db.cipher_version().rfind("4.6", 0) == 0);
  CHECK(db.sqlite_version() == "3.46.1");
  CHECK(PragmaText(db, "PRAGMA cipher_version") == db.cipher_version());
  // Features bookworm's SQLCipher 3.4.1 (SQLite 3.15) lacks.
  REQUIRE_OK(db.Migrate(kPeopleSchema));
  auto st = db.Prepare("INSERT INTO people (id, name) VALUES (1, 'x') RETURNING json_extract('{\"a\":7}', '$.a')");
  REQUIRE_OK(st);
  REQUIRE(*st->Step());
  CHECK(*st->ColumnInt64(0) == 7);
}

TEST_CASE("pinned cipher and connection settings, file mode 0600", "[storage]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "settings.db";
  Database db = OpenOk(path, key);
  CHECK(PragmaText(db, "PRAGMA cipher_page_size") == "4096");
  CHECK(PragmaText(db, "PRAGMA cipher_hmac_algorithm") == "HMAC_SHA512");
  CHECK(PragmaText(db, "PRAGMA cipher_kdf_algorithm") == "PBKDF2_HMAC_SHA512");
  CHECK(PragmaText(db, "PRAGMA cipher_plaintext_header_size") == "0");
  CHECK(PragmaText(db, "PRAGMA journal_mode") == "wal");
  CHECK(PragmaText(db, "PRAGMA synchronous") == "2");  // FULL
  CHECK(PragmaText(db, "PRAGMA secure_delete") == "1");
  CHECK(PragmaText(db, "PRAGMA temp_store") == "2");  // MEMORY
  CHECK(PragmaText(db, "PRAGMA foreign_keys") == "1");
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::string head = ReadRaw(path).substr(0, 16);
  CHECK(head != std::string("SQLite format 3\0", 16));
}

TEST_CASE("the file and its WAL hold no claim value in plaintext (Arabic and Latin)", "[storage][plaintext]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "claims.db";
  // The scanner itself finds the strings when they are there.
  test::WriteRaw(dir / "control.txt", std::string("xx") + std::string(kArabicName) + std::string(kLatinName));
  REQUIRE(Contains(ReadRaw(dir / "control.txt"), kArabicName));
  {
    Database db = OpenOk(path, key);
    REQUIRE_OK(db.Migrate(kPeopleSchema));
    auto tx = db.Begin();
    REQUIRE_OK(tx);
    for (int i = 0; i < 200; ++i) {
      InsertPerson(db, 2 * i, kArabicName);
      InsertPerson(db, 2 * i + 1, kLatinName);
    }
    REQUIRE_OK(tx->Commit());
    // While open, the committed rows sit in the WAL: scan it and the main file.
    std::string wal = ReadRaw(path + "-wal");
    std::string main = ReadRaw(path);
    INFO("wal " << wal.size() << " bytes, main " << main.size() << " bytes");
    REQUIRE(wal.size() > 8 * 4096);
    CHECK_FALSE(Contains(wal, kArabicName));
    CHECK_FALSE(Contains(wal, kLatinName));
    CHECK_FALSE(Contains(wal, "Mohammad"));
    CHECK_FALSE(Contains(main, kArabicName));
    CHECK_FALSE(Contains(main, kLatinName));
    // After a checkpoint everything is in the main file.
    REQUIRE_OK(db.Checkpoint());
    REQUIRE_OK(db.Close());
  }
  std::string main = ReadRaw(path);
  REQUIRE(main.size() >= 5 * 4096);
  CHECK_FALSE(Contains(main, kArabicName));
  CHECK_FALSE(Contains(main, kLatinName));
  CHECK_FALSE(Contains(main, "Mohammad"));
  CHECK_FALSE(Contains(main, "people"));  // not even the schema
  CHECK_FALSE(Contains(main, "SQLite format 3"));
  // And the rows are all there.
  Database db = OpenOk(path, key, {.mode = OpenMode::kOpenExisting});
  CHECK(CountPeople(db) == 400);
}

TEST_CASE("Arabic and arbitrary bytes round-trip byte for byte", "[storage]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "roundtrip.db";
  const std::vector<std::string> texts = {
      std::string(kArabicName),
      "عبدالرَّحْمٰن",                                      // harakat (combining marks), not normalized away
      "\u200f\u0645\u0631\u064a\u0645 \u200e(Maryam)",  // RLM/LRM marks, mixed direction
      "٠١٢٣٤٥٦٧٨٩",                                     // Arabic-Indic digits
      "ﻻ",                                              // presentation form stays a presentation form
      std::string("nul\0inside", 10),
      "",
  };
  Bytes blob(256);
  for (int i = 0; i < 256; ++i) blob[i] = static_cast<uint8_t>(i);
  {
    Database db = OpenOk(path, key);
    REQUIRE_OK(db.Migrate(kPeopleSchema));
    for (size_t i = 0; i < texts.size(); ++i) {
      auto st = db.Prepare("INSERT INTO people (id, name, photo) VALUES (?1, ?2, ?3)");
      REQUIRE_OK(st);
      REQUIRE_OK(st->BindInt64(1, static_cast<int64_t>(i)));
      REQUIRE_OK(st->BindText(2, texts[i]));
      REQUIRE_OK(i == 0 ? st->BindBlob(3, Bytes{}) : st->BindBlob(3, blob));
      REQUIRE_OK(st->Run());
    }
  }
  Database db = OpenOk(path, key);
  auto st = db.Prepare("SELECT id, name, photo FROM people ORDER BY id");
  REQUIRE_OK(st);
  size_t n = 0;
  while (true) {
    auto row = st->Step();
    REQUIRE_OK(row);
    if (!*row) break;
    size_t i = static_cast<size_t>(*st->ColumnInt64(0));
    auto name = st->ColumnText(1);
    REQUIRE_OK(name);
    CHECK(*name == texts[i]);
    CHECK(name->size() == texts[i].size());
    auto photo = st->ColumnBlob(2);
    REQUIRE_OK(photo);  // an empty blob is a blob, not NULL
    CHECK(*photo == (i == 0 ? Bytes{} : blob));
    ++n;
  }
  CHECK(n == texts.size());
}

TEST_CASE("statements: typed binds and strict typed reads", "[storage]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  Database db = OpenOk(dir / "types.db", key);
  REQUIRE_OK(db.Execute("CREATE TABLE t (k INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB) STRICT;"));
  auto ins = db.Prepare("INSERT INTO t (k, i, s, b) VALUES (?1, ?2, ?3, ?4)");
  REQUIRE_OK(ins);
  REQUIRE_OK(ins->BindInt64(1, 1));
  REQUIRE_OK(ins->BindInt64(2, INT64_MIN));
  REQUIRE_OK(ins->BindNull(3));
  REQUIRE_OK(ins->BindNull(4));
  REQUIRE_OK(ins->Run());
  CHECK(db.LastInsertRowId() == 1);
  CHECK(db.Changes() == 1);
  REQUIRE_OK(ins->BindInt64(1, 2));
  REQUIRE_OK(ins->BindInt64(2, INT64_MAX));
  REQUIRE_OK(ins->Run());
  // A constraint violation is an error value (kState), not a crash or an exception.
  REQUIRE_OK(ins->BindInt64(1, 2));
  auto dup = ins->Run();
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::kState);
  // Binding a parameter that does not exist.
  CHECK_FALSE(ins->BindInt64(9, 1));

  auto sel = db.Prepare("SELECT i, s, b FROM t WHERE k = ?1");
  REQUIRE_OK(sel);
  REQUIRE_OK(sel->BindInt64(1, 1));
  REQUIRE(*sel->Step());
  CHECK(*sel->ColumnInt64(0) == INT64_MIN);
  CHECK(sel->ColumnIsNull(1));
  CHECK(sel->ColumnText(1).error().code == Errc::kState);  // NULL is not text
  CHECK(sel->ColumnText(0).error().code == Errc::kState);  // no silent int -> text conversion
  CHECK(sel->ColumnBlob(0).error().code == Errc::kState);
  CHECK(sel->ColumnInt64(7).error().code == Errc::kInvalidArgument);
  CHECK_FALSE(*sel->Step());
  REQUIRE_OK(sel->Reset());
  REQUIRE_OK(sel->BindInt64(1, 2));
  REQUIRE(*sel->Step());
  CHECK(*sel->ColumnInt64(0) == INT64_MAX);

  // Run() refuses a query; Prepare takes exactly one statement.
  auto q = db.Prepare("SELECT 1");
  REQUIRE_OK(q);
  CHECK(q->Run().error().code == Errc::kState);
  CHECK(db.Prepare("SELECT 1; SELECT 2").error().code == Errc::kInvalidArgument);
  REQUIRE_OK(db.Prepare("SELECT 1;  \n"));
  CHECK_FALSE(db.Prepare("SELEKT 1"));
  // A value that looks like SQL is only ever data.
  REQUIRE_OK(ins->BindInt64(1, 3));
  REQUIRE_OK(ins->BindText(3, "x'); DROP TABLE t; --"));
  REQUIRE_OK(ins->Run());
  auto count = db.Prepare("SELECT count(*) FROM t");
  REQUIRE_OK(count);
  REQUIRE(*count->Step());
  CHECK(*count->ColumnInt64(0) == 3);
}

TEST_CASE("transactions: rollback leaves nothing, commit is kept, one at a time", "[storage]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "tx.db";
  {
    Database db = OpenOk(path, key);
    REQUIRE_OK(db.Migrate(kPeopleSchema));
    {
      auto tx = db.Begin();
      REQUIRE_OK(tx);
      CHECK(tx->active());
      InsertPerson(db, 1, kArabicName);
      CHECK(CountPeople(db) == 1);
      // Only one transaction per connection.
      auto second = db.Begin();
      REQUIRE_FALSE(second);
      CHECK(second.error().code == Errc::kState);
    }  // destroyed without Commit: rolled back
    CHECK(CountPeople(db) == 0);
    {
      auto tx = db.Begin();
      REQUIRE_OK(tx);
      InsertPerson(db, 2, kLatinName);
      REQUIRE_OK(tx->Rollback());
      CHECK_FALSE(tx->active());
      CHECK(tx->Commit().error().code == Errc::kState);
    }
    CHECK(CountPeople(db) == 0);
    {
      auto tx = db.Begin();
      REQUIRE_OK(tx);
      InsertPerson(db, 3, kLatinName);
      REQUIRE_OK(tx->Commit());
      CHECK(tx->Commit().error().code == Errc::kState);
    }
    CHECK(CountPeople(db) == 1);
    // A failing statement inside a transaction: the caller's early return rolls the whole unit back.
    auto unit = [&]() -> Status {
      WQ_ASSIGN(Transaction tx, db.Begin());
      InsertPerson(db, 4, kArabicName);
      WQ_ASSIGN(Statement st, db.Prepare("INSERT INTO people (id, name) VALUES (3, 'duplicate id')"));
      WQ_TRY(st.Run());
      return tx.Commit();
    };
    CHECK(unit().error().code == Errc::kState);
    CHECK(CountPeople(db) == 1);
    // A transaction left open when the process "stops" (the Database is dropped first) is not committed.
    auto tx = db.Begin();
    REQUIRE_OK(tx);
    InsertPerson(db, 5, kArabicName);
    db = Database(std::move(*Database::Open(path, key)));  // the old connection closes with tx still alive
    CHECK(CountPeople(db) == 1);
  }
  Database db = OpenOk(path, key);
  CHECK(CountPeople(db) == 1);
}

TEST_CASE("a second connection waits for the writer (busy timeout) and sees only committed data", "[storage]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "two.db";
  Database a = OpenOk(path, key);
  REQUIRE_OK(a.Migrate(kPeopleSchema));
  Database b = OpenOk(path, key, {.mode = OpenMode::kOpenExisting, .busy_timeout_ms = 50});
  auto tx = a.Begin();
  REQUIRE_OK(tx);
  InsertPerson(a, 1, kLatinName);
  CHECK(CountPeople(b) == 0);  // WAL: readers see the last commit
  auto blocked = b.Begin();    // the write lock is held by a: busy after the timeout, an error not a hang
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error().code == Errc::kState);
  REQUIRE_OK(tx->Commit());
  CHECK(CountPeople(b) == 1);
  REQUIRE_OK(b.Begin());
}

constexpr Migration kV1[] = {
    {1, "CREATE TABLE agency (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
};
constexpr Migration kV3[] = {
    {1, "CREATE TABLE agency (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
    {2,
     "CREATE TABLE document (id INTEGER PRIMARY KEY, agency INTEGER NOT NULL REFERENCES agency(id));"
     "CREATE INDEX document_agency ON document(agency);"},
    {3, "ALTER TABLE agency ADD COLUMN name_ar TEXT;"},
};

TEST_CASE("migrations: fresh, upgrade, refuse a newer schema, roll back a failing step", "[storage][migrations]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();

  SECTION("fresh database to the latest version") {
    Database db = OpenOk(dir / "fresh.db", key);
    CHECK(*db.SchemaVersion() == 0);
    REQUIRE_OK(db.Migrate(kV3));
    CHECK(*db.SchemaVersion() == 3);
    REQUIRE_OK(db.Execute("INSERT INTO agency (id, name, name_ar) VALUES (1, 'Civil Registry', 'السجل المدني');"));
    REQUIRE_OK(db.Migrate(kV3));  // idempotent
    CHECK(*db.SchemaVersion() == 3);
  }
  SECTION("upgrade keeps the data and applies only the new steps") {
    std::string path = dir / "upgrade.db";
    {
      Database db = OpenOk(path, key);
      REQUIRE_OK(db.Migrate(kV1));
      REQUIRE_OK(db.Execute("INSERT INTO agency (id, name) VALUES (7, 'Traffic');"));
      CHECK(*db.SchemaVersion() == 1);
    }
    Database db = OpenOk(path, key);
    REQUIRE_OK(db.Migrate(kV3));
    CHECK(*db.SchemaVersion() == 3);
    auto st = db.Prepare("SELECT name, name_ar FROM agency WHERE id = 7");
    REQUIRE_OK(st);
    REQUIRE(*st->Step());
    CHECK(*st->ColumnText(0) == "Traffic");
    CHECK(st->ColumnIsNull(1));
    // Foreign keys are on: a document of an unknown agency is refused.
    CHECK(db.Execute("INSERT INTO document (id, agency) VALUES (1, 99);").error().code == Errc::kState);
  }
  SECTION("a database from a newer program is refused and left alone") {
    std::string path = dir / "newer.db";
    {
      Database db = OpenOk(path, key);
      REQUIRE_OK(db.Migrate(kV3));
      REQUIRE_OK(db.Checkpoint());
    }
    std::string before = ReadRaw(path);
    {
      Database db = OpenOk(path, key);
      auto r = db.Migrate(kV1);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kUnsupported);
      CHECK(Contains(r.error().message, "newer"));
      CHECK(*db.SchemaVersion() == 3);
    }
    CHECK(ReadRaw(path).size() == before.size());
  }
  SECTION("a bad migration list is refused") {
    Database db = OpenOk(dir / "bad.db", key);
    constexpr Migration gap[] = {{1, "CREATE TABLE a (x);"}, {3, "CREATE TABLE b (x);"}};
    CHECK(db.Migrate(gap).error().code == Errc::kInvalidArgument);
    CHECK(*db.SchemaVersion() == 0);
  }
  SECTION("a failing step is rolled back whole; earlier steps stay") {
    Database db = OpenOk(dir / "fail.db", key);
    constexpr Migration broken[] = {
        {1, "CREATE TABLE a (x);"},
        {2, "CREATE TABLE b (x); INSERT INTO a VALUES (1); CREATE TABLE a (y);"},  // third statement fails
    };
    auto r = db.Migrate(broken);
    REQUIRE_FALSE(r);
    CHECK(Contains(r.error().message, "version 2"));
    CHECK(*db.SchemaVersion() == 1);
    CHECK_FALSE(db.Prepare("SELECT * FROM b"));  // b was rolled back with the step
    auto st = db.Prepare("SELECT count(*) FROM a");
    REQUIRE_OK(st);
    REQUIRE(*st->Step());
    CHECK(*st->ColumnInt64(0) == 0);
  }
}

}  // namespace
}  // namespace wathiq::storage
