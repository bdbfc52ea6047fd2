// The wallet builds a presentation from a held credential: only the chosen elements, by profile or by id,
// time mode or a scanned challenge; the verifier accepts what it builds.
#include "wathiq/verifier/presentation.h"
#include "mdoc/mdoc_test_util.h"
#include "wathiq/verifier/state.h"
#include "wathiq/wallet/presentation.h"

using namespace wathiq;
using namespace wathiq::test;

TEST_CASE("wallet: a profile discloses exactly its elements, and the verifier accepts it", "[wallet]") {
  auto pki = MustMakeTestPki();
  auto cred = IssueCivilId(pki, [](mdoc::IssueRequest& r) {
    r.status.reset();
    r.validity.valid_until = r.validity.valid_from + 3 * kDay;
  });
  wallet::PresentOptions o;
  o.now = pki.now;
  auto q = wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"checkpoint_identity", {}}, o);
  REQUIRE(q);
  CHECK(q->doc_type == kCivilIdDocType);
  auto expected = mdoc::Catalogue::Default().Find(kCivilIdDocType)->Profile("checkpoint_identity");
  REQUIRE(expected);
  CHECK(q->disclosed == *expected);
  verifier::MemoryState state;
  verifier::Policy p;
  p.now = pki.now + 3;
  auto r = verifier::VerifyPresentation(q->presentation.text, *pki.trust_list, nullptr, state, p);
  REQUIRE(r);
  CHECK(r->verdict == verifier::Verdict::kValid);
  REQUIRE(r->documents.size() == 1);
  CHECK(r->documents[0].elements().size() == expected->size());
}

TEST_CASE("wallet: chosen elements, a challenge answer, and refusals", "[wallet][negative]") {
  auto pki = MustMakeTestPki();
  auto cred = IssueCivilId(pki);
  wallet::PresentOptions o;
  o.now = pki.now;
  auto one = wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"", {"full_name_ar"}}, o);
  REQUIRE(one);
  CHECK(one->disclosed == std::vector<std::string>{"full_name_ar"});
  CHECK(one->verifier_name.empty());

  auto c = mdoc::qr::NewChallenge("Checkpoint \x1b[2J 7");
  o.challenge_text = mdoc::qr::EncodeChallenge(c);
  auto answer = wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"", {"full_name_en"}}, o);
  REQUIRE(answer);
  CHECK(answer->verifier_name.find('\x1b') == std::string::npos);  // the verifier's claim, escaped
  auto env = mdoc::qr::ParseEnvelope(answer->presentation.text);
  REQUIRE(env);
  CHECK(env->nonce == c.nonce);

  o.challenge_text.reset();
  CHECK_FALSE(wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"", {"no_such_element"}}, o));
  CHECK_FALSE(wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"no_such_profile", {}}, o));
  CHECK_FALSE(wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"", {}}, o));
  Bytes junk(100, 0xa5);
  CHECK_FALSE(wallet::PresentCredential(junk, *cred.device_key, {"", {"full_name_ar"}}, o));
  o.challenge_text = "WQC:garbage";
  CHECK_FALSE(wallet::PresentCredential(cred.issuer_signed, *cred.device_key, {"", {"full_name_ar"}}, o));
}
