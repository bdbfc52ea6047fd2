// The auditor against folders written by hand per docs/PUBLICATION.md: a clean deployment passes, and
// every lie a dishonest or broken issuer can tell is found and named.
#include <unistd.h>

#include <fstream>
#include <random>

#include "auditor/deployment.h"
#include "test_util.h"
#include "wathiq/auditor/audit.h"
#include "wathiq/auditor/revocations.h"
#include "wathiq/core/file.h"
#include "wathiq/log/tiles.h"

namespace fs = std::filesystem;
using namespace wathiq;
using auditor::AuditReport;
using log::Event;

namespace {

fs::path TestDir(const std::string& name) {
  return fs::temp_directory_path() / ("wathiq-auditor-" + std::to_string(getpid()) + "-" + name);
}

AuditReport MustAudit(const auditor::AuditInput& in) {
  auto r = auditor::RebuildAndCompare(in);
  if (!r) FAIL(r.error().ToString());
  return std::move(*r);
}

std::string Kinds(const AuditReport& r) {
  std::string s;
  for (const auto& [k, n] : r.findings.counts()) s += k + "=" + std::to_string(n) + " ";
  for (size_t i = 0; i < r.findings.list().size() && i < 5; ++i)
    s += "\n  " + r.findings.list()[i].kind + ": " + r.findings.list()[i].message;
  return s;
}

const auditor::Finding* FindKind(const AuditReport& r, const std::string& kind) {
  for (const auto& f : r.findings.list()) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

// 600 credentials over two agencies (three entry bundles), revocations, a suspension and a reinstatement,
// published twice.
struct Story {
  explicit Story(const std::string& name) : d(TestDir(name)) {
    paci = d.agency("paci").status_list_uri;
    moi = d.agency("moi-traffic").status_list_uri;
    for (uint64_t i = 0; i < 400; ++i) ids.push_back(d.Issue("paci", paci, 1000 + i * 7));
    for (uint64_t i = 0; i < 200; ++i) moi_ids.push_back(d.Issue("moi-traffic", moi, 50 + i * 3));
    d.Change(Event::kRevoke, ids[3], "paci", paci, 1000 + 3 * 7, "stolen");
    d.Change(Event::kSuspend, ids[5], "paci", paci, 1000 + 5 * 7, "court_order");
    d.Publish();
    first = d.LatestCheckpoint();
    d.Change(Event::kReinstate, ids[5], "paci", paci, 1000 + 5 * 7);
    d.Change(Event::kRevoke, moi_ids[9], "moi-traffic", moi, 50 + 9 * 3, "key_compromise");
    d.Change(Event::kSuspend, ids[8], "paci", paci, 1000 + 8 * 7, "holder_request");
    d.Publish();
  }
  ~Story() { fs::remove_all(d.dir); }
  test::Deployment d;
  std::string paci, moi;
  std::vector<log::CredentialId> ids, moi_ids;
  log::Checkpoint first;
};

}  // namespace

TEST_CASE("a clean deployment: every list rebuilt bit for bit, every token logged, the log consistent", "[auditor]") {
  Story s("clean");
  auto in = s.d.Input();
  in.held_checkpoint = s.first;
  AuditReport r = MustAudit(in);
  INFO(Kinds(r));
  CHECK(r.clean());
  CHECK(r.log_size == s.d.tree.size());
  CHECK(r.entries_replayed == r.log_size);
  CHECK(r.root == s.d.LatestCheckpoint().root);
  CHECK(r.credentials == 600);
  REQUIRE(r.lists.size() == 2);
  // 2 publications x 2 lists in the history; the latest two also public.
  REQUIRE(r.tokens.size() == 4);
  int public_tokens = 0;
  for (const auto& t : r.tokens) {
    CHECK(t.signature_ok);
    CHECK(t.compared);
    CHECK(t.differences == 0);
    CHECK(t.in_history);
    public_tokens += t.in_public;
  }
  CHECK(public_tokens == 2);
  CHECK(r.checkpoints_checked == 4);
  CHECK(r.tiles_checked >= 3);
  auto j = nlohmann::json::parse(r.ToJson());
  CHECK(j["clean"] == true);
  CHECK(j["findings"].empty());
}

TEST_CASE("a flipped bit in a signed token (a silent un-revocation) is named by uri and index", "[auditor][negative]") {
  Story s("unrevoke");
  const uint64_t idx = 1000 + 3 * 7;  // revoked in the story
  test::PublishHooks h;
  h.tamper = [&](const std::string& uri, status::StatusList& l, status::StatusListClaims&) {
    if (uri == s.paci) REQUIRE(l.Set(idx, status::kStatusValid));
  };
  s.d.Publish(h);
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("status_mismatch") == 1);
  CHECK(r.findings.total() == 1);
  const auditor::Finding* f = FindKind(r, "status_mismatch");
  REQUIRE(f);
  CHECK(f->uri == s.paci);
  CHECK(f->index == idx);
  CHECK(f->expected == status::kStatusInvalid);
  CHECK(f->published == status::kStatusValid);
  CHECK(f->message.find("un-revocation") != std::string::npos);
  CHECK(f->file.find("tokens/status.paci.example/lists/1/") == 0);
  auto j = nlohmann::json::parse(r.ToJson());
  CHECK(j["clean"] == false);
  CHECK(j["findings"][0]["index"] == idx);
}

TEST_CASE("an entry changed in the audit folder breaks every signed root from its position", "[auditor][negative]") {
  Story s("rewritten-entry");
  // The revocation at position 600 now revokes another index: the bundles are rewritten, the signed
  // checkpoints are not.
  log::Entry e = s.d.decoded.at(600);
  REQUIRE(e.event == Event::kRevoke);
  e.reason = "lost";
  s.d.entries[600] = *log::EncodeEntry(e);
  REQUIRE(log::WriteEntryBundles(s.d.audit, s.d.entries, 0, s.d.entries.size()));
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("checkpoint_root_mismatch") == 4);  // every checkpoint covers entry 600
  CHECK(r.findings.Count("token_root_mismatch") == 4);
  CHECK(r.findings.Count("tile_mismatch") >= 1);
}

TEST_CASE("an entry removed from the audit folder", "[auditor][negative]") {
  Story s("removed-entry");
  std::vector<Bytes> fewer = s.d.entries;
  fewer.erase(fewer.begin() + 600);  // the first revocation
  fs::remove_all(s.d.audit / "tile");
  SECTION("the bundles no longer reach the signed size") {
    REQUIRE(log::WriteEntryBundles(s.d.audit, fewer, 0, fewer.size()));
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("entry_bundle_missing") == 1);
    CHECK(r.findings.Count("checkpoint_unverifiable") == 4);
    CHECK(r.entries_replayed < r.log_size);
  }
  SECTION("the gap filled so the count still matches: every root from the gap on differs") {
    fewer.push_back(fewer.back());
    REQUIRE(log::WriteEntryBundles(s.d.audit, fewer, 0, fewer.size()));
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("checkpoint_root_mismatch") == 4);
    CHECK(r.findings.Count("token_root_mismatch") == 4);
    // And the revocation the entries no longer hold shows in the lists too.
    CHECK(r.findings.Count("status_mismatch") >= 1);
  }
}

TEST_CASE("a log rewritten and re-signed is caught by a checkpoint held before", "[auditor][negative]") {
  Story s("rewritten-log");
  const log::Checkpoint held = s.d.LatestCheckpoint();
  // The issuer drops the revocation at 600, rebuilds everything, re-signs every checkpoint and token.
  std::vector<Bytes> history = s.d.entries;
  history.erase(history.begin() + 600);
  s.d.RewriteFrom(history);
  s.d.Issue("paci", s.paci, 5);
  s.d.Publish();  // grown past the held size again
  auto in = s.d.Input();
  AuditReport alone = MustAudit(in);
  INFO(Kinds(alone));
  CHECK(alone.clean());  // on its own, the rewritten log is self-consistent
  in.held_checkpoint = held;
  AuditReport r = MustAudit(in);
  INFO(Kinds(r));
  CHECK(r.findings.Count("log_rewritten") == 1);
  CHECK(r.findings.Count("checkpoint_inconsistent") == 1);
}

TEST_CASE("a log truncated below a checkpoint held before", "[auditor][negative]") {
  Story s("truncated");
  const log::Checkpoint held = s.d.LatestCheckpoint();
  // Serve the first publication's state again: later checkpoints gone.
  for (const auto& e : fs::directory_iterator(s.d.audit / "checkpoints")) {
    if (std::stoull(e.path().filename().string()) > s.first.size) fs::remove(e.path());
  }
  { std::ofstream(s.d.log_dir / "checkpoint", std::ios::trunc) << s.d.SignCheckpointNote(s.first.size); }
  auto in = s.d.Input();
  in.held_checkpoint = held;
  AuditReport r = MustAudit(in);
  INFO(Kinds(r));
  CHECK(r.log_size == s.first.size);
  CHECK(r.findings.Count("log_truncated") == 1);
}

TEST_CASE("a token naming a wrong checkpoint root", "[auditor][negative]") {
  Story s("wrong-root");
  test::PublishHooks h;
  h.tamper = [&](const std::string& uri, status::StatusList&, status::StatusListClaims& c) {
    if (uri == s.moi) c.log_checkpoint->root[0] ^= 1;
  };
  s.d.Publish(h);
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("token_root_mismatch") == 1);
  CHECK(FindKind(r, "token_root_mismatch")->uri == s.moi);
  CHECK(r.findings.total() == 1);
}

TEST_CASE("an index issued twice, and other impossible histories", "[auditor][negative]") {
  Story s("reuse");
  auto again = s.d.Issue("paci", s.paci, 1000 + 3 * 7);                   // the revoked credential's slot
  s.d.Change(Event::kReinstate, s.ids[3], "paci", s.paci, 1000 + 3 * 7);  // reinstating a revoked one
  log::CredentialId ghost{};
  ghost[0] = 0x42;
  s.d.Change(Event::kRevoke, ghost, "paci", s.paci, 77);                    // never issued
  s.d.Change(Event::kSuspend, s.ids[10], "paci", s.paci, 1000 + 11 * 7);    // another slot
  s.d.Change(Event::kRevoke, s.moi_ids[1], "paci", s.moi, 50 + 1 * 3);      // another agency's credential
  s.d.Change(Event::kReinstate, s.ids[20], "paci", s.paci, 1000 + 20 * 7);  // never suspended
  (void)again;
  s.d.Publish();
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("index_reused") == 1);
  const auditor::Finding* f = FindKind(r, "index_reused");
  REQUIRE(f);
  CHECK(f->uri == s.paci);
  CHECK(f->index == 1000 + 3 * 7);
  CHECK(f->entry == s.d.entries.size() - 2 - 6);
  CHECK(r.findings.Count("event_after_revoke") == 1);
  CHECK(r.findings.Count("unknown_credential") == 1);
  CHECK(r.findings.Count("slot_mismatch") == 1);
  CHECK(r.findings.Count("agency_mismatch") == 1);
  CHECK(r.findings.Count("uri_not_agency") == 0);  // revokes are checked against the issue, not the URI owner
  CHECK(r.findings.Count("reinstate_not_suspended") == 1);
  // Revocation is final in both the replay and this (honest-listed) issuer: the lists still agree.
  CHECK(r.findings.Count("status_mismatch") == 0);
}

TEST_CASE("a token whose SHA-256 is in no status_list_published entry", "[auditor][negative]") {
  Story s("not-logged");
  SECTION("the publication left out of the log") {
    test::PublishHooks h;
    h.log_token = [&](const std::string& uri) { return uri != s.paci; };
    s.d.Publish(h);
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("token_not_logged") == 1);
    CHECK(FindKind(r, "token_not_logged")->uri == s.paci);
    CHECK(r.findings.total() == 1);
  }
  SECTION("a validly signed token slipped into the history") {
    Bytes extra = s.d.SignToken("paci", s.paci, s.d.lists.at(s.paci), s.first.size, 1767300000);
    std::ofstream(s.d.TokenHistoryDir(s.paci) / (std::to_string(s.first.size) + "-1767300000.cwt"), std::ios::binary)
        .write(reinterpret_cast<const char*>(extra.data()), static_cast<std::streamsize>(extra.size()));
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("token_not_logged") == 1);
    // The list is the current one, not the one at the first publication's size: it differs too.
    CHECK(r.findings.Count("status_mismatch") >= 1);
  }
  SECTION("a logged token missing from the history") {
    fs::remove_all(s.d.TokenHistoryDir(s.moi));
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("published_token_missing") == 2);
    CHECK(r.findings.Count("public_token_not_in_history") == 1);
  }
}

TEST_CASE("a list in use that the public folder no longer serves", "[auditor][negative]") {
  Story s("hidden-list");
  const fs::path agg = s.d.pub / "status.moi-traffic.example/aggregation";
  std::ofstream(agg, std::ios::trunc) << "{\"status_lists\": []}";
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("list_not_published") == 1);
  CHECK(FindKind(r, "list_not_published")->uri == s.moi);
  CHECK(r.findings.total() == 1);
}

TEST_CASE("tokens signed by the wrong key or for another agency's list", "[auditor][negative]") {
  Story s("wrong-signer");
  // moi-traffic signs a list under paci's prefix.
  Bytes t = s.d.SignToken("moi-traffic", s.paci, s.d.lists.at(s.paci), s.d.tree.size(), 1767400000);
  fs::path p = s.d.TokenHistoryDir(s.paci) / (std::to_string(s.d.tree.size()) + "-1767400000.cwt");
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size()));
  // A public token with a byte flipped in its signature.
  Bytes pubtok = s.d.last_tokens.at(s.moi);
  pubtok.back() ^= 1;
  std::ofstream(s.d.pub / s.moi.substr(8), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(pubtok.data()), static_cast<std::streamsize>(pubtok.size()));
  AuditReport r = MustAudit(s.d.Input());
  INFO(Kinds(r));
  CHECK(r.findings.Count("token_wrong_agency") == 1);
  CHECK(r.findings.Count("token_bad_signature") == 1);
}

TEST_CASE("the revocation report: who did what, when and why", "[auditor]") {
  Story s("revocations");
  auto rep = auditor::ReadRevocations(s.d.Input());
  REQUIRE(rep);
  REQUIRE(rep->events.size() == 5);
  CHECK(rep->log_size == s.d.tree.size());
  const auto& e = rep->events[0];
  CHECK(e.event == Event::kRevoke);
  CHECK(e.agency == "paci");
  CHECK(e.actor == "officer-17");
  CHECK(e.reason == "stolen");
  CHECK(e.credential_id == s.ids[3]);
  CHECK(e.uri == s.paci);
  CHECK(e.index == 1000 + 3 * 7);
  auto j = nlohmann::json::parse(rep->ToJson());
  CHECK(j["counts"]["revoke"] == 2);
  CHECK(j["counts"]["suspend"] == 2);
  CHECK(j["counts"]["reinstate"] == 1);
  CHECK(j["events"][0]["reason"] == "stolen");
  CHECK(j["events"][0]["time_utc"].get<std::string>().size() == 20);
  CHECK(j["events"][2]["event"] == "reinstate");
  CHECK(j["events"][2]["reason"].is_null());

  SECTION("entries that do not hash to the signed root give no report") {
    log::Entry changed = s.d.decoded.at(600);
    changed.actor = "someone-else";
    s.d.entries[600] = *log::EncodeEntry(changed);
    REQUIRE(log::WriteEntryBundles(s.d.audit, s.d.entries, 0, s.d.entries.size()));
    auto bad = auditor::ReadRevocations(s.d.Input());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().reason_code() == "checkpoint_root_mismatch");
  }
}

TEST_CASE("hostile audit folders: clear findings or errors, never a crash", "[auditor][negative]") {
  Story s("hostile");
  const fs::path bundle0 = s.d.audit / "tile/entries/000";
  SECTION("no checkpoints at all") {
    fs::remove_all(s.d.audit / "checkpoints");
    auto r = auditor::RebuildAndCompare(s.d.Input());
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kNotFound);
  }
  SECTION("a garbage bundle") {
    std::ofstream(bundle0, std::ios::binary | std::ios::trunc) << std::string(5000, '\xff');
    AuditReport r = MustAudit(s.d.Input());
    CHECK(r.findings.Count("entry_bundle_malformed") == 1);
    CHECK(r.entries_replayed == 0);
    CHECK(r.findings.Count("token_unverifiable") == 4);
  }
  SECTION("a bundle beyond any bundle's size") {
    fs::resize_file(bundle0, 256 * (2 + 65535) + 1);
    AuditReport r = MustAudit(s.d.Input());
    CHECK(r.findings.Count("entry_bundle_malformed") == 1);
  }
  SECTION("entries that are not entries") {
    std::vector<Bytes> junk = s.d.entries;
    junk[7] = Bytes{0xa1, 0x61, 0x76, 0x02};  // {"v": 2}
    junk[8] = Bytes(300, 0x00);
    REQUIRE(log::WriteEntryBundles(s.d.audit, junk, 0, junk.size()));
    AuditReport r = MustAudit(s.d.Input());
    CHECK(r.findings.Count("entry_malformed") == 2);
    CHECK(r.findings.Count("checkpoint_root_mismatch") == 4);
  }
  SECTION("a checkpoint file that is not a checkpoint, a huge one, stray files") {
    std::ofstream(s.d.audit / "checkpoints" / "12") << "not a note\n";
    std::ofstream(s.d.audit / "checkpoints" / "0012") << "x";
    std::ofstream(s.d.audit / "tokens" / "README") << "x";
    std::ofstream(s.d.TokenHistoryDir(s.paci) / "1-2.cwt") << "garbage";
    fs::resize_file(s.d.log_dir / "checkpoint", (size_t{1} << 20) + 1);
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("checkpoint_bad_signature") == 1);
    CHECK(r.findings.Count("unexpected_file") == 2);
    CHECK(r.findings.Count("token_unreadable") == 1);
    CHECK(r.findings.Count("public_checkpoint_invalid") == 1);
  }
  SECTION("aggregation documents that are not JSON, nested too deep, or with a duplicate key") {
    std::ofstream(s.d.pub / "status.paci.example/aggregation", std::ios::trunc) << std::string(100000, '[');
    std::ofstream(s.d.pub / "status.moi-traffic.example/aggregation", std::ios::trunc)
        << "{\"status_lists\": [], \"status_lists\": [\"https://status.moi-traffic.example/lists/1\"]}";
    AuditReport r = MustAudit(s.d.Input());
    INFO(Kinds(r));
    CHECK(r.findings.Count("aggregation_malformed") == 2);
    CHECK(r.findings.Count("list_not_published") == 2);
  }
  SECTION("a token history beyond the limits") {
    auto in = s.d.Input();
    in.limits.max_total_token_bytes = 100;
    auto r = auditor::RebuildAndCompare(in);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kLimit);
    in = s.d.Input();
    in.limits.max_token_files = 3;
    r = auditor::RebuildAndCompare(in);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kLimit);
  }
  SECTION("a log size beyond the limit") {
    auto in = s.d.Input();
    in.limits.max_log_size = 10;
    auto r = auditor::RebuildAndCompare(in);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kLimit);
  }
  SECTION("findings are capped, and counted") {
    test::PublishHooks h;
    h.tamper = [&](const std::string& uri, status::StatusList& l, status::StatusListClaims&) {
      if (uri == s.paci) {
        for (uint64_t i = 0; i < 5000; ++i) REQUIRE(l.Set(i, status::kStatusSuspended));
      }
    };
    s.d.Publish(h);
    auto in = s.d.Input();
    in.limits.max_findings = 50;
    AuditReport r = MustAudit(in);
    CHECK(r.findings.list().size() == 50);
    CHECK(r.findings.dropped() > 0);
    const auto& t = std::find_if(r.tokens.begin(), r.tokens.end(),
                                 [&](const auto& tok) { return tok.in_public && tok.uri == s.paci; });
    REQUIRE(t != r.tokens.end());
    CHECK(t->differences == 4999);  // slot 1056 is suspended in the story already
  }
}

TEST_CASE("bounded mutation run over a real audit folder: every outcome is a report or an error",
          "[auditor][negative][fuzz]") {
  Story s("mutate");
  const fs::path bundle = s.d.audit / "tile/entries/001";
  auto original = ReadFileBytes(bundle.string());
  REQUIRE(original);
  std::mt19937_64 rng(20261129);
  int reports = 0, errors = 0;
  for (int round = 0; round < 60; ++round) {
    Bytes b = *original;
    switch (round % 4) {
      case 0:  // flip bytes
        for (int k = 0; k < 1 + round % 7; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        break;
      case 1:  // truncate
        b.resize(rng() % b.size());
        break;
      case 2:  // a length prefix pointing anywhere
        b[0] = static_cast<uint8_t>(rng());
        b[1] = static_cast<uint8_t>(rng());
        break;
      default:  // random tail
        for (int k = 0; k < 100; ++k) b.push_back(static_cast<uint8_t>(rng()));
        break;
    }
    {
      std::ofstream(bundle, std::ios::binary | std::ios::trunc)
          .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
    auto r = auditor::RebuildAndCompare(s.d.Input());
    if (r) {
      ++reports;
      CHECK_FALSE(r->clean());
    } else {
      ++errors;
    }
  }
  CHECK(reports == 60);
  CHECK(errors == 0);
}

TEST_CASE("wathiq audit rebuild and revocations: exit codes and JSON", "[auditor][cli]") {
  Story s("cli");
  const fs::path tl = s.d.dir / "trust-list.cbor", root = s.d.dir / "root.der";
  REQUIRE(WriteFileAtomically(tl.string(), s.d.trust_list_bytes, WriteMode::kReplace, 0644));
  REQUIRE(WriteFileAtomically(root.string(), s.d.pki.root_cert.der(), WriteMode::kReplace, 0644));
  const std::string common = " --audit '" + s.d.audit.string() + "' --trust-list '" + tl.string() + "' --root '" +
                             root.string() + "' --now " + std::to_string(test::kPkiNow);
  const std::string cli = std::string(WATHIQ_CLI_PATH) + " audit ";
  const std::string rebuild = cli + "rebuild" + common + " --public '" + s.d.pub.string() + "'";

  auto clean = test::RunShell(rebuild);
  INFO(clean.text);
  CHECK(clean.rc == 0);
  CHECK(clean.text.find("every list matches") != std::string::npos);

  auto rev = test::RunShell(cli + "revocations --json" + common);
  INFO(rev.text);
  REQUIRE(rev.rc == 0);
  auto rj = nlohmann::json::parse(rev.text, nullptr, false);
  REQUIRE_FALSE(rj.is_discarded());
  CHECK(rj["counts"]["revoke"] == 2);
  CHECK(rj["events"][0]["actor"] == "officer-17");

  test::PublishHooks h;
  h.tamper = [&](const std::string& uri, status::StatusList& l, status::StatusListClaims&) {
    if (uri == s.paci) REQUIRE(l.Set(1000 + 3 * 7, status::kStatusValid));
  };
  s.d.Publish(h);
  auto bad = test::RunShell(rebuild + " --json");
  INFO(bad.text);
  CHECK(bad.rc == 1);
  auto bj = nlohmann::json::parse(bad.text, nullptr, false);
  REQUIRE_FALSE(bj.is_discarded());
  CHECK(bj["clean"] == false);
  CHECK(bj["findings"][0]["kind"] == "status_mismatch");
  CHECK(bj["findings"][0]["index"] == 1000 + 3 * 7);

  fs::remove_all(s.d.audit / "checkpoints");
  auto unreadable = test::RunShell(rebuild);
  INFO(unreadable.text);
  CHECK(unreadable.rc == 3);
}

TEST_CASE("the replay alone, on the fuzz seed's impossible history", "[auditor][replay]") {
  // fuzz/seeds/audit_replay/history: issue A@7, issue B@7, revoke A@7, reinstate A@7, suspend B@9,
  // status_list_published (entries hand-encoded outside our codec, so the seed also checks DecodeEntry).
  auto data = ReadFileBytes(test::DataPath("../../fuzz/seeds/audit_replay/history"));
  REQUIRE(data);
  REQUIRE(data->size() > 1);
  auto bundle = log::ParseEntryBundle(ByteView(*data).subspan(1), (*data)[0]);
  REQUIRE(bundle);
  auditor::Findings findings;
  auditor::ReplayOptions o;
  o.keep_status_events = true;
  auditor::Replayer replay(&findings, o);
  for (const Bytes& b : *bundle) {
    auto e = log::DecodeEntry(b);
    REQUIRE(e);
    replay.Apply(*e);
  }
  CHECK(findings.Count("index_reused") == 1);
  CHECK(findings.Count("event_after_revoke") == 1);
  CHECK(findings.Count("slot_mismatch") == 1);
  CHECK(findings.total() == 3);
  const std::string uri = "https://status.paci.example/lists/1";
  CHECK(replay.Value(uri, 7) == status::kStatusInvalid);    // revocation is final
  CHECK(replay.Value(uri, 9) == status::kStatusSuspended);  // the slot the entry names
  CHECK(replay.publications().size() == 1);
  CHECK(replay.status_events().size() == 3);
  auto list = replay.Rebuild(uri, 16);
  REQUIRE(list);
  CHECK(list->Get(7) == status::kStatusInvalid);
  CHECK(list->Get(8) == status::kStatusValid);
  std::vector<uint64_t> beyond;
  REQUIRE(replay.Rebuild(uri, 8, &beyond));
  CHECK(beyond == std::vector<uint64_t>{9});
}
