// The verifier's presentation checks over WQ1/WQC: round trips, one test per reason code, byte flips,
// strict envelope handling, the profile's shape rules, challenge and replay records.
#include <map>

#include "mdoc/mdoc_test_util.h"
#include "wathiq/core/base45.h"
#include "wathiq/core/zlib.h"
#include "wathiq/mdoc/qr.h"
#include "wathiq/verifier/presentation.h"
#include "wathiq/verifier/state.h"

using namespace wathiq;
using namespace wathiq::test;
namespace qr = wathiq::mdoc::qr;
namespace vf = wathiq::verifier;

namespace {

// A status source with fixed answers per index (the verifier component backs this with synced lists).
class FixedStatus : public vf::StatusLookup {
 public:
  std::map<uint64_t, vf::StatusValue> values;
  vf::StatusAnswer Lookup(const mdoc::StatusRef& ref, int64_t) const override {
    auto it = values.find(ref.idx);
    return {it == values.end() ? vf::StatusValue::kValid : it->second, "fixed answer for " + ref.uri};
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
  // A fresh verifier state per call unless the test passes one (challenges, replays).
  vf::Report Verify(const std::string& text, vf::Policy policy = {}, vf::VerifierState* state = nullptr) {
    if (!policy.now) policy.now = pki.now;
    vf::MemoryState fresh;
    auto r = vf::VerifyPresentation(text, *pki.trust_list, &status, state ? *state : fresh, policy);
    REQUIRE(r);
    return *r;
  }
};

vf::Policy At(int64_t now) {
  vf::Policy p;
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

std::string Describe(const vf::Report& r) {
  std::string s(vf::VerdictName(r.verdict));
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
  REQUIRE(r.verdict == vf::Verdict::kValid);
  REQUIRE(r.documents.size() == 1);
  const auto& doc = r.documents.front();
  CHECK(doc.elements().size() == 3);
  CHECK(doc.Find("full_name_ar")->value == CivilIdElements()[2].value);
  CHECK_FALSE(doc.Find("full_name_en"));
  CHECK_FALSE(r.challenge_mode);
  for (const auto& c : r.checks) {
    INFO(c.name);
    CHECK(c.state == vf::CheckState::kPassed);
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
    CHECK(r.verdict == vf::Verdict::kValid);
    CHECK(r.checks.back().name == "status");
    CHECK(r.checks.back().state == vf::CheckState::kPassed);
  }
  SECTION("a year: nothing could revoke it, so its status cannot be confirmed") {
    Fixture f([](mdoc::IssueRequest& r) { r.status.reset(); });
    auto r = f.Verify(f.Present());
    INFO(Describe(r));
    CHECK(r.verdict == vf::Verdict::kCannotConfirmStatus);
    REQUIRE(r.failures.size() == 1);
    CHECK(r.failures.front().reason == mdoc::Reason::kStatusUnknown);
    CHECK(r.failures.front().detail.find("no status reference") != std::string::npos);
    vf::Policy lenient;
    lenient.max_unlisted_validity = 400 * kDay;  // a verifier's explicit policy
    CHECK(f.Verify(f.Present(), lenient).verdict == vf::Verdict::kValid);
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
  vf::Policy p;
  p.now = f.pki.now;
  p.expected_nonce = c.nonce;
  vf::MemoryState shown;
  REQUIRE(shown.RecordChallenge({c.nonce, f.pki.now - 20, 0}));

  SECTION("answered once: valid; the same answer again: replayed") {
    auto r = f.Verify(text, p, &shown);
    INFO(Describe(r));
    CHECK(r.verdict == vf::Verdict::kValid);
    CHECK(r.challenge_mode);
    auto again = f.Verify(text, p, &shown);
    CHECK(again.verdict == vf::Verdict::kInvalid);
    CHECK(again.Has(mdoc::Reason::kReplayed));
    // A fresh answer to the same challenge (a second photo re-signed) is a replay of the challenge too.
    auto other = f.Verify(f.Present({"full_name_en"}, scanned->nonce, f.pki.now), p, &shown);
    CHECK(other.Has(mdoc::Reason::kReplayed));
  }
  SECTION("without --challenge the verifier still finds the challenge it showed") {
    CHECK(f.Verify(text, vf::Policy{}, &shown).verdict == vf::Verdict::kValid);
  }
  SECTION("a challenge this verifier never showed fails closed") {
    vf::MemoryState empty;
    auto r = f.Verify(text, p, &empty);
    CHECK(r.Has(mdoc::Reason::kNonceMismatch));
    CHECK(r.verdict == vf::Verdict::kInvalid);
  }
  SECTION("a forged answer does not burn the citizen's challenge") {
    auto thief = GenerateSoftwareSigner(Alg::kES256);
    CHECK(f.Verify(f.Present({"full_name_en"}, scanned->nonce, 0, thief->get()), p, &shown).Has(mdoc::Reason::kBadDeviceSignature));
    CHECK(f.Verify(text, p, &shown).verdict == vf::Verdict::kValid);
  }
  SECTION("another challenge's answer") {
    p.expected_nonce = qr::NewChallenge("x").nonce;
    CHECK(f.Verify(text, p, &shown).Has(mdoc::Reason::kNonceMismatch));
  }
  SECTION("an expired challenge") {
    vf::MemoryState old;
    REQUIRE(old.RecordChallenge({c.nonce, f.pki.now - 301, 0}));
    CHECK(f.Verify(text, p, &old).Has(mdoc::Reason::kPresentationStale));
  }
  SECTION("a time-mode QR where a challenge was shown, and the reverse") {
    CHECK(f.Verify(f.Present(), p, &shown).Has(mdoc::Reason::kNonceMismatch));
    CHECK(f.Verify(text).Has(mdoc::Reason::kNonceMismatch));
  }
}

TEST_CASE("each reason code is produced by a presentation that causes it", "[qr][negative]") {
  SECTION("malformed") {
    Fixture f;
    for (const char* bad : {"", "WQ1:", "WQ1:%%%%", "wq1:AB", "HC1:ABC", "WQ1:BB8"}) {
      INFO(bad);
      auto r = f.Verify(bad);
      CHECK(r.verdict == vf::Verdict::kInvalid);
      CHECK(r.Has(mdoc::Reason::kMalformed));
      CHECK(r.checks.front().state == vf::CheckState::kFailed);
      CHECK(r.checks.back().state == vf::CheckState::kSkipped);
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
    CHECK(r.verdict == vf::Verdict::kInvalid);
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
    f.status.values[7] = vf::StatusValue::kRevoked;  // expired wins: status is not even asked
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
    CHECK(f.Verify(text, At(f.pki.now + 120)).verdict == vf::Verdict::kValid);
    CHECK(f.Verify(text, At(f.pki.now + 121)).Has(mdoc::Reason::kPresentationStale));
    CHECK(f.Verify(text, At(f.pki.now - 31)).Has(mdoc::Reason::kPresentationStale));
  }
  SECTION("nonce_mismatch") {
    Fixture f;
    vf::Policy p = At(f.pki.now);
    p.expected_nonce = Bytes(16, 1);
    CHECK(f.Verify(f.Present({"full_name_en"}, Bytes(16, 2)), p).Has(mdoc::Reason::kNonceMismatch));
  }
  SECTION("revoked, suspended, status_unknown, status_index_out_of_range") {
    Fixture f;
    std::string text = f.Present();
    f.status.values[7] = vf::StatusValue::kRevoked;
    CHECK(f.Verify(text).Has(mdoc::Reason::kRevoked));
    f.status.values[7] = vf::StatusValue::kSuspended;
    CHECK(f.Verify(text).Has(mdoc::Reason::kSuspended));
    f.status.values[7] = vf::StatusValue::kIndexOutOfRange;
    CHECK(f.Verify(text).Has(mdoc::Reason::kStatusIndexOutOfRange));
    f.status.values[7] = vf::StatusValue::kUnknown;
    auto unknown = f.Verify(text);
    CHECK(unknown.Has(mdoc::Reason::kStatusUnknown));
    CHECK(unknown.verdict == vf::Verdict::kCannotConfirmStatus);
    CHECK(unknown.documents.size() == 1);
    vf::MemoryState fresh;
    auto no_lists = vf::VerifyPresentation(text, *f.pki.trust_list, nullptr, fresh, At(f.pki.now));
    REQUIRE(no_lists);
    CHECK(no_lists->verdict == vf::Verdict::kCannotConfirmStatus);
  }
}

TEST_CASE("byte flips in the CBOR and in the Base45 text never give valid", "[qr][negative]") {
  Fixture f;
  std::string text = f.Present({"civil_id_number", "full_name_ar", "full_name_en", "birth_date", "nationality", "expiry_date"});
  REQUIRE(f.Verify(text).verdict == vf::Verdict::kValid);
  Bytes inner = cbor::Encode(Inner(text));
  size_t valid = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    Bytes changed = inner;
    changed[i] ^= 0x01;
    if (f.Verify(EnvelopeBytes(changed)).verdict != vf::Verdict::kInvalid) {
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
    if (f.Verify(changed).verdict != vf::Verdict::kInvalid) {
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
    CHECK(r.verdict == vf::Verdict::kInvalid);
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

namespace {

cbor::Value& Child(cbor::Value& map, std::string_view key) {
  for (auto& [k, val] : map.map()) {
    if (k.is_text() && k.text() == key) return val;
  }
  FAIL("no key " << key);
  return map;
}

// documents[0] of the DeviceResponse inside an envelope value.
cbor::Value& FirstDocument(cbor::Value& envelope) { return Child(envelope.array()[3], "documents").array()[0]; }

}  // namespace

TEST_CASE("the profile's shape rules: each forbidden shape is malformed", "[qr][negative][shape]") {
  Fixture f;
  std::string text = f.Present();
  const cbor::Value v = Inner(text);
  auto expect_malformed = [&](const cbor::Value& e, const char* what) {
    INFO(what);
    auto r = f.Verify(Envelope(e));
    INFO(Describe(r));
    CHECK(r.verdict == vf::Verdict::kInvalid);
    CHECK(r.Has(mdoc::Reason::kMalformed));
    CHECK(r.documents.empty());
  };
  SECTION("a non-empty unprotected header on the device signature") {
    auto e = v;
    cbor::Value& sig = Child(Child(Child(FirstDocument(e), "deviceSigned"), "deviceAuth"), "deviceSignature");
    sig.array()[1] = cbor::Value::MakeMap();
    sig.array()[1].Set(4, cbor::Value::Bytes({1, 2, 3}));
    expect_malformed(e, "deviceSignature unprotected {4: kid}");
  }
  SECTION("an unknown unprotected label on issuerAuth") {
    auto e = v;
    cbor::Value& auth = Child(Child(FirstDocument(e), "issuerSigned"), "issuerAuth");
    auth.array()[1].Set(-65537, cbor::Value::Text("anything"));
    expect_malformed(e, "issuerAuth unprotected {-65537: ...}");
  }
  SECTION("a label in both headers of issuerAuth") {
    auto e = v;
    cbor::Value& auth = Child(Child(FirstDocument(e), "issuerSigned"), "issuerAuth");
    auth.array()[1] = cbor::Value::MakeMap();
    auth.array()[1].Set(1, cbor::Value::Int(-7));
    expect_malformed(e, "alg in both headers");
  }
  SECTION("the same document twice in one response") {
    auto e = v;
    auto& docs = Child(e.array()[3], "documents").array();
    docs.push_back(docs.front());
    expect_malformed(e, "two civil IDs");
  }
  SECTION("an issuerSigned without nameSpaces (before: valid with zero elements)") {
    auto e = v;
    cbor::Value& is = Child(FirstDocument(e), "issuerSigned");
    cbor::Value stripped = cbor::Value::MakeMap();
    for (auto& [k, val] : is.map()) {
      if (k.text() != "nameSpaces") stripped.Set(k, val);
    }
    is = stripped;
    expect_malformed(e, "no nameSpaces");
  }
}

TEST_CASE("time mode: a second showing of an accepted presentation is replayed", "[qr][replay]") {
  Fixture f;
  vf::MemoryState state;
  std::string text = f.Present();
  auto first = f.Verify(text, At(f.pki.now + 5), &state);
  INFO(Describe(first));
  REQUIRE(first.verdict == vf::Verdict::kValid);
  auto second = f.Verify(text, At(f.pki.now + 65), &state);
  CHECK(second.verdict == vf::Verdict::kInvalid);
  CHECK(second.Has(mdoc::Reason::kReplayed));
  CHECK(second.checks[static_cast<size_t>(vf::CheckId::kFreshness)].state == vf::CheckState::kFailed);
  SECTION("flipping s to n - s does not make it new: the record is keyed on r and the signed bytes") {
    cbor::Value e = Inner(text);
    cbor::Value& sig = Child(Child(Child(FirstDocument(e), "deviceSigned"), "deviceAuth"), "deviceSignature");
    Bytes raw = sig.array()[3].bytes();
    REQUIRE(raw.size() == 64);
    // s' = n - s for P-256.
    const Bytes n = *FromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
      int d = n[static_cast<size_t>(i)] - raw[32 + static_cast<size_t>(i)] - borrow;
      borrow = d < 0;
      raw[32 + static_cast<size_t>(i)] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
    }
    sig.array()[3] = cbor::Value::Bytes(raw);
    auto flipped = f.Verify(Envelope(e), At(f.pki.now + 70), &state);
    INFO(Describe(flipped));
    // Either the signature library refuses high-s, or it verifies and the record catches it.
    CHECK(flipped.verdict == vf::Verdict::kInvalid);
    CHECK((flipped.Has(mdoc::Reason::kReplayed) || flipped.Has(mdoc::Reason::kBadDeviceSignature)));
  }
  SECTION("a different presentation of the same credential is not a replay") {
    CHECK(f.Verify(f.Present(), At(f.pki.now + 66), &state).verdict == vf::Verdict::kValid);
  }
}

TEST_CASE("every reason belongs to a check, so no failure drops out of a report", "[qr]") {
  for (int i = 0; i <= static_cast<int>(mdoc::Reason::kStatusIndexOutOfRange); ++i) {
    auto r = static_cast<mdoc::Reason>(i);
    INFO(mdoc::ReasonCode(r));
    size_t c = static_cast<size_t>(vf::CheckFor(r));
    CHECK(c < vf::kCheckCount);
    CHECK(mdoc::ReasonCode(r) != "");
  }
  CHECK(mdoc::ReasonCode(mdoc::Reason::kReplayed) == "replayed");
  CHECK(vf::CheckFor(mdoc::Reason::kReplayed) == vf::CheckId::kFreshness);
}

TEST_CASE("policy values that would overflow the window arithmetic are refused", "[qr][negative]") {
  Fixture f;
  std::string text = f.Present();
  vf::MemoryState state;
  for (auto edit : std::vector<std::function<void(vf::Policy&)>>{
           [](vf::Policy& p) { p.now = INT64_MAX; }, [](vf::Policy& p) { p.now = -1; },
           [](vf::Policy& p) { p.max_age = -5; }, [](vf::Policy& p) { p.max_age = INT64_MAX; },
           [](vf::Policy& p) { p.max_ahead = INT64_MIN; }, [](vf::Policy& p) { p.challenge_lifetime = INT64_MAX; }}) {
    vf::Policy p = At(f.pki.now);
    edit(p);
    auto r = vf::VerifyPresentation(text, *f.pki.trust_list, &f.status, state, p);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kInvalidArgument);
  }
}

TEST_CASE("a presentation whose envelope is hostile text keeps escapes out of the report", "[qr][negative][escape]") {
  Fixture f;
  cbor::Value e = Inner(f.Present());
  // No key needed: the DeviceResponse version is outside any signature.
  for (auto& [k, val] : e.array()[3].map()) {
    if (k.text() == "version") val = cbor::Value::Text("\x1b[2J\x1b[Hverdict: valid\xc2\x9b\xe2\x80\xae");
  }
  auto r = f.Verify(Envelope(e));
  CHECK(r.verdict == vf::Verdict::kInvalid);
  REQUIRE_FALSE(r.failures.empty());
  for (const auto& finding : r.failures) {
    INFO(finding.detail);
    CHECK(finding.detail.find('\x1b') == std::string::npos);
    CHECK(finding.detail.find("\xc2\x9b") == std::string::npos);
    CHECK(finding.detail.find("\xe2\x80\xae") == std::string::npos);
    CHECK(finding.detail.find("\\x1b[2J") != std::string::npos);
  }
}
