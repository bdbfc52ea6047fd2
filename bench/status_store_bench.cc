// The verifier's token-backed status store (verifier/status_store.h) with every list for 5,000,000
// credentials loaded: 40 lists of 131,072 entries at 2 bits, 1% revoked, each a real token signed by the
// test PKI's PACI status-list signer. Figures: memory held (packed bytes and the process's RSS growth),
// time to verify and load a token, and lookups per second with 1 list and with 40 (the same: a hash of
// the URI and one bit read).
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <unordered_set>

#include "bench_util.h"
#include "support/pki_fixture.h"
#include "support/status_fixture.h"
#include "wathiq/verifier/status_store.h"

using namespace wathiq;

namespace {

constexpr int kLists = 40;
constexpr uint64_t kEntries = 131072;

// Resident set size in KiB (Linux).
long RssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

status::StatusList RandomList(uint64_t seed) {
  auto list = test::MustStatusList(kEntries);
  std::mt19937_64 rng(seed);
  std::unordered_set<uint64_t> chosen;
  while (chosen.size() < kEntries / 100) chosen.insert(rng() % kEntries);
  for (uint64_t i : chosen) {
    if (!list.Set(i, status::kStatusInvalid)) std::abort();
  }
  return list;
}

}  // namespace

int main() {
  auto pki = test::MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  std::vector<std::string> uris;
  std::vector<Bytes> tokens;
  size_t token_bytes = 0;
  for (int i = 0; i < kLists; ++i) {
    uris.push_back(paci.status_prefix + "/" + std::to_string(i + 1));
    tokens.push_back(test::MustSignStatusToken(paci, RandomList(static_cast<uint64_t>(i)), uris.back(), pki.now - 60));
    token_bytes += tokens.back().size();
  }
  std::printf("Status store: %d lists x %llu entries x 2 bits = %llu credentials, 1%% revoked\n", kLists,
              static_cast<unsigned long long>(kEntries), static_cast<unsigned long long>(kLists * kEntries));
  std::printf("  tokens on disk: %zu bytes in all (%.1f KB each)\n", token_bytes,
              static_cast<double>(token_bytes) / kLists / 1024.0);

  long rss0 = RssKiB();
  auto store = std::make_shared<verifier::StatusStore>(pki.trust_list);
  for (const auto& t : tokens) {
    if (!store->AddToken(t, pki.now)) std::abort();
  }
  long rss1 = RssKiB();
  std::printf("  held list bytes: %llu (%.2f MiB); process RSS grew by %ld KiB while loading\n",
              static_cast<unsigned long long>(store->held_bytes()),
              static_cast<double>(store->held_bytes()) / (1 << 20), rss1 - rss0);

  double load = bench::Rate([&] {
    verifier::StatusStore s(pki.trust_list);
    if (!s.AddToken(tokens[0], pki.now)) std::abort();
  }, 0.5, 3);
  std::printf("  verify + inflate + hold one token (ES256)           %8.2f ms\n", 1000.0 / load);

  verifier::StatusStore one(pki.trust_list);
  if (!one.AddToken(tokens[0], pki.now)) std::abort();
  std::mt19937_64 rng(7);
  uint64_t sink = 0;
  std::vector<mdoc::StatusRef> refs;
  for (int i = 0; i < 4096; ++i) refs.push_back({uris[rng() % kLists], rng() % kEntries});
  std::vector<mdoc::StatusRef> refs_one;
  for (int i = 0; i < 4096; ++i) refs_one.push_back({uris[0], rng() % kEntries});
  size_t k = 0, k1 = 0;
  auto [r40, r1] = bench::RatePair(
      [&] { sink += static_cast<uint64_t>(store->Lookup(refs[k++ & 4095], pki.now).value); },
      [&] { sink += static_cast<uint64_t>(one.Lookup(refs_one[k1++ & 4095], pki.now).value); });
  bench::Row("Lookup, all 40 lists loaded (5.2M credentials)", r40);
  bench::Row("Lookup, one list loaded", r1);
  // Same work per lookup (hash the URI, read one byte); the gap is cache misses on 1.25 MiB of lists.
  bench::Ratio("40 lists vs 1 (O(1) per lookup; the gap is cache)", r40, r1);
  if (sink == 42) std::printf(" ");
  return 0;
}
