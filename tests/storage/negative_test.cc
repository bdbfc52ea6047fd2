// storage: wrong keys, damaged and hostile files, the sqlcipher shell, and the database key sealed at rest.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "storage/storage_test_util.h"
#include "test_util.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/sealed_secret.h"
#include "wathiq/keys/secret_text.h"
#include "wathiq/storage/database.h"

namespace wathiq::storage {
namespace {

using test::Contains;
using test::kArabicName;
using test::kLatinName;
using test::OpenOk;
using test::ReadRaw;
using test::TempDir;
using test::WriteRaw;

constexpr Migration kSchema[] = {
    {1, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
};

// A database with enough rows to span many pages, closed cleanly (WAL checkpointed into the main file).
void MakePopulated(const std::string& path, const SecureBuffer& key, int rows = 300) {
  Database db = OpenOk(path, key);
  REQUIRE_OK(db.Migrate(kSchema));
  auto tx = db.Begin();
  REQUIRE_OK(tx);
  auto st = db.Prepare("INSERT INTO people (id, name) VALUES (?1, ?2)");
  REQUIRE_OK(st);
  for (int i = 0; i < rows; ++i) {
    REQUIRE_OK(st->BindInt64(1, i));
    REQUIRE_OK(st->BindText(2, i % 2 ? kArabicName : kLatinName));
    REQUIRE_OK(st->Run());
  }
  REQUIRE_OK(tx->Commit());
  REQUIRE_OK(db.Close());
}

// Every row read back, or the first error.
Status ReadAll(Database& db) {
  WQ_ASSIGN(Statement st, db.Prepare("SELECT id, name FROM people"));
  while (true) {
    WQ_ASSIGN(bool row, st.Step());
    if (!row) return Ok();
  }
}

TEST_CASE("a wrong key is kPermission, names no key material, and leaves the file alone", "[storage][negative]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "k.db";
  MakePopulated(path, key);
  std::string before = ReadRaw(path);
  SecureBuffer wrong = GenerateDatabaseKey();
  auto db = Database::Open(path, wrong);
  REQUIRE_FALSE(db);
  CHECK(db.error().code == Errc::kPermission);
  CHECK(Contains(db.error().message, "wrong key"));
  CHECK_FALSE(Contains(db.error().message, test::KeyHex(wrong)));
  CHECK_FALSE(Contains(db.error().message, test::KeyHex(key)));
  CHECK(ReadRaw(path) == before);
  // One flipped key bit is as wrong as any other key.
  SecureBuffer near(key.view());
  near.data()[31] ^= 1;
  CHECK(Database::Open(path, near).error().code == Errc::kPermission);
  // A key of the wrong size never reaches SQLCipher.
  SecureBuffer short_key(16);
  CHECK(Database::Open(path, short_key).error().code == Errc::kInvalidArgument);
  // The right key still works.
  Database ok = OpenOk(path, key);
  REQUIRE_OK(ReadAll(ok));
}

TEST_CASE("missing, empty, plaintext and truncated files give clear errors", "[storage][negative]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();

  SECTION("missing file with kOpenExisting") {
    auto db = Database::Open(dir / "none.db", key, {.mode = OpenMode::kOpenExisting});
    REQUIRE_FALSE(db);
    CHECK(db.error().code == Errc::kNotFound);
    CHECK_FALSE(std::filesystem::exists(dir / "none.db"));
  }
  SECTION("a directory") {
    CHECK(Database::Open(dir.path(), key).error().code == Errc::kInvalidArgument);
  }
  SECTION("a plaintext SQLite database is refused, not used") {
    std::string path = dir / "plain.db";
    auto r = wathiq::test::RunShell("sqlcipher " + path + " \"CREATE TABLE t (x); INSERT INTO t VALUES ('Mohammad');\"");
    REQUIRE(r.rc == 0);
    REQUIRE(Contains(ReadRaw(path), "SQLite format 3"));
    auto db = Database::Open(path, key);
    REQUIRE_FALSE(db);
    CHECK(db.error().code == Errc::kUnsupported);
    CHECK(Contains(db.error().message, "unencrypted"));
  }
  SECTION("truncated inside a page") {
    std::string path = dir / "trunc.db";
    MakePopulated(path, key);
    std::string bytes = ReadRaw(path);
    REQUIRE(bytes.size() > 3 * 4096);
    for (size_t size : {size_t{100}, size_t{4095}, size_t{5000}, bytes.size() - 1}) {
      WriteRaw(path, std::string_view(bytes).substr(0, size));
      auto db = Database::Open(path, key);
      INFO("size " << size);
      if (db) {
        // SQLCipher may read page 1 of a file cut after it: the damage must then surface as an error.
        CHECK_FALSE(db->CheckIntegrity());
      } else {
        CHECK(db.error().code == Errc::kMalformed);
        CHECK(Contains(db.error().message, "truncated"));
      }
    }
  }
  SECTION("truncated on a page boundary: reads or the integrity check fail, never a crash") {
    std::string path = dir / "pages.db";
    MakePopulated(path, key, 2000);
    std::string bytes = ReadRaw(path);
    WriteRaw(path, std::string_view(bytes).substr(0, bytes.size() / 2 / 4096 * 4096));
    auto db = Database::Open(path, key);
    if (!db) {
      CHECK(db.error().code == Errc::kMalformed);
      return;
    }
    Status all = ReadAll(*db);
    Status integrity = db->CheckIntegrity();
    CHECK((!all || !integrity));
    if (!integrity) CHECK(integrity.error().code == Errc::kMalformed);
  }
  SECTION("a damaged page fails its HMAC") {
    std::string path = dir / "flip.db";
    MakePopulated(path, key, 2000);
    std::string bytes = ReadRaw(path);
    REQUIRE(bytes.size() > 6 * 4096);
    bytes[5 * 4096 + 100] ^= 0x01;
    WriteRaw(path, bytes);
    Database db = OpenOk(path, key);
    auto integrity = db.CheckIntegrity();
    REQUIRE_FALSE(integrity);
    CHECK(integrity.error().code == Errc::kMalformed);
    auto all = ReadAll(db);
    REQUIRE_FALSE(all);
    CHECK(all.error().code == Errc::kMalformed);
  }
  SECTION("an empty existing file is refused when a database is expected") {
    std::string path = dir / "empty.db";
    WriteRaw(path, "");
    auto db = Database::Open(path, key, {.mode = OpenMode::kOpenExisting});
    REQUIRE_FALSE(db);
    CHECK(db.error().code == Errc::kMalformed);
  }
}

TEST_CASE("fuzz-ish: random bytes opened as a database fail cleanly and are not modified", "[storage][negative][fuzz]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::mt19937_64 rng(0x5715ab1e);
  std::string path = dir / "random.db";
  for (int i = 0; i < 120; ++i) {
    size_t size;
    switch (i % 4) {
      case 0: size = rng() % 64; break;
      case 1: size = 4096 * (1 + rng() % 4); break;  // page-aligned: looks like a database of another key
      case 2: size = 1 + rng() % (5 * 4096); break;
      default: size = 4096 * (1 + rng() % 2) + rng() % 16; break;
    }
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (i % 10 == 9 && size >= 100) std::memcpy(bytes.data(), "SQLite format 3\0", 16);  // claims plain SQLite
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    WriteRaw(path, bytes);
    auto db = Database::Open(path, key, {.mode = OpenMode::kOpenExisting});
    INFO("case " << i << ", " << size << " bytes");
    if (size == 0) {
      CHECK_FALSE(db);
    } else {
      REQUIRE_FALSE(db);
      CHECK((db.error().code == Errc::kPermission || db.error().code == Errc::kMalformed ||
             db.error().code == Errc::kUnsupported));
    }
    CHECK(ReadRaw(path) == bytes);
  }
}

// Runs the sqlcipher shell on `path` with the key given as SQLCipher's raw-key literal, through a script
// file (never on the command line, where every user could read it from /proc).
wathiq::test::ShellRun ShellSelect(const TempDir& dir, const std::string& path, const std::string& key_hex) {
  std::string script = dir / "script.sql";
  WriteRaw(script, "PRAGMA key = \"x'" + key_hex + "'\";\nSELECT 'rows=' || count(*) FROM people;\n"
                   "SELECT name FROM people WHERE id = 1;\n");
  chmod(script.c_str(), 0600);
  auto r = wathiq::test::RunShell("sqlcipher -batch -bail " + path + " < " + script);
  std::filesystem::remove(script);
  return r;
}

TEST_CASE("the sqlcipher shell opens the file only with the right key", "[storage][shell]") {
  REQUIRE(wathiq::test::RunShell("command -v sqlcipher").rc == 0);  // scripts/bootstrap.sh installs it
  auto version = wathiq::test::RunShell("echo 'PRAGMA cipher_version;' | sqlcipher -batch");
  INFO(version.text);
  REQUIRE(Contains(version.text, "4.6"));

  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  std::string path = dir / "shell.db";
  MakePopulated(path, key);

  auto good = ShellSelect(dir, path, test::KeyHex(key));
  INFO(good.text);
  CHECK(good.rc == 0);
  CHECK(Contains(good.text, "rows=300"));
  CHECK(Contains(good.text, std::string(kArabicName)));  // id 1 is an Arabic row: UTF-8 as stored

  SecureBuffer wrong = GenerateDatabaseKey();
  auto bad = ShellSelect(dir, path, test::KeyHex(wrong));
  INFO(bad.text);
  CHECK(bad.rc != 0);
  CHECK(Contains(bad.text, "file is not a database"));
  CHECK_FALSE(Contains(bad.text, "rows="));

  // Without any key the shell sees no database either.
  auto none = wathiq::test::RunShell("sqlcipher -batch -bail " + path + " 'SELECT count(*) FROM people;'");
  CHECK(none.rc != 0);
  CHECK(Contains(none.text, "file is not a database"));
}

TEST_CASE("the database key: random, sealed at rest under a passphrase, never in the sealed file", "[storage][keys]") {
  TempDir dir;
  SecureBuffer key = GenerateDatabaseKey();
  SecureBuffer other = GenerateDatabaseKey();
  REQUIRE(key.size() == kDatabaseKeyBytes);
  CHECK_FALSE(ConstantTimeEqual(key.view(), other.view()));

  std::string key_path = dir / "registry.key";
  auto pass = keys::SecretText::FromString("correct horse battery staple");
  keys::SecretSealOptions opts;
  opts.kdf = keys::KdfParams::Min();
  opts.label = "issuer registry";
  REQUIRE_OK(keys::WriteSealedSecretFile(key_path, key, pass, opts));
  struct stat st {};
  REQUIRE(stat(key_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // Never replaced by accident.
  CHECK(keys::WriteSealedSecretFile(key_path, other, pass, opts).error().code == Errc::kState);

  std::string sealed = ReadRaw(key_path);
  CHECK_FALSE(Contains(sealed, AsString(key.view())));
  CHECK_FALSE(Contains(sealed, test::KeyHex(key)));
  auto info = keys::InspectSealedSecret(AsBytes(sealed));
  REQUIRE_OK(info);
  CHECK(info->label == "issuer registry");
  CHECK(info->secret_size == 32);

  std::string db_path = dir / "registry.db";
  {
    Database db = OpenOk(db_path, key);
    REQUIRE_OK(db.Migrate(kSchema));
    REQUIRE_OK(db.Execute("INSERT INTO people (id, name) VALUES (1, 'x');"));
  }
  auto unsealed = keys::OpenSealedSecretFile(key_path, pass);
  REQUIRE_OK(unsealed);
  CHECK(ConstantTimeEqual(unsealed->view(), key.view()));
  Database db = OpenOk(db_path, *unsealed, {.mode = OpenMode::kOpenExisting});
  CHECK(*db.SchemaVersion() == 1);

  auto wrong = keys::OpenSealedSecretFile(key_path, keys::SecretText::FromString("wrong"));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::kPermission);

  std::string damaged = sealed;
  damaged[damaged.size() / 2] ^= 0x40;
  CHECK(keys::UnsealSecret(AsBytes(damaged), pass).error().code == Errc::kMalformed);
  CHECK(keys::UnsealSecret(AsBytes(sealed.substr(0, 40)), pass).error().code == Errc::kMalformed);
  CHECK(keys::UnsealSecret(AsBytes(std::string("WQSKEY") + sealed.substr(6)), pass).error().code ==
        Errc::kMalformed);
  CHECK(keys::SealSecret(key, keys::SecretText::FromString("")).error().code == Errc::kInvalidArgument);
  CHECK(keys::SealSecret(SecureBuffer(), pass).error().code == Errc::kInvalidArgument);
}

}  // namespace
}  // namespace wathiq::storage
