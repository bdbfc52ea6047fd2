// Status-list tokens: the draft's example CWT, our profile signed and verified, and every refusal.
#include "test_util.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"
#include "wathiq/core/zlib.h"
#include "wathiq/status/token.h"

using namespace wathiq;
using namespace wathiq::status;
using cbor::Value;

namespace {

constexpr uint64_t kIat = 1767225600;  // 2026-01-01T00:00:00Z
constexpr const char* kUri = "https://status.paci.example/lists/1";

Bytes VectorHex(const std::string& name) {
  std::string text = test::ReadFile(test::DataPath("token-status-list/examples/" + name));
  std::string hex;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
  }
  return test::Hex(hex);
}

StatusListClaims Claims() {
  StatusListClaims c;
  c.sub = kUri;
  c.iat = kIat;
  c.ttl = 3600;
  c.exp = kIat + 86400;
  LogCheckpointRef cp;
  cp.origin = "log.wathiq.example/issuer";
  cp.size = 12345;
  for (size_t i = 0; i < 32; ++i) cp.root[i] = static_cast<uint8_t>(i);
  c.log_checkpoint = cp;
  return c;
}

struct Keys {
  std::unique_ptr<Signer> signer;
  std::unique_ptr<Verifier> verifier;
};
Keys MakeKeys(Alg alg) {
  auto s = GenerateSoftwareSigner(alg);
  REQUIRE(s);
  auto pk = (*s)->public_key();
  REQUIRE(pk);
  auto v = MakeVerifier(*pk, alg);
  REQUIRE(v);
  return {std::move(*s), std::move(*v)};
}

StatusList SampleList() {
  auto list = StatusList::Create(2, 131072);
  REQUIRE(list);
  REQUIRE(list->Set(7, kStatusInvalid));
  REQUIRE(list->Set(8, kStatusSuspended));
  REQUIRE(list->Set(9, 3));
  return std::move(*list);
}

// A hand-built token: our protected header around any claims map, for the negative cases.
Bytes SignRaw(const Signer& signer, const Value& claims, bool tagged = true, Value protected_extra = Value::MakeMap()) {
  if (protected_extra.map().empty()) {
    protected_extra.Set(cose::kHdrKid, Value::Bytes(AsBytes("k1")));
    protected_extra.Set(cose::kHdrType, Value::Text(std::string(kStatusListCwtType)));
  }
  cose::BuildOptions bo;
  bo.protected_extra = std::move(protected_extra);
  bo.tagged = tagged;
  auto t = cose::SignSign1(signer, cbor::Encode(claims), bo);
  REQUIRE(t);
  return *t;
}

Value ClaimsValue(uint64_t iat, uint64_t exp, uint64_t ttl, int bits, Bytes lst) {
  Value sl = Value::MakeMap();
  sl.Set("bits", Value::Uint(static_cast<uint64_t>(bits)));
  sl.Set("lst", Value::Bytes(std::move(lst)));
  Value cp = Value::MakeMap();
  cp.Set("origin", Value::Text("o"));
  cp.Set("size", Value::Uint(1));
  cp.Set("root", Value::Bytes(Bytes(32, 7)));
  Value c = Value::MakeMap();
  c.Set(kClaimSub, Value::Text(kUri));
  c.Set(kClaimIat, Value::Uint(iat));
  c.Set(kClaimExp, Value::Uint(exp));
  c.Set(kClaimTtl, Value::Uint(ttl));
  c.Set(kClaimStatusList, std::move(sl));
  c.Set(kClaimLogCheckpoint, std::move(cp));
  return c;
}

}  // namespace

TEST_CASE("the draft's example Status List Token (CWT) decodes with its claims", "[status][kat]") {
  Bytes token = VectorHex("status_list_cwt.md");
  // Strict by default: the example carries kid unprotected and no log checkpoint.
  auto strict = ParseStatusListToken(token);
  REQUIRE_FALSE(strict);
  CHECK_THAT(strict.error().message, Catch::Contains("kid"));

  ParseOptions relaxed;
  relaxed.allow_unprotected_kid = true;
  relaxed.require_log_checkpoint = false;
  auto t = ParseStatusListToken(token, relaxed);
  REQUIRE(t);
  CHECK(t->alg == Alg::kES256);
  CHECK(AsString(t->kid) == "12");
  CHECK(t->claims.sub == "https://example.com/statuslists/1");
  CHECK(t->claims.iat == 1686920170);
  CHECK(t->claims.exp == 2291720170);
  CHECK(t->claims.ttl == 43200);
  CHECK_FALSE(t->claims.aggregation_uri);
  CHECK_FALSE(t->claims.log_checkpoint);
  CHECK(t->list.bits() == 1);
  CHECK(t->list.packed() == Bytes{0xb9, 0xa3});
  CHECK(t->list.Get(0) == 1);
  CHECK(t->list.Get(1) == 0);
  CHECK(t->list.size() == 16);

  // The referenced token's example is a different type and is refused as a status list token.
  auto ref = ParseStatusListToken(VectorHex("referenced_token_cwt.md"), relaxed);
  REQUIRE_FALSE(ref);
}

TEST_CASE("our tokens: tag 18, protected alg/kid/typ, deterministic claims, round trip", "[status]") {
  for (Alg alg : {Alg::kEdDSA, Alg::kES256}) {
    INFO(AlgName(alg));
    Keys k = MakeKeys(alg);
    StatusList list = SampleList();
    auto token = SignStatusListToken(Claims(), list, *k.signer, AsBytes("status-kid-1"));
    REQUIRE(token);
    CHECK((*token)[0] == 0xd2);  // tag 18, never 61

    // The layout, read with the plain CBOR decoder.
    auto outer = cbor::Decode(*token);
    REQUIRE(outer);  // deterministic as a whole
    auto prot = cbor::Decode(outer->tagged().array()[0].bytes());
    REQUIRE(prot);
    CHECK(prot->map().size() == 3);
    CHECK(prot->Find(1)->AsInt() == static_cast<int64_t>(alg));
    CHECK(prot->Find(4)->bytes() == Bytes(AsBytes("status-kid-1").begin(), AsBytes("status-kid-1").end()));
    CHECK(prot->Find(16)->text() == "application/statuslist+cwt");
    CHECK(outer->tagged().array()[1].map().empty());
    auto claims = cbor::Decode(outer->tagged().array()[2].bytes());
    REQUIRE(claims);  // strict deterministic decode succeeds
    CHECK(claims->Find(65533)->Find("bits")->uint() == 2);
    CHECK(claims->Find("log_checkpoint")->Find("size")->uint() == 12345);

    auto v = VerifyStatusListToken(*token, *k.verifier);
    REQUIRE(v);
    CHECK(v->claims().sub == kUri);
    CHECK(v->claims().iat == kIat);
    CHECK(v->claims().exp == kIat + 86400);
    CHECK(v->claims().ttl == 3600);
    CHECK(v->claims().log_checkpoint == Claims().log_checkpoint);
    CHECK(v->list().packed() == list.packed());
    CHECK(AsString(v->kid()) == "status-kid-1");
    CHECK(v->alg() == alg);

    // Another key of the same algorithm: a bad signature, and the list is never read.
    Keys other = MakeKeys(alg);
    auto bad = VerifyStatusListToken(*token, *other.verifier);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::kBadSignature);
    // One flipped payload bit.
    Bytes tampered = *token;
    tampered[tampered.size() - 70] ^= 1;
    CHECK_FALSE(VerifyStatusListToken(tampered, *k.verifier));
  }
}

TEST_CASE("aggregation_uri round-trips", "[status]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  StatusListClaims c = Claims();
  c.aggregation_uri = "https://status.paci.example/aggregation";
  auto token = SignStatusListToken(c, SampleList(), *k.signer, AsBytes("k"));
  REQUIRE(token);
  auto v = VerifyStatusListToken(*token, *k.verifier);
  REQUIRE(v);
  CHECK(v->claims().aggregation_uri == c.aggregation_uri);
}

TEST_CASE("exp >= iat + ttl is enforced when signing and when parsing", "[status][negative]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  StatusListClaims c = Claims();
  c.exp = c.iat + c.ttl - 1;
  auto s = SignStatusListToken(c, SampleList(), *k.signer, AsBytes("k"));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::kInvalidArgument);
  c.exp = c.iat + c.ttl;  // exactly at the boundary is allowed
  CHECK(SignStatusListToken(c, SampleList(), *k.signer, AsBytes("k")));
  c.exp = c.iat - 1;
  c.ttl = 0;
  CHECK_FALSE(SignStatusListToken(c, SampleList(), *k.signer, AsBytes("k")));
  // Missing checkpoint, empty sub, empty kid.
  StatusListClaims nocp = Claims();
  nocp.log_checkpoint.reset();
  CHECK_FALSE(SignStatusListToken(nocp, SampleList(), *k.signer, AsBytes("k")));
  StatusListClaims nosub = Claims();
  nosub.sub.clear();
  CHECK_FALSE(SignStatusListToken(nosub, SampleList(), *k.signer, AsBytes("k")));
  CHECK_FALSE(SignStatusListToken(Claims(), SampleList(), *k.signer, ByteView{}));

  Bytes lst = zlib::Deflate(Bytes(16, 0));
  Bytes parse_bad = SignRaw(*k.signer, ClaimsValue(1000, 1000 + 3599, 3600, 2, lst));
  auto r = VerifyStatusListToken(parse_bad, *k.verifier);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("iat + ttl"));
  CHECK(VerifyStatusListToken(SignRaw(*k.signer, ClaimsValue(1000, 1000 + 3600, 3600, 2, lst)), *k.verifier));
  // Overflow does not help: iat near 2^64 with a large ttl.
  CHECK_FALSE(VerifyStatusListToken(SignRaw(*k.signer, ClaimsValue(UINT64_MAX - 5, UINT64_MAX, 100, 2, lst)), *k.verifier));
}

TEST_CASE("token shapes outside the profile are refused", "[status][negative]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  Bytes lst = zlib::Deflate(Bytes(16, 0));
  Value good = ClaimsValue(kIat, kIat + 7200, 3600, 2, lst);
  REQUIRE(VerifyStatusListToken(SignRaw(*k.signer, good), *k.verifier));

  SECTION("untagged") {
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, good, false)));
  }
  SECTION("wrapped in the CWT tag 61") {
    auto inner = cbor::Decode(SignRaw(*k.signer, good));
    REQUIRE(inner);
    Bytes wrapped = cbor::Encode(Value::Tag(61, *inner));
    auto r = ParseStatusListToken(wrapped);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("61"));
  }
  SECTION("wrong or missing type") {
    Value prot = Value::MakeMap();
    prot.Set(cose::kHdrKid, Value::Bytes(AsBytes("k1")));
    prot.Set(cose::kHdrType, Value::Text("application/statuslist+jwt"));
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, good, true, prot)));
    Value nokind = Value::MakeMap();
    nokind.Set(cose::kHdrKid, Value::Bytes(AsBytes("k1")));
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, good, true, nokind)));
  }
  SECTION("bits outside 1, 2, 4, 8") {
    for (int bits : {0, 3, 5, 16}) CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, ClaimsValue(kIat, kIat + 7200, 3600, bits, lst))));
  }
  SECTION("a missing claim or a claim of the wrong type") {
    for (int64_t key : {kClaimSub, kClaimIat, kClaimExp, kClaimTtl, kClaimStatusList}) {
      Value c = Value::MakeMap();
      for (const auto& [kk, vv] : good.map()) {
        if (kk.AsInt() != key) c.Set(kk, vv);
      }
      INFO(key);
      CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, c)));
      c.Set(key, Value::Text("x"));
      if (key != kClaimSub) CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, c)));
    }
    Value c = Value::MakeMap();
    for (const auto& [kk, vv] : good.map()) {
      if (kk.AsText() == nullptr) c.Set(kk, vv);
    }
    auto r = ParseStatusListToken(SignRaw(*k.signer, c));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("log_checkpoint"));
  }
  SECTION("a checkpoint with a short root or a size of 2^63") {
    Value c = good;
    for (auto& [kk, vv] : c.map()) {
      if (kk.AsText()) vv.map()[2].second = Value::Bytes(Bytes(31, 0));
    }
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, c)));
    Value d = good;
    for (auto& [kk, vv] : d.map()) {
      if (kk.AsText()) vv.map()[1].second = Value::Uint(uint64_t{1} << 63);
    }
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, d)));
  }
  SECTION("an unknown status_list member") {
    Value c = good;
    c.map()[4].second.Set("extra", Value::Uint(1));
    CHECK_FALSE(ParseStatusListToken(SignRaw(*k.signer, c)));
  }
  SECTION("trailing bytes") {
    Bytes t = SignRaw(*k.signer, good);
    t.push_back(0);
    CHECK_FALSE(ParseStatusListToken(t));
  }
}

TEST_CASE("a token carrying a zlib bomb is refused after the signature check, with bounded output", "[status][negative]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  Bytes bomb = zlib::Deflate(Bytes(size_t{64} << 20, 0), 9);  // 64 MiB of zeros in ~64 KB
  Bytes token = SignRaw(*k.signer, ClaimsValue(kIat, kIat + 7200, 3600, 2, bomb));
  auto r = VerifyStatusListToken(token, *k.verifier);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kLimit);
  // Under another key the bomb is never inflated: the signature fails first.
  Keys other = MakeKeys(Alg::kEdDSA);
  auto r2 = VerifyStatusListToken(token, *other.verifier);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == Errc::kBadSignature);
}

TEST_CASE("a token whose lst inflates beyond the declared list size is refused", "[status][negative]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  ParseOptions declared;
  declared.max_entries = 131072;  // 32,768 bytes at 2 bits
  Bytes ok = SignRaw(*k.signer, ClaimsValue(kIat, kIat + 7200, 3600, 2, zlib::Deflate(Bytes(32768, 0))));
  CHECK(VerifyStatusListToken(ok, *k.verifier, declared));
  Bytes over = SignRaw(*k.signer, ClaimsValue(kIat, kIat + 7200, 3600, 2, zlib::Deflate(Bytes(32769, 0))));
  auto r = VerifyStatusListToken(over, *k.verifier, declared);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kLimit);
  CHECK_THAT(r.error().message, Catch::Contains("131072 entries"));
}

TEST_CASE("CheckStatus: each answer, expiry and the wrong list", "[status]") {
  Keys k = MakeKeys(Alg::kEdDSA);
  auto token = SignStatusListToken(Claims(), SampleList(), *k.signer, AsBytes("k"));
  REQUIRE(token);
  auto v = VerifyStatusListToken(*token, *k.verifier);
  REQUIRE(v);
  const int64_t now = kIat + 100;
  auto at = [&](uint64_t idx, int64_t t = kIat + 100) {
    auto a = CheckStatus(*v, kUri, idx, t);
    REQUIRE(a);
    return *a;
  };
  CHECK(at(0).outcome == StatusOutcome::kValid);
  CHECK(at(7).outcome == StatusOutcome::kInvalid);
  CHECK(at(8).outcome == StatusOutcome::kSuspended);
  CHECK(at(9).outcome == StatusOutcome::kOther);
  CHECK(at(9).value == 3);
  CHECK(at(131071).outcome == StatusOutcome::kValid);
  CHECK(at(131072).outcome == StatusOutcome::kIndexOutOfRange);
  CHECK(at(UINT64_MAX).outcome == StatusOutcome::kIndexOutOfRange);
  // Past exp the list says nothing, even for a revoked entry; at exp exactly, too.
  CHECK(at(7, kIat + 86400).outcome == StatusOutcome::kUnknown);
  CHECK(at(0, kIat + 86400 + 1).outcome == StatusOutcome::kUnknown);
  CHECK(at(7, kIat + 86399).outcome == StatusOutcome::kInvalid);
  // From the future beyond the skew: unknown; within it: answered.
  CHECK(at(7, kIat - 301).outcome == StatusOutcome::kUnknown);
  CHECK(at(7, kIat - 300).outcome == StatusOutcome::kInvalid);
  CHECK(at(0, INT64_MIN).outcome == StatusOutcome::kUnknown);
  CHECK(StatusOutcomeName(at(131072).outcome) == "status_index_out_of_range");
  CHECK(StatusOutcomeName(at(0, kIat + 86400).outcome) == "status_unknown");
  // Another list's URI, even a prefix of it: not an answer.
  CHECK_FALSE(CheckStatus(*v, "https://status.paci.example/lists/10", 7, now));
  CHECK_FALSE(CheckStatus(*v, "https://status.paci.example/lists/", 7, now));
}
