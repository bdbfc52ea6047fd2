#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"

#include "test_util.h"

using namespace wathiq;

TEST_CASE("RFC 9285 examples encode and decode both ways", "[base45][kat]") {
  const std::pair<std::string, std::string> examples[] = {
      {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}};
  for (const auto& [plain, encoded] : examples) {
    INFO(plain);
    CHECK(base45::Encode(AsBytes(plain)) == encoded);
    auto d = base45::Decode(encoded);
    REQUIRE(d);
    CHECK(AsString(*d) == plain);
  }
}

TEST_CASE("Base45 round-trips every length and byte", "[base45]") {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= all.size(); n += 1) {
    ByteView v(all.data(), n);
    auto d = base45::Decode(base45::Encode(v));
    REQUIRE(d);
    REQUIRE(*d == Bytes(v.begin(), v.end()));
  }
  CHECK(base45::Encode(Bytes{0xff, 0xff}) == "FGW");
}

TEST_CASE("Base45 rejects malformed input with a reason", "[base45][negative]") {
  auto bad = base45::Decode("GGW");  // 65535+1
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("exceeds 65535"));
  auto dangling = base45::Decode("BB8A");
  REQUIRE_FALSE(dangling);
  CHECK_THAT(dangling.error().message, Catch::Contains("dangling"));
  auto alphabet = base45::Decode("BB8a");  // lower case is not Base45
  REQUIRE_FALSE(dangling);
  CHECK_THAT(base45::Decode("bb8").error().message, Catch::Contains("not in the alphabet"));
  CHECK_THAT(base45::Decode("::").error().message, Catch::Contains("exceeds 255"));
  (void)alphabet;
}

TEST_CASE("zlib round trip and output cap", "[zlib]") {
  std::string text(10000, 'a');
  Bytes compressed = zlib::Deflate(AsBytes(text));
  CHECK(compressed.size() < 100);
  auto back = zlib::Inflate(compressed, 10000);
  REQUIRE(back);
  CHECK(AsString(*back) == text);
  auto capped = zlib::Inflate(compressed, 9999);
  REQUIRE_FALSE(capped);
  CHECK(capped.error().code == Errc::kLimit);
}

TEST_CASE("zlib bomb stops at the cap", "[zlib][negative]") {
  Bytes zeros(50 << 20);  // 50 MiB of zeros deflate to ~50 KB
  Bytes bomb = zlib::Deflate(zeros);
  zeros.clear();
  zeros.shrink_to_fit();
  auto r = zlib::Inflate(bomb, 64 * 1024);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kLimit);
}

TEST_CASE("zlib rejects corrupt, truncated and trailing input", "[zlib][negative]") {
  Bytes c = zlib::Deflate(AsBytes("hello hello hello"));
  Bytes bad_sum = c;
  bad_sum.back() ^= 1;
  CHECK_THAT(zlib::Inflate(bad_sum, 1000).error().message, Catch::Contains("corrupt"));
  Bytes truncated(c.begin(), c.end() - 3);
  CHECK_THAT(zlib::Inflate(truncated, 1000).error().message, Catch::Contains("truncated"));
  Bytes trailing = c;
  trailing.push_back(0);
  CHECK_THAT(zlib::Inflate(trailing, 1000).error().message, Catch::Contains("trailing"));
  CHECK(zlib::Inflate(Bytes{}, 1000).error().code == Errc::kMalformed);
  CHECK(zlib::Inflate(Bytes{0x78, 0x9c}, 1000).error().code == Errc::kMalformed);
  CHECK(zlib::Inflate(AsBytes("not zlib at all"), 1000).error().code == Errc::kMalformed);
}

TEST_CASE("zlib: the same content in another encoding is refused (non-zero padding bits)", "[zlib][negative]") {
  // The byte before the Adler-32 holds the final block's last bits; the rest of it is padding. Setting a
  // padding bit leaves the inflated output unchanged, so a lenient inflater would accept a changed QR.
  int padded = 0;
  for (int n = 1; n <= 64; ++n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += static_cast<char>('a' + (i * 7) % 26);
    Bytes z = zlib::Deflate(AsBytes(text));
    REQUIRE(zlib::Inflate(z, 4096).has_value());
    Bytes changed = z;
    changed[changed.size() - 5] ^= 0x80;  // the top bit of the last deflate byte
    auto r = zlib::Inflate(changed, 4096);
    REQUIRE_FALSE(r.has_value());
    if (r.error().message.find("padding") != std::string::npos) ++padded;
  }
  CHECK(padded > 10);  // many of these streams end mid-byte, and each such change is caught as padding
}
