#include "wathiq/keys/key_handle.h"

#include <catch2/catch.hpp>

#include "keys_test_util.h"
#include "wathiq/keys/secret_text.h"

using namespace wathiq;
using namespace wathiq::keys;

namespace {
Bytes Msg(std::string_view s) { return Bytes(s.begin(), s.end()); }
}  // namespace

TEST_CASE("software key handles sign and verify with core verifiers", "[keys][handle]") {
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    DYNAMIC_SECTION(AlgName(alg)) {
      auto k = KeyHandle::GenerateSoftware(alg, "unit");
      REQUIRE(k);
      CHECK(k->alg() == alg);
      CHECK(k->curve() == (alg == Alg::kES256 ? Curve::kP256 : Curve::kEd25519));
      CHECK(k->source() == KeySource::kSoftware);
      CHECK(k->label() == "unit");
      REQUIRE(k->key_id().size() == 16);
      auto id = KeyIdForPublicKey(k->cached_public_key());
      REQUIRE(id);
      CHECK(*id == k->key_id());
      CHECK(k->spki() == *k->cached_public_key().ToSpki());
      REQUIRE(k->SelfTest());

      Bytes msg = Msg("hello wathiq");
      auto sig = k->Sign(msg);
      REQUIRE(sig);
      CHECK(sig->size() == 64);  // r||s for P-256, RFC 8032 for Ed25519
      auto v = MakeVerifier(*k->public_key());
      REQUIRE(v);
      CHECK((*v)->Verify(msg, *sig));
      // A different message, or a flipped signature bit, does not verify.
      Bytes other = Msg("hello wathiQ");
      auto bad = (*v)->Verify(other, *sig);
      REQUIRE_FALSE(bad);
      CHECK(bad.error().code == Errc::kBadSignature);
      Bytes flipped = *sig;
      flipped[10] ^= 1;
      CHECK_FALSE((*v)->Verify(msg, flipped));
    }
  }
}

TEST_CASE("a key handle is stable across copies and reloads from its secret", "[keys][handle]") {
  auto k = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(k);
  KeyHandle copy = *k;
  CHECK(copy.key_id() == k->key_id());
  CHECK(&copy.cached_public_key() == &k->cached_public_key());  // cached once, shared

  auto secret = ExportSoftwareSecretForSealing(*k->inner());
  REQUIRE(secret);
  auto again = KeyHandle::SoftwareFromSecret(Alg::kES256, *secret);
  SecureWipe(*secret);
  REQUIRE(again);
  CHECK(again->key_id() == k->key_id());
}

TEST_CASE("wrong key and algorithm mismatch are rejected", "[keys][handle][negative]") {
  auto a = KeyHandle::GenerateSoftware(Alg::kES256);
  auto b = KeyHandle::GenerateSoftware(Alg::kES256);
  auto e = KeyHandle::GenerateSoftware(Alg::kEdDSA);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(e);
  CHECK(a->key_id() != b->key_id());
  Bytes msg = Msg("document");
  auto sig = a->Sign(msg);
  REQUIRE(sig);

  SECTION("wrong key") {
    auto st = b->verifier().Verify(msg, *sig);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::kBadSignature);
  }
  SECTION("a P-256 key cannot make an EdDSA verifier, nor an Ed25519 key an ES256 one") {
    auto v1 = MakeVerifier(a->cached_public_key(), Alg::kEdDSA);
    REQUIRE_FALSE(v1);
    CHECK(v1.error().code == Errc::kInvalidArgument);
    auto v2 = MakeVerifier(e->cached_public_key(), Alg::kES256);
    REQUIRE_FALSE(v2);
  }
  SECTION("an Ed25519 signature does not verify as ES256 and vice versa") {
    auto esig = e->Sign(msg);
    REQUIRE(esig);
    CHECK_FALSE(a->verifier().Verify(msg, *esig));
    CHECK_FALSE(e->verifier().Verify(msg, *sig));
  }
  SECTION("an empty handle refuses to sign") {
    KeyHandle empty;
    CHECK_FALSE(empty.valid());
    auto s = empty.Sign(msg);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::kState);
  }
}

TEST_CASE("SecretText reads files and env without keeping newlines", "[keys][secret]") {
  test::TempDir dir;
  test::WriteBytes(dir / "pass", AsBytes("correct horse\r\n"));
  auto s = SecretText::FromFile(dir / "pass");
  REQUIRE(s);
  CHECK(s->text() == "correct horse");
  CHECK(s->Equals(SecretText::FromString("correct horse")));
  CHECK_FALSE(s->Equals(SecretText::FromString("correct horsE")));

  auto missing = SecretText::FromFile(dir / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kNotFound);

  setenv("WATHIQ_TEST_SECRET", "pin-1234", 1);
  auto env = SecretText::FromEnv("WATHIQ_TEST_SECRET");
  REQUIRE(env);
  CHECK(env->text() == "pin-1234");
  unsetenv("WATHIQ_TEST_SECRET");
  CHECK_FALSE(SecretText::FromEnv("WATHIQ_TEST_SECRET"));

  test::WriteBytes(dir / "big", Bytes(5000, 'x'));
  auto big = SecretText::FromFile(dir / "big");
  REQUIRE_FALSE(big);
  CHECK(big.error().code == Errc::kLimit);
}
