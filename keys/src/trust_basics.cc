#include <openssl/x509.h>

#include <algorithm>
#include <ctime>

#include "wathiq/internal/ossl.h"
#include "wathiq/keys/trust.h"

namespace wathiq::keys {
namespace {

using X509Ptr = ossl::X509Ptr;

}  // namespace

Result<PublicKey> PublicKeyOfCertificate(ByteView cert_der) {
  const unsigned char* p = cert_der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
  if (!x || p != cert_der.data() + cert_der.size())
    return Fail(Errc::kMalformed, "certificate does not parse as DER X.509");
  unsigned char* spki = nullptr;
  int len = i2d_PUBKEY(X509_get0_pubkey(x.get()), &spki);
  if (len <= 0) return Fail(Errc::kMalformed, "certificate has no usable public key");
  Bytes der(spki, spki + len);
  OPENSSL_free(spki);
  return PublicKey::FromSpki(der);
}

Result<TrustedSigner> TrustedSignerFromCertificate(ByteView cert_der, SignerRole role, std::string agency_id,
                                                   std::vector<std::string> doc_types) {
  const unsigned char* p = cert_der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
  if (!x || p != cert_der.data() + cert_der.size())
    return Fail(Errc::kMalformed, "certificate does not parse as DER X.509");
  TrustedSigner s;
  WQ_ASSIGN(s.public_key, PublicKeyOfCertificate(cert_der));
  WQ_ASSIGN(s.not_before, ossl::TimeOf(X509_get0_notBefore(x.get())));
  WQ_ASSIGN(s.not_after, ossl::TimeOf(X509_get0_notAfter(x.get())));
  WQ_ASSIGN(auto verifier, MakeVerifier(s.public_key));
  s.verifier = std::shared_ptr<const Verifier>(std::move(verifier));
  s.agency_id = std::move(agency_id);
  s.role = role;
  s.cert_der.assign(cert_der.begin(), cert_der.end());
  s.kid = KidForCertificate(cert_der);
  s.doc_types = std::move(doc_types);
  return s;
}

Result<std::string> NoteVerifierKey(std::string_view name, const PublicKey& key) {
  if (key.curve() != Curve::kEd25519) return Fail(Errc::kInvalidArgument, "a note verifier key is Ed25519");
  if (name.empty() || name.find_first_of("+ \n") != std::string_view::npos) {
    return Fail(Errc::kInvalidArgument, "a note key name is non-empty and has no '+', space or newline");
  }
  Bytes k{0x01};
  k.insert(k.end(), key.raw().begin(), key.raw().end());
  Bytes pre(name.begin(), name.end());
  pre.push_back('\n');
  pre.insert(pre.end(), k.begin(), k.end());
  Bytes h = Sha256(pre);
  return std::string(name) + "+" + ToHex(ByteView(h.data(), 4)) + "+" + Base64Encode(k);
}

std::vector<const TrustedSigner*> StaticTrustAnchors::FindByKid(ByteView kid, SignerRole role) const {
  std::vector<const TrustedSigner*> out;
  for (const auto& s : signers_) {
    if (s.role == role && std::equal(s.kid.begin(), s.kid.end(), kid.begin(), kid.end())) out.push_back(&s);
  }
  return out;
}

const TrustedSigner* StaticTrustAnchors::FindByCertificate(ByteView der, SignerRole role) const {
  for (const auto& s : signers_) {
    if (s.role == role && std::equal(s.cert_der.begin(), s.cert_der.end(), der.begin(), der.end())) return &s;
  }
  return nullptr;
}

}  // namespace wathiq::keys
