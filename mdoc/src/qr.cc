#include "wathiq/mdoc/qr.h"

#include <algorithm>

#include "wathiq/core/base45.h"
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

struct CheckSpec {
  const char* name;
  std::vector<Reason> reasons;
};

const std::vector<CheckSpec>& CheckSpecs() {
  static const std::vector<CheckSpec> specs = {
      {"envelope", {Reason::kMalformed, Reason::kUnsupported}},
      {"issuer_signer", {Reason::kUnknownSigner}},
      {"issuer_signature", {Reason::kBadIssuerSignature}},
      {"authorization", {Reason::kSignerNotAuthorized}},
      {"certificate", {Reason::kCertificateInvalid}},
      {"validity", {Reason::kNotYetValid, Reason::kExpired}},
      {"digests", {Reason::kBadDigest}},
      {"device_signature", {Reason::kBadDeviceSignature, Reason::kBadDeviceMac}},
      {"freshness", {Reason::kPresentationStale, Reason::kNonceMismatch}},
      {"status", {Reason::kRevoked, Reason::kSuspended, Reason::kStatusUnknown, Reason::kStatusIndexOutOfRange}},
  };
  return specs;
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
  e.documents = std::move(*docs);
  return e;
}

// ---- Verification ----

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kInvalid: return "invalid";
    case Verdict::kCannotConfirmStatus: return "cannot_confirm_status";
  }
  return "invalid";
}

bool Report::Has(Reason r) const {
  return std::any_of(failures.begin(), failures.end(), [r](const Finding& f) { return f.reason == r; });
}

Report VerifyPresentation(std::string_view text, const keys::TrustAnchors& anchors, const StatusLookup* status,
                          const Policy& policy) {
  Report report;
  std::vector<Finding> findings;
  bool issuer_established = false;
  bool status_ran = false;

  auto envelope = ParseEnvelope(text);
  if (!envelope) {
    findings.push_back({envelope.error().code == Errc::kUnsupported ? Reason::kUnsupported : Reason::kMalformed,
                        envelope.error().message});
  } else {
    report.presented_at = envelope->presented_at;
    report.challenge_mode = envelope->nonce.has_value();

    // Freshness: the nonce in challenge mode, the time window otherwise.
    if (policy.expected_nonce) {
      if (!envelope->nonce || !ConstantTimeEqual(*envelope->nonce, *policy.expected_nonce)) {
        findings.push_back({Reason::kNonceMismatch, envelope->nonce ? "the QR answers a different challenge"
                                                                    : "a challenge was shown but the QR carries no nonce"});
      } else if (policy.now > policy.challenge_issued_at + policy.challenge_lifetime) {
        findings.push_back({Reason::kPresentationStale, "the challenge it answers has expired"});
      }
    } else if (envelope->nonce) {
      findings.push_back({Reason::kNonceMismatch, "the QR answers a challenge this verifier did not show"});
    } else if (envelope->presented_at < policy.now - policy.max_age) {
      findings.push_back({Reason::kPresentationStale, "presented " + std::to_string(policy.now - envelope->presented_at) +
                                                          " s ago; the window is " + std::to_string(policy.max_age) + " s"});
    } else if (envelope->presented_at > policy.now + policy.max_ahead) {
      findings.push_back({Reason::kPresentationStale, "presented " + std::to_string(envelope->presented_at - policy.now) +
                                                          " s in the future; the wallet clock is wrong"});
    }

    Bytes transcript = SessionTranscript(envelope->presented_at, envelope->nonce);
    DocumentVerifier verifier(anchors);
    DeviceAuthContext ctx{std::move(transcript), std::nullopt};
    issuer_established = true;
    std::vector<VerifiedDocument> docs;
    for (const auto& doc : envelope->documents) {
      DocumentReport r = verifier.VerifyDocument(doc, ctx, {.now = policy.now});
      bool issuer_failed = r.Has(Reason::kUnknownSigner) || r.Has(Reason::kBadIssuerSignature) ||
                           (!r.document && r.failures.empty());
      if (issuer_failed) issuer_established = false;
      findings.insert(findings.end(), r.failures.begin(), r.failures.end());
      if (!r.failures.empty()) continue;
      // Status: only for a credential that is otherwise valid (an expired one is expired whatever its bit).
      const VerifiedDocument& d = *r.document;
      if (d.status()) {
        status_ran = true;
        StatusAnswer a = status ? status->Lookup(*d.status(), policy.now)
                                : StatusAnswer{StatusValue::kUnknown, "no status lists are loaded"};
        switch (a.value) {
          case StatusValue::kValid: break;
          case StatusValue::kRevoked: findings.push_back({Reason::kRevoked, a.detail}); break;
          case StatusValue::kSuspended: findings.push_back({Reason::kSuspended, a.detail}); break;
          case StatusValue::kUnknown: findings.push_back({Reason::kStatusUnknown, a.detail}); break;
          case StatusValue::kIndexOutOfRange: findings.push_back({Reason::kStatusIndexOutOfRange, a.detail}); break;
        }
      } else {
        // No status reference: nothing can revoke it before it expires, so only a short-lived one passes.
        status_ran = true;
        int64_t span = d.validity().valid_until - d.validity().valid_from;
        if (span > policy.max_unlisted_validity) {
          findings.push_back({Reason::kStatusUnknown, "no status reference, and valid for " + std::to_string(span / 3600) +
                                                          " h; a credential without one may be valid for at most " +
                                                          std::to_string(policy.max_unlisted_validity / 3600) + " h"});
        }
      }
      docs.push_back(d);
    }
    report.documents = std::move(docs);
  }

  // Named checks, in profile order.
  for (const auto& spec : CheckSpecs()) {
    Check c;
    c.name = spec.name;
    for (const auto& f : findings) {
      if (std::find(spec.reasons.begin(), spec.reasons.end(), f.reason) != spec.reasons.end()) c.findings.push_back(f);
    }
    std::string_view n = spec.name;
    bool signer_found = std::none_of(findings.begin(), findings.end(),
                                     [](const Finding& f) { return f.reason == Reason::kUnknownSigner; });
    bool ran = n == "envelope" || (envelope && (n == "freshness" || n == "issuer_signer")) ||
               (envelope && n == "issuer_signature" && signer_found) || (envelope && issuer_established);
    if (n == "status") ran = status_ran;
    c.state = !c.findings.empty() ? CheckState::kFailed : ran ? CheckState::kPassed : CheckState::kSkipped;
    report.failures.insert(report.failures.end(), c.findings.begin(), c.findings.end());
    report.checks.push_back(std::move(c));
  }
  bool only_unknown = !report.failures.empty() &&
                      std::all_of(report.failures.begin(), report.failures.end(),
                                  [](const Finding& f) { return f.reason == Reason::kStatusUnknown; });
  report.verdict = report.failures.empty() ? Verdict::kValid
                   : only_unknown          ? Verdict::kCannotConfirmStatus
                                           : Verdict::kInvalid;
  if (report.verdict == Verdict::kInvalid) report.documents.clear();
  return report;
}

}  // namespace wathiq::mdoc::qr
