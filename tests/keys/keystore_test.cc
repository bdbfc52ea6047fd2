#include "wathiq/keys/keystore.h"

#include <sodium.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "keys_test_util.h"

using namespace wathiq;
using namespace wathiq::keys;
using test::FileBytes;
using test::TempDir;

namespace {

SealOptions Fast(std::string label = "test") {
  SealOptions o;
  o.kdf = KdfParams::Min();
  o.label = std::move(label);
  o.created_at = 1767225600;
  return o;
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

// Rewrites the trailing checksum so that a deliberately edited file passes the integrity check and reaches
// the check under test.
void FixChecksum(Bytes& f) {
  Bytes sum = Sha256(ByteView(f.data(), f.size() - 32));
  std::copy(sum.begin(), sum.end(), f.end() - 32);
}

}  // namespace

TEST_CASE("sealed keystore round-trips ES256 and Ed25519 keys", "[keys][keystore]") {
  TempDir dir;
  auto pass = SecretText::FromString("a long passphrase for the root");
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    DYNAMIC_SECTION(AlgName(alg)) {
      auto key = KeyHandle::GenerateSoftware(alg, "agency-ds");
      REQUIRE(key);
      std::string path = dir / (std::string(AlgName(alg)) + ".wqk");
      REQUIRE(WriteSealedKeyFile(path, *key, pass, Fast("agency-ds")));
      CHECK(test::FileMode(path) == 0600);

      Bytes file = FileBytes(path);
      CHECK(LooksLikeSealedKey(file));
      auto info = InspectSealedKey(file);
      REQUIRE(info);
      CHECK(info->alg == alg);
      CHECK(info->label == "agency-ds");
      CHECK(info->key_id == key->key_id());
      CHECK(info->public_key == key->cached_public_key());
      CHECK(info->created_at == 1767225600);
      CHECK(info->kdf.opslimit == KdfParams::Min().opslimit);

      // The secret never appears in the file.
      auto secret = ExportSoftwareSecretForSealing(*key->inner());
      REQUIRE(secret);
      CHECK_FALSE(test::Contains(file, *secret));
      SecureWipe(*secret);

      auto opened = OpenSealedKeyFile(path, pass);
      REQUIRE(opened);
      CHECK(opened->key_id() == key->key_id());
      CHECK(opened->label() == "agency-ds");
      Bytes msg(100, 7);
      auto sig = opened->Sign(msg);
      REQUIRE(sig);
      CHECK(key->verifier().Verify(msg, *sig));
      // Only the key file remains: no temporary file left behind.
      CHECK(CountEntries(dir.path()) == 1);
    }
  }
}

TEST_CASE("the interactive preset works end to end", "[keys][keystore]") {
  auto key = KeyHandle::GenerateSoftware(Alg::kEdDSA);
  REQUIRE(key);
  auto pass = SecretText::FromString("interactive");
  SealOptions o;
  o.kdf = KdfParams::Interactive();
  auto sealed = SealKey(*key, pass, o);
  REQUIRE(sealed);
  auto info = InspectSealedKey(*sealed);
  REQUIRE(info);
  CHECK(info->kdf.memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
  auto opened = UnsealKey(*sealed, pass);
  REQUIRE(opened);
  CHECK(opened->key_id() == key->key_id());
}

TEST_CASE("wrong passphrase and damaged files fail clearly and leave the file untouched",
          "[keys][keystore][negative]") {
  TempDir dir;
  auto key = KeyHandle::GenerateSoftware(Alg::kES256, "root");
  REQUIRE(key);
  std::string path = dir / "root.wqk";
  auto pass = SecretText::FromString("right passphrase");
  REQUIRE(WriteSealedKeyFile(path, *key, pass, Fast("root")));
  const Bytes original = FileBytes(path);

  SECTION("wrong passphrase") {
    auto r = OpenSealedKeyFile(path, SecretText::FromString("wrong passphrase"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kPermission);
    CHECK_THAT(r.error().message, Catch::Contains("wrong passphrase"));
    CHECK(FileBytes(path) == original);
    // A failed passphrase change leaves the file as it was, too.
    auto ch = ChangeSealedKeyPassphrase(path, SecretText::FromString("nope"), SecretText::FromString("new"),
                                        KdfParams::Min());
    REQUIRE_FALSE(ch);
    CHECK(ch.error().code == Errc::kPermission);
    CHECK(FileBytes(path) == original);
  }

  SECTION("each damaged byte is reported as damage, and opening never writes") {
    // Header, KDF params, salt, nonce, metadata, ciphertext, tag, checksum.
    for (size_t off : {size_t{3}, size_t{12}, size_t{25}, size_t{45}, size_t{80}, original.size() - 40,
                       original.size() - 33, original.size() - 1}) {
      Bytes damaged = original;
      damaged[off] ^= 0x20;
      test::WriteBytes(path, damaged);
      auto r = OpenSealedKeyFile(path, pass);
      REQUIRE_FALSE(r);
      INFO("offset " << off << ": " << r.error().ToString());
      CHECK(r.error().code == Errc::kMalformed);
      CHECK(FileBytes(path) == damaged);
    }
  }

  SECTION("a header edit with a recomputed checksum is caught by the AEAD") {
    Bytes edited = original;
    edited[edited.size() - 40] ^= 1;  // inside the ciphertext
    FixChecksum(edited);
    auto r = UnsealKey(edited, pass);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kPermission);
    Bytes salt_edit = original;
    salt_edit[30] ^= 1;  // inside the salt: derives another key
    FixChecksum(salt_edit);
    CHECK_FALSE(UnsealKey(salt_edit, pass));
  }

  SECTION("hostile KDF parameters are refused before any derivation") {
    Bytes hostile = original;
    // memlimit is the u64 at offset 14: ask for 1 TiB.
    uint64_t tib = uint64_t{1} << 40;
    for (int i = 0; i < 8; ++i) hostile[14 + i] = static_cast<uint8_t>(tib >> (56 - 8 * i));
    FixChecksum(hostile);
    auto r = UnsealKey(hostile, pass);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kLimit);
  }

  SECTION("a rewritten header cannot make an open cost more than the strongest preset we write") {
    // The old reader accepted up to opslimit 16 and 2 GiB: each open attempt of such a file ran Argon2id at
    // that cost before the AEAD could reject the edit. Anything above Sensitive is refused up front now.
    auto rewrite = [&](uint64_t ops, uint64_t mem) {
      Bytes h = original;
      for (int i = 0; i < 4; ++i) h[10 + i] = static_cast<uint8_t>(ops >> (24 - 8 * i));  // u32 at offset 10
      for (int i = 0; i < 8; ++i) h[14 + i] = static_cast<uint8_t>(mem >> (56 - 8 * i));  // u64 at offset 14
      FixChecksum(h);
      return h;
    };
    const uint64_t sens_ops = KdfParams::Sensitive().opslimit, sens_mem = KdfParams::Sensitive().memlimit;
    const uint64_t min_ops = KdfParams::Min().opslimit, min_mem = KdfParams::Min().memlimit;
    struct Case {
      uint64_t ops, mem;
    };
    for (Case c : {Case{16, uint64_t{2} << 30}, Case{sens_ops + 1, min_mem}, Case{min_ops, sens_mem + 1024}}) {
      INFO("opslimit " << c.ops << ", memlimit " << c.mem);
      Bytes hostile = rewrite(c.ops, c.mem);
      auto info = InspectSealedKey(hostile);  // the header itself is well formed
      REQUIRE(info);
      CHECK(info->kdf.opslimit == c.ops);
      auto t0 = std::chrono::steady_clock::now();
      auto r = UnsealKey(hostile, pass);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::kLimit);
      CHECK_THAT(r.error().message, Catch::Contains("strongest preset"));
      CHECK(secs < 0.5);  // no derivation ran
      test::WriteBytes(path, hostile);
      auto f = OpenSealedKeyFile(path, pass);
      REQUIRE_FALSE(f);
      CHECK(f.error().code == Errc::kLimit);
    }
    // The presets themselves stay within the limits (Min is opened by every other test here).
    OpenLimits d;
    CHECK(KdfParams::Sensitive().opslimit <= d.max_opslimit);
    CHECK(KdfParams::Sensitive().memlimit <= d.max_memlimit);
    CHECK(KdfParams::Moderate().memlimit <= d.max_memlimit);
    // Sealing above them is refused too: we never write a file a default reader refuses.
    SealOptions too_strong = Fast("root");
    too_strong.kdf = {sens_ops + 1, min_mem};
    auto sealed = SealKey(*key, pass, too_strong);
    REQUIRE_FALSE(sealed);
    CHECK(sealed.error().code == Errc::kLimit);
  }

  SECTION("truncated, foreign and future-version files") {
    CHECK(UnsealKey(ByteView(original.data(), 40), pass).error().code == Errc::kMalformed);
    CHECK(UnsealKey(AsBytes("-----BEGIN PRIVATE KEY-----"), pass).error().code == Errc::kMalformed);
    Bytes v2 = original;
    v2[7] = 2;
    FixChecksum(v2);
    CHECK(UnsealKey(v2, pass).error().code == Errc::kUnsupported);
  }
}

TEST_CASE("keystore writes are atomic and do not replace by accident", "[keys][keystore]") {
  TempDir dir;
  auto k1 = KeyHandle::GenerateSoftware(Alg::kES256);
  auto k2 = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(k1);
  REQUIRE(k2);
  auto pass = SecretText::FromString("pass");
  std::string path = dir / "k.wqk";
  REQUIRE(WriteSealedKeyFile(path, *k1, pass, Fast()));
  const Bytes first = FileBytes(path);
  auto again = WriteSealedKeyFile(path, *k2, pass, Fast());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kState);
  CHECK(FileBytes(path) == first);
  CHECK(CountEntries(dir.path()) == 1);

  REQUIRE(WriteSealedKeyFile(path, *k2, pass, Fast(), WriteMode::kReplace));
  auto opened = OpenSealedKeyFile(path, pass);
  REQUIRE(opened);
  CHECK(opened->key_id() == k2->key_id());
  CHECK(CountEntries(dir.path()) == 1);

  SECTION("passphrase change") {
    REQUIRE(ChangeSealedKeyPassphrase(path, pass, SecretText::FromString("new pass"), KdfParams::Min()));
    CHECK(OpenSealedKeyFile(path, pass).error().code == Errc::kPermission);
    auto reopened = OpenSealedKeyFile(path, SecretText::FromString("new pass"));
    REQUIRE(reopened);
    CHECK(reopened->key_id() == k2->key_id());
    CHECK(test::FileMode(path) == 0600);
  }
  SECTION("refusals") {
    CHECK(SealKey(*k1, SecretText::FromString(""), Fast()).error().code == Errc::kInvalidArgument);
    CHECK(WriteSealedKeyFile(dir / "missing-dir/k.wqk", *k1, pass, Fast()).error().code == Errc::kIo);
    CHECK(OpenSealedKeyFile(dir / "absent.wqk", pass).error().code == Errc::kNotFound);
  }
}
