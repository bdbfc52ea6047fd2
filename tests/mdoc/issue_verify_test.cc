// Issuance and verification of ISO 18013-5 credentials against a real (in-memory) national PKI.
#include <set>

#include "mdoc_test_util.h"

using namespace wathiq;
using namespace wathiq::test;

namespace {

mdoc::DocumentReport VerifyBytes(const TestPki& pki, const Bytes& issuer_signed, int64_t now) {
  auto parsed = mdoc::ParseIssuerSigned(issuer_signed);
  REQUIRE(parsed);
  return mdoc::DocumentVerifier(*pki.trust_list).VerifyIssuerSigned(*parsed, {.now = now});
}

std::string Reasons(const mdoc::DocumentReport& r) {
  std::string s;
  for (const auto& f : r.failures) s += std::string(mdoc::ReasonCode(f.reason)) + " (" + f.detail + ") ";
  return s;
}

// Re-encodes an IssuerSigned after editing its parsed form (signed bytes stay as they are).
Bytes Reencode(const mdoc::ParsedIssuerSigned& is) { return cbor::Encode(mdoc::IssuerSignedToValue(is, nullptr, false)); }

}  // namespace

TEST_CASE("an issued civil ID verifies, bilingual values intact", "[mdoc]") {
  auto pki = MustMakeTestPki();
  auto cred = IssueCivilId(pki);
  auto r = VerifyBytes(pki, cred.issuer_signed, pki.now);
  INFO(Reasons(r));
  REQUIRE(r.ok());
  const auto& doc = *r.document;
  CHECK(doc.doc_type() == kCivilIdDocType);
  CHECK(doc.agency_id() == "paci");
  CHECK(doc.agency_name_ar() == pki.agency("paci").name_ar);
  CHECK(doc.elements().size() == 12);
  CHECK(doc.Find("full_name_ar")->value == CivilIdElements()[2].value);
  CHECK(doc.Find("birth_date")->value == FullDate("1990-01-01"));
  REQUIRE(doc.status());
  CHECK(doc.status()->idx == 7);
  CHECK(doc.device_key() == *cred.device_key->public_key());

  // Salts are fresh 16-byte values, digestIDs a permutation of 0..11.
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  std::set<uint64_t> ids;
  std::set<Bytes> salts;
  for (const auto& it : parsed->name_spaces.front().items) {
    ids.insert(it.digest_id);
    salts.insert(it.random);
    CHECK(it.random.size() == 16);
  }
  CHECK(ids.size() == 12);
  CHECK(*ids.rbegin() == 11);
  CHECK(salts.size() == 12);
  // issuerAuth: alg and kid protected, the certificate unprotected.
  const auto& auth = parsed->issuer_auth;
  CHECK(auth.protected_map.Find(cose::kHdrAlg)->AsInt() == -7);
  CHECK(*auth.kid() == pki.agency("paci").ds_cert.kid());
  CHECK(auth.unprotected.Find(cose::kHdrX5Chain)->bytes() == pki.agency("paci").ds_cert.der());
  // Everything we write is core deterministic CBOR.
  CHECK(cbor::Decode(cred.issuer_signed).has_value());
}

// Issuance writes its encodings directly rather than through cbor::Value: decoding strictly and
// re-encoding must give the same bytes, and every digest must be SHA-256 over its tag-24 item.
TEST_CASE("issued MSO and items are deterministic CBOR, with and without a status reference", "[mdoc]") {
  auto pki = MustMakeTestPki();
  for (bool with_status : {true, false}) {
    for (size_t count : {size_t{1}, size_t{12}, size_t{30}}) {
      INFO("status " << with_status << ", elements " << count);
      auto cred = IssueCivilId(pki, [&](mdoc::IssueRequest& r) {
        if (!with_status) r.status.reset();
        auto base = r.elements;
        r.elements.clear();
        for (size_t i = 0; i < count; ++i) {  // more than 23 elements: two-byte digestIDs and map heads
          auto e = base[i % base.size()];
          if (i >= base.size()) e.id += "_" + std::to_string(i);
          r.elements.push_back(e);
        }
      });
      auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
      REQUIRE(parsed);
      const Bytes& payload = *parsed->issuer_auth.payload;
      auto wrapped = cbor::Decode(payload);
      REQUIRE(wrapped);
      REQUIRE(wrapped->is_tag());
      Bytes mso_bytes = wrapped->tagged().bytes();
      auto mso = cbor::Decode(mso_bytes);
      REQUIRE(mso);
      CHECK(cbor::Encode(*mso) == mso_bytes);
      CHECK(mso->Find("version")->text() == "1.0");
      CHECK(mso->Find("digestAlgorithm")->text() == "SHA-256");
      CHECK(mso->Find("docType")->text() == kCivilIdDocType);
      CHECK((mso->Find("status") != nullptr) == with_status);
      const auto* validity = mso->Find("validityInfo");
      REQUIRE(validity);
      CHECK(validity->Find("validFrom")->tagged().text() == mdoc::FormatTdate(pki.now - 3600));
      const auto* digests = mso->Find("valueDigests")->Find(kCivilIdDocType);
      REQUIRE(digests);
      CHECK(digests->map().size() == count);
      for (const auto& it : parsed->name_spaces.front().items) {
        CHECK(cbor::Encode(*cbor::Decode(it.item_bytes)) == it.item_bytes);
        const auto* d = digests->Find(cbor::Value::Uint(it.digest_id));
        REQUIRE(d);
        CHECK(d->bytes() == Sha256(cbor::WrapEncodedCbor(it.item_bytes)));
      }
      auto r = VerifyBytes(pki, cred.issuer_signed, pki.now);
      INFO(Reasons(r));
      CHECK(r.ok());
    }
  }
}

TEST_CASE("issuance refuses validity times outside four-digit years", "[mdoc][negative]") {
  auto pki = MustMakeTestPki();
  const auto& paci = pki.agency("paci");
  auto issuer = mdoc::DocumentSigner::Create(paci.ds_key, paci.ds_cert.der());
  REQUIRE(issuer);
  auto dk = GenerateSoftwareSigner(Alg::kES256);
  auto req = CivilIdRequest(pki, *(*dk)->public_key());
  req.validity.valid_until = 253402300800;  // 10000-01-01T00:00:00Z
  auto r = issuer->Issue(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("1970..9999") != std::string::npos);
  req.validity = {-1, -1, pki.now};
  CHECK_FALSE(issuer->Issue(req));
  req.validity = {pki.now, pki.now, 253402300799};
  CHECK(issuer->Issue(req));
}

TEST_CASE("the verifier finds the signer by kid when x5chain is dropped", "[mdoc]") {
  auto pki = MustMakeTestPki();
  auto cred = IssueCivilId(pki);
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  Bytes without = cbor::Encode(mdoc::IssuerSignedToValue(*parsed, nullptr, true));
  CHECK(without.size() < cred.issuer_signed.size() - 300);
  CHECK(VerifyBytes(pki, without, pki.now).ok());
}

TEST_CASE("must-reject: items swapped, altered or moved - docType mismatch - validity - authorization",
          "[mdoc][negative]") {
  auto pki = MustMakeTestPki();
  auto a = IssueCivilId(pki);
  auto b = IssueCivilId(pki);
  auto pa = mdoc::ParseIssuerSigned(a.issuer_signed);
  auto pb = mdoc::ParseIssuerSigned(b.issuer_signed);
  REQUIRE(pa);
  REQUIRE(pb);

  SECTION("an item swapped in from another credential") {
    auto edited = *pa;
    auto& item = edited.name_spaces[0].items[0];
    for (const auto& other : pb->name_spaces[0].items) {
      if (other.element_id == item.element_id) item = other;
    }
    auto r = VerifyBytes(pki, Reencode(edited), pki.now);
    CHECK(r.Has(mdoc::Reason::kBadDigest));
    CHECK_FALSE(r.ok());
  }
  SECTION("an altered value") {
    auto edited = *pa;
    for (auto& item : edited.name_spaces[0].items) {
      if (item.element_id == "full_name_en") {
        auto pos = std::search(item.item_bytes.begin(), item.item_bytes.end(), std::begin("Mohammad"), std::end("Mohammad") - 1);
        REQUIRE(pos != item.item_bytes.end());
        *pos = 'N';
      }
    }
    auto r = VerifyBytes(pki, Reencode(edited), pki.now);
    CHECK(r.Has(mdoc::Reason::kBadDigest));
  }
  SECTION("an item presented under another namespace") {
    auto edited = *pa;
    mdoc::ParsedNameSpace moved{"org.iso.18013.5.1", {edited.name_spaces[0].items.back()}};
    edited.name_spaces[0].items.pop_back();
    edited.name_spaces.push_back(moved);
    auto r = VerifyBytes(pki, Reencode(edited), pki.now);
    CHECK(r.Has(mdoc::Reason::kBadDigest));
  }
  SECTION("MSO docType differs from the Document's") {
    auto dk = std::move(a.device_key);
    mdoc::PresentedDocument doc{&*pa, "org.iso.18013.5.1.mDL", {"full_name_en"}, dk.get()};
    Bytes transcript = cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Null()}));
    auto resp = mdoc::BuildDeviceResponse({doc}, transcript);
    REQUIRE(resp);
    auto docs = mdoc::ParseDeviceResponse(*resp);
    REQUIRE(docs);
    auto r = mdoc::DocumentVerifier(*pki.trust_list).VerifyDocument(docs->front(), {transcript, std::nullopt}, {.now = pki.now});
    CHECK(r.Has(mdoc::Reason::kMalformed));
    CHECK_FALSE(r.ok());
  }
  SECTION("expired and not yet valid") {
    CHECK(VerifyBytes(pki, a.issuer_signed, pki.now + 366 * kDay).Has(mdoc::Reason::kExpired));
    CHECK(VerifyBytes(pki, a.issuer_signed, pki.now - 7200).Has(mdoc::Reason::kNotYetValid));
  }
}

TEST_CASE("must-reject: signer not authorized, certificate expired at signing, unknown signer", "[mdoc][negative]") {
  auto pki = MustMakeTestPki();
  SECTION("the civil registry signs a driving licence") {
    auto cred = IssueCivilId(pki, [](mdoc::IssueRequest& r) {
      r.doc_type = "org.iso.18013.5.1.mDL";
      r.name_space = "org.iso.18013.5.1";
    });
    auto r = VerifyBytes(pki, cred.issuer_signed, pki.now);
    CHECK(r.Has(mdoc::Reason::kSignerNotAuthorized));
    CHECK_FALSE(r.Has(mdoc::Reason::kBadIssuerSignature));
  }
  SECTION("signed after the document-signer certificate expired") {
    const auto& cert = pki.agency("paci").ds_cert;
    auto cred = IssueCivilId(pki, [&](mdoc::IssueRequest& r) {
      r.validity.signed_at = cert.not_after() + 10;
      r.validity.valid_until = cert.not_after() + 400 * kDay;
    });
    auto r = VerifyBytes(pki, cred.issuer_signed, pki.now);
    CHECK(r.Has(mdoc::Reason::kCertificateInvalid));
  }
  SECTION("verified after the document-signer certificate expired") {
    auto cred = IssueCivilId(pki, [&](mdoc::IssueRequest& r) { r.validity.valid_until = pki.now + 800 * kDay; });
    auto r = VerifyBytes(pki, cred.issuer_signed, pki.agency("paci").ds_cert.not_after() + 1);
    CHECK(r.Has(mdoc::Reason::kCertificateInvalid));
  }
  SECTION("a credential from a root we do not trust, with the same names") {
    auto other = MustMakeTestPki();
    auto cred = IssueCivilId(other);
    auto r = VerifyBytes(pki, cred.issuer_signed, pki.now);
    CHECK(r.Has(mdoc::Reason::kUnknownSigner));
    // With x5chain dropped, kid lookup finds nothing either.
    auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
    REQUIRE(parsed);
    CHECK(VerifyBytes(pki, cbor::Encode(mdoc::IssuerSignedToValue(*parsed, nullptr, true)), pki.now)
              .Has(mdoc::Reason::kUnknownSigner));
  }
  SECTION("a forged signature under a trusted kid") {
    auto cred = IssueCivilId(pki);
    auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
    REQUIRE(parsed);
    parsed->issuer_auth.signature[10] ^= 1;
    auto r = VerifyBytes(pki, Reencode(*parsed), pki.now);
    CHECK(r.Has(mdoc::Reason::kBadIssuerSignature));
    CHECK(r.failures.size() == 1);  // nothing in an untrusted MSO is reported
  }
  SECTION("an issuer refuses a certificate that is not its own") {
    const auto& paci = pki.agency("paci");
    CHECK_FALSE(mdoc::DocumentSigner::Create(paci.ds_key, pki.agency("moi-traffic").ds_cert.der()).has_value());
  }
}

TEST_CASE("DeviceResponse with a device signature verifies - a wrong transcript or key does not", "[mdoc]") {
  auto pki = MustMakeTestPki();
  auto cred = IssueCivilId(pki);
  auto parsed = mdoc::ParseIssuerSigned(cred.issuer_signed);
  REQUIRE(parsed);
  Bytes transcript = cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Text("t")}));
  mdoc::PresentedDocument doc{&*parsed, kCivilIdDocType, {"full_name_ar", "birth_date"}, cred.device_key.get()};
  auto resp = mdoc::BuildDeviceResponse({doc}, transcript);
  REQUIRE(resp);
  auto docs = mdoc::ParseDeviceResponse(*resp);
  REQUIRE(docs);
  mdoc::DocumentVerifier v(*pki.trust_list);
  auto ok = v.VerifyDocument(docs->front(), {transcript, std::nullopt}, {.now = pki.now});
  INFO(Reasons(ok));
  REQUIRE(ok.ok());
  CHECK(ok.document->elements().size() == 2);
  CHECK(ok.document->device_authenticated());

  Bytes other = cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Text("u")}));
  CHECK(v.VerifyDocument(docs->front(), {other, std::nullopt}, {.now = pki.now}).Has(mdoc::Reason::kBadDeviceSignature));

  auto stranger = GenerateSoftwareSigner(Alg::kES256);
  mdoc::PresentedDocument stolen{&*parsed, kCivilIdDocType, {"full_name_ar"}, stranger->get()};
  auto resp2 = mdoc::BuildDeviceResponse({stolen}, transcript);
  auto docs2 = mdoc::ParseDeviceResponse(*resp2);
  REQUIRE(docs2);
  CHECK(v.VerifyDocument(docs2->front(), {transcript, std::nullopt}, {.now = pki.now}).Has(mdoc::Reason::kBadDeviceSignature));
  // Asking to disclose an element the credential lacks is refused up front.
  mdoc::PresentedDocument missing{&*parsed, kCivilIdDocType, {"portrait"}, cred.device_key.get()};
  CHECK(mdoc::BuildDeviceResponse({missing}, transcript).error().code == Errc::kNotFound);
}

TEST_CASE("tdate formatting and parsing", "[mdoc]") {
  CHECK(mdoc::FormatTdate(0) == "1970-01-01T00:00:00Z");
  CHECK(mdoc::FormatTdate(1601559002) == "2020-10-01T13:30:02Z");
  CHECK(mdoc::FormatTdate(951782400) == "2000-02-29T00:00:00Z");
  CHECK(mdoc::FormatTdate(253402300799) == "9999-12-31T23:59:59Z");
  CHECK(mdoc::FormatTdate(-1) == "1969-12-31T23:59:59Z");
  for (int64_t t = 0; t < 253402300799; t += 49999991) {  // digit by digit, checked against the parser
    INFO(t);
    CHECK(mdoc::ParseTdate(mdoc::FormatTdate(t)) == t);
  }
  CHECK(mdoc::ParseTdate("2020-10-01T13:30:02Z") == 1601559002);
  CHECK(mdoc::ParseTdate("2020-10-01T16:30:02.123+03:00") == 1601559002);
  CHECK(mdoc::ParseTdate("2024-02-29T00:00:00Z").has_value());
  CHECK_FALSE(mdoc::ParseTdate("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(mdoc::ParseTdate("2020-10-01T13:30:02").has_value());
  CHECK_FALSE(mdoc::ParseTdate("2020-10-01 13:30:02Z").has_value());
  CHECK_FALSE(mdoc::ParseTdate("2020-10-01T13:30:02Zjunk").has_value());
}
