// The log's entries: one encoding per event, every field rule enforced on both sides, hostile bytes refused.
#include <catch2/catch.hpp>

#include "test_util.h"
#include "wathiq/core/cbor.h"
#include "wathiq/log/entry.h"

using namespace wathiq;
using namespace wathiq::log;

namespace {

Entry IssueEntry() {
  Entry e;
  e.event = Event::kIssue;
  e.time = 1764000000;
  e.agency = "paci";
  e.actor = "staff-0042";
  e.credential_id = CredentialId{};
  for (size_t i = 0; i < 16; ++i) (*e.credential_id)[i] = static_cast<uint8_t>(i * 7 + 1);
  e.doc_type = "kw.gov.paci.civil_id.1";
  e.status_uri = "https://status.paci.gov.kw/lists/3";
  e.status_idx = 98765;
  e.valid_until = 1795536000;
  return e;
}

}  // namespace

TEST_CASE("a log entry round-trips and its encoding is deterministic CBOR", "[log][entry]") {
  Entry e = IssueEntry();
  auto bytes = EncodeEntry(e);
  REQUIRE(bytes);
  auto again = EncodeEntry(e);
  REQUIRE(again);
  CHECK(*bytes == *again);
  auto decoded = DecodeEntry(*bytes);
  REQUIRE(decoded);
  CHECK(*decoded == e);
  // The map's keys, sorted as RFC 8949 core deterministic encoding sorts them (shorter keys first).
  auto v = cbor::Decode(*bytes);
  REQUIRE(v);
  std::vector<std::string> keys;
  for (const auto& [k, _] : v->map()) keys.push_back(k.text());
  CHECK(keys == std::vector<std::string>{"v", "time", "actor", "event", "agency", "doc_type", "status_idx",
                                         "status_uri", "valid_until", "credential_id"});
  // No personal data can be carried: there is no field for it.
  CHECK(cbor::Diagnostic(*v).find("\"name") == std::string::npos);
}

TEST_CASE("every event takes exactly its fields", "[log][entry]") {
  Entry revoke = IssueEntry();
  revoke.event = Event::kRevoke;
  revoke.valid_until.reset();
  revoke.reason = "stolen";
  REQUIRE(EncodeEntry(revoke));

  Entry no_reason = revoke;
  no_reason.reason.reset();
  auto r = EncodeEntry(no_reason);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::kInvalidArgument);
  CHECK(r.error().message.find("needs reason") != std::string::npos);

  Entry extra = IssueEntry();
  extra.reason = "lost";
  r = EncodeEntry(extra);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("takes no reason") != std::string::npos);

  Entry bad_reason = revoke;
  bad_reason.reason = "because";
  CHECK_FALSE(EncodeEntry(bad_reason));

  Entry published;
  published.event = Event::kStatusListPublished;
  published.time = 1;
  published.agency = "paci";
  published.actor = "publisher";
  published.status_uri = "https://status.paci.gov.kw/lists/3";
  published.token_sha256 = std::array<uint8_t, 32>{};
  REQUIRE(EncodeEntry(published));

  Entry retired;
  retired.event = Event::kKeyRetired;
  retired.time = 2;
  retired.agency = "paci";
  retired.actor = "staff-1";
  retired.key_id = Bytes(32, 0xab);
  retired.key_role = "document_signer";
  REQUIRE(EncodeEntry(retired));  // the reason is optional on key_retired
  retired.reason = "key_compromise";
  auto with_reason = EncodeEntry(retired);
  REQUIRE(with_reason);
  CHECK(DecodeEntry(*with_reason).value() == retired);
  retired.key_role = "janitor";
  CHECK_FALSE(EncodeEntry(retired));
}

TEST_CASE("entry text is safe for an auditor's terminal", "[log][entry]") {
  Entry e = IssueEntry();
  e.actor = "staff\x1b[2J";
  CHECK_FALSE(EncodeEntry(e));
  e.actor =
      "\xe2\x80\xae"
      "evil";  // RLO
  CHECK_FALSE(EncodeEntry(e));
  e.actor = "موظف ٤٢";  // Arabic is fine
  auto bytes = EncodeEntry(e);
  REQUIRE(bytes);
  CHECK(DecodeEntry(*bytes)->actor == "موظف ٤٢");
  e.actor = "";
  CHECK_FALSE(EncodeEntry(e));
}

TEST_CASE("decoding refuses what encoding would never write", "[log][entry]") {
  auto good = EncodeEntry(IssueEntry());
  REQUIRE(good);
  auto base = cbor::Decode(*good).value();

  auto refused = [](const cbor::Value& v) {
    auto r = DecodeEntry(cbor::Encode(v));
    return !r && (r.error().code == Errc::kMalformed || r.error().code == Errc::kUnsupported);
  };
  {
    auto v = base;
    v.Set("name", cbor::Value::Text("Ahmad"));  // an unknown key: a place personal data could hide
    CHECK(refused(v));
  }
  {
    cbor::Value v = cbor::Value::MakeMap();
    for (const auto& [k, val] : base.map()) v.Set(k, k.text() == "v" ? cbor::Value::Uint(2) : val);
    auto r = DecodeEntry(cbor::Encode(v));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::kUnsupported);
  }
  {
    cbor::Value v = cbor::Value::MakeMap();
    for (const auto& [k, val] : base.map()) {
      if (k.text() != "valid_until") v.Set(k, val);  // an issue without valid_until
    }
    CHECK(refused(v));
  }
  {
    cbor::Value v = cbor::Value::MakeMap();
    for (const auto& [k, val] : base.map()) {
      v.Set(k, k.text() == "credential_id" ? cbor::Value::Bytes(Bytes(15, 1)) : val);
    }
    CHECK(refused(v));
  }
  {
    cbor::Value v = cbor::Value::MakeMap();
    for (const auto& [k, val] : base.map()) v.Set(k, k.text() == "status_idx" ? cbor::Value::Int(-1) : val);
    CHECK(refused(v));
  }
  // A non-canonical encoding of the same map: time as a 64-bit head.
  Bytes long_form = *good;
  auto t = cbor::Value::Uint(IssueEntry().time);
  Bytes short_time = cbor::Encode(t);
  Bytes long_time{0x1b, 0, 0, 0, 0};
  long_time.insert(long_time.end(), short_time.begin() + 1, short_time.end());
  auto pos = std::search(long_form.begin(), long_form.end(), short_time.begin(), short_time.end());
  REQUIRE(pos != long_form.end());
  long_form.erase(pos, pos + static_cast<std::ptrdiff_t>(short_time.size()));
  long_form.insert(pos, long_time.begin(), long_time.end());
  CHECK_FALSE(DecodeEntry(long_form));

  // Garbage, truncation and oversize: errors, never a crash.
  for (size_t cut = 0; cut < good->size(); ++cut) {
    CHECK_FALSE(DecodeEntry(ByteView(good->data(), cut)));
  }
  CHECK_FALSE(DecodeEntry(Bytes(70000, 0xa0)));
  CHECK_FALSE(DecodeEntry(Bytes{0x80}));
}
