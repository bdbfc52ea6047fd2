// RFC 9162 hashing and proofs against an independent reference written here from the RFC's recursive
// definitions (MTH, PATH, PROOF/SUBPROOF of §2.1.1, §2.1.3.1, §2.1.4.1): naive, slow, and sharing no code
// with the implementation under test beyond SHA-256 itself.
#include <random>

#include "test_util.h"
#include "wathiq/log/merkle.h"

using namespace wathiq;
using wathiq::log::Hash;

namespace ref {

using H = Bytes;

H Sha(const Bytes& b) { return Sha256(b); }
H Leaf(const Bytes& entry) {
  Bytes b{0x00};
  b.insert(b.end(), entry.begin(), entry.end());
  return Sha(b);
}
H Node(const H& l, const H& r) {
  Bytes b{0x01};
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return Sha(b);
}
uint64_t K(uint64_t n) {  // largest power of two smaller than n
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
// MTH over the leaf entries D[a:b].
H Mth(const std::vector<Bytes>& d, uint64_t a, uint64_t b) {
  uint64_t n = b - a;
  if (n == 0) return Sha({});
  if (n == 1) return Leaf(d[a]);
  uint64_t k = K(n);
  return Node(Mth(d, a, a + k), Mth(d, a + k, b));
}
// PATH(m, D[a:b]), m relative to a.
std::vector<H> Path(const std::vector<Bytes>& d, uint64_t m, uint64_t a, uint64_t b) {
  uint64_t n = b - a;
  if (n == 1) return {};
  uint64_t k = K(n);
  std::vector<H> out;
  if (m < k) {
    out = Path(d, m, a, a + k);
    out.push_back(Mth(d, a + k, b));
  } else {
    out = Path(d, m - k, a + k, b);
    out.push_back(Mth(d, a, a + k));
  }
  return out;
}
std::vector<H> SubProof(const std::vector<Bytes>& d, uint64_t m, uint64_t a, uint64_t b, bool flag) {
  uint64_t n = b - a;
  if (m == n) return flag ? std::vector<H>{} : std::vector<H>{Mth(d, a, b)};
  uint64_t k = K(n);
  std::vector<H> out;
  if (m <= k) {
    out = SubProof(d, m, a, a + k, flag);
    out.push_back(Mth(d, a + k, b));
  } else {
    out = SubProof(d, m - k, a + k, b, false);
    out.push_back(Mth(d, a, a + k));
  }
  return out;
}
std::vector<H> Proof(const std::vector<Bytes>& d, uint64_t m, uint64_t n) { return SubProof(d, m, 0, n, true); }

}  // namespace ref

namespace {

Hash ToHash(const Bytes& b) {
  Hash h;
  REQUIRE(b.size() == 32);
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}
std::vector<Hash> ToHashes(const std::vector<Bytes>& v) {
  std::vector<Hash> out;
  for (const auto& b : v) out.push_back(ToHash(b));
  return out;
}

std::vector<Bytes> Entries(size_t n) {
  std::vector<Bytes> d;
  for (size_t i = 0; i < n; ++i) {
    std::string s = "wathiq log entry " + std::to_string(i);
    d.emplace_back(s.begin(), s.end());
  }
  return d;
}

log::MemoryTree Tree(const std::vector<Bytes>& d) {
  log::MemoryTree t;
  for (const auto& e : d) t.Append(log::LeafHash(e));
  return t;
}

// Every way one proof can be wrong must be refused.
void CheckInclusionMutations(uint64_t m, uint64_t n, const Hash& leaf, const std::vector<Hash>& proof, const Hash& root) {
  REQUIRE(log::VerifyInclusion(m, n, leaf, proof, root));
  for (size_t i = 0; i < proof.size(); ++i) {
    auto bad = proof;
    bad[i][0] ^= 1;
    REQUIRE_FALSE(log::VerifyInclusion(m, n, leaf, bad, root));
  }
  if (!proof.empty()) {
    REQUIRE_FALSE(log::VerifyInclusion(m, n, leaf, std::vector<Hash>(proof.begin(), proof.end() - 1), root));
  }
  auto longer = proof;
  longer.push_back(root);
  REQUIRE_FALSE(log::VerifyInclusion(m, n, leaf, longer, root));
  Hash bad_leaf = leaf;
  bad_leaf[31] ^= 0x80;
  REQUIRE_FALSE(log::VerifyInclusion(m, n, bad_leaf, proof, root));
  if (n > 1) REQUIRE_FALSE(log::VerifyInclusion((m + 1) % n, n, leaf, proof, root));
  // (A different tree size is not always detectable: leaf 0 has the same path in trees of 3 and 4 leaves.)
}

void CheckConsistencyMutations(uint64_t m, uint64_t n, const std::vector<Hash>& proof, const Hash& r1, const Hash& r2) {
  REQUIRE(log::VerifyConsistency(m, n, proof, r1, r2));
  for (size_t i = 0; i < proof.size(); ++i) {
    auto bad = proof;
    bad[i][5] ^= 4;
    REQUIRE_FALSE(log::VerifyConsistency(m, n, bad, r1, r2));
  }
  Hash b1 = r1, b2 = r2;
  b1[0] ^= 1;
  b2[0] ^= 1;
  if (m > 0) REQUIRE_FALSE(log::VerifyConsistency(m, n, proof, b1, r2));
  if (m > 0 && m < n) REQUIRE_FALSE(log::VerifyConsistency(m, n, proof, r1, b2));
  if (!proof.empty()) {
    REQUIRE_FALSE(log::VerifyConsistency(m, n, std::vector<Hash>(proof.begin(), proof.end() - 1), r1, r2));
    auto longer = proof;
    longer.push_back(r2);
    REQUIRE_FALSE(log::VerifyConsistency(m, n, longer, r1, r2));
  }
}

}  // namespace

TEST_CASE("hashing: the RFC 6962 test tree's roots", "[log][kat]") {
  // The eight-leaf test tree of RFC 6962's reference implementation (certificate-transparency), whose
  // roots every RFC 6962/9162 implementation reproduces.
  std::vector<Bytes> d = {test::Hex(""), test::Hex("00"), test::Hex("10"), test::Hex("2021"), test::Hex("3031"),
                          test::Hex("40414243"), test::Hex("5051525354555657"),
                          test::Hex("606162636465666768696a6b6c6d6e6f")};
  const char* roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  log::MemoryTree t;
  for (size_t i = 0; i < d.size(); ++i) {
    t.Append(log::LeafHash(d[i]));
    auto root = log::TreeRoot(t, i + 1);
    REQUIRE(root);
    CHECK(ToHex(*root) == roots[i]);
    CHECK(ToHex(ref::Mth(d, 0, i + 1)) == roots[i]);
  }
  CHECK(ToHex(log::EmptyRoot()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto empty = log::TreeRoot(t, 0);
  REQUIRE(empty);
  CHECK(*empty == log::EmptyRoot());
}

TEST_CASE("every inclusion proof of every tree up to 64 leaves equals the reference and verifies", "[log][kat]") {
  auto d = Entries(64);
  auto tree = Tree(d);
  for (uint64_t n = 1; n <= 64; ++n) {
    Hash root = ToHash(ref::Mth(d, 0, n));
    auto r = log::TreeRoot(tree, n);
    REQUIRE(r);
    REQUIRE(*r == root);
    for (uint64_t m = 0; m < n; ++m) {
      INFO("n=" << n << " m=" << m);
      auto proof = log::InclusionProof(tree, m, n);
      REQUIRE(proof);
      auto expected = ToHashes(ref::Path(d, m, 0, n));
      REQUIRE(*proof == expected);
      CheckInclusionMutations(m, n, ToHash(ref::Leaf(d[m])), expected, root);
    }
  }
}

TEST_CASE("every consistency proof of every pair of trees up to 64 leaves equals the reference and verifies", "[log][kat]") {
  auto d = Entries(64);
  auto tree = Tree(d);
  for (uint64_t n = 1; n <= 64; ++n) {
    Hash r2 = ToHash(ref::Mth(d, 0, n));
    for (uint64_t m = 0; m <= n; ++m) {
      INFO("m=" << m << " n=" << n);
      Hash r1 = ToHash(ref::Mth(d, 0, m));
      auto proof = log::ConsistencyProof(tree, m, n);
      REQUIRE(proof);
      std::vector<Hash> expected = (m == 0 || m == n) ? std::vector<Hash>{} : ToHashes(ref::Proof(d, m, n));
      REQUIRE(*proof == expected);
      CheckConsistencyMutations(m, n, expected, r1, r2);
    }
  }
}

TEST_CASE("a sample of proofs in trees up to 300 leaves equals the reference and verifies", "[log][kat]") {
  auto d = Entries(300);
  auto tree = Tree(d);
  std::mt19937_64 rng(9162);
  for (int i = 0; i < 400; ++i) {
    uint64_t n = 65 + rng() % 236;
    uint64_t m = rng() % n;
    INFO("n=" << n << " m=" << m);
    Hash root = ToHash(ref::Mth(d, 0, n));
    auto inc = log::InclusionProof(tree, m, n);
    REQUIRE(inc);
    REQUIRE(*inc == ToHashes(ref::Path(d, m, 0, n)));
    REQUIRE(log::VerifyInclusion(m, n, ToHash(ref::Leaf(d[m])), *inc, root));
    uint64_t m1 = 1 + rng() % n;
    auto con = log::ConsistencyProof(tree, m1, n);
    REQUIRE(con);
    std::vector<Hash> expected = m1 == n ? std::vector<Hash>{} : ToHashes(ref::Proof(d, m1, n));
    REQUIRE(*con == expected);
    CheckConsistencyMutations(m1, n, expected, ToHash(ref::Mth(d, 0, m1)), root);
  }
}

TEST_CASE("proof bounds: 64 hashes, sizes below 2^63, index below size", "[log][negative]") {
  Hash h{};
  std::vector<Hash> p65(65, h), p64(64, h);
  const uint64_t big = uint64_t{1} << 63;
  auto r = log::VerifyInclusion(0, 10, h, p65, h);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kLimit);
  CHECK(log::VerifyInclusion(0, 10, h, p64, h).error().code == Errc::kBadSignature);  // checked, just wrong
  CHECK(log::VerifyInclusion(0, big, h, {}, h).error().code == Errc::kLimit);
  CHECK(log::VerifyInclusion(10, 10, h, {}, h).error().code == Errc::kInvalidArgument);
  CHECK(log::VerifyConsistency(1, 10, p65, h, h).error().code == Errc::kLimit);
  CHECK(log::VerifyConsistency(1, big, {}, h, h).error().code == Errc::kLimit);
  CHECK(log::VerifyConsistency(11, 10, {}, h, h).error().code == Errc::kInvalidArgument);
  CHECK(log::VerifyConsistency(3, 10, {}, h, h).error().code == Errc::kBadSignature);  // empty proof
  // size1 == size2: empty proof and equal roots; size1 == 0: empty proof.
  Hash other = h;
  other[0] = 1;
  CHECK(log::VerifyConsistency(5, 5, {}, h, h));
  CHECK_FALSE(log::VerifyConsistency(5, 5, {}, h, other));
  CHECK_FALSE(log::VerifyConsistency(5, 5, std::vector<Hash>{h}, h, h));
  CHECK(log::VerifyConsistency(0, 5, {}, h, other));
  CHECK_FALSE(log::VerifyConsistency(0, 5, std::vector<Hash>{h}, h, other));
  // Largest legal size: a proof of the right length is checked normally.
  CHECK(log::VerifyInclusion(big - 1, big - 1 + 0, h, {}, h).error().code == Errc::kInvalidArgument);
  log::MemoryTree t;
  t.Append(h);
  CHECK_FALSE(log::InclusionProof(t, 0, 2));  // the source lacks the nodes
  CHECK(log::InclusionProof(t, 1, 1).error().code == Errc::kInvalidArgument);
  CHECK(log::ConsistencyProof(t, 2, 1).error().code == Errc::kInvalidArgument);
  CHECK(log::TreeRoot(t, big).error().code == Errc::kLimit);
}
