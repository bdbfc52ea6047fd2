// The verifier object: opened from the trust list with what it already accepted; rollback and staleness
// refused with their reasons; the state folder (challenges, replays, trust state) on a real file system.
#include <sys/stat.h>

#include <filesystem>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/keys/keystore.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/report.h"
#include "wathiq/verifier/verifier.h"

using namespace wathiq;
using namespace wathiq::test;
namespace fs = std::filesystem;
namespace vf = wathiq::verifier;
namespace qr = wathiq::mdoc::qr;

namespace {


// A short-lived credential without a status reference: valid with no status lists loaded.
IssuedCredential ShortLived(const TestPki& pki) {
  return IssueCivilId(pki, [](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity.valid_until = r.validity.valid_from + 3 * kDay;
  });
}

std::string Present(const IssuedCredential& cred, int64_t at, std::optional<Bytes> nonce = std::nullopt) {
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  qr::PresentationRequest r{&*parsed, kCivilIdDocType, {"full_name_en", "full_name_ar"}, cred.device_key.get(), at,
                            nonce};
  auto p = qr::BuildPresentation(r);
  REQUIRE(p);
  return p->text;
}

vf::Policy At(int64_t now) {
  vf::Policy p;
  p.now = now;
  return p;
}

}  // namespace

TEST_CASE("verifier: a rolled-back trust list is refused once a newer one is held", "[verifier][negative]") {
  auto pki = MustMakeTestPki({.now = kPkiNow, .sequence = 7, .agencies = {}});
  auto opened =
      vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE(opened);
  vf::TrustState held = opened->trust_state();
  CHECK(held.sequence == 7);
  CHECK(held.payload_sha256 == pki.trust_list->payload_sha256());

  // Sequence 6 still lists the agency whose signer sequence 7 may have dropped: unexpired, validly signed.
  keys::TrustListContent older = pki.content;
  older.sequence = 6;
  auto old_bytes = pki.Sign(older);
  REQUIRE(old_bytes);
  CHECK(vf::Verifier::Open(*old_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>()));
  auto rolled = vf::Verifier::Open(*old_bytes, pki.root_cert, held, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE_FALSE(rolled);
  CHECK(rolled.error().reason_code() == "trust_list_rollback");

  // The same sequence with other content: an equivocating signer.
  keys::TrustListContent forked = pki.content;
  forked.agencies.pop_back();
  auto forked_bytes = pki.Sign(forked);
  REQUIRE(forked_bytes);
  auto fork = vf::Verifier::Open(*forked_bytes, pki.root_cert, held, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE_FALSE(fork);
  CHECK(fork.error().reason_code() == "trust_list_rollback");

  // A newer list is accepted and read back.
  keys::TrustListContent newer = pki.content;
  newer.sequence = 8;
  auto new_bytes = pki.Sign(newer);
  REQUIRE(new_bytes);
  auto next = vf::Verifier::Open(*new_bytes, pki.root_cert, held, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE(next);
  CHECK(next->trust_state().sequence == 8);
}

TEST_CASE("verifier: past next_update plus the grace, no verdict at all", "[verifier][negative]") {
  auto pki = MustMakeTestPki();
  auto cred = ShortLived(pki);
  int64_t next_update = pki.content.next_update;
  auto v = vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE(v);
  // Within the grace: verdicts are given.
  int64_t t = next_update + 23 * 3600;
  auto within = v->Verify(Present(cred, t), At(t));
  REQUIRE(within);  // a report (the three-day credential itself has expired by then: that is its verdict)
  CHECK(within->checks.size() == vf::kCheckCount);
  // Beyond it: the error, for a verdict and for a challenge alike.
  t = next_update + 24 * 3600 + 1;
  auto stale = v->Verify(Present(cred, t), At(t));
  REQUIRE_FALSE(stale);
  CHECK(stale.error().reason_code() == "trust_list_stale");
  CHECK_FALSE(v->NewChallenge("x", t));
  // Opening a list that is already that stale fails the same way.
  auto late = vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, t, std::make_shared<vf::MemoryState>());
  REQUIRE_FALSE(late);
  CHECK(late.error().reason_code() == "trust_list_stale");
  // A verifier may choose a shorter grace, never a negative one.
  vf::VerifierOptions strict;
  strict.trust_list_grace = 0;
  auto strict_v =
      vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>(), strict);
  REQUIRE(strict_v);
  CHECK_FALSE(strict_v->Verify(Present(cred, next_update + 1), At(next_update + 1)));
  strict.trust_list_grace = -1;
  CHECK_FALSE(vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>(),
                                 strict));
}

TEST_CASE("verifier: the state folder keeps challenges and replays across processes, 0600, fail closed",
          "[verifier][state]") {
  auto pki = MustMakeTestPki();
  auto cred = ShortLived(pki);
  test::TempDir dir("verifier");
  std::string folder = (dir.path() / "state").string();
  auto open = [&] {
    auto s = vf::FileState::Open(folder);
    REQUIRE(s);
    auto v = vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now,
                                std::make_shared<vf::FileState>(std::move(*s)));
    REQUIRE(v);
    return std::move(*v);
  };
  // One run shows the challenge, another verifies the answer: the time shown comes from the folder.
  auto challenge = open().NewChallenge("Checkpoint 7", pki.now);
  REQUIRE(challenge);
  struct stat st;
  REQUIRE(::stat((dir.path() / "state" / "challenges.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(folder.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  std::string answer = Present(cred, pki.now - 3600, challenge->nonce);
  auto first = open().Verify(answer, At(pki.now + 30));
  REQUIRE(first);
  CHECK(first->verdict == vf::Verdict::kValid);
  auto second = open().Verify(answer, At(pki.now + 31));
  REQUIRE(second);
  CHECK(second->Has(mdoc::Reason::kReplayed));

  // Time mode, across two verifier objects on the same folder.
  std::string shown = Present(cred, pki.now);
  auto a = open().Verify(shown, At(pki.now + 1));
  REQUIRE(a);
  CHECK(a->verdict == vf::Verdict::kValid);
  auto b = open().Verify(shown, At(pki.now + 2));
  REQUIRE(b);
  CHECK(b->Has(mdoc::Reason::kReplayed));

  // The trust state is held and only raised.
  auto fs_state = vf::FileState::Open(folder);
  REQUIRE(fs_state);
  REQUIRE(fs_state->RecordTrust({9, Bytes(32, 1)}));
  REQUIRE(fs_state->RecordTrust({3, Bytes(32, 2)}));
  auto held = fs_state->HeldTrust();
  REQUIRE(held);
  CHECK(held->sequence == 9);
  CHECK(held->payload_sha256 == Bytes(32, 1));

  // A damaged state file is an error, never an empty state that forgets answered challenges.
  REQUIRE(keys::WriteFileAtomically((dir.path() / "state" / "challenges.json").string(), AsBytes("{not json"),
                                    keys::WriteMode::kReplace));
  auto damaged = open().Verify(answer, At(pki.now + 40));
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().code == Errc::kMalformed);
}

TEST_CASE("verifier: reports escape every outside string, text and JSON alike", "[verifier][escape]") {
  auto pki = MustMakeTestPki();
  // An element value with a terminal escape and a bidi override, signed by a real issuer: even data that
  // verifies is escaped when shown.
  auto cred = IssueCivilId(pki, [](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity.valid_until = r.validity.valid_from + 3 * kDay;
    for (auto& e : r.elements) {
      if (e.id == "full_name_en") e.value = cbor::Value::Text("Ali\x1b[2J\xe2\x80\xae");
    }
  });
  auto v = vf::Verifier::Open(pki.trust_list_bytes, pki.root_cert, {}, pki.now, std::make_shared<vf::MemoryState>());
  REQUIRE(v);
  auto r = v->Verify(Present(cred, pki.now), At(pki.now));
  REQUIRE(r);
  REQUIRE(r->verdict == vf::Verdict::kValid);
  std::string text = vf::ReportText(*r, mdoc::Catalogue::Default());
  std::string json = vf::ReportJson(*r).dump();
  for (const std::string& out : {text, json}) {
    INFO(out);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find("\xe2\x80\xae") == std::string::npos);
    CHECK(out.find("Ali\\") != std::string::npos);
  }
  CHECK(text.find("محمد") != std::string::npos);  // Arabic unchanged
}
