// `wathiq wallet` end to end on a desktop, as a citizen uses it: init with a PIN from the environment, a
// device key for the issuer, import with verification (and a refusal with its reason), list and show with
// catalogue labels, a QR from the store that the officer's `wathiq verify` accepts, wrong PINs counted,
// change of PIN, delete.
#include <string>

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
  auto no_pin = test::RunShell("env -u WATHIQ_PIN " + cli + " wallet init" + where);
  CHECK(no_pin.rc != 0);
  CHECK_THAT(no_pin.text, Catch::Contains("never read from the command line"));

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
