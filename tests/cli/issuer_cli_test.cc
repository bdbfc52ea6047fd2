// `wathiq issuer` on a deployment, end to end as a new user runs it: init, issue, present, publish, verify
// with the published token (valid), revoke, publish, verify (revoked); suspend / reinstate; refusals with
// their exit codes and reasons; a batch with a bad line, re-run; and a batch killed with SIGKILL at random
// points (seed printed) that, re-run, issues everyone exactly once with a consistent log.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "cli/cli_fixture.h"
#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/note.h"
#include "wathiq/log/tiles.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

struct CliDeployment {
  int64_t now = std::time(nullptr);
  TestPki pki = MustMakeTestPki({.now = now, .sequence = 1, .agencies = {}});
  IssuerTempDir tmp;
  std::string dep = tmp.at("dep");
  std::string d = " -d " + tmp.at("dep");
  CliDeployment() {
    std::string cfg = WriteDeploymentConfig(pki, tmp.path);
    auto r = RunCli("issuer --json init " + dep + " --config " + cfg + " --kdf min");
    INFO(r.text);
    REQUIRE(r.rc == 0);
    auto j = JsonOf(r);
    CHECK(j["log"]["verifier_key"].get<std::string>().rfind("log.test.example+", 0) == 0);
    CHECK(j["agencies"][0]["status_prefix"] == pki.agency("paci").status_prefix);
  }
};

}  // namespace

TEST_CASE("CLI issuer: init, issue, publish, verify valid, revoke, publish, verify revoked, refusals",
          "[cli][issuer]") {
  CliDeployment c;
  auto at = [&](const std::string& f) { return c.tmp.at(f); };
  setenv("WATHIQ_STATE_DIR", at("verifier-state").c_str(), 1);
  auto pass = keys::SecretText::FromString(kTestPassphrase);
  keys::SealOptions seal;
  seal.kdf = keys::KdfParams::Min();
  auto device = keys::KeyHandle::GenerateSoftware(Alg::kES256, "device");
  REQUIRE(device);
  REQUIRE(keys::WriteSealedKeyFile(at("device.wqkey"), *device, pass, seal));
  REQUIRE(WriteFileAtomically(at("root.pem"), AsBytes(c.pki.root_cert.ToPem()), WriteMode::kReplace));
  REQUIRE(WriteFileAtomically(at("tl.cbor"), c.pki.trust_list_bytes, WriteMode::kReplace));
  CivilIdentity id = CivilIdFor(42);
  std::ofstream(at("record.json")) << CivilRecord(id);
  int64_t t = c.now;
  auto T = [&] { return " --now " + std::to_string(++t); };

  auto issued =
      RunCli("issuer --json issue" + c.d + T() + " --agency paci --actor clerk-7 --record " + at("record.json") +
             " --doctype " + kCivilId + " --device-key " + at("device.wqkey") + " --out " + at("id.mdoc"));
  INFO(issued.text);
  REQUIRE(issued.rc == 0);
  auto ij = JsonOf(issued);
  CHECK(ij["document_number"] == id.number);
  std::string uri = ij["status"]["uri"];
  CHECK(uri == c.pki.agency("paci").status_prefix + "/1");

  auto publish = [&] {
    auto p = RunCli("issuer --json publish" + c.d + T());
    INFO(p.text);
    REQUIRE(p.rc == 0);
    return JsonOf(p);
  };
  std::string token = at("dep/public/status.paci.example/lists/1");
  auto verify = [&] {
    std::string qr = at("qr.txt");
    fs::remove(qr);
    auto p = RunCli("wallet" + T() + " present --credential " + at("id.mdoc") + " --device-key " + at("device.wqkey") +
                    " --profile checkpoint_identity --text-out " + qr);
    INFO(p.text);
    REQUIRE(p.rc == 0);
    auto v = RunCli("verify --json" + T() + " --text " + qr + " --trust-list " + at("tl.cbor") + " --root " +
                    at("root.pem") + " --status " + token);
    INFO(v.text);
    return std::make_pair(v.rc, JsonOf(v));
  };
  auto pj = publish();
  CHECK(pj["tokens"].size() == 1);
  auto [rc1, v1] = verify();
  CHECK(rc1 == 0);
  CHECK(v1["verdict"] == "valid");

  // Refusals: exit 1 (refused) or 3 (unknown), a reason, nothing written.
  auto other = RunCli("issuer --json revoke" + c.d + T() + " --agency moi-traffic --document " + id.number +
                      " --reason lost --actor officer-1");
  CHECK(other.rc == 1);
  CHECK(JsonOf(other)["error"]["reason"] == "other_agency");
  auto unknown =
      RunCli("issuer --json revoke" + c.d + T() + " --agency paci --document 300000000000 --reason lost --actor o");
  CHECK(unknown.rc == 3);
  CHECK(JsonOf(unknown)["error"]["reason"] == "unknown_document");
  auto bad_reason = RunCli("issuer --json revoke" + c.d + T() + " --agency paci --document " + id.number +
                           " --reason bored --actor o");
  CHECK(bad_reason.rc == 2);

  // Suspend -> suspended; reinstate -> valid.
  REQUIRE(RunCli("issuer suspend" + c.d + T() + " --agency paci --document " + id.number +
                 " --reason court_order --actor o")
              .rc == 0);
  publish();
  auto [rc2, v2] = verify();
  CHECK(rc2 == 1);
  CHECK(v2["verdict"] == "invalid");
  CHECK(v2.dump().find("suspended") != std::string::npos);
  REQUIRE(RunCli("issuer reinstate" + c.d + T() + " --agency paci --document " + id.number + " --actor o").rc == 0);
  publish();
  CHECK(verify().second["verdict"] == "valid");

  // Revoke -> revoked; revoking twice and reinstating are refused.
  auto rev = RunCli("issuer --json revoke" + c.d + T() + " --agency paci --document " + id.number +
                    " --reason stolen --actor officer-1");
  INFO(rev.text);
  REQUIRE(rev.rc == 0);
  publish();
  auto [rc3, v3] = verify();
  CHECK(rc3 == 1);
  CHECK(v3["verdict"] == "invalid");
  CHECK(v3.dump().find("revoked") != std::string::npos);
  auto twice = RunCli("issuer --json revoke" + c.d + T() + " --agency paci --document " + id.number +
                      " --reason stolen --actor officer-1");
  CHECK(twice.rc == 1);
  CHECK(JsonOf(twice)["error"]["reason"] == "already_revoked");
  auto back = RunCli("issuer --json reinstate" + c.d + T() + " --agency paci --document " + id.number + " --actor o");
  CHECK(back.rc == 1);
  CHECK(JsonOf(back)["error"]["reason"] == "revoked");

  auto show = RunCli("issuer --json show" + c.d + " --document " + id.number);
  INFO(show.text);
  REQUIRE(show.rc == 0);
  auto sj = JsonOf(show);
  REQUIRE(sj["credentials"].size() == 1);
  CHECK(sj["credentials"][0]["state"] == "revoked");
  CHECK(sj["credentials"][0]["history"].size() == 4);  // issue, suspend, reinstate, revoke
}

TEST_CASE("CLI issuer batch: bad lines by number, a summary, a re-run issues no one twice", "[cli][issuer]") {
  CliDeployment c;
  auto device = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(device);
  PublicKey dev = *(*device)->public_key();
  {
    std::ofstream f(c.tmp.at("batch.jsonl"));
    for (uint64_t n = 0; n < 60; ++n)
      f << (n == 7 ? std::string("{\"agency\": \"paci\"") : CivilBatchLine(n, dev)) << "\n";
  }
  auto first = RunCli("issuer --json batch" + c.d + " --actor batch-1 --input " + c.tmp.at("batch.jsonl"));
  INFO(first.text);
  CHECK(first.rc == 1);  // a line was refused
  auto j = JsonOf(first);
  CHECK(j["issued"] == 59);
  CHECK(j["refused"] == 1);
  REQUIRE(j["refusals"].size() == 1);
  CHECK(j["refusals"][0]["line"] == 8);
  auto again = RunCli("issuer --json batch" + c.d + " --actor batch-1 --input " + c.tmp.at("batch.jsonl"));
  auto j2 = JsonOf(again);
  CHECK(j2["issued"] == 0);
  CHECK(j2["already_issued"] == 59);
}

TEST_CASE("CLI issuer batch: an endless line is refused by number, and the lines after it are issued",
          "[cli][issuer]") {
  CliDeployment c;
  auto device = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(device);
  PublicKey dev = *(*device)->public_key();
  {
    std::ofstream f(c.tmp.at("batch.jsonl"));
    f << CivilBatchLine(0, dev) << "\n";
    f << std::string(3u << 20, 'x') << "\n";  // 3 MiB: more than a line may hold
    f << CivilBatchLine(1, dev) << "\n";
    f << std::string((1u << 20) + 1, 'y') << "\n";  // one byte over, exactly
    f << CivilBatchLine(2, dev);                    // the last line, without a newline
  }
  auto r = RunCli("issuer --json batch" + c.d + " --actor batch-4 --input " + c.tmp.at("batch.jsonl"));
  INFO(r.text.substr(0, 2000));
  CHECK(r.rc == 1);
  auto j = JsonOf(r);
  CHECK(j["issued"] == 3);
  REQUIRE(j["refusals"].size() == 2);
  CHECK(j["refusals"][0]["line"] == 2);
  CHECK(j["refusals"][1]["line"] == 4);
  CHECK(j["refusals"][0]["message"].get<std::string>().find("1 MiB") != std::string::npos);
}

TEST_CASE(
    "CLI issuer batch killed with SIGKILL at random points: re-runs issue everyone once, the log stays consistent",
    "[cli][issuer][crash]") {
  CliDeployment c;
  auto device = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(device);
  PublicKey dev = *(*device)->public_key();
  const uint64_t kLines = 2500;
  {
    std::ofstream f(c.tmp.at("batch.jsonl"));
    for (uint64_t n = 0; n < kLines; ++n) f << CivilBatchLine(n, dev) << "\n";
  }
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("WATHIQ_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("issuer crash test seed: %llu (WATHIQ_CRASH_SEED to repeat)\n", static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::string passenv = std::string("WATHIQ_PASSPHRASE=") + kTestPassphrase;
  auto pass = keys::SecretText::FromString(kTestPassphrase);

  std::optional<log::Checkpoint> previous;
  int kills = 0;
  auto check_state = [&] {
    // After a crash: the deployment opens, the file is whole, every credential has its issue entry and every
    // issue entry its credential, no slot is used twice, and the log is consistent with the last checkpoint.
    auto dep = issuer::Deployment::Open(c.dep, pass, issuer::SealedFileOpener(pass));
    REQUIRE(dep);
    auto& reg = dep->registry();
    REQUIRE(reg.CheckIntegrity());
    uint64_t size = *reg.LogSize();
    auto entries = reg.LogEntries(0, size);
    REQUIRE(entries);
    std::set<log::CredentialId> logged;
    std::set<std::pair<std::string, uint64_t>> slots;
    for (const auto& e : *entries) {
      auto d = log::DecodeEntry(e);
      REQUIRE(d);
      if (d->event == log::Event::kIssue) {
        CHECK(logged.insert(*d->credential_id).second);
        CHECK(slots.insert({*d->status_uri, *d->status_idx}).second);
      }
    }
    CHECK(*reg.CredentialCount() == logged.size());
    auto lists = reg.Lists("paci");
    uint64_t used = 0;
    for (const auto& l : *lists) used += l.used;
    CHECK(used == logged.size());
    std::vector<log::Hash> leaves;
    for (const auto& e : *entries) leaves.push_back(log::LeafHash(e));
    log::Hash root = *log::TreeRoot(reg, size);
    CHECK(root == log::RootFromLeafHashes(leaves));
    if (previous) {
      auto proof = log::ConsistencyProof(reg, previous->size, size);
      REQUIRE(proof);
      CHECK(log::VerifyConsistency(previous->size, size, *proof, previous->root, root));
    }
    previous = log::Checkpoint{"log.test.example", size, root, {}};
    return logged.size();
  };

  auto t0 = std::chrono::steady_clock::now();
  for (int round = 0; round < 20; ++round) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      putenv(passenv.data());
      execl(WATHIQ_CLI_PATH, WATHIQ_CLI_PATH, "issuer", "batch", "-d", c.dep.c_str(), "--actor", "batch-crash",
            "--input", c.tmp.at("batch.jsonl").c_str(), "--chunk", "64", "--quiet", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
    int st = 0;
    if (::kill(pid, SIGKILL) == 0) ++kills;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    check_state();
  }
  // The last run completes: everyone issued, once.
  auto done = RunCli("issuer --json batch" + c.d + " --actor batch-crash --input " + c.tmp.at("batch.jsonl"));
  INFO(done.text);
  REQUIRE(done.rc == 0);
  auto j = JsonOf(done);
  CHECK(j["issued"].get<uint64_t>() + j["already_issued"].get<uint64_t>() == kLines);
  CHECK(check_state() == kLines);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("issuer crash test: %d kills, %.1f s\n", kills, secs);
}
