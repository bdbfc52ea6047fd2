#include "wathiq/core/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>

#include "wathiq/core/secure_buffer.h"
#include "wathiq/internal/ossl.h"

namespace wathiq {
namespace {

using Pkey = ossl::PkeyPtr;
using PkeyCtx = ossl::PkeyCtxPtr;
using MdCtx = ossl::MdCtxPtr;
using Bn = ossl::SecretBnPtr;

std::string OpensslError(std::string_view what) { return ossl::Error(what); }

void EnsureSodium() {
  if (sodium_init() < 0) std::abort();
}

bool IsEc(Curve c) { return c == Curve::kP256 || c == Curve::kP384 || c == Curve::kP521; }

size_t EcFieldBytes(Curve c) {
  switch (c) {
    case Curve::kP256: return 32;
    case Curve::kP384: return 48;
    case Curve::kP521: return 66;
    default: return 0;
  }
}

const char* EcGroupName(Curve c) {
  switch (c) {
    case Curve::kP256: return "P-256";
    case Curve::kP384: return "P-384";
    case Curve::kP521: return "P-521";
    default: return nullptr;
  }
}

// Digests fetched once: OpenSSL 3 otherwise looks the algorithm up in its provider on every call, which
// costs as much as hashing a kilobyte.
const EVP_MD* Fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) std::abort();
  return md;  // kept for the life of the process
}

const EVP_MD* DigestFor(Alg alg) {
  static const EVP_MD* sha256 = Fetched("SHA256");
  static const EVP_MD* sha384 = Fetched("SHA384");
  static const EVP_MD* sha512 = Fetched("SHA512");
  switch (alg) {
    case Alg::kES256: return sha256;
    case Alg::kES384: return sha384;
    case Alg::kES512: return sha512;
    case Alg::kEdDSA: return nullptr;
  }
  return nullptr;
}

// RFC 9053 §2.1 names the hash, not the curve: ES384/ES512 with a P-256 key is legal COSE (COSE WG
// ecdsa-sig-04). Profiles that pin the pairing (ISO 18013-5) build verifiers with default_alg().
bool AlgMatchesCurve(Alg alg, Curve c) {
  switch (alg) {
    case Alg::kES256:
    case Alg::kES384:
    case Alg::kES512: return IsEc(c);
    case Alg::kEdDSA: return c == Curve::kEd25519 || c == Curve::kEd448;
  }
  return false;
}

// Builds an EVP_PKEY for an EC public point (uncompressed) or an Ed448 key.
Result<Pkey> PkeyFromPublic(const PublicKey& key) {
  if (IsEc(key.curve())) {
    ossl::ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, EcGroupName(key.curve()), 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, key.raw().data(), key.raw().size())) {
      return Fail(Errc::kInternal, OpensslError("param build"));
    }
    ossl::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
      return Fail(Errc::kMalformed, OpensslError("EC public key is not a point on the curve"));
    }
    return Pkey(raw);
  }
  int id = key.curve() == Curve::kEd448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519;
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(id, nullptr, key.raw().data(), key.raw().size());
  if (!raw) return Fail(Errc::kMalformed, OpensslError("EdDSA public key rejected"));
  return Pkey(raw);
}

// Raw r||s → DER ECDSA-Sig-Value, the raw form exactly 2n bytes for the curve.
Result<Bytes> RawToDerSig(ByteView raw, size_t n) {
  if (raw.size() != 2 * n) {
    return Fail(Errc::kBadSignature, "ECDSA signature must be " + std::to_string(2 * n) + " bytes (r||s), got " +
                                         std::to_string(raw.size()));
  }
  return ossl::RawEcdsaToDer(raw);
}

Result<Bytes> DerToRawSig(ByteView der, size_t n) { return ossl::DerEcdsaToRaw(der, n); }

class OpensslVerifier final : public Verifier {
 public:
  OpensslVerifier(Alg alg, Curve curve, Pkey pkey) : alg_(alg), curve_(curve), pkey_(std::move(pkey)) {}
  Alg alg() const override { return alg_; }
  Status Verify(ByteView message, ByteView signature) const override {
    Bytes der;
    ByteView sig = signature;
    if (IsEc(curve_)) {
      WQ_ASSIGN(der, RawToDerSig(signature, EcFieldBytes(curve_)));
      sig = der;
    } else if (signature.size() != 114) {
      return Fail(Errc::kBadSignature, "Ed448 signature must be 114 bytes");
    }
    MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, pkey_.get()) <= 0) {
      return Fail(Errc::kInternal, OpensslError("EVP_DigestVerifyInit"));
    }
    int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size());
    ERR_clear_error();
    if (rc != 1) return Fail(Errc::kBadSignature, std::string(AlgName(alg_)) + " signature does not verify");
    return Ok();
  }

 private:
  Alg alg_;
  Curve curve_;
  Pkey pkey_;
};

class Ed25519Verifier final : public Verifier {
 public:
  explicit Ed25519Verifier(ByteView pk) { std::memcpy(pk_, pk.data(), sizeof pk_); }
  Alg alg() const override { return Alg::kEdDSA; }
  Status Verify(ByteView message, ByteView signature) const override {
    if (signature.size() != crypto_sign_BYTES) {
      return Fail(Errc::kBadSignature, "Ed25519 signature must be 64 bytes");
    }
    if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), pk_) != 0) {
      return Fail(Errc::kBadSignature, "EdDSA signature does not verify");
    }
    return Ok();
  }

 private:
  uint8_t pk_[crypto_sign_PUBLICKEYBYTES];
};

class EcdsaSoftwareSigner final : public Signer {
 public:
  EcdsaSoftwareSigner(Alg alg, Curve curve, SecureBuffer scalar, Pkey pkey, PublicKey pub)
      : alg_(alg), curve_(curve), scalar_(std::move(scalar)), pkey_(std::move(pkey)), pub_(std::move(pub)) {}
  Alg alg() const override { return alg_; }
  Curve curve() const override { return curve_; }
  Result<Bytes> Sign(ByteView message) const override {
    MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, pkey_.get()) <= 0) {
      return Fail(Errc::kCrypto, OpensslError("EVP_DigestSignInit"));
    }
    Bytes der(2 * EcFieldBytes(curve_) + 16);  // a DER ECDSA-Sig-Value is at most this long
    size_t len = der.size();
    if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) <= 0) {
      return Fail(Errc::kCrypto, OpensslError("EVP_DigestSign"));
    }
    der.resize(len);
    return DerToRawSig(der, EcFieldBytes(curve_));
  }
  Result<PublicKey> public_key() const override { return pub_; }
  const SecureBuffer& scalar() const { return scalar_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  Alg alg_;
  Curve curve_;
  SecureBuffer scalar_;
  Pkey pkey_;
  PublicKey pub_;
};

class Ed25519SoftwareSigner final : public Signer {
 public:
  explicit Ed25519SoftwareSigner(SecureBuffer sk) : sk_(std::move(sk)) {}
  Alg alg() const override { return Alg::kEdDSA; }
  Curve curve() const override { return Curve::kEd25519; }
  Result<Bytes> Sign(ByteView message) const override {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_.data());
    return sig;
  }
  Result<PublicKey> public_key() const override {
    return PublicKey::FromRaw(Curve::kEd25519,
                              ByteView(sk_.data() + crypto_sign_SEEDBYTES, crypto_sign_PUBLICKEYBYTES));
  }
  ByteView seed() const { return ByteView(sk_.data(), crypto_sign_SEEDBYTES); }

 private:
  SecureBuffer sk_;  // libsodium layout: seed || public key
};

Result<std::unique_ptr<Signer>> EcdsaSignerFromScalar(Alg alg, Curve curve, ByteView secret) {
  size_t n = EcFieldBytes(curve);
  if (secret.size() != n) {
    return Fail(Errc::kInvalidArgument,
                std::string(CurveName(curve)) + " private scalar must be " + std::to_string(n) + " bytes");
  }
  SecureBuffer scalar(secret);
  // Compute the public point Q = d·G.
  const char* group_name = EcGroupName(curve);
  int nid = curve == Curve::kP256 ? NID_X9_62_prime256v1 : curve == Curve::kP384 ? NID_secp384r1 : NID_secp521r1;
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(nid), EC_GROUP_free);
  Bn d(BN_secure_new());
  if (!group || !d || !BN_bin2bn(scalar.data(), static_cast<int>(n), d.get())) {
    return Fail(Errc::kInternal, OpensslError("EC setup"));
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return Fail(Errc::kInvalidArgument, "EC private scalar out of range");
  }
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> q(EC_POINT_new(group.get()), EC_POINT_free);
  Bytes pub(1 + 2 * n);
  if (!q || !EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, nullptr) ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(), nullptr) !=
          pub.size()) {
    return Fail(Errc::kInternal, OpensslError("EC public point"));
  }
  ossl::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size())) {
    return Fail(Errc::kInternal, OpensslError("param build"));
  }
  ossl::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) <= 0) {
    return Fail(Errc::kInternal, OpensslError("EVP_PKEY_fromdata"));
  }
  WQ_ASSIGN(PublicKey pk, PublicKey::FromRaw(curve, pub));
  return std::unique_ptr<Signer>(new EcdsaSoftwareSigner(alg, curve, std::move(scalar), Pkey(raw), std::move(pk)));
}

}  // namespace

// The curve a software key of `alg` is generated on (EdDSA: Ed25519).
Result<Curve> CurveForAlg(Alg alg) {
  switch (alg) {
    case Alg::kES256: return Curve::kP256;
    case Alg::kES384: return Curve::kP384;
    case Alg::kES512: return Curve::kP521;
    case Alg::kEdDSA: return Curve::kEd25519;
  }
  return Fail(Errc::kUnsupported, "algorithm");
}

std::string_view AlgName(Alg alg) {
  switch (alg) {
    case Alg::kES256: return "ES256";
    case Alg::kES384: return "ES384";
    case Alg::kES512: return "ES512";
    case Alg::kEdDSA: return "EdDSA";
  }
  return "unknown";
}

Result<Alg> AlgFromCose(int64_t id) {
  switch (id) {
    case -7: return Alg::kES256;
    case -35: return Alg::kES384;
    case -36: return Alg::kES512;
    case -8: return Alg::kEdDSA;
    default: return Fail(Errc::kUnsupported, "COSE algorithm " + std::to_string(id) + " is not supported");
  }
}

std::string_view CurveName(Curve c) {
  switch (c) {
    case Curve::kP256: return "P-256";
    case Curve::kP384: return "P-384";
    case Curve::kP521: return "P-521";
    case Curve::kEd25519: return "Ed25519";
    case Curve::kEd448: return "Ed448";
  }
  return "unknown";
}

namespace {

// The curve's group, made once per process and only read after that (OpenSSL allows concurrent use of a
// const EC_GROUP). Checking a point against it costs a fraction of building an EVP_PKEY, which matters at
// batch rates: every batch line carries a device key.
const EC_GROUP* SharedGroup(Curve curve) {
  static const std::array<EC_GROUP*, 3> groups = {EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1),
                                                  EC_GROUP_new_by_curve_name(NID_secp384r1),
                                                  EC_GROUP_new_by_curve_name(NID_secp521r1)};
  switch (curve) {
    case Curve::kP256: return groups[0];
    case Curve::kP384: return groups[1];
    case Curve::kP521: return groups[2];
    default: return nullptr;
  }
}

// Whether an uncompressed point lies on the curve (and is not the point at infinity).
bool OnCurve(Curve curve, ByteView raw) {
  const EC_GROUP* group = SharedGroup(curve);
  if (!group) return false;
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> point(EC_POINT_new(group), EC_POINT_free);
  // EC_POINT_oct2point refuses coordinates out of range and points off the curve.
  return point && EC_POINT_oct2point(group, point.get(), raw.data(), raw.size(), nullptr) == 1 &&
         EC_POINT_is_at_infinity(group, point.get()) == 0;
}

}  // namespace

Result<PublicKey> PublicKey::FromRaw(Curve curve, ByteView raw) {
  PublicKey k;
  k.curve_ = curve;
  k.raw_.assign(raw.begin(), raw.end());
  if (IsEc(curve)) {
    size_t n = EcFieldBytes(curve);
    if (raw.size() != 1 + 2 * n || raw[0] != 0x04) {
      return Fail(Errc::kMalformed, std::string(CurveName(curve)) + " public key must be an uncompressed point of " +
                                        std::to_string(1 + 2 * n) + " bytes");
    }
    if (!OnCurve(curve, raw)) {
      ERR_clear_error();
      return Fail(Errc::kMalformed, "EC public key is not a point on the curve");
    }
  } else if (curve == Curve::kEd25519) {
    if (raw.size() != 32) return Fail(Errc::kMalformed, "Ed25519 public key must be 32 bytes");
  } else if (raw.size() != 57) {
    return Fail(Errc::kMalformed, "Ed448 public key must be 57 bytes");
  }
  return k;
}

Result<PublicKey> PublicKey::FromSpki(ByteView der) {
  const unsigned char* p = der.data();
  Pkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != der.data() + der.size())
    return Fail(Errc::kMalformed, OpensslError("SubjectPublicKeyInfo did not parse"));
  int id = EVP_PKEY_get_base_id(pkey.get());
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
    size_t len = 0;
    EVP_PKEY_get_raw_public_key(pkey.get(), nullptr, &len);
    Bytes raw(len);
    if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) <= 0) return Fail(Errc::kMalformed, "EdDSA key");
    return FromRaw(id == EVP_PKEY_ED25519 ? Curve::kEd25519 : Curve::kEd448, raw);
  }
  if (id != EVP_PKEY_EC) return Fail(Errc::kUnsupported, "public key type is neither EC nor EdDSA");
  char group[64] = {0};
  size_t glen = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) <= 0) {
    return Fail(Errc::kMalformed, "EC key without a named group");
  }
  std::string g(group, glen);
  Curve curve;
  if (g == "prime256v1" || g == "P-256") curve = Curve::kP256;
  else if (g == "secp384r1" || g == "P-384") curve = Curve::kP384;
  else if (g == "secp521r1" || g == "P-521") curve = Curve::kP521;
  else return Fail(Errc::kUnsupported, "EC curve " + g + " is not supported");
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) <= 0 ||
      EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y) <= 0) {
    BN_free(x);
    BN_free(y);
    return Fail(Errc::kMalformed, "EC point coordinates");
  }
  size_t n = EcFieldBytes(curve);
  Bytes raw(1 + 2 * n);
  raw[0] = 0x04;
  BN_bn2binpad(x, raw.data() + 1, static_cast<int>(n));
  BN_bn2binpad(y, raw.data() + 1 + n, static_cast<int>(n));
  BN_free(x);
  BN_free(y);
  return FromRaw(curve, raw);
}

Bytes PublicKey::x() const {
  size_t n = EcFieldBytes(curve_);
  if (!n || raw_.size() != 1 + 2 * n) return {};
  return Bytes(raw_.begin() + 1, raw_.begin() + 1 + static_cast<long>(n));
}

Bytes PublicKey::y() const {
  size_t n = EcFieldBytes(curve_);
  if (!n || raw_.size() != 1 + 2 * n) return {};
  return Bytes(raw_.begin() + 1 + static_cast<long>(n), raw_.end());
}

Result<Bytes> PublicKey::ToSpki() const {
  Pkey pkey;
  if (curve_ == Curve::kEd25519) {
    pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  } else {
    WQ_ASSIGN(pkey, PkeyFromPublic(*this));
  }
  if (!pkey) return Fail(Errc::kInternal, "public key");
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey.get(), &der);
  if (len <= 0) return Fail(Errc::kInternal, OpensslError("i2d_PUBKEY"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Alg PublicKey::default_alg() const {
  switch (curve_) {
    case Curve::kP256: return Alg::kES256;
    case Curve::kP384: return Alg::kES384;
    case Curve::kP521: return Alg::kES512;
    default: return Alg::kEdDSA;
  }
}

Result<std::unique_ptr<Verifier>> MakeVerifier(const PublicKey& key, Alg alg) {
  if (!AlgMatchesCurve(alg, key.curve())) {
    return Fail(Errc::kInvalidArgument, std::string("algorithm ") + std::string(AlgName(alg)) + " does not match a " +
                                            std::string(CurveName(key.curve())) + " key");
  }
  if (key.curve() == Curve::kEd25519) {
    EnsureSodium();
    if (key.raw().size() != 32) return Fail(Errc::kMalformed, "Ed25519 public key must be 32 bytes");
    return std::unique_ptr<Verifier>(new Ed25519Verifier(key.raw()));
  }
  WQ_ASSIGN(Pkey pkey, PkeyFromPublic(key));
  return std::unique_ptr<Verifier>(new OpensslVerifier(alg, key.curve(), std::move(pkey)));
}

Result<std::unique_ptr<Verifier>> MakeVerifier(const PublicKey& key) { return MakeVerifier(key, key.default_alg()); }

Result<std::unique_ptr<Signer>> GenerateSoftwareSigner(Alg alg) {
  EnsureSodium();
  if (alg == Alg::kEdDSA) {
    SecureBuffer seed(crypto_sign_SEEDBYTES);
    randombytes_buf(seed.data(), seed.size());
    return SoftwareSignerFromSecret(alg, seed.view());
  }
  WQ_ASSIGN(Curve curve, CurveForAlg(alg));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_group_name(ctx.get(), EcGroupName(curve)) <= 0 ||
      EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    return Fail(Errc::kCrypto, OpensslError("EC key generation"));
  }
  Pkey pkey(raw);
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) <= 0) {
    return Fail(Errc::kCrypto, OpensslError("EC private key"));
  }
  Bn dguard(d);
  size_t n = EcFieldBytes(curve);
  SecureBuffer scalar(n);
  if (BN_bn2binpad(d, scalar.data(), static_cast<int>(n)) < 0) return Fail(Errc::kCrypto, "EC scalar");
  return EcdsaSignerFromScalar(alg, curve, scalar.view());
}

Result<std::unique_ptr<Signer>> SoftwareSignerFromSecret(Alg alg, ByteView secret) {
  EnsureSodium();
  if (alg == Alg::kEdDSA) {
    if (secret.size() != crypto_sign_SEEDBYTES) return Fail(Errc::kInvalidArgument, "Ed25519 seed must be 32 bytes");
    SecureBuffer sk(crypto_sign_SECRETKEYBYTES);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_seed_keypair(pk, sk.data(), secret.data());
    return std::unique_ptr<Signer>(new Ed25519SoftwareSigner(std::move(sk)));
  }
  WQ_ASSIGN(Curve curve, CurveForAlg(alg));
  return EcdsaSignerFromScalar(alg, curve, secret);
}

Result<Bytes> ExportSoftwareSecretForSealing(const Signer& signer) {
  if (auto* ec = dynamic_cast<const EcdsaSoftwareSigner*>(&signer)) {
    return Bytes(ec->scalar().data(), ec->scalar().data() + ec->scalar().size());
  }
  if (auto* ed = dynamic_cast<const Ed25519SoftwareSigner*>(&signer)) {
    return Bytes(ed->seed().begin(), ed->seed().end());
  }
  return Fail(Errc::kInvalidArgument, "signer is not a software key; its secret cannot be exported");
}

// SHA-2 through OpenSSL with digests fetched once (its assembly uses the CPU's SHA extensions); HMAC from
// libsodium.
void Sha256(ByteView data, uint8_t out[32]) {
  // One digest context per thread, reused: creating one per call costs more than hashing 100 bytes.
  thread_local ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), DigestFor(Alg::kES256), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
    std::abort();  // only on allocation failure
  }
}
Bytes Sha256(ByteView data) {
  Bytes out(32);
  Sha256(data, out.data());
  return out;
}
Bytes Sha384(ByteView data) {
  Bytes out(48);
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, DigestFor(Alg::kES384), nullptr);
  return out;
}
Bytes Sha512(ByteView data) {
  Bytes out(64);
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, DigestFor(Alg::kES512), nullptr);
  return out;
}

Bytes HmacSha256(ByteView key, ByteView data) {
  EnsureSodium();
  Bytes out(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, data.data(), data.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

Result<Bytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  Bytes out(length);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), DigestFor(Alg::kES256)) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.data(), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.data(), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.data(), static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &length) <= 0) {
    return Fail(Errc::kCrypto, OpensslError("HKDF"));
  }
  return out;
}

Result<Bytes> EcdhP256(ByteView private_scalar, const PublicKey& peer) {
  if (peer.curve() != Curve::kP256) return Fail(Errc::kInvalidArgument, "ECDH peer key must be P-256");
  // The software signer validates the scalar and derives the key pair; ECDH runs on the same EVP_PKEY.
  WQ_ASSIGN(auto signer, EcdsaSignerFromScalar(Alg::kES256, Curve::kP256, private_scalar));
  const auto& mine = static_cast<const EcdsaSoftwareSigner&>(*signer);
  WQ_ASSIGN(Pkey theirs, PkeyFromPublic(peer));
  PkeyCtx dctx(EVP_PKEY_CTX_new(mine.pkey(), nullptr));
  size_t len = 32;
  Bytes out(32);
  if (!dctx || EVP_PKEY_derive_init(dctx.get()) <= 0 || EVP_PKEY_derive_set_peer(dctx.get(), theirs.get()) <= 0 ||
      EVP_PKEY_derive(dctx.get(), out.data(), &len) <= 0 || len != 32) {
    return Fail(Errc::kCrypto, OpensslError("ECDH derive"));
  }
  return out;
}

void RandomBytes(uint8_t* out, size_t n) {
  EnsureSodium();
  randombytes_buf(out, n);
}

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  RandomBytes(b.data(), n);
  return b;
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToHex(ByteView b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2) return Fail(Errc::kMalformed, "hex string has odd length");
  Bytes out(hex.size() / 2);
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Fail(Errc::kMalformed, "non-hex character at offset " + std::to_string(2 * i));
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

namespace {
std::string B64Encode(ByteView b, int variant) {
  EnsureSodium();
  std::string out(sodium_base64_encoded_len(b.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}
Result<Bytes> B64Decode(std::string_view s, int variant) {
  EnsureSodium();
  Bytes out(s.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, &end, variant) != 0 ||
      end != s.data() + s.size()) {
    return Fail(Errc::kMalformed, "invalid base64");
  }
  out.resize(len);
  return out;
}
}  // namespace

std::string Base64UrlEncode(ByteView b) { return B64Encode(b, sodium_base64_VARIANT_URLSAFE_NO_PADDING); }
Result<Bytes> Base64UrlDecode(std::string_view s) { return B64Decode(s, sodium_base64_VARIANT_URLSAFE_NO_PADDING); }
std::string Base64Encode(ByteView b) { return B64Encode(b, sodium_base64_VARIANT_ORIGINAL); }
Result<Bytes> Base64Decode(std::string_view s) { return B64Decode(s, sodium_base64_VARIANT_ORIGINAL); }

}  // namespace wathiq
