#include "wathiq/keys/trust_list.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "wathiq/core/cbor.h"
#include "wathiq/core/cose.h"
#include "wathiq/core/text.h"
#include "wathiq/keys/status_uri.h"

namespace wathiq::keys {
namespace {

using cbor::Value;

constexpr uint64_t kFormatVersion = 1;

cbor::DecodeLimits PayloadLimits() {
  cbor::DecodeLimits l;
  l.max_input = 8u << 20;
  l.max_depth = 8;
  l.max_items = 1u << 20;
  l.strictness = cbor::Strictness::kDeterministic;
  return l;
}

Value TextArray(const std::vector<std::string>& v) {
  cbor::Array a;
  for (const auto& s : v) a.push_back(Value::Text(s));
  return Value::MakeArray(std::move(a));
}
Value BytesArray(const std::vector<Bytes>& v) {
  cbor::Array a;
  for (const auto& b : v) a.push_back(Value::Bytes(b));
  return Value::MakeArray(std::move(a));
}

// Strict map reader: every key must be consumed exactly once, unknown keys are errors.
class MapReader {
 public:
  MapReader(const Value& v, std::string where) : v_(v), where_(std::move(where)) {}
  Status IsMap() const {
    if (!v_.is_map()) return Fail(Errc::kMalformed, where_ + " is not a map");
    return Ok();
  }
  Result<const Value*> Get(std::string_view key) {
    const Value* x = v_.Find(key);
    if (!x) return Fail(Errc::kMalformed, where_ + ": missing \"" + std::string(key) + "\"");
    ++used_;
    return x;
  }
  Result<std::string> Text(std::string_view key) {
    WQ_ASSIGN(const Value* x, Get(key));
    if (!x->is_text()) return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" is not text");
    return x->text();
  }
  Result<uint64_t> Uint(std::string_view key) {
    WQ_ASSIGN(const Value* x, Get(key));
    if (!x->is_uint())
      return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" is not an unsigned integer");
    return x->uint();
  }
  Result<std::vector<std::string>> Texts(std::string_view key) {
    WQ_ASSIGN(const Value* x, Get(key));
    if (!x->is_array()) return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" is not an array");
    std::vector<std::string> out;
    for (const auto& e : x->array()) {
      if (!e.is_text()) return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" holds a non-text item");
      out.push_back(e.text());
    }
    return out;
  }
  Result<std::vector<Bytes>> ByteStrings(std::string_view key) {
    WQ_ASSIGN(const Value* x, Get(key));
    if (!x->is_array()) return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" is not an array");
    std::vector<Bytes> out;
    for (const auto& e : x->array()) {
      if (!e.is_bytes()) return Fail(Errc::kMalformed, where_ + ": \"" + std::string(key) + "\" holds a non-bstr item");
      out.push_back(e.bytes());
    }
    return out;
  }
  Status Done() const {
    if (used_ != v_.map().size()) return Fail(Errc::kMalformed, where_ + " has unknown keys");
    return Ok();
  }

 private:
  const Value& v_;
  std::string where_;
  size_t used_ = 0;
};

Status CheckContent(const TrustListContent& c) {
  if (c.issued_at < 0 || c.next_update <= c.issued_at) {
    return Fail(Errc::kMalformed, "trust list: next_update must be after issued_at");
  }
  if (c.log.origin.empty()) return Fail(Errc::kMalformed, "trust list: log origin is empty");
  WQ_TRY(CheckNoteVerifierKey(c.log.verifier_key));
  std::set<std::string> ids;
  std::set<Bytes> certs;
  // Status prefixes: each well formed, and none under another (in any agency). Keyed with a "/" appended,
  // "lies under" becomes "is a string prefix of", and the strings sharing a prefix sort contiguously right
  // after it: checking each key against its sorted neighbour finds every overlap in n log n.
  std::map<std::string, std::string> prefix_owner;  // prefix + "/" -> agency id
  // One public key, one certificate, across the whole list: kid and x5chain are unprotected headers of
  // the credentials, so with two certificates for one key the holder of a signature could pick which
  // certificate (agency, role, doc types, validity) applies to it.
  std::map<Bytes, std::string> key_owner;  // SubjectPublicKeyInfo -> agency id
  for (const auto& a : c.agencies) {
    if (a.id.empty()) return Fail(Errc::kMalformed, "trust list: agency with an empty id");
    if (!ids.insert(a.id).second) return Fail(Errc::kMalformed, "trust list: agency id '" + a.id + "' appears twice");
    if (a.name_ar.empty() || a.name_en.empty()) {
      return Fail(Errc::kMalformed, "trust list: agency '" + a.id + "' needs both an Arabic and an English name");
    }
    std::set<std::string> dts(a.doc_types.begin(), a.doc_types.end());
    if (dts.size() != a.doc_types.size() || dts.count("")) {
      return Fail(Errc::kMalformed, "trust list: agency '" + a.id + "' has empty or repeated doc types");
    }
    if (a.status_prefixes.size() > kMaxStatusPrefixes) {
      return Fail(Errc::kMalformed, "trust list: agency '" + a.id + "' has more than " +
                                        std::to_string(kMaxStatusPrefixes) + " status prefixes");
    }
    for (const auto& p : a.status_prefixes) {
      if (auto st = CheckStatusUri(p); !st) {
        return Fail(Errc::kMalformed,
                    "trust list: agency '" + a.id + "' status prefix " + Quoted(p) + ": " + st.error().message);
      }
      if (!prefix_owner.emplace(p + "/", a.id).second) {
        return Fail(Errc::kMalformed, "trust list: status prefix " + Quoted(p) + " appears twice");
      }
    }
    for (const auto* list : {&a.document_signer_certs, &a.status_list_signer_certs}) {
      for (const auto& d : *list) {
        if (!certs.insert(d).second) {
          return Fail(Errc::kMalformed, "trust list: a certificate appears twice (agency '" + a.id + "')");
        }
        auto cert = Certificate::FromDer(d);
        if (!cert) continue;  // Load refuses it as a bad agency certificate, naming why
        auto spki = cert->public_key().ToSpki();
        if (!spki) continue;
        auto [it, fresh] = key_owner.emplace(std::move(*spki), a.id);
        if (!fresh) {
          return Fail(Errc::kMalformed, "trust list: agency '" + a.id +
                                            "' lists a certificate for a public key that is "
                                            "already certified in the list (agency '" +
                                            it->second + "', certificate " + ToHex(ByteView(cert->sha256().data(), 8)) +
                                            "); one key, one certificate");
        }
      }
    }
  }
  for (auto it = prefix_owner.begin(); it != prefix_owner.end(); ++it) {
    auto next = std::next(it);
    if (next != prefix_owner.end() && next->first.starts_with(it->first)) {
      std::string outer = it->first.substr(0, it->first.size() - 1),
                  inner = next->first.substr(0, next->first.size() - 1);
      return Fail(Errc::kMalformed, "trust list: status prefix " + Quoted(inner) + " (agency '" + next->second +
                                        "') lies under " + Quoted(outer) + " (agency '" + it->second +
                                        "'); each status URI must belong to one agency");
    }
  }
  return Ok();
}

Errc ErrcOfTrustList(TrustListErrc code) {
  switch (code) {
    case TrustListErrc::kMalformed: return Errc::kMalformed;
    case TrustListErrc::kUnsupported: return Errc::kUnsupported;
    case TrustListErrc::kBadSignature: return Errc::kBadSignature;
    case TrustListErrc::kRollback:
    case TrustListErrc::kStale:
    case TrustListErrc::kNotYetValid: return Errc::kState;
    default: return Errc::kPermission;
  }
}

// "trust list <name>: message", reason trust_list_<name>, and the certificate check behind it as the cause.
tl::unexpected<Error> TlFail(TrustListErrc code, std::string message, std::optional<CertErrc> cert = std::nullopt) {
  const std::string name(TrustListErrcName(code));
  Error e{ErrcOfTrustList(code), "trust list " + name + ": " + message, "trust_list_" + name};
  if (cert) e.cause = "cert_" + std::string(CertErrcName(*cert));
  return Fail(std::move(e));
}

constexpr TrustListErrc kAllTrustListErrc[] = {TrustListErrc::kMalformed,
                                               TrustListErrc::kUnsupported,
                                               TrustListErrc::kBadSignature,
                                               TrustListErrc::kRollback,
                                               TrustListErrc::kStale,
                                               TrustListErrc::kNotYetValid,
                                               TrustListErrc::kUntrustedChain,
                                               TrustListErrc::kNotTrustListSigner,
                                               TrustListErrc::kBadAgencyCertificate};

uint64_t KidKey(ByteView kid) {
  uint64_t k = 0;
  for (size_t i = 0; i < 8 && i < kid.size(); ++i) k = k << 8 | kid[i];
  return k;
}

}  // namespace

std::string_view TrustListErrcName(TrustListErrc code) {
  switch (code) {
    case TrustListErrc::kMalformed: return "malformed";
    case TrustListErrc::kUnsupported: return "unsupported";
    case TrustListErrc::kBadSignature: return "bad_signature";
    case TrustListErrc::kRollback: return "rollback";
    case TrustListErrc::kStale: return "stale";
    case TrustListErrc::kNotYetValid: return "not_yet_valid";
    case TrustListErrc::kUntrustedChain: return "untrusted_chain";
    case TrustListErrc::kNotTrustListSigner: return "not_trust_list_signer";
    case TrustListErrc::kBadAgencyCertificate: return "bad_agency_certificate";
  }
  return "unknown";
}

std::optional<TrustListErrc> TrustListErrcOf(const Error& e) {
  std::string_view r = e.reason;
  if (!r.starts_with("trust_list_")) return std::nullopt;
  r.remove_prefix(11);
  for (TrustListErrc c : kAllTrustListErrc) {
    if (TrustListErrcName(c) == r) return c;
  }
  return std::nullopt;
}

Status CheckNoteVerifierKey(std::string_view vkey) {
  auto p1 = vkey.find('+');
  auto p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
  if (p1 == std::string_view::npos || p2 == std::string_view::npos || p1 == 0) {
    return Fail(Errc::kMalformed, "log verifier key must be name+keyhash+base64key");
  }
  std::string_view name = vkey.substr(0, p1), hash = vkey.substr(p1 + 1, p2 - p1 - 1), key = vkey.substr(p2 + 1);
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return Fail(Errc::kMalformed, "log verifier key name has spaces");
  }
  auto h = FromHex(hash);
  auto k = Base64Decode(key);
  if (hash.size() != 8 || !h) return Fail(Errc::kMalformed, "log verifier key hash must be 8 hex digits");
  if (!k || k->size() != 33 || (*k)[0] != 0x01) {
    return Fail(Errc::kMalformed, "log verifier key must be base64 of 0x01 || 32-byte Ed25519 key");
  }
  // C2SP signed-note: key hash = SHA-256(name || "\n" || 0x01 || key)[:4].
  Bytes pre(name.begin(), name.end());
  pre.push_back('\n');
  pre.insert(pre.end(), k->begin(), k->end());
  Bytes d = Sha256(pre);
  if (!std::equal(h->begin(), h->end(), d.begin())) {
    return Fail(Errc::kMalformed, "log verifier key hash does not match its name and key");
  }
  return Ok();
}

Result<Bytes> EncodeTrustListPayload(const TrustListContent& c) {
  WQ_TRY(CheckContent(c));
  Value m = Value::MakeMap();
  m.Set("version", Value::Uint(kFormatVersion));
  m.Set("sequence", Value::Uint(c.sequence));
  m.Set("issued_at", Value::Uint(static_cast<uint64_t>(c.issued_at)));
  m.Set("next_update", Value::Uint(static_cast<uint64_t>(c.next_update)));
  Value log = Value::MakeMap();
  log.Set("origin", Value::Text(c.log.origin));
  log.Set("verifier_key", Value::Text(c.log.verifier_key));
  m.Set("log", std::move(log));
  cbor::Array agencies;
  for (const auto& a : c.agencies) {
    Value e = Value::MakeMap();
    e.Set("id", Value::Text(a.id));
    e.Set("name_ar", Value::Text(a.name_ar));
    e.Set("name_en", Value::Text(a.name_en));
    e.Set("doc_types", TextArray(a.doc_types));
    e.Set("document_signers", BytesArray(a.document_signer_certs));
    e.Set("status_list_signers", BytesArray(a.status_list_signer_certs));
    e.Set("status_prefixes", TextArray(a.status_prefixes));
    e.Set("aggregation_uri", Value::Text(a.aggregation_uri));
    agencies.push_back(std::move(e));
  }
  m.Set("agencies", Value::MakeArray(std::move(agencies)));
  Bytes out = cbor::Encode(m);
  // Round-trip: whatever we sign must load (catches invalid UTF-8 and size caps before signing).
  auto back = DecodeTrustListPayload(out);
  if (!back) return Wrap("trust list self-check", back.error());
  return out;
}

Result<TrustListContent> DecodeTrustListPayload(ByteView payload) {
  auto v = cbor::Decode(payload, PayloadLimits());
  if (!v) return Wrap("trust list payload", v.error());
  MapReader r(*v, "trust list");
  WQ_TRY(r.IsMap());
  WQ_ASSIGN(uint64_t version, r.Uint("version"));
  if (version != kFormatVersion) {
    return Fail(Errc::kUnsupported, "trust list format version " + std::to_string(version) + " is not supported");
  }
  TrustListContent c;
  WQ_ASSIGN(c.sequence, r.Uint("sequence"));
  WQ_ASSIGN(uint64_t issued, r.Uint("issued_at"));
  WQ_ASSIGN(uint64_t next, r.Uint("next_update"));
  if (issued > (uint64_t{1} << 40) || next > (uint64_t{1} << 40))
    return Fail(Errc::kMalformed, "trust list: time out of range");
  c.issued_at = static_cast<int64_t>(issued);
  c.next_update = static_cast<int64_t>(next);
  WQ_ASSIGN(const Value* log, r.Get("log"));
  MapReader lr(*log, "trust list log");
  WQ_TRY(lr.IsMap());
  WQ_ASSIGN(c.log.origin, lr.Text("origin"));
  WQ_ASSIGN(c.log.verifier_key, lr.Text("verifier_key"));
  WQ_TRY(lr.Done());
  WQ_ASSIGN(const Value* agencies, r.Get("agencies"));
  if (!agencies->is_array()) return Fail(Errc::kMalformed, "trust list: agencies is not an array");
  for (size_t i = 0; i < agencies->array().size(); ++i) {
    MapReader ar(agencies->array()[i], "trust list agency #" + std::to_string(i));
    WQ_TRY(ar.IsMap());
    AgencyEntry a;
    WQ_ASSIGN(a.id, ar.Text("id"));
    WQ_ASSIGN(a.name_ar, ar.Text("name_ar"));
    WQ_ASSIGN(a.name_en, ar.Text("name_en"));
    WQ_ASSIGN(a.doc_types, ar.Texts("doc_types"));
    WQ_ASSIGN(a.document_signer_certs, ar.ByteStrings("document_signers"));
    WQ_ASSIGN(a.status_list_signer_certs, ar.ByteStrings("status_list_signers"));
    WQ_ASSIGN(a.status_prefixes, ar.Texts("status_prefixes"));
    WQ_ASSIGN(a.aggregation_uri, ar.Text("aggregation_uri"));
    WQ_TRY(ar.Done());
    c.agencies.push_back(std::move(a));
  }
  WQ_TRY(r.Done());
  WQ_TRY(CheckContent(c));
  return c;
}

Result<Bytes> SignTrustList(const TrustListContent& content, const Signer& signer, const Certificate& signer_cert) {
  if (!signer_cert.valid()) return Fail(Errc::kInvalidArgument, "no trust-list signer certificate");
  if (auto st = CheckProfile(signer_cert, CertRole::kTrustListSigner); !st) {
    return Fail(Errc::kInvalidArgument, "not a trust-list signer certificate: " + st.error().message);
  }
  WQ_ASSIGN(PublicKey pub, signer.public_key());
  if (!(pub == signer_cert.public_key())) {
    return Fail(Errc::kInvalidArgument, "the signing key is not the trust-list signer certificate's key");
  }
  WQ_ASSIGN(Bytes payload, EncodeTrustListPayload(content));
  cose::BuildOptions o;
  o.protected_extra.Set(cose::kHdrKid, Value::Bytes(signer_cert.kid()));
  o.protected_extra.Set(cose::kHdrType, Value::Text(std::string(kTrustListContentType)));
  o.unprotected.Set(cose::kHdrX5Chain, Value::Bytes(signer_cert.der()));
  o.tagged = true;
  return cose::SignSign1(signer, payload, o);
}

// Loading ------------------------------------------------------------------------------------------------

Result<std::shared_ptr<const TrustList>> TrustList::Load(ByteView bytes, const Certificate& root,
                                                         const TrustListPolicy& policy) {
  if (policy.now <= 0) return TlFail(TrustListErrc::kMalformed, "policy.now is not set");
  if (!root.valid()) return TlFail(TrustListErrc::kUntrustedChain, "no pinned root");
  if (bytes.size() > policy.max_bytes) {
    return TlFail(TrustListErrc::kMalformed,
                  "trust list of " + std::to_string(bytes.size()) + " bytes exceeds the cap");
  }
  cbor::DecodeLimits limits = PayloadLimits();
  auto msg = cose::ParseSign1(bytes, limits);
  if (!msg) return TlFail(TrustListErrc::kMalformed, msg.error().message);
  auto alg = msg->GetAlg();
  if (!alg) {
    return TlFail(alg.error().code == Errc::kUnsupported ? TrustListErrc::kUnsupported : TrustListErrc::kMalformed,
                  alg.error().message);
  }
  const Value* typ = msg->protected_map.Find(cose::kHdrType);
  if (!typ || !typ->is_text() || typ->text() != kTrustListContentType) {
    return TlFail(TrustListErrc::kMalformed, "protected content type is not " + std::string(kTrustListContentType));
  }
  auto x5 = msg->x5chain();
  if (!x5) return TlFail(TrustListErrc::kMalformed, x5.error().message);
  if (x5->empty()) return TlFail(TrustListErrc::kMalformed, "no x5chain: the signer certificate is missing");
  std::vector<Certificate> chain;
  for (const auto& der : *x5) {
    auto c = Certificate::FromDer(der);
    if (!c) return TlFail(TrustListErrc::kMalformed, "x5chain: " + c.error().message);
    chain.push_back(std::move(*c));
  }
  if (auto st = ValidateChain(chain, CertRole::kTrustListSigner, root, policy.now); !st) {
    const CertErrc cert = CertErrcOf(st.error()).value_or(CertErrc::kMalformed);
    return TlFail(
        cert == CertErrc::kWrongKeyUsage ? TrustListErrc::kNotTrustListSigner : TrustListErrc::kUntrustedChain,
        st.error().message, cert);
  }
  const Certificate& signer = chain[0];
  auto kid = msg->protected_map.Find(cose::kHdrKid);
  if (!kid || !kid->is_bytes() || kid->bytes() != signer.kid()) {
    return TlFail(TrustListErrc::kMalformed, "protected kid does not match the x5chain certificate");
  }
  auto verifier = MakeVerifier(signer.public_key(), *alg);
  if (!verifier) {
    return TlFail(TrustListErrc::kBadSignature,
                  "algorithm " + std::string(AlgName(*alg)) +
                      " does not match the signer certificate's key: " + verifier.error().message);
  }
  if (!msg->payload) return TlFail(TrustListErrc::kMalformed, "detached payload");
  if (auto st = cose::VerifySign1(*msg, **verifier); !st) {
    return TlFail(TrustListErrc::kBadSignature, st.error().message);
  }
  auto content = DecodeTrustListPayload(*msg->payload);
  if (!content) {
    return TlFail(content.error().code == Errc::kUnsupported ? TrustListErrc::kUnsupported : TrustListErrc::kMalformed,
                  content.error().message);
  }
  if (content->sequence < policy.min_sequence) {
    return TlFail(TrustListErrc::kRollback, "sequence " + std::to_string(content->sequence) +
                                                " is older than the one already held (" +
                                                std::to_string(policy.min_sequence) + ")");
  }
  if (content->sequence == policy.min_sequence && policy.held_payload_sha256 &&
      !ConstantTimeEqual(*policy.held_payload_sha256, Sha256(*msg->payload))) {
    return TlFail(TrustListErrc::kRollback, "sequence " + std::to_string(content->sequence) +
                                                " is the one already held, but with different content");
  }
  if (content->issued_at > policy.now + policy.max_clock_skew) {
    return TlFail(TrustListErrc::kNotYetValid, "issued_at " + std::to_string(content->issued_at) + " is in the future");
  }
  if (policy.now > content->next_update + policy.max_staleness) {
    return TlFail(TrustListErrc::kStale, "past next_update (" + std::to_string(content->next_update) + ") by " +
                                             std::to_string(policy.now - content->next_update) + " s; policy allows " +
                                             std::to_string(policy.max_staleness) + " s");
  }

  std::shared_ptr<TrustList> tl(new TrustList());
  tl->sequence_ = content->sequence;
  tl->issued_at_ = content->issued_at;
  tl->next_update_ = content->next_update;
  tl->log_ = content->log;
  tl->signer_cert_ = signer;
  tl->root_ = root;
  tl->payload_sha256_ = Sha256(*msg->payload);
  for (const auto& a : content->agencies) {
    Agency ag;
    ag.id = a.id;
    ag.name_ar = a.name_ar;
    ag.name_en = a.name_en;
    ag.doc_types = a.doc_types;
    ag.status_prefixes = a.status_prefixes;
    ag.aggregation_uri = a.aggregation_uri;
    for (auto [list, role] : {std::pair{&a.document_signer_certs, CertRole::kDocumentSigner},
                              std::pair{&a.status_list_signer_certs, CertRole::kStatusListSigner}}) {
      for (const auto& der : *list) {
        auto c = Certificate::FromDer(der);
        if (!c) {
          return TlFail(TrustListErrc::kBadAgencyCertificate, "agency '" + a.id + "': " + c.error().message,
                        CertErrc::kMalformed);
        }
        if (auto st = ValidateCertificate(*c, role, root, std::nullopt); !st) {
          return TlFail(TrustListErrc::kBadAgencyCertificate, "agency '" + a.id + "': " + st.error().message,
                        CertErrcOf(st.error()).value_or(CertErrc::kMalformed));
        }
        auto v = MakeVerifier(c->public_key());
        if (!v) return TlFail(TrustListErrc::kBadAgencyCertificate, "agency '" + a.id + "': " + v.error().message);
        TrustedSigner s;
        s.agency_id = a.id;
        s.agency_name_ar = a.name_ar;
        s.agency_name_en = a.name_en;
        s.role = role == CertRole::kDocumentSigner ? SignerRole::kDocumentSigner : SignerRole::kStatusListSigner;
        s.cert_der = der;
        s.kid = c->kid();
        s.public_key = c->public_key();
        s.verifier = std::shared_ptr<const Verifier>(std::move(*v));
        s.not_before = c->not_before();
        s.not_after = c->not_after();
        s.doc_types = a.doc_types;
        s.status_prefixes = a.status_prefixes;
        ag.signer_indexes.push_back(tl->signers_.size());
        tl->by_kid_.emplace(KidKey(s.kid), tl->signers_.size());
        tl->signers_.push_back(std::move(s));
      }
    }
    tl->agencies_.push_back(std::move(ag));
  }
  return std::shared_ptr<const TrustList>(std::move(tl));
}

const Agency* TrustList::FindAgency(std::string_view id) const {
  for (const auto& a : agencies_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

const Agency* TrustList::AgencyForStatusUri(std::string_view uri) const {
  if (!CheckStatusUri(uri)) return nullptr;
  for (const auto& a : agencies_) {
    for (const auto& p : a.status_prefixes) {
      // Both are in the grammar (prefixes were checked at load): plain comparison at a "/" boundary.
      if (uri.starts_with(p) && (uri.size() == p.size() || uri[p.size()] == '/')) return &a;
    }
  }
  return nullptr;
}

std::vector<const TrustedSigner*> TrustList::StatusListSigners(const Agency& agency) const {
  std::vector<const TrustedSigner*> out;
  for (size_t i : agency.signer_indexes) {
    if (signers_[i].role == SignerRole::kStatusListSigner) out.push_back(&signers_[i]);
  }
  return out;
}

std::vector<const TrustedSigner*> TrustList::FindByKid(ByteView kid, SignerRole role) const {
  std::vector<const TrustedSigner*> out;
  if (kid.size() != 8) return out;
  auto [b, e] = by_kid_.equal_range(KidKey(kid));
  for (auto it = b; it != e; ++it) {
    const TrustedSigner& s = signers_[it->second];
    if (s.role == role) out.push_back(&s);
  }
  return out;
}

const TrustedSigner* TrustList::FindByCertificate(ByteView der, SignerRole role) const {
  Bytes kid = KidForCertificate(der);
  auto [b, e] = by_kid_.equal_range(KidKey(kid));
  for (auto it = b; it != e; ++it) {
    const TrustedSigner& s = signers_[it->second];
    if (s.role == role && s.cert_der.size() == der.size() && std::equal(der.begin(), der.end(), s.cert_der.begin())) {
      return &s;
    }
  }
  return nullptr;
}

}  // namespace wathiq::keys
