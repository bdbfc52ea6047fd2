#include "wathiq/mdoc/qr.h"

#include <algorithm>
#include <set>

#include "wathiq/core/base45.h"
#include "wathiq/core/text.h"
#include "wathiq/core/zlib.h"

namespace wathiq::mdoc::qr {
namespace {

using cbor::Value;

constexpr std::string_view kHandoverName = "WathiqQR";

cbor::DecodeLimits EnvelopeLimits() {
  cbor::DecodeLimits l;
  l.max_input = kMaxInflated;
  l.max_depth = 12;
  l.max_items = 8192;
  l.strictness = cbor::Strictness::kDeterministic;
  return l;
}

Result<Bytes> Unwrap(std::string_view text, std::string_view prefix, const char* what) {
  if (text.size() > kMaxQrText) {
    return Fail(Errc::kLimit, std::string(what) + ": " + std::to_string(text.size()) + " characters exceed the cap of " +
                                  std::to_string(kMaxQrText));
  }
  if (text.substr(0, prefix.size()) != prefix) {
    return Fail(Errc::kMalformed, std::string(what) + ": does not start with " + std::string(prefix));
  }
  auto raw = base45::Decode(text.substr(prefix.size()));
  if (!raw) return Wrap(what, raw.error());
  return raw;
}

Status CheckExactKeys(const Value& map, std::initializer_list<std::string_view> keys, const char* what) {
  if (!map.is_map()) return Fail(Errc::kMalformed, std::string(what) + " must be a map");
  if (map.map().size() != keys.size()) {
    return Fail(Errc::kMalformed, std::string(what) + " must have exactly " + std::to_string(keys.size()) + " entries");
  }
  for (auto k : keys) {
    if (!map.Find(k)) return Fail(Errc::kMalformed, std::string(what) + " lacks " + std::string(k));
  }
  return Ok();
}

// A label in both headers would let the unprotected copy be read where the signed one was meant.
Status CheckHeaderOverlap(const cose::Sign1& s, const char* what) {
  for (const auto& [k, _] : s.unprotected.map()) {
    if (s.protected_map.Find(k)) {
      return Fail(Errc::kMalformed, std::string("WQ1: ") + what + " has label " + Quoted(cbor::Diagnostic(k)) +
                                        " in both headers");
    }
  }
  return Ok();
}

// The profile's shape rules (design/QR-PROFILE.md "Shape rules"): none of these shapes is a forgery, but a
// verifier that accepts them gives a replayer or a confused encoder room the profile does not allow.
Status CheckProfileShape(const std::vector<ParsedDocument>& docs) {
  std::set<std::string> doc_types;
  for (const auto& d : docs) {
    if (!doc_types.insert(d.doc_type).second) {
      return Fail(Errc::kMalformed, "WQ1: document type " + Quoted(d.doc_type) + " appears twice");
    }
    if (d.issuer_signed.name_spaces.empty()) {
      return Fail(Errc::kMalformed, "WQ1: issuerSigned.nameSpaces is missing: the QR discloses nothing");
    }
    const cose::Sign1& auth = d.issuer_signed.issuer_auth;
    for (const auto& [k, _] : auth.unprotected.map()) {
      if (k.AsInt() != cose::kHdrX5Chain) {
        return Fail(Errc::kMalformed, "WQ1: issuerAuth's unprotected header may hold only x5chain (33), not " +
                                          Quoted(cbor::Diagnostic(k)));
      }
    }
    WQ_TRY(CheckHeaderOverlap(auth, "issuerAuth"));
    if (d.device_signature) {
      if (!d.device_signature->unprotected.map().empty()) {
        return Fail(Errc::kMalformed, "WQ1: the device signature's unprotected header must be empty");
      }
      WQ_TRY(CheckHeaderOverlap(*d.device_signature, "deviceSignature"));
    }
  }
  return Ok();
}

}  // namespace

// ---- Challenge ----

Challenge NewChallenge(std::string verifier_name) { return Challenge{RandomBytes(kNonceBytes), std::move(verifier_name)}; }

std::string EncodeChallenge(const Challenge& c) {
  Value v = Value::MakeArray({Value::Uint(1), Value::Bytes(c.nonce), Value::Text(c.verifier_name)});
  return std::string(kChallengePrefix) + base45::Encode(cbor::Encode(v));
}

Result<Challenge> ParseChallenge(std::string_view text) {
  WQ_ASSIGN(Bytes raw, Unwrap(text, kChallengePrefix, "WQC"));
  cbor::DecodeLimits l = EnvelopeLimits();
  l.max_depth = 2;
  auto v = cbor::Decode(raw, l);
  if (!v) return Wrap("WQC", v.error());
  if (!v->is_array() || v->array().size() != 3) return Fail(Errc::kMalformed, "WQC: must be [1, nonce, verifierName]");
  const auto& a = v->array();
  if (!a[0].is_uint()) return Fail(Errc::kMalformed, "WQC: version must be an unsigned integer");
  if (a[0].uint() != 1) return Fail(Errc::kUnsupported, "WQC: version " + std::to_string(a[0].uint()));
  if (!a[1].is_bytes() || a[1].bytes().size() != kNonceBytes) return Fail(Errc::kMalformed, "WQC: nonce must be 16 bytes");
  if (!a[2].is_text() || a[2].text().size() > 256) return Fail(Errc::kMalformed, "WQC: verifierName must be text of at most 256 bytes");
  return Challenge{a[1].bytes(), a[2].text()};
}

// ---- Presentation ----

Bytes SessionTranscript(int64_t presented_at, const std::optional<Bytes>& nonce) {
  Value handover = Value::MakeArray({Value::Text(std::string(kHandoverName)), Value::Uint(static_cast<uint64_t>(presented_at)),
                                     nonce ? Value::Bytes(*nonce) : Value::Null()});
  return cbor::Encode(Value::MakeArray({Value::Null(), Value::Null(), std::move(handover)}));
}

Result<Presentation> BuildPresentation(const PresentationRequest& r) {
  if (!r.credential || !r.device_key) return Fail(Errc::kInvalidArgument, "a presentation needs a credential and its device key");
  if (r.presented_at < 0) return Fail(Errc::kInvalidArgument, "presentedAt must not be negative");
  if (r.nonce && r.nonce->size() != kNonceBytes) return Fail(Errc::kInvalidArgument, "a challenge nonce is 16 bytes");
  if (r.disclose.empty()) return Fail(Errc::kInvalidArgument, "choose at least one element to disclose");
  Bytes transcript = SessionTranscript(r.presented_at, r.nonce);
  PresentedDocument doc{r.credential, r.doc_type, r.disclose, r.device_key};
  WQ_ASSIGN(Value response, BuildDeviceResponse({doc}, transcript, {.drop_x5chain = true}));
  Value envelope = Value::MakeArray({Value::Uint(1), Value::Uint(static_cast<uint64_t>(r.presented_at)),
                                     r.nonce ? Value::Bytes(*r.nonce) : Value::Null(), std::move(response)});
  Bytes cbor_bytes = cbor::Encode(envelope);
  if (cbor_bytes.size() > kMaxInflated) return Fail(Errc::kLimit, "presentation exceeds 64 KiB before compression");
  Bytes z = zlib::DeflateSmallest(cbor_bytes);  // every byte saved is a smaller, easier-to-scan QR
  Presentation p{std::string(kPresentationPrefix) + base45::Encode(z), cbor_bytes.size(), z.size()};
  if (p.text.size() > kMaxQrText) {
    return Fail(Errc::kLimit, "presentation needs " + std::to_string(p.text.size()) +
                                  " characters, more than a QR code holds; disclose fewer elements");
  }
  return p;
}

Result<Envelope> ParseEnvelope(std::string_view text) {
  WQ_ASSIGN(Bytes z, Unwrap(text, kPresentationPrefix, "WQ1"));
  auto raw = zlib::Inflate(z, kMaxInflated);
  if (!raw) return Wrap("WQ1", raw.error());
  auto v = cbor::Decode(*raw, EnvelopeLimits());
  if (!v) return Wrap("WQ1", v.error());
  if (!v->is_array() || v->array().size() != 4) {
    return Fail(Errc::kMalformed, "WQ1: QrPresentation must be [version, presentedAt, nonce, DeviceResponse]");
  }
  const auto& a = v->array();
  if (!a[0].is_uint()) return Fail(Errc::kMalformed, "WQ1: version must be an unsigned integer");
  if (a[0].uint() != 1) return Fail(Errc::kUnsupported, "WQ1: profile version " + std::to_string(a[0].uint()));
  if (!a[1].is_uint() || a[1].uint() > static_cast<uint64_t>(INT64_MAX)) {
    return Fail(Errc::kMalformed, "WQ1: presentedAt must be an unsigned integer");
  }
  Envelope e;
  e.presented_at = static_cast<int64_t>(a[1].uint());
  if (a[2].is_bytes()) {
    if (a[2].bytes().size() != kNonceBytes) return Fail(Errc::kMalformed, "WQ1: nonce must be 16 bytes");
    e.nonce = a[2].bytes();
  } else if (!a[2].is_null()) {
    return Fail(Errc::kMalformed, "WQ1: nonce must be a byte string or null");
  }
  const Value& response = a[3];
  WQ_TRY(CheckExactKeys(response, {"version", "documents", "status"}, "WQ1: DeviceResponse"));
  if (const Value* docs = response.Find("documents"); docs && docs->is_array()) {
    for (const auto& d : docs->array()) {
      WQ_TRY(CheckExactKeys(d, {"docType", "issuerSigned", "deviceSigned"}, "WQ1: Document"));
    }
  }
  auto docs = ParseDeviceResponse(response);
  if (!docs) return Wrap("WQ1", docs.error());
  WQ_TRY(CheckProfileShape(*docs));
  e.documents = std::move(*docs);
  return e;
}

}  // namespace wathiq::mdoc::qr
