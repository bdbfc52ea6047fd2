// Crash safety of revocations and publication with real processes: a shell runs `wathiq issuer revoke`
// (and `suspend`, `publish` between them) one document after another and is killed with SIGKILL at a
// random point (seed printed; WATHIQ_CRASH_SEED repeats a run, WATHIQ_CRASH_ROUNDS sets the kill points,
// default 20). After each kill: the deployment opens, the file is whole, every acknowledged action (the
// CLI printed it before the kill) is in the registry and the log, no slot is used twice, the log is
// consistent with the state before and with the registry's last signed checkpoint, and the next
// publication reflects every acknowledged revocation (the auditor rebuilds every list from the log and
// finds nothing, holding the previous public checkpoint).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "cli/issuer_crash_cli_test.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/merkle.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

uint64_t EnvOr(const char* name, uint64_t def) {
  const char* s = std::getenv(name);
  return s && *s ? std::strtoull(s, nullptr, 10) : def;
}

// Runs `sh script` in its own process group; returns its pid (= the group id).
pid_t StartScript(const std::string& script) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl("/bin/sh", "sh", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

// After SIGKILL the group's processes die asynchronously: wait (at most 10 s) until none holds the
// deployment's lock.
void WaitForLockFree(const std::string& lock) {
  for (int i = 0; i < 1000; ++i) {
    int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    if (free) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TEST_CASE("CLI issuer revoke/suspend/publish killed with SIGKILL at random points: nothing acknowledged is lost",
          "[cli][issuer][crash]") {
  CliDeployment c;
  auto device = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(device);
  PublicKey dev = *(*device)->public_key();
  const uint64_t rounds = EnvOr("WATHIQ_CRASH_ROUNDS", 20);
  const uint64_t per_round = 10;
  const uint64_t docs = rounds * per_round + 10;
  {
    std::ofstream f(c.tmp.at("batch.jsonl"));
    for (uint64_t n = 0; n < docs; ++n) f << CivilBatchLine(n, dev) << "\n";
  }
  auto batch = RunCli("issuer --json batch" + c.d + " --actor clerk --input " + c.tmp.at("batch.jsonl"));
  INFO(batch.text);
  REQUIRE(batch.rc == 0);
  auto first = RunCli("issuer --json publish" + c.d);
  REQUIRE(first.rc == 0);

  uint64_t seed = EnvOr("WATHIQ_CRASH_SEED", std::random_device{}());
  std::printf("issuer revocation crash test seed: %llu (WATHIQ_CRASH_SEED to repeat), %llu rounds\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(rounds));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  auto pass = keys::SecretText::FromString(kTestPassphrase);

  std::optional<log::Checkpoint> held = c.PublicCheckpoint();
  REQUIRE(held);
  log::Checkpoint previous = *held;                 // the log as last seen by the test
  std::map<std::string, std::string> acknowledged;  // document -> "revoke" | "suspend"
  int kills = 0, acked_total = 0, publishes_acked = 0;

  auto check_state = [&] {
    auto dep = issuer::Deployment::Open(c.dep, pass, issuer::SealedFileOpener(pass));
    if (!dep) FAIL(dep.error().ToString());
    auto& reg = dep->registry();
    REQUIRE(reg.CheckIntegrity());
    uint64_t size = *reg.LogSize();
    auto entries = reg.LogEntries(0, size);
    REQUIRE(entries);
    std::set<std::pair<std::string, uint64_t>> slots;
    std::map<log::CredentialId, std::string> last_event;
    for (const auto& e : *entries) {
      auto ev = log::DecodeEntry(e);
      REQUIRE(ev);
      if (ev->event == log::Event::kIssue) CHECK(slots.insert({*ev->status_uri, *ev->status_idx}).second);
      if (ev->credential_id) {
        last_event[*ev->credential_id] = ev->event == log::Event::kRevoke    ? "revoke"
                                         : ev->event == log::Event::kSuspend ? "suspend"
                                                                             : "other";
      }
    }
    CHECK(slots.size() == docs);
    CHECK(*reg.CredentialCount() == docs);
    for (const auto& [doc, action] : acknowledged) {
      auto creds = reg.ByDocument(doc, false);
      REQUIRE(creds);
      REQUIRE(creds->size() == 1);
      const auto& cr = (*creds)[0];
      INFO("document " << doc << " " << action);
      CHECK(cr.state == (action == "revoke" ? issuer::CredentialState::kRevoked : issuer::CredentialState::kSuspended));
      CHECK(last_event[cr.id] == action);  // ... and the log has it
    }
    log::Hash root = *log::TreeRoot(reg, size);
    REQUIRE(size >= previous.size);
    auto proof = log::ConsistencyProof(reg, previous.size, size);
    REQUIRE(proof);
    CHECK(log::VerifyConsistency(previous.size, size, *proof, previous.root, root));
    auto last = reg.LastCheckpoint();
    REQUIRE(last);
    REQUIRE(*last);
    auto proof2 = log::ConsistencyProof(reg, (*last)->size, size);
    REQUIRE(proof2);
    CHECK(log::VerifyConsistency((*last)->size, size, *proof2, (*last)->root, root));
    previous = log::Checkpoint{"log.test.example", size, root, {}};
  };

  auto t0 = std::chrono::steady_clock::now();
  uint64_t next_doc = 0;
  std::string cli = std::string("WATHIQ_PASSPHRASE=") + std::string(kCliPassphrase) + " " + WATHIQ_CLI_PATH;
  for (uint64_t round = 0; round < rounds; ++round) {
    std::string out = c.tmp.at("out-" + std::to_string(round) + ".jsonl");
    std::string script = c.tmp.at("round.sh");
    std::vector<std::string> planned;
    {
      std::ofstream s(script);
      for (uint64_t k = 0; k < per_round; ++k, ++next_doc) {
        std::string doc = CivilIdFor(next_doc).number;
        planned.push_back(doc);
        const char* action = (next_doc % 3 == 2) ? "suspend --reason court_order" : "revoke --reason lost";
        s << cli << " issuer --json " << action << c.d << " --agency paci --document " << doc << " --actor officer >> "
          << out << "\n";
        if (k % 3 == 1) s << cli << " issuer --json publish" << c.d << " >> " << out << "\n";
      }
    }
    pid_t pid = StartScript(script);
    REQUIRE(pid > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 900)(rng)));
    if (::kill(-pid, SIGKILL) == 0) ++kills;
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    WaitForLockFree(c.dep + "/lock");
    // What the CLI acknowledged before the kill (a line cut by the kill is not an acknowledgement).
    // The CLI prints one indented JSON object per command, closed by a "}" line of its own.
    std::vector<std::string> objects;
    {
      std::ifstream in(out);
      std::string line, cur;
      while (std::getline(in, line)) {
        cur += line + "\n";
        if (line == "}") {
          objects.push_back(cur);
          cur.clear();
        }
      }
    }
    for (const auto& text : objects) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_object() || !j.value("ok", false)) continue;
      std::string cmd = j.value("command", "");
      if (cmd == "revoke" || cmd == "suspend") {
        acknowledged[j["document_number"].get<std::string>()] = cmd;
        ++acked_total;
      }
      if (cmd == "publish") ++publishes_acked;
    }
    check_state();
    // The next publication (run to the end) reflects every acknowledged action, and the log is consistent
    // with the checkpoint the public held before.
    auto p = RunCli("issuer --json publish" + c.d);
    INFO(p.text);
    REQUIRE(p.rc == 0);
    CHECK(JsonOf(p)["reflected_size"].get<uint64_t>() >= previous.size);
    // Nothing a killed publication left behind: no temporary file, no staged history, no publishing record.
    CHECK_FALSE(fs::exists(c.dep + "/publishing"));
    CHECK_FALSE(fs::exists(c.dep + "/audit/staging"));
    for (const char* folder : {"/public", "/audit"}) {
      for (const auto& e : fs::recursive_directory_iterator(c.dep + folder)) {
        INFO(e.path());
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
      }
    }
    auto report = c.Audit(held);
    INFO(FindingsText(report));
    CHECK(report.clean());
    auto pub = c.PublicCheckpoint();
    REQUIRE(pub);
    held = pub;
    previous = *pub;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("issuer revocation crash test: %d kills, %d acknowledged actions, %d acknowledged publications, %.1f s\n",
              kills, acked_total, publishes_acked, secs);
  CHECK(acked_total > 0);
}
