// Shared by the issuer's robustness tests (tests/cli/issuer_*_cli_test.cc): a deployment made with
// `wathiq issuer init`, the auditor's trust in it, and a full audit of what it published.
#pragma once

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "cli/cli_fixture.h"
#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/core/crypto.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/note.h"

namespace wathiq::test {

struct CliDeployment {
  int64_t now = std::time(nullptr);
  TestPki pki = MustMakeTestPki({.now = now, .sequence = 1, .agencies = {}});
  IssuerTempDir tmp;
  std::string dep = tmp.at("dep");
  std::string d = " -d " + tmp.at("dep");
  std::string verifier_key;
  CliDeployment() {
    std::string cfg = WriteDeploymentConfig(pki, tmp.path);
    auto r = RunCli("issuer --json init " + dep + " --config " + cfg + " --kdf min");
    INFO(r.text);
    REQUIRE(r.rc == 0);
    verifier_key = JsonOf(r)["log"]["verifier_key"].get<std::string>();
  }

  auditor::AuditTrust Trust() const {
    auditor::AuditTrust t;
    t.log_origin = "log.test.example";
    t.log_verifier_key = verifier_key;
    for (const auto& a : pki.agencies) {
      auditor::AgencyKeys k;
      k.id = a.id;
      k.status_prefixes = {a.status_prefix};
      k.aggregation_uri = "https://status." + a.id + ".example/aggregation";
      auto v = MakeVerifier(a.status_cert.public_key());
      REQUIRE(v);
      k.list_signers.push_back({{}, std::shared_ptr<const Verifier>(std::move(*v))});
      t.agencies.push_back(std::move(k));
    }
    return t;
  }

  // The public checkpoint (signature checked), if published.
  std::optional<log::Checkpoint> PublicCheckpoint() const {
    std::string path = dep + "/public/log.test.example/wathiq/checkpoint";
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    std::string note((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto v = log::NoteVerifier::FromVerifierKey(verifier_key);
    REQUIRE(v);
    auto c = log::OpenCheckpoint(note, *v, "log.test.example");
    REQUIRE(c);
    return *c;
  }

  // A full audit of dep/audit and dep/public; `held`: a checkpoint the log must still be consistent with.
  auditor::AuditReport Audit(const std::optional<log::Checkpoint>& held) const {
    auditor::AuditInput in;
    in.audit_dir = dep + "/audit";
    in.public_dir = dep + "/public";
    in.trust = Trust();
    in.log_url = "https://log.test.example/wathiq";
    in.held_checkpoint = held;
    auto r = auditor::RebuildAndCompare(in);
    REQUIRE(r);
    return std::move(*r);
  }
};

inline std::string FindingsText(const auditor::AuditReport& r) {
  std::string s;
  for (const auto& f : r.findings.list()) s += f.kind + ": " + f.message + "\n";
  return s;
}

}  // namespace wathiq::test
