// The `wathiq` command line end to end, as an agency clerk and a checkpoint officer use it: issue a civil ID
// from a record with a sealed signer key, show it, make a QR PNG, verify it from the image, see it stale.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "cli/cli_fixture.h"
#include "mdoc/mdoc_test_util.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/file.h"
#include "wathiq/core/zlib.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/mdoc/qr.h"

using namespace wathiq;
namespace fs = std::filesystem;

using test::RunCli;

TEST_CASE("CLI: issuer issue, wallet show and present, verify from the PNG", "[cli]") {
  test::CliFolder folder("cli");
  folder.AddIssuerFiles();
  const int64_t now = folder.now;
  auto at = [&](const char* f) { return folder.at(f); };
  const std::string& trust = folder.trust;

  // Three days and no status reference: a short-lived credential, which verifiers accept without a list.
  auto issue = RunCli("issuer --json issue" + folder.IssueArgs() + " --valid-days 3 --out " + at("civil-id.mdoc"));
  INFO(issue.text);
  REQUIRE(issue.rc == 0);
  auto j = nlohmann::json::parse(issue.text.substr(issue.text.find('{')), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["elements"] == 11);  // nine supplied, two age_over derived

  // Refuses to overwrite, and refuses a record that breaks a rule (naming it).
  CHECK(RunCli("issuer issue" + folder.IssueArgs() + " --out " + at("civil-id.mdoc")).rc != 0);
  REQUIRE(keys::WriteFileAtomically(at("bad.json"), AsBytes(R"({"full_name_en": "X"})"), keys::WriteMode::kReplace));
  auto bad = RunCli("issuer issue --record " + at("bad.json") + " --doctype kw.gov.paci.civil_id.1 --device-key " +
                    at("device.wqkey") + " --signer-cert " + at("ds.pem") + " --signer-key " + at("ds.wqkey") +
                    " --out " + at("bad.mdoc"));
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.text, Catch::Contains("missing required element 'civil_id_number'"));

  auto show = RunCli("wallet show " + at("civil-id.mdoc") + trust);
  INFO(show.text);
  CHECK(show.rc == 0);
  CHECK_THAT(show.text, Catch::Contains("محمد عبدالله العلي"));
  CHECK_THAT(show.text, Catch::Contains("issuer verification: valid"));
  // The verdict comes before any element value.
  CHECK(show.text.find("issuer verification") < show.text.find("محمد عبدالله العلي"));
  auto unverified = RunCli("wallet show " + at("civil-id.mdoc"));
  CHECK(unverified.rc == 0);
  CHECK_THAT(unverified.text, Catch::Contains("UNVERIFIED"));

  auto present = RunCli("wallet present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                        " --profile checkpoint_identity --png " + at("qr.png") + " --text-out " + at("qr.txt"));
  INFO(present.text);
  REQUIRE(present.rc == 0);
  auto verify = RunCli("verify --json --image " + at("qr.png") + trust);
  INFO(verify.text);
  CHECK(verify.rc == 0);
  auto vj = nlohmann::json::parse(verify.text.substr(verify.text.find('{')), nullptr, false);
  REQUIRE_FALSE(vj.is_discarded());
  CHECK(vj["verdict"] == "valid");
  REQUIRE(vj["documents"][0]["elements"].size() == 6);
  bool name_seen = false;
  for (const auto& e : vj["documents"][0]["elements"]) {
    CHECK(e["nameSpace"] == "kw.gov.paci.civil_id.1");  // the namespace travels with each element
    if (e["id"] == "full_name_ar") name_seen = e["value"] == "محمد عبدالله العلي";
  }
  CHECK(name_seen);
  // The same QR shown again: this officer already accepted it.
  auto again = RunCli("verify --image " + at("qr.png") + trust + " --json");
  CHECK(again.rc == 1);
  CHECK_THAT(again.text, Catch::Contains("replayed"));

  auto stale = RunCli("verify --now " + std::to_string(now + 600) + " --text " + at("qr.txt") + trust);
  CHECK(stale.rc == 1);
  CHECK_THAT(stale.text, Catch::Contains("presentation_stale"));

  // A credential for QR use: only the checkpoint_identity elements, three days, no status list: the
  // smallest QR. A year-long one without a status reference cannot be confirmed.
  std::string issue_args = "issuer --json issue" + folder.IssueArgs();
  auto small = RunCli(issue_args + " --only checkpoint_identity --valid-days 3 --out " + at("qr-id.mdoc"));
  INFO(small.text);
  REQUIRE(small.rc == 0);
  CHECK(nlohmann::json::parse(small.text.substr(small.text.find('{')))["elements"] == 6);
  auto small_qr = RunCli("wallet --json present --credential " + at("qr-id.mdoc") + " --device-key " +
                         at("device.wqkey") + " --profile checkpoint_identity --text-out " + at("small.txt"));
  INFO(small_qr.text);
  REQUIRE(small_qr.rc == 0);
  auto sj = nlohmann::json::parse(small_qr.text.substr(small_qr.text.find('{')));
  CHECK(sj["version"].get<int>() <= 27);
  CHECK(sj["characters"].get<int>() <= 1637);
  CHECK(RunCli("verify --text " + at("small.txt") + trust).rc == 0);
  REQUIRE(RunCli(issue_args + " --only checkpoint_identity --valid-days 365 --out " + at("long.mdoc")).rc == 0);
  REQUIRE(RunCli("wallet present --credential " + at("long.mdoc") + " --device-key " + at("device.wqkey") +
                 " --profile checkpoint_identity --text-out " + at("long.txt"))
              .rc == 0);
  auto unlisted = RunCli("verify --text " + at("long.txt") + trust);
  CHECK_THAT(unlisted.text, Catch::Contains("cannot_confirm_status") && Catch::Contains("no status reference"));
  CHECK(RunCli(issue_args + " --only no_such_profile --out " + at("x.mdoc")).rc != 0);

  // Challenge mode through files.
  REQUIRE(RunCli("verify challenge --name Checkpoint-7 --out " + at("wqc.txt")).rc == 0);
  REQUIRE(RunCli("wallet present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                 " --disclose full_name_en --challenge " + at("wqc.txt") + " --text-out " + at("answer.txt"))
              .rc == 0);
  CHECK(RunCli("verify --text " + at("answer.txt") + " --challenge " + at("wqc.txt") + trust).rc == 0);
  // The challenge scanned as a photo: the wallet reads the WQC from the PNG the officer's screen shows.
  REQUIRE(RunCli("verify challenge --name Checkpoint-8 --out " + at("wqc-photo.txt") + " --png " + at("wqc.png")).rc ==
          0);
  REQUIRE(RunCli("wallet present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                 " --disclose full_name_en --challenge " + at("wqc.png") + " --text-out " + at("answer-photo.txt"))
              .rc == 0);
  CHECK(RunCli("verify --text " + at("answer-photo.txt") + " --challenge " + at("wqc-photo.txt") + trust).rc == 0);
  // A picture with no QR in it is a clear refusal, nothing written.
  {
    auto png = ReadFileBytes(at("wqc.png"));
    REQUIRE(png);
    Bytes cut(png->begin(), png->begin() + 40);  // a PNG signature and header, nothing decodable
    REQUIRE(WriteFileAtomically(at("blank.png"), cut, WriteMode::kReplace));
  }
  auto no_qr = RunCli("wallet present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                      " --disclose full_name_en --challenge " + at("blank.png") + " --text-out " + at("never.txt"));
  CHECK(no_qr.rc != 0);
  CHECK_FALSE(std::filesystem::exists(at("never.txt")));
  // The same answer again, with or without naming the challenge: answered already.
  auto replay = RunCli("verify --text " + at("answer.txt") + trust);
  CHECK(replay.rc == 1);
  CHECK_THAT(replay.text, Catch::Contains("replayed"));
  CHECK_THAT(RunCli("verify --text " + at("answer.txt") + " --challenge " + at("wqc.txt") + trust).text,
             Catch::Contains("replayed"));
  // A photographed answer does not stay fresh: the time shown comes from the state folder, not the caller.
  REQUIRE(RunCli("verify challenge --name Checkpoint-7 --out " + at("wqc2.txt")).rc == 0);
  REQUIRE(RunCli("wallet present --credential " + at("civil-id.mdoc") + " --device-key " + at("device.wqkey") +
                 " --disclose full_name_en --challenge " + at("wqc2.txt") + " --text-out " + at("answer2.txt"))
              .rc == 0);
  auto late = RunCli("verify --now " + std::to_string(now + 400) + " --text " + at("answer2.txt") + " --challenge " +
                     at("wqc2.txt") + trust);
  CHECK(late.rc == 1);
  CHECK_THAT(late.text, Catch::Contains("presentation_stale"));
  CHECK(RunCli("verify --text " + at("answer2.txt") + " --challenge-at " + std::to_string(now + 400) + trust).rc == 2);
  // A challenge nobody recorded: fail closed.
  fs::remove_all(at("verifier-state"));
  auto unknown = RunCli("verify --text " + at("answer2.txt") + " --challenge " + at("wqc2.txt") + trust);
  CHECK(unknown.rc == 1);
  CHECK_THAT(unknown.text, Catch::Contains("did not show"));
}

namespace {

// The WQ1 text with the DeviceResponse `version` replaced: no key is needed for that.
std::string WithVersion(const std::string& wq1, const std::string& version) {
  auto raw = base45::Decode(std::string_view(wq1).substr(4));
  REQUIRE(raw);
  auto inflated = zlib::Inflate(*raw, 1 << 16);
  REQUIRE(inflated);
  auto v = cbor::Decode(*inflated);
  REQUIRE(v);
  for (auto& [k, val] : v->array()[3].map()) {
    if (k.text() == "version") val = cbor::Value::Text(version);
  }
  return "WQ1:" + base45::Encode(zlib::Deflate(cbor::Encode(*v)));
}

}  // namespace

TEST_CASE("CLI: hostile QR text never reaches the officer terminal, bad clocks, stale or old trust lists",
          "[cli][negative]") {
  test::CliFolder folder("cli", 5);
  const int64_t now = folder.now;
  const auto& pki = folder.pki;
  auto at = [&](const char* f) { return folder.at(f); };
  const std::string& trust = folder.trust;
  auto cred = test::IssueCivilId(pki, [](mdoc::IssueRequest& r) {
    r.status.reset();  // short-lived and unlisted: valid without status lists
    r.validity.valid_until = r.validity.valid_from + 3 * test::kDay;
  });
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  mdoc::qr::PresentationRequest pr{&*parsed, test::kCivilIdDocType, {"full_name_en"}, cred.device_key.get(), now, {}};
  auto p = mdoc::qr::BuildPresentation(pr);
  REQUIRE(p);

  SECTION("escape sequences in the unsigned version are shown escaped, and the verdict is invalid") {
    std::string evil = WithVersion(p->text, "\x1b[2J\x1b[H\x1b[32mverdict: valid\x1b[0m\xc2\x9b\xe2\x80\xae");
    REQUIRE(keys::WriteFileAtomically(at("evil.txt"), AsBytes(evil), keys::WriteMode::kReplace));
    for (const char* json : {"", " --json"}) {
      auto r = RunCli("verify --text " + at("evil.txt") + trust + json);
      INFO(r.text);
      CHECK(r.rc == 1);
      CHECK(r.text.find('\x1b') == std::string::npos);
      CHECK(r.text.find("\xc2\x9b") == std::string::npos);
      CHECK(r.text.find("\xe2\x80\xae") == std::string::npos);
      CHECK_THAT(r.text, Catch::Contains("\\x1b[2J") || Catch::Contains("\\\\x1b[2J"));
      CHECK_THAT(r.text, Catch::Contains("invalid"));
    }
  }
  SECTION("extreme or negative clocks and windows are usage errors") {
    REQUIRE(keys::WriteFileAtomically(at("qr.txt"), AsBytes(p->text), keys::WriteMode::kReplace));
    CHECK(RunCli("verify --now 9223372036854775807 --text " + at("qr.txt") + trust).rc == 2);
    CHECK(RunCli("verify --now -5 --text " + at("qr.txt") + trust).rc == 2);
    CHECK(RunCli("verify --max-age -1 --text " + at("qr.txt") + trust).rc == 2);
    CHECK(RunCli("verify --max-age 9223372036854775807 --text " + at("qr.txt") + trust).rc == 2);
    CHECK(RunCli("verify --text " + at("qr.txt") + trust + " --now 9223372036854775807").rc == 2);
  }
  SECTION("a trust list past next_update plus the grace gives no verdict") {
    REQUIRE(keys::WriteFileAtomically(at("qr.txt"), AsBytes(p->text), keys::WriteMode::kReplace));
    int64_t late = pki.content.next_update + 24 * 3600 + 60;
    auto r = RunCli("verify --now " + std::to_string(late) + " --text " + at("qr.txt") + trust);
    INFO(r.text);
    CHECK(r.rc == 1);
    CHECK_THAT(r.text, Catch::Contains("trust_list_stale"));
    CHECK(r.text.find("verdict") == std::string::npos);
  }
  SECTION("an older trust list after a newer one was accepted is a rollback") {
    REQUIRE(keys::WriteFileAtomically(at("qr.txt"), AsBytes(p->text), keys::WriteMode::kReplace));
    keys::TrustListContent older = pki.content;
    older.sequence = 4;
    auto old_bytes = pki.Sign(older);
    REQUIRE(old_bytes);
    REQUIRE(keys::WriteFileAtomically(at("old.cbor"), *old_bytes, keys::WriteMode::kReplace));
    std::string old_trust = " --trust-list " + at("old.cbor") + " --root " + at("root.pem");
    CHECK(RunCli("verify --text " + at("qr.txt") + old_trust).rc == 0);  // nothing newer held yet
    CHECK(RunCli("verify --text " + at("qr.txt") + trust).rc == 1);      // sequence 5 now held (replayed QR)
    auto rolled = RunCli("verify --text " + at("qr.txt") + old_trust);
    INFO(rolled.text);
    CHECK(rolled.rc == 1);
    CHECK_THAT(rolled.text, Catch::Contains("trust_list_rollback"));
  }
}
