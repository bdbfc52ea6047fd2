// ISO/IEC 18013-5:2021 Annex D: the standard's own worked example must parse, verify and break on tampering.
#include "wathiq/mdoc/mdoc.h"

#include "test_util.h"

using namespace wathiq;
using test::Hex;

namespace {

struct AnnexD {
  Bytes response, ds_cert, transcript, reader_d;
  AnnexD() {
    auto j = test::ReadJson(test::DataPath("iso18013-5-annex-d.json"))["vectors"];
    response = Hex(j["device_response"].get<std::string>());
    ds_cert = Hex(j["ds_cert"].get<std::string>());
    Bytes tagged = Hex(j["session_transcript_bytes"].get<std::string>());
    auto t = cbor::Decode(
        tagged,
        {.max_input = 1 << 20, .max_depth = 16, .max_items = 1 << 16, .strictness = cbor::Strictness::kWellFormed});
    REQUIRE(t);
    REQUIRE(t->is_tag());
    transcript = t->tagged().bytes();  // SessionTranscript, untagged
    reader_d = Hex(j["ephemeral_reader_key_d"].get<std::string>());
  }
};

keys::StaticTrustAnchors Anchors(const Bytes& ds_cert, std::vector<std::string> doc_types = {"org.iso.18013.5.1.mDL"}) {
  auto s =
      keys::TrustedSignerFromCertificate(ds_cert, keys::SignerRole::kDocumentSigner, "us-test", std::move(doc_types));
  REQUIRE(s);
  keys::StaticTrustAnchors a;
  a.Add(std::move(*s));
  return a;
}

// Annex D's MSO is valid 2020-10-01T13:30:02Z .. 2021-10-01T13:30:02Z.
constexpr int64_t kAnnexDNow = 1601560000;  // 2020-10-01T13:46:40Z

mdoc::DocumentReport VerifyAnnexD(const AnnexD& d, ByteView response, const keys::TrustAnchors& anchors,
                                  int64_t now = kAnnexDNow) {
  auto docs = mdoc::ParseDeviceResponse(response);
  if (!docs) {
    mdoc::DocumentReport r;
    r.failures.push_back({mdoc::Reason::kMalformed, docs.error().message});
    return r;
  }
  REQUIRE(docs->size() == 1);
  mdoc::DocumentVerifier v(anchors);
  mdoc::DeviceAuthContext ctx{d.transcript, d.reader_d};
  return v.VerifyDocument(docs->front(), ctx, {.now = now});
}

}  // namespace

TEST_CASE("Annex D DeviceResponse parses, its issuer signature, digests and deviceMac verify", "[mdoc][kat]") {
  AnnexD d;
  auto anchors = Anchors(d.ds_cert);
  auto r = VerifyAnnexD(d, d.response, anchors);
  for (const auto& f : r.failures) UNSCOPED_INFO(mdoc::ReasonCode(f.reason) << ": " << f.detail);
  REQUIRE(r.ok());
  const auto& doc = *r.document;
  CHECK(doc.doc_type() == "org.iso.18013.5.1.mDL");
  CHECK(doc.device_authenticated());
  REQUIRE(doc.Find("family_name"));
  CHECK(doc.Find("family_name")->value.text() == "Doe");
  CHECK(doc.elements().size() == 6);
  CHECK(doc.validity().valid_from == 1601559002);
}

TEST_CASE("Annex D: an untrusted DS certificate, an unauthorized docType and the wrong clock are refused",
          "[mdoc][negative]") {
  AnnexD d;
  keys::StaticTrustAnchors empty;
  CHECK(VerifyAnnexD(d, d.response, empty).Has(mdoc::Reason::kUnknownSigner));
  auto other_doctype = Anchors(d.ds_cert, {"kw.gov.paci.civil_id.1"});
  CHECK(VerifyAnnexD(d, d.response, other_doctype).Has(mdoc::Reason::kSignerNotAuthorized));
  auto anchors = Anchors(d.ds_cert);
  CHECK(VerifyAnnexD(d, d.response, anchors, 1601559001 - 3600).Has(mdoc::Reason::kNotYetValid));
  CHECK(VerifyAnnexD(d, d.response, anchors, 1633095002 + 1).Has(mdoc::Reason::kExpired));
  // Without the reader's key the MAC cannot be checked.
  auto docs = mdoc::ParseDeviceResponse(d.response);
  REQUIRE(docs);
  mdoc::DocumentVerifier v(anchors);
  auto no_key = v.VerifyDocument(docs->front(), {d.transcript, std::nullopt}, {.now = kAnnexDNow});
  CHECK(no_key.Has(mdoc::Reason::kBadDeviceMac));
  // A different session transcript breaks the MAC.
  Bytes other_transcript =
      cbor::Encode(cbor::Value::MakeArray({cbor::Value::Null(), cbor::Value::Null(), cbor::Value::Null()}));
  auto wrong = v.VerifyDocument(docs->front(), {other_transcript, d.reader_d}, {.now = kAnnexDNow});
  CHECK(wrong.Has(mdoc::Reason::kBadDeviceMac));
}

namespace {
// Finds `needle` in `hay` and returns its offset (the test data is fixed, so a miss is a test bug).
size_t Offset(const Bytes& hay, const Bytes& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  REQUIRE(it != hay.end());
  return static_cast<size_t>(it - hay.begin());
}
}  // namespace

TEST_CASE("Annex D: changing any byte of the MSO, of an item or of the MAC makes it fail", "[mdoc][negative]") {
  AnnexD d;
  auto anchors = Anchors(d.ds_cert);
  auto docs = mdoc::ParseDeviceResponse(d.response);
  REQUIRE(docs);
  const auto& doc = docs->front();
  const Bytes& mso = *doc.issuer_signed.issuer_auth.payload;
  const Bytes& item = doc.issuer_signed.name_spaces.front().items.front().item_bytes;
  const Bytes& mac = doc.device_mac->signature;
  struct Region {
    const char* name;
    size_t start, length;
  } regions[] = {
      {"MSO", Offset(d.response, mso), mso.size()},
      {"item", Offset(d.response, item), item.size()},
      {"MAC", Offset(d.response, mac), mac.size()},
  };
  for (const auto& region : regions) {
    size_t step = region.length > 200 ? 7 : 1;  // the MSO is long: every 7th byte still covers each field
    int tried = 0;
    for (size_t i = 0; i < region.length; i += step) {
      Bytes changed = d.response;
      changed[region.start + i] ^= 0x01;
      auto r = VerifyAnnexD(d, changed, anchors);
      INFO(region.name << " byte " << i);
      CHECK_FALSE(r.ok());
      ++tried;
    }
    CHECK(tried > 0);
  }
}
