// Document-signer rotation and compromise, trust-list events, and staged records on a real deployment
// (SQLCipher registry, sealed key files): a compromised signer's credentials are revoked and no others
// (checked on the published tokens with the auditor's rebuild and replay), a retired key never signs
// again, key events are logged and the auditor accepts them and flags impossible ones; a staged record is
// issued at pickup; refusals write nothing.
#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "issuer/issuer_fixture.h"
#include "test_util.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/auditor/replay.h"
#include "wathiq/keys/sealed_secret.h"
#include "wathiq/keys/trust_list.h"
#include "wathiq/log/entry.h"
#include "wathiq/mdoc/mdoc.h"
#include "wathiq/storage/database.h"

using namespace wathiq;
using namespace wathiq::test;

namespace {

struct Fixture {
  TestPki pki = MustMakeTestPki();
  IssuerTempDir tmp;
  keys::SecretText pass = keys::SecretText::FromString(kTestPassphrase);
  issuer::TrustInfo info;
  int64_t now = pki.now;
  PublicKey device;
  uint64_t next_id = 1;

  Fixture() {
    info = InitTestDeployment(pki, tmp, tmp.at("dep"), pass);
    auto d = GenerateSoftwareSigner(Alg::kES256);
    REQUIRE(d);
    device = *(*d)->public_key();
  }

  issuer::Deployment Open() {
    auto dep = issuer::Deployment::Open(tmp.at("dep"), pass, issuer::SealedFileOpener(pass));
    if (!dep) FAIL(dep.error().ToString());
    return std::move(*dep);
  }

  issuer::IssueInput Input() {
    issuer::IssueInput in;
    in.agency = "paci";
    in.doc_type = kCivilId;
    in.claims_json = CivilRecord(CivilIdFor(next_id++));
    in.device_key = device;
    return in;
  }

  issuer::IssuedRecord Issue(issuer::Deployment& dep) {
    auto r = dep.Issue(Input(), "clerk-7", now);
    if (!r) FAIL(r.error().ToString());
    return *r;
  }

  // A new document-signer key sealed in a file and its certificate under the test root.
  struct NewSigner {
    issuer::KeySpec spec;
    std::string cert_file;
    keys::Certificate cert;
    keys::KeyHandle key;
  };
  NewSigner MakeSigner(const std::string& name) {
    auto key = keys::KeyHandle::GenerateSoftware(Alg::kES256, name);
    REQUIRE(key);
    auto cert = pki.Issue(keys::CertRole::kDocumentSigner, key->cached_public_key(), "PACI " + name, now - kDay,
                          now + 365 * kDay);
    REQUIRE(cert);
    keys::SealOptions so;
    so.kdf = keys::KdfParams::Min();
    std::string key_file = tmp.at(name + ".key");
    REQUIRE(keys::WriteSealedKeyFile(key_file, *key, pass, so));
    std::string cert_file = tmp.at(name + ".der");
    REQUIRE(WriteFileAtomically(cert_file, cert->der(), WriteMode::kCreateNew));
    return NewSigner{issuer::KeySpec{key_file, "", "", ""}, cert_file, *cert, *key};
  }

  void Publish(issuer::Deployment& dep, int64_t at) {
    issuer::PublishOptions po;
    po.public_dir = tmp.at("public");
    po.audit_dir = tmp.at("audit");
    po.now = at;
    auto r = dep.Publish(po);
    if (!r) FAIL(r.error().ToString());
  }

  std::vector<log::Entry> Entries(issuer::Deployment& dep) {
    auto size = dep.registry().LogSize();
    REQUIRE(size);
    auto raw = dep.registry().LogEntries(0, *size);
    REQUIRE(raw);
    std::vector<log::Entry> out;
    for (const auto& b : *raw) {
      auto e = log::DecodeEntry(b);
      REQUIRE(e);
      out.push_back(*e);
    }
    return out;
  }
};

size_t CountEvents(const std::vector<log::Entry>& entries, log::Event ev) {
  return static_cast<size_t>(
      std::count_if(entries.begin(), entries.end(), [&](const log::Entry& e) { return e.event == ev; }));
}

std::string Findings(const auditor::Findings& f) {
  std::string s;
  for (const auto& x : f.list()) s += x.kind + ": " + x.message + "\n";
  return s;
}

std::string SignerKeyHex(const keys::KeyHandle& k) { return ToHex(Sha256(k.spki())); }

}  // namespace

TEST_CASE("Signer rotation and compromise: exactly the compromised signer's credentials are revoked",
          "[issuer][signers]") {
  Fixture f;
  std::optional<issuer::Deployment> opened(f.Open());
  issuer::Deployment& dep = *opened;
  const std::string old_id = SignerKeyHex(f.pki.agency("paci").ds_key);

  auto signers = dep.Signers("paci");
  REQUIRE(signers);
  REQUIRE(signers->size() == 1);
  CHECK((*signers)[0].key_id == old_id);
  CHECK((*signers)[0].active);

  // Two credentials under the first signer (one of them suspended), then a rotation and two more.
  auto a1 = f.Issue(dep);
  auto a2 = f.Issue(dep);
  REQUIRE(dep.Suspend("paci", a2.document_number, status::RevocationReason::kCourtOrder, "officer-1", f.now + 1));
  auto ns = f.MakeSigner("ds2");
  auto added = dep.AddSigner("paci", ns.spec, ns.cert_file, "security-officer", f.now + 2);
  if (!added) FAIL(added.error().ToString());
  CHECK(added->key_id == SignerKeyHex(ns.key));
  CHECK(added->active);
  auto b1 = f.Issue(dep);
  auto b2 = f.Issue(dep);
  {
    auto rec = dep.registry().ById(b1.credential_id);
    REQUIRE(rec);
    REQUIRE(rec->has_value());
    CHECK(ToHex((*rec)->signer_key) == added->key_id);
    auto old_rec = dep.registry().ById(a1.credential_id);
    REQUIRE(old_rec);
    CHECK(ToHex((**old_rec).signer_key) == old_id);
  }

  // Refusals write nothing.
  auto size_before = dep.registry().LogSize();
  REQUIRE(size_before);
  auto again = dep.AddSigner("paci", ns.spec, ns.cert_file, "security-officer", f.now + 3);
  REQUIRE_FALSE(again);
  CHECK(again.error().reason == "signer_exists");
  auto other = f.MakeSigner("ds3");
  auto mismatch = dep.AddSigner("paci", ns.spec, other.cert_file, "security-officer", f.now + 3);
  REQUIRE_FALSE(mismatch);
  auto unknown = dep.RetireSigner("paci", std::string(64, 'a'), std::nullopt, "security-officer", f.now + 3);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().reason == "unknown_signer");
  auto bad_id = dep.RetireSigner("paci", "abc", std::nullopt, "security-officer", f.now + 3);
  REQUIRE_FALSE(bad_id);
  CHECK(bad_id.error().reason == "bad_key_id");
  auto wrong_agency = dep.RetireSigner("moi-traffic", old_id, std::nullopt, "security-officer", f.now + 3);
  REQUIRE_FALSE(wrong_agency);
  CHECK(wrong_agency.error().reason == "unknown_signer");
  CHECK(*dep.registry().LogSize() == *size_before);

  f.Publish(dep, f.now + 5);

  // The first signer is compromised: a1 and a2 (suspended) are revoked, b1 and b2 are not.
  auto retired = dep.RetireSigner("paci", old_id.substr(0, 16), status::RevocationReason::kKeyCompromise,
                                  "security-officer", f.now + 10);
  if (!retired) FAIL(retired.error().ToString());
  std::set<log::CredentialId> revoked(retired->revoked.begin(), retired->revoked.end());
  CHECK(revoked == std::set<log::CredentialId>{a1.credential_id, a2.credential_id});
  CHECK(retired->signer.retired);
  CHECK(retired->signer.retire_reason == "key_compromise");
  CHECK(retired->active_key_id == added->key_id);
  auto twice =
      dep.RetireSigner("paci", old_id, status::RevocationReason::kKeyCompromise, "security-officer", f.now + 11);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().reason == "already_retired");

  // Issuance goes on with the new key.
  auto c1 = f.Issue(dep);
  {
    auto rec = dep.registry().ById(c1.credential_id);
    REQUIRE(rec);
    CHECK(ToHex((**rec).signer_key) == added->key_id);
  }
  f.Publish(dep, f.now + 20);

  // The published tokens match the log (the auditor's rebuild), and the replayed slots say exactly who
  // is revoked.
  keys::TrustListContent content = f.pki.content;
  content.log = {f.info.log_name, f.info.log_verifier_key};
  for (auto& a : content.agencies) {
    for (const auto& ta : f.info.agencies) {
      if (ta.id == a.id) a.aggregation_uri = ta.aggregation_uri;
    }
  }
  auto signed_list = f.pki.Sign(content);
  REQUIRE(signed_list);
  auto loaded = keys::TrustList::Load(*signed_list, f.pki.root_cert, f.pki.Policy());
  REQUIRE(loaded);
  auditor::AuditInput in;
  in.audit_dir = f.tmp.at("audit");
  in.public_dir = f.tmp.at("public");
  in.trust = auditor::AuditTrust::FromTrustList(**loaded);
  in.log_url = f.info.log_url;
  auto report = auditor::RebuildAndCompare(in);
  REQUIRE(report);
  INFO(Findings(report->findings));
  CHECK(report->clean());

  auditor::Findings findings;
  auditor::Replayer replay(&findings);
  auto entries = f.Entries(dep);
  for (const auto& e : entries) replay.Apply(e);
  INFO(Findings(findings));
  CHECK(findings.empty());
  CHECK(replay.Value(a1.status_uri, a1.status_idx) == 1);
  CHECK(replay.Value(a2.status_uri, a2.status_idx) == 1);
  CHECK(replay.Value(b1.status_uri, b1.status_idx) == 0);
  CHECK(replay.Value(b2.status_uri, b2.status_idx) == 0);
  CHECK(replay.Value(c1.status_uri, c1.status_idx) == 0);

  // The log: key_added for the new key, key_retired (key_compromise) for the old, revokes with that reason.
  bool saw_added = false, saw_retired = false;
  size_t compromise_revokes = 0;
  for (const auto& e : entries) {
    if (e.event == log::Event::kKeyAdded && e.key_id && ToHex(*e.key_id) == added->key_id) {
      saw_added = true;
      CHECK(e.actor == "security-officer");
      CHECK(e.key_role == std::optional<std::string>("document_signer"));
    }
    if (e.event == log::Event::kKeyRetired) {
      saw_retired = true;
      CHECK(ToHex(*e.key_id) == old_id);
      CHECK(e.reason == std::optional<std::string>("key_compromise"));
    }
    if (e.event == log::Event::kRevoke && e.reason == std::optional<std::string>("key_compromise"))
      ++compromise_revokes;
  }
  CHECK(saw_added);
  CHECK(saw_retired);
  CHECK(compromise_revokes == 2);

  // A planned retirement of the last signer: credentials stay valid, issuance stops, also after reopening.
  auto planned = dep.RetireSigner("paci", added->key_id, std::nullopt, "security-officer", f.now + 30);
  if (!planned) FAIL(planned.error().ToString());
  CHECK(planned->revoked.empty());
  CHECK(planned->active_key_id.empty());
  auto refused = dep.Issue(f.Input(), "clerk-7", f.now + 31);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason == "no_active_signer");
  {
    auto b1_now = dep.registry().ById(b1.credential_id);
    REQUIRE(b1_now);
    CHECK((**b1_now).state == issuer::CredentialState::kValid);
  }
  // A retired key never returns.
  auto readd = dep.AddSigner("paci", ns.spec, ns.cert_file, "security-officer", f.now + 32);
  REQUIRE_FALSE(readd);
  CHECK(readd.error().reason == "signer_exists");

  opened.reset();  // closes it (and releases the lock) before it is opened again
  opened.emplace(f.Open());
  auto refused2 = dep.Issue(f.Input(), "clerk-7", f.now + 40);
  REQUIRE_FALSE(refused2);
  CHECK(refused2.error().reason == "no_active_signer");
  auto ds4 = f.MakeSigner("ds4");
  auto added4 = dep.AddSigner("paci", ds4.spec, ds4.cert_file, "security-officer", f.now + 41);
  if (!added4) FAIL(added4.error().ToString());
  auto d1 = f.Issue(dep);
  auto rec = dep.registry().ById(d1.credential_id);
  REQUIRE(rec);
  CHECK(ToHex((**rec).signer_key) == added4->key_id);
  // moi-traffic was never touched.
  auto moi = dep.Signers("moi-traffic");
  REQUIRE(moi);
  REQUIRE(moi->size() == 1);
  CHECK((*moi)[0].active);

  auditor::Findings findings2;
  auditor::Replayer replay2(&findings2);
  for (const auto& e : f.Entries(dep)) replay2.Apply(e);
  INFO(Findings(findings2));
  CHECK(findings2.empty());
}

TEST_CASE("The auditor flags impossible key histories", "[issuer][signers][auditor]") {
  auto entry = [](log::Event ev, std::string agency, Bytes key, std::string role) {
    log::Entry e;
    e.event = ev;
    e.time = 1;
    e.agency = std::move(agency);
    e.actor = "x";
    e.key_id = std::move(key);
    e.key_role = std::move(role);
    return e;
  };
  Bytes k1(32, 1), k2(32, 2);
  auditor::Findings f;
  auditor::Replayer r(&f);
  r.Apply(entry(log::Event::kKeyAdded, "paci", k1, "document_signer"));
  log::Entry issue;
  issue.event = log::Event::kIssue;
  issue.time = 2;
  issue.agency = "paci";
  issue.actor = "clerk";
  issue.credential_id = log::CredentialId{1};
  issue.doc_type = kCivilId;
  issue.status_uri = "https://status.paci.example/lists/1";
  issue.status_idx = 5;
  issue.valid_until = 100;
  r.Apply(issue);
  CHECK(f.empty());
  r.Apply(entry(log::Event::kKeyRetired, "paci", k1, "document_signer"));
  issue.credential_id = log::CredentialId{2};
  issue.status_idx = 6;
  r.Apply(issue);  // every document signer of paci is retired
  r.Apply(entry(log::Event::kKeyRetired, "paci", k1, "document_signer"));
  r.Apply(entry(log::Event::kKeyRetired, "paci", k2, "document_signer"));
  r.Apply(entry(log::Event::kKeyAdded, "paci", k1, "document_signer"));
  r.Apply(entry(log::Event::kKeyAdded, "moi-traffic", k2, "document_signer"));
  r.Apply(entry(log::Event::kKeyRetired, "paci", k2, "document_signer"));
  log::Entry tl;
  tl.event = log::Event::kTrustList;
  tl.time = 3;
  tl.agency = "log.test.example";
  tl.actor = "x";
  tl.sequence = 5;
  r.Apply(tl);
  tl.sequence = 4;
  r.Apply(tl);
  INFO(Findings(f));
  CHECK(f.Count("issue_without_signer") == 1);
  CHECK(f.Count("key_retired_twice") == 1);
  CHECK(f.Count("unknown_key") == 1);
  CHECK(f.Count("key_readded") == 1);
  CHECK(f.Count("key_mismatch") == 1);
  CHECK(f.Count("trust_list_rollback") == 1);
}

TEST_CASE("A trust list the deployment serves is logged by sequence and hash", "[issuer][signers]") {
  Fixture f;
  auto dep = f.Open();
  auto ns = f.MakeSigner("ds2");
  REQUIRE(dep.AddSigner("paci", ns.spec, ns.cert_file, "security-officer", f.now));

  keys::TrustListContent content = f.pki.content;
  content.sequence = 2;
  auto first = f.pki.Sign(content);
  REQUIRE(first);
  auto size0 = *dep.registry().LogSize();
  auto rec = dep.RecordTrustList(*first, f.pki.root_cert, "trust-officer", f.now);
  if (!rec) FAIL(rec.error().ToString());
  CHECK(rec->sequence == 2);
  CHECK(rec->log_index == size0);
  // The new signer is not in that list yet.
  CHECK(rec->missing_signers == std::vector<std::string>{SignerKeyHex(ns.key)});
  auto entries = f.Entries(dep);
  const log::Entry& e = entries.back();
  CHECK(e.event == log::Event::kTrustList);
  CHECK(e.sequence == std::optional<uint64_t>(2));
  CHECK(e.token_sha256 == std::optional<std::array<uint8_t, 32>>(rec->sha256));
  CHECK(ToHex(rec->sha256) == ToHex(Sha256(*first)));

  // The next list carries the new signer; an old or equal sequence is refused and writes nothing.
  for (auto& a : content.agencies) {
    if (a.id == "paci") a.document_signer_certs.push_back(ns.cert.der());
  }
  content.sequence = 3;
  auto second = f.pki.Sign(content);
  REQUIRE(second);
  auto rec2 = dep.RecordTrustList(*second, f.pki.root_cert, "trust-officer", f.now + 1);
  if (!rec2) FAIL(rec2.error().ToString());
  CHECK(rec2->missing_signers.empty());
  auto size1 = *dep.registry().LogSize();
  auto back = dep.RecordTrustList(*first, f.pki.root_cert, "trust-officer", f.now + 2);
  REQUIRE_FALSE(back);
  CHECK(back.error().reason == "trust_list_rollback");
  std::string garbage_text = "not a trust list";
  ByteView garbage = AsBytes(garbage_text);
  CHECK_FALSE(dep.RecordTrustList(garbage, f.pki.root_cert, "trust-officer", f.now + 2));
  CHECK(*dep.registry().LogSize() == size1);

  // A credential of the new signer verifies against the list that carries it.
  auto loaded = keys::TrustList::Load(*second, f.pki.root_cert, f.pki.Policy());
  REQUIRE(loaded);
  auto issued = f.Issue(dep);
  auto parsed = mdoc::ParseIssuerSigned(issued.credential);
  REQUIRE(parsed);
  mdoc::DocumentVerifier verifier(**loaded);
  auto report = verifier.VerifyIssuerSigned(*parsed, mdoc::VerifyOptions{f.now});
  CHECK(report.ok());
  CHECK(CountEvents(f.Entries(dep), log::Event::kTrustList) == 2);
}

TEST_CASE("Staged records: validated without a device key, issued at pickup, cancelled", "[issuer][staging]") {
  Fixture f;
  auto dep = f.Open();
  auto size0 = *dep.registry().LogSize();

  issuer::IssueInput in = f.Input();
  in.device_key = PublicKey();
  auto staged = dep.Stage(in, "clerk-7", f.now);
  if (!staged) FAIL(staged.error().ToString());
  CHECK(staged->pickup_id.size() == 32);
  CHECK_FALSE(staged->already_staged);
  CHECK(*dep.registry().LogSize() == size0);  // nothing public yet
  auto shown = dep.Show(staged->document_number);
  if (!shown) FAIL(shown.error().ToString());
  CHECK(shown->credentials.empty());
  REQUIRE(shown->staged.size() == 1);
  CHECK(shown->staged[0].state == issuer::StagedState::kStaged);

  // Pickup without a usable key is refused and the record stays staged.
  auto no_key = dep.IssueStaged(staged->pickup_id, PublicKey(), f.now + 1);
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().reason == "invalid_device_key");
  CHECK(*dep.registry().LogSize() == size0);

  auto issued = dep.IssueStaged(staged->pickup_id, f.device, f.now + 2);
  if (!issued) FAIL(issued.error().ToString());
  CHECK(issued->document_number == staged->document_number);
  CHECK(*dep.registry().LogSize() == size0 + 1);
  auto entries = f.Entries(dep);
  CHECK(entries.back().event == log::Event::kIssue);
  CHECK(entries.back().credential_id == std::optional<log::CredentialId>(issued->credential_id));
  // The credential is bound to the holder's key and verifies.
  auto parsed = mdoc::ParseIssuerSigned(issued->credential);
  REQUIRE(parsed);
  mdoc::DocumentVerifier verifier(*f.pki.trust_list);
  auto report = verifier.VerifyIssuerSigned(*parsed, mdoc::VerifyOptions{f.now + 3});
  REQUIRE(report.ok());
  CHECK(report.document->device_key() == f.device);
  shown = dep.Show(staged->document_number);
  REQUIRE(shown);
  REQUIRE(shown->credentials.size() == 1);
  CHECK(shown->staged[0].state == issuer::StagedState::kIssued);
  CHECK(shown->staged[0].credential_id == std::optional<log::CredentialId>(issued->credential_id));

  auto twice = dep.IssueStaged(staged->pickup_id, f.device, f.now + 4);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().reason == "not_staged");

  // Cancelled: never issued.
  issuer::IssueInput in2 = f.Input();
  in2.device_key = PublicKey();
  auto staged2 = dep.Stage(in2, "clerk-7", f.now);
  REQUIRE(staged2);
  REQUIRE(dep.CancelStaged(staged2->pickup_id, "clerk-7", f.now + 5));
  auto after_cancel = dep.IssueStaged(staged2->pickup_id, f.device, f.now + 6);
  REQUIRE_FALSE(after_cancel);
  CHECK(after_cancel.error().reason == "not_staged");
  CHECK_FALSE(dep.CancelStaged(staged2->pickup_id, "clerk-7", f.now + 7));

  // Bad inputs are refused and write nothing.
  auto size1 = *dep.registry().LogSize();
  issuer::IssueInput bad = f.Input();
  bad.device_key = PublicKey();
  auto bad_doc = CivilIdFor(f.next_id - 1).number;
  bad.claims_json = R"({"civil_id_number": ")" + bad_doc + R"("})";  // required elements missing
  auto refused = dep.Stage(bad, "clerk-7", f.now);
  REQUIRE_FALSE(refused);
  auto no_doc = dep.Show(bad_doc);
  REQUIRE_FALSE(no_doc);
  CHECK(no_doc.error().reason == "unknown_document");
  issuer::IssueInput other = f.Input();
  other.agency = "nobody";
  auto unknown_agency = dep.Stage(other, "clerk-7", f.now);
  REQUIRE_FALSE(unknown_agency);
  CHECK(unknown_agency.error().reason == "unknown_agency");
  auto bad_pickup = dep.IssueStaged("zz", f.device, f.now);
  REQUIRE_FALSE(bad_pickup);
  CHECK(bad_pickup.error().reason == "bad_pickup_id");
  auto unknown_pickup = dep.IssueStaged(std::string(32, '0'), f.device, f.now);
  REQUIRE_FALSE(unknown_pickup);
  CHECK(unknown_pickup.error().reason == "unknown_pickup");
  CHECK(*dep.registry().LogSize() == size1);
}

TEST_CASE("Batch lines without a device key are staged and a re-run stages nothing twice", "[issuer][staging]") {
  Fixture f;
  auto dep = f.Open();
  std::vector<std::string> lines;
  lines.push_back(CivilBatchLine(1, f.device));
  nlohmann::json staged_line = nlohmann::json::parse(CivilBatchLine(2, f.device));
  staged_line.erase("device_key");
  lines.push_back(staged_line.dump());
  nlohmann::json bad_line = staged_line;
  bad_line["claims"].erase("birth_date");
  lines.push_back(bad_line.dump());
  std::vector<issuer::BatchLineResult> results;
  issuer::BatchOptions bo;
  bo.actor = "batch-1";
  bo.now = f.now;
  bo.on_line = [&](const issuer::BatchLineResult& r) { results.push_back(r); };
  auto sum = dep.IssueBatch(lines, bo);
  REQUIRE(sum);
  CHECK(sum->issued == 1);
  CHECK(sum->staged == 1);
  CHECK(sum->refused == 1);
  REQUIRE(results.size() == 3);
  REQUIRE(results[1].result);
  std::string pickup = results[1].result->pickup_id;
  CHECK(pickup.size() == 32);
  CHECK(results[1].result->credential.empty());

  results.clear();
  auto rerun = dep.IssueBatch(lines, bo);
  REQUIRE(rerun);
  CHECK(rerun->issued == 0);
  CHECK(rerun->staged == 0);
  CHECK(rerun->already_issued == 2);
  REQUIRE(results[1].result);
  CHECK(results[1].result->pickup_id == pickup);

  auto issued = dep.IssueStaged(pickup, f.device, f.now + 10, "pickup-service");
  if (!issued) FAIL(issued.error().ToString());
  CHECK(issued->document_number == CivilIdFor(2).number);
}

TEST_CASE("A registry from before signers were recorded: the first signer's compromise revokes its credentials",
          "[issuer][signers]") {
  Fixture f;
  issuer::IssuedRecord a1, a2;
  {
    auto dep = f.Open();
    a1 = f.Issue(dep);
    a2 = f.Issue(dep);
  }
  // As a schema-1 registry left them: no signer rows, no signer recorded on the credentials.
  {
    auto key = keys::OpenSealedSecretFile(f.tmp.at("dep/registry.key"), f.pass);
    REQUIRE(key);
    storage::OpenOptions o;
    o.mode = storage::OpenMode::kOpenExisting;
    auto db = storage::Database::Open(f.tmp.at("dep/registry.db"), *key, o);
    REQUIRE(db);
    REQUIRE(db->Execute("DELETE FROM signers"));
    REQUIRE(db->Execute("UPDATE credentials SET signer_key = NULL"));
  }
  auto dep = f.Open();
  const std::string old_id = SignerKeyHex(f.pki.agency("paci").ds_key);
  auto signers = dep.Signers("paci");
  REQUIRE(signers);
  REQUIRE(signers->size() == 1);
  CHECK((*signers)[0].key_id == old_id);
  CHECK((*signers)[0].active);
  auto ns = f.MakeSigner("ds2");
  REQUIRE(dep.AddSigner("paci", ns.spec, ns.cert_file, "security-officer", f.now + 1));
  auto b1 = f.Issue(dep);
  auto retired =
      dep.RetireSigner("paci", old_id, status::RevocationReason::kKeyCompromise, "security-officer", f.now + 2);
  if (!retired) FAIL(retired.error().ToString());
  std::set<log::CredentialId> revoked(retired->revoked.begin(), retired->revoked.end());
  CHECK(revoked == std::set<log::CredentialId>{a1.credential_id, a2.credential_id});
  auto b1_now = dep.registry().ById(b1.credential_id);
  REQUIRE(b1_now);
  CHECK((**b1_now).state == issuer::CredentialState::kValid);
  // The retirement is remembered for the signer deployment.json names.
  signers = dep.Signers("paci");
  REQUIRE(signers);
  REQUIRE(signers->size() == 2);
  CHECK((*signers)[0].retired);
  CHECK((*signers)[1].active);
}
