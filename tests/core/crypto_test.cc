#include "wathiq/core/crypto.h"

#include "test_util.h"

using namespace wathiq;
using test::Hex;

TEST_CASE("SHA-256, HMAC and HKDF known answers", "[crypto][kat]") {
  CHECK(ToHex(Sha256(AsBytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  CHECK(ToHex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 5869 test case 1.
  auto okm = HkdfSha256(Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm);
  CHECK(ToHex(*okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("ECDH on P-256 agrees both ways", "[crypto]") {
  auto a = GenerateSoftwareSigner(Alg::kES256);
  auto b = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(a);
  REQUIRE(b);
  auto sa = ExportSoftwareSecretForSealing(**a);
  auto sb = ExportSoftwareSecretForSealing(**b);
  REQUIRE(sa);
  REQUIRE(sb);
  auto ab = EcdhP256(*sa, *(*b)->public_key());
  auto ba = EcdhP256(*sb, *(*a)->public_key());
  REQUIRE(ab);
  REQUIRE(ba);
  CHECK(*ab == *ba);
}

TEST_CASE("software signers reload from their exported secret", "[crypto]") {
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    auto s = GenerateSoftwareSigner(alg);
    REQUIRE(s);
    auto secret = ExportSoftwareSecretForSealing(**s);
    REQUIRE(secret);
    auto again = SoftwareSignerFromSecret(alg, *secret);
    REQUIRE(again);
    CHECK(*(*again)->public_key() == *(*s)->public_key());
    auto v = MakeVerifier(*(*s)->public_key());
    Bytes msg = {1, 2, 3};
    auto sig = (*again)->Sign(msg);
    REQUIRE(sig);
    CHECK(v.value()->Verify(msg, *sig).has_value());
  }
  CHECK(SoftwareSignerFromSecret(Alg::kES256, Bytes(32, 0)).error().code == Errc::kInvalidArgument);
  CHECK(SoftwareSignerFromSecret(Alg::kES256, Bytes(31, 1)).error().code == Errc::kInvalidArgument);
}

TEST_CASE("ECDSA accepts high-S - Ed25519 rejects non-canonical S", "[crypto][negative]") {
  auto s = GenerateSoftwareSigner(Alg::kES256);
  auto v = MakeVerifier(*(*s)->public_key());
  Bytes msg = {7};
  auto sig = (*s)->Sign(msg);
  REQUIRE(sig);
  // s' = n - s is the other valid signature.
  Bytes n = Hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  Bytes hs(32);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<size_t>(i)] - (*sig)[32 + static_cast<size_t>(i)] - borrow;
    borrow = d < 0;
    hs[static_cast<size_t>(i)] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  Bytes flipped = *sig;
  for (size_t i = 0; i < 32; ++i) flipped[32 + i] = hs[i];
  CHECK(v.value()->Verify(msg, flipped).has_value());

  auto e = GenerateSoftwareSigner(Alg::kEdDSA);
  auto ev = MakeVerifier(*(*e)->public_key());
  auto esig = (*e)->Sign(msg);
  REQUIRE(esig);
  CHECK(ev.value()->Verify(msg, *esig).has_value());
  // S + L (the group order) is the same scalar mod L but not canonical.
  Bytes l = Hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");  // little-endian L
  Bytes big = *esig;
  int carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    int sum = big[32 + i] + l[i] + carry;
    big[32 + i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
  }
  CHECK(ev.value()->Verify(msg, big).error().code == Errc::kBadSignature);
  CHECK(v.value()->Verify(msg, Bytes(63, 1)).error().code == Errc::kBadSignature);
}

TEST_CASE("public keys: SPKI round trip and rejection of bad points", "[crypto]") {
  for (Alg alg : {Alg::kES256, Alg::kES384, Alg::kEdDSA}) {
    auto s = GenerateSoftwareSigner(alg);
    auto pub = (*s)->public_key();
    auto spki = pub->ToSpki();
    REQUIRE(spki);
    auto back = PublicKey::FromSpki(*spki);
    REQUIRE(back);
    CHECK(*back == *pub);
  }
  Bytes off_curve(65, 1);
  off_curve[0] = 4;
  CHECK(PublicKey::FromRaw(Curve::kP256, off_curve).error().code == Errc::kMalformed);
  CHECK(PublicKey::FromRaw(Curve::kP256, Bytes(33, 2)).error().code == Errc::kMalformed);
  CHECK(PublicKey::FromSpki(Bytes{0x30, 0x00}).error().code == Errc::kMalformed);
}

TEST_CASE("hex and base64 helpers reject junk", "[crypto]") {
  CHECK(FromHex("0").error().code == Errc::kMalformed);
  CHECK(FromHex("zz").error().code == Errc::kMalformed);
  CHECK(Base64UrlDecode("a+b/").error().code == Errc::kMalformed);
  CHECK(ToHex(*Base64UrlDecode("AQID")) == "010203");
  CHECK(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 3}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1}));
}
