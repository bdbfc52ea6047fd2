#include <algorithm>

#include "wathiq/core/secure_buffer.h"
#include "wathiq/core/text.h"
#include "wathiq/mdoc/mdoc.h"

namespace wathiq::mdoc {
namespace {

using cbor::Value;

cbor::DecodeLimits MsoLimits() {
  cbor::DecodeLimits l;
  l.max_input = 1 << 20;
  l.strictness = cbor::Strictness::kWellFormed;
  return l;
}

Bytes WrapTag24(ByteView inner) { return cbor::WrapEncodedCbor(inner); }

struct MsoView {
  std::string doc_type;
  std::string digest_algorithm;
  const Value* value_digests = nullptr;
  PublicKey device_key;
  Validity validity;
  std::optional<StatusRef> status;
};

Result<int64_t> TdateField(const Value& validity, const char* name) {
  const Value* v = validity.Find(name);
  if (!v) return Fail(Errc::kMalformed, std::string("validityInfo.") + name + " is missing");
  if (!v->is_tag() || v->tag() != cbor::kTagTdate || !v->tagged().is_text()) {
    return Fail(Errc::kMalformed, std::string("validityInfo.") + name + " must be a tdate (tag 0)");
  }
  return ParseTdate(v->tagged().text());
}

Result<MsoView> ReadMso(const Value& mso) {
  if (!mso.is_map()) return Fail(Errc::kMalformed, "MobileSecurityObject must be a map");
  MsoView m;
  const Value* version = mso.Find("version");
  if (!version || !version->is_text()) return Fail(Errc::kMalformed, "MSO.version missing");
  if (version->text() != "1.0") return Fail(Errc::kUnsupported, "MSO version " + Quoted(version->text()));
  const Value* alg = mso.Find("digestAlgorithm");
  if (!alg || !alg->is_text()) return Fail(Errc::kMalformed, "MSO.digestAlgorithm missing");
  m.digest_algorithm = alg->text();
  if (m.digest_algorithm != "SHA-256" && m.digest_algorithm != "SHA-384" && m.digest_algorithm != "SHA-512") {
    return Fail(Errc::kUnsupported, "digest algorithm " + Quoted(m.digest_algorithm));
  }
  const Value* dt = mso.Find("docType");
  if (!dt || !dt->is_text()) return Fail(Errc::kMalformed, "MSO.docType missing");
  m.doc_type = dt->text();
  m.value_digests = mso.Find("valueDigests");
  if (!m.value_digests || !m.value_digests->is_map()) return Fail(Errc::kMalformed, "MSO.valueDigests missing");
  const Value* dki = mso.Find("deviceKeyInfo");
  const Value* dk = dki ? dki->Find("deviceKey") : nullptr;
  if (!dk) return Fail(Errc::kMalformed, "MSO.deviceKeyInfo.deviceKey missing");
  auto key = cose::PublicKeyFromCoseKey(*dk);
  if (!key) return Wrap("deviceKey", key.error());
  m.device_key = std::move(*key);
  const Value* vi = mso.Find("validityInfo");
  if (!vi || !vi->is_map()) return Fail(Errc::kMalformed, "MSO.validityInfo missing");
  WQ_ASSIGN(m.validity.signed_at, TdateField(*vi, "signed"));
  WQ_ASSIGN(m.validity.valid_from, TdateField(*vi, "validFrom"));
  WQ_ASSIGN(m.validity.valid_until, TdateField(*vi, "validUntil"));
  if (const Value* st = mso.Find("status")) {
    const Value* sl = st->Find("status_list");
    const Value* idx = sl ? sl->Find("idx") : nullptr;
    const Value* uri = sl ? sl->Find("uri") : nullptr;
    if (!idx || !idx->is_uint() || !uri || !uri->is_text()) {
      return Fail(Errc::kMalformed, "MSO.status must be {\"status_list\": {\"idx\": uint, \"uri\": tstr}}");
    }
    m.status = StatusRef{uri->text(), idx->uint()};
  }
  return m;
}

Bytes Digest(const std::string& alg, ByteView data) {
  if (alg == "SHA-384") return Sha384(data);
  if (alg == "SHA-512") return Sha512(data);
  return Sha256(data);
}

Bytes ReplayKey(const Bytes& signature, const Bytes& device_authentication) {
  Bytes in(signature.begin(), signature.begin() + static_cast<std::ptrdiff_t>(signature.size() / 2));
  in.insert(in.end(), device_authentication.begin(), device_authentication.end());
  return Sha256(in);
}

Reason ReasonForSignatureError(const Error& e) {
  if (e.code == Errc::kUnsupported) return Reason::kUnsupported;
  if (e.code == Errc::kMalformed) return Reason::kMalformed;
  return Reason::kBadIssuerSignature;
}

}  // namespace

bool DocumentReport::Has(Reason r) const {
  return std::any_of(failures.begin(), failures.end(), [r](const Finding& f) { return f.reason == r; });
}

const VerifiedElement* VerifiedDocument::Find(std::string_view id) const {
  for (const auto& e : elements_) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

Bytes DeviceAuthenticationBytes(ByteView session_transcript, std::string_view doc_type,
                                ByteView device_name_spaces_bytes) {
  Bytes inner;
  inner.reserve(session_transcript.size() + doc_type.size() + device_name_spaces_bytes.size() + 48);
  inner.push_back(0x84);
  cbor::EncodeTo(Value::Text("DeviceAuthentication"), inner);
  inner.insert(inner.end(), session_transcript.begin(), session_transcript.end());
  cbor::EncodeTo(Value::Text(std::string(doc_type)), inner);
  Bytes dns = WrapTag24(device_name_spaces_bytes);
  inner.insert(inner.end(), dns.begin(), dns.end());
  return WrapTag24(inner);
}

DocumentReport DocumentVerifier::CheckIssuer(const ParsedIssuerSigned& is, const std::string* outer_doc_type,
                                             const VerifyOptions& o, std::optional<Value>* mso_out) const {
  DocumentReport report;
  auto fail = [&](Reason r, std::string detail) { report.failures.push_back({r, std::move(detail)}); };
  const cose::Sign1& auth = is.issuer_auth;

  // 1. Which trusted document signer? By the certificate if the message carries one, else by kid.
  std::vector<const keys::TrustedSigner*> candidates;
  auto kid = auth.kid();
  auto chain = auth.x5chain();
  if (!chain) {
    fail(Reason::kMalformed, chain.error().message);
    return report;
  }
  if (!chain->empty()) {
    const keys::TrustedSigner* s = anchors_->FindByCertificate(chain->front(), keys::SignerRole::kDocumentSigner);
    if (!s) {
      fail(Reason::kUnknownSigner, "the x5chain certificate is not a document signer in the trust list");
      return report;
    }
    if (kid && *kid != s->kid) {
      fail(Reason::kUnknownSigner, "kid does not match the x5chain certificate");
      return report;
    }
    candidates.push_back(s);
  } else if (kid) {
    candidates = anchors_->FindByKid(*kid, keys::SignerRole::kDocumentSigner);
    if (candidates.empty()) {
      fail(Reason::kUnknownSigner, "no trusted document signer has kid " + ToHex(*kid));
      return report;
    }
  } else {
    fail(Reason::kUnknownSigner, "issuerAuth names no signer: neither kid nor x5chain");
    return report;
  }

  // 2. The issuer signature, with alg protected (ISO 18013-5 requires it there).
  auto alg = auth.GetAlg(false);
  if (!alg) {
    fail(ReasonForSignatureError(alg.error()), "issuerAuth: " + alg.error().message);
    return report;
  }
  const keys::TrustedSigner* signer = nullptr;
  std::string last_error;
  for (const keys::TrustedSigner* c : candidates) {
    if (c->verifier->alg() != *alg) {
      last_error = "algorithm " + std::string(AlgName(*alg)) + " does not match the signer's " +
                   std::string(CurveName(c->public_key.curve())) + " key";
      continue;
    }
    auto ok = cose::VerifySign1(auth, *c->verifier);
    if (ok) {
      signer = c;
      break;
    }
    last_error = ok.error().message;
  }
  if (!signer) {
    fail(Reason::kBadIssuerSignature, last_error);
    return report;
  }

  // 3. The MSO: only now is it trusted.
  auto mso_value = cbor::Decode(*auth.payload, MsoLimits());
  if (!mso_value) {
    fail(Reason::kMalformed, "MobileSecurityObjectBytes: " + mso_value.error().message);
    return report;
  }
  auto mso_inner = cbor::DecodeEmbedded(*mso_value, MsoLimits());
  if (!mso_inner) {
    fail(Reason::kMalformed, "MobileSecurityObject: " + mso_inner.error().message);
    return report;
  }
  auto mso = ReadMso(*mso_inner);
  if (!mso) {
    fail(mso.error().code == Errc::kUnsupported ? Reason::kUnsupported : Reason::kMalformed, mso.error().message);
    return report;
  }
  report.doc_type = mso->doc_type;
  if (outer_doc_type && *outer_doc_type != mso->doc_type) {
    fail(Reason::kMalformed, "Document docType " + Quoted(*outer_doc_type) + " differs from the MSO's " + Quoted(mso->doc_type));
  }

  // 4. Authorization, certificate validity, credential validity.
  if (!signer->MayIssue(mso->doc_type)) {
    fail(Reason::kSignerNotAuthorized, "agency " + Quoted(signer->agency_id) + " may not issue " + Quoted(mso->doc_type));
  }
  // The status reference is part of what the agency signed: it may point only into the agency's own status
  // lists (a URI under one of its trust-list prefixes), or another agency's status signer would answer for
  // this credential. A wrong URI is the signer acting outside its authority, like a doc type it may not
  // issue: signer_not_authorized (verdict invalid), not status_unknown, because no status list synced later
  // could make it right.
  if (mso->status && !signer->MayReferenceStatus(mso->status->uri)) {
    fail(Reason::kSignerNotAuthorized, "status list " + Quoted(mso->status->uri) + " does not lie under a status prefix of agency " +
                                           Quoted(signer->agency_id));
  }
  if (!signer->ValidAt(mso->validity.signed_at)) {
    fail(Reason::kCertificateInvalid, "document-signer certificate was not valid when the MSO was signed (" +
                                          FormatTdate(mso->validity.signed_at) + ")");
  }
  if (o.now < signer->not_before) {
    fail(Reason::kCertificateInvalid, "document-signer certificate is not yet valid");
  } else if (o.now > signer->not_after) {
    fail(Reason::kCertificateInvalid, "document-signer certificate expired " + FormatTdate(signer->not_after));
  }
  if (o.now < mso->validity.valid_from) {
    fail(Reason::kNotYetValid, "valid from " + FormatTdate(mso->validity.valid_from));
  }
  if (o.now > mso->validity.valid_until) {
    fail(Reason::kExpired, "expired " + FormatTdate(mso->validity.valid_until));
  }

  // 5. Every disclosed item against its digest.
  VerifiedDocument doc;
  for (const auto& ns : is.name_spaces) {
    const Value* digests = mso->value_digests->Find(ns.name);
    if (!digests || !digests->is_map()) {
      fail(Reason::kBadDigest, "namespace " + Quoted(ns.name) + " has no digests in the MSO");
      continue;
    }
    for (const auto& item : ns.items) {
      const Value* expected = digests->Find(Value::Uint(item.digest_id));
      if (!expected || !expected->is_bytes()) {
        fail(Reason::kBadDigest, Quoted(ns.name + "/" + item.element_id) + ": digestID " + std::to_string(item.digest_id) +
                                     " is not in the MSO");
        continue;
      }
      Bytes actual = Digest(mso->digest_algorithm, WrapTag24(item.item_bytes));
      if (!ConstantTimeEqual(actual, expected->bytes())) {
        fail(Reason::kBadDigest, Quoted(ns.name + "/" + item.element_id) + ": digest does not match");
        continue;
      }
      doc.elements_.push_back({ns.name, item.element_id, item.element_value});
    }
  }

  doc.doc_type_ = mso->doc_type;
  doc.agency_id_ = signer->agency_id;
  doc.agency_name_ar_ = signer->agency_name_ar;
  doc.agency_name_en_ = signer->agency_name_en;
  doc.validity_ = mso->validity;
  doc.status_ = mso->status;
  doc.device_key_ = mso->device_key;
  if (mso_out) *mso_out = std::move(*mso_inner);
  report.document = std::move(doc);
  return report;
}

DocumentReport DocumentVerifier::VerifyIssuerSigned(const ParsedIssuerSigned& is, const VerifyOptions& o) const {
  DocumentReport r = CheckIssuer(is, nullptr, o, nullptr);
  if (!r.failures.empty()) r.document.reset();
  return r;
}

DocumentReport DocumentVerifier::VerifyDocument(const ParsedDocument& d, const DeviceAuthContext& device,
                                                const VerifyOptions& o) const {
  DocumentReport r = CheckIssuer(d.issuer_signed, &d.doc_type, o, nullptr);
  if (r.doc_type.empty()) r.doc_type = d.doc_type;
  if (!r.document) return r;  // issuer not established: device checks would mean nothing
  if (!d.has_device_signed) {
    r.failures.push_back({Reason::kBadDeviceSignature, "deviceSigned is missing"});
  } else {
    Bytes da = DeviceAuthenticationBytes(device.session_transcript, d.doc_type, d.device_name_spaces_bytes);
    const PublicKey& dk = r.document->device_key();
    if (d.device_signature) {
      auto verifier = MakeVerifier(dk);
      if (!verifier) {
        r.failures.push_back({Reason::kBadDeviceSignature, "device key: " + verifier.error().message});
      } else {
        auto alg = d.device_signature->GetAlg(false);
        if (!alg) {
          r.failures.push_back({ReasonForSignatureError(alg.error()) == Reason::kUnsupported ? Reason::kUnsupported
                                                                                            : Reason::kBadDeviceSignature,
                                "deviceSignature: " + alg.error().message});
        } else {
          cose::VerifyOptions vo;
          vo.detached_payload = da;
          auto ok = cose::VerifySign1(*d.device_signature, **verifier, vo);
          if (!ok) {
            r.failures.push_back({Reason::kBadDeviceSignature, ok.error().message});
          } else {
            r.document->device_authenticated_ = true;
            r.document->replay_key_ = ReplayKey(d.device_signature->signature, da);
          }
        }
      }
    } else if (d.device_mac) {
      const cose::Sign1& mac = *d.device_mac;
      const Value* alg = mac.protected_map.Find(cose::kHdrAlg);
      if (!alg || alg->AsInt() != 5) {
        r.failures.push_back({Reason::kUnsupported, "deviceMac algorithm must be HMAC 256/256 (5)"});
      } else if (!device.reader_ephemeral_private) {
        r.failures.push_back({Reason::kBadDeviceMac, "deviceMac needs the reader's ephemeral key"});
      } else if (mac.payload) {
        r.failures.push_back({Reason::kMalformed, "deviceMac payload must be detached (nil)"});
      } else {
        auto z = EcdhP256(*device.reader_ephemeral_private, dk);
        Bytes transcript_bytes = WrapTag24(device.session_transcript);
        auto key = z ? HkdfSha256(*z, Sha256(transcript_bytes), AsBytes("EMacKey"), 32) : Result<Bytes>(Fail(z.error()));
        if (z) SecureWipe(*z);  // the shared secret: only the derived key is needed from here
        if (!key) {
          r.failures.push_back({Reason::kBadDeviceMac, key.error().message});
        } else {
          // MAC_structure = ["MAC0", protected, external_aad h'', DeviceAuthenticationBytes]
          Bytes tbm = cbor::Encode(Value::MakeArray({Value::Text("MAC0"), Value::Bytes(mac.protected_bytes),
                                                     Value::Bytes(Bytes()), Value::Bytes(da)}));
          Bytes tag = HmacSha256(*key, tbm);
          SecureWipe(*key);
          if (!ConstantTimeEqual(tag, mac.signature)) {
            r.failures.push_back({Reason::kBadDeviceMac, "deviceMac does not verify"});
          } else {
            r.document->device_authenticated_ = true;
            r.document->replay_key_ = ReplayKey(mac.signature, da);
          }
        }
      }
    }
  }
  if (!r.failures.empty()) r.document.reset();
  return r;
}

}  // namespace wathiq::mdoc
