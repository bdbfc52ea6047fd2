#include "wathiq/wallet/presentation.h"

#include "wathiq/core/text.h"

namespace wathiq::wallet {

Result<std::string> CredentialDocType(const mdoc::ParsedIssuerSigned& credential) {
  const auto& payload = credential.issuer_auth.payload;
  if (!payload) return Fail(Errc::kMalformed, "issuerAuth has no payload");
  cbor::DecodeLimits wf;
  wf.strictness = cbor::Strictness::kWellFormed;
  WQ_ASSIGN(cbor::Value outer, cbor::Decode(*payload, wf));
  WQ_ASSIGN(cbor::Value mso, cbor::DecodeEmbedded(outer, wf));
  const cbor::Value* dt = mso.Find("docType");
  if (!dt || !dt->is_text()) return Fail(Errc::kMalformed, "the credential's MSO has no docType");
  return dt->text();
}

Result<PresentedQr> PresentCredential(ByteView credential, const Signer& device_key, const DisclosureChoice& choice,
                                      const PresentOptions& options) {
  WQ_ASSIGN(mdoc::ParsedIssuerSigned parsed, mdoc::ParseIssuerSigned(credential));
  PresentedQr out;
  WQ_ASSIGN(out.doc_type, CredentialDocType(parsed));
  if (!choice.profile.empty()) {
    const mdoc::Catalogue& catalogue = options.catalogue ? *options.catalogue : mdoc::Catalogue::Default();
    const mdoc::DocTypeSpec* spec = catalogue.Find(out.doc_type);
    if (!spec) return Fail(Errc::kNotFound, "the catalogue has no document type " + Quoted(out.doc_type));
    WQ_ASSIGN(out.disclosed, spec->Profile(choice.profile));
  } else {
    out.disclosed = choice.elements;
  }
  mdoc::qr::PresentationRequest r;
  r.credential = &parsed;
  r.doc_type = out.doc_type;
  r.disclose = out.disclosed;
  r.device_key = &device_key;
  r.presented_at = options.now;
  if (options.challenge_text) {
    WQ_ASSIGN(mdoc::qr::Challenge c, mdoc::qr::ParseChallenge(*options.challenge_text));
    r.nonce = c.nonce;
    out.verifier_name = SafeText(c.verifier_name, 256);
  }
  WQ_ASSIGN(out.presentation, mdoc::qr::BuildPresentation(r));
  return out;
}

}  // namespace wathiq::wallet
