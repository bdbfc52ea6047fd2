// Issuer figures (issue 12): batch issuance of N civil IDs through a real deployment (SQLCipher registry,
// log, status lists) on T threads, beside raw ES256 signing on T threads in the same run; peak memory;
// registry bytes per credential; publishing every list; revocations per second.
//   issuer_bench [N=10000] [threads=2] [revocations=500] [chunk=16384]
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "support/pki_fixture.h"
#include "wathiq/core/file.h"
#include "wathiq/issuer/deployment.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/mdoc/catalogue.h"

using namespace wathiq;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void Die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.ToString().c_str());
  std::exit(1);
}

std::string CivilLine(uint64_t n, const std::string& device_b64) {
  for (uint64_t k = 0;; ++k) {
    uint64_t day = n / 4000, serial = n % 4000 + k * 4000;
    int year = 1950 + static_cast<int>(day / (28 * 12));
    int month = 1 + static_cast<int>((day / 28) % 12), dom = 1 + static_cast<int>(day % 28);
    char first[64];
    std::snprintf(first, sizeof first, "%d%02d%02d%02d%04d", year < 2000 ? 2 : 3, year % 100, month, dom,
                  static_cast<int>(serial));
    int check = mdoc::CivilIdCheckDigit(first);
    if (check < 0) continue;
    char date[64];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", year, month, dom);
    nlohmann::json claims{{"civil_id_number", std::string(first) + std::to_string(check)},
                          {"card_serial", "KW1234567"},
                          {"full_name_ar", "محمد عبدالله العلي"},
                          {"full_name_en", "Mohammad Abdullah Al-Ali"},
                          {"birth_date", date},
                          {"sex", 1},
                          {"nationality", "KW"},
                          {"issue_date", "2025-06-01"},
                          {"expiry_date", "2030-05-31"}};
    return nlohmann::json{
        {"agency", "paci"}, {"doc_type", "kw.gov.paci.civil_id.1"}, {"claims", claims}, {"device_key", device_b64}}
        .dump();
  }
}

double RawSignRate(const Signer& key, unsigned threads, double seconds) {
  Bytes msg(400, 7);
  std::atomic<uint64_t> total{0};
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      uint64_t n = 0;
      while (Clock::now() < deadline) {
        if (!key.Sign(msg)) std::abort();
        ++n;
      }
      total += n;
    });
  }
  for (auto& t : pool) t.join();
  return static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t FileSize(const std::string& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  unsigned threads = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 2;
  uint64_t revocations = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 500;
  size_t chunk = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 16384;
  auto pki = test::MustMakeTestPki();
  std::string tmpl = (std::filesystem::temp_directory_path() / "wathiq-issuer-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string dir = tmpl;
  auto pass = keys::SecretText::FromString("bench");
  keys::SealOptions so;
  so.kdf = keys::KdfParams::Min();
  const auto& paci = pki.agency("paci");
  if (auto s = keys::WriteSealedKeyFile(dir + "/ds.key", paci.ds_key, pass, so); !s) Die("ds key", s.error());
  if (auto s = keys::WriteSealedKeyFile(dir + "/st.key", paci.status_key, pass, so); !s) Die("st key", s.error());
  (void)WriteFileAtomically(dir + "/ds.der", paci.ds_cert.der(), WriteMode::kCreateNew);
  (void)WriteFileAtomically(dir + "/st.der", paci.status_cert.der(), WriteMode::kCreateNew);
  nlohmann::json cfg{{"log", {{"name", "log.bench.example"}, {"url", "https://log.bench.example/l"}}},
                     {"agencies",
                      {{{"id", "paci"},
                        {"doc_types", {"kw.gov.paci.civil_id.1"}},
                        {"status_prefix", "https://status.paci.example/lists"},
                        {"aggregation_uri", "https://status.paci.example/aggregation"},
                        {"document_signer", {{"key", {{"file", "ds.key"}}}, {"cert", "ds.der"}}},
                        {"status_signer", {{"key", {{"file", "st.key"}}}, {"cert", "st.der"}}}}}}};
  auto config = issuer::ParseDeploymentConfig(cfg.dump(), dir);
  if (!config) Die("config", config.error());
  issuer::InitOptions io;
  io.kdf = keys::KdfParams::Min();
  std::string dep_dir = dir + "/dep";
  if (auto t = issuer::Deployment::Init(dep_dir, *config, pass, issuer::SealedFileOpener(pass), io); !t)
    Die("init", t.error());
  auto dep = issuer::Deployment::Open(dep_dir, pass, issuer::SealedFileOpener(pass));
  if (!dep) Die("open", dep.error());

  auto device = keys::KeyHandle::GenerateSoftware(Alg::kES256);
  std::string device_b64 = Base64Encode(device->spki());

  std::printf("issuer_bench: %llu civil IDs, %u threads, %u hardware threads, chunks of %zu\n",
              static_cast<unsigned long long>(n), threads, std::thread::hardware_concurrency(), chunk);
  double raw_before = RawSignRate(paci.ds_key, threads, 1.5);
  issuer::BatchOptions bo;
  bo.threads = threads;
  bo.actor = "bench";
  bo.now = pki.now;
  bo.chunk = chunk;
  // Lines are made and issued in slices of 262,144, as `wathiq issuer batch` reads a file: the batch never
  // sits in memory whole, so the peak memory below is the issuer's (and one slice of lines).
  constexpr uint64_t kSlice = 262144;
  issuer::BatchSummary sum;
  double cpu_before = CpuSeconds();
  std::vector<std::string> lines;
  for (uint64_t first = 0; first < n; first += kSlice) {
    lines.clear();
    for (uint64_t i = first; i < std::min(n, first + kSlice); ++i) lines.push_back(CivilLine(i, device_b64));
    bo.first_line = first + 1;
    auto part = dep->IssueBatch(lines, bo);
    if (!part) Die("batch", part.error());
    sum.issued += part->issued;
    sum.refused += part->refused;
    sum.seconds += part->seconds;
    if (n >= 500000 && (first / kSlice) % 2 == 1) {
      std::fprintf(stderr, "  ... %llu issued, %.0f /s so far\n", static_cast<unsigned long long>(sum.issued),
                   static_cast<double>(sum.issued) / sum.seconds);
    }
  }
  double cpu = CpuSeconds() - cpu_before;
  double raw_after = RawSignRate(paci.ds_key, threads, 1.5);
  double raw = (raw_before + raw_after) / 2;
  double rate = static_cast<double>(sum.issued) / sum.seconds;
  bench::Row("raw ES256 sign (document signer), " + std::to_string(threads) + " threads", raw);
  bench::Row("batch issuance: validate, sign, registry, log (" + std::to_string(sum.issued) + " in " +
                 std::to_string(sum.seconds).substr(0, 6) + " s)",
             rate);
  bench::Ratio("batch issuance / raw ES256 sign", rate, raw, 0.5);
  std::printf("  %-58s %12.1f us  (one signature: %.1f us)\n", "CPU per credential (all threads, incl. making lines)",
              cpu * 1e6 / static_cast<double>(std::max<uint64_t>(1, sum.issued)), threads * 1e6 / raw);
  if (sum.refused) std::printf("  refused: %zu\n", sum.refused);

  auto t0 = Clock::now();
  issuer::PublishOptions po{dir + "/public", dir + "/audit", "bench", pki.now + 60};
  auto pub = dep->Publish(po);
  if (!pub) Die("publish", pub.error());
  double pub_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("  %-58s %12.3f s   (%zu lists, log size %llu)\n", "publish every list, checkpoint, tiles, bundles",
              pub_s, pub->tokens.size(), static_cast<unsigned long long>(pub->checkpoint_size));

  // Revocations, each its own durable transaction.
  auto view_numbers = std::vector<std::string>();
  for (uint64_t i = 0; i < std::min<uint64_t>(revocations, n); ++i) {
    auto j = nlohmann::json::parse(CivilLine(i, device_b64));
    view_numbers.push_back(j["claims"]["civil_id_number"].get<std::string>());
  }
  t0 = Clock::now();
  for (const auto& num : view_numbers) {
    auto r = dep->Revoke("paci", num, status::RevocationReason::kLost, "bench", pki.now + 120);
    if (!r) Die("revoke", r.error());
  }
  double rev_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!view_numbers.empty())
    bench::Row("revocations (one durable transaction each)", static_cast<double>(view_numbers.size()) / rev_s);
  dep = Fail(Errc::kState, "closed");  // closes the registry
  uint64_t bytes = FileSize(dep_dir + "/registry.db") + FileSize(dep_dir + "/registry.db-wal");
  std::printf("  %-58s %12.0f B\n", "registry bytes per credential (db + wal)",
              static_cast<double>(bytes) / static_cast<double>(n));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("  %-58s %12.1f MiB\n", "peak resident memory", static_cast<double>(ru.ru_maxrss) / 1024.0);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
