// WQ1/WQC: round trips, one test per reason code, byte flips, strict envelope handling.
#include <map>

#include "mdoc_test_util.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/mdoc/qr.h"

using namespace wathiq;
using namespace wathiq::test;
namespace qr = wathiq::mdoc::qr;

namespace {

// A status source with fixed answers per index (the verifier component backs this with synced lists).
class FixedStatus : public qr::StatusLookup {
 public:
  std::map<uint64_t, qr::StatusValue> values;
  qr::StatusAnswer Lookup(const mdoc::StatusRef& ref, int64_t) const override {
    auto it = values.find(ref.idx);
    return {it == values.end() ? qr::StatusValue::kValid : it->second, "fixed answer for " + ref.uri};
  }
};

struct Fixture {
  TestPki pki = MustMakeTestPki();
  IssuedCredential cred;
  mdoc::ParsedIssuerSigned parsed;
  FixedStatus status;
  explicit Fixture(const std::function<void(mdoc::IssueRequest&)>& edit = {}) {
    cred = IssueCivilId(pki, edit);
    auto p = mdoc::ParseIssuerSigned(cred.issuer_signed);
    REQUIRE(p);
    parsed = std::move(*p);
  }
  std::string Present(std::vector<std::string> disclose = {"civil_id_number", "full_name_ar", "birth_date"},
                      std::optional<Bytes> nonce = std::nullopt, int64_t at = 0, const Signer* key = nullptr) {
    qr::PresentationRequest r;
    r.credential = &parsed;
    r.doc_type = kCivilIdDocType;
    r.disclose = std::move(disclose);
    r.device_key = key ? key : cred.device_key.get();
    r.presented_at = at ? at : pki.now;
    r.nonce = std::move(nonce);
    auto p = qr::BuildPresentation(r);
    REQUIRE(p);
    return p->text;
  }
  qr::Report Verify(const std::string& text, qr::Policy policy = {}) {
    if (!policy.now) policy.now = pki.now;
    return qr::VerifyPresentation(text, *pki.trust_list, &status, policy);
  }
};

qr::Policy At(int64_t now) {
  qr::Policy p;
  p.now = now;
  return p;
}

std::string Envelope(const cbor::Value& v) { return "WQ1:" + base45::Encode(zlib::Deflate(cbor::Encode(v))); }
std::string EnvelopeBytes(const Bytes& b) { return "WQ1:" + base45::Encode(zlib::Deflate(b)); }

cbor::Value Inner(const std::string& text) {
  auto raw = base45::Decode(std::string_view(text).substr(4));
  REQUIRE(raw);
  auto z = zlib::Inflate(*raw, 1 << 16);
  REQUIRE(z);
  auto v = cbor::Decode(*z);
  REQUIRE(v);
  return *v;
}

std::string Describe(const qr::Report& r) {
  std::string s(qr::VerdictName(r.verdict));
  for (const auto& f : r.failures) s += " | " + std::string(mdoc::ReasonCode(f.reason)) + ": " + f.detail;
  return s;
}

}  // namespace

TEST_CASE("time mode round trip: only the chosen items, every check passed", "[qr]") {
  Fixture f;
  std::string text = f.Present();
  CHECK(text.rfind("WQ1:", 0) == 0);
  auto r = f.Verify(text);
  INFO(Describe(r));
  REQUIRE(r.verdict == qr::Verdict::kValid);
  REQUIRE(r.documents.size() == 1);
  const auto& doc = r.documents.front();
  CHECK(doc.elements().size() == 3);
  CHECK(doc.Find("full_name_ar")->value == CivilIdElements()[2].value);
  CHECK_FALSE(doc.Find("full_name_en"));
  CHECK_FALSE(r.challenge_mode);
  for (const auto& c : r.checks) {
    INFO(c.name);
    CHECK(c.state == qr::CheckState::kPassed);
  }
  CHECK(r.checks.size() == 10);
  // The QR drops x5chain: the certificate is not in it.
  const Bytes& der = f.pki.agency("paci").ds_cert.der();
  Bytes inner = cbor::Encode(Inner(text));
  CHECK(std::search(inner.begin(), inner.end(), der.begin(), der.end()) == inner.end());
  // Everything inside is deterministic CBOR; the text is QR alphanumeric.
  CHECK(text.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") == std::string::npos);
}

TEST_CASE("a credential without a status reference is accepted only when short-lived", "[qr]") {
  SECTION("three days: valid, and the status check passed") {
    Fixture f([](mdoc::IssueRequest& r) {
      r.status.reset();
      r.validity = {r.validity.signed_at, r.validity.valid_from, r.validity.valid_from + 3 * kDay};
    });
    auto r = f.Verify(f.Present());
    INFO(Describe(r));
    CHECK(r.verdict == qr::Verdict::kValid);
    CHECK(r.checks.back().name == "status");
    CHECK(r.checks.back().state == qr::CheckState::kPassed);
  }
  SECTION("a year: nothing could revoke it, so its status cannot be confirmed") {
    Fixture f([](mdoc::IssueRequest& r) { r.status.reset(); });
    auto r = f.Verify(f.Present());
    INFO(Describe(r));
    CHECK(r.verdict == qr::Verdict::kCannotConfirmStatus);
    REQUIRE(r.failures.size() == 1);
    CHECK(r.failures.front().reason == mdoc::Reason::kStatusUnknown);
    CHECK(r.failures.front().detail.find("no status reference") != std::string::npos);
    qr::Policy lenient;
    lenient.max_unlisted_validity = 400 * kDay;  // a verifier's explicit policy
    CHECK(f.Verify(f.Present(), lenient).verdict == qr::Verdict::kValid);
  }
}

TEST_CASE("challenge mode round trip", "[qr]") {
  Fixture f;
  qr::Challenge c = qr::NewChallenge("\xd9\x86\xd9\x82\xd8\xb7\xd8\xa9 \xd8\xa7\xd9\x84\xd9\x86\xd9\x88\xd9\x8a\xd8\xb5\xd9\x8a\xd8\xa8");
  std::string wqc = qr::EncodeChallenge(c);
  CHECK(wqc.rfind("WQC:", 0) == 0);
  auto scanned = qr::ParseChallenge(wqc);
  REQUIRE(scanned);
  CHECK(scanned->nonce == c.nonce);
  CHECK(scanned->verifier_name == c.verifier_name);

  // The wallet clock is an hour off: in challenge mode that does no harm.
  std::string text = f.Present({"full_name_en"}, scanned->nonce, f.pki.now - 3600);
  qr::Policy p;
  p.now = f.pki.now;
  p.expected_nonce = c.nonce;
  p.challenge_issued_at = f.pki.now - 20;
  auto r = f.Verify(text, p);
  INFO(Describe(r));
  CHECK(r.verdict == qr::Verdict::kValid);
  CHECK(r.challenge_mode);

  SECTION("another challenge's answer") {
    p.expected_nonce = qr::NewChallenge("x").nonce;
    CHECK(f.Verify(text, p).Has(mdoc::Reason::kNonceMismatch));
  }
  SECTION("an expired challenge") {
    p.challenge_issued_at = f.pki.now - 301;
    CHECK(f.Verify(text, p).Has(mdoc::Reason::kPresentationStale));
  }
  SECTION("a time-mode QR where a challenge was shown, and the reverse") {
    CHECK(f.Verify(f.Present(), p).Has(mdoc::Reason::kNonceMismatch));
    CHECK(f.Verify(text).Has(mdoc::Reason::kNonceMismatch));
  }
}

TEST_CASE("each reason code is produced by a presentation that causes it", "[qr][negative]") {
  SECTION("malformed") {
    Fixture f;
    for (const char* bad : {"", "WQ1:", "WQ1:%%%%", "wq1:AB", "HC1:ABC", "WQ1:BB8"}) {
      INFO(bad);
      auto r = f.Verify(bad);
      CHECK(r.verdict == qr::Verdict::kInvalid);
      CHECK(r.Has(mdoc::Reason::kMalformed));
      CHECK(r.checks.front().state == qr::CheckState::kFailed);
      CHECK(r.checks.back().state == qr::CheckState::kSkipped);
    }
  }
  SECTION("unsupported") {
    Fixture f;
    cbor::Value v = Inner(f.Present());
    v.array()[0] = cbor::Value::Uint(2);
    CHECK(f.Verify(Envelope(v)).Has(mdoc::Reason::kUnsupported));
  }
  SECTION("unknown_signer") {
    Fixture f;
    Fixture other;
    CHECK(f.Verify(other.Present()).Has(mdoc::Reason::kUnknownSigner));
  }
  SECTION("bad_issuer_signature") {
    Fixture f;
    f.parsed.issuer_auth.signature[5] ^= 0x40;
    auto r = f.Verify(f.Present());
    CHECK(r.Has(mdoc::Reason::kBadIssuerSignature));
    CHECK(r.verdict == qr::Verdict::kInvalid);
  }
  SECTION("signer_not_authorized") {
    Fixture f([](mdoc::IssueRequest& r) { r.doc_type = "kw.gov.moh.birth_certificate.1"; });
    qr::PresentationRequest req{&f.parsed, "kw.gov.moh.birth_certificate.1", {"full_name_en"}, f.cred.device_key.get(),
                                f.pki.now, std::nullopt};
    auto p = qr::BuildPresentation(req);
    REQUIRE(p);
    CHECK(f.Verify(p->text).Has(mdoc::Reason::kSignerNotAuthorized));
  }
  SECTION("certificate_invalid") {
    Fixture f([](mdoc::IssueRequest& r) { r.validity.valid_until += 800 * kDay; });
    int64_t later = f.pki.agency("paci").ds_cert.not_after() + 60;
    auto r = f.Verify(f.Present({"full_name_en"}, std::nullopt, later), At(later));
    CHECK(r.Has(mdoc::Reason::kCertificateInvalid));
  }
  SECTION("not_yet_valid and expired") {
    Fixture f;
    int64_t early = f.pki.now - 7200, late = f.pki.now + 366 * kDay;
    CHECK(f.Verify(f.Present({"full_name_en"}, std::nullopt, early), At(early)).Has(mdoc::Reason::kNotYetValid));
    auto expired = f.Verify(f.Present({"full_name_en"}, std::nullopt, late), At(late));
    CHECK(expired.Has(mdoc::Reason::kExpired));
    f.status.values[7] = qr::StatusValue::kRevoked;  // expired wins: status is not even asked
    CHECK_FALSE(f.Verify(f.Present({"full_name_en"}, std::nullopt, late), At(late)).Has(mdoc::Reason::kRevoked));
  }
  SECTION("bad_digest") {
    Fixture f;
    auto& item = f.parsed.name_spaces[0].items[0];
    item.item_bytes.back() ^= 0x01;
    item.element_id = f.parsed.name_spaces[0].items[0].element_id;
    CHECK(f.Verify(f.Present({item.element_id})).Has(mdoc::Reason::kBadDigest));
  }
  SECTION("bad_device_signature") {
    Fixture f;
    auto thief = GenerateSoftwareSigner(Alg::kES256);
    CHECK(f.Verify(f.Present({"full_name_en"}, std::nullopt, 0, thief->get())).Has(mdoc::Reason::kBadDeviceSignature));
    // The envelope's presentedAt is bound by the device signature: changing it breaks it.
    cbor::Value v = Inner(f.Present());
    v.array()[1] = cbor::Value::Uint(static_cast<uint64_t>(f.pki.now + 5));
    CHECK(f.Verify(Envelope(v)).Has(mdoc::Reason::kBadDeviceSignature));
  }
  SECTION("presentation_stale") {
    Fixture f;
    std::string text = f.Present();
    CHECK(f.Verify(text, At(f.pki.now + 600)).Has(mdoc::Reason::kPresentationStale));
    CHECK(f.Verify(text, At(f.pki.now + 120)).verdict == qr::Verdict::kValid);
    CHECK(f.Verify(text, At(f.pki.now + 121)).Has(mdoc::Reason::kPresentationStale));
    CHECK(f.Verify(text, At(f.pki.now - 31)).Has(mdoc::Reason::kPresentationStale));
  }
  SECTION("nonce_mismatch") {
    Fixture f;
    qr::Policy p = At(f.pki.now);
    p.expected_nonce = Bytes(16, 1);
    p.challenge_issued_at = f.pki.now;
    CHECK(f.Verify(f.Present({"full_name_en"}, Bytes(16, 2)), p).Has(mdoc::Reason::kNonceMismatch));
  }
  SECTION("revoked, suspended, status_unknown, status_index_out_of_range") {
    Fixture f;
    std::string text = f.Present();
    f.status.values[7] = qr::StatusValue::kRevoked;
    CHECK(f.Verify(text).Has(mdoc::Reason::kRevoked));
    f.status.values[7] = qr::StatusValue::kSuspended;
    CHECK(f.Verify(text).Has(mdoc::Reason::kSuspended));
    f.status.values[7] = qr::StatusValue::kIndexOutOfRange;
    CHECK(f.Verify(text).Has(mdoc::Reason::kStatusIndexOutOfRange));
    f.status.values[7] = qr::StatusValue::kUnknown;
    auto unknown = f.Verify(text);
    CHECK(unknown.Has(mdoc::Reason::kStatusUnknown));
    CHECK(unknown.verdict == qr::Verdict::kCannotConfirmStatus);
    CHECK(unknown.documents.size() == 1);
    auto no_lists = qr::VerifyPresentation(text, *f.pki.trust_list, nullptr, At(f.pki.now));
    CHECK(no_lists.verdict == qr::Verdict::kCannotConfirmStatus);
  }
}

TEST_CASE("byte flips in the CBOR and in the Base45 text never give valid", "[qr][negative]") {
  Fixture f;
  std::string text = f.Present({"civil_id_number", "full_name_ar", "full_name_en", "birth_date", "nationality", "expiry_date"});
  REQUIRE(f.Verify(text).verdict == qr::Verdict::kValid);
  Bytes inner = cbor::Encode(Inner(text));
  size_t valid = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    Bytes changed = inner;
    changed[i] ^= 0x01;
    if (f.Verify(EnvelopeBytes(changed)).verdict != qr::Verdict::kInvalid) {
      ++valid;
      UNSCOPED_INFO("CBOR byte " << i << " flipped still verifies");
    }
  }
  CHECK(valid == 0);
  // Every character of the Base45 text. Deflate is not a canonical encoding (unused Huffman codes, block
  // layout), so a changed character can decode to byte-identical CBOR: the same presentation, not a
  // forgery. A changed character may therefore verify only if the CBOR inside is exactly the original.
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  size_t changed_content_valid = 0, same_content = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    auto pos = alphabet.find(changed[i]);
    changed[i] = pos == std::string::npos ? 'A' : alphabet[(pos + 1) % alphabet.size()];
    if (f.Verify(changed).verdict != qr::Verdict::kInvalid) {
      if (cbor::Encode(Inner(changed)) == inner) {
        ++same_content;
      } else {
        ++changed_content_valid;
        UNSCOPED_INFO("character " << i << " changed the content and still verifies");
      }
    }
  }
  CHECK(changed_content_valid == 0);
  CHECK(same_content < text.size() / 50);  // rare: only re-encodings of the identical bytes
}

TEST_CASE("the envelope is exactly the profile's shape", "[qr][negative]") {
  Fixture f;
  std::string text = f.Present();
  cbor::Value v = Inner(text);
  auto expect_malformed = [&](const std::string& t, const char* what) {
    INFO(what);
    auto r = f.Verify(t);
    CHECK(r.verdict == qr::Verdict::kInvalid);
    CHECK(r.Has(mdoc::Reason::kMalformed));
  };
  {
    Bytes b = cbor::Encode(v);
    b.push_back(0x00);
    expect_malformed(EnvelopeBytes(b), "trailing bytes");
  }
  {
    auto e = v;
    e.array().push_back(cbor::Value::Null());
    expect_malformed(Envelope(e), "an extra field");
  }
  {
    auto e = v;
    e.array().pop_back();
    expect_malformed(Envelope(e), "a missing field");
  }
  {
    auto e = v;
    e.array()[2] = cbor::Value::Bytes(Bytes(15, 0));
    expect_malformed(Envelope(e), "a 15-byte nonce");
  }
  {
    auto e = v;
    e.array()[3].Set("documentErrors", cbor::Value::MakeMap());
    expect_malformed(Envelope(e), "an extra DeviceResponse key");
  }
  {
    auto e = v;
    for (auto& [k, val] : e.array()[3].map()) {
      if (k.text() == "status") val = cbor::Value::Uint(10);
    }
    expect_malformed(Envelope(e), "DeviceResponse status 10");
  }
  {
    auto e = v;
    for (auto& [k, val] : e.array()[3].map()) {
      if (k.text() == "documents") val.array()[0].Set("errors", cbor::Value::MakeMap());
    }
    expect_malformed(Envelope(e), "a Document with errors");
  }
  {
    // Non-deterministic encoding of the same content: an indefinite-length outer array.
    Bytes b = cbor::Encode(v);
    b[0] = 0x9f;
    b.push_back(0xff);
    expect_malformed(EnvelopeBytes(b), "indefinite length");
  }
  {
    std::string big = "WQ1:" + std::string(5000, 'A');
    auto r = f.Verify(big);
    CHECK(r.Has(mdoc::Reason::kMalformed));
  }
  {
    Bytes bomb(1 << 20, 0);  // inflates past the 64 KiB cap
    expect_malformed(EnvelopeBytes(bomb), "zlib bomb");
  }
  CHECK_FALSE(qr::ParseChallenge("WQC:" + base45::Encode(cbor::Encode(cbor::Value::MakeArray(
                                              {cbor::Value::Uint(1), cbor::Value::Bytes(Bytes(8, 0)), cbor::Value::Text("x")}))))
                  .has_value());
}
