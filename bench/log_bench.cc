// Log figures at national scale: inclusion and consistency proof checks per second in a tree of
// 5,000,000 entries (and through the JSON entry point the audit CLI uses), plus proof generation.
#include <chrono>
#include <cstdio>
#include <random>

#include "bench_util.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/proof_json.h"

using namespace wathiq;
using namespace wathiq::log;

int main() {
  constexpr uint64_t kSize = 5000000;
  auto start = std::chrono::steady_clock::now();
  MemoryTree tree;
  for (uint64_t i = 0; i < kSize; ++i) {
    std::string e = "log entry " + std::to_string(i);
    tree.Append(LeafHash(AsBytes(e)));
  }
  double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("Log: tree of %llu entries built in %.1f s (in memory)\n", static_cast<unsigned long long>(kSize), build_s);
  auto root = TreeRoot(tree, kSize);
  if (!root) std::abort();

  struct Inc { uint64_t index; Hash leaf; std::vector<Hash> proof; };
  struct Con { uint64_t size1; Hash root1; std::vector<Hash> proof; };
  std::mt19937_64 rng(5);
  std::vector<Inc> incs;
  std::vector<Con> cons;
  std::vector<std::string> inc_json;
  for (int i = 0; i < 1000; ++i) {
    uint64_t idx = rng() % kSize;
    auto p = InclusionProof(tree, idx, kSize);
    auto leaf = tree.Node(0, idx);
    if (!p || !leaf) std::abort();
    incs.push_back({idx, *leaf, *p});
    inc_json.push_back(InclusionProofJson(idx, kSize, *leaf, *p, *root));
    uint64_t s1 = 1 + rng() % (kSize - 1);
    auto c = ConsistencyProof(tree, s1, kSize);
    auto r1 = TreeRoot(tree, s1);
    if (!c || !r1) std::abort();
    cons.push_back({s1, *r1, *c});
  }
  size_t i = 0, j = 0, k = 0;
  double inc_rate = bench::Rate([&] {
    const Inc& x = incs[i++ % incs.size()];
    if (!VerifyInclusion(x.index, kSize, x.leaf, x.proof, *root)) std::abort();
  });
  double con_rate = bench::Rate([&] {
    const Con& x = cons[j++ % cons.size()];
    if (!VerifyConsistency(x.size1, kSize, x.proof, x.root1, *root)) std::abort();
  });
  double json_rate = bench::Rate([&] {
    auto r = CheckProofJson(inc_json[k++ % inc_json.size()]);
    if (!r || !r->valid) std::abort();
  });
  size_t m = 0;
  double gen_rate = bench::Rate([&] {
    auto p = InclusionProof(tree, (m++ * 7919) % kSize, kSize);
    if (!p) std::abort();
  });
  bench::Row("inclusion proof checks at 5M (23 hashes)", inc_rate);
  bench::Row("consistency proof checks at 5M", con_rate);
  bench::Row("inclusion checks via CheckProofJson", json_rate);
  bench::Row("inclusion proof generation (memory)", gen_rate);
  return 0;
}
