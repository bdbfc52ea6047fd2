// `wathiq issuer signer|trust-list|stage|pickup|cancel-staged` end to end: a new document signer is added
// and the old one retired as compromised; after publishing, the old signer's credential verifies revoked
// and the new signer's valid (with a trust list that carries it, recorded in the log); a staged record is
// picked up with a device key and verifies; refusals have their reasons and write nothing.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "cli/cli_fixture.h"
#include "issuer/issuer_fixture.h"
#include "test_util.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

TEST_CASE("CLI issuer signer: rotate, retire the old key as compromised, stage and pick up", "[cli][issuer]") {
  int64_t now = std::time(nullptr);
  TestPki pki = MustMakeTestPki({.now = now, .sequence = 1, .agencies = {}});
  IssuerTempDir tmp;
  auto at = [&](const std::string& f) { return tmp.at(f); };
  std::string d = " -d " + at("dep");
  std::string cfg = WriteDeploymentConfig(pki, tmp.path);
  auto init = RunCli("issuer --json init " + at("dep") + " --config " + cfg + " --kdf min");
  INFO(init.text);
  REQUIRE(init.rc == 0);
  std::string old_key_id = JsonOf(init)["agencies"][0]["document_signer_key_id"];
  REQUIRE(old_key_id.size() == 16);

  setenv("WATHIQ_STATE_DIR", at("verifier-state").c_str(), 1);
  auto pass = keys::SecretText::FromString(kTestPassphrase);
  keys::SealOptions seal;
  seal.kdf = keys::KdfParams::Min();
  auto device = keys::KeyHandle::GenerateSoftware(Alg::kES256, "device");
  REQUIRE(device);
  REQUIRE(keys::WriteSealedKeyFile(at("device.wqkey"), *device, pass, seal));
  REQUIRE(WriteFileAtomically(at("root.pem"), AsBytes(pki.root_cert.ToPem()), WriteMode::kReplace));
  int64_t t = now;
  auto T = [&] { return " --now " + std::to_string(++t); };

  auto issue = [&](uint64_t n, const std::string& out) {
    std::ofstream(at("record.json")) << CivilRecord(CivilIdFor(n));
    auto r = RunCli("issuer --json issue" + d + T() + " --agency paci --actor clerk-7 --record " + at("record.json") +
                    " --doctype " + kCivilId + " --device-key " + at("device.wqkey") + " --out " + at(out));
    INFO(r.text);
    REQUIRE(r.rc == 0);
    return JsonOf(r);
  };
  auto old_cred = issue(1, "old.mdoc");

  // A new signer (sealed key file under the deployment passphrase, certificate under the root).
  auto key = keys::KeyHandle::GenerateSoftware(Alg::kES256, "ds2");
  REQUIRE(key);
  auto cert =
      pki.Issue(keys::CertRole::kDocumentSigner, key->cached_public_key(), "PACI DS 2", now - kDay, now + 365 * kDay);
  REQUIRE(cert);
  REQUIRE(keys::WriteSealedKeyFile(at("ds2.key"), *key, pass, seal));
  REQUIRE(WriteFileAtomically(at("ds2.der"), cert->der(), WriteMode::kCreateNew));
  auto added = RunCli("issuer --json signer add" + d + T() + " --agency paci --key-file " + at("ds2.key") + " --cert " +
                      at("ds2.der") + " --actor security-officer");
  INFO(added.text);
  REQUIRE(added.rc == 0);
  std::string new_key_id = JsonOf(added)["key_id"];
  CHECK(JsonOf(added)["active"] == true);
  auto again = RunCli("issuer --json signer add" + d + T() + " --agency paci --key-file " + at("ds2.key") + " --cert " +
                      at("ds2.der") + " --actor security-officer");
  CHECK(again.rc != 0);
  CHECK(JsonOf(again)["error"]["reason"] == "signer_exists");
  auto list = RunCli("issuer --json signer list" + d + " --agency paci");
  REQUIRE(list.rc == 0);
  REQUIRE(JsonOf(list)["signers"].size() == 2);
  CHECK(JsonOf(list)["signers"][1]["active"] == true);
  auto new_cred = issue(2, "new.mdoc");

  // The old key is compromised: its credential is revoked, the new one is not.
  auto retired = RunCli("issuer --json signer retire" + d + T() + " --agency paci --key-id " + old_key_id +
                        " --reason key_compromise --actor security-officer");
  INFO(retired.text);
  REQUIRE(retired.rc == 0);
  auto rj = JsonOf(retired);
  REQUIRE(rj["revoked"].size() == 1);
  CHECK(rj["revoked"][0] == old_cred["credential_id"]);
  CHECK(rj["active_key_id"] == new_key_id);
  auto twice = RunCli("issuer --json signer retire" + d + T() + " --agency paci --key-id " + old_key_id +
                      " --reason key_compromise --actor security-officer");
  CHECK(twice.rc == 1);
  CHECK(JsonOf(twice)["error"]["reason"] == "already_retired");

  // The trust list that carries the new signer, recorded in the log.
  keys::TrustListContent content = pki.content;
  content.sequence = 2;
  for (auto& a : content.agencies) {
    if (a.id == "paci") a.document_signer_certs.push_back(cert->der());
  }
  auto tl2 = pki.Sign(content);
  REQUIRE(tl2);
  REQUIRE(WriteFileAtomically(at("tl2.cbor"), *tl2, WriteMode::kReplace));
  auto rec = RunCli("issuer --json trust-list" + d + T() + " --record " + at("tl2.cbor") + " --root " + at("root.pem") +
                    " --actor trust-officer");
  INFO(rec.text);
  REQUIRE(rec.rc == 0);
  CHECK(JsonOf(rec)["sequence"] == 2);
  CHECK(JsonOf(rec)["missing_signers"].empty());
  auto rollback = RunCli("issuer --json trust-list" + d + T() + " --record " + at("tl2.cbor") + " --root " +
                         at("root.pem") + " --actor trust-officer");
  CHECK(rollback.rc == 1);
  CHECK(JsonOf(rollback)["error"]["reason"] == "trust_list_rollback");

  REQUIRE(RunCli("issuer publish" + d + T()).rc == 0);
  std::string token = at("dep/public/status.paci.example/lists/1");
  auto verify = [&](const std::string& cred) {
    std::string qr = at("qr.txt");
    fs::remove(qr);
    auto p = RunCli("wallet" + T() + " present --credential " + at(cred) + " --device-key " + at("device.wqkey") +
                    " --profile checkpoint_identity --text-out " + qr);
    INFO(p.text);
    REQUIRE(p.rc == 0);
    auto v = RunCli("verify --json" + T() + " --text " + qr + " --trust-list " + at("tl2.cbor") + " --root " +
                    at("root.pem") + " --status " + token);
    INFO(v.text);
    return JsonOf(v);
  };
  CHECK(verify("old.mdoc")["verdict"] == "invalid");
  CHECK(verify("new.mdoc")["verdict"] == "valid");

  // Staged: no device key at the desk, picked up later; the pickup id works once.
  std::ofstream(at("staged.json")) << CivilRecord(CivilIdFor(3));
  auto staged = RunCli("issuer --json stage" + d + T() + " --agency paci --doctype " + std::string(kCivilId) +
                       " --record " + at("staged.json") + " --actor clerk-7");
  INFO(staged.text);
  REQUIRE(staged.rc == 0);
  std::string pickup = JsonOf(staged)["pickup_id"];
  auto show = RunCli("issuer --json show" + d + " --document " + CivilIdFor(3).number);
  REQUIRE(show.rc == 0);
  CHECK(JsonOf(show)["staged"][0]["state"] == "staged");
  auto picked = RunCli("issuer --json pickup" + d + T() + " --pickup-id " + pickup + " --device-key " +
                       at("device.wqkey") + " --out " + at("staged.mdoc") + " --actor pickup-service");
  INFO(picked.text);
  REQUIRE(picked.rc == 0);
  auto picked2 = RunCli("issuer --json pickup" + d + T() + " --pickup-id " + pickup + " --device-key " +
                        at("device.wqkey") + " --out " + at("staged2.mdoc") + " --actor pickup-service");
  CHECK(picked2.rc == 1);
  CHECK(JsonOf(picked2)["error"]["reason"] == "not_staged");
  CHECK_FALSE(fs::exists(at("staged2.mdoc")));
  REQUIRE(RunCli("issuer publish" + d + T()).rc == 0);
  CHECK(verify("staged.mdoc")["verdict"] == "valid");

  // A bad record is refused at staging.
  std::ofstream(at("bad.json")) << R"({"civil_id_number": ")" + CivilIdFor(4).number + R"("})";
  auto bad = RunCli("issuer --json stage" + d + T() + " --agency paci --doctype " + std::string(kCivilId) +
                    " --record " + at("bad.json") + " --actor clerk-7");
  CHECK(bad.rc != 0);
  auto none = RunCli("issuer --json show" + d + " --document " + CivilIdFor(4).number);
  CHECK(none.rc == 3);
}
