// A deployment's robustness on disk: backup and restore (`wathiq issuer backup|restore`) keep the log
// consistent and a restored log behind its published checkpoint is refused with both sizes named; a full
// disk (RLIMIT_FSIZE on the real CLI process) gives a clear error and leaves nothing half-written; a
// damaged, truncated or empty registry and a damaged sealed key give a clear error and change nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "cli/issuer_crash_cli_test.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/merkle.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

Bytes FileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void PutBytes(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Every file under `dir` (relative path -> bytes).
std::map<std::string, Bytes> Tree(const std::string& dir) {
  std::map<std::string, Bytes> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = FileBytes(e.path().string());
  }
  return out;
}

// `wathiq <args...>` with RLIMIT_FSIZE = limit bytes and SIGXFSZ ignored (a write past the limit fails
// with EFBIG, as on a full disk); stdout and stderr into `out`. Returns the exit code.
int RunLimited(size_t limit, const std::vector<std::string>& args, const std::string& out) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl {};
    rl.rlim_cur = rl.rlim_max = limit;
    setrlimit(RLIMIT_FSIZE, &rl);
    setenv("WATHIQ_PASSPHRASE", std::string(kCliPassphrase).c_str(), 1);
    std::vector<char*> argv{const_cast<char*>(WATHIQ_CLI_PATH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(WATHIQ_CLI_PATH, argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The deployment opens, its file is whole, every credential has its issue entry, no slot twice; returns
// the number of credentials.
uint64_t CheckRegistry(const std::string& dep) {
  auto pass = keys::SecretText::FromString(kTestPassphrase);
  auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
  if (!d) FAIL(d.error().ToString());
  auto& reg = d->registry();
  REQUIRE(reg.CheckIntegrity());
  uint64_t size = *reg.LogSize();
  auto entries = reg.LogEntries(0, size);
  REQUIRE(entries);
  std::set<std::pair<std::string, uint64_t>> slots;
  for (const auto& e : *entries) {
    auto ev = log::DecodeEntry(e);
    REQUIRE(ev);
    if (ev->event == log::Event::kIssue) CHECK(slots.insert({*ev->status_uri, *ev->status_idx}).second);
  }
  CHECK(*reg.CredentialCount() == slots.size());
  auto last = reg.LastCheckpoint();
  REQUIRE(last);
  if (*last) {
    auto proof = log::ConsistencyProof(reg, (*last)->size, size);
    REQUIRE(proof);
    CHECK(log::VerifyConsistency((*last)->size, size, *proof, (*last)->root, *log::TreeRoot(reg, size)));
  }
  return slots.size();
}

void NoTemporaryFiles(const std::string& dir) {
  for (const auto& [name, bytes] : Tree(dir)) {
    INFO(name);
    CHECK(name.find(".tmp") == std::string::npos);
    CHECK(name.find("partial") == std::string::npos);
  }
}

std::string WriteBatch(const CliDeployment& c, const std::string& name, uint64_t from, uint64_t count) {
  auto device = GenerateSoftwareSigner(Alg::kES256);
  REQUIRE(device);
  PublicKey dev = *(*device)->public_key();
  std::string path = c.tmp.at(name);
  std::ofstream f(path);
  for (uint64_t n = from; n < from + count; ++n) f << CivilBatchLine(n, dev) << "\n";
  return path;
}

}  // namespace

TEST_CASE("CLI issuer backup/restore: an old backup is refused to act (sizes named), the latest continues the log",
          "[cli][issuer][backup]") {
  CliDeployment c;
  REQUIRE(RunCli("issuer batch" + c.d + " --actor clerk --quiet --input " + WriteBatch(c, "b1.jsonl", 0, 30)).rc == 0);
  REQUIRE(RunCli("issuer --json publish" + c.d).rc == 0);
  auto b1 = RunCli("issuer --json backup" + c.d + " --out " + c.tmp.at("backup-1"));
  INFO(b1.text);
  REQUIRE(b1.rc == 0);
  uint64_t size1 = JsonOf(b1)["log_size"];
  CHECK(JsonOf(b1)["credentials"] == 30);
  // The backup is encrypted: no SQLite header, no document number in clear.
  Bytes db = FileBytes(c.tmp.at("backup-1/registry.db"));
  REQUIRE(db.size() > 4096);
  std::string dbs(db.begin(), db.end());
  CHECK(dbs.rfind("SQLite format 3", 0) == std::string::npos);
  CHECK(dbs.find(CivilIdFor(3).number) == std::string::npos);
  CHECK(RunCli("issuer backup" + c.d + " --out " + c.tmp.at("backup-1")).rc != 0);  // never over a backup

  REQUIRE(RunCli("issuer batch" + c.d + " --actor clerk --quiet --input " + WriteBatch(c, "b2.jsonl", 30, 20)).rc == 0);
  REQUIRE(
      RunCli("issuer revoke" + c.d + " --agency paci --document " + CivilIdFor(4).number + " --reason stolen --actor o")
          .rc == 0);
  auto p2 = RunCli("issuer --json publish" + c.d);
  REQUIRE(p2.rc == 0);
  auto cp2 = c.PublicCheckpoint();
  REQUIRE(cp2);
  CHECK(cp2->size > size1);
  auto b2 = RunCli("issuer --json backup" + c.d + " --out " + c.tmp.at("backup-2"));
  REQUIRE(b2.rc == 0);
  CHECK(JsonOf(b2)["log_size"] == cp2->size);

  // A damaged backup is refused whole; the deployment is untouched.
  fs::copy(c.tmp.at("backup-2"), c.tmp.at("backup-bad"), fs::copy_options::recursive);
  {
    Bytes bad = FileBytes(c.tmp.at("backup-bad/registry.db"));
    bad[3 * 4096 + 77] ^= 0x40;
    PutBytes(c.tmp.at("backup-bad/registry.db"), bad);
  }
  auto before = Tree(c.dep);
  auto refused = RunCli("issuer --json restore --from " + c.tmp.at("backup-bad") + c.d);
  INFO(refused.text);
  CHECK(refused.rc != 0);
  CHECK(JsonOf(refused)["error"]["reason"] == "backup_damaged");
  before.erase("lock");
  auto after = Tree(c.dep);
  after.erase("lock");
  CHECK(before == after);

  // Restoring the older backup: the registry lost entries the public log has. It says so, and every action
  // that would append to the log is refused with both sizes named; nothing in the public folder changes.
  auto public_before = Tree(c.dep + "/public");
  auto r1 = RunCli("issuer --json restore --from " + c.tmp.at("backup-1") + c.d);
  INFO(r1.text);
  REQUIRE(r1.rc == 0);
  CHECK(JsonOf(r1)["behind_published"] == true);
  CHECK(JsonOf(r1)["log_size"] == size1);
  CHECK(JsonOf(r1)["published_size"] == cp2->size);
  for (std::string cmd :
       {"issuer --json publish" + c.d,
        "issuer --json revoke" + c.d + " --agency paci --document " + CivilIdFor(5).number + " --reason lost --actor o",
        "issuer --json batch" + c.d + " --actor clerk --input " + c.tmp.at("b2.jsonl")}) {
    auto r = RunCli(cmd);
    INFO(cmd << "\n" << r.text);
    CHECK(r.rc != 0);
    auto j = JsonOf(r);
    CHECK(j["error"]["reason"] == "log_behind_published");
    std::string msg = j["error"]["message"];
    CHECK(msg.find(std::to_string(size1)) != std::string::npos);
    CHECK(msg.find(std::to_string(cp2->size)) != std::string::npos);
  }
  CHECK(Tree(c.dep + "/public") == public_before);

  // Restoring the latest backup: the log continues from the published checkpoint.
  auto r2 = RunCli("issuer --json restore --from " + c.tmp.at("backup-2") + c.d);
  INFO(r2.text);
  REQUIRE(r2.rc == 0);
  CHECK(JsonOf(r2)["behind_published"] == false);
  REQUIRE(RunCli("issuer batch" + c.d + " --actor clerk --quiet --input " + WriteBatch(c, "b3.jsonl", 50, 5)).rc == 0);
  auto p3 = RunCli("issuer --json publish" + c.d);
  INFO(p3.text);
  REQUIRE(p3.rc == 0);
  auto cp3 = c.PublicCheckpoint();
  REQUIRE(cp3);
  CHECK(cp3->size > cp2->size);
  CHECK(CheckRegistry(c.dep) == 55);
  {
    auto pass = keys::SecretText::FromString(kTestPassphrase);
    auto d = issuer::Deployment::Open(c.dep, pass, issuer::SealedFileOpener(pass));
    REQUIRE(d);
    auto proof = log::ConsistencyProof(d->registry(), cp2->size, cp3->size);
    REQUIRE(proof);
    CHECK(log::VerifyConsistency(cp2->size, cp3->size, *proof, cp2->root, cp3->root));
  }
  auto report = c.Audit(cp2);
  INFO(FindingsText(report));
  CHECK(report.clean());

  // On a fresh machine: the old backup with the checkpoint the public server serves is refused to act;
  // the latest backup works there (the config's paths now point into the new folder).
  std::string fresh = c.tmp.at("fresh");
  auto rf = RunCli("issuer --json restore --from " + c.tmp.at("backup-1") + " -d " + fresh + " --checkpoint " + c.dep +
                   "/public/log.test.example/wathiq/checkpoint");
  INFO(rf.text);
  REQUIRE(rf.rc == 0);
  CHECK(JsonOf(rf)["behind_published"] == true);
  CHECK(JsonOf(RunCli("issuer --json publish -d " + fresh))["error"]["reason"] == "log_behind_published");
  std::string fresh2 = c.tmp.at("fresh2");
  auto rf2 = RunCli("issuer --json restore --from " + c.tmp.at("backup-2") + " -d " + fresh2 + " --checkpoint " +
                    c.tmp.at("backup-2") + "/../dep/public/log.test.example/wathiq/checkpoint");
  INFO(rf2.text);
  REQUIRE(rf2.rc == 0);
  CHECK(JsonOf(rf2)["behind_published"] == true);  // the public log has moved on past backup-2 (cp3)
  auto rf3 = RunCli("issuer --json restore --from " + c.tmp.at("backup-2") + " -d " + c.tmp.at("fresh3"));
  REQUIRE(rf3.rc == 0);
  std::string cfg(reinterpret_cast<const char*>(FileBytes(c.tmp.at("fresh3/deployment.json")).data()),
                  FileBytes(c.tmp.at("fresh3/deployment.json")).size());
  CHECK(cfg.find(c.tmp.at("fresh3/log.key")) != std::string::npos);
  auto pf = RunCli("issuer --json publish -d " + c.tmp.at("fresh3"));
  INFO(pf.text);
  CHECK(pf.rc == 0);
}

TEST_CASE("CLI issuer backup while a batch runs: a consistent snapshot of whole transactions",
          "[cli][issuer][backup]") {
  CliDeployment c;
  std::string batch = WriteBatch(c, "batch.jsonl", 0, 1500);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    setenv("WATHIQ_PASSPHRASE", std::string(kCliPassphrase).c_str(), 1);
    execl(WATHIQ_CLI_PATH, WATHIQ_CLI_PATH, "issuer", "batch", "-d", c.dep.c_str(), "--actor", "clerk", "--chunk", "32",
          "--input", batch.c_str(), "--quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  usleep(300 * 1000);
  auto b = RunCli("issuer --json backup" + c.d + " --out " + c.tmp.at("backup"));
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  INFO(b.text);
  REQUIRE(b.rc == 0);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  uint64_t in_backup = JsonOf(b)["credentials"];
  INFO("credentials in the backup: " << in_backup);
  CHECK((in_backup % 32 == 0 || in_backup == 1500));  // whole chunks only
  auto r = RunCli("issuer --json restore --from " + c.tmp.at("backup") + " -d " + c.tmp.at("restored"));
  INFO(r.text);
  REQUIRE(r.rc == 0);
  CHECK(CheckRegistry(c.tmp.at("restored")) == in_backup);
  CHECK(CheckRegistry(c.dep) == 1500);
}

TEST_CASE("CLI issuer under a file-size limit (a full disk): a clear error, nothing half-written, a re-run succeeds",
          "[cli][issuer][disk]") {
  CliDeployment c;
  std::string batch = WriteBatch(c, "batch.jsonl", 0, 400);
  const std::vector<std::string> batch_args{"issuer", "--json",  "batch", "-d",      c.dep, "--actor",
                                            "clerk",  "--chunk", "32",    "--input", batch};
  // A batch that runs out of room part way: the chunks committed stay, the rest is not half there.
  int failures = 0;
  for (size_t limit : {size_t{24} << 10, size_t{256} << 10, size_t{640} << 10}) {
    std::string out = c.tmp.at("limited.out");
    int rc = RunLimited(limit, batch_args, out);
    std::string text(reinterpret_cast<const char*>(FileBytes(out).data()), FileBytes(out).size());
    INFO("limit " << limit << ": rc " << rc << "\n" << text);
    CHECK(rc < 128);  // an exit, not a signal
    if (rc != 0) {
      ++failures;
      CHECK(text.find("File too large") != std::string::npos);
    }
    uint64_t have = CheckRegistry(c.dep);
    std::printf("file-size limit %zu KiB: batch exit %d, %llu credentials in the registry\n", limit >> 10, rc,
                static_cast<unsigned long long>(have));
    NoTemporaryFiles(c.dep);
  }
  CHECK(failures > 0);
  auto done = RunCli("issuer --json batch" + c.d + " --actor clerk --input " + batch);
  INFO(done.text);
  REQUIRE(done.rc == 0);
  CHECK(JsonOf(done)["issued"].get<uint64_t>() + JsonOf(done)["already_issued"].get<uint64_t>() == 400);
  CHECK(CheckRegistry(c.dep) == 400);

  // A single issue with no room: refused, no credential file, nothing issued.
  {
    auto pass = keys::SecretText::FromString(kTestPassphrase);
    keys::SealOptions seal;
    seal.kdf = keys::KdfParams::Min();
    auto dk = keys::KeyHandle::GenerateSoftware(Alg::kES256, "device");
    REQUIRE(dk);
    REQUIRE(keys::WriteSealedKeyFile(c.tmp.at("device.wqkey"), *dk, pass, seal));
    std::ofstream(c.tmp.at("record.json")) << CivilRecord(CivilIdFor(1000));
  }
  std::vector<std::string> issue_args{"issuer",
                                      "--json",
                                      "issue",
                                      "-d",
                                      c.dep,
                                      "--agency",
                                      "paci",
                                      "--actor",
                                      "clerk",
                                      "--record",
                                      c.tmp.at("record.json"),
                                      "--doctype",
                                      kCivilId,
                                      "--device-key",
                                      c.tmp.at("device.wqkey"),
                                      "--out",
                                      c.tmp.at("one.mdoc")};
  int rc = RunLimited(2048, issue_args, c.tmp.at("issue.out"));
  CHECK(rc != 0);
  CHECK(rc < 128);
  CHECK_FALSE(fs::exists(c.tmp.at("one.mdoc")));
  CHECK(CheckRegistry(c.dep) == 400);
  CHECK(RunLimited(size_t{1} << 30, issue_args, c.tmp.at("issue.out")) == 0);
  CHECK(CheckRegistry(c.dep) == 401);

  // Publish with no room, at limits that stop it in the registry and in the files: never a torn file.
  int publish_failures = 0;
  for (size_t limit : {size_t{2} << 10, size_t{12} << 10, size_t{24} << 10, size_t{48} << 10}) {
    std::string out = c.tmp.at("publish.out");
    int prc = RunLimited(limit, {"issuer", "--json", "publish", "-d", c.dep}, out);
    std::string text(reinterpret_cast<const char*>(FileBytes(out).data()), FileBytes(out).size());
    INFO("limit " << limit << ": rc " << prc << "\n" << text);
    CHECK(prc < 128);
    if (prc != 0) {
      ++publish_failures;
      CHECK(text.find("File too large") != std::string::npos);
    }
    CheckRegistry(c.dep);
    std::printf("file-size limit %zu KiB: publish exit %d%s\n", limit >> 10, prc,
                prc == 0                                       ? ""
                : text.find("log_behind") != std::string::npos ? ""
                                                               : (", " + text.substr(0, 160)).c_str());
    NoTemporaryFiles(c.dep + "/public");
    NoTemporaryFiles(c.dep + "/audit");
  }
  CHECK(publish_failures > 0);
  auto p = RunCli("issuer --json publish" + c.d);
  INFO(p.text);
  REQUIRE(p.rc == 0);
  auto report = c.Audit(std::nullopt);
  INFO(FindingsText(report));
  CHECK(report.clean());
}

TEST_CASE("issuer deployment: a damaged, truncated or empty registry or a damaged sealed key is a clear error",
          "[issuer][negative]") {
  TestPki pki = MustMakeTestPki();
  IssuerTempDir tmp;
  auto pass = keys::SecretText::FromString(kTestPassphrase);
  std::string dep = tmp.at("dep");
  InitTestDeployment(pki, tmp, dep, pass);
  {
    auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
    REQUIRE(d);
    auto device = GenerateSoftwareSigner(Alg::kES256);
    REQUIRE(device);
    for (uint64_t n = 0; n < 40; ++n) {
      issuer::IssueInput in;
      in.agency = "paci";
      in.doc_type = kCivilId;
      in.claims_json = CivilRecord(CivilIdFor(n));
      in.device_key = *(*device)->public_key();
      REQUIRE(d->Issue(in, "clerk", pki.now));
    }
  }
  std::string db = dep + "/registry.db";
  REQUIRE_FALSE(fs::exists(db + "-wal"));  // closed cleanly: the file is the whole registry
  const Bytes good = FileBytes(db);
  REQUIRE(good.size() % 4096 == 0);
  REQUIRE(good.size() >= 8 * 4096);

  // Opens, and on failure the files are exactly as they were (nothing written).
  auto open_damaged = [&](const Bytes& damaged) -> Result<issuer::Deployment> {
    PutBytes(db, damaged);
    auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
    if (!d) {
      CHECK(FileBytes(db) == damaged);
      CHECK_FALSE(fs::exists(db + "-wal"));
    }
    return d;
  };
  SECTION("bytes flipped in the first page") {
    Bytes b = good;
    for (size_t i = 100; i < 140; ++i) b[i] ^= 0x5a;
    auto d = open_damaged(b);
    REQUIRE_FALSE(d);
    INFO(d.error().ToString());
    CHECK(d.error().reason_code() == "wrong_key_or_damaged");
    CHECK(d.error().message.find("registry.db") != std::string::npos);
  }
  SECTION("bytes flipped in a later page: the integrity check names it; every read of it fails cleanly") {
    Bytes b = good;
    size_t page = good.size() / 4096 / 2;
    for (size_t i = 0; i < 64; ++i) b[page * 4096 + 200 + i] ^= 0xa5;
    auto d = open_damaged(b);
    if (d) {
      auto s = d->registry().CheckIntegrity();
      REQUIRE_FALSE(s);
      INFO(s.error().ToString());
      CHECK(s.error().reason_code() == "database_damaged");
      // Reading everything meets the damaged page: an error, never a crash.
      bool failed = false;
      for (uint64_t n = 0; n < 40 && !failed; ++n) failed = !d->Show(CivilIdFor(n).number);
      auto entries = d->registry().LogEntries(0, 40);
      CHECK((failed || !entries));
    } else {
      INFO(d.error().ToString());
      CHECK(d.error().code == Errc::kMalformed);
    }
  }
  SECTION("truncated to half, cut mid-page and at a page boundary") {
    Bytes half(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2 + 100));
    auto d = open_damaged(half);
    REQUIRE_FALSE(d);
    INFO(d.error().ToString());
    CHECK(d.error().reason_code() == "database_truncated");
    Bytes pages(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 4096 / 2 * 4096));
    auto d2 = open_damaged(pages);
    if (d2) {
      auto s = d2->registry().CheckIntegrity();
      REQUIRE_FALSE(s);
      INFO(s.error().ToString());
      CHECK(s.error().code == Errc::kMalformed);
    } else {
      INFO(d2.error().ToString());
      CHECK(d2.error().code == Errc::kMalformed);
    }
  }
  SECTION("zero length") {
    auto d = open_damaged({});
    REQUIRE_FALSE(d);
    INFO(d.error().ToString());
    CHECK(d.error().reason_code() == "database_truncated");
    CHECK(FileBytes(db).empty());
  }
  SECTION("a damaged published-checkpoint record") {
    {
      auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
      REQUIRE(d);
      issuer::PublishOptions po;
      po.public_dir = tmp.at("public");
      po.audit_dir = tmp.at("audit");
      REQUIRE(d->Publish(po));
    }
    std::string rec = dep + "/published-checkpoint";
    Bytes note = FileBytes(rec);
    REQUIRE(!note.empty());
    Bytes bad = note;
    bad[bad.size() - 10] ^= 0x01;  // in the signature
    PutBytes(rec, bad);
    auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
    REQUIRE_FALSE(d);
    INFO(d.error().ToString());
    CHECK(d.error().reason_code() == "published_checkpoint_unreadable");
    PutBytes(rec, note);
    CHECK(issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass)));
  }
  SECTION("a damaged sealed registry key, then a damaged log key") {
    for (const char* key : {"registry.key", "log.key"}) {
      std::string path = dep + "/" + key;
      Bytes k = FileBytes(path);
      Bytes bad = k;
      bad[bad.size() / 2] ^= 0x01;
      PutBytes(path, bad);
      auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
      REQUIRE_FALSE(d);
      INFO(d.error().ToString());
      CHECK(d.error().message.find(std::string(key) == "registry.key" ? "registry key" : "log key") !=
            std::string::npos);
      CHECK(FileBytes(db) == good);
      PutBytes(path, k);
    }
    auto d = issuer::Deployment::Open(dep, pass, issuer::SealedFileOpener(pass));
    CHECK(d);
  }
}
