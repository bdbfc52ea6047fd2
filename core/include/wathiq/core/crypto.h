// Wathiq core: the signature primitives COSE needs, and the hashes and KDFs of ISO 18013-5.
//
// Signer/Verifier are the two small interfaces every key kind implements (software keys here and in
// keys/, PKCS#11 in keys/). Signatures are in COSE form: ECDSA as raw r||s of the curve's size, EdDSA as
// the 64- or 114-byte RFC 8032 signature.
//  - ECDSA verification accepts both low-S and high-S signatures (COSE does not require low-S).
//  - Ed25519 verification is libsodium's: non-canonical signatures and small-order keys are rejected.
// A verifier imports its public key once, at construction; Verify() is then cheap and thread-safe.
// Software signers keep secret scalars in sodium_malloc'd memory, zeroed on destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wathiq/core/result.h"

namespace wathiq {

// COSE algorithm identifiers (IANA "COSE Algorithms").
enum class Alg : int64_t {
  kES256 = -7,
  kES384 = -35,
  kES512 = -36,
  kEdDSA = -8,
};
std::string_view AlgName(Alg alg);
// Unknown identifiers are kUnsupported.
Result<Alg> AlgFromCose(int64_t id);

enum class Curve { kP256, kP384, kP521, kEd25519, kEd448 };
std::string_view CurveName(Curve c);
// The curve a software key of `alg` is generated on (EdDSA: Ed25519).
Result<Curve> CurveForAlg(Alg alg);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual Alg alg() const = 0;
  virtual Curve curve() const = 0;
  // Signs `message` (the signature computes its own hash: SHA-256 for ES256, none for EdDSA).
  virtual Result<Bytes> Sign(ByteView message) const = 0;
  // The public key that verifies this signer's signatures.
  virtual Result<class PublicKey> public_key() const = 0;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual Alg alg() const = 0;
  // kBadSignature when the signature does not verify; other codes for malformed input.
  virtual Status Verify(ByteView message, ByteView signature) const = 0;
};

// A public key in a portable form: curve + raw point (EC: uncompressed 0x04||x||y; EdDSA: raw bytes).
class PublicKey {
 public:
  PublicKey() = default;
  static Result<PublicKey> FromRaw(Curve curve, ByteView raw);
  // From DER SubjectPublicKeyInfo.
  static Result<PublicKey> FromSpki(ByteView der);
  Curve curve() const { return curve_; }
  const Bytes& raw() const { return raw_; }
  Bytes x() const;  // EC only
  Bytes y() const;  // EC only
  Result<Bytes> ToSpki() const;
  // The default COSE algorithm for the curve (ES256 for P-256, ... EdDSA for Ed25519/Ed448).
  Alg default_alg() const;
  bool operator==(const PublicKey& o) const { return curve_ == o.curve_ && raw_ == o.raw_; }

 private:
  Curve curve_ = Curve::kP256;
  Bytes raw_;
};

// A verifier for `alg` with `key`; fails if they do not match (ECDSA algorithms need a NIST curve, EdDSA
// Ed25519/Ed448). RFC 9053 lets ES384/ES512 hash for any curve; ISO 18013-5 pairs them, which callers
// enforce by using MakeVerifier(key) (the curve's default algorithm) and comparing the message's alg.
Result<std::unique_ptr<Verifier>> MakeVerifier(const PublicKey& key, Alg alg);
Result<std::unique_ptr<Verifier>> MakeVerifier(const PublicKey& key);

// Software signers. Secrets are held in sodium_malloc'd memory and wiped.
Result<std::unique_ptr<Signer>> GenerateSoftwareSigner(Alg alg);
// Secret: ECDSA scalar (32/48/66 bytes big-endian) or Ed25519 32-byte seed.
Result<std::unique_ptr<Signer>> SoftwareSignerFromSecret(Alg alg, ByteView secret);
// The one explicit export path for a software secret (for sealed keystores). Greppable on purpose.
Result<Bytes> ExportSoftwareSecretForSealing(const Signer& signer);

// Hashes and KDFs.
Bytes Sha256(ByteView data);
void Sha256(ByteView data, uint8_t out[32]);  // into a caller's buffer: no allocation
Bytes Sha384(ByteView data);
Bytes Sha512(ByteView data);
Bytes HmacSha256(ByteView key, ByteView data);
Result<Bytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length);
// ECDH on P-256: shared secret x-coordinate (32 bytes) from our scalar and their public key.
Result<Bytes> EcdhP256(ByteView private_scalar, const PublicKey& peer);
void RandomBytes(uint8_t* out, size_t n);
Bytes RandomBytes(size_t n);
// Constant-time equality for secrets and MACs.
bool ConstantTimeEqual(ByteView a, ByteView b);

// Hex helpers for tests, logs and CLIs.
std::string ToHex(ByteView b);
Result<Bytes> FromHex(std::string_view hex);
std::string Base64UrlEncode(ByteView b);
Result<Bytes> Base64UrlDecode(std::string_view s);
std::string Base64Encode(ByteView b);
Result<Bytes> Base64Decode(std::string_view s);

}  // namespace wathiq
