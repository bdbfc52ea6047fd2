// The `wathiq` command line end to end, as an agency clerk and a checkpoint officer use it: issue a civil ID
// from a record with a sealed signer key, show it, make a QR PNG, verify it from the image, see it stale.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "support/pki_fixture.h"
#include "test_util.h"
#include "wathiq/keys/keystore.h"

using namespace wathiq;
namespace fs = std::filesystem;

namespace {

test::ShellRun Run(const std::string& args) {
  return test::RunShell(std::string("WATHIQ_PASSPHRASE=correct-horse ") + WATHIQ_CLI_PATH + " " + args);
}

}  // namespace

TEST_CASE("CLI: mdoc issue, mdoc show, qr present, qr verify from the PNG", "[cli]") {
  int64_t now = std::time(nullptr);
  auto pki = test::MustMakeTestPki({.now = now, .sequence = 1, .agencies = {}});
  char tmpl[] = "/tmp/wathiq-cli-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  fs::path dir(tmpl);
  auto at = [&](const char* f) { return (dir / f).string(); };
  auto pass = keys::SecretText::FromString("correct-horse");
  keys::SealOptions seal;
  seal.kdf = keys::KdfParams::Min();
  const auto& paci = pki.agency("paci");
  REQUIRE(keys::WriteSealedKeyFile(at("ds.wqkey"), paci.ds_key, pass, seal));
  auto device = keys::KeyHandle::GenerateSoftware(Alg::kES256, "device");
  REQUIRE(device);
  REQUIRE(keys::WriteSealedKeyFile(at("device.wqkey"), *device, pass, seal));
  REQUIRE(keys::WriteFileAtomically(at("ds.pem"), AsBytes(paci.ds_cert.ToPem()), keys::WriteMode::kReplace));
  REQUIRE(keys::WriteFileAtomically(at("root.pem"), AsBytes(pki.root_cert.ToPem()), keys::WriteMode::kReplace));
  REQUIRE(keys::WriteFileAtomically(at("tl.cbor"), pki.trust_list_bytes, keys::WriteMode::kReplace));
  const std::string record = R"({"civil_id_number": "290010112346", "card_serial": "KW1234567",
    "full_name_ar": "محمد عبدالله العلي", "full_name_en": "Mohammad Abdullah Al-Ali", "birth_date": "1990-01-01",
    "sex": 1, "nationality": "KW", "issue_date": "2025-06-01", "expiry_date": "2030-05-31"})";
  REQUIRE(keys::WriteFileAtomically(at("record.json"), AsBytes(record), keys::WriteMode::kReplace));
  std::string trust = " --trust-list " + at("tl.cbor") + " --root " + at("root.pem");

  // Three days and no status reference: a short-lived credential, which verifiers accept without a list.
  auto issue = Run("mdoc --json issue --record " + at("record.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
                   at("device.wqkey") + " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey") +
                   " --valid-days 3 --out " + at("civil-id.mdoc"));
  INFO(issue.text);
  REQUIRE(issue.rc == 0);
  auto j = nlohmann::json::parse(issue.text.substr(issue.text.find('{')), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["elements"] == 11);  // nine supplied, two age_over derived

  // Refuses to overwrite, and refuses a record that breaks a rule (naming it).
  CHECK(Run("mdoc issue --record " + at("record.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
            at("device.wqkey") + " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey") + " --out " +
            at("civil-id.mdoc")).rc != 0);
  REQUIRE(keys::WriteFileAtomically(at("bad.json"), AsBytes(R"({"full_name_en": "X"})"), keys::WriteMode::kReplace));
  auto bad = Run("mdoc issue --record " + at("bad.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
                 at("device.wqkey") + " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey") + " --out " +
                 at("bad.mdoc"));
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.text, Catch::Contains("missing required element 'civil_id_number'"));

  auto show = Run("mdoc show " + at("civil-id.mdoc") + trust);
  INFO(show.text);
  CHECK(show.rc == 0);
  CHECK_THAT(show.text, Catch::Contains("محمد عبدالله العلي"));
  CHECK_THAT(show.text, Catch::Contains("issuer verification: valid"));

  auto present = Run("qr present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                     " --profile checkpoint_identity --png " + at("qr.png") + " --text-out " + at("qr.txt"));
  INFO(present.text);
  REQUIRE(present.rc == 0);
  auto verify = Run("qr --json verify --image " + at("qr.png") + trust);
  INFO(verify.text);
  CHECK(verify.rc == 0);
  auto vj = nlohmann::json::parse(verify.text.substr(verify.text.find('{')), nullptr, false);
  REQUIRE_FALSE(vj.is_discarded());
  CHECK(vj["verdict"] == "valid");
  CHECK(vj["documents"][0]["elements"]["full_name_ar"] == "محمد عبدالله العلي");
  CHECK(vj["documents"][0]["elements"].size() == 6);

  auto stale = Run("qr --now " + std::to_string(now + 600) + " verify --text " + at("qr.txt") + trust);
  CHECK(stale.rc == 1);
  CHECK_THAT(stale.text, Catch::Contains("presentation_stale"));

  // A credential for QR use: only the checkpoint_identity elements, three days, no status list: the
  // smallest QR. A year-long one without a status reference cannot be confirmed.
  std::string issue_args = "mdoc --json issue --record " + at("record.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
                           at("device.wqkey") + " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey");
  auto small = Run(issue_args + " --only checkpoint_identity --valid-days 3 --out " + at("qr-id.mdoc"));
  INFO(small.text);
  REQUIRE(small.rc == 0);
  CHECK(nlohmann::json::parse(small.text.substr(small.text.find('{')))["elements"] == 6);
  auto small_qr = Run("qr --json present --credential " + at("qr-id.mdoc") + " --device-key " + at("device.wqkey") +
                      " --profile checkpoint_identity --text-out " + at("small.txt"));
  INFO(small_qr.text);
  REQUIRE(small_qr.rc == 0);
  auto sj = nlohmann::json::parse(small_qr.text.substr(small_qr.text.find('{')));
  CHECK(sj["version"].get<int>() <= 27);
  CHECK(sj["characters"].get<int>() <= 1637);
  CHECK(Run("qr verify --text " + at("small.txt") + trust).rc == 0);
  REQUIRE(Run(issue_args + " --only checkpoint_identity --valid-days 365 --out " + at("long.mdoc")).rc == 0);
  REQUIRE(Run("qr present --credential " + at("long.mdoc") + " --device-key " + at("device.wqkey") +
              " --profile checkpoint_identity --text-out " + at("long.txt")).rc == 0);
  auto unlisted = Run("qr verify --text " + at("long.txt") + trust);
  CHECK_THAT(unlisted.text, Catch::Contains("cannot_confirm_status") && Catch::Contains("no status reference"));
  CHECK(Run(issue_args + " --only no_such_profile --out " + at("x.mdoc")).rc != 0);

  // Challenge mode through files.
  REQUIRE(Run("qr challenge --name Checkpoint-7 --out " + at("wqc.txt")).rc == 0);
  REQUIRE(Run("qr present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
              " --disclose full_name_en --challenge " + at("wqc.txt") + " --text-out " + at("answer.txt")).rc == 0);
  CHECK(Run("qr verify --text " + at("answer.txt") + " --challenge " + at("wqc.txt") + trust).rc == 0);
  CHECK(Run("qr verify --text " + at("answer.txt") + trust).rc == 1);  // no challenge shown: nonce_mismatch
  fs::remove_all(dir);
}
