// The log's entries: one deterministic CBOR encoding per event, strictly checked both ways.
#include "wathiq/log/entry.h"

#include <algorithm>
#include <array>
#include <string>

#include "wathiq/core/cbor.h"
#include "wathiq/core/text.h"
#include "wathiq/status/reason.h"

namespace wathiq::log {
namespace {

constexpr uint64_t kEntryVersion = 1;
constexpr size_t kMaxTextBytes = 2048;  // a status URI is the longest text field (keys/status_uri.h)
constexpr size_t kMaxKeyIdBytes = 64;

// Which optional fields each event carries. Required and allowed are the same set: an event has exactly
// its fields, so that one event has one encoding.
enum Field : unsigned {
  kCredentialId = 1u << 0,
  kDocType = 1u << 1,
  kStatusUri = 1u << 2,
  kStatusIdx = 1u << 3,
  kValidUntil = 1u << 4,
  kReason = 1u << 5,
  kTokenSha256 = 1u << 6,
  kKeyId = 1u << 7,
  kKeyRole = 1u << 8,
  kSequence = 1u << 9,
};

constexpr unsigned kSlot = kCredentialId | kDocType | kStatusUri | kStatusIdx;

unsigned RequiredFields(Event e) {
  switch (e) {
    case Event::kIssue: return kSlot | kValidUntil;
    case Event::kRevoke: return kSlot | kReason;
    case Event::kSuspend: return kSlot | kReason;
    case Event::kReinstate: return kSlot;
    case Event::kKeyAdded: return kKeyId | kKeyRole;
    case Event::kKeyRetired: return kKeyId | kKeyRole;
    case Event::kTrustList: return kSequence;
    case Event::kStatusListPublished: return kStatusUri | kTokenSha256;
  }
  return 0;
}
// key_retired may carry a reason (key_compromise, superseded, ...), but need not; trust_list may carry the
// SHA-256 of the signed trust list's bytes (token_sha256).
unsigned OptionalFields(Event e) {
  if (e == Event::kKeyRetired) return kReason;
  if (e == Event::kTrustList) return kTokenSha256;
  return 0u;
}

struct FieldName {
  Field field;
  std::string_view name;
};
constexpr std::array<FieldName, 10> kFieldNames{{
    {kCredentialId, "credential_id"},
    {kDocType, "doc_type"},
    {kStatusUri, "status_uri"},
    {kStatusIdx, "status_idx"},
    {kValidUntil, "valid_until"},
    {kReason, "reason"},
    {kTokenSha256, "token_sha256"},
    {kKeyId, "key_id"},
    {kKeyRole, "key_role"},
    {kSequence, "sequence"},
}};

unsigned PresentFields(const Entry& e) {
  unsigned f = 0;
  if (e.credential_id) f |= kCredentialId;
  if (e.doc_type) f |= kDocType;
  if (e.status_uri) f |= kStatusUri;
  if (e.status_idx) f |= kStatusIdx;
  if (e.valid_until) f |= kValidUntil;
  if (e.reason) f |= kReason;
  if (e.token_sha256) f |= kTokenSha256;
  if (e.key_id) f |= kKeyId;
  if (e.key_role) f |= kKeyRole;
  if (e.sequence) f |= kSequence;
  return f;
}

Status CheckText(std::string_view field, const std::string& value) {
  if (value.empty()) return Fail(Errc::kInvalidArgument, std::string(field) + " is empty");
  if (value.size() > kMaxTextBytes) return Fail(Errc::kInvalidArgument, std::string(field) + " is too long");
  // Auditors read entries on terminals and pages: no controls, bidi overrides or broken UTF-8 at all.
  if (!IsSafeText(value)) {
    return Fail(Errc::kInvalidArgument, std::string(field) + " holds control characters or invalid UTF-8");
  }
  return Ok();
}

Status CheckEntry(const Entry& e) {
  const unsigned required = RequiredFields(e.event);
  const unsigned allowed = required | OptionalFields(e.event);
  const unsigned present = PresentFields(e);
  for (const auto& [field, name] : kFieldNames) {
    if ((required & field) && !(present & field)) {
      return Fail(Errc::kInvalidArgument, "a " + std::string(EventName(e.event)) + " entry needs " + std::string(name));
    }
    if ((present & field) && !(allowed & field)) {
      return Fail(Errc::kInvalidArgument,
                  "a " + std::string(EventName(e.event)) + " entry takes no " + std::string(name));
    }
  }
  WQ_TRY(CheckText("agency", e.agency));
  WQ_TRY(CheckText("actor", e.actor));
  if (e.doc_type) WQ_TRY(CheckText("doc_type", *e.doc_type));
  if (e.status_uri) WQ_TRY(CheckText("status_uri", *e.status_uri));
  if (e.key_role) {
    if (*e.key_role != "document_signer" && *e.key_role != "status_list_signer" && *e.key_role != "log") {
      return Fail(Errc::kInvalidArgument, "key_role " + Quoted(*e.key_role) + " is not a known role");
    }
  }
  if (e.reason && !status::ParseReasonCode(*e.reason)) {
    return Fail(Errc::kInvalidArgument, "reason " + Quoted(*e.reason) + " is not a known code");
  }
  if (e.key_id && (e.key_id->empty() || e.key_id->size() > kMaxKeyIdBytes)) {
    return Fail(Errc::kInvalidArgument, "key_id must hold 1 to 64 bytes");
  }
  return Ok();
}

Status AsMalformed(const Status& s) {
  if (s) return s;
  return Fail(Errc::kMalformed, "log entry: " + s.error().message);
}

}  // namespace

std::string_view EventName(Event event) {
  switch (event) {
    case Event::kIssue: return "issue";
    case Event::kRevoke: return "revoke";
    case Event::kSuspend: return "suspend";
    case Event::kReinstate: return "reinstate";
    case Event::kKeyAdded: return "key_added";
    case Event::kKeyRetired: return "key_retired";
    case Event::kTrustList: return "trust_list";
    case Event::kStatusListPublished: return "status_list_published";
  }
  return "unknown";
}

Result<Event> ParseEventName(std::string_view name) {
  for (Event e : {Event::kIssue, Event::kRevoke, Event::kSuspend, Event::kReinstate, Event::kKeyAdded,
                  Event::kKeyRetired, Event::kTrustList, Event::kStatusListPublished}) {
    if (EventName(e) == name) return e;
  }
  return Fail(Errc::kInvalidArgument, "unknown log event " + Quoted(name));
}

Result<Bytes> EncodeEntry(const Entry& e) {
  WQ_TRY(CheckEntry(e));
  using cbor::Value;
  Value m = Value::MakeMap();
  m.Set("v", Value::Uint(kEntryVersion));
  m.Set("event", Value::Text(std::string(EventName(e.event))));
  m.Set("time", Value::Uint(e.time));
  m.Set("agency", Value::Text(e.agency));
  m.Set("actor", Value::Text(e.actor));
  if (e.credential_id) m.Set("credential_id", Value::Bytes(ByteView(*e.credential_id)));
  if (e.doc_type) m.Set("doc_type", Value::Text(*e.doc_type));
  if (e.status_uri) m.Set("status_uri", Value::Text(*e.status_uri));
  if (e.status_idx) m.Set("status_idx", Value::Uint(*e.status_idx));
  if (e.valid_until) m.Set("valid_until", Value::Uint(*e.valid_until));
  if (e.reason) m.Set("reason", Value::Text(*e.reason));
  if (e.token_sha256) m.Set("token_sha256", Value::Bytes(ByteView(*e.token_sha256)));
  if (e.key_id) m.Set("key_id", Value::Bytes(ByteView(*e.key_id)));
  if (e.key_role) m.Set("key_role", Value::Text(*e.key_role));
  if (e.sequence) m.Set("sequence", Value::Uint(*e.sequence));
  Bytes out = cbor::Encode(m);
  if (out.size() > kMaxEntryBytes) return Fail(Errc::kInvalidArgument, "log entry over 65535 bytes");
  return out;
}

Result<Entry> DecodeEntry(ByteView bytes) {
  if (bytes.size() > kMaxEntryBytes) return Fail(Errc::kMalformed, "log entry over 65535 bytes");
  cbor::DecodeLimits limits;
  limits.max_input = kMaxEntryBytes;
  limits.max_depth = 2;
  limits.max_items = 64;
  auto decoded = cbor::Decode(bytes, limits);  // deterministic encoding required: one encoding per entry
  if (!decoded) return Wrap("log entry", decoded.error());
  const cbor::Map* map = decoded->AsMap();
  if (!map) return Fail(Errc::kMalformed, "log entry: not a CBOR map");

  auto text = [&](std::string_view key) -> Result<std::optional<std::string>> {
    const cbor::Value* v = decoded->Find(key);
    if (!v) return std::optional<std::string>{};
    if (!v->is_text()) return Fail(Errc::kMalformed, "log entry: " + std::string(key) + " is not text");
    return std::optional<std::string>{v->text()};
  };
  auto uint = [&](std::string_view key) -> Result<std::optional<uint64_t>> {
    const cbor::Value* v = decoded->Find(key);
    if (!v) return std::optional<uint64_t>{};
    if (!v->is_uint()) return Fail(Errc::kMalformed, "log entry: " + std::string(key) + " is not an unsigned integer");
    return std::optional<uint64_t>{v->uint()};
  };
  auto bytes_of = [&](std::string_view key) -> Result<const Bytes*> {
    const cbor::Value* v = decoded->Find(key);
    if (!v) return static_cast<const Bytes*>(nullptr);
    if (!v->is_bytes()) return Fail(Errc::kMalformed, "log entry: " + std::string(key) + " is not a byte string");
    return &v->bytes();
  };

  // Every key must be one we know, as text.
  static constexpr std::array<std::string_view, 5> kBase{"v", "event", "time", "agency", "actor"};
  for (const auto& [k, v] : *map) {
    (void)v;
    if (!k.is_text()) return Fail(Errc::kMalformed, "log entry: a key is not text");
    const std::string& name = k.text();
    bool known =
        std::find(kBase.begin(), kBase.end(), name) != kBase.end() ||
        std::any_of(kFieldNames.begin(), kFieldNames.end(), [&](const FieldName& f) { return f.name == name; });
    if (!known) return Fail(Errc::kMalformed, "log entry: unknown key " + Quoted(name));
  }

  WQ_ASSIGN(auto version, uint("v"));
  if (!version) return Fail(Errc::kMalformed, "log entry: no version");
  if (*version != kEntryVersion) return Fail(Errc::kUnsupported, "log entry: version " + std::to_string(*version));
  WQ_ASSIGN(auto event_name, text("event"));
  WQ_ASSIGN(auto time, uint("time"));
  WQ_ASSIGN(auto agency, text("agency"));
  WQ_ASSIGN(auto actor, text("actor"));
  if (!event_name || !time || !agency || !actor) {
    return Fail(Errc::kMalformed, "log entry: event, time, agency and actor are required");
  }
  auto event = ParseEventName(*event_name);
  if (!event) return Fail(Errc::kMalformed, "log entry: " + event.error().message);

  Entry e;
  e.event = *event;
  e.time = *time;
  e.agency = std::move(*agency);
  e.actor = std::move(*actor);
  WQ_ASSIGN(const Bytes* credential_id, bytes_of("credential_id"));
  if (credential_id) {
    if (credential_id->size() != 16) return Fail(Errc::kMalformed, "log entry: credential_id must be 16 bytes");
    e.credential_id.emplace();
    std::copy(credential_id->begin(), credential_id->end(), e.credential_id->begin());
  }
  WQ_ASSIGN(e.doc_type, text("doc_type"));
  WQ_ASSIGN(e.status_uri, text("status_uri"));
  WQ_ASSIGN(e.status_idx, uint("status_idx"));
  WQ_ASSIGN(e.valid_until, uint("valid_until"));
  WQ_ASSIGN(e.reason, text("reason"));
  WQ_ASSIGN(const Bytes* token_sha256, bytes_of("token_sha256"));
  if (token_sha256) {
    if (token_sha256->size() != 32) return Fail(Errc::kMalformed, "log entry: token_sha256 must be 32 bytes");
    e.token_sha256.emplace();
    std::copy(token_sha256->begin(), token_sha256->end(), e.token_sha256->begin());
  }
  WQ_ASSIGN(const Bytes* key_id, bytes_of("key_id"));
  if (key_id) e.key_id = *key_id;
  WQ_ASSIGN(e.key_role, text("key_role"));
  WQ_ASSIGN(e.sequence, uint("sequence"));
  WQ_TRY(AsMalformed(CheckEntry(e)));
  return e;
}

}  // namespace wathiq::log
