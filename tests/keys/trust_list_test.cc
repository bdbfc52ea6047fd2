#include "wathiq/keys/trust_list.h"

#include <catch2/catch.hpp>

#include "support/pki_fixture.h"
#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"

using namespace wathiq;
using namespace wathiq::keys;
using test::kDay;

namespace {

// The trust-list code behind a refusal, read back from its stable reason ("trust_list_stale").
TrustListErrc Code(const Result<std::shared_ptr<const TrustList>>& r) {
  REQUIRE_FALSE(r);
  INFO(r.error().ToString());
  auto code = TrustListErrcOf(r.error());
  REQUIRE(code);
  CHECK(r.error().reason == "trust_list_" + std::string(TrustListErrcName(*code)));
  return *code;
}

// Rebuilds a COSE_Sign1 with arbitrary parts: for signatures by the wrong key or with mismatched headers.
Bytes SignRaw(const Signer& signer, const Certificate& x5, const Bytes& payload, std::optional<Bytes> kid = {}) {
  cose::BuildOptions o;
  o.protected_extra.Set(cose::kHdrKid, cbor::Value::Bytes(kid ? *kid : x5.kid()));
  o.protected_extra.Set(cose::kHdrType, cbor::Value::Text(std::string(kTrustListContentType)));
  o.unprotected.Set(cose::kHdrX5Chain, cbor::Value::Bytes(x5.der()));
  o.tagged = true;
  auto b = cose::SignSign1(signer, payload, o);
  REQUIRE(b);
  return *b;
}

}  // namespace

TEST_CASE("a signed trust list loads, and its content round-trips exactly", "[keys][trust-list]") {
  auto pki = test::MustMakeTestPki();
  const auto& tl = *pki.trust_list;
  CHECK(tl.sequence() == 1);
  CHECK(tl.issued_at() == pki.now - 60);
  CHECK(tl.next_update() == pki.now + 7 * kDay);
  CHECK(tl.log().origin == "wathiq.example/log");
  CHECK(tl.log().verifier_key == pki.log_verifier_key);
  CHECK(tl.signer_certificate() == pki.tl_cert);
  REQUIRE(tl.agencies().size() == 2);
  const Agency* paci = tl.FindAgency("paci");
  REQUIRE(paci);
  CHECK(paci->name_ar == "الهيئة العامة للمعلومات المدنية");
  CHECK(paci->name_en == "Public Authority for Civil Information");
  CHECK(paci->doc_types == std::vector<std::string>{"kw.gov.paci.civil_id.1"});
  CHECK(paci->status_prefixes == std::vector<std::string>{"https://status.paci.example/lists"});
  CHECK(paci->aggregation_uri == "https://status.paci.example/lists");
  REQUIRE(paci->signer_indexes.size() == 2);
  CHECK(tl.FindAgency("nobody") == nullptr);

  SECTION("payload encoding is deterministic and decodes to the same content") {
    auto a = EncodeTrustListPayload(pki.content);
    auto b = EncodeTrustListPayload(pki.content);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    auto back = DecodeTrustListPayload(*a);
    REQUIRE(back);
    CHECK(back->agencies[0].name_ar == "الهيئة العامة للمعلومات المدنية");
    CHECK(back->agencies[1].name_ar == "الإدارة العامة للمرور");
    CHECK(back->agencies[0].document_signer_certs == pki.content.agencies[0].document_signer_certs);
    auto again = EncodeTrustListPayload(*back);
    REQUIRE(again);
    CHECK(*again == *a);
    // The Arabic bytes are in the signed payload verbatim (UTF-8).
    std::string_view ar = "الهيئة العامة للمعلومات المدنية";
    Bytes ar_bytes(ar.begin(), ar.end());
    CHECK(std::search(a->begin(), a->end(), ar_bytes.begin(), ar_bytes.end()) != a->end());
    // And the COSE message is tagged and carries kid + typ protected, x5chain unprotected.
    auto msg = cose::ParseSign1(pki.trust_list_bytes);
    REQUIRE(msg);
    CHECK(msg->kid() == pki.tl_cert.kid());
    CHECK(msg->protected_map.Find(cose::kHdrX5Chain) == nullptr);
    CHECK(msg->unprotected.Find(cose::kHdrX5Chain) != nullptr);
    CHECK(pki.trust_list_bytes[0] == 0xd2);  // tag 18
  }
}

TEST_CASE("trusted signers are ready to verify and found by kid or certificate", "[keys][trust-list]") {
  test::PkiOptions opts;
  opts.agencies = test::DefaultAgencies();
  opts.agencies[1].ds_alg = Alg::kEdDSA;
  auto pki = test::MustMakeTestPki(opts);
  const auto& tl = *pki.trust_list;
  for (const auto& a : pki.agencies) {
    auto found = tl.FindByKid(a.ds_cert.kid(), SignerRole::kDocumentSigner);
    REQUIRE(found.size() == 1);
    const TrustedSigner& s = *found[0];
    CHECK(s.agency_id == a.id);
    CHECK(s.agency_name_ar == a.name_ar);
    CHECK(s.cert_der == a.ds_cert.der());
    CHECK(s.kid == KidForCertificate(a.ds_cert.der()));
    CHECK(s.public_key == a.ds_key.cached_public_key());
    CHECK(s.not_before == a.ds_cert.not_before());
    CHECK(s.not_after == a.ds_cert.not_after());
    CHECK(s.ValidAt(pki.now));
    CHECK_FALSE(s.ValidAt(a.ds_cert.not_after() + 1));
    CHECK(s.status_prefixes == std::vector<std::string>{a.status_prefix});
    // The ready verifier checks the agency's real signatures.
    Bytes msg{1, 2, 3};
    auto sig = a.ds_key.Sign(msg);
    REQUIRE(sig);
    CHECK(s.verifier->Verify(msg, *sig));
    auto other_sig = a.status_key.Sign(msg);
    REQUIRE(other_sig);
    CHECK_FALSE(s.verifier->Verify(msg, *other_sig));

    CHECK(tl.FindByCertificate(a.ds_cert.der(), SignerRole::kDocumentSigner) == &s);
    // Roles do not mix: the DS certificate is not a status-list signer and vice versa.
    CHECK(tl.FindByCertificate(a.ds_cert.der(), SignerRole::kStatusListSigner) == nullptr);
    CHECK(tl.FindByKid(a.ds_cert.kid(), SignerRole::kStatusListSigner).empty());
    const TrustedSigner* st = tl.FindByCertificate(a.status_cert.der(), SignerRole::kStatusListSigner);
    REQUIRE(st);
    CHECK(st->role == SignerRole::kStatusListSigner);
  }
  CHECK(tl.signers()[2].public_key.curve() == Curve::kEd25519);
  CHECK(tl.FindByKid(Bytes(8, 0), SignerRole::kDocumentSigner).empty());
  CHECK(tl.FindByKid(Bytes(7, 0), SignerRole::kDocumentSigner).empty());
  CHECK(tl.FindByCertificate(pki.tl_cert.der(), SignerRole::kDocumentSigner) == nullptr);
  const TrustAnchors& anchors = tl;  // the interface mdoc and the verifier consume
  CHECK(anchors.FindByKid(pki.agency("paci").ds_cert.kid(), SignerRole::kDocumentSigner).size() == 1);
}

TEST_CASE("MayIssue limits each document signer to its agency's doc types", "[keys][trust-list]") {
  auto pki = test::MustMakeTestPki();
  const auto* civil = pki.trust_list->FindByCertificate(pki.agency("paci").ds_cert.der(), SignerRole::kDocumentSigner);
  const auto* traffic =
      pki.trust_list->FindByCertificate(pki.agency("moi-traffic").ds_cert.der(), SignerRole::kDocumentSigner);
  REQUIRE(civil);
  REQUIRE(traffic);
  CHECK(civil->MayIssue("kw.gov.paci.civil_id.1"));
  CHECK_FALSE(civil->MayIssue("org.iso.18013.5.1.mDL"));
  CHECK(traffic->MayIssue("org.iso.18013.5.1.mDL"));
  CHECK_FALSE(traffic->MayIssue("kw.gov.paci.civil_id.1"));
  CHECK_FALSE(traffic->MayIssue(""));
  CHECK_FALSE(traffic->MayIssue("org.iso.18013.5.1.mDL.extra"));
  const auto* status =
      pki.trust_list->FindByCertificate(pki.agency("paci").status_cert.der(), SignerRole::kStatusListSigner);
  REQUIRE(status);
  CHECK_FALSE(status->MayIssue("kw.gov.paci.civil_id.1"));  // a status-list signer issues nothing
}

TEST_CASE("trust list loading rejects each attack with its own reason", "[keys][trust-list][negative]") {
  test::PkiOptions opts;
  opts.sequence = 7;
  auto pki = test::MustMakeTestPki(opts);
  TrustListPolicy policy = pki.Policy();

  SECTION("rollback to a lower sequence") {
    policy.min_sequence = 8;
    CHECK(Code(TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy)) == TrustListErrc::kRollback);
    policy.min_sequence = 7;  // the same list again is fine
    auto same = TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy);
    REQUIRE(same);
    // ... but not another list under the same sequence number (equivocation), once the hash is held.
    policy.held_payload_sha256 = (*same)->payload_sha256();
    CHECK(TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy));
    TrustListContent other = pki.content;
    other.agencies.pop_back();
    auto forked = pki.Sign(other);
    REQUIRE(forked);
    CHECK(Code(TrustList::Load(*forked, pki.root_cert, policy)) == TrustListErrc::kRollback);
  }
  SECTION("stale beyond the policy's allowance") {
    policy.now = pki.content.next_update + 3600;
    CHECK(Code(TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy)) == TrustListErrc::kStale);
    policy.max_staleness = 7200;
    CHECK(TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy));
  }
  SECTION("issued in the future") {
    policy.now = pki.content.issued_at - 3600;
    CHECK(Code(TrustList::Load(pki.trust_list_bytes, pki.root_cert, policy)) == TrustListErrc::kNotYetValid);
  }
  SECTION("signed by a document signer, not the trust-list signer") {
    const auto& a = pki.agency("paci");
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    Bytes forged = SignRaw(a.ds_key, a.ds_cert, *payload);
    auto r = TrustList::Load(forged, pki.root_cert, policy);
    CHECK(Code(r) == TrustListErrc::kNotTrustListSigner);
    CHECK(r.error().cause == "cert_wrong_key_usage");
    // SignTrustList itself refuses to sign with a certificate that is not a trust-list signer.
    CHECK(SignTrustList(pki.content, a.ds_key, a.ds_cert).error().code == Errc::kInvalidArgument);
  }
  SECTION("signed by another key while naming the real trust-list signer") {
    auto rogue = KeyHandle::GenerateSoftware(Alg::kES256);
    REQUIRE(rogue);
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    Bytes forged = SignRaw(*rogue, pki.tl_cert, *payload);
    CHECK(Code(TrustList::Load(forged, pki.root_cert, policy)) == TrustListErrc::kBadSignature);
    CHECK(SignTrustList(pki.content, *rogue, pki.tl_cert).error().code == Errc::kInvalidArgument);
  }
  SECTION("algorithm mismatch: an EdDSA header over the P-256 trust-list certificate") {
    auto ed = KeyHandle::GenerateSoftware(Alg::kEdDSA);
    REQUIRE(ed);
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    Bytes forged = SignRaw(*ed, pki.tl_cert, *payload);
    CHECK(Code(TrustList::Load(forged, pki.root_cert, policy)) == TrustListErrc::kBadSignature);
  }
  SECTION("tampered payload or signature") {
    auto msg = cose::ParseSign1(pki.trust_list_bytes);
    REQUIRE(msg);
    cose::Sign1 m = *msg;
    m.signature[5] ^= 1;
    Bytes bad_sig = cbor::Encode(m.ToValue(true));
    CHECK(Code(TrustList::Load(bad_sig, pki.root_cert, policy)) == TrustListErrc::kBadSignature);
    // Raise the sequence number inside the signed payload.
    m = *msg;
    auto content = DecodeTrustListPayload(*m.payload);
    REQUIRE(content);
    content->sequence = 1000;
    m.payload = *EncodeTrustListPayload(*content);
    Bytes bad_payload = cbor::Encode(m.ToValue(true));
    CHECK(Code(TrustList::Load(bad_payload, pki.root_cert, policy)) == TrustListErrc::kBadSignature);
  }
  SECTION("a trust-list signer under another root with the same name") {
    auto impostor = test::MustMakeTestPki();  // same DNs, different keys
    REQUIRE(impostor.root_cert.subject_der() == pki.root_cert.subject_der());
    auto r = TrustList::Load(impostor.trust_list_bytes, pki.root_cert, policy);
    CHECK(Code(r) == TrustListErrc::kUntrustedChain);
    CHECK(r.error().cause == "cert_unknown_root");
  }
  SECTION("an expired trust-list signer certificate") {
    auto key = KeyHandle::GenerateSoftware(Alg::kES256);
    REQUIRE(key);
    auto cert = pki.Issue(CertRole::kTrustListSigner, key->cached_public_key(), "Old TL signer", pki.now - 400 * kDay,
                          pki.now - kDay);
    REQUIRE(cert);
    auto signed_tl = SignTrustList(pki.content, *key, *cert);
    REQUIRE(signed_tl);
    auto r = TrustList::Load(*signed_tl, pki.root_cert, policy);
    CHECK(Code(r) == TrustListErrc::kUntrustedChain);
    CHECK(r.error().cause == "cert_expired");
  }
  SECTION("kid not matching the certificate in x5chain") {
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    Bytes forged = SignRaw(pki.tl_key, pki.tl_cert, *payload, Bytes(8, 0xaa));
    CHECK(Code(TrustList::Load(forged, pki.root_cert, policy)) == TrustListErrc::kMalformed);
  }
  SECTION("an agency certificate from another root spoils the whole list") {
    auto other = test::MustMakeTestPki();
    TrustListContent c = pki.content;
    c.agencies[0].document_signer_certs.push_back(other.agency("paci").ds_cert.der());
    auto signed_tl = pki.Sign(c);
    REQUIRE(signed_tl);
    auto r = TrustList::Load(*signed_tl, pki.root_cert, policy);
    CHECK(Code(r) == TrustListErrc::kBadAgencyCertificate);
    CHECK(r.error().cause == "cert_unknown_root");
  }
  SECTION("a status-list certificate listed as a document signer") {
    TrustListContent c = pki.content;
    c.agencies[0].document_signer_certs.push_back(c.agencies[1].status_list_signer_certs[0]);
    c.agencies[1].status_list_signer_certs.clear();
    auto signed_tl = pki.Sign(c);
    REQUIRE(signed_tl);
    auto r = TrustList::Load(*signed_tl, pki.root_cert, policy);
    CHECK(Code(r) == TrustListErrc::kBadAgencyCertificate);
    CHECK(r.error().cause == "cert_wrong_key_usage");
  }
  SECTION("one public key certified twice, in one agency or across agencies") {
    // kid and x5chain are unprotected: with two certificates for one key, whoever holds a signature could
    // choose which certificate (agency, doc types, validity) it is judged under.
    const auto& paci = pki.agency("paci");
    auto again = pki.Issue(CertRole::kDocumentSigner, paci.ds_key.cached_public_key(), "PACI DS, second certificate",
                           pki.now - kDay, pki.now + 365 * kDay);
    REQUIRE(again);
    REQUIRE(again->der() != paci.ds_cert.der());
    size_t paci_i = 0, other_i = 1;
    if (pki.content.agencies[0].id != "paci") std::swap(paci_i, other_i);
    for (size_t target : {paci_i, other_i}) {
      INFO("second certificate listed under agency #" << target);
      TrustListContent c = pki.content;
      c.agencies[target].document_signer_certs.push_back(again->der());
      auto signed_tl = pki.Sign(c);
      REQUIRE_FALSE(signed_tl);
      CHECK(signed_tl.error().code == Errc::kMalformed);
      CHECK_THAT(signed_tl.error().message, Catch::Contains("already certified"));

      // A list signed by a signer that skipped the check is refused on load.
      auto payload = EncodeTrustListPayload(pki.content);
      REQUIRE(payload);
      auto v = cbor::Decode(*payload);
      REQUIRE(v);
      bool added = false;
      for (auto& [k, val] : v->map()) {
        if (!k.is_text() || k.text() != "agencies") continue;
        for (auto& [ak, av] : val.array()[target].map()) {
          if (ak.is_text() && ak.text() == "document_signers") {
            av.array().push_back(cbor::Value::Bytes(again->der()));
            added = true;
          }
        }
      }
      REQUIRE(added);
      Bytes forged = SignRaw(pki.tl_key, pki.tl_cert, cbor::Encode(*v));
      auto r = TrustList::Load(forged, pki.root_cert, policy);
      CHECK(Code(r) == TrustListErrc::kMalformed);
      CHECK_THAT(r.error().message, Catch::Contains("already certified"));
    }
    // The same key as a document signer in one agency and a status-list signer in another is refused too.
    auto as_status = pki.Issue(CertRole::kStatusListSigner, paci.ds_key.cached_public_key(), "reused key",
                               pki.now - kDay, pki.now + 365 * kDay);
    REQUIRE(as_status);
    TrustListContent c = pki.content;
    c.agencies[other_i].status_list_signer_certs.push_back(as_status->der());
    CHECK(pki.Sign(c).error().code == Errc::kMalformed);
  }
  SECTION("malformed content is refused before signing and on load") {
    TrustListContent dup = pki.content;
    dup.agencies.push_back(dup.agencies[0]);
    CHECK(pki.Sign(dup).error().code == Errc::kMalformed);
    TrustListContent times = pki.content;
    times.next_update = times.issued_at;
    CHECK(pki.Sign(times).error().code == Errc::kMalformed);
    TrustListContent vkey = pki.content;
    vkey.log.verifier_key.back() = vkey.log.verifier_key.back() == 'A' ? 'B' : 'A';
    CHECK_FALSE(pki.Sign(vkey));
    // An unknown key in the signed payload.
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    auto v = cbor::Decode(*payload);
    REQUIRE(v);
    v->Set("extra", cbor::Value::Uint(1));
    Bytes forged = SignRaw(pki.tl_key, pki.tl_cert, cbor::Encode(*v));
    CHECK(Code(TrustList::Load(forged, pki.root_cert, policy)) == TrustListErrc::kMalformed);
    CHECK(Code(TrustList::Load(Bytes{0xd2, 0x80}, pki.root_cert, policy)) == TrustListErrc::kMalformed);
  }
}

TEST_CASE("expired agency certificates stay listed and the verifier checks ValidAt", "[keys][trust-list]") {
  auto pki = test::MustMakeTestPki();
  auto key = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(key);
  auto old = pki.Issue(CertRole::kDocumentSigner, key->cached_public_key(), "Retired DS", pki.now - 800 * kDay,
                       pki.now - 400 * kDay);
  REQUIRE(old);
  TrustListContent c = pki.content;
  c.sequence = 2;
  c.agencies[0].document_signer_certs.push_back(old->der());
  auto bytes = pki.Sign(c);
  REQUIRE(bytes);
  auto tl = TrustList::Load(*bytes, pki.root_cert, pki.Policy());
  REQUIRE(tl);
  const TrustedSigner* s = (*tl)->FindByCertificate(old->der(), SignerRole::kDocumentSigner);
  REQUIRE(s);
  CHECK_FALSE(s->ValidAt(pki.now));
  CHECK(s->ValidAt(pki.now - 500 * kDay));
}
