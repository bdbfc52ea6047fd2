#include "wathiq/core/cose.h"

#include <filesystem>

#include "test_util.h"

using namespace wathiq;
using test::Hex;

namespace {

Curve CurveFromJwk(const std::string& crv) {
  if (crv == "P-256") return Curve::kP256;
  if (crv == "P-384") return Curve::kP384;
  if (crv == "P-521") return Curve::kP521;
  if (crv == "Ed25519") return Curve::kEd25519;
  if (crv == "Ed448") return Curve::kEd448;
  FAIL("unknown curve " << crv);
  return Curve::kP256;
}

Bytes B64(const nlohmann::json& j) {
  auto b = Base64UrlDecode(j.get<std::string>());
  REQUIRE(b);
  return *b;
}

PublicKey KeyFromJwk(const nlohmann::json& jwk) {
  Curve c = CurveFromJwk(jwk["crv"]);
  Bytes raw;
  if (jwk.contains("x_hex")) {
    raw = Hex(jwk["x_hex"].get<std::string>());
  } else {
    raw = {0x04};
    Bytes x = B64(jwk["x"]), y = B64(jwk["y"]);
    raw.insert(raw.end(), x.begin(), x.end());
    raw.insert(raw.end(), y.begin(), y.end());
  }
  auto k = PublicKey::FromRaw(c, raw);
  REQUIRE(k);
  return *k;
}

Alg AlgFromName(const std::string& n) {
  if (n == "ES256") return Alg::kES256;
  if (n == "ES384") return Alg::kES384;
  if (n == "ES512") return Alg::kES512;
  return Alg::kEdDSA;
}

}  // namespace

TEST_CASE("COSE WG Sign1 examples pass or fail exactly as they say", "[cose][kat]") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::DataPath("cose"))) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto j = test::ReadJson(entry.path().string());
    const auto& sign0 = j["input"]["sign0"];
    bool expect_fail = j.value("fail", false);
    INFO(entry.path().filename().string() << ": " << j.value("title", ""));
    PublicKey key = KeyFromJwk(sign0["key"]);
    auto verifier = MakeVerifier(key, AlgFromName(sign0["alg"]));
    REQUIRE(verifier);

    cose::VerifyOptions opts;
    if (sign0.contains("external")) opts.external_aad = Hex(sign0["external"].get<std::string>());
    // sign-pass-01 carries alg only in the unprotected bucket: accepted only when the caller allows it.
    bool alg_unprotected = !sign0.contains("protected");
    opts.allow_unprotected_alg = alg_unprotected;

    Bytes cbor_bytes = Hex(j["output"]["cbor"].get<std::string>());
    auto msg = cose::ParseSign1(cbor_bytes);
    Status result = msg ? cose::VerifySign1(*msg, **verifier, opts) : Status(Fail(msg.error()));
    CHECK(result.has_value() == !expect_fail);
    if (!result) INFO(result.error().ToString());

    if (msg && alg_unprotected) {
      cose::VerifyOptions strict = opts;
      strict.allow_unprotected_alg = false;
      auto r = cose::VerifySign1(*msg, **verifier, strict);
      REQUIRE_FALSE(r);
      CHECK_THAT(r.error().message, Catch::Contains("only in the unprotected header"));
    }
  }
  CHECK(files == 15);
}

TEST_CASE("COSE WG failures fail for the stated reason", "[cose][negative][kat]") {
  auto load = [](const char* name) {
    auto j = test::ReadJson(test::DataPath(std::string("cose/") + name));
    return cose::ParseSign1(Hex(j["output"]["cbor"].get<std::string>()));
  };
  auto f1 = load("sign-fail-01.json");
  REQUIRE_FALSE(f1);
  CHECK_THAT(f1.error().message, Catch::Contains("unexpected tag 998"));
  auto f3 = load("sign-fail-03.json");
  REQUIRE(f3);
  CHECK(f3->GetAlg().error().code == Errc::kUnsupported);
  auto f4 = load("sign-fail-04.json");
  REQUIRE(f4);
  CHECK(f4->GetAlg().error().code == Errc::kUnsupported);
}

TEST_CASE("EdDSA signing reproduces eddsa-sig-01 byte for byte", "[cose][kat]") {
  auto j = test::ReadJson(test::DataPath("cose/eddsa-sig-01.json"));
  const auto& sign0 = j["input"]["sign0"];
  auto signer = SoftwareSignerFromSecret(Alg::kEdDSA, Hex(sign0["key"]["d_hex"].get<std::string>()));
  REQUIRE(signer);
  cose::BuildOptions o;
  o.protected_extra.Set(cose::kHdrContentType, cbor::Value::Uint(0));
  o.unprotected.Set(cose::kHdrKid, cbor::Value::Bytes(AsBytes("11")));
  o.tagged = true;
  auto out = cose::SignSign1(**signer, AsBytes(j["input"]["plaintext"].get<std::string>()), o);
  REQUIRE(out);
  std::string expected = j["output"]["cbor"].get<std::string>();
  for (auto& c : expected) c = static_cast<char>(std::tolower(c));
  CHECK(ToHex(*out) == expected);
}

TEST_CASE("Sign1 round trips: attached, detached, external AAD, every algorithm", "[cose]") {
  const std::string text = "payload";
  Bytes payload(text.begin(), text.end());
  Bytes aad = {1, 2, 3};
  for (Alg alg : {Alg::kES256, Alg::kEdDSA, Alg::kES384, Alg::kES512}) {
    INFO(AlgName(alg));
    auto signer = GenerateSoftwareSigner(alg);
    REQUIRE(signer);
    auto pub = (*signer)->public_key();
    REQUIRE(pub);
    auto verifier = MakeVerifier(*pub);
    REQUIRE(verifier);

    cose::BuildOptions o;
    o.external_aad = aad;
    o.protected_extra.Set(cose::kHdrKid, cbor::Value::Bytes(Bytes{9, 9}));
    auto bytes = cose::SignSign1(**signer, payload, o);
    REQUIRE(bytes);
    auto msg = cose::ParseSign1(*bytes);
    REQUIRE(msg);
    CHECK(msg->kid() == Bytes{9, 9});
    cose::VerifyOptions v;
    v.external_aad = aad;
    CHECK(cose::VerifySign1(*msg, **verifier, v).has_value());
    // Wrong external AAD, changed payload, changed signature: all fail as bad signatures.
    cose::VerifyOptions wrong_aad;
    CHECK(cose::VerifySign1(*msg, **verifier, wrong_aad).error().code == Errc::kBadSignature);
    auto changed = *msg;
    changed.payload->back() ^= 1;
    CHECK(cose::VerifySign1(changed, **verifier, v).error().code == Errc::kBadSignature);
    changed = *msg;
    changed.signature[3] ^= 1;
    CHECK(cose::VerifySign1(changed, **verifier, v).error().code == Errc::kBadSignature);

    o.detached = true;
    o.tagged = true;
    auto det = cose::SignSign1(**signer, payload, o);
    REQUIRE(det);
    CHECK((*det)[0] == 0xd2);  // tag 18
    auto dmsg = cose::ParseSign1(*det);
    REQUIRE(dmsg);
    CHECK_FALSE(dmsg->payload.has_value());
    CHECK(cose::VerifySign1(*dmsg, **verifier, v).error().code == Errc::kInvalidArgument);  // payload missing
    v.detached_payload = payload;
    CHECK(cose::VerifySign1(*dmsg, **verifier, v).has_value());
  }
}

TEST_CASE("alg must match the verifier's key", "[cose][negative]") {
  auto es = GenerateSoftwareSigner(Alg::kES256);
  auto ed = GenerateSoftwareSigner(Alg::kEdDSA);
  REQUIRE(es);
  REQUIRE(ed);
  auto es_pub = (*es)->public_key();
  REQUIRE(es_pub);
  CHECK(MakeVerifier(*es_pub, Alg::kEdDSA).error().code == Errc::kInvalidArgument);
  auto ed_verifier = MakeVerifier(*(*ed)->public_key());
  REQUIRE(ed_verifier);
  Bytes payload = {1};
  auto msg = cose::BuildSign1(**es, payload);
  REQUIRE(msg);
  auto r = cose::VerifySign1(*msg, **ed_verifier);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  // A valid signature by another key of the same kind: bad signature.
  auto other = GenerateSoftwareSigner(Alg::kES256);
  auto other_verifier = MakeVerifier(*(*other)->public_key());
  CHECK(cose::VerifySign1(*msg, **other_verifier).error().code == Errc::kBadSignature);
}

TEST_CASE("unknown crit labels are rejected, known ones accepted", "[cose][negative]") {
  auto signer = GenerateSoftwareSigner(Alg::kES256);
  auto verifier = MakeVerifier(*(*signer)->public_key());
  Bytes payload = {1};
  cose::BuildOptions o;
  o.protected_extra.Set(cose::kHdrCrit, cbor::Value::MakeArray({cbor::Value::Int(-70000)}));
  o.protected_extra.Set(-70000, cbor::Value::Uint(1));
  auto msg = cose::BuildSign1(**signer, payload, o);
  REQUIRE(msg);
  auto r = cose::VerifySign1(*msg, **verifier);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kUnsupported);
  cose::VerifyOptions understood;
  understood.understood_crit = {-70000};
  CHECK(cose::VerifySign1(*msg, **verifier, understood).has_value());

  cose::BuildOptions k;
  k.protected_extra.Set(cose::kHdrCrit, cbor::Value::MakeArray({cbor::Value::Int(cose::kHdrKid)}));
  k.protected_extra.Set(cose::kHdrKid, cbor::Value::Bytes(Bytes{1}));
  auto kmsg = cose::BuildSign1(**signer, payload, k);
  REQUIRE(kmsg);
  CHECK(cose::VerifySign1(*kmsg, **verifier).has_value());
}

TEST_CASE("COSE_Sign1 shape errors are malformed", "[cose][negative]") {
  const char* bad[] = {
      "83404040",              // 3 elements
      "8440a0f640ff",          // trailing byte after the array
      "8441a0a040f6",          // signature nil
      "84a0a04040",            // protected is a map, not bstr
      "8443a10126a0014040",    // too many elements
      "8443a1012680f640",      // unprotected is an array
  };
  for (const char* hex : bad) {
    INFO(hex);
    auto m = cose::ParseSign1(Hex(hex));
    CHECK_FALSE(m.has_value());
  }
  // The same label in both buckets.
  auto both = cose::ParseSign1(Hex("8443a10126a1012640" "40"));
  REQUIRE_FALSE(both);
  CHECK_THAT(both.error().message, Catch::Contains("both buckets"));
}

TEST_CASE("COSE_Key EC2 and OKP round trip - bad keys are refused", "[cose]") {
  for (Alg alg : {Alg::kES256, Alg::kEdDSA, Alg::kES384}) {
    auto s = GenerateSoftwareSigner(alg);
    auto pub = (*s)->public_key();
    cbor::Value k = cose::CoseKeyFromPublicKey(*pub);
    auto back = cose::PublicKeyFromCoseKey(k);
    REQUIRE(back);
    CHECK(*back == *pub);
  }
  auto s = GenerateSoftwareSigner(Alg::kES256);
  cbor::Value k = cose::CoseKeyFromPublicKey(*(*s)->public_key());
  // Move the point off the curve.
  for (auto& [label, v] : k.map()) {
    if (label.AsInt() == -3) {
      Bytes y = v.bytes();
      y[31] ^= 1;
      v = cbor::Value::Bytes(y);
    }
  }
  CHECK(cose::PublicKeyFromCoseKey(k).error().code == Errc::kMalformed);
  CHECK(cose::PublicKeyFromCoseKey(cbor::Value::Uint(1)).error().code == Errc::kMalformed);
}
