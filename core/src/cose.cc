#include "wathiq/core/cose.h"

#include <algorithm>

#include "wathiq/core/text.h"

namespace wathiq::cose {
namespace {

using cbor::Value;

// Labels a verifier understands without the caller's help (RFC 9052 §3.1 and x5chain).
constexpr int64_t kKnownCrit[] = {kHdrAlg, kHdrCrit, kHdrContentType, kHdrKid, kHdrType, kHdrX5Chain};

Status CheckHeaderMap(const Value& m, const char* which) {
  if (!m.is_map()) return Fail(Errc::kMalformed, std::string("COSE_Sign1: ") + which + " header is not a map");
  for (const auto& [k, v] : m.map()) {
    if (!k.is_int() && !k.is_text()) {
      return Fail(Errc::kMalformed, std::string("COSE_Sign1: ") + which + " header label is neither int nor text");
    }
  }
  return Ok();
}

}  // namespace

const Value* Sign1::Header(int64_t label) const {
  if (const Value* v = protected_map.Find(label)) return v;
  return unprotected.Find(label);
}

Result<Alg> Sign1::GetAlg(bool allow_unprotected) const {
  const Value* a = protected_map.Find(kHdrAlg);
  if (!a && allow_unprotected) a = unprotected.Find(kHdrAlg);
  if (!a) {
    return Fail(Errc::kMalformed, unprotected.Find(kHdrAlg) ? "COSE_Sign1: alg is only in the unprotected header"
                                                            : "COSE_Sign1: no alg header");
  }
  if (a->is_text()) return Fail(Errc::kUnsupported, "COSE_Sign1: algorithm " + Quoted(a->text()) + " is not supported");
  auto id = a->AsInt();
  if (!id) return Fail(Errc::kMalformed, "COSE_Sign1: alg is not an integer");
  return AlgFromCose(*id);
}

std::optional<Bytes> Sign1::kid() const {
  const Value* k = Header(kHdrKid);
  if (!k || !k->is_bytes()) return std::nullopt;
  return k->bytes();
}

Result<std::vector<Bytes>> Sign1::x5chain() const {
  const Value* x = Header(kHdrX5Chain);
  std::vector<Bytes> out;
  if (!x) return out;
  if (x->is_bytes()) {
    out.push_back(x->bytes());
    return out;
  }
  if (x->is_array() && !x->array().empty()) {
    for (const auto& c : x->array()) {
      if (!c.is_bytes()) return Fail(Errc::kMalformed, "COSE_Sign1: x5chain entry is not a byte string");
      out.push_back(c.bytes());
    }
    return out;
  }
  return Fail(Errc::kMalformed, "COSE_Sign1: x5chain must be a bstr or a non-empty array of bstr");
}

Value Sign1::ToValue(bool tagged) const {
  Value arr = Value::MakeArray({Value::Bytes(protected_bytes), unprotected,
                                payload ? Value::Bytes(*payload) : Value::Null(), Value::Bytes(signature)});
  return tagged ? Value::Tag(cbor::kTagCoseSign1, std::move(arr)) : arr;
}

Result<Sign1> Sign1FromValue(const Value& in, const cbor::DecodeLimits& limits) {
  const Value* v = &in;
  if (v->is_tag()) {
    if (v->tag() != cbor::kTagCoseSign1) {
      return Fail(Errc::kMalformed, "COSE_Sign1: unexpected tag " + std::to_string(v->tag()));
    }
    v = &v->tagged();
  }
  if (!v->is_array() || v->array().size() != 4) {
    return Fail(Errc::kMalformed, "COSE_Sign1: must be an array of 4 elements");
  }
  const auto& a = v->array();
  if (!a[0].is_bytes()) return Fail(Errc::kMalformed, "COSE_Sign1: protected header is not a byte string");
  if (!a[2].is_bytes() && !a[2].is_null()) return Fail(Errc::kMalformed, "COSE_Sign1: payload is neither bstr nor nil");
  if (!a[3].is_bytes()) return Fail(Errc::kMalformed, "COSE_Sign1: signature is not a byte string");
  Sign1 s;
  s.protected_bytes = a[0].bytes();
  if (s.protected_bytes.empty()) {
    s.protected_map = Value::MakeMap();
  } else {
    cbor::DecodeLimits hl = limits;
    hl.strictness = cbor::Strictness::kWellFormed;  // signed as received; foreign encoders vary
    auto m = cbor::Decode(s.protected_bytes, hl);
    if (!m) return Wrap("COSE_Sign1 protected header", m.error());
    s.protected_map = std::move(*m);
  }
  WQ_TRY(CheckHeaderMap(s.protected_map, "protected"));
  s.unprotected = a[1];
  WQ_TRY(CheckHeaderMap(s.unprotected, "unprotected"));
  // A label may not appear in both buckets (RFC 9052 §3).
  for (const auto& [k, _] : s.protected_map.map()) {
    if (s.unprotected.Find(k)) return Fail(Errc::kMalformed, "COSE_Sign1: header label in both buckets");
  }
  if (a[2].is_bytes()) s.payload = a[2].bytes();
  s.signature = a[3].bytes();
  return s;
}

Result<Sign1> ParseSign1(ByteView data, const cbor::DecodeLimits& limits) {
  cbor::DecodeLimits l = limits;
  l.strictness = cbor::Strictness::kWellFormed;
  auto v = cbor::Decode(data, l);
  if (!v) return Wrap("COSE_Sign1", v.error());
  return Sign1FromValue(*v, limits);
}

Bytes SigStructure(ByteView protected_bytes, ByteView external_aad, ByteView payload) {
  // ["Signature1", body_protected, external_aad, payload], written directly to avoid copying the payload twice.
  Value s = Value::MakeArray({Value::Text("Signature1"), Value::Bytes(protected_bytes), Value::Bytes(external_aad),
                              Value::Bytes(payload)});
  return cbor::Encode(s);
}

Result<Sign1> BuildSign1(const Signer& signer, ByteView payload, const BuildOptions& options) {
  if (!options.protected_extra.is_map() || !options.unprotected.is_map()) {
    return Fail(Errc::kInvalidArgument, "COSE_Sign1: headers must be maps");
  }
  Value prot = Value::MakeMap();
  prot.Set(kHdrAlg, Value::Int(static_cast<int64_t>(signer.alg())));
  for (const auto& [k, v] : options.protected_extra.map()) {
    if (k.AsInt() == kHdrAlg) return Fail(Errc::kInvalidArgument, "COSE_Sign1: alg is set from the signer");
    prot.Set(k, v);
  }
  Sign1 s;
  s.protected_bytes = cbor::Encode(prot);
  s.protected_map = std::move(prot);
  s.unprotected = options.unprotected;
  if (!options.detached) s.payload = Bytes(payload.begin(), payload.end());
  WQ_ASSIGN(s.signature, signer.Sign(SigStructure(s.protected_bytes, options.external_aad, payload)));
  return s;
}

Result<Bytes> SignSign1(const Signer& signer, ByteView payload, const BuildOptions& options) {
  WQ_ASSIGN(Sign1 s, BuildSign1(signer, payload, options));
  return cbor::Encode(s.ToValue(options.tagged));
}

Status VerifySign1(const Sign1& msg, const Verifier& verifier, const VerifyOptions& options) {
  WQ_ASSIGN(Alg alg, msg.GetAlg(options.allow_unprotected_alg));
  if (alg != verifier.alg()) {
    return Fail(Errc::kInvalidArgument, "COSE_Sign1: message algorithm " + std::string(AlgName(alg)) +
                                            " does not match the key's " + std::string(AlgName(verifier.alg())));
  }
  if (const Value* crit = msg.protected_map.Find(kHdrCrit)) {
    if (!crit->is_array() || crit->array().empty()) {
      return Fail(Errc::kMalformed, "COSE_Sign1: crit must be a non-empty array");
    }
    for (const auto& label : crit->array()) {
      auto i = label.AsInt();
      bool known = i && (std::find(std::begin(kKnownCrit), std::end(kKnownCrit), *i) != std::end(kKnownCrit) ||
                         std::find(options.understood_crit.begin(), options.understood_crit.end(), *i) !=
                             options.understood_crit.end());
      if (!known) return Fail(Errc::kUnsupported, "COSE_Sign1: critical header " + cbor::Diagnostic(label) + " is not understood");
      if (!msg.protected_map.Find(label)) return Fail(Errc::kMalformed, "COSE_Sign1: crit names an absent header");
    }
  } else if (msg.unprotected.Find(kHdrCrit)) {
    return Fail(Errc::kMalformed, "COSE_Sign1: crit must be protected");
  }
  ByteView payload;
  if (msg.payload) {
    if (options.detached_payload) return Fail(Errc::kInvalidArgument, "COSE_Sign1: payload is attached, not detached");
    payload = *msg.payload;
  } else {
    if (!options.detached_payload) return Fail(Errc::kInvalidArgument, "COSE_Sign1: detached payload not supplied");
    payload = *options.detached_payload;
  }
  // RFC 9052 §4.4: with no protected attributes the Sig_structure carries a zero-length bstr, even when
  // the message spelled the empty map as h'A0' (COSE WG sign-pass-01).
  ByteView body_protected = msg.protected_map.map().empty() ? ByteView{} : ByteView(msg.protected_bytes);
  return verifier.Verify(SigStructure(body_protected, options.external_aad, payload), msg.signature);
}

// COSE_Key ------------------------------------------------------------------------------------------------

Result<PublicKey> PublicKeyFromCoseKey(const Value& key) {
  if (!key.is_map()) return Fail(Errc::kMalformed, "COSE_Key is not a map");
  const Value* kty = key.Find(1);
  const Value* crv = key.Find(-1);
  if (!kty || !kty->AsInt() || !crv || !crv->AsInt()) return Fail(Errc::kMalformed, "COSE_Key needs integer kty and crv");
  int64_t t = *kty->AsInt(), c = *crv->AsInt();
  const Value* x = key.Find(-2);
  if (!x || !x->is_bytes()) return Fail(Errc::kMalformed, "COSE_Key needs x as a byte string");
  if (t == 2) {
    Curve curve;
    size_t n;
    switch (c) {
      case 1: curve = Curve::kP256; n = 32; break;
      case 2: curve = Curve::kP384; n = 48; break;
      case 3: curve = Curve::kP521; n = 66; break;
      default: return Fail(Errc::kUnsupported, "COSE_Key EC2 curve " + std::to_string(c));
    }
    const Value* y = key.Find(-3);
    if (!y || !y->is_bytes()) return Fail(Errc::kUnsupported, "COSE_Key EC2 y must be a byte string (no point compression)");
    if (x->bytes().size() != n || y->bytes().size() != n) return Fail(Errc::kMalformed, "COSE_Key EC2 coordinate length");
    Bytes raw{0x04};
    raw.insert(raw.end(), x->bytes().begin(), x->bytes().end());
    raw.insert(raw.end(), y->bytes().begin(), y->bytes().end());
    return PublicKey::FromRaw(curve, raw);
  }
  if (t == 1) {
    if (c == 6) return PublicKey::FromRaw(Curve::kEd25519, x->bytes());
    if (c == 7) return PublicKey::FromRaw(Curve::kEd448, x->bytes());
    return Fail(Errc::kUnsupported, "COSE_Key OKP curve " + std::to_string(c));
  }
  return Fail(Errc::kUnsupported, "COSE_Key kty " + std::to_string(t));
}

Value CoseKeyFromPublicKey(const PublicKey& key) {
  Value m = Value::MakeMap();
  switch (key.curve()) {
    case Curve::kP256:
    case Curve::kP384:
    case Curve::kP521:
      m.Set(1, Value::Uint(2));
      m.Set(-1, Value::Uint(key.curve() == Curve::kP256 ? 1 : key.curve() == Curve::kP384 ? 2 : 3));
      m.Set(-2, Value::Bytes(key.x()));
      m.Set(-3, Value::Bytes(key.y()));
      break;
    case Curve::kEd25519:
    case Curve::kEd448:
      m.Set(1, Value::Uint(1));
      m.Set(-1, Value::Uint(key.curve() == Curve::kEd25519 ? 6 : 7));
      m.Set(-2, Value::Bytes(key.raw()));
      break;
  }
  return m;
}

}  // namespace wathiq::cose
