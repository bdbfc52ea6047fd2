// Internal to the libraries (core, keys): RAII wrappers and conversions for OpenSSL, written once. Built
// against, never installed, never included by a public header (the wathiq_ossl target in core/).
#pragma once

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "wathiq/core/result.h"

namespace wathiq::ossl {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using SecretBnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;  // private key material
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// A certificate's notBefore/notAfter as seconds since the epoch (UTC); kMalformed when it does not parse.
inline Result<int64_t> TimeOf(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return Fail(Errc::kMalformed, "certificate validity time does not parse");
  return static_cast<int64_t>(timegm(&tm));
}

// The first queued OpenSSL error appended to `what`, and the queue cleared (errors never leak across calls).
inline std::string Error(std::string_view what) {
  unsigned long e = ERR_get_error();
  std::string s(what);
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    s += " (";
    s += buf;
    s += ")";
  }
  ERR_clear_error();
  return s;
}

// Raw r||s (COSE form) → DER ECDSA-Sig-Value (X.509 / CMS form).
inline Result<Bytes> RawEcdsaToDer(ByteView raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66) {
    return Fail(Errc::kBadSignature, "ECDSA signature is not an r||s pair of at most 66 bytes each");
  }
  size_t n = raw.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(n), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, static_cast<int>(n), nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return Fail(Errc::kInternal, Error("ECDSA_SIG"));
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return Fail(Errc::kInternal, Error("i2d_ECDSA_SIG"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// DER ECDSA-Sig-Value → raw r||s with each half `n` bytes (the curve's field size).
inline Result<Bytes> DerEcdsaToRaw(ByteView der, size_t n) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Fail(Errc::kCrypto, "DER ECDSA signature did not parse");
  Bytes out(2 * n);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), static_cast<int>(n)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + n, static_cast<int>(n)) < 0) {
    return Fail(Errc::kCrypto, "ECDSA signature component too large");
  }
  return out;
}

inline Result<PkeyPtr> PkeyFromSpki(ByteView spki) {
  const unsigned char* p = spki.data();
  PkeyPtr k(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!k || p != spki.data() + spki.size()) return Fail(Errc::kMalformed, Error("SubjectPublicKeyInfo"));
  return k;
}

}  // namespace wathiq::ossl
