#include "wathiq/keys/x509.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <catch2/catch.hpp>

#include "support/pki_fixture.h"
#include "wathiq/keys/trust.h"

using namespace wathiq;
using namespace wathiq::keys;
using test::kDay;
using test::kPkiNow;

namespace {

struct Root {
  KeyHandle key;
  Certificate cert;
};

Root MakeRoot(const std::string& cn, Alg alg = Alg::kES256, int64_t nb = kPkiNow - kDay,
              int64_t na = kPkiNow + 3650 * kDay) {
  Root r;
  auto k = KeyHandle::GenerateSoftware(alg);
  REQUIRE(k);
  r.key = *k;
  CertificateRequest req;
  req.role = CertRole::kRoot;
  req.subject = {"KW", "", "Wathiq", "", cn};
  req.subject_key = r.key.cached_public_key();
  req.not_before = nb;
  req.not_after = na;
  req.issuer_alt_name_uri = "https://pki.wathiq.example";
  req.crl_distribution_uri = "https://pki.wathiq.example/root.crl";
  auto c = CreateRootCertificate(r.key, req);
  REQUIRE(c);
  r.cert = *c;
  return r;
}

Certificate Issue(const Root& root, CertRole role, const PublicKey& key, int64_t nb = kPkiNow - kDay,
                  int64_t na = kPkiNow + 365 * kDay, const std::string& cn = "Agency DS") {
  CertificateRequest req;
  req.role = role;
  req.subject = {"KW", "Capital", "Agency", "", cn};
  req.subject_key = key;
  req.not_before = nb;
  req.not_after = na;
  req.issuer_alt_name_uri = "https://pki.wathiq.example";
  auto c = IssueCertificate(root.key, root.cert, req);
  REQUIRE(c);
  return *c;
}

PublicKey NewKey(Alg alg = Alg::kES256) {
  auto k = KeyHandle::GenerateSoftware(alg);
  REQUIRE(k);
  return k->cached_public_key();
}

// The certificate code behind a refusal, read back from its stable reason ("cert_expired").
CertErrc Code(const Status& st) {
  REQUIRE_FALSE(st);
  INFO(st.error().ToString());
  auto code = CertErrcOf(st.error());
  REQUIRE(code);
  CHECK(st.error().reason == "cert_" + std::string(CertErrcName(*code)));
  return *code;
}

}  // namespace

TEST_CASE("the root follows the ISO 18013-5 IACA profile", "[keys][x509]") {
  Root r = MakeRoot("Wathiq National Root");
  const Certificate& c = r.cert;
  CHECK(c.self_issued());
  CHECK(c.is_ca());
  CHECK(c.path_len() == 0);
  CHECK(c.key_usage() == (kKuKeyCertSign | kKuCrlSign));
  CHECK(c.extended_key_usages().empty());
  CHECK(c.subject_key_id().size() == 20);
  CHECK(c.subject() == "CN=Wathiq National Root,O=Wathiq,C=KW");
  CHECK(c.issuer_alt_name() == "https://pki.wathiq.example");
  CHECK(c.signature_alg() == Alg::kES256);
  CHECK(c.public_key() == r.key.cached_public_key());
  CHECK(c.role() == CertRole::kRoot);
  CHECK(c.serial_hex().size() == 32);  // 16 random bytes, positive
  CHECK(c.not_before() == kPkiNow - kDay);
  CHECK(CheckProfile(c, CertRole::kRoot));
  CHECK(ValidateCertificate(c, CertRole::kRoot, c, kPkiNow));
  CHECK(c.kid() == KidForCertificate(c.der()));

  SECTION("a root without a country is refused") {
    CertificateRequest req;
    req.role = CertRole::kRoot;
    req.subject.common_name = "No Country";
    req.subject_key = r.key.cached_public_key();
    req.not_before = kPkiNow;
    req.not_after = kPkiNow + kDay;
    CHECK(CreateRootCertificate(r.key, req).error().code == Errc::kInvalidArgument);
  }
  SECTION("PEM and DER round-trip") {
    auto pem = Certificate::FromBytes(AsBytes(c.ToPem()));
    REQUIRE(pem);
    CHECK(pem->der() == c.der());
    auto der = Certificate::FromBytes(c.der());
    REQUIRE(der);
    CHECK(*der == c);
  }
  SECTION("an Ed25519 root issues and validates too") {
    Root ed = MakeRoot("Ed Root", Alg::kEdDSA);
    CHECK(ed.cert.signature_alg() == Alg::kEdDSA);
    Certificate ds = Issue(ed, CertRole::kDocumentSigner, NewKey());
    CHECK(ds.signature_alg() == Alg::kEdDSA);
    CHECK(ValidateCertificate(ds, CertRole::kDocumentSigner, ed.cert, kPkiNow));
  }
}

TEST_CASE("leaf certificates carry their role's profile and validate", "[keys][x509]") {
  Root r = MakeRoot("Wathiq National Root");
  Certificate tl = Issue(r, CertRole::kTrustListSigner, NewKey());
  Certificate ds = Issue(r, CertRole::kDocumentSigner, NewKey(Alg::kEdDSA), kPkiNow - kDay, kPkiNow + 365 * kDay,
                         "الهيئة العامة للمعلومات المدنية");
  Certificate st = Issue(r, CertRole::kStatusListSigner, NewKey());

  CHECK(tl.extended_key_usages() == std::vector<std::string>{std::string(kOidTrustListSigner)});
  CHECK(ds.extended_key_usages() == std::vector<std::string>{std::string(kOidMdlDocumentSigner)});
  CHECK(st.extended_key_usages() == std::vector<std::string>{std::string(kOidStatusListSigner)});
  for (const Certificate* c : {&tl, &ds, &st}) {
    CHECK_FALSE(c->is_ca());
    CHECK(c->key_usage() == kKuDigitalSignature);
    CHECK(c->authority_key_id() == r.cert.subject_key_id());
    CHECK(c->issuer_der() == r.cert.subject_der());
    CHECK_FALSE(c->self_issued());
  }
  CHECK(tl.role() == CertRole::kTrustListSigner);
  CHECK(ds.role() == CertRole::kDocumentSigner);
  CHECK(st.role() == CertRole::kStatusListSigner);
  // UTF-8 subject names survive exactly.
  CHECK(ds.subject() == "CN=الهيئة العامة للمعلومات المدنية,O=Agency,ST=Capital,C=KW");
  CHECK(ds.public_key().curve() == Curve::kEd25519);

  CHECK(ValidateCertificate(tl, CertRole::kTrustListSigner, r.cert, kPkiNow));
  CHECK(ValidateCertificate(ds, CertRole::kDocumentSigner, r.cert, kPkiNow));
  CHECK(ValidateCertificate(st, CertRole::kStatusListSigner, r.cert, kPkiNow));
  std::vector<Certificate> chain{tl, r.cert};
  CHECK(ValidateChain(chain, CertRole::kTrustListSigner, r.cert, kPkiNow));

  SECTION("OpenSSL's own verifier accepts the chain") {
    X509_STORE* store = X509_STORE_new();
    const unsigned char* p = r.cert.der().data();
    X509* root = d2i_X509(nullptr, &p, static_cast<long>(r.cert.der().size()));
    p = ds.der().data();
    X509* leaf = d2i_X509(nullptr, &p, static_cast<long>(ds.der().size()));
    REQUIRE(root);
    REQUIRE(leaf);
    X509_STORE_add_cert(store, root);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, nullptr);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), static_cast<time_t>(kPkiNow));
    int ok = X509_verify_cert(ctx);
    INFO(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    CHECK(ok == 1);
    X509_STORE_CTX_free(ctx);
    X509_free(leaf);
    X509_free(root);
    X509_STORE_free(store);
  }
}

TEST_CASE("certificate validation names the exact reason", "[keys][x509][negative]") {
  Root r = MakeRoot("Wathiq National Root");
  PublicKey k = NewKey();

  SECTION("expired") {
    Certificate c = Issue(r, CertRole::kDocumentSigner, k, kPkiNow - 400 * kDay, kPkiNow - kDay);
    CHECK(Code(ValidateCertificate(c, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kExpired);
    // Without a time the chain itself is sound (the trust list keeps it; the verifier checks validity).
    CHECK(ValidateCertificate(c, CertRole::kDocumentSigner, r.cert, std::nullopt));
  }
  SECTION("not yet valid") {
    Certificate c = Issue(r, CertRole::kDocumentSigner, k, kPkiNow + kDay, kPkiNow + 30 * kDay);
    CHECK(Code(ValidateCertificate(c, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kNotYetValid);
  }
  SECTION("expired root") {
    Root old = MakeRoot("Old Root", Alg::kES256, kPkiNow - 3000 * kDay, kPkiNow - 10);
    Certificate c = Issue(old, CertRole::kDocumentSigner, k, kPkiNow - 3000 * kDay, kPkiNow + kDay);
    auto st = ValidateCertificate(c, CertRole::kDocumentSigner, old.cert, kPkiNow);
    CHECK(Code(st) == CertErrc::kExpired);
    CHECK_THAT(st.error().message, Catch::Contains("pinned root"));
  }
  SECTION("wrong key usage: each role refuses the others' certificates") {
    Certificate ds = Issue(r, CertRole::kDocumentSigner, k);
    Certificate tl = Issue(r, CertRole::kTrustListSigner, NewKey());
    Certificate st = Issue(r, CertRole::kStatusListSigner, NewKey());
    CHECK(Code(ValidateCertificate(ds, CertRole::kTrustListSigner, r.cert, kPkiNow)) == CertErrc::kWrongKeyUsage);
    CHECK(Code(ValidateCertificate(ds, CertRole::kStatusListSigner, r.cert, kPkiNow)) == CertErrc::kWrongKeyUsage);
    CHECK(Code(ValidateCertificate(tl, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kWrongKeyUsage);
    CHECK(Code(ValidateCertificate(st, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kWrongKeyUsage);
    // The root itself is not a document signer, and a leaf cannot act as a root.
    CHECK(Code(ValidateCertificate(r.cert, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kUnknownRoot);
    CHECK(Code(ValidateCertificate(ds, CertRole::kDocumentSigner, ds, kPkiNow)) == CertErrc::kWrongKeyUsage);
  }
  SECTION("a certificate under another root with the same subject name is rejected") {
    Root impostor = MakeRoot("Wathiq National Root");  // same DN, different key
    REQUIRE(impostor.cert.subject_der() == r.cert.subject_der());
    Certificate c = Issue(impostor, CertRole::kDocumentSigner, k);
    CHECK(c.issuer_der() == r.cert.subject_der());
    auto st = ValidateCertificate(c, CertRole::kDocumentSigner, r.cert, kPkiNow);
    CHECK(Code(st) == CertErrc::kUnknownRoot);
    // Even when the impostor's AKI is ignored, the signature cannot match: strip the AKI check by
    // validating against the impostor root's DN with the real root's key via a chain including the real root.
    std::vector<Certificate> chain{c, impostor.cert};
    CHECK(Code(ValidateChain(chain, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kUnknownRoot);
  }
  SECTION("bad signature: a tampered certificate") {
    Certificate c = Issue(r, CertRole::kDocumentSigner, k);
    Bytes der = c.der();
    // Flip a byte of the subject CN inside the TBS ("Agency DS" → "Agency ES").
    std::string_view needle = "Agency DS";
    auto it = std::search(der.begin(), der.end(), needle.begin(), needle.end());
    REQUIRE(it != der.end());
    it[7] = 'E';
    auto tampered = Certificate::FromDer(der);
    REQUIRE(tampered);
    CHECK(Code(ValidateCertificate(*tampered, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kBadSignature);
    // And a flipped bit in the signature value itself.
    Bytes der2 = c.der();
    der2[der2.size() - 5] ^= 0x01;
    auto tampered2 = Certificate::FromDer(der2);
    REQUIRE(tampered2);
    CHECK(Code(ValidateCertificate(*tampered2, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kBadSignature);
  }
  SECTION("wrong issuer") {
    Root other = MakeRoot("Some Other Root");
    Certificate c = Issue(other, CertRole::kDocumentSigner, k);
    CHECK(Code(ValidateCertificate(c, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kWrongIssuer);
  }
  SECTION("unknown root: a self-signed look-alike or a chain ending elsewhere") {
    Root lookalike = MakeRoot("Wathiq National Root");
    CHECK(Code(ValidateCertificate(lookalike.cert, CertRole::kRoot, r.cert, kPkiNow)) == CertErrc::kUnknownRoot);
    Certificate c = Issue(r, CertRole::kDocumentSigner, k);
    std::vector<Certificate> chain{c, lookalike.cert};
    CHECK(Code(ValidateChain(chain, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kUnknownRoot);
    std::vector<Certificate> longer{c, r.cert, r.cert};
    CHECK(Code(ValidateChain(longer, CertRole::kDocumentSigner, r.cert, kPkiNow)) == CertErrc::kUnsupported);
  }
}

TEST_CASE("issuance refuses the wrong key and bad requests", "[keys][x509][negative]") {
  Root r = MakeRoot("Root");
  auto other = KeyHandle::GenerateSoftware(Alg::kES256);
  REQUIRE(other);
  CertificateRequest req;
  req.role = CertRole::kDocumentSigner;
  req.subject = {"KW", "", "", "", "DS"};
  req.subject_key = NewKey();
  req.not_before = kPkiNow;
  req.not_after = kPkiNow + kDay;

  auto wrong = IssueCertificate(*other, r.cert, req);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::kInvalidArgument);
  CHECK_THAT(wrong.error().message, Catch::Contains("not the issuer certificate's key"));

  Certificate ds = Issue(r, CertRole::kDocumentSigner, NewKey());
  CHECK(IssueCertificate(r.key, ds, req).error().code == Errc::kInvalidArgument);  // a leaf is no CA

  CertificateRequest bad = req;
  bad.not_after = bad.not_before;
  CHECK(IssueCertificate(r.key, r.cert, bad).error().code == Errc::kInvalidArgument);
  bad = req;
  bad.role = CertRole::kRoot;
  CHECK(IssueCertificate(r.key, r.cert, bad).error().code == Errc::kInvalidArgument);
  bad = req;
  bad.issuer_alt_name_uri = "https://a,b";
  CHECK(IssueCertificate(r.key, r.cert, bad).error().code == Errc::kInvalidArgument);
  bad = req;
  bad.subject.country = "KWT";
  CHECK(IssueCertificate(r.key, r.cert, bad).error().code == Errc::kInvalidArgument);
}

TEST_CASE("certificate parsing refuses garbage", "[keys][x509][negative]") {
  CHECK(Certificate::FromDer(Bytes{}).error().code == Errc::kMalformed);
  CHECK(Certificate::FromDer(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}).error().code == Errc::kMalformed);
  Root r = MakeRoot("Root");
  Bytes trailing = r.cert.der();
  trailing.push_back(0);
  CHECK(Certificate::FromDer(trailing).error().code == Errc::kMalformed);
  CHECK(Certificate::FromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").error().code ==
        Errc::kMalformed);
}
