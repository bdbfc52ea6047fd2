#include "wathiq/keys/backup.h"

#include <botan/tss.h>

#include <catch2/catch.hpp>
#include <optional>

#include "wathiq/core/secure_buffer.h"

using namespace wathiq;
using namespace wathiq::keys;

namespace {

// Test copies of the share lines (the library hands them out as SecretText only).
std::optional<std::vector<std::string>> SplitLines(const Signer& key, int m, int n) {
  auto r = SplitKeyForBackup(key, m, n);
  if (!r) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& t : *r) out.emplace_back(t.text());
  return out;
}

Result<KeyHandle> Recover(const std::vector<std::string>& shares, std::string label = {}) {
  return RecoverKeyFromShares(std::vector<std::string_view>(shares.begin(), shares.end()), std::move(label));
}

std::vector<std::string> Pick(const std::vector<std::string>& all, std::initializer_list<int> idx) {
  std::vector<std::string> out;
  for (int i : idx) out.push_back(all[static_cast<size_t>(i)]);
  return out;
}

// Raw RTSS share bytes from our text form (for driving Botan directly).
Botan::RTSS_Share RawShare(const std::string& s) {
  size_t a = 0;
  for (int i = 0; i < 6; ++i) a = s.find('.', a) + 1;
  size_t b = s.find('.', a);
  auto raw = Base64UrlDecode(std::string_view(s).substr(a, b - a));
  REQUIRE(raw);
  return Botan::RTSS_Share(raw->data(), raw->size());
}

}  // namespace

TEST_CASE("3-of-5 root backup: any 3 shares recover the key", "[keys][backup]") {
  for (Alg alg : {Alg::kES256, Alg::kEdDSA}) {
    DYNAMIC_SECTION(AlgName(alg)) {
      auto root = KeyHandle::GenerateSoftware(alg, "root");
      REQUIRE(root);
      auto shares = SplitLines(*root, 3, 5);
      REQUIRE(shares);
      REQUIRE(shares->size() == 5);
      for (size_t i = 0; i < shares->size(); ++i) {
        auto info = InspectShare((*shares)[i]);
        REQUIRE(info);
        CHECK(info->index == static_cast<int>(i + 1));
        CHECK(info->threshold == 3);
        CHECK(info->count == 5);
        CHECK(info->key_id == root->key_id());
        CHECK(info->alg == alg);
        CHECK((*shares)[i].rfind("WQSHARE1.", 0) == 0);
      }
      // Every 3-subset of the 5 shares, in any order.
      int subsets = 0;
      for (int a = 0; a < 5; ++a) {
        for (int b = a + 1; b < 5; ++b) {
          for (int c = b + 1; c < 5; ++c) {
            auto rec = Recover(Pick(*shares, {c, a, b}), "recovered");
            REQUIRE(rec);
            CHECK(rec->key_id() == root->key_id());
            Bytes msg{9, 8, 7};
            auto sig = rec->Sign(msg);
            REQUIRE(sig);
            CHECK(root->verifier().Verify(msg, *sig));
            ++subsets;
          }
        }
      }
      CHECK(subsets == 10);
      // More than M shares work as well.
      CHECK(Recover(*shares));
    }
  }
}

TEST_CASE("M-1 shares do not recover the key", "[keys][backup][negative]") {
  auto root = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(root);
  auto shares = SplitLines(*root, 3, 5);
  REQUIRE(shares);
  auto two = Recover(Pick(*shares, {0, 4}));
  REQUIRE_FALSE(two);
  CHECK(two.error().code == Errc::kInvalidArgument);
  CHECK_THAT(two.error().message, Catch::Contains("need 3 shares"));

  // Below our own count check, RTSS itself refuses: with 2 raw shares, and with 2 shares whose
  // threshold byte was forged down to 2 (interpolation yields a wrong value and the SHA-256 check fails).
  std::vector<Botan::RTSS_Share> raw{RawShare((*shares)[0]), RawShare((*shares)[4])};
  CHECK_THROWS(Botan::RTSS_Share::reconstruct(raw));
  std::vector<Botan::RTSS_Share> forged;
  for (auto& r : raw) {
    Botan::secure_vector<uint8_t> d = r.data();
    d[17] = 2;
    forged.emplace_back(d.data(), d.size());
  }
  CHECK_THROWS(Botan::RTSS_Share::reconstruct(forged));
}

TEST_CASE("a corrupted share is named, mixed and repeated shares are refused", "[keys][backup][negative]") {
  auto root = KeyHandle::GenerateSoftware(Alg::kES256);
  auto other = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(root);
  REQUIRE(other);
  auto shares = SplitLines(*root, 2, 4);
  auto other_shares = SplitLines(*other, 2, 4);
  REQUIRE(shares);
  REQUIRE(other_shares);

  SECTION("one changed character in the share body") {
    auto set = Pick(*shares, {0, 3});
    std::string& s = set[1];
    size_t pos = s.size() - 15;  // inside the base64 body
    s[pos] = s[pos] == 'A' ? 'B' : 'A';
    auto r = Recover(set);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMalformed);
    CHECK_THAT(r.error().message, Catch::Contains("share #2 (claims index 4) is corrupted"));
    CHECK_FALSE(InspectShare(s));
  }
  SECTION("a changed index in the header") {
    auto set = Pick(*shares, {1, 2});
    std::string& s = set[0];
    size_t p = 0;
    for (int i = 0; i < 5; ++i) p = s.find('.', p) + 1;
    s[p] = '4';
    auto r = Recover(set);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("share #1 (claims index 4)"));
  }
  SECTION("shares of another key") {
    auto r = RecoverKeyFromShares({(*shares)[0], (*other_shares)[1]});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("another split"));
  }
  SECTION("the same share twice") {
    auto r = RecoverKeyFromShares({(*shares)[2], (*shares)[2]});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("twice"));
  }
  SECTION("surrounding whitespace from copy and paste is fine") {
    auto r = RecoverKeyFromShares({" " + (*shares)[0] + "\n", (*shares)[1] + "\r\n"});
    REQUIRE(r);
    CHECK(r->key_id() == root->key_id());
  }
  SECTION("bad split parameters") {
    CHECK(SplitKeyForBackup(*root, 1, 3).error().code == Errc::kInvalidArgument);
    CHECK(SplitKeyForBackup(*root, 4, 3).error().code == Errc::kInvalidArgument);
    CHECK(SplitKeyForBackup(*root, 2, 256).error().code == Errc::kInvalidArgument);
  }
}
