// Status-list token figures: size of a 1,000,000-entry list with 1% revoked at random positions (target:
// 2 bits <= 16 KB), and the time to encode+sign, to verify+inflate, and to look one index up.
#include <algorithm>
#include <cstdio>
#include <random>
#include <unordered_set>

#include "bench_util.h"
#include "wathiq/status/token.h"

using namespace wathiq;
using namespace wathiq::status;

namespace {

StatusList RandomList(int bits, uint64_t entries, double revoked_fraction, uint64_t seed) {
  auto list = StatusList::Create(bits, entries);
  if (!list) std::abort();
  std::mt19937_64 rng(seed);
  std::unordered_set<uint64_t> chosen;
  const uint64_t want = static_cast<uint64_t>(static_cast<double>(entries) * revoked_fraction);
  while (chosen.size() < want) chosen.insert(rng() % entries);
  for (uint64_t i : chosen) {
    if (!list->Set(i, kStatusInvalid)) std::abort();
  }
  return std::move(*list);
}

StatusListClaims Claims() {
  StatusListClaims c;
  c.sub = "https://status.paci.example/lists/1";
  c.iat = 1767225600;
  c.ttl = 3600;
  c.exp = c.iat + 86400;
  LogCheckpointRef cp;
  cp.origin = "log.wathiq.example/issuer";
  cp.size = 5000000;
  c.log_checkpoint = cp;
  return c;
}

}  // namespace

int main() {
  std::printf("Status-list tokens: 1,000,000 entries, 1%% revoked at random positions (10,000 entries)\n");
  for (int bits : {1, 2}) {
    StatusList list = RandomList(bits, 1000000, 0.01, 2026);
    Bytes lst = list.Compress();
    std::printf("  %d-bit list: raw %zu bytes, lst (zlib 9) %zu bytes = %.1f KB\n", bits, list.packed().size(),
                lst.size(), static_cast<double>(lst.size()) / 1024.0);
  }
  StatusList list = RandomList(2, 1000000, 0.01, 2026);
  for (Alg alg : {Alg::kEdDSA, Alg::kES256}) {
    auto signer = GenerateSoftwareSigner(alg);
    if (!signer) std::abort();
    auto pk = (*signer)->public_key();
    auto verifier = MakeVerifier(*pk, alg);
    if (!pk || !verifier) std::abort();
    auto token = SignStatusListToken(Claims(), list, **signer, AsBytes("status-kid-1"));
    if (!token) std::abort();
    std::printf("  2-bit token (%s): %zu bytes = %.1f KB  (target <= 16 KB: %s)\n", std::string(AlgName(alg)).c_str(),
                token->size(), static_cast<double>(token->size()) / 1024.0, token->size() <= 16 * 1024 ? "met" : "NOT met");

    double enc = bench::Rate([&] {
      auto t = SignStatusListToken(Claims(), list, **signer, AsBytes("status-kid-1"));
      if (!t) std::abort();
    }, 0.5, 3);
    double ver = bench::Rate([&] {
      auto v = VerifyStatusListToken(*token, **verifier);
      if (!v) std::abort();
    }, 0.5, 3);
    std::printf("  encode + sign (%s)          %8.2f ms\n", std::string(AlgName(alg)).c_str(), 1000.0 / enc);
    std::printf("  verify + inflate (%s)       %8.2f ms\n", std::string(AlgName(alg)).c_str(), 1000.0 / ver);
    if (alg == Alg::kEdDSA) {
      auto v = VerifyStatusListToken(*token, **verifier);
      if (!v) std::abort();
      std::mt19937_64 rng(1);
      uint64_t sink = 0;
      double look = bench::Rate([&] {
        auto a = CheckStatus(*v, "https://status.paci.example/lists/1", rng() % 1000000, 1767225600 + 60);
        sink += a ? static_cast<uint64_t>(a->outcome) : 0;
      });
      bench::Row("CheckStatus lookups", look);
      if (sink == 42) std::printf(" ");
    }
  }
  return 0;
}
