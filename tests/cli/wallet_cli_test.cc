// `wathiq wallet` end to end on a desktop, as a citizen uses it: init with a PIN from the environment, a
// device key for the issuer, import with verification (and a refusal with its reason), list and show with
// catalogue labels, a QR from the store that the officer's `wathiq verify` accepts, wrong PINs counted,
// change of PIN, delete.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "wathiq/keys/keystore.h"

using namespace wathiq;

TEST_CASE("CLI: wallet init, import, list, show, present from the store, PIN handling, delete", "[cli][wallet]") {
  test::CliFolder f("wallet-cli");
  f.AddIssuerFiles();
  auto at = [&](const char* name) { return f.at(name); };
  const std::string& trust = f.trust;
  const std::string cli = WATHIQ_CLI_PATH;
  const std::string where = " --wallet " + at("app-data") + " --keystore " + at("keystore");
  auto wallet = [&](const std::string& pin, const std::string& args) {
    return test::RunShell("WATHIQ_PIN=" + pin + " " + cli + " wallet " + args + where);
  };
  auto issue_to = [&](const std::string& device_key, const char* out) {
    auto r = test::RunCli("issuer issue --record " + at("record.json") +
                          " --doctype kw.gov.paci.civil_id.1 --device-key " + device_key + " --signer-cert " +
                          at("ds.pem") + " --signer-key " + at("ds.wqkey") + " --valid-days 3 --out " + at(out));
    INFO(r.text);
    REQUIRE(r.rc == 0);
  };

  // No PIN given: refused, and the PIN is never an argument.
  // (stdin is not a terminal here, so there is no prompt either; the PTY test below types one)
  auto no_pin = test::RunShell("env -u WATHIQ_PIN " + cli + " wallet init" + where + " </dev/null");
  CHECK(no_pin.rc != 0);
  CHECK_THAT(no_pin.text, Catch::Contains("never read from the command line"));
  CHECK_THAT(no_pin.text, Catch::Contains("--pin-file"));

  // A keystore inside the app-data folder would travel with every copy of it: refused.
  auto inside = test::RunShell("WATHIQ_PIN=123456 " + cli + " wallet init --wallet " + at("app-data") + " --keystore " +
                               at("app-data") + "/keystore");
  CHECK(inside.rc == 2);
  CHECK_THAT(inside.text, Catch::Contains("outside the wallet's app-data folder"));

  auto init = wallet("123456", "init");
  INFO(init.text);
  REQUIRE(init.rc == 0);
  CHECK(wallet("123456", "init").rc != 0);  // a second wallet is not created over the first

  auto key = wallet("123456", "new-device-key --out " + at("device.der"));
  INFO(key.text);
  REQUIRE(key.rc == 0);
  issue_to(at("device.der"), "civil-id.mdoc");

  auto imported = wallet("123456", "--json import " + at("civil-id.mdoc") + trust);
  INFO(imported.text);
  REQUIRE(imported.rc == 0);
  int64_t id = test::JsonOf(imported)["id"];

  // A credential bound to a key this wallet does not hold: refused with its reason, nothing stored.
  auto foreign = keys::KeyHandle::GenerateSoftware(Alg::kES256, "foreign");
  REQUIRE(foreign);
  keys::SealOptions seal;
  seal.kdf = keys::KdfParams::Min();
  REQUIRE(keys::WriteSealedKeyFile(at("foreign.wqkey"), *foreign,
                                   keys::SecretText::FromString(std::string(test::kCliPassphrase)), seal));
  issue_to(at("foreign.wqkey"), "foreign.mdoc");
  auto refused = wallet("123456", "--json import " + at("foreign.mdoc") + trust);
  CHECK(refused.rc == 1);
  CHECK(test::JsonOf(refused)["error"]["reason"] == "device_key_not_mine");

  auto list = wallet("123456", "--json list");
  INFO(list.text);
  REQUIRE(list.rc == 0);
  CHECK(test::JsonOf(list)["credentials"].size() == 1);

  auto show = wallet("123456", "--json show --id " + std::to_string(id));
  INFO(show.text);
  REQUIRE(show.rc == 0);
  bool saw_sex = false;
  const nlohmann::json shown = test::JsonOf(show);  // kept alive for the loop (a temporary's member would dangle)
  for (const auto& e : shown["elements"]) {
    if (e["id"] == "sex") {
      saw_sex = true;
      CHECK(e["valueLabel"]["en"] == "Male");
    }
  }
  CHECK(saw_sex);
  auto show_text = wallet("123456", "show --id " + std::to_string(id));
  CHECK_THAT(show_text.text, Catch::Contains("محمد عبدالله العلي"));

  auto present = wallet(
      "123456", "present --id " + std::to_string(id) + " --profile checkpoint_identity --text-out " + at("qr.txt"));
  INFO(present.text);
  REQUIRE(present.rc == 0);
  auto verify = test::RunShell(cli + " verify --text " + at("qr.txt") + trust);
  INFO(verify.text);
  CHECK(verify.rc == 0);
  CHECK_THAT(verify.text, Catch::Contains("verdict: valid"));

  // Wrong PINs are counted and the count is shown.
  auto wrong = wallet("000000", "--json unlock");
  CHECK(wrong.rc != 0);
  CHECK(test::JsonOf(wrong)["error"]["reason"] == "wrong_pin");
  CHECK_THAT(wrong.text, Catch::Contains("3 attempts left"));
  auto right = wallet("123456", "--json unlock");
  INFO(right.text);
  REQUIRE(right.rc == 0);
  CHECK(test::JsonOf(right)["pin"]["failures"] == 0);

  // A single-use batch of two: each QR from another credential, then exhausted.
  for (const char* n : {"b1", "b2"}) {
    std::string pub = at(n) + std::string(".der");
    REQUIRE(wallet("123456", "new-device-key --out " + pub).rc == 0);
    std::string file = std::string(n) + ".mdoc";
    issue_to(pub, file.c_str());
    auto in = wallet("123456", "import --batch commute " + at(file.c_str()) + trust);
    INFO(in.text);
    REQUIRE(in.rc == 0);
  }
  auto status = wallet("123456", "--json batch commute");
  INFO(status.text);
  REQUIRE(status.rc == 0);
  CHECK(test::JsonOf(status)["usableNow"] == 2);
  CHECK(wallet("123456", "present --batch commute --profile age_over_18").rc == 0);
  CHECK(wallet("123456", "present --batch commute --profile age_over_18").rc == 0);
  auto exhausted = wallet("123456", "--json present --batch commute --profile age_over_18");
  CHECK(exhausted.rc != 0);
  CHECK(test::JsonOf(exhausted)["error"]["reason"] == "batch_exhausted");
  CHECK(test::JsonOf(wallet("123456", "--json batch commute"))["needsRefill"] == true);

  auto change = test::RunShell("WATHIQ_PIN=123456 WATHIQ_NEW_PIN=97531864 " + cli + " wallet change-pin" + where);
  INFO(change.text);
  REQUIRE(change.rc == 0);
  CHECK(wallet("123456", "unlock").rc != 0);
  REQUIRE(wallet("97531864", "delete --id " + std::to_string(id)).rc == 0);
  const nlohmann::json left = test::JsonOf(wallet("97531864", "--json list"));
  CHECK(left["credentials"].size() == 2);  // the two spent batch credentials
  for (const auto& c : left["credentials"]) CHECK(c["id"] != id);
}

namespace {

// Runs `wathiq <args>` on a pseudo-terminal (stdin, stdout and stderr), without WATHIQ_PIN; each time the
// terminal shows `prompt`, types the next of `typed` and a newline. Returns the exit code and everything the
// terminal showed (so an echoed PIN would be in it).
test::ShellRun RunOnTerminal(const std::vector<std::string>& args, const std::string& prompt,
                             std::vector<std::string> typed) {
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    unsetenv("WATHIQ_PIN");
    std::vector<char*> argv;
    static const std::string cli = WATHIQ_CLI_PATH;
    argv.push_back(const_cast<char*>(cli.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(cli.c_str(), argv.data());
    _exit(127);
  }
  std::string seen;
  size_t answered_upto = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{master, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and the terminal is closed
    seen.append(buf, static_cast<size_t>(n));
    size_t at = seen.find(prompt, answered_upto);
    if (at != std::string::npos && !typed.empty()) {
      answered_upto = at + prompt.size();
      std::string line = typed.front() + "\n";
      typed.erase(typed.begin());
      REQUIRE(write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    }
  }
  close(master);
  int st = 0;
  waitpid(pid, &st, 0);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, seen};
}

}  // namespace

TEST_CASE("CLI: the PIN typed at a terminal prompt with echo off, never shown", "[cli][wallet][pin]") {
  test::CliFolder f("wallet-pin");
  const std::vector<std::string> where = {"--wallet", f.at("app-data"), "--keystore", f.at("keystore")};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), where.begin(), where.end());
    return a;
  };
  // init asks twice; two different answers create nothing.
  auto differ = RunOnTerminal(with({"wallet", "init"}), "PIN", {"24681357", "24681358"});
  CHECK(differ.rc != 0);
  CHECK_THAT(differ.text, Catch::Contains("differ"));
  CHECK_FALSE(std::filesystem::exists(f.at("app-data") + "/wallet.db"));

  auto init = RunOnTerminal(with({"wallet", "init"}), "PIN", {"24681357", "24681357"});
  INFO(init.text);
  REQUIRE(init.rc == 0);
  CHECK_THAT(init.text, Catch::Contains("wallet created"));
  CHECK(init.text.find("24681357") == std::string::npos);  // not echoed

  auto unlock = RunOnTerminal(with({"wallet", "unlock"}), "Wallet PIN: ", {"24681357"});
  INFO(unlock.text);
  CHECK(unlock.rc == 0);
  CHECK_THAT(unlock.text, Catch::Contains("unlocked"));
  CHECK(unlock.text.find("24681357") == std::string::npos);
  auto wrong = RunOnTerminal(with({"wallet", "unlock"}), "Wallet PIN: ", {"11112222"});
  CHECK(wrong.rc != 0);
  CHECK_THAT(wrong.text, Catch::Contains("wrong_pin"));
  CHECK(wrong.text.find("11112222") == std::string::npos);
}

TEST_CASE("CLI: wallet status, backup with a recovery code, restore in a new wallet", "[cli][wallet][backup]") {
  test::CliFolder f("wallet-backup");
  f.AddIssuerFiles();
  const std::string cli = WATHIQ_CLI_PATH;
  auto wallet = [&](const std::string& name, const std::string& env, const std::string& args) {
    return test::RunShell("WATHIQ_PIN=123456 " + env + " " + cli + " wallet " + args + " --wallet " +
                          f.at(name + "-app") + " --keystore " + f.at(name + "-keystore") + " </dev/null");
  };
  REQUIRE(wallet("a", "", "init").rc == 0);
  REQUIRE(wallet("a", "", "new-device-key --out " + f.at("device.der")).rc == 0);
  auto issued =
      test::RunCli("issuer issue --record " + f.at("record.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
                   f.at("device.der") + " --signer-cert " + f.at("ds.pem") + " --signer-key " + f.at("ds.wqkey") +
                   " --out " + f.at("card.mdoc"));
  INFO(issued.text);
  REQUIRE(issued.rc == 0);
  auto imported = wallet("a", "", "import " + f.at("card.mdoc") + f.trust);
  INFO(imported.text);
  REQUIRE(imported.rc == 0);

  // No tokens published in the folder: each credential is unknown, with the reason.
  std::filesystem::create_directories(f.at("public"));
  auto status = wallet("a", "", "--json status --tokens " + f.at("public") + f.trust);
  INFO(status.text);
  REQUIRE(status.rc == 0);
  const nlohmann::json sj = test::JsonOf(status);
  REQUIRE(sj["credentials"].size() == 1);
  CHECK(sj["credentials"][0]["outcome"] == "unknown");
  CHECK(sj["credentials"][0]["held"] == "unchecked");
  const nlohmann::json listed = test::JsonOf(wallet("a", "", "--json list"));
  CHECK(listed["credentials"][0]["state"] == "unchecked");

  // Backup with a generated recovery code: no passphrase on the command line, the code in a 0600 file.
  auto backup =
      wallet("a", "", "--json backup --out " + f.at("a.wqbackup") + " --new-recovery-code " + f.at("code.txt"));
  INFO(backup.text);
  REQUIRE(backup.rc == 0);
  CHECK(test::JsonOf(backup)["credentials"] == 1);
  CHECK((std::filesystem::status(f.at("code.txt")).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  const Bytes file = *ReadFileBytes(f.at("a.wqbackup"));
  CHECK(std::search(file.begin(), file.end(), std::begin("290010112346"), std::end("290010112346") - 1) == file.end());

  // A new wallet: a wrong passphrase writes nothing (no requests file, no device key).
  REQUIRE(wallet("b", "", "init").rc == 0);
  const Bytes state_before = *ReadFileBytes(f.at("b-keystore") + "/keystore.state");
  auto wrong = wallet("b", "WATHIQ_BACKUP_PASSPHRASE='not the recovery code at all'",
                      "--json restore --backup " + f.at("a.wqbackup") + " --requests-out " + f.at("requests.json"));
  CHECK(wrong.rc != 0);
  CHECK(test::JsonOf(wrong)["error"]["reason"] == "wrong_passphrase");
  CHECK_FALSE(std::filesystem::exists(f.at("requests.json")));
  CHECK(*ReadFileBytes(f.at("b-keystore") + "/keystore.state") == state_before);

  auto restored = wallet("b", "",
                         "--json restore --backup " + f.at("a.wqbackup") + " --passphrase-file " + f.at("code.txt") +
                             " --requests-out " + f.at("requests.json"));
  INFO(restored.text);
  REQUIRE(restored.rc == 0);
  auto req = nlohmann::json::parse(std::string(AsString(*ReadFileBytes(f.at("requests.json")))));
  REQUIRE(req["restoreRequests"].size() == 1);
  CHECK(req["restoreRequests"][0]["documentNumber"] == "290010112346");
  CHECK(req["restoreRequests"][0]["agency"] == "paci");
  CHECK(req["restoreRequests"][0]["oldCredentials"].size() == 1);
  CHECK(*ReadFileBytes(f.at("b-keystore") + "/keystore.state") != state_before);  // the new device key
}
