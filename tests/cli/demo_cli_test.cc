// `wathiq demo` end to end: every step of the story gives its verdict (valid, replayed, stale, tampered,
// revoked, suspended, valid again, cannot_confirm_status, audit clean), the demo leaves its issuer deployment
// and publish folders in its output, and the auditor's command line agrees with the demo on that output.
#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

// The report printed under step `n` (up to the next step's header).
std::string StepText(const std::string& all, int n) {
  std::string head = "\n[" + std::to_string(n) + "] ";
  auto at = all.find(head);
  if (at == std::string::npos) return "";
  auto end = all.find("\n[" + std::to_string(n + 1) + "] ", at + 1);
  if (end == std::string::npos) end = all.find("\nDemo ", at + 1);
  return all.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

TEST_CASE("wathiq demo: the whole story through a real issuer deployment, and the auditor agrees", "[cli][demo]") {
  TempDir tmp("demo");
  std::string out = tmp / "demo-out";
  auto run = RunShell(std::string(WATHIQ_CLI_PATH) + " demo --out " + out);
  INFO(run.text);
  REQUIRE(run.rc == 0);
  const std::string& t = run.text;
  CHECK(t.find("Demo complete: every step behaved as expected") != std::string::npos);
  CHECK(t.find("FAILED") == std::string::npos);

  CHECK(StepText(t, 6).find("verdict: valid") != std::string::npos);
  CHECK(StepText(t, 7).find("[replayed:") != std::string::npos);
  CHECK(StepText(t, 8).find("[presentation_stale:") != std::string::npos);
  CHECK(StepText(t, 9).find("[bad_digest:") != std::string::npos);
  std::string revoked = StepText(t, 11);
  CHECK(revoked.find("revoked (stolen)") != std::string::npos);
  CHECK(revoked.find("1 revoked, 0 suspended") != std::string::npos);
  CHECK(revoked.find("FAIL  status  [revoked:") != std::string::npos);
  std::string suspended = StepText(t, 12);
  CHECK(suspended.find("1 revoked, 1 suspended") != std::string::npos);
  CHECK(suspended.find("FAIL  status  [suspended:") != std::string::npos);
  std::string again = StepText(t, 13);
  CHECK(again.find("reinstated") != std::string::npos);
  CHECK(again.find("verdict: valid") != std::string::npos);
  std::string unconfirmed = StepText(t, 14);
  CHECK(unconfirmed.find("verdict: cannot_confirm_status") != std::string::npos);
  CHECK(unconfirmed.find("[status_unknown:") != std::string::npos);
  std::string audit = StepText(t, 15);
  CHECK(audit.find("4 of 4 published tokens (4 publications) rebuilt bit for bit") != std::string::npos);
  CHECK(audit.find("every list matches the log: no findings") != std::string::npos);

  // The deployment and what it published stay in the output.
  for (const char* f : {"issuer/deployment.json", "issuer/registry.db", "issuer/registry.key", "issuer/log.key",
                        "public/status.paci.gov.kw/lists/1", "public/status.paci.gov.kw/aggregation",
                        "public/log.paci.gov.kw/wathiq/checkpoint", "audit/checkpoints", "audit/tile/entries",
                        "trust-list.cbor", "root.pem", "civil-id.mdoc", "civil-id-2.mdoc", "presentation.png"}) {
    INFO(f);
    CHECK(fs::exists(out + "/" + f));
  }

  // The auditor's commands, as the README shows them, on the demo's output.
  std::string trust = " --trust-list " + out + "/trust-list.cbor --root " + out + "/root.pem";
  auto rebuild = RunShell(std::string(WATHIQ_CLI_PATH) + " audit rebuild --json --audit " + out + "/audit --public " +
                          out + "/public --log-url https://log.paci.gov.kw/wathiq" + trust);
  INFO(rebuild.text);
  CHECK(rebuild.rc == 0);
  auto rj = JsonOf(rebuild);
  CHECK(rj["clean"] == true);
  CHECK(rj["tokens"].size() == 4);
  CHECK(rj["credentials"] == 2);
  auto revocations =
      RunShell(std::string(WATHIQ_CLI_PATH) + " audit revocations --json --audit " + out + "/audit" + trust);
  INFO(revocations.text);
  CHECK(revocations.rc == 0);
  auto vj = JsonOf(revocations);
  REQUIRE(vj["events"].size() == 3);  // revoke (stolen), suspend (court_order), reinstate
  CHECK(vj["events"][0]["event"] == "revoke");
  CHECK(vj["events"][0]["reason"] == "stolen");
  CHECK(vj["events"][1]["event"] == "suspend");
  CHECK(vj["events"][1]["reason"] == "court_order");
  CHECK(vj["events"][2]["event"] == "reinstate");
}
