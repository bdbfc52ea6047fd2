// The auditor's list rebuild at national scale: a deployment of N credentials (default 1,000,000) with 1%
// revoked, written per docs/PUBLICATION.md (entry bundles, checkpoints, tokens, hash tiles), then one
// RebuildAndCompare over it: wall time, entries per second and peak memory.
//   auditor_bench [credentials] [work folder]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include "support/pki_fixture.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/core/file.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/note.h"
#include "wathiq/log/tiles.h"
#include "wathiq/status/token.h"

namespace fs = std::filesystem;
using namespace wathiq;

namespace {

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}
void MustOk(const Status& s, const char* what) {
  if (!s) {
    std::fprintf(stderr, "%s: %s\n", what, s.error().ToString().c_str());
    std::exit(1);
  }
}
void Write(const fs::path& p, ByteView b) {
  fs::create_directories(p.parent_path());
  MustOk(WriteFileAtomically(p.string(), b, WriteMode::kReplace, 0644), "write");
}
double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// The audit alone, in its own process so that its peak memory is its own.
int AuditOnly(const fs::path& dir) {
  Bytes tl_bytes = Must(ReadFileBytes((dir / "trust-list.cbor").string()), "trust list");
  keys::Certificate root =
      Must(keys::Certificate::FromDer(Must(ReadFileBytes((dir / "root.der").string()), "root")), "root");
  keys::TrustListPolicy policy;
  policy.now = test::kPkiNow;
  auto tl = keys::TrustList::Load(tl_bytes, root, policy);
  if (!tl) return 1;
  auditor::AuditInput in;
  in.audit_dir = dir / "audit";
  in.public_dir = dir / "public";
  in.trust = auditor::AuditTrust::FromTrustList(**tl);
  auto t1 = std::chrono::steady_clock::now();
  auto report = Must(auditor::RebuildAndCompare(in), "audit");
  const double secs = Since(t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  size_t compared = 0;
  for (const auto& t : report.tokens) compared += t.compared;
  std::printf(
      "  RebuildAndCompare: %.2f s (%.0f entries/s) over %llu entries, %llu credentials, %zu tokens compared, "
      "%llu tiles checked, clean=%s, %llu findings; CPU %.2f s; peak RSS %.0f MiB\n",
      secs, static_cast<double>(report.entries_replayed) / secs,
      static_cast<unsigned long long>(report.entries_replayed), static_cast<unsigned long long>(report.credentials),
      compared, static_cast<unsigned long long>(report.tiles_checked), report.clean() ? "yes" : "no",
      static_cast<unsigned long long>(report.findings.total()),
      static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
      static_cast<double>(ru.ru_maxrss) / 1024.0);
  return report.clean() ? 0 : 2;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--audit-only") return AuditOnly(argv[2]);
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const fs::path dir =
      argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / ("wathiq-auditor-bench-" + std::to_string(getpid()));
  constexpr uint64_t kListEntries = 131072;
  const uint64_t per_list = kListEntries * 15 / 16;  // a new list opens before one fills
  auto t0 = std::chrono::steady_clock::now();
  test::TestPki pki = test::MustMakeTestPki();
  keys::TrustListContent content = pki.content;
  for (auto& a : content.agencies) a.aggregation_uri = "https://status." + a.id + ".example/aggregation";
  auto tl = keys::TrustList::Load(Must(pki.Sign(content), "sign trust list"), pki.root_cert, pki.Policy());
  if (!tl) return 1;
  const test::TestAgency& paci = pki.agency("paci");
  fs::remove_all(dir);
  const fs::path audit = dir / "audit", pub = dir / "public", log_dir = pub / "wathiq.example" / "log";

  std::mt19937_64 rng(12);
  std::vector<Bytes> entries;
  entries.reserve(n + n / 100 + 64);
  log::MemoryTree tree;
  std::map<std::string, status::StatusList> lists;
  auto append = [&](const log::Entry& e) {
    Bytes b = Must(log::EncodeEntry(e), "encode");
    tree.Append(log::LeafHash(b));
    entries.push_back(std::move(b));
  };
  std::vector<std::pair<log::CredentialId, std::pair<std::string, uint64_t>>> issued;
  std::vector<uint64_t> perm(kListEntries);
  std::string uri;
  for (uint64_t i = 0; i < n; ++i) {
    if (i % per_list == 0) {
      uri = paci.status_prefix + "/" + std::to_string(i / per_list + 1);
      lists.emplace(uri, Must(status::StatusList::Create(2, kListEntries), "list"));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
    }
    log::Entry e;
    e.event = log::Event::kIssue;
    e.time = static_cast<uint64_t>(pki.now) + i / 100;
    e.agency = "paci";
    e.actor = "batch";
    log::CredentialId id;
    for (auto& b : id) b = static_cast<uint8_t>(rng());
    e.credential_id = id;
    e.doc_type = paci.doc_types.at(0);
    e.status_uri = uri;
    e.status_idx = perm[i % per_list];
    e.valid_until = e.time + 10 * 365 * 86400;
    append(e);
    if (rng() % 100 == 0) issued.push_back({id, {uri, *e.status_idx}});
  }
  for (const auto& [id, slot] : issued) {
    log::Entry e;
    e.event = log::Event::kRevoke;
    e.time = static_cast<uint64_t>(pki.now) + n / 100 + 1;
    e.agency = "paci";
    e.actor = "officer";
    e.credential_id = id;
    e.doc_type = paci.doc_types.at(0);
    e.status_uri = slot.first;
    e.status_idx = slot.second;
    e.reason = "lost";
    append(e);
    MustOk(lists.at(slot.first).Set(slot.second, status::kStatusInvalid), "set");
  }
  // One publication.
  const uint64_t s = tree.size();
  const log::Hash root_s = Must(log::TreeRoot(tree, s), "root");
  std::map<std::string, Bytes> tokens;
  for (const auto& [u, l] : lists) {
    status::StatusListClaims c;
    c.sub = u;
    c.iat = static_cast<uint64_t>(pki.now) + n;
    c.exp = c.iat + 86400;
    c.ttl = 3600;
    c.log_checkpoint = status::LogCheckpointRef{pki.log_origin, s, root_s};
    tokens[u] = Must(status::SignStatusListToken(c, l, paci.status_key, paci.status_cert.kid()), "token");
    log::Entry e;
    e.event = log::Event::kStatusListPublished;
    e.time = c.iat;
    e.agency = "paci";
    e.actor = "publisher";
    e.status_uri = u;
    std::array<uint8_t, 32> h;
    Sha256(tokens[u], h.data());
    e.token_sha256 = h;
    append(e);
  }
  auto note_signer = Must(log::NoteSigner::Create(pki.log_origin, pki.log_key), "note signer");
  const log::NoteSigner* signers[] = {&note_signer};
  auto note = [&](uint64_t size) {
    log::Checkpoint cp{pki.log_origin, size, Must(log::TreeRoot(tree, size), "root"), {}};
    return Must(log::SignNote(Must(log::FormatCheckpoint(cp), "format"), signers), "sign");
  };
  MustOk(log::WriteEntryBundles(audit, entries, 0, tree.size()), "bundles");
  Write(audit / "checkpoints" / std::to_string(s), AsBytes(note(s)));
  const std::string latest = note(tree.size());
  Write(audit / "checkpoints" / std::to_string(tree.size()), AsBytes(latest));
  std::string agg = "{\"status_lists\":[";
  for (const auto& [u, t] : tokens) {
    Write(audit / "tokens" / u.substr(8) /
              (std::to_string(s) + "-" + std::to_string(pki.now + static_cast<int64_t>(n)) + ".cwt"),
          t);
    Write(pub / u.substr(8), t);
    agg += (agg.back() == '[' ? "\"" : ",\"") + u + "\"";
  }
  agg += "]}";
  for (const auto& a : (*tl)->agencies()) {
    Write(pub / a.aggregation_uri.substr(8), AsBytes(a.id == "paci" ? agg : std::string("{\"status_lists\":[]}")));
  }
  MustOk(log::WriteHashTiles(log_dir, tree, 0, tree.size()), "tiles");
  Write(log_dir / "checkpoint", AsBytes(latest));
  const double gen = Since(t0);
  Write(dir / "trust-list.cbor", Must(pki.Sign(content), "sign trust list"));
  Write(dir / "root.der", pki.root_cert.der());
  std::printf("auditor_bench: %llu credentials, %zu revoked, %llu entries, %zu lists (written in %.1f s)\n",
              static_cast<unsigned long long>(n), issued.size(), static_cast<unsigned long long>(tree.size()),
              lists.size(), gen);
  std::fflush(stdout);
  int rc = std::system((std::string(argv[0]) + " --audit-only '" + dir.string() + "'").c_str());
  fs::remove_all(dir);
  return rc == 0 ? 0 : 2;
}
