// The issuer's deployment (issuer/deployment.h) on real SQLCipher files: issue, batch, revoke / suspend /
// reinstate / replace by document, refusals that write nothing, publication per docs/PUBLICATION.md, the
// log's consistency across publications, and the end-to-end: a published token shows the bit.
#include <algorithm>
#include <filesystem>
#include <set>

#include <catch2/catch.hpp>

#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/log/checkpoint.h"
#include "wathiq/log/entry.h"
#include "wathiq/log/note.h"
#include "wathiq/log/tiles.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/status/token.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TestPki pki = MustMakeTestPki();
  IssuerTempDir tmp;
  keys::SecretText pass = keys::SecretText::FromString(kTestPassphrase);
  std::string dir = tmp.at("dep");
  std::unique_ptr<Signer> device = std::move(*GenerateSoftwareSigner(Alg::kES256));
  std::optional<issuer::Deployment> dep;
  issuer::TrustInfo trust;
  int64_t now = pki.now;

  Fixture() {
    trust = InitTestDeployment(pki, tmp, dir, pass);
    Reopen();
  }
  void Reopen() {
    dep.reset();
    auto d = issuer::Deployment::Open(dir, pass, issuer::SealedFileOpener(pass));
    REQUIRE(d);
    dep.emplace(std::move(*d));
  }
  issuer::IssueInput Civil(uint64_t n) {
    issuer::IssueInput in;
    in.agency = "paci";
    in.doc_type = kCivilId;
    in.claims_json = CivilRecord(CivilIdFor(n));
    in.device_key = *device->public_key();
    return in;
  }
  issuer::IssuedRecord MustIssue(uint64_t n) {
    auto r = dep->Issue(Civil(n), "staff-1", now);
    if (!r) FAIL(r.error().ToString());
    return *r;
  }
  issuer::PublishReport MustPublish() {
    issuer::PublishOptions po;
    po.public_dir = tmp.at("public");
    po.audit_dir = tmp.at("audit");
    po.now = now;
    auto r = dep->Publish(po);
    if (!r) FAIL(r.error().ToString());
    return *r;
  }
  // The status of (uri, idx) in the published token, verified with the agency's status-list key.
  status::StatusOutcome Published(const std::string& uri, uint64_t idx) {
    auto path = issuer::UriToPath(tmp.at("public"), uri);
    REQUIRE(path);
    Bytes token = *ReadFileBytes(*path);
    auto verifier = MakeVerifier(pki.agency("paci").status_cert.public_key());
    REQUIRE(verifier);
    auto v = status::VerifyStatusListToken(token, **verifier);
    REQUIRE(v);
    auto a = status::CheckStatus(*v, uri, idx, now);
    REQUIRE(a);
    return a->outcome;
  }
  struct Counts {
    uint64_t log, credentials;
    size_t lists;
    bool operator==(const Counts&) const = default;
  };
  Counts Snapshot() {
    return {*dep->registry().LogSize(), *dep->registry().CredentialCount(), dep->registry().Lists("")->size()};
  }
};

std::string Reason(const Error& e) { return std::string(e.reason_code()); }

}  // namespace

TEST_CASE("issue -> publish: the token shows valid, revoke -> publish: revoked, suspend, reinstate", "[issuer]") {
  Fixture f;
  auto a = f.MustIssue(1);
  auto b = f.MustIssue(2);
  CHECK(a.status_uri == "https://status.paci.example/lists/1");
  CHECK(a.status_uri == b.status_uri);
  CHECK(a.status_idx != b.status_idx);
  CHECK(a.status_idx < issuer::kMinStatusListSize);
  // The credential verifies and carries the registry's slot.
  auto parsed = mdoc::ParseIssuerSigned(a.credential);
  REQUIRE(parsed);
  auto report = mdoc::DocumentVerifier(*f.pki.trust_list).VerifyIssuerSigned(*parsed, {.now = f.now});
  REQUIRE(report.ok());
  CHECK(report.document->status()->uri == a.status_uri);
  CHECK(report.document->status()->idx == a.status_idx);

  f.MustPublish();
  CHECK(f.Published(a.status_uri, a.status_idx) == status::StatusOutcome::kValid);
  CHECK(f.Published(b.status_uri, b.status_idx) == status::StatusOutcome::kValid);

  auto r = f.dep->Revoke("paci", a.document_number, status::RevocationReason::kLost, "staff-2", f.now + 10);
  REQUIRE(r);
  CHECK(r->credentials.size() == 1);
  // Not published yet: the public token still says valid.
  CHECK(f.Published(a.status_uri, a.status_idx) == status::StatusOutcome::kValid);
  f.now += 20;
  f.MustPublish();
  CHECK(f.Published(a.status_uri, a.status_idx) == status::StatusOutcome::kInvalid);
  CHECK(f.Published(b.status_uri, b.status_idx) == status::StatusOutcome::kValid);

  REQUIRE(f.dep->Suspend("paci", b.document_number, status::RevocationReason::kCourtOrder, "staff-2", f.now));
  f.now += 20;
  f.MustPublish();
  CHECK(f.Published(b.status_uri, b.status_idx) == status::StatusOutcome::kSuspended);
  REQUIRE(f.dep->Reinstate("paci", b.document_number, "staff-2", f.now));
  f.now += 20;
  f.MustPublish();
  CHECK(f.Published(b.status_uri, b.status_idx) == status::StatusOutcome::kValid);
  CHECK(f.Published(a.status_uri, a.status_idx) == status::StatusOutcome::kInvalid);

  // The history says who did what and why.
  auto view = f.dep->Show(a.document_number);
  REQUIRE(view);
  REQUIRE(view->history.size() == 1);
  REQUIRE(view->history[0].size() == 2);
  CHECK(view->history[0][1].event == "revoke");
  CHECK(view->history[0][1].reason == "lost");
  CHECK(view->history[0][1].actor == "staff-2");
  CHECK(view->credentials[0].state == issuer::CredentialState::kRevoked);
  CHECK(view->credentials[0].holder_thumbprint == Sha256(*f.device->public_key()->ToSpki()));
  CHECK(view->credentials[0].mso_digest == Sha256(*parsed->issuer_auth.payload));
}

TEST_CASE("publication follows docs/PUBLICATION.md: tokens at S, entries, checkpoints, tiles, aggregation",
          "[issuer]") {
  Fixture f;
  auto a = f.MustIssue(1);
  auto rep = f.MustPublish();
  // One list of paci: S' = S + 1.
  REQUIRE(rep.tokens.size() == 1);
  CHECK(rep.checkpoint_size == rep.reflected_size + 1);
  auto vkey = log::NoteVerifier::FromVerifierKey(f.trust.log_verifier_key);
  REQUIRE(vkey);
  std::string log_dir = f.tmp.at("public/log.test.example/wathiq");
  auto cp = log::OpenCheckpoint(ReadFile(log_dir + "/checkpoint"), *vkey, "log.test.example");
  REQUIRE(cp);
  CHECK(cp->size == rep.checkpoint_size);
  // The token reflects S and names the root of the checkpoint at S kept in the audit folder.
  auto token_path = issuer::UriToPath(f.tmp.at("public"), a.status_uri);
  Bytes token = *ReadFileBytes(*token_path);
  auto parsed = status::ParseStatusListToken(token);
  REQUIRE(parsed);
  REQUIRE(parsed->claims.log_checkpoint);
  CHECK(parsed->claims.log_checkpoint->size == rep.reflected_size);
  CHECK(parsed->claims.log_checkpoint->origin == "log.test.example");
  auto cp_s = log::OpenCheckpoint(ReadFile(f.tmp.at("audit/checkpoints/" + std::to_string(rep.reflected_size))), *vkey,
                                  "log.test.example");
  REQUIRE(cp_s);
  CHECK(cp_s->root == parsed->claims.log_checkpoint->root);
  // Token history in the audit folder.
  CHECK(fs::exists(f.tmp.at("audit/tokens/status.paci.example/lists/1/" + std::to_string(rep.reflected_size) + "-" +
                            std::to_string(f.now) + ".cwt")));
  // Entry bundles (audit only) hash to the checkpoint's root; the last entry is the publication of this token.
  auto bundle = log::ReadTile(f.tmp.at("audit"), {true, 0, 0, static_cast<unsigned>(rep.checkpoint_size)});
  REQUIRE(bundle);
  auto entries = log::ParseEntryBundle(*bundle, static_cast<unsigned>(rep.checkpoint_size));
  REQUIRE(entries);
  std::vector<log::Hash> leaves;
  for (const auto& e : *entries) leaves.push_back(log::LeafHash(e));
  CHECK(log::RootFromLeafHashes(leaves) == cp->root);
  auto last = log::DecodeEntry(entries->back());
  REQUIRE(last);
  CHECK(last->event == log::Event::kStatusListPublished);
  CHECK(*last->status_uri == a.status_uri);
  CHECK(*last->token_sha256 == [&] {
    std::array<uint8_t, 32> h;
    Sha256(token, h.data());
    return h;
  }());
  // No entry carries personal data: the civil ID number and names appear nowhere in the bundle.
  std::string raw(bundle->begin(), bundle->end());
  CHECK(raw.find(a.document_number) == std::string::npos);
  CHECK(raw.find("Mohammad") == std::string::npos);
  CHECK_FALSE(fs::exists(f.tmp.at("public/log.test.example/wathiq/tile/entries")));
  // Hash tiles serve the root; the aggregation document lists the agency's lists.
  log::TileNodeSource tiles(log_dir, rep.checkpoint_size);
  CHECK(*log::TreeRoot(tiles, rep.checkpoint_size) == cp->root);
  auto agg = nlohmann::json::parse(ReadFile(f.tmp.at("public/status.paci.example/aggregation")));
  CHECK(agg["status_lists"] == nlohmann::json::array({a.status_uri}));
  auto agg2 = nlohmann::json::parse(ReadFile(f.tmp.at("public/status.moi-traffic.example/aggregation")));
  CHECK(agg2["status_lists"].empty());
}

TEST_CASE("the log stays consistent across publications, and an inconsistent checkpoint is never signed", "[issuer]") {
  Fixture f;
  auto vkey = *log::NoteVerifier::FromVerifierKey(f.trust.log_verifier_key);
  std::string log_dir = f.tmp.at("public/log.test.example/wathiq");
  std::vector<log::Checkpoint> seen;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 40; ++i) f.MustIssue(static_cast<uint64_t>(round * 100 + i));
    if (round == 2) REQUIRE(f.dep->Revoke("paci", CivilIdFor(5).number, status::RevocationReason::kStolen, "s", f.now));
    f.now += 60;
    f.MustPublish();
    auto cp = log::OpenCheckpoint(ReadFile(log_dir + "/checkpoint"), vkey, "log.test.example");
    REQUIRE(cp);
    seen.push_back(*cp);
  }
  // Every earlier checkpoint is consistent with the latest, proved from the public hash tiles alone.
  const auto& latest = seen.back();
  log::TileNodeSource tiles(log_dir, latest.size);
  for (const auto& old : seen) {
    auto proof = log::ConsistencyProof(tiles, old.size, latest.size);
    REQUIRE(proof);
    CHECK(log::VerifyConsistency(old.size, latest.size, *proof, old.root, latest.root));
  }
  // Survives a reopen (the stored Merkle nodes are the tree).
  f.Reopen();
  f.MustIssue(9999);
  f.now += 60;
  f.MustPublish();
  // A forged "last checkpoint" with another root: the next publication refuses to sign, writes nothing.
  log::Hash bogus{};
  bogus[0] = 1;
  {
    // The registry itself refuses a second checkpoint of a signed size with another root.
    auto w = f.dep->registry().Begin();
    REQUIRE(w);
    auto clash = f.dep->registry().PutCheckpoint({*f.dep->registry().LogSize(), bogus, "forged", f.now});
    REQUIRE_FALSE(clash);
    CHECK(clash.error().code == Errc::kState);
  }
  f.MustIssue(9998);
  uint64_t size = *f.dep->registry().LogSize();
  {
    auto w = f.dep->registry().Begin();
    REQUIRE(w);
    REQUIRE(f.dep->registry().PutCheckpoint({size, bogus, "forged", f.now}));
    REQUIRE((*w)->Commit());
  }
  std::string before = ReadFile(log_dir + "/checkpoint");
  issuer::PublishOptions po{f.tmp.at("public"), f.tmp.at("audit"), "publisher", f.now + 60};
  auto refused = f.dep->Publish(po);
  REQUIRE_FALSE(refused);
  CHECK(Reason(refused.error()) == "log_inconsistent");
  CHECK(*f.dep->registry().LogSize() == size);
  CHECK(ReadFile(log_dir + "/checkpoint") == before);
}

TEST_CASE("refusals write nothing: unknown, other agency, twice, reinstate revoked, bad records", "[issuer]") {
  Fixture f;
  auto a = f.MustIssue(1);
  auto before = f.Snapshot();
  auto expect_refused = [&](auto result, const char* reason) {
    REQUIRE_FALSE(result);
    CHECK(Reason(result.error()) == reason);
    CHECK(f.Snapshot() == before);
  };
  using RR = status::RevocationReason;
  expect_refused(f.dep->Revoke("paci", "300000000000", RR::kLost, "s", f.now), "unknown_document");
  expect_refused(f.dep->Revoke("moi-traffic", a.document_number, RR::kLost, "s", f.now), "other_agency");
  expect_refused(f.dep->Suspend("moi-traffic", a.document_number, RR::kLost, "s", f.now), "other_agency");
  expect_refused(f.dep->Revoke("nobody", a.document_number, RR::kLost, "s", f.now), "unknown_agency");
  expect_refused(f.dep->Reinstate("paci", a.document_number, "s", f.now), "not_suspended");

  // Records: another agency's document type, an unknown type, a malformed record, an invalid device key,
  // a document number that belongs to another agency.
  auto in = f.Civil(2);
  in.agency = "moi-traffic";
  expect_refused(f.dep->Issue(in, "s", f.now), "doc_type_not_allowed");
  in = f.Civil(2);
  in.doc_type = "kw.gov.nothing.1";
  expect_refused(f.dep->Issue(in, "s", f.now), "doc_type_not_allowed");
  in = f.Civil(2);
  in.claims_json = R"({"civil_id_number": "290010112346", "full_name_en": 7})";
  auto bad = f.dep->Issue(in, "s", f.now);
  REQUIRE_FALSE(bad);
  CHECK(f.Snapshot() == before);
  in = f.Civil(2);
  in.claims_json = "{not json";
  REQUIRE_FALSE(f.dep->Issue(in, "s", f.now));
  CHECK(f.Snapshot() == before);
  in = f.Civil(2);
  in.device_key = PublicKey();
  expect_refused(f.dep->Issue(in, "s", f.now), "invalid_device_key");

  // Revoke, then: revoke twice, suspend or reinstate a revoked document: refused, nothing written.
  REQUIRE(f.dep->Revoke("paci", a.document_number, RR::kDeceased, "s", f.now));
  before = f.Snapshot();
  expect_refused(f.dep->Revoke("paci", a.document_number, RR::kLost, "s", f.now), "already_revoked");
  expect_refused(f.dep->Reinstate("paci", a.document_number, "s", f.now), "revoked");
  expect_refused(f.dep->Suspend("paci", a.document_number, RR::kLost, "s", f.now), "revoked");
  // Suspending twice.
  auto b = f.MustIssue(3);
  REQUIRE(f.dep->Suspend("paci", b.document_number, RR::kCourtOrder, "s", f.now));
  before = f.Snapshot();
  expect_refused(f.dep->Suspend("paci", b.document_number, RR::kCourtOrder, "s", f.now), "already_suspended");
  // Replace a fully revoked document: nothing to replace, nothing signed or stored.
  in = f.Civil(1);
  in.document_number = a.document_number;
  expect_refused(f.dep->Replace(in, "s", f.now), "already_revoked");
}

TEST_CASE("replace issues the new credential and revokes the old as superseded, atomically", "[issuer]") {
  Fixture f;
  auto old1 = f.MustIssue(7);
  auto in = f.Civil(7);
  in.document_number = old1.document_number;
  auto r = f.dep->Replace(in, "staff-3", f.now + 5);
  REQUIRE(r);
  CHECK(r->revoked.credentials == std::vector<log::CredentialId>{old1.credential_id});
  CHECK(r->issued.document_number == old1.document_number);
  CHECK(r->issued.credential_id != old1.credential_id);
  auto view = f.dep->Show(old1.document_number);
  REQUIRE(view);
  REQUIRE(view->credentials.size() == 2);
  int revoked = 0, valid = 0;
  for (size_t i = 0; i < view->credentials.size(); ++i) {
    if (view->credentials[i].state == issuer::CredentialState::kRevoked) {
      ++revoked;
      CHECK(view->history[i].back().reason == "superseded");
    } else {
      ++valid;
    }
  }
  CHECK(revoked == 1);
  CHECK(valid == 1);
  f.MustPublish();
  CHECK(f.Published(old1.status_uri, old1.status_idx) == status::StatusOutcome::kInvalid);
  CHECK(f.Published(r->issued.status_uri, r->issued.status_idx) == status::StatusOutcome::kValid);
  // Replacing with a record another agency may not issue: refused, the old one stays valid.
  auto before = f.Snapshot();
  in.agency = "moi-traffic";
  auto refused = f.dep->Replace(in, "staff-3", f.now);
  REQUIRE_FALSE(refused);
  CHECK(f.Snapshot() == before);
}

TEST_CASE("batch: random never-reused slots, bad lines by number, a re-run issues no one twice", "[issuer]") {
  Fixture f;
  PublicKey dev = *f.device->public_key();
  std::vector<std::string> lines;
  for (uint64_t n = 0; n < 1500; ++n) lines.push_back(CivilBatchLine(n, dev));
  lines[10] = "{not json";
  lines[20] = R"({"agency": "paci", "doc_type": "org.iso.18013.5.1.mDL", "claims": {}, "device_key": "AAAA"})";
  lines[30] = "";  // blank lines are skipped, not refused
  std::vector<std::pair<size_t, std::string>> refusals;
  issuer::BatchOptions bo;
  bo.actor = "batch-1";
  bo.now = f.now;
  bo.chunk = 256;
  bo.on_line = [&](const issuer::BatchLineResult& r) {
    if (!r.result) refusals.emplace_back(r.line, Reason(r.result.error()));
  };
  auto sum = f.dep->IssueBatch(lines, bo);
  REQUIRE(sum);
  CHECK(sum->issued == 1497);
  CHECK(sum->refused == 2);
  REQUIRE(refusals.size() == 2);
  CHECK(refusals[0] == std::pair<size_t, std::string>{11, "bad_line"});
  CHECK(refusals[1].first == 21);

  // Every slot distinct, spread over the list (random, not sequential).
  auto lists = f.dep->registry().Lists("paci");
  REQUIRE(lists);
  REQUIRE(lists->size() == 1);
  auto slots = f.dep->registry().Slots(lists->front().id);
  REQUIRE(slots);
  CHECK(slots->size() == 1497);
  std::set<uint64_t> idx;
  uint64_t max = 0;
  for (const auto& s : *slots) {
    idx.insert(s.first);
    max = std::max(max, s.first);
  }
  CHECK(idx.size() == 1497);
  CHECK(max > 1497 * 10);
  CHECK(lists->front().used == 1497);

  // A re-run (after a crash, say) issues no one twice; the log does not grow.
  uint64_t log_size = *f.dep->registry().LogSize();
  f.Reopen();
  bo.on_line = nullptr;
  auto again = f.dep->IssueBatch(lines, bo);
  REQUIRE(again);
  CHECK(again->issued == 0);
  CHECK(again->already_issued == 1497);
  CHECK(*f.dep->registry().LogSize() == log_size);
  CHECK(*f.dep->registry().CredentialCount() == 1497);
}

TEST_CASE("batch: chunks overlap, yet each sees the rows of the one before and lines report in order", "[issuer]") {
  Fixture f;
  PublicKey dev = *f.device->public_key();
  std::vector<std::string> lines;
  for (uint64_t n = 0; n < 600; ++n) lines.push_back(CivilBatchLine(n, dev));
  // With chunks of 64, line 131 (chunk 2) repeats line 71 (chunk 1): chunk 2 is checked while chunk 1 is
  // stored but not yet committed. Line 401 repeats line 11, long committed.
  lines[130] = lines[70];
  lines[400] = lines[10];
  issuer::BatchOptions bo;
  bo.actor = "batch-2";
  bo.now = f.now;
  bo.chunk = 64;
  std::vector<size_t> order;
  std::vector<size_t> repeats;
  bo.on_line = [&](const issuer::BatchLineResult& r) {
    order.push_back(r.line);
    if (r.result && r.result->already_issued) repeats.push_back(r.line);
  };
  auto sum = f.dep->IssueBatch(lines, bo);
  REQUIRE(sum);
  CHECK(sum->issued == 598);
  CHECK(sum->already_issued == 2);
  CHECK(sum->refused == 0);
  CHECK(repeats == std::vector<size_t>{131, 401});
  REQUIRE(order.size() == 600);
  for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == i + 1);
  CHECK(*f.dep->registry().CredentialCount() == 598);
  auto lists = f.dep->registry().Lists("paci");
  REQUIRE(lists);
  auto slots = f.dep->registry().Slots(lists->front().id);
  REQUIRE(slots);
  std::set<uint64_t> idx;
  for (const auto& s : *slots) idx.insert(s.first);
  CHECK(idx.size() == 598);
}

TEST_CASE("the registry enforces the list size floor and one credential per slot", "[issuer]") {
  Fixture f;
  auto a = f.MustIssue(1);
  auto lists = f.dep->registry().Lists("paci");
  REQUIRE(lists->size() == 1);
  CHECK(lists->front().size == issuer::kMinStatusListSize);
  CHECK(lists->front().used == 1);
  // The list size floor is enforced by the registry.
  auto w = f.dep->registry().Begin();
  REQUIRE(w);
  issuer::StatusListRecord small{0, "paci", 99, "https://status.paci.example/lists/99", 1024, 0};
  CHECK_FALSE(f.dep->registry().OpenList(small));
  // A taken slot cannot be taken again (unique per list), even by a hand-made record.
  issuer::CredentialRecord dup;
  dup.id[0] = 0xAB;
  dup.document_number = "X1";
  dup.agency = "paci";
  dup.doc_type = kCivilId;
  dup.holder_thumbprint = Bytes(32, 1);
  dup.list_id = lists->front().id;
  dup.status_idx = a.status_idx;
  dup.mso_digest = Bytes(32, 2);
  dup.credential = Bytes{1};
  auto ins = f.dep->registry().InsertCredential(dup, {f.now, "issue", "", "s", 0});
  REQUIRE_FALSE(ins);
  CHECK(ins.error().code == Errc::kState);
}

TEST_CASE("the registry file is SQLCipher: no claim in plaintext, wrong passphrase refused, one process", "[issuer]") {
  Fixture f;
  f.MustIssue(1);
  std::string number = CivilIdFor(1).number;
  f.dep.reset();  // close (checkpoints nothing on purpose: the WAL is checked too)
  for (const char* file : {"registry.db", "registry.db-wal"}) {
    std::string path = f.dir + "/" + file;
    if (!fs::exists(path)) continue;
    std::string raw = ReadFile(path);
    CHECK(raw.find("Mohammad") == std::string::npos);
    CHECK(raw.find("محمد") == std::string::npos);
    CHECK(raw.find(number) == std::string::npos);
    CHECK(raw.find("SQLite format 3") == std::string::npos);
  }
  auto wrong = keys::SecretText::FromString("wrong");
  auto w = issuer::Deployment::Open(f.dir, wrong, issuer::SealedFileOpener(wrong));
  REQUIRE_FALSE(w);
  CHECK(w.error().code == Errc::kPermission);
  f.Reopen();
  auto second = issuer::Deployment::Open(f.dir, f.pass, issuer::SealedFileOpener(f.pass));
  REQUIRE_FALSE(second);
  CHECK(Reason(second.error()) == "deployment_locked");
  // Init refuses a folder that is not empty.
  auto cfg = issuer::ParseDeploymentConfig(ReadFile(f.tmp.at("config.json")), f.tmp.path);
  REQUIRE(cfg);
  auto again = issuer::Deployment::Init(f.dir, *cfg, f.pass, issuer::SealedFileOpener(f.pass));
  REQUIRE_FALSE(again);
  CHECK(Reason(again.error()) == "exists");
}

TEST_CASE("config refusals: overlapping prefixes, aggregation under a prefix, bad URIs", "[issuer]") {
  std::string base = R"({"log": {"name": "log.x", "url": "https://log.x/l"}, "agencies": [
    {"id": "a", "doc_types": ["t"], "status_prefix": "https://s.x/a", "aggregation_uri": AGG,
     "document_signer": {"key": {"file": "k"}, "cert": "c"}, "status_signer": {"key": {"file": "k"}, "cert": "c"}}]})";
  auto with = [&](const std::string& agg) {
    std::string s = base;
    s.replace(s.find("AGG"), 3, agg);
    return issuer::ParseDeploymentConfig(s, "/tmp");
  };
  CHECK(with(R"("https://s.x/agg")"));
  CHECK_FALSE(with(R"("https://s.x/a")"));
  CHECK_FALSE(with(R"("https://s.x/a/all")"));
  CHECK_FALSE(with(R"("http://s.x/agg")"));
  CHECK_FALSE(with(R"("https://S.x/agg")"));
  CHECK_FALSE(issuer::ParseDeploymentConfig("[]", "/tmp"));
  CHECK_FALSE(issuer::ParseDeploymentConfig("{", "/tmp"));
  // Strict: a misspelt key and a repeated one are refused by name, not ignored or read last-wins.
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find("AGG"), 3, R"("https://s.x/agg")");
    s.replace(s.find(from), from.size(), to);
    return issuer::ParseDeploymentConfig(s, "/tmp");
  };
  auto typo = edited(R"("doc_types")", R"("doc_type")");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message.find("doc_type") != std::string::npos);
  auto twice = edited(R"("id": "a",)", R"("id": "a", "id": "b",)");
  REQUIRE_FALSE(twice);
  CHECK(twice.error().message.find("id") != std::string::npos);
  CHECK_FALSE(edited(R"({"file": "k"}, "cert": "c"})", R"({"file": "k"}, "cert": "c", "certs": "d"})"));
  CHECK_FALSE(edited(R"("url": "https://log.x/l")", R"("url": "https://log.x/l", "key_file": "x")"));
}

TEST_CASE("batch lines are read strictly: a repeated or unknown key is refused with the line's number", "[issuer]") {
  Fixture f;
  PublicKey dev = *f.device->public_key();
  std::string line = CivilBatchLine(1, dev);
  REQUIRE(issuer::ParseBatchLine(line));
  std::string twice = line;
  twice.replace(twice.find(R"("agency":"paci")"), 15, R"("agency":"moi-traffic","agency":"paci")");
  auto a = issuer::ParseBatchLine(twice);
  REQUIRE_FALSE(a);
  CHECK(a.error().message.find("agency") != std::string::npos);
  std::string typo = line;
  typo.replace(typo.find(R"("device_key")"), 12, R"("device_kye")");
  auto b = issuer::ParseBatchLine(typo);
  REQUIRE_FALSE(b);
  CHECK(b.error().message.find("device_kye") != std::string::npos);
  // In a batch: refused by number, nothing staged in its place.
  issuer::BatchOptions bo;
  bo.actor = "batch-3";
  bo.now = f.now;
  std::vector<std::pair<size_t, std::string>> refused;
  bo.on_line = [&](const issuer::BatchLineResult& r) {
    if (!r.result) refused.emplace_back(r.line, Reason(r.result.error()));
  };
  auto sum = f.dep->IssueBatch({CivilBatchLine(2, dev), typo, twice}, bo);
  REQUIRE(sum);
  CHECK(sum->issued == 1);
  CHECK(sum->staged == 0);
  CHECK(refused == std::vector<std::pair<size_t, std::string>>{{2, "bad_line"}, {3, "bad_line"}});
}
