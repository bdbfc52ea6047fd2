#include "wathiq/core/cbor.h"

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <new>

#include "test_util.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // the replaced pair below is matched: malloc/free
#endif

// Counts bytes requested from operator new while a test watches, to show hostile lengths cost nothing, and
// the peak of what is live at once (each block carries its size in a header, so frees are counted too).
namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocated{0};
std::atomic<size_t> g_live{0};
std::atomic<size_t> g_peak{0};
constexpr size_t kHeader = alignof(std::max_align_t);  // keeps the returned pointer aligned
struct BlockHeader {
  size_t size;
  bool counted;
};
static_assert(sizeof(BlockHeader) <= kHeader);

void StartCounting() {
  g_allocated = 0;
  g_live = 0;
  g_peak = 0;
  g_counting = true;
}
}  // namespace
// Every non-aligned form is replaced together, so each allocation is freed by its own pair (ASan checks).
namespace {
void* Counted(size_t n) {
  auto* raw = static_cast<unsigned char*>(std::malloc(kHeader + n));
  if (!raw) return nullptr;
  bool counted = g_counting;
  *reinterpret_cast<BlockHeader*>(raw) = {n, counted};
  if (counted) {
    g_allocated += n;
    size_t live = g_live += n;
    size_t peak = g_peak;
    while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
    }
  }
  return raw + kHeader;
}
void Uncounted(void* p) {
  if (!p) return;
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  const auto* h = reinterpret_cast<const BlockHeader*>(raw);
  if (h->counted) g_live -= h->size;
  std::free(raw);
}
}  // namespace
void* operator new(size_t n) {
  if (void* p = Counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = Counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Counted(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Counted(n); }
void operator delete(void* p) noexcept { Uncounted(p); }
void operator delete(void* p, size_t) noexcept { Uncounted(p); }
void operator delete[](void* p) noexcept { Uncounted(p); }
void operator delete[](void* p, size_t) noexcept { Uncounted(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Uncounted(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Uncounted(p); }

using wathiq::Bytes;
using wathiq::Errc;
using wathiq::test::Hex;
namespace cbor = wathiq::cbor;

namespace {

struct Example {
  const char* hex;
  const char* diag;     // expected diagnostic notation, nullptr for floats (checked by value)
  bool deterministic;   // also valid core deterministic encoding
};

// RFC 8949 Appendix A, every example.
const Example kAppendixA[] = {
    {"00", "0", true},
    {"01", "1", true},
    {"0a", "10", true},
    {"17", "23", true},
    {"1818", "24", true},
    {"1819", "25", true},
    {"1864", "100", true},
    {"1903e8", "1000", true},
    {"1a000f4240", "1000000", true},
    {"1b000000e8d4a51000", "1000000000000", true},
    {"1bffffffffffffffff", "18446744073709551615", true},
    {"c249010000000000000000", "2(h'010000000000000000')", true},
    {"3bffffffffffffffff", "-1-18446744073709551615", true},
    {"c349010000000000000000", "3(h'010000000000000000')", true},
    {"20", "-1", true},
    {"29", "-10", true},
    {"3863", "-100", true},
    {"3903e7", "-1000", true},
    {"f90000", nullptr, true},
    {"f98000", nullptr, true},
    {"f93c00", nullptr, true},
    {"fb3ff199999999999a", nullptr, true},
    {"f93e00", nullptr, true},
    {"f97bff", nullptr, true},
    {"fa47c35000", nullptr, true},
    {"fa7f7fffff", nullptr, true},
    {"fb7e37e43c8800759c", nullptr, true},
    {"f90001", nullptr, true},
    {"f90400", nullptr, true},
    {"f9c400", nullptr, true},
    {"fbc010666666666666", nullptr, true},
    {"f97c00", "Infinity", true},
    {"f97e00", "NaN", true},
    {"f9fc00", "-Infinity", true},
    {"fa7f800000", "Infinity", false},
    {"fa7fc00000", "NaN", false},
    {"faff800000", "-Infinity", false},
    {"fb7ff0000000000000", "Infinity", false},
    {"fb7ff8000000000000", "NaN", false},
    {"fbfff0000000000000", "-Infinity", false},
    {"f4", "false", true},
    {"f5", "true", true},
    {"f6", "null", true},
    {"f7", "undefined", true},
    {"f0", "simple(16)", true},
    {"f8ff", "simple(255)", true},
    {"c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")", true},
    {"c11a514b67b0", "1(1363896240)", true},
    {"c1fb41d452d9ec200000", nullptr, true},
    {"d74401020304", "23(h'01020304')", true},
    {"d818456449455446", "24(h'6449455446')", true},
    {"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")", true},
    {"40", "h''", true},
    {"4401020304", "h'01020304'", true},
    {"60", "\"\"", true},
    {"6161", "\"a\"", true},
    {"6449455446", "\"IETF\"", true},
    {"62225c", "\"\\\"\\\\\"", true},
    {"62c3bc", "\"\xc3\xbc\"", true},
    {"63e6b0b4", "\"\xe6\xb0\xb4\"", true},
    {"64f0908591", "\"\xf0\x90\x85\x91\"", true},
    {"80", "[]", true},
    {"83010203", "[1, 2, 3]", true},
    {"8301820203820405", "[1, [2, 3], [4, 5]]", true},
    {"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
     "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", true},
    {"a0", "{}", true},
    {"a201020304", "{1: 2, 3: 4}", true},
    {"a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}", true},
    {"826161a161626163", "[\"a\", {\"b\": \"c\"}]", true},
    {"a56161614161626142616361436164614461656145",
     "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}", true},
    {"5f42010243030405ff", "h'0102030405'", false},
    {"7f657374726561646d696e67ff", "\"streaming\"", false},
    {"9fff", "[]", false},
    {"9f018202039f0405ffff", "[1, [2, 3], [4, 5]]", false},
    {"9f01820203820405ff", "[1, [2, 3], [4, 5]]", false},
    {"83018202039f0405ff", "[1, [2, 3], [4, 5]]", false},
    {"83019f0203ff820405", "[1, [2, 3], [4, 5]]", false},
    {"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
     "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]", false},
    {"bf61610161629f0203ffff", "{\"a\": 1, \"b\": [2, 3]}", false},
    {"826161bf61626163ff", "[\"a\", {\"b\": \"c\"}]", false},
    {"bf6346756ef563416d7421ff", "{\"Fun\": true, \"Amt\": -2}", false},
};

const std::pair<const char*, double> kFloats[] = {
    {"f90000", 0.0},       {"f98000", -0.0},          {"f93c00", 1.0},         {"fb3ff199999999999a", 1.1},
    {"f93e00", 1.5},       {"f97bff", 65504.0},       {"fa47c35000", 100000.0}, {"fa7f7fffff", 3.4028234663852886e+38},
    {"fb7e37e43c8800759c", 1.0e+300}, {"f90001", 5.960464477539063e-8}, {"f90400", 0.00006103515625},
    {"f9c400", -4.0},      {"fbc010666666666666", -4.1},
};

cbor::DecodeLimits WellFormed() {
  cbor::DecodeLimits l;
  l.strictness = cbor::Strictness::kWellFormed;
  return l;
}

}  // namespace

TEST_CASE("RFC 8949 Appendix A examples decode, and deterministic ones re-encode byte for byte", "[cbor][kat]") {
  for (const auto& ex : kAppendixA) {
    INFO(ex.hex);
    Bytes in = Hex(ex.hex);
    auto v = cbor::Decode(in, WellFormed());
    REQUIRE(v.has_value());
    if (ex.diag) CHECK(cbor::Diagnostic(*v) == ex.diag);
    auto strict = cbor::Decode(in);
    CHECK(strict.has_value() == ex.deterministic);
    if (ex.deterministic) CHECK(cbor::Encode(*v) == in);
  }
  for (const auto& [hex, value] : kFloats) {
    INFO(hex);
    auto v = cbor::Decode(Hex(hex));
    REQUIRE(v.has_value());
    REQUIRE(v->is_float());
    CHECK(v->float_value() == value);
    CHECK(std::signbit(v->float_value()) == std::signbit(value));
    CHECK(cbor::Encode(cbor::Value::Float(value)) == Hex(hex));
  }
  auto tagged = cbor::Decode(Hex("c1fb41d452d9ec200000"));
  REQUIRE(tagged);
  CHECK(tagged->tagged().float_value() == 1363896240.5);
}

TEST_CASE("encoder sorts map keys by their encoded bytes (RFC 8949 4.2.1)", "[cbor]") {
  cbor::Value m = cbor::Value::MakeMap();
  m.Set("aa", cbor::Value::Uint(1));
  m.Set("b", cbor::Value::Uint(2));
  m.Set(-1, cbor::Value::Uint(3));
  m.Set(10, cbor::Value::Uint(4));
  m.Set(100, cbor::Value::Uint(5));
  m.Set(cbor::Value::Bool(false), cbor::Value::Uint(6));
  // 0a < 1864 < 20 < 6162 < 626161 < f4
  CHECK(wathiq::ToHex(cbor::Encode(m)) == "a60a04186405200361620262616101f406");
  auto back = cbor::Decode(cbor::Encode(m));
  REQUIRE(back);
  CHECK(back->Find(100)->uint() == 5);
  CHECK(back->Find("aa")->uint() == 1);
}

TEST_CASE("integers cover the full 64-bit range in both signs", "[cbor]") {
  for (int64_t i : {INT64_MIN, INT64_MIN + 1, int64_t{-1}, int64_t{0}, int64_t{23}, int64_t{24}, INT64_MAX}) {
    auto v = cbor::Decode(cbor::Encode(cbor::Value::Int(i)));
    REQUIRE(v);
    CHECK(v->AsInt() == i);
  }
  auto big_neg = cbor::Decode(Hex("3bffffffffffffffff"));
  REQUIRE(big_neg);
  CHECK_FALSE(big_neg->AsInt().has_value());  // -2^64 does not fit int64
}

TEST_CASE("Arabic text round-trips exactly", "[cbor][i18n]") {
  const std::string name = "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xb9\xd8\xa8\xd8\xaf\xd8\xa7\xd9\x84\xd9\x84\xd9\x87";  // محمد عبدالله
  auto v = cbor::Decode(cbor::Encode(cbor::Value::Text(name)));
  REQUIRE(v);
  CHECK(v->text() == name);
}

namespace {
void ExpectReject(const char* hex, Errc code, const char* rule, cbor::DecodeLimits limits = {}) {
  INFO(hex);
  auto v = cbor::Decode(Hex(hex), limits);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().code == code);
  CHECK_THAT(v.error().message, Catch::Contains(rule));
}
}  // namespace

TEST_CASE("each decoding rule has a must-reject case naming the rule", "[cbor][negative]") {
  ExpectReject("", Errc::kMalformed, "empty input");
  ExpectReject("0001", Errc::kMalformed, "trailing bytes");
  ExpectReject("a201020103", Errc::kMalformed, "duplicate map key");
  ExpectReject("a201020103", Errc::kMalformed, "duplicate map key", WellFormed());
  // Same key twice, once in a non-minimal form: still a duplicate in well-formed mode.
  ExpectReject("a20102180103", Errc::kMalformed, "duplicate map key", WellFormed());
  ExpectReject("9fff", Errc::kMalformed, "indefinite-length array in deterministic encoding");
  ExpectReject("bfff", Errc::kMalformed, "indefinite-length map in deterministic encoding");
  ExpectReject("5fff", Errc::kMalformed, "indefinite-length string in deterministic encoding");
  ExpectReject("1817", Errc::kMalformed, "non-minimal encoding of integer or length 23");
  ExpectReject("190017", Errc::kMalformed, "non-minimal encoding");
  ExpectReject("1a000000ff", Errc::kMalformed, "non-minimal encoding");
  ExpectReject("1b00000000ffffffff", Errc::kMalformed, "non-minimal encoding");
  ExpectReject("580100", Errc::kMalformed, "non-minimal encoding of integer or length 1");
  ExpectReject("9800", Errc::kMalformed, "non-minimal encoding");
  ExpectReject("d80060", Errc::kMalformed, "non-minimal encoding");  // tag 0 in two bytes
  ExpectReject("a202000100", Errc::kMalformed, "map keys not in deterministic (bytewise) order");
  ExpectReject("fa3f800000", Errc::kMalformed, "float not in its shortest form");
  ExpectReject("fb3ff0000000000000", Errc::kMalformed, "float not in its shortest form");
  ExpectReject("f97e01", Errc::kMalformed, "non-canonical NaN");
  ExpectReject("62c328", Errc::kMalformed, "invalid UTF-8");
  ExpectReject("63eda080", Errc::kMalformed, "invalid UTF-8");  // a UTF-16 surrogate
  ExpectReject("62c0af", Errc::kMalformed, "invalid UTF-8");    // overlong
  ExpectReject("1c", Errc::kMalformed, "reserved additional information 28");
  ExpectReject("ff", Errc::kMalformed, "unexpected break byte");
  ExpectReject("1f", Errc::kMalformed, "indefinite length is not allowed for major type 0");
  ExpectReject("1a0000", Errc::kMalformed, "truncated");
  ExpectReject("830102", Errc::kMalformed, "array declares 3 items but only 2 bytes are left");
  ExpectReject("83010219", Errc::kMalformed, "truncated: argument needs 2 bytes");
  ExpectReject("d81801", Errc::kMalformed, "tag 24 must enclose a byte string");
  ExpectReject("c001", Errc::kMalformed, "tag 0 must enclose a text string");
  ExpectReject("f810", Errc::kMalformed, "simple value 16 in two-byte form", WellFormed());
}

TEST_CASE("indefinite strings must be made of definite chunks of the same type", "[cbor][negative]") {
  CHECK(cbor::Decode(Hex("5f4101ff"), WellFormed()).has_value());
  ExpectReject("5f6161ff", Errc::kMalformed, "same type", WellFormed());
  ExpectReject("5f5f4101ffff", Errc::kMalformed, "same type", WellFormed());
  ExpectReject("5f41", Errc::kMalformed, "exceeds the 0 bytes left", WellFormed());
}

TEST_CASE("depth and item caps are enforced", "[cbor][negative]") {
  Bytes deep(17, 0x81);
  deep.push_back(0x00);
  auto v = cbor::Decode(deep);
  REQUIRE_FALSE(v);
  CHECK(v.error().code == Errc::kLimit);
  CHECK_THAT(v.error().message, Catch::Contains("nesting deeper than 16"));
  Bytes ok(16, 0x81);
  ok.push_back(0x00);
  CHECK(cbor::Decode(ok).has_value());

  cbor::DecodeLimits small;
  small.max_items = 10;
  Bytes many = Hex("8b");  // 11 items
  many.resize(12, 0x01);
  auto m = cbor::Decode(many, small);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == Errc::kLimit);

  cbor::DecodeLimits tiny;
  tiny.max_input = 4;
  auto t = cbor::Decode(Hex("4401020304"), tiny);
  REQUIRE_FALSE(t);
  CHECK(t.error().code == Errc::kLimit);
}

TEST_CASE("hostile declared lengths fail fast with a small allocation", "[cbor][negative]") {
  const char* hostile[] = {
      "9a10000001",          // array of 2^28 items, libcbor's trap (DEPENDENCIES.md trap 9) minus its last byte
      "9a1000000001",        // the trap itself: 6 bytes
      "5affffffff00",        // bstr of 2^32-1 bytes in 6 bytes
      "5b0000000100000000",  // bstr of exactly 2^32 bytes
      "9b0000000100000000",  // array of 2^32 items
      "bb0000000100000000",  // map of 2^32 pairs
      "7b7fffffffffffffff",  // text of 2^63-1 bytes
  };
  for (const char* hex : hostile) {
    INFO(hex);
    Bytes in = Hex(hex);
    StartCounting();
    auto v = cbor::Decode(in, WellFormed());
    g_counting = false;
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code == Errc::kMalformed);
    CHECK_THAT(v.error().message, Catch::Contains("left"));
    CHECK(g_allocated < 4096);
  }
}

namespace {

// A trust-list-sized input (about 2 MB) whose first `levels` items are nested arrays or maps, each declaring
// as many items as the bytes after its head could hold, the rest filler: the counts are each plausible
// on their own, never together.
Bytes NestedDeclaredCounts(bool maps, size_t levels, size_t total, size_t max_items) {
  Bytes out;
  for (size_t i = 0; i < levels; ++i) {
    size_t head = 5;  // 0x9a/0xba + u32 (AppendHead may pick a shorter form near the end; good enough)
    size_t left = total - out.size() - head;
    uint64_t count = std::min<uint64_t>(maps ? left / 2 : left, max_items);
    cbor::AppendHead(out, maps ? 5 : 4, count);
  }
  out.resize(total, 0x00);
  return out;
}

}  // namespace

TEST_CASE("nested declared counts cannot add up: peak allocation stays near the input size", "[cbor][negative]") {
  // The trust list's own limits (keys/src/trust_list.cc) in both modes: COSE_Sign1 is parsed well-formed.
  cbor::DecodeLimits limits;
  limits.max_input = 8u << 20;
  limits.max_depth = 8;
  limits.max_items = 1u << 20;
  const size_t total = 2u << 20;
  for (auto strictness : {cbor::Strictness::kWellFormed, cbor::Strictness::kDeterministic}) {
    limits.strictness = strictness;
    for (bool maps : {false, true}) {
      Bytes in = NestedDeclaredCounts(maps, 8, total, limits.max_items);
      StartCounting();
      auto v = cbor::Decode(in, limits);
      g_counting = false;
      INFO((maps ? "maps" : "arrays") << (strictness == cbor::Strictness::kWellFormed ? ", well-formed" : ", deterministic")
                                      << ": peak " << g_peak << " bytes live for " << in.size() << " bytes of input");
      REQUIRE_FALSE(v.has_value());
      CHECK(v.error().code == Errc::kMalformed);
      CHECK(g_peak <= 2 * in.size());
    }
  }

  // Honest nesting still decodes: counts that fit together, with every declared item present.
  Bytes ok = Hex("82838101020381a1616101");  // [[[1], 2, 3], [{"a": 1}]]
  auto v = cbor::Decode(ok);
  REQUIRE(v);
  CHECK(cbor::Diagnostic(*v) == "[[[1], 2, 3], [{\"a\": 1}]]");
  // One byte short for what the outer array still owes: named as such, before the inner count is trusted.
  auto short_by_one = cbor::Decode(Hex("8283010203"));
  REQUIRE_FALSE(short_by_one);
  CHECK_THAT(short_by_one.error().message, Catch::Contains("array declares 3 items but only 2 bytes are left"));
  CHECK_THAT(short_by_one.error().message, Catch::Contains("owed"));
}

TEST_CASE("DecodeEmbedded reads tag-24 byte strings", "[cbor]") {
  cbor::Value inner = cbor::Value::MakeArray({cbor::Value::Uint(1), cbor::Value::Text("x")});
  cbor::Value wrapped = cbor::Value::EncodedCbor(inner);
  CHECK(wathiq::ToHex(cbor::Encode(wrapped)) == "d8184482016178");
  auto back = cbor::DecodeEmbedded(wrapped);
  REQUIRE(back);
  CHECK(*back == inner);
  auto untagged = cbor::DecodeEmbedded(cbor::Value::Bytes(cbor::Encode(inner)));
  CHECK_FALSE(untagged.has_value());
  CHECK(cbor::DecodeEmbedded(cbor::Value::Bytes(cbor::Encode(inner)), {}, true).has_value());
}
