// The auditor (auditor/audit.h) over what a real issuer deployment (issuer/deployment.h) published: after
// issues, a revocation, a suspension and two publications every list matches the log; a token whose list
// was edited after signing is caught as a bad signature, and a missing entry bundle as missing.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/keys/trust_list.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

struct Published {
  TestPki pki = MustMakeTestPki();
  IssuerTempDir tmp;
  keys::SecretText pass = keys::SecretText::FromString(kTestPassphrase);
  issuer::TrustInfo info;
  std::shared_ptr<const keys::TrustList> trust_list;
  int64_t now = pki.now;

  Published() {
    info = InitTestDeployment(pki, tmp, tmp.at("dep"), pass);

    // The trust list names the deployment's log key and each agency's aggregation document.
    keys::TrustListContent content = pki.content;
    content.log = {info.log_name, info.log_verifier_key};
    for (auto& a : content.agencies) {
      for (const auto& ta : info.agencies) {
        if (ta.id == a.id) a.aggregation_uri = ta.aggregation_uri;
      }
    }
    auto signed_list = pki.Sign(content);
    REQUIRE(signed_list);
    auto loaded = keys::TrustList::Load(*signed_list, pki.root_cert, pki.Policy());
    REQUIRE(loaded);
    trust_list = *loaded;

    auto dep = issuer::Deployment::Open(tmp.at("dep"), pass, issuer::SealedFileOpener(pass));
    REQUIRE(dep);
    auto device = GenerateSoftwareSigner(Alg::kES256);
    REQUIRE(device);
    std::vector<issuer::IssuedRecord> issued;
    for (uint64_t n = 1; n <= 4; ++n) {
      issuer::IssueInput in;
      in.agency = "paci";
      in.doc_type = kCivilId;
      in.claims_json = CivilRecord(CivilIdFor(n));
      in.device_key = *(*device)->public_key();
      auto r = dep->Issue(in, "clerk-7", now);
      if (!r) FAIL(r.error().ToString());
      issued.push_back(*r);
    }
    Publish(*dep, now + 10);
    REQUIRE(dep->Revoke("paci", issued[0].document_number, status::RevocationReason::kStolen, "officer-1", now + 20));
    REQUIRE(
        dep->Suspend("paci", issued[1].document_number, status::RevocationReason::kCourtOrder, "officer-1", now + 21));
    Publish(*dep, now + 30);
  }

  void Publish(issuer::Deployment& dep, int64_t at) {
    issuer::PublishOptions po;
    po.public_dir = tmp.at("public");
    po.audit_dir = tmp.at("audit");
    po.now = at;
    auto r = dep.Publish(po);
    if (!r) FAIL(r.error().ToString());
  }

  // An audit of a copy of the two folders, after `edit` changed the copy.
  auditor::AuditReport Audit(const std::string& name, const std::function<void(const std::string& copy)>& edit = {}) {
    std::string copy = tmp.at(name);
    fs::create_directories(copy);
    fs::copy(tmp.at("audit"), copy + "/audit", fs::copy_options::recursive);
    fs::copy(tmp.at("public"), copy + "/public", fs::copy_options::recursive);
    if (edit) edit(copy);
    auditor::AuditInput in;
    in.audit_dir = copy + "/audit";
    in.public_dir = copy + "/public";
    in.trust = auditor::AuditTrust::FromTrustList(*trust_list);
    in.log_url = info.log_url;
    auto r = auditor::RebuildAndCompare(in);
    if (!r) FAIL(r.error().ToString());
    return *r;
  }
};

std::string Findings(const auditor::AuditReport& r) {
  std::string s;
  for (const auto& f : r.findings.list()) s += f.kind + ": " + f.message + " [" + f.file + "]\n";
  return s;
}

}  // namespace

TEST_CASE("Auditor over a real deployment: issues, a revocation, a suspension, two publications -> clean",
          "[issuer][auditor]") {
  Published p;
  auditor::AuditReport r = p.Audit("clean");
  INFO(Findings(r));
  CHECK(r.clean());
  CHECK(r.origin == p.info.log_name);
  CHECK(r.credentials == 4);
  CHECK(r.entries_replayed == r.log_size);
  REQUIRE(r.tokens.size() == 2);  // the list's token of each publication; the second is also the public one
  for (const auto& t : r.tokens) {
    CHECK(t.signature_ok);
    CHECK(t.compared);
    CHECK(t.differences == 0);
  }
  CHECK(std::count_if(r.tokens.begin(), r.tokens.end(), [](const auditor::TokenCheck& t) { return t.in_public; }) == 1);
}

TEST_CASE("Auditor over a real deployment: an edited token list is a bad signature", "[issuer][auditor]") {
  Published p;
  std::string uri = p.pki.agency("paci").status_prefix + "/1";
  auditor::AuditReport r = p.Audit("edited", [&](const std::string& copy) {
    auto path = issuer::UriToPath(copy + "/public", uri);
    REQUIRE(path);
    std::string token = ReadFile(*path);
    // The list is the byte string after the text key "lst" (a one-byte head, then the head of the string):
    // flip one bit inside the compressed list, leaving the CBOR well formed.
    auto at = token.find("lst");
    REQUIRE(at != std::string::npos);
    size_t inside = at + 3 + 4;
    REQUIRE(inside < token.size() - 64);
    token[inside] = static_cast<char>(token[inside] ^ 0x01);
    REQUIRE(WriteFileAtomically(*path, AsBytes(token), WriteMode::kReplace));
  });
  INFO(Findings(r));
  CHECK_FALSE(r.clean());
  CHECK(r.findings.Count("token_bad_signature") >= 1);
}

TEST_CASE("Auditor over a real deployment: the latest entry bundle deleted is missing", "[issuer][auditor]") {
  Published p;
  auditor::AuditReport r = p.Audit("bundle", [&](const std::string& copy) {
    std::vector<fs::path> bundles;
    for (const auto& e : fs::recursive_directory_iterator(copy + "/audit/tile/entries")) {
      if (e.is_regular_file()) bundles.push_back(e.path());
    }
    REQUIRE_FALSE(bundles.empty());
    // The bundle of the latest publication (tile 0 is partial: 000.p/<width>, the widest is the newest).
    auto newest = std::max_element(bundles.begin(), bundles.end(), [](const fs::path& a, const fs::path& b) {
      return std::stoul(a.filename().string()) < std::stoul(b.filename().string());
    });
    REQUIRE(fs::remove(*newest));
  });
  INFO(Findings(r));
  CHECK_FALSE(r.clean());
  CHECK(r.findings.Count("entry_bundle_missing") >= 1);
}
