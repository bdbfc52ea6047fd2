// The command line end to end with status lists and the audit checks: a clerk issues a civil ID with a
// status reference, the citizen presents it, PACI publishes signed status-list tokens, the officer verifies
// with `wathiq verify --status` (valid, then revoked); an auditor checks proofs and checkpoints.
#include <cstdio>
#include <filesystem>

#include "cli/cli_fixture.h"
#include "mdoc/mdoc_test_util.h"
#include "support/status_fixture.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/merkle.h"
#include "wathiq/log/note.h"
#include "wathiq/log/proof_json.h"

using namespace wathiq;
namespace fs = std::filesystem;

namespace {

using test::JsonOf;
using test::RunCli;

}  // namespace

TEST_CASE("CLI: issue with a status reference, verify with signed tokens: valid, then revoked", "[cli][status]") {
  test::CliFolder folder("cli-status");
  folder.AddIssuerFiles();
  const int64_t now = folder.now;
  const auto& pki = folder.pki;
  const auto& paci = pki.agency("paci");
  auto at = [&](const char* f) { return folder.at(f); };
  const std::string& trust = folder.trust;
  const std::string issue = "issuer --json issue" + folder.IssueArgs() + " --valid-days 365 --status-idx 4242";

  auto issued = RunCli(issue + " --status-uri " + paci.status_list_uri + " --out " + at("civil-id.mdoc"));
  INFO(issued.text);
  REQUIRE(issued.rc == 0);
  CHECK(JsonOf(issued)["status"]["uri"] == paci.status_list_uri);
  int64_t t = now;
  auto present = [&](const std::string& cred) {
    t += 2;
    std::string out = at("qr.txt");
    fs::remove(out);
    auto p = RunCli("wallet --now " + std::to_string(t) + " present --credential " + cred + " --device-key " +
                 at("device.wqkey") + " --profile checkpoint_identity --text-out " + out);
    INFO(p.text);
    REQUIRE(p.rc == 0);
    return out;
  };
  auto verify = [&](const std::string& qr_file, const std::string& status) {
    return RunCli("verify --json --now " + std::to_string(t) + " --text " + qr_file + trust + status);
  };

  // No tokens: the status cannot be confirmed.
  auto none = verify(present(at("civil-id.mdoc")), "");
  INFO(none.text);
  CHECK(none.rc == 1);
  CHECK(JsonOf(none)["verdict"] == "cannot_confirm_status");

  // PACI's token with entry 4242 valid, in a folder beside a token MoI signed for PACI's list.
  fs::create_directory(at("status"));
  auto list = test::MustStatusList();
  REQUIRE(keys::WriteFileAtomically(at("status/paci-1.cwt"),
                                    test::MustSignStatusToken(paci, list, paci.status_list_uri, now - 60),
                                    keys::WriteMode::kReplace));
  REQUIRE(keys::WriteFileAtomically(at("status/foreign.cwt"),
                                    test::MustSignStatusToken(pki.agency("moi-traffic"), list, paci.status_list_uri, now - 30),
                                    keys::WriteMode::kReplace));
  auto valid = verify(present(at("civil-id.mdoc")), " --status " + at("status"));
  INFO(valid.text);
  CHECK(valid.rc == 0);
  auto vj = JsonOf(valid);
  CHECK(vj["verdict"] == "valid");
  REQUIRE(vj["statusTokens"]["accepted"].size() == 1);
  REQUIRE(vj["statusTokens"]["refused"].size() == 1);
  CHECK(vj["statusTokens"]["refused"][0]["reason"] == "signer_not_authorized");

  // PACI revokes: a newer token, given as a file next to the older folder.
  REQUIRE(list.Set(4242, status::kStatusInvalid));
  REQUIRE(keys::WriteFileAtomically(at("paci-1-revoked.cwt"),
                                    test::MustSignStatusToken(paci, list, paci.status_list_uri, now - 10),
                                    keys::WriteMode::kReplace));
  auto revoked = verify(present(at("civil-id.mdoc")), " --status " + at("status") + " --status " + at("paci-1-revoked.cwt"));
  INFO(revoked.text);
  CHECK(revoked.rc == 1);
  auto rj = JsonOf(revoked);
  CHECK(rj["verdict"] == "invalid");
  CHECK(rj.dump().find("\"revoked\"") != std::string::npos);

  // Text mode names refused tokens on stderr and still gives the verdict.
  std::string qr_file = present(at("civil-id.mdoc"));
  auto text = RunCli("verify --now " + std::to_string(t) + " --text " + qr_file + trust + " --status " + at("status") +
                  " --status " + at("no-such-file.cwt"));
  CHECK(text.rc == 0);
  CHECK_THAT(text.text, Catch::Contains("refused") && Catch::Contains("signer_not_authorized") &&
                            Catch::Contains("unreadable"));

  // A credential whose MSO points into MoI's lists: signed by PACI, so not authorized.
  auto wrong = RunCli(issue + " --status-uri " + pki.agency("moi-traffic").status_list_uri + " --out " + at("wrong.mdoc"));
  REQUIRE(wrong.rc == 0);
  auto wv = verify(present(at("wrong.mdoc")), " --status " + at("status"));
  CHECK(wv.rc == 1);
  CHECK(JsonOf(wv).dump().find("signer_not_authorized") != std::string::npos);
}

TEST_CASE("CLI: audit check-proof and verify-checkpoint", "[cli][audit]") {
  test::TempDir dir("cli-status");
  // A tree of 10 entries; an inclusion proof for leaf 3 and a consistency proof 4 -> 10.
  log::MemoryTree tree;
  for (int i = 0; i < 10; ++i) tree.Append(log::LeafHash(AsBytes("entry " + std::to_string(i))));
  auto root10 = log::TreeRoot(tree, 10);
  auto root4 = log::TreeRoot(tree, 4);
  REQUIRE(root10);
  REQUIRE(root4);
  auto inc = log::InclusionProof(tree, 3, 10);
  auto cons = log::ConsistencyProof(tree, 4, 10);
  REQUIRE(inc);
  REQUIRE(cons);
  auto write = [&](const std::string& name, const std::string& text) {
    REQUIRE(keys::WriteFileAtomically(dir / name, AsBytes(text), keys::WriteMode::kReplace));
    return dir / name;
  };
  std::string inc_json = log::InclusionProofJson(3, 10, log::LeafHash(AsBytes("entry 3")), *inc, *root10);
  auto ok = RunCli("audit check-proof " + write("inc.json", inc_json));
  INFO(ok.text);
  CHECK(ok.rc == 0);
  CHECK(JsonOf(ok)["valid"] == true);
  auto ok_stdin = RunCli("audit check-proof - < " + dir / "inc.json");
  CHECK(ok_stdin.rc == 0);
  auto cok = RunCli("audit check-proof " + write("cons.json", log::ConsistencyProofJson(4, 10, *cons, *root4, *root10)));
  CHECK(cok.rc == 0);
  CHECK(JsonOf(cok)["type"] == "consistency");
  // The wrong leaf: invalid, exit 1, still JSON.
  auto bad = RunCli("audit check-proof " +
                 write("bad.json", log::InclusionProofJson(3, 10, log::LeafHash(AsBytes("entry 4")), *inc, *root10)));
  CHECK(bad.rc == 1);
  CHECK(JsonOf(bad)["valid"] == false);
  // Unreadable or malformed: exit 3.
  CHECK(RunCli("audit check-proof " + dir / "missing.json").rc == 3);
  CHECK(RunCli("audit check-proof " + write("junk.json", "{\"type\": \"inclusion\"")).rc == 3);
  CHECK(RunCli("audit --json check-proof " + write("extra.json", R"({"type": "inclusion", "x": 1})")).rc == 3);
  CHECK(RunCli("audit check-proof").rc == 2);

  // A checkpoint signed by the log's key.
  auto key = keys::KeyHandle::GenerateSoftware(Alg::kEdDSA, "log");
  REQUIRE(key);
  auto signer = log::NoteSigner::Create("wathiq.example/log", *key);
  REQUIRE(signer);
  auto cp_text = log::FormatCheckpoint({"wathiq.example/log", 10, *root10, {}});
  REQUIRE(cp_text);
  const log::NoteSigner* signers[] = {&*signer};
  auto note = log::SignNote(*cp_text, signers);
  REQUIRE(note);
  std::string cp = write("checkpoint", *note);
  std::string vkey = signer->VerifierKey();
  auto good = RunCli("audit --json verify-checkpoint --key " + vkey + " --origin wathiq.example/log " + cp);
  INFO(good.text);
  CHECK(good.rc == 0);
  auto gj = JsonOf(good);
  CHECK(gj["valid"] == true);
  CHECK(gj["size"] == 10);
  CHECK(gj["root"] == ToHex(ByteView(root10->data(), root10->size())));
  CHECK(RunCli("audit verify-checkpoint --key " + vkey + " --origin wathiq.example/log - < " + cp).rc == 0);
  // Another log's origin, another key, a flipped byte: invalid (1); a junk key: usage (2); junk note: 3.
  CHECK(RunCli("audit verify-checkpoint --key " + vkey + " --origin other.example/log " + cp).rc == 1);
  auto other_key = keys::KeyHandle::GenerateSoftware(Alg::kEdDSA, "other");
  REQUIRE(other_key);
  auto other = log::NoteSigner::Create("wathiq.example/log", *other_key);
  REQUIRE(other);
  CHECK(RunCli("audit verify-checkpoint --key " + other->VerifierKey() + " --origin wathiq.example/log " + cp).rc == 1);
  std::string flipped = *note;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(RunCli("audit verify-checkpoint --key " + vkey + " --origin wathiq.example/log " + write("flipped", flipped)).rc == 1);
  CHECK(RunCli("audit verify-checkpoint --key nonsense --origin wathiq.example/log " + cp).rc == 2);
  CHECK(RunCli("audit verify-checkpoint --key " + vkey + " --origin wathiq.example/log " + write("junk", "x")).rc == 3);
}
