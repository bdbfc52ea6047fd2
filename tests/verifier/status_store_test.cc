// The token-backed status lookup: real tokens signed by the test PKI's status-list signers, verified
// against the trust list's status prefixes; every refusal named; never an answer from an expired token.
#include "wathiq/verifier/status_store.h"

#include <filesystem>

#include "mdoc/mdoc_test_util.h"
#include "support/status_fixture.h"
#include "wathiq/core/file.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/keys/status_uri.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/verifier.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;
namespace vf = wathiq::verifier;
namespace qr = wathiq::mdoc::qr;

namespace {

std::string Refusal(const Result<vf::TokenAccepted>& r) {
  REQUIRE_FALSE(r);
  INFO(r.error().ToString());
  return std::string(r.error().reason_code());
}

vf::StatusValue At(const vf::StatusStore& s, const std::string& uri, uint64_t idx, int64_t now) {
  return s.Lookup({uri, idx}, now).value;
}

}  // namespace

TEST_CASE("status store: valid, revoked, suspended, unknown and out of range from one real token",
          "[verifier][status]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  vf::StatusStore store(pki.trust_list);
  const std::string& uri = paci.status_list_uri;
  CHECK(At(store, uri, 7, pki.now) == vf::StatusValue::kUnknown);  // nothing loaded yet

  auto list = MustStatusList();
  REQUIRE(list.Set(8, status::kStatusInvalid));
  REQUIRE(list.Set(9, status::kStatusSuspended));
  REQUIRE(list.Set(10, 3));
  auto added = store.AddToken(MustSignStatusToken(paci, list, uri, pki.now - 60), pki.now);
  REQUIRE(added);
  CHECK(added->outcome == vf::TokenOutcome::kAdded);
  CHECK(added->agency_id == "paci");
  CHECK(added->uri == uri);
  CHECK(added->entries == 131072);
  CHECK(store.list_count() == 1);
  CHECK(store.held_bytes() == 131072 / 4);

  CHECK(At(store, uri, 7, pki.now) == vf::StatusValue::kValid);
  CHECK(At(store, uri, 8, pki.now) == vf::StatusValue::kRevoked);
  CHECK(At(store, uri, 9, pki.now) == vf::StatusValue::kSuspended);
  CHECK(At(store, uri, 10, pki.now) == vf::StatusValue::kUnknown);  // a value this verifier does not know
  CHECK(At(store, uri, 131071, pki.now) == vf::StatusValue::kValid);
  CHECK(At(store, uri, 131072, pki.now) == vf::StatusValue::kIndexOutOfRange);
  CHECK(At(store, uri, UINT64_MAX, pki.now) == vf::StatusValue::kIndexOutOfRange);
  // The sub must equal the MSO's URI exactly: a token for list 1 says nothing about list 2 or a spelling of 1.
  CHECK(At(store, paci.status_prefix + "/2", 7, pki.now) == vf::StatusValue::kUnknown);
  CHECK(At(store, uri + "/", 7, pki.now) == vf::StatusValue::kUnknown);
  CHECK(At(store, paci.status_prefix + "/01", 7, pki.now) == vf::StatusValue::kUnknown);

  SECTION("past exp the token says nothing: status_unknown, never the old answer") {
    int64_t exp = pki.now - 60 + kDay;
    CHECK(At(store, uri, 8, exp - 1) == vf::StatusValue::kRevoked);
    auto a = store.Lookup({uri, 8}, exp);
    CHECK(a.value == vf::StatusValue::kUnknown);
    CHECK_THAT(a.detail, Catch::Contains("expired"));
    CHECK(At(store, uri, 7, exp + 1000) == vf::StatusValue::kUnknown);
  }
  SECTION("the newest token per URI wins; an older one changes nothing") {
    auto newer = MustStatusList();
    REQUIRE(newer.Set(7, status::kStatusInvalid));
    auto r = store.AddToken(MustSignStatusToken(paci, newer, uri, pki.now - 30), pki.now);
    REQUIRE(r);
    CHECK(r->outcome == vf::TokenOutcome::kReplaced);
    CHECK(At(store, uri, 7, pki.now) == vf::StatusValue::kRevoked);
    CHECK(At(store, uri, 8, pki.now) == vf::StatusValue::kValid);  // reinstated in the newer list
    auto old = store.AddToken(MustSignStatusToken(paci, list, uri, pki.now - 60), pki.now);
    REQUIRE(old);
    CHECK(old->outcome == vf::TokenOutcome::kSuperseded);
    CHECK(At(store, uri, 7, pki.now) == vf::StatusValue::kRevoked);
    CHECK(store.list_count() == 1);
    CHECK(store.held_bytes() == 131072 / 4);
  }
}

TEST_CASE("status store: tokens that must not answer are refused, each with its reason",
          "[verifier][status][negative]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  const auto& moi = pki.agency("moi-traffic");
  vf::StatusStore store(pki.trust_list);
  auto list = MustStatusList();
  const std::string& uri = paci.status_list_uri;

  // Agency B's status signer can never answer for agency A's URI, however well it signs.
  CHECK(Refusal(store.AddToken(MustSignStatusToken(moi, list, uri, pki.now - 60), pki.now)) == "signer_not_authorized");
  // A URI under no agency's prefix, or under a prefix only by a character, or by a dot segment.
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, "https://status.other.example/lists/1", pki.now - 60),
                               pki.now)) == "unknown_list");
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, paci.status_prefix + "7", pki.now - 60), pki.now)) ==
        "unknown_list");
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, paci.status_prefix + "/../x", pki.now - 60), pki.now)) ==
        "unknown_list");
  // Already expired, or issued in the future.
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, uri, pki.now - 3 * 3600, pki.now - 3600), pki.now)) ==
        "expired");
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, uri, pki.now + 3600), pki.now)) == "not_yet_valid");
  // Signed before the status signer's certificate was valid (backdated).
  CHECK(Refusal(store.AddToken(MustSignStatusToken(paci, list, uri, pki.now - 2 * kDay, pki.now + kDay), pki.now)) ==
        "certificate_invalid");
  // PACI's kid, MoI's key: the signature does not verify.
  {
    status::StatusListClaims c{uri,
                               static_cast<uint64_t>(pki.now - 60),
                               static_cast<uint64_t>(pki.now + kDay),
                               3600,
                               std::nullopt,
                               status::LogCheckpointRef{"wathiq.example/log", 0, {}}};
    auto forged = status::SignStatusListToken(c, list, moi.status_key, paci.status_cert.kid());
    REQUIRE(forged);
    CHECK(Refusal(store.AddToken(*forged, pki.now)) == "bad_signature");
  }
  // A status-list signer certificate under the same root but not in the trust list.
  {
    auto key = keys::KeyHandle::GenerateSoftware(Alg::kES256, "rogue");
    REQUIRE(key);
    auto cert =
        pki.Issue(keys::CertRole::kStatusListSigner, key->cached_public_key(), "Rogue", pki.now - kDay, pki.now + kDay);
    REQUIRE(cert);
    TestAgency rogue;
    rogue.status_key = std::move(*key);
    rogue.status_cert = *cert;
    CHECK(Refusal(store.AddToken(MustSignStatusToken(rogue, list, uri, pki.now - 60), pki.now)) == "unknown_signer");
  }
  // Tampered: any flipped byte, in the claims or the signature.
  Bytes good = MustSignStatusToken(paci, list, uri, pki.now - 60);
  {
    Bytes t = good;
    t.back() ^= 1;
    CHECK(Refusal(store.AddToken(t, pki.now)) == "bad_signature");
    Bytes u = good;
    std::string s(u.begin(), u.end());
    auto at = s.find("lists/1");
    REQUIRE(at != std::string::npos);
    u[at + 6] = '2';
    CHECK(Refusal(store.AddToken(u, pki.now)) == "bad_signature");
  }
  // Not a token at all.
  CHECK(Refusal(store.AddToken(AsBytes("not a token"), pki.now)) == "malformed");
  CHECK(Refusal(store.AddToken(ByteView(good.data(), good.size() / 2), pki.now)) == "malformed");
  CHECK(store.list_count() == 0);
  CHECK(At(store, uri, 0, pki.now) == vf::StatusValue::kUnknown);
  // The good one still loads.
  CHECK(store.AddToken(good, pki.now));
}

TEST_CASE("status store: bounded against hostile token files", "[verifier][status][negative]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  test::TempDir dir("status");
  vf::StatusStoreOptions o;
  o.max_entries = 131072;  // this deployment's lists: at most 32 KiB inflated each
  o.max_tokens = 2;
  o.max_token_bytes = 64 * 1024;
  vf::StatusStore store(pki.trust_list, o);

  // A zlib bomb, validly signed: 2^24 entries of zeros compress to a few KB and would inflate to 4 MiB.
  auto huge = MustStatusList(uint64_t{1} << 24);
  Bytes bomb = MustSignStatusToken(paci, huge, paci.status_list_uri, pki.now - 60);
  CHECK(bomb.size() < o.max_token_bytes);
  dir.Write("bomb.cwt", bomb);
  dir.Write("garbage.cwt", AsBytes(std::string(1000, '\xff')));
  dir.Write("big.cwt", Bytes(o.max_token_bytes + 1, 0xd2));
  dir.Write("empty.cwt", Bytes{});
  dir.Write("ignored.txt", AsBytes("not read: only *.cwt in a folder"));
  fs::create_directory(dir.path() / "sub.cwt");  // a folder named like a token: skipped
  auto list = MustStatusList();
  dir.Write("good1.cwt", MustSignStatusToken(paci, list, paci.status_prefix + "/1", pki.now - 60));
  dir.Write("good2.cwt", MustSignStatusToken(paci, list, paci.status_prefix + "/2", pki.now - 60));
  dir.Write("good3.cwt", MustSignStatusToken(paci, list, paci.status_prefix + "/3", pki.now - 60));

  vf::StatusLoadReport r =
      store.Load({dir.path().string(), (dir.path() / "missing.cwt").string(), "/dev/null"}, pki.now);
  std::map<std::string, std::string> reasons;
  for (const auto& f : r.refused) reasons[fs::path(f.source).filename().string()] = f.reason;
  INFO(vf::StatusLoadReportJson(r).dump(2));
  CHECK(reasons["bomb.cwt"] == "limit");
  CHECK(reasons["garbage.cwt"] == "malformed");
  CHECK(reasons["big.cwt"] == "limit");
  CHECK(reasons["empty.cwt"] == "malformed");
  CHECK(reasons["good3.cwt"] == "limit");  // the third list is over max_tokens
  CHECK(reasons["missing.cwt"] == "unreadable");
  CHECK(reasons["null"] == "unreadable");
  CHECK(reasons.count("ignored.txt") == 0);
  CHECK(r.accepted.size() == 2);
  CHECK(store.list_count() == 2);
  CHECK(store.held_bytes() == 2 * 131072 / 4);
  auto j = vf::StatusLoadReportJson(r);
  CHECK(j["accepted"].size() == 2);
  CHECK(j["refused"].size() == 7);
}

TEST_CASE("status store: a published folder is read where a static web server serves each list", "[verifier][status]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  test::TempDir pub("published");
  auto list = MustStatusList();
  REQUIRE(list.Set(3, status::kStatusInvalid));
  auto place = [&](const std::string& uri, const Bytes& token) {
    auto path = keys::StatusUriPath(pub.path(), uri);
    REQUIRE(path);
    fs::create_directories(path->parent_path());
    REQUIRE(WriteFileAtomically(path->string(), token, WriteMode::kReplace));
  };
  place(paci.status_prefix + "/1", MustSignStatusToken(paci, list, paci.status_prefix + "/1", pki.now - 60));
  place(paci.status_prefix + "/2",
        MustSignStatusToken(paci, MustStatusList(), paci.status_prefix + "/2", pki.now - 60));
  // What else a publish folder holds is not read as a token: a writer's temporary file, files outside every
  // status prefix (checkpoint, tiles), a symbolic link.
  REQUIRE(WriteFileAtomically(keys::StatusUriPath(pub.path(), paci.status_prefix)->string() + "/.1.tmp-abc",
                              AsBytes("partial"), WriteMode::kReplace));
  fs::create_directories(pub.path() / "log.example" / "tile");
  pub.Write("log.example/checkpoint", "not a token");
  fs::create_symlink("/dev/zero", *keys::StatusUriPath(pub.path(), paci.status_prefix + "/zero"));

  vf::StatusStore store(pki.trust_list);
  vf::StatusLoadReport r = store.Load({pub.path().string()}, pki.now);
  INFO(vf::StatusLoadReportJson(r).dump(2));
  CHECK(r.accepted.size() == 2);
  CHECK(r.refused.empty());
  CHECK(At(store, paci.status_prefix + "/1", 3, pki.now) == vf::StatusValue::kRevoked);
  CHECK(At(store, paci.status_prefix + "/1", 4, pki.now) == vf::StatusValue::kValid);
  CHECK(At(store, paci.status_prefix + "/2", 3, pki.now) == vf::StatusValue::kValid);

  // Bounded: a folder with more files than the cap reads no more than the cap.
  vf::StatusStoreOptions few;
  few.max_files = 1;
  vf::StatusStore small(pki.trust_list, few);
  vf::StatusLoadReport capped = small.Load({pub.path().string()}, pki.now);
  CHECK(capped.accepted.size() == 1);
  REQUIRE(capped.refused.size() == 1);
  CHECK(capped.refused[0].reason == "limit");
}

TEST_CASE("verifier with a status store: the verdict follows the signed token", "[verifier][status]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  auto opened =
      vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE(opened);
  vf::Verifier v = std::move(*opened);
  auto store = std::make_shared<vf::StatusStore>(v.shared_trust_list());
  v.set_status(store);
  auto cred = IssueCivilId(pki);  // paci.status_list_uri, index 7
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  int64_t t = pki.now;
  auto verify = [&](const IssuedCredential& c, const mdoc::ParsedIssuerSigned& p) {
    t += 10;
    qr::PresentationRequest r{&p, kCivilIdDocType, {"full_name_en"}, c.device_key.get(), t, std::nullopt};
    auto pres = qr::BuildPresentation(r);
    REQUIRE(pres);
    vf::Policy policy;
    policy.now = t;
    auto report = v.Verify(pres->text, policy);
    REQUIRE(report);
    return *report;
  };

  auto none = verify(cred, *parsed);
  CHECK(none.verdict == vf::Verdict::kCannotConfirmStatus);
  CHECK(none.Has(mdoc::Reason::kStatusUnknown));

  auto list = MustStatusList();
  REQUIRE(store->AddToken(MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 60), pki.now));
  CHECK(verify(cred, *parsed).verdict == vf::Verdict::kValid);

  REQUIRE(list.Set(7, status::kStatusSuspended));
  REQUIRE(store->AddToken(MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 50), pki.now));
  auto suspended = verify(cred, *parsed);
  CHECK(suspended.verdict == vf::Verdict::kInvalid);
  CHECK(suspended.Has(mdoc::Reason::kSuspended));

  REQUIRE(list.Set(7, status::kStatusInvalid));
  REQUIRE(store->AddToken(MustSignStatusToken(paci, list, paci.status_list_uri, pki.now - 40), pki.now));
  auto revoked = verify(cred, *parsed);
  CHECK(revoked.verdict == vf::Verdict::kInvalid);
  CHECK(revoked.Has(mdoc::Reason::kRevoked));

  // Index beyond the list.
  auto far = IssueCivilId(pki, [](mdoc::IssueRequest& r) { r.status->idx = 131072; });
  auto far_parsed = mdoc::ParseIssuerSigned(far.issuer_signed);
  REQUIRE(far_parsed);
  CHECK(verify(far, *far_parsed).Has(mdoc::Reason::kStatusIndexOutOfRange));

  SECTION("issuance side: the MSO may point only into its own agency's lists") {
    // PACI's document signer pointing at MoI's list, or at a list of nobody: signer_not_authorized, whatever
    // the (other agency's) list says.
    auto moi_list = MustStatusList();
    REQUIRE(store->AddToken(MustSignStatusToken(pki.agency("moi-traffic"), moi_list,
                                                pki.agency("moi-traffic").status_list_uri, pki.now - 60),
                            pki.now));
    for (std::string uri :
         {pki.agency("moi-traffic").status_list_uri, std::string("https://status.other.example/lists/1"),
          paci.status_prefix + "7", paci.status_prefix + "/%31", paci.status_prefix + "/../x"}) {
      INFO(uri);
      auto c = IssueCivilId(pki, [&](mdoc::IssueRequest& r) { r.status->uri = uri; });
      auto p = mdoc::ParseIssuerSigned(c.issuer_signed);
      REQUIRE(p);
      auto rep = verify(c, *p);
      CHECK(rep.verdict == vf::Verdict::kInvalid);
      CHECK(rep.Has(mdoc::Reason::kSignerNotAuthorized));
    }
    // Under the prefix at a segment boundary is fine (a list PACI opened without a new trust list).
    auto c = IssueCivilId(pki, [&](mdoc::IssueRequest& r) { r.status->uri = paci.status_prefix + "/new-2026/4"; });
    auto p = mdoc::ParseIssuerSigned(c.issuer_signed);
    REQUIRE(p);
    auto rep = verify(c, *p);
    CHECK(rep.verdict == vf::Verdict::kCannotConfirmStatus);  // no token for it yet
  }
}
