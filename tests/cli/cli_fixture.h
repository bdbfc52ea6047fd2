// Shared set-up of the command-line tests (tests/cli): the built `wathiq` run through a shell, and a
// folder of files as an agency clerk and a checkpoint officer have them, for a fresh national test PKI.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "support/pki_fixture.h"
#include "test_util.h"
#include "wathiq/keys/key_handle.h"
#include "wathiq/keys/keystore.h"

namespace wathiq::test {

// The passphrase of every sealed key the CLI tests write, given to `wathiq` as WATHIQ_PASSPHRASE.
inline constexpr std::string_view kCliPassphrase = "correct-horse";

// Runs `wathiq <args>`; stdout and stderr together.
inline ShellRun RunCli(const std::string& args) {
  return RunShell("WATHIQ_PASSPHRASE=" + std::string(kCliPassphrase) + " " + WATHIQ_CLI_PATH + " " + args);
}

// A test PKI made at the current time and a temporary folder holding its root certificate (root.pem) and
// signed trust list (tl.cbor); the officer's state folder (verifier-state) is inside it, and
// WATHIQ_STATE_DIR names it for the commands the test runs.
struct CliFolder {
  explicit CliFolder(std::string_view tag, uint64_t sequence = 1)
      : now(std::time(nullptr)), pki(MustMakeTestPki({.now = now, .sequence = sequence, .agencies = {}})), dir(tag) {
    setenv("WATHIQ_STATE_DIR", at("verifier-state").c_str(), 1);
    REQUIRE(WriteFileAtomically(at("root.pem"), AsBytes(pki.root_cert.ToPem()), WriteMode::kReplace));
    REQUIRE(WriteFileAtomically(at("tl.cbor"), pki.trust_list_bytes, WriteMode::kReplace));
    trust = " --trust-list " + at("tl.cbor") + " --root " + at("root.pem");
  }

  std::string at(std::string_view name) const { return dir / name; }

  // What `wathiq issuer issue` needs for a PACI civil ID: PACI's document-signer key (ds.wqkey) and a
  // device key (device.wqkey) sealed under kCliPassphrase, PACI's signer certificate (ds.pem) and a
  // citizen's record (record.json).
  void AddIssuerFiles() {
    auto pass = keys::SecretText::FromString(std::string(kCliPassphrase));
    keys::SealOptions seal;
    seal.kdf = keys::KdfParams::Min();
    const auto& paci = pki.agency("paci");
    REQUIRE(keys::WriteSealedKeyFile(at("ds.wqkey"), paci.ds_key, pass, seal));
    auto device = keys::KeyHandle::GenerateSoftware(Alg::kES256, "device");
    REQUIRE(device);
    REQUIRE(keys::WriteSealedKeyFile(at("device.wqkey"), *device, pass, seal));
    REQUIRE(WriteFileAtomically(at("ds.pem"), AsBytes(paci.ds_cert.ToPem()), WriteMode::kReplace));
    const std::string record = R"({"civil_id_number": "290010112346", "card_serial": "KW1234567",
      "full_name_ar": "محمد عبدالله العلي", "full_name_en": "Mohammad Abdullah Al-Ali", "birth_date": "1990-01-01",
      "sex": 1, "nationality": "KW", "issue_date": "2025-06-01", "expiry_date": "2030-05-31"})";
    REQUIRE(WriteFileAtomically(at("record.json"), AsBytes(record), WriteMode::kReplace));
  }
  // The arguments of `wathiq issuer issue` for those files (after AddIssuerFiles), without --out.
  std::string IssueArgs() const {
    return " --record " + at("record.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " + at("device.wqkey") +
           " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey");
  }

  int64_t now;
  TestPki pki;
  TempDir dir;
  std::string trust;  // " --trust-list <tl.cbor> --root <root.pem>"
};

}  // namespace wathiq::test
