// Status-URI prefixes in the trust list: the grammar, the path-segment boundary, overlap refused, and the
// lookups a verifier needs (agency for a URI, the agency's status-list signers).
#include "wathiq/keys/status_uri.h"

#include <catch2/catch.hpp>

#include "support/pki_fixture.h"
#include "wathiq/keys/trust_list.h"

using namespace wathiq;
using namespace wathiq::keys;

TEST_CASE("status URIs: one spelling, nothing else", "[keys][status-uri]") {
  for (const char* ok : {"https://status.paci.gov.kw", "https://status.paci.gov.kw/lists", "https://status.paci.gov.kw/lists/7",
                         "https://s-1.example:8443/a_b/C.d~e/9", "https://10.0.0.1/x"}) {
    INFO(ok);
    CHECK(CheckStatusUri(ok));
  }
  for (const char* bad : {"", "http://status.paci.gov.kw/lists", "HTTPS://status.paci.gov.kw/lists",
                          "https://Status.paci.gov.kw/lists", "https://status.paci.gov.kw/lists/",
                          "https://status.paci.gov.kw//lists", "https://status.paci.gov.kw/lists/../x",
                          "https://status.paci.gov.kw/lists/./x", "https://status.paci.gov.kw/lists/%2e%2e/x",
                          "https://status.paci.gov.kw/lists%2F7", "https://status.paci.gov.kw/lists?x=1",
                          "https://status.paci.gov.kw/lists#f", "https://user@status.paci.gov.kw/lists",
                          "https://status.paci.gov.kw:443/lists", "https://status.paci.gov.kw:0443/lists",
                          "https://status.paci.gov.kw:99999/lists", "https://status.paci.gov.kw:/lists",
                          "https://status..paci.gov.kw/lists", "https://-status.paci.gov.kw/lists",
                          "https://[::1]/lists", "https://status.paci.gov.kw/li sts", "https://status.paci.gov.kw\\lists",
                          "https://status.paci.gov.kw/\xd9\x82\xd8\xa7\xd8\xa6\xd9\x85\xd8\xa9", "https:///lists"}) {
    INFO(bad);
    CHECK_FALSE(CheckStatusUri(bad));
  }
  CHECK_FALSE(CheckStatusUri("https://a.example/" + std::string(kMaxStatusUriBytes, 'x')));
}

TEST_CASE("status URIs: under a prefix only at a path-segment boundary", "[keys][status-uri]") {
  const std::string p = "https://status.paci.gov.kw/lists";
  CHECK(StatusUriUnder(p, p));
  CHECK(StatusUriUnder(p + "/7", p));
  CHECK(StatusUriUnder(p + "/7/x", p));
  CHECK_FALSE(StatusUriUnder(p + "7", p));
  CHECK_FALSE(StatusUriUnder(p + "-old/7", p));
  CHECK_FALSE(StatusUriUnder(p + ".old/7", p));
  CHECK_FALSE(StatusUriUnder("https://status.paci.gov.kw/list", p));
  CHECK_FALSE(StatusUriUnder("https://status.paci.gov.kw.evil.example/lists/7", p));
  CHECK_FALSE(StatusUriUnder("https://status.paci.gov.kw:8443/lists/7", p));
  CHECK_FALSE(StatusUriUnder("https://evil.example/lists/7", p));
  // Tricks that would resolve into (or out of) the prefix elsewhere match nothing here.
  CHECK_FALSE(StatusUriUnder(p + "/../../other/7", p));
  CHECK_FALSE(StatusUriUnder(p + "/%2e%2e/7", p));
  CHECK_FALSE(StatusUriUnder(p + "/7?x", p));
  CHECK_FALSE(StatusUriUnder(p + "/7/", p));
  // A host-wide prefix covers every path on that host, and no other port.
  CHECK(StatusUriUnder("https://status.paci.gov.kw/a/b", "https://status.paci.gov.kw"));
  CHECK_FALSE(StatusUriUnder("https://status.paci.gov.kw:8443/a", "https://status.paci.gov.kw"));
  CHECK_FALSE(StatusUriUnder("https://status.paci.gov.kwx/a", "https://status.paci.gov.kw"));
  // A malformed prefix covers nothing.
  CHECK_FALSE(StatusUriUnder(p + "/7", p + "/"));
}

TEST_CASE("status URIs: the file a static web server serves them from, never outside the folder", "[keys][status-uri]") {
  auto p = StatusUriPath("/srv/public", "https://status.paci.gov.kw/lists/7");
  REQUIRE(p);
  CHECK(p->string() == "/srv/public/status.paci.gov.kw/lists/7");
  auto port = StatusUriPath("/srv/public", "https://s.example:8443/a");
  REQUIRE(port);
  CHECK(port->string() == "/srv/public/s.example:8443/a");
  for (const char* bad : {"https://status.paci.gov.kw/../etc/passwd", "https://status.paci.gov.kw/%2e%2e/x",
                          "https://status.paci.gov.kw//x", "file:///etc/passwd", "https://status.paci.gov.kw/./x"}) {
    INFO(bad);
    auto r = StatusUriPath("/srv/public", bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kMalformed);
  }
}

TEST_CASE("trust list: status prefixes are validated, and no URI can belong to two agencies", "[keys][trust-list][status-uri]") {
  auto pki = test::MustMakeTestPki();
  const TrustList& tl = *pki.trust_list;
  const auto& paci = pki.agency("paci");
  const auto& moi = pki.agency("moi-traffic");

  SECTION("lookups: agency for a URI, the agency's status-list signers") {
    const Agency* a = tl.AgencyForStatusUri(paci.status_list_uri);
    REQUIRE(a);
    CHECK(a->id == "paci");
    CHECK(tl.AgencyForStatusUri(paci.status_prefix) == a);
    CHECK(tl.AgencyForStatusUri(paci.status_prefix + "/99/x") == a);
    CHECK(tl.AgencyForStatusUri(paci.status_prefix + "99") == nullptr);
    CHECK(tl.AgencyForStatusUri(paci.status_prefix + "/%2e%2e/x") == nullptr);
    REQUIRE(tl.AgencyForStatusUri(moi.status_list_uri));
    CHECK(tl.AgencyForStatusUri(moi.status_list_uri)->id == "moi-traffic");
    CHECK(tl.AgencyForStatusUri("https://status.other.example/lists/1") == nullptr);
    auto signers = tl.StatusListSigners(*a);
    REQUIRE(signers.size() == 1);
    CHECK(signers[0]->cert_der == paci.status_cert.der());
    CHECK(signers[0]->role == SignerRole::kStatusListSigner);
    // The document signer carries its agency's prefixes: what the MSO may point to.
    auto ds = tl.FindByKid(paci.ds_cert.kid(), SignerRole::kDocumentSigner);
    REQUIRE(ds.size() == 1);
    CHECK(ds[0]->MayReferenceStatus(paci.status_list_uri));
    CHECK_FALSE(ds[0]->MayReferenceStatus(moi.status_list_uri));
    CHECK_FALSE(signers[0]->MayReferenceStatus(paci.status_list_uri));  // a status signer signs no credential
  }

  auto refused = [&](const std::function<void(TrustListContent&)>& edit) {
    TrustListContent c = pki.content;
    edit(c);
    auto encoded = EncodeTrustListPayload(c);
    CHECK_FALSE(encoded);
    auto signed_list = SignTrustList(c, pki.tl_key, pki.tl_cert);
    CHECK_FALSE(signed_list);
    return encoded ? std::string() : encoded.error().message;
  };
  SECTION("malformed prefixes are refused at signing") {
    for (const char* bad : {"http://status.paci.example/lists", "https://status.paci.example/lists/",
                            "https://status.paci.example/lists?x", "https://status.paci.example/%41",
                            "https://status.paci.example/a/../b", "HTTPS://status.paci.example/lists"}) {
      INFO(bad);
      CHECK_THAT(refused([&](TrustListContent& c) { c.agencies[0].status_prefixes = {bad}; }),
                 Catch::Contains("status prefix"));
    }
    CHECK_THAT(refused([&](TrustListContent& c) {
                 c.agencies[0].status_prefixes.assign(kMaxStatusPrefixes + 1, "");
                 for (size_t i = 0; i <= kMaxStatusPrefixes; ++i) {
                   c.agencies[0].status_prefixes[i] = "https://s.example/" + std::to_string(i);
                 }
               }),
               Catch::Contains("more than"));
  }
  SECTION("overlapping prefixes are refused, across agencies and within one") {
    CHECK_THAT(refused([&](TrustListContent& c) { c.agencies[1].status_prefixes.push_back(paci.status_prefix + "/moi"); }),
               Catch::Contains("lies under"));
    CHECK_THAT(refused([&](TrustListContent& c) { c.agencies[1].status_prefixes.push_back("https://status.paci.example"); }),
               Catch::Contains("lies under"));
    CHECK_THAT(refused([&](TrustListContent& c) { c.agencies[0].status_prefixes.push_back(paci.status_prefix); }),
               Catch::Contains("twice"));
    CHECK_THAT(refused([&](TrustListContent& c) {
                 c.agencies[0].status_prefixes = {"https://s.example/a", "https://s.example/a-b", "https://s.example/a/b"};
               }),
               Catch::Contains("lies under"));
    // Siblings that share characters but not a segment are fine.
    TrustListContent c = pki.content;
    c.agencies[0].status_prefixes = {"https://s.example/a", "https://s.example/a-b", "https://s.example/ab"};
    c.agencies[1].status_prefixes = {"https://s.example/a.c", "https://s.example:8443/a"};
    auto bytes = pki.Sign(c);
    REQUIRE(bytes);
    auto loaded = TrustList::Load(*bytes, pki.root_cert, pki.Policy());
    REQUIRE(loaded);
    CHECK((*loaded)->AgencyForStatusUri("https://s.example/a/1")->id == "paci");
    CHECK((*loaded)->AgencyForStatusUri("https://s.example/a-b/1")->id == "paci");
    CHECK((*loaded)->AgencyForStatusUri("https://s.example/a.c/1")->id == "moi-traffic");
    CHECK((*loaded)->AgencyForStatusUri("https://s.example:8443/a/1")->id == "moi-traffic");
    CHECK((*loaded)->AgencyForStatusUri("https://s.example/a.d/1") == nullptr);
  }
  SECTION("the old per-list key is refused as unknown") {
    auto payload = EncodeTrustListPayload(pki.content);
    REQUIRE(payload);
    std::string s(payload->begin(), payload->end());
    auto at = s.find("status_prefixes");
    REQUIRE(at != std::string::npos);
    // Same length: "status_prefixes" (15) -> "status_lists_xx" keeps the CBOR valid but the key unknown.
    s.replace(at, 15, "status_lists_xx");
    CHECK_FALSE(DecodeTrustListPayload(AsBytes(s)));
  }
}
