// Proof checks with JSON in and out (the library function behind `wathiq audit`).
#include "wathiq/log/proof_json.h"
#include "test_util.h"

using namespace wathiq;
using namespace wathiq::log;

namespace {

struct Fixture {
  MemoryTree tree;
  std::vector<Hash> leaves;
  Fixture() {
    for (int i = 0; i < 100; ++i) {
      std::string e = "e" + std::to_string(i);
      leaves.push_back(LeafHash(AsBytes(e)));
      tree.Append(leaves.back());
    }
  }
  Hash Root(uint64_t n) {
    auto r = TreeRoot(tree, n);
    REQUIRE(r);
    return *r;
  }
};

}  // namespace

TEST_CASE("inclusion and consistency proofs round-trip through JSON", "[log][json]") {
  Fixture f;
  auto inc = InclusionProof(f.tree, 37, 100);
  REQUIRE(inc);
  std::string j = InclusionProofJson(37, 100, f.leaves[37], *inc, f.Root(100));
  auto parsed = nlohmann::json::parse(j);
  CHECK(parsed["type"] == "inclusion");
  CHECK(parsed["leaf_hash"] == ToHex(f.leaves[37]));
  auto r = CheckProofJson(j);
  REQUIRE(r);
  CHECK(r->valid);
  CHECK(r->ToJson() == R"({"type":"inclusion","valid":true})");

  auto con = ConsistencyProof(f.tree, 33, 100);
  REQUIRE(con);
  auto c = CheckProofJson(ConsistencyProofJson(33, 100, *con, f.Root(33), f.Root(100)));
  REQUIRE(c);
  CHECK(c->valid);

  // A wrong root is an outcome, with the reason.
  auto w = CheckProofJson(ConsistencyProofJson(33, 100, *con, f.Root(34), f.Root(100)));
  REQUIRE(w);
  CHECK_FALSE(w->valid);
  CHECK_THAT(w->ToJson(), Catch::Contains("\"valid\":false") && Catch::Contains("old root"));
  // Uppercase hex is accepted.
  auto upper = nlohmann::json::parse(j);
  std::string root = upper["root"];
  std::transform(root.begin(), root.end(), root.begin(), ::toupper);
  upper["root"] = root;
  auto u = CheckProofJson(upper.dump());
  REQUIRE(u);
  CHECK(u->valid);
}

TEST_CASE("malformed proof JSON is an error naming the member", "[log][json][negative]") {
  Fixture f;
  auto inc = InclusionProof(f.tree, 3, 10);
  REQUIRE(inc);
  auto good = nlohmann::json::parse(InclusionProofJson(3, 10, f.leaves[3], *inc, f.Root(10)));
  auto with = [&](const char* key, nlohmann::json v) {
    auto j = good;
    j[key] = v;
    return CheckProofJson(j.dump());
  };
  CHECK_FALSE(CheckProofJson("not json"));
  CHECK_FALSE(CheckProofJson("[]"));
  CHECK_FALSE(CheckProofJson(R"({"type":"other"})"));
  CHECK_FALSE(with("leaf_index", -1));
  CHECK_FALSE(with("leaf_index", 1.5));
  CHECK_FALSE(with("tree_size", "10"));
  CHECK_FALSE(with("root", "00"));
  CHECK_FALSE(with("root", std::string(64, 'g')));
  CHECK_FALSE(with("proof", "x"));
  CHECK_FALSE(with("extra", 1));
  auto missing = good;
  missing.erase("root");
  CHECK_FALSE(CheckProofJson(missing.dump()));
  auto long_proof = good;
  long_proof["proof"] = std::vector<std::string>(65, std::string(64, '0'));
  auto lp = CheckProofJson(long_proof.dump());
  REQUIRE_FALSE(lp);
  CHECK(lp.error().code == Errc::kLimit);
  CHECK(CheckProofJson(std::string(10000, '[') + std::string(10000, ']')).error().code == Errc::kLimit);
  CHECK(CheckProofJson(std::string(70000, ' ')).error().code == Errc::kLimit);
  // Out-of-range sizes are outcomes of the check, with the bound named.
  auto big = with("tree_size", uint64_t{1} << 63);
  REQUIRE(big);
  CHECK_FALSE(big->valid);
  CHECK_THAT(big->reason, Catch::Contains("2^63"));
}
